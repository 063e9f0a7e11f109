/*
 * test-haproxy.c - HAProxy in front of two herdd, as
 * contrib/haproxy/herd.cfg sets it up: that very file, on ports the
 * test picked.  Clients are served byte-exact through it, both herdd
 * get some (leastconn), both answer HAProxy's health checks (a PROXY
 * v2 LOCAL header), and each logs the real client (127.0.0.9, not
 * HAProxy's 127.0.0.1).  Then one herdd is killed with SIGKILL and the
 * clients go on being served by the other while HAProxy marks it down.
 *
 * The two run different models (prefork and event), on sockets passed
 * as systemd would, named "echo,proxy".  HAProxy inherits its frontend
 * and stats sockets (bind fd@N), runs in the foreground (-db) and dies
 * with the test (harness: PR_SET_PDEATHSIG).  Without haproxy
 * installed the tests are skipped.
 *
 * A SIGHUP to both, with connections open across it, shows the reload
 * carries through: HAProxy meets no refusal and retries nothing.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define T_IO		10000	/* ms: one client through HAProxy */
#define CLIENT_ADDR	"127.0.0.9"	/* not HAProxy's own address */

static struct herdd hap, a, b;

static void
teardown(void)
{
	herdd_stop(&hap, SIGKILL, 5000);
	herdd_stop(&a, SIGKILL, 5000);
	herdd_stop(&b, SIGKILL, 5000);
}

TestSuite(haproxy, .fini = teardown, .timeout = 60);

/* haproxy lives in /usr/sbin, often not on a user's PATH. */
static const char *
haproxy_path(void)
{
	static char path[512];
	static const char *const dirs[] = { "/usr/sbin", "/usr/local/sbin",
	    "/sbin" };
	const char *env = getenv("PATH");
	char copy[1024], *dir, *save;
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(path, sizeof path, "%s/haproxy", dirs[i]);
		if (access(path, X_OK) == 0)
			return path;
	}
	snprintf(copy, sizeof copy, "%s", env != NULL ? env : "");
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof path, "%s/haproxy", dir);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static const char *
haproxy_or_skip(void)
{
	const char *p = haproxy_path();

	if (p == NULL)
		cr_skip_test("haproxy is not installed (apt-get install "
		    "haproxy)");
	return p;
}

static const char *
config_path(void)
{
	static char path[1024];
	const char *src = getenv("HERD_SRCDIR");

	snprintf(path, sizeof path, "%s/contrib/haproxy/herd.cfg",
	    src != NULL ? src : "..");
	return path;
}

static void
setenv_fmt(const char *name, const char *fmt, int n)
{
	char value[64];

	snprintf(value, sizeof value, fmt, n);
	cr_assert(setenv(name, value, 1) == 0);
}

/* HAProxy on the contrib config, with a and b behind it; its port. */
static int
haproxy_start(const char *exe)
{
	const char *cmd[] = { exe, "-db", "-f", config_path(), NULL };
	int front, stats, port, sport;

	front = listen_loopback(&port);
	stats = listen_loopback(&sport);
	setenv_fmt("HERD_FRONT", "fd@%d", front);
	setenv_fmt("HERD_STATS", "fd@%d", stats);
	setenv_fmt("HERD1", "127.0.0.1:%d", a.port[0]);
	setenv_fmt("HERD2", "127.0.0.1:%d", b.port[0]);
	herdd_start_cmd(&hap, cmd);
	close(front);
	close(stats);
	return port;
}

/* A client from CLIENT_ADDR; its port in *cport. */
static int
client_from(int port, int *cport)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd;

	cr_assert((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	cr_assert(inet_pton(AF_INET, CLIENT_ADDR, &sin.sin_addr) == 1);
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind %s: %s", CLIENT_ADDR, strerror(errno));
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*cport = ntohs(sin.sin_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect to HAProxy: %s", strerror(errno));
	return fd;
}

/*
 * One client through HAProxy: its bytes come back exactly.  Returns
 * its port, which the serving herdd logs as the client's.
 */
static int
client_echo(int port, unsigned seed)
{
	unsigned char msg[3000], got[sizeof msg + 1];
	size_t len = 1000 + seed % 2000;
	ssize_t n;
	int fd, cport;

	fill_pattern(msg, len, seed);
	fd = client_from(port, &cport);
	n = client_exchange(fd, msg, len, got, sizeof got, T_IO);
	close(fd);
	cr_assert_eq(n, (ssize_t)len, "client %u got %zd of %zu bytes back\n"
	    "haproxy:\n%s", seed, n, len, herdd_log(&hap));
	cr_assert(memcmp(got, msg, len) == 0, "client %u: byte-exact", seed);
	return cport;
}

/*
 * Which of a (1) and b (2) logs CLIENT_ADDR:cport as the client a PROXY
 * header named, polling up to ms; 0 for neither.
 */
static int
logged_by(int cport, int ms)
{
	char want[64];
	long long end = now_ms() + ms;

	snprintf(want, sizeof want, "PROXY v2: the client is %s:%d\n",
	    CLIENT_ADDR, cport);
	do {
		if (herdd_log_wait(&a, want, 0))
			return 1;
		if (herdd_log_wait(&b, want, 0))
			return 2;
	} while (now_ms() < end);
	return 0;
}

/* Its port refuses connections: the herdd on it is gone for good. */
static int
port_refuses(int port, int ms)
{
	long long end = now_ms() + ms;
	int fd;

	do {
		if ((fd = client_try_connect(port)) < 0)
			return 1;
		close(fd);
	} while (now_ms() < end);
	return 0;
}

Test(haproxy, contrib_config_is_valid)
{
	const char *exe = haproxy_or_skip();
	const char *cmd[] = { exe, "-c", "-f", config_path(), NULL };
	int status;

	herdd_start_cmd(&hap, cmd);
	status = herdd_wait(&hap, 10000);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "haproxy -c -f %s:\n%s", config_path(),
	    herdd_log(&hap));
	cr_assert(strstr(herdd_log(&hap), "Configuration file is valid"),
	    "%s", herdd_log(&hap));
}

Test(haproxy, balances_fails_over_and_logs_the_real_client)
{
	const char *exe = haproxy_or_skip();
	const char *pre[] = { "--model", "prefork", "--workers", "2", "-v",
	    NULL };
	const char *ev[] = { "--model", "event", "--workers", "1", "-v",
	    NULL };
	int port, dead_port, i, by, served[3] = { 0, 0, 0 }, down_at = -1;
	unsigned seed = 0;
	long long end;

	herdd_start(&a, "echo,proxy", pre);
	herdd_start(&b, "echo,proxy", ev);
	port = haproxy_start(exe);

	/* leastconn spreads clients over both; each logs the real one. */
	for (i = 0; i < 40 && (served[1] == 0 || served[2] == 0); i++) {
		by = logged_by(client_echo(port, ++seed), 5000);
		cr_assert_neq(by, 0, "client %d logged by a herdd as %s", i,
		    CLIENT_ADDR);
		served[by]++;
	}
	cr_assert(served[1] > 0 && served[2] > 0, "both herdd served in %d "
	    "clients (%d, %d)", i, served[1], served[2]);
	cr_assert_null(strstr(herdd_log(&a), "the client is 127.0.0.1"));
	cr_assert_null(strstr(herdd_log(&b), "the client is 127.0.0.1"));

	/* HAProxy's checks come as LOCAL headers: served, not refused. */
	cr_assert(herdd_log_wait(&a, "PROXY v2 LOCAL, the peer stays", 5000),
	    "%s", herdd_log(&a));
	cr_assert(herdd_log_wait(&b, "PROXY v2 LOCAL, the peer stays", 5000),
	    "%s", herdd_log(&b));
	cr_assert_null(strstr(herdd_log(&a), "not a PROXY protocol header"));
	cr_assert_null(strstr(herdd_log(&b), "not a PROXY protocol header"));

	/* SIGKILL the prefork master: its workers die with it. */
	dead_port = a.port[0];
	cr_assert_eq(kill(a.pid, SIGKILL), 0);
	cr_assert_neq(herdd_wait(&a, 5000), -1);
	cr_assert(port_refuses(dead_port, 5000), "herd1's port still open");

	/*
	 * Every client is still served, by the event herdd: HAProxy sends
	 * what the dead one refuses elsewhere, then marks it down; after
	 * that, five more.
	 */
	end = now_ms() + 20000;
	for (i = 0; down_at < 0 || i < down_at + 5; i++) {
		cr_assert_lt(now_ms(), end, "HAProxy marks herd1 down in "
		    "time:\n%s", herdd_log(&hap));
		cr_assert_eq(logged_by(client_echo(port, ++seed), 5000), 2,
		    "the event herdd served client %d as %s", i, CLIENT_ADDR);
		if (down_at < 0 && strstr(herdd_log(&hap),
		    "Server herd_echo/herd1 is DOWN") != NULL)
			down_at = i;
	}
	cr_assert_null(strstr(herdd_log(&hap), "herd2 is DOWN"), "%s",
	    herdd_log(&hap));
}

/*
 * HAProxy's log line for each client session ends in "-- a/b/c/d/r"
 * when it ended normally ("--") and needed r retries.  Counts the
 * sessions; *clean those with neither an error nor a retry.
 */
static int
haproxy_sessions(int *clean)
{
	const char *p = herdd_log(&hap);
	int n = 0, act, fe, be, srv, retries;

	*clean = 0;
	while ((p = strstr(p, " herd herd_echo/")) != NULL) {
		const char *eol = strchr(p, '\n'), *st = strstr(p, " -- ");

		n++;
		if (st != NULL && (eol == NULL || st < eol) &&
		    sscanf(st, " -- %d/%d/%d/%d/%d", &act, &fe, &be, &srv,
		    &retries) == 5 && retries == 0)
			(*clean)++;
		p++;
	}
	return n;
}

/* Send half of msg and read its echo: the connection is being served. */
static void
half_roundtrip(int fd, const unsigned char *msg, size_t half)
{
	unsigned char got[2048];

	cr_assert_leq(half, sizeof got);
	cr_assert_eq(client_roundtrip(fd, msg, half, got, sizeof got, T_IO),
	    (ssize_t)half);
	cr_assert(memcmp(got, msg, half) == 0);
}

/* Both herdd's logs and HAProxy's, for a failure message. */
static const char *
both_logs(void)
{
	static char buf[3 << 16];

	snprintf(buf, sizeof buf, "--- prefork:\n%s", herdd_log(&a));
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
	    "--- event:\n%s", herdd_log(&b));
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
	    "--- haproxy:\n%s", herdd_log(&hap));
	return buf;
}

Test(haproxy, sighup_reload_behind_it_refuses_no_client)
{
	const char *exe = haproxy_or_skip();
	const char *pre[] = { "--model", "prefork", "--workers", "2", "-v",
	    NULL };
	const char *ev[] = { "--model", "event", "--workers", "1", "-v",
	    NULL };
	enum { OPEN = 4, HALF = 1500 };
	unsigned char msg[OPEN][2 * HALF], got[2 * HALF];
	int port, fd[OPEN], cport, i, n, sessions, clean, done_at = -1;
	unsigned seed = 100;
	long long end;

	herdd_start(&a, "echo,proxy", pre);
	herdd_start(&b, "echo,proxy", ev);
	port = haproxy_start(exe);
	client_echo(port, seed++);

	/* Connections open across the reload, half their bytes echoed. */
	for (i = 0; i < OPEN; i++) {
		fill_pattern(msg[i], sizeof msg[i], seed++);
		fd[i] = client_from(port, &cport);
		half_roundtrip(fd[i], msg[i], HALF);
	}
	cr_assert_eq(kill(a.pid, SIGHUP), 0);
	cr_assert_eq(kill(b.pid, SIGHUP), 0);

	/* New clients meanwhile, until both run generation 1; five more. */
	end = now_ms() + 20000;
	for (n = 0; done_at < 0 || n < done_at + 5; n++) {
		cr_assert_lt(now_ms(), end, "both herdd reloaded in time");
		client_echo(port, seed++);
		if (done_at < 0 &&
		    herdd_log_wait(&a, "(generation 1)", 0) &&
		    herdd_log_wait(&b, "(generation 1)", 0))
			done_at = n;
	}

	/* The old generation finishes what it holds. */
	for (i = 0; i < OPEN; i++) {
		cr_assert_eq(client_exchange(fd[i], msg[i] + HALF, HALF, got,
		    sizeof got, T_IO), HALF, "open client %d finished\n%s",
		    i, both_logs());
		cr_assert(memcmp(got, msg[i] + HALF, HALF) == 0);
		close(fd[i]);
	}

	/* HAProxy met no refusal: every session clean, without a retry. */
	end = now_ms() + 5000;
	while ((sessions = haproxy_sessions(&clean)) < 1 + OPEN + n &&
	    now_ms() < end)
		herdd_log_wait(&hap, "\n", 10);
	cr_assert_eq(sessions, 1 + OPEN + n, "%s", herdd_log(&hap));
	cr_assert_eq(clean, sessions, "every session ended clean, with no "
	    "retry:\n%s", herdd_log(&hap));
	cr_assert_null(strstr(herdd_log(&hap), "is DOWN"));
}
