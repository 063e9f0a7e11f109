/*
 * test-serve.c - herdd end to end: every model serves echo and rot13
 * byte-exact, survives clients that misbehave, and stops cleanly.
 *
 * MODEL_TESTS() stamps the same behaviours out for each model, so a
 * new model gets the whole suite with one line.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MiB	(1024 * 1024)
#define T_IO	20000		/* ms for one exchange, even 4 MiB */

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

/*
 * Start herdd under a model (extra args after it), fdnames as harness.
 * reuseport binds its own sockets: it gets --listen, and we wait until
 * a worker listens on the last one.
 */
static void
start(const char *model, const char *fdnames, const char *extra)
{
	const char *args[8] = { "--model", model, "-v" };
	int n = 3;

	if (extra != NULL)
		args[n++] = extra;
	args[n] = NULL;
	herdd_start_model(&d, model, fdnames, args, 10000);
}

static void
expect_clean_exit(int signo)
{
	int status = herdd_stop(&d, signo, 15000);

	cr_assert_neq(status, -1, "herdd stopped in time");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit 0 after signal %d (status 0x%x)\n%s", signo, status,
	    herdd_log(&d));
}

static void
check_payload(const char *model, const char *handler, size_t len)
{
	unsigned char *msg = malloc(len), *want = malloc(len);
	unsigned char *got = malloc(len + 1);
	ssize_t n;
	int fd;

	cr_assert(msg && want && got);
	start(model, handler, NULL);
	fill_pattern(msg, len, (unsigned)len);
	memcpy(want, msg, len);
	if (strcmp(handler, "rot13") == 0)
		rot13_buf(want, len);
	fd = client_connect(d.port[0]);
	n = client_exchange(fd, msg, len, got, len + 1, T_IO);
	cr_assert_eq(n, (ssize_t)len, "got %zd of %zu bytes back", n, len);
	cr_assert(memcmp(got, want, len) == 0, "reply is byte-exact");
	close(fd);
	expect_clean_exit(SIGTERM);
	free(msg);
	free(want);
	free(got);
}

static void
check_nul_bytes(const char *model)
{
	unsigned char msg[4096], got[4096];
	size_t i;
	int fd;

	for (i = 0; i < sizeof msg; i++)
		msg[i] = i % 3 ? 0 : (unsigned char)('a' + i % 26);
	start(model, "echo:rot13", NULL);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_exchange(fd, msg, sizeof msg, got, sizeof got,
	    T_IO), (ssize_t)sizeof msg);
	cr_assert_arr_eq(got, msg, sizeof msg);
	close(fd);
	fd = client_connect(d.port[1]);
	cr_assert_eq(client_exchange(fd, msg, sizeof msg, got, sizeof got,
	    T_IO), (ssize_t)sizeof msg);
	rot13_buf(msg, sizeof msg);
	cr_assert_arr_eq(got, msg, sizeof msg);
	close(fd);
	expect_clean_exit(SIGTERM);
}

/* Several round trips on one connection, then the peer half-closes. */
static void
check_half_close(const char *model)
{
	char got[16];
	int fd, i;

	start(model, "rot13", NULL);
	fd = client_connect(d.port[0]);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(client_roundtrip(fd, "abc", 3, got, sizeof got, T_IO), 3);
		cr_assert_arr_eq(got, "nop", 3);
	}
	/* Half-close: the reply to the last bytes still arrives, then EOF. */
	cr_assert_eq(client_exchange(fd, "Hi", 2, got, sizeof got, T_IO), 2);
	cr_assert_arr_eq(got, "Uv", 2);
	close(fd);
	expect_clean_exit(SIGTERM);
}

/* A client that sends a lot, reads nothing and vanishes. */
static void
check_vanishing_client(const char *model)
{
	size_t len = 4 * MiB;
	unsigned char *junk = calloc(1, len);
	char got[16];
	struct pollfd p;
	ssize_t n;
	size_t sent = 0;
	int fd;

	start(model, "echo", NULL);
	fd = client_connect(d.port[0]);
	/* Send until the pipe is full both ways (the server blocks on us). */
	p.fd = fd;
	p.events = POLLOUT;
	while (sent < len && poll(&p, 1, 500) == 1 &&
	    (n = send(fd, junk + sent, len - sent,
	    MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		sent += (size_t)n;
	cr_assert_gt(sent, 0);
	close(fd);		/* unread data: the server sees a reset */
	free(junk);

	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "still here", 10, got, sizeof got, T_IO), 10);
	close(fd);
	expect_clean_exit(SIGTERM);
}

static void
check_sigterm_idle(const char *model, int signo)
{
	start(model, "echo", NULL);
	cr_assert(herdd_log_wait(&d, "listener", 5000), "herdd started");
	expect_clean_exit(signo);
}

/* After SIGTERM an open connection is still served until it closes. */
static void
check_drain_serves_open_connection(const char *model)
{
	char got[8];
	long long t0;
	int fd, status;

	start(model, "echo", NULL);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "one", 3, got, sizeof got, T_IO), 3);
	kill(d.pid, SIGTERM);
	cr_assert(herdd_log_wait(&d, "stopping", 5000), "%s", herdd_log(&d));
	cr_assert_eq(client_roundtrip(fd, "two", 3, got, sizeof got, T_IO), 3,
	    "served while draining");
	cr_assert_arr_eq(got, "two", 3);
	t0 = now_ms();
	close(fd);
	status = herdd_wait(&d, 5000);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 once the client left");
	cr_assert_lt(now_ms() - t0, 5000);
}

/* A connection that stays open is closed at --shutdown-timeout. */
static void
check_drain_deadline(const char *model)
{
	char got[4];
	int fd, status;

	start(model, "echo", "-T1");
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	kill(d.pid, SIGTERM);
	status = herdd_wait(&d, 8000);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 after the deadline: 0x%x\n%s",
	    status, herdd_log(&d));
	/* The server closed our connection: EOF (or reset), no hang. */
	cr_assert_leq(client_exchange(fd, "", 0, got, sizeof got, 2000), 0);
	close(fd);
}

static void
check_descriptor_log(const char *model)
{
	char want[64], got[8];
	int fd;

	start(model, "echo", NULL);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_exchange(fd, "hello", 5, got, sizeof got, T_IO), 5);
	close(fd);
	snprintf(want, sizeof want, "listen fd 3 on 127.0.0.1:%d (echo)",
	    d.port[0]);
	cr_assert(herdd_log_wait(&d, want, 5000), "%s", herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "via fd 3", 5000), "%s", herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "connected to 127.0.0.1 (127.0.0.1)",
	    5000), "%s", herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "received 5 bytes", 5000), "%s",
	    herdd_log(&d));
	expect_clean_exit(SIGTERM);
}

/*
 * --resolve: the log names the peer as reverse DNS does (here, what
 * getnameinfo says for 127.0.0.1), looked up by whoever serves it
 * (conn_open(), shared by every model).
 */
static void
check_resolve(const char *model)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char name[NI_MAXHOST], want[NI_MAXHOST + 32], got[8];
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (getnameinfo((struct sockaddr *)&sin, sizeof sin, name,
	    sizeof name, NULL, 0, NI_NAMEREQD) != 0)
		snprintf(name, sizeof name, "127.0.0.1");
	snprintf(want, sizeof want, "connected to %s (127.0.0.1)", name);
	start(model, "echo", "--resolve");
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_exchange(fd, "hello", 5, got, sizeof got, T_IO), 5);
	close(fd);
	cr_assert(herdd_log_wait(&d, want, 5000), "%s\n%s", want,
	    herdd_log(&d));
	expect_clean_exit(SIGTERM);
}

#define MODEL_TESTS(m)							\
TestSuite(m, .fini = stop_server, .timeout = 60);			\
Test(m, echo_1_byte)		{ check_payload(#m, "echo", 1); }	\
Test(m, echo_64_kib)		{ check_payload(#m, "echo", 65536); }	\
Test(m, echo_4_mib)		{ check_payload(#m, "echo", 4 * MiB); }	\
Test(m, rot13_1_byte)		{ check_payload(#m, "rot13", 1); }	\
Test(m, rot13_64_kib)		{ check_payload(#m, "rot13", 65536); }	\
Test(m, rot13_4_mib)		{ check_payload(#m, "rot13", 4 * MiB); } \
Test(m, nul_bytes_pass_both_handlers)	{ check_nul_bytes(#m); }	\
Test(m, half_close_still_gets_the_reply) { check_half_close(#m); }	\
Test(m, vanishing_client_leaves_server_serving)			\
				{ check_vanishing_client(#m); }		\
Test(m, sigterm_when_idle_exits_0) { check_sigterm_idle(#m, SIGTERM); } \
Test(m, sigint_when_idle_exits_0) { check_sigterm_idle(#m, SIGINT); }	\
Test(m, drain_serves_open_connection)				\
				{ check_drain_serves_open_connection(#m); } \
Test(m, drain_closes_at_shutdown_timeout)				\
				{ check_drain_deadline(#m); }		\
Test(m, log_shows_listening_and_connected_fds)			\
				{ check_descriptor_log(#m); }

MODEL_TESTS(iterative)
MODEL_TESTS(fork)
MODEL_TESTS(prefork)
MODEL_TESTS(passfd)
MODEL_TESTS(reuseport)
MODEL_TESTS(thread)
MODEL_TESTS(prethread)
MODEL_TESTS(pool)
MODEL_TESTS(hybrid)
MODEL_TESTS(event)

/* The two places that look names up: conn_serve() and the event loop. */
Test(fork, resolve_logs_the_peer_name) { check_resolve("fork"); }
Test(event, resolve_logs_the_peer_name) { check_resolve("event"); }
