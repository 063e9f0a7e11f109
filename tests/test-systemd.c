/*
 * test-systemd.c - herdd under a service manager, without one running:
 * systemd-socket-activate binds the sockets and execs herdd on them, a
 * notification socket the test binds plays systemd's part, and
 * systemd-analyze verify checks the units in contrib/systemd.  Then
 * --user: the serving process runs as nobody.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "harness.h"

#define T_IO	20000

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

TestSuite(systemd, .fini = stop_server, .timeout = 60);

static const char *
herdd_bin(void)
{
	const char *p = getenv("HERDD");

	return p != NULL ? p : "../src/herdd";
}

static void
expect_clean_exit(int signo)
{
	int status = herdd_stop(&d, signo, 15000);

	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 after signal %d (0x%x)\n%s",
	    signo, status, herdd_log(&d));
}

/*
 * Two loopback ports free a moment ago.  systemd-socket-activate binds
 * by number, so there is a window; the caller retries if it closed.
 */
static void
pick_ports(int *port, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len;
	int fd[2], i;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < n; i++) {
		fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		sin.sin_port = 0;
		len = sizeof sin;
		cr_assert(bind(fd[i], (struct sockaddr *)&sin,
		    sizeof sin) == 0);
		cr_assert(getsockname(fd[i], (struct sockaddr *)&sin,
		    &len) == 0);
		port[i] = ntohs(sin.sin_port);
	}
	for (i = 0; i < n; i++)
		close(fd[i]);
}

/*
 * systemd-socket-activate listens on echo and rot13 ports and, at the
 * first connection, execs herdd (same pid) on the two sockets.
 */
static void
start_activated(const char *model)
{
	char l1[32], l2[32];
	const char *cmd[] = { "systemd-socket-activate", "-l", l1, "-l", l2,
	    "--fdname=echo:rot13", herdd_bin(), "--model", model, "-v", NULL };
	int attempt, port[2];

	for (attempt = 0; attempt < 5; attempt++) {
		pick_ports(port, 2);
		snprintf(l1, sizeof l1, "127.0.0.1:%d", port[0]);
		snprintf(l2, sizeof l2, "127.0.0.1:%d", port[1]);
		herdd_start_cmd(&d, cmd);
		d.nports = 2;
		d.port[0] = port[0];
		d.port[1] = port[1];
		if (herdd_log_wait(&d, " as 4.", 5000))
			return;
		herdd_stop(&d, SIGKILL, 5000);	/* a port was taken: again */
	}
	cr_assert_fail("systemd-socket-activate never listened:\n%s",
	    herdd_log(&d));
}

static void
check_socket_activation(const char *model)
{
	char got[32], want[64];
	int fd;

	start_activated(model);
	/* The first connection is what makes it exec herdd. */
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_exchange(fd, "Hello, World", 12, got, sizeof got,
	    T_IO), 12, "%s", herdd_log(&d));
	cr_assert_arr_eq(got, "Hello, World", 12);
	close(fd);
	fd = client_connect(d.port[1]);
	cr_assert_eq(client_exchange(fd, "Hello, World", 12, got, sizeof got,
	    T_IO), 12, "%s", herdd_log(&d));
	cr_assert_arr_eq(got, "Uryyb, Jbeyq", 12);
	close(fd);
	snprintf(want, sizeof want, "listen fd 4 on 127.0.0.1:%d (rot13) "
	    "from systemd", d.port[1]);
	cr_assert(herdd_log_wait(&d, want, 5000), "%s", herdd_log(&d));
	expect_clean_exit(SIGTERM);
}

Test(systemd, socket_activation_serves_echo_and_rot13_iterative)
{
	check_socket_activation("iterative");
}

Test(systemd, socket_activation_serves_echo_and_rot13_fork)
{
	check_socket_activation("fork");
}

Test(systemd, socket_activation_serves_echo_and_rot13_prefork)
{
	check_socket_activation("prefork");
}

Test(systemd, socket_activation_serves_echo_and_rot13_passfd)
{
	check_socket_activation("passfd");
}

Test(systemd, socket_activation_serves_echo_and_rot13_pool)
{
	check_socket_activation("pool");
}

Test(systemd, socket_activation_serves_echo_and_rot13_event)
{
	check_socket_activation("event");
}

/* A datagram socket (ListenDatagram=/path) is served, one reply each. */
Test(systemd, datagram_socket_is_served)
{
	char path[64], me[64], got[8];
	const char *cmd[] = { "systemd-socket-activate", "--datagram", "-l",
	    path, "--fdname=rot13", herdd_bin(), NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_un cli = { .sun_family = AF_UNIX };
	int fd;

	snprintf(path, sizeof path, "/tmp/herd-dgram-%ld", (long)getpid());
	snprintf(me, sizeof me, "/tmp/herd-dgram-cli-%ld", (long)getpid());
	unlink(path);
	unlink(me);
	herdd_start_cmd(&d, cmd);
	cr_assert(herdd_log_wait(&d, " as 3.", 5000), "%s", herdd_log(&d));
	/* A datagram is what makes it exec herdd; ours has an address. */
	strcpy(sun.sun_path, path);
	strcpy(cli.sun_path, me);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(bind(fd, (struct sockaddr *)&cli, sizeof cli) == 0);
	cr_assert(sendto(fd, "Hello", 5, 0, (struct sockaddr *)&sun,
	    sizeof sun) == 5, "sendto: %s", strerror(errno));
	cr_assert(readable_within(fd, 10000), "%s", herdd_log(&d));
	cr_assert_eq(recv(fd, got, sizeof got, 0), 5, "%s", herdd_log(&d));
	cr_assert_arr_eq(got, "Uryyb", 5);
	close(fd);
	unlink(path);
	unlink(me);
}

/*
 * The notify messages, in order: the lines that change the service's
 * state, space-separated, after each message that arrives until `until`
 * has been seen count times.  STATUS= lines are kept apart.
 */
struct transcript {
	int	fd;
	char	events[512];
	char	status[512];
	char	mainpid[32];
	int	watchdogs;
};

static int
count_of(const char *hay, const char *word)
{
	int n = 0;

	for (; (hay = strstr(hay, word)) != NULL; hay += strlen(word))
		n++;
	return n;
}

static void
transcript_line(struct transcript *t, const char *line, size_t len)
{
	char l[256];

	snprintf(l, sizeof l, "%.*s", (int)len, line);
	if (strncmp(l, "STATUS=", 7) == 0)
		snprintf(t->status, sizeof t->status, "%s", l + 7);
	else if (strncmp(l, "MAINPID=", 8) == 0)
		snprintf(t->mainpid, sizeof t->mainpid, "%.20s", l + 8);
	else if (strcmp(l, "WATCHDOG=1") == 0)
		t->watchdogs++;
	else if (strcmp(l, "READY=1") == 0 || strcmp(l, "RELOADING=1") == 0 ||
	    strcmp(l, "STOPPING=1") == 0) {
		if (t->events[0] != '\0')
			strcat(t->events, " ");
		strcat(t->events, l);
	}
}

/* Read messages for up to timeout_ms until word occurs count times. */
static int
transcript_until(struct transcript *t, const char *word, int count,
    int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	char buf[1024], *p;
	size_t n;

	while (count_of(t->events, word) < count) {
		long long left = end - now_ms();

		if (left <= 0 || notify_recv(t->fd, buf, sizeof buf,
		    (int)left) < 0)
			return 0;
		for (p = buf; *p != '\0'; p += n + (p[n] == '\n')) {
			n = strcspn(p, "\n");
			transcript_line(t, p, n);
		}
	}
	return 1;
}

static void
notify_start(struct transcript *t, const char *model)
{
	const char *args[] = { "--model", model, "-vv", NULL };
	char path[64];

	memset(t, 0, sizeof *t);
	snprintf(path, sizeof path, "/tmp/herd-notify-%ld", (long)getpid());
	t->fd = notify_listen(path);
	setenv("NOTIFY_SOCKET", path, 1);
	herdd_start(&d, "echo", args);
}

static void
check_notify_sequence(const char *model)
{
	struct transcript t;
	char pid[32];

	notify_start(&t, model);
	cr_assert(transcript_until(&t, "READY=1", 1, 10000), "READY=1: %s\n%s",
	    t.events, herdd_log(&d));
	snprintf(pid, sizeof pid, "%ld", (long)d.pid);
	cr_assert_str_eq(t.mainpid, pid, "MAINPID is herdd's");
	cr_assert(strstr(t.status, model) != NULL, "STATUS names the model: "
	    "%s", t.status);
	kill(d.pid, SIGHUP);
	cr_assert(transcript_until(&t, "READY=1", 2, 10000), "%s\n%s",
	    t.events, herdd_log(&d));
	kill(d.pid, SIGTERM);
	cr_assert(transcript_until(&t, "STOPPING=1", 1, 10000), "%s\n%s",
	    t.events, herdd_log(&d));
	expect_clean_exit(SIGTERM);
	transcript_until(&t, "(everything left)", 1, 0);
	cr_assert_str_eq(t.events, "READY=1 RELOADING=1 READY=1 STOPPING=1");
}

Test(systemd, notify_ready_reload_stopping_in_order_iterative)
{
	check_notify_sequence("iterative");
}

Test(systemd, notify_ready_reload_stopping_in_order_fork)
{
	check_notify_sequence("fork");
}

Test(systemd, notify_ready_reload_stopping_in_order_prefork)
{
	check_notify_sequence("prefork");
}

Test(systemd, notify_ready_reload_stopping_in_order_passfd)
{
	check_notify_sequence("passfd");
}

Test(systemd, notify_ready_reload_stopping_in_order_thread)
{
	check_notify_sequence("thread");
}

Test(systemd, notify_ready_reload_stopping_in_order_prethread)
{
	check_notify_sequence("prethread");
}

Test(systemd, notify_ready_reload_stopping_in_order_pool)
{
	check_notify_sequence("pool");
}

Test(systemd, notify_ready_reload_stopping_in_order_hybrid)
{
	check_notify_sequence("hybrid");
}

Test(systemd, notify_ready_reload_stopping_in_order_event)
{
	check_notify_sequence("event");
}

Test(systemd, fork_status_counts_the_children)
{
	struct transcript t;
	char got[4];
	long long end;
	int fd;

	notify_start(&t, "fork");
	cr_assert(transcript_until(&t, "READY=1", 1, 10000));
	cr_assert(strstr(t.status, "0 children") != NULL, "%s", t.status);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	end = now_ms() + 10000;
	while (strstr(t.status, "1 child serving") == NULL && now_ms() < end)
		transcript_until(&t, "(one more message)", 1, 100);
	cr_assert(strstr(t.status, "1 child serving") != NULL, "%s", t.status);
	close(fd);
	expect_clean_exit(SIGTERM);
}

static void
check_watchdog(const char *model)
{
	struct transcript t;
	long long end;

	setenv("WATCHDOG_USEC", "200000", 1);	/* pings every 100 ms */
	notify_start(&t, model);
	end = now_ms() + 10000;
	while (t.watchdogs < 3 && now_ms() < end)
		transcript_until(&t, "(a ping)", 1, 500);
	cr_assert_geq(t.watchdogs, 3, "WATCHDOG=1 came %d times\n%s",
	    t.watchdogs, herdd_log(&d));
	expect_clean_exit(SIGTERM);
}

Test(systemd, watchdog_pings_while_serving_iterative)
{
	check_watchdog("iterative");
}

Test(systemd, watchdog_pings_from_the_master_prefork)
{
	check_watchdog("prefork");
}

/* Copy src to dst, with @bindir@ and @sysconfdir@ filled in. */
static void
unit_copy(const char *src, const char *dst, const char *bindir)
{
	char line[1024], *at;
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");

	cr_assert(in != NULL && out != NULL, "%s: %s", src, strerror(errno));
	while (fgets(line, sizeof line, in) != NULL) {
		char *p = line;

		while ((at = strchr(p, '@')) != NULL) {
			fwrite(p, 1, (size_t)(at - p), out);
			if (strncmp(at, "@bindir@", 8) == 0) {
				fputs(bindir, out);
				p = at + 8;
			} else if (strncmp(at, "@sysconfdir@", 12) == 0) {
				fputs("/etc", out);
				p = at + 12;
			} else {
				fputc('@', out);
				p = at + 1;
			}
		}
		fputs(p, out);
	}
	fclose(in);
	cr_assert(fclose(out) == 0);
}

Test(systemd, analyze_verify_prints_nothing_for_every_unit)
{
	static const char *const units[][2] = {
		{ "herdd.service.in", "herdd.service" },
		{ "herdd@.service.in", "herdd@.service" },
		{ "herdd.socket", "herdd.socket" },
		{ "herdd-rot13.socket", "herdd-rot13.socket" },
		{ "herdd-okay-udp.socket", "herdd-okay-udp.socket" },
	};
	const char *srcdir = getenv("HERD_SRCDIR");
	char dir[64], src[512], dst[512], bindir[512], cmd[2048], out[4096];
	size_t i, n;
	FILE *p;
	int status;

	cr_assert(srcdir != NULL, "HERD_SRCDIR is set by make check");
	snprintf(bindir, sizeof bindir, "%s", herdd_bin());
	*strrchr(bindir, '/') = '\0';
	snprintf(dir, sizeof dir, "/tmp/herd-units-XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		snprintf(src, sizeof src, "%s/contrib/systemd/%s", srcdir,
		    units[i][0]);
		snprintf(dst, sizeof dst, "%s/%s", dir, units[i][1]);
		unit_copy(src, dst, bindir);
	}
	/* A template is checked through an instance of it. */
	snprintf(cmd, sizeof cmd, "cd %s && systemd-analyze verify --man=no "
	    "%s/herdd.service %s/herdd.socket %s/herdd-rot13.socket "
	    "%s/herdd-okay-udp.socket %s/herdd@fork.service 2>&1", dir, dir,
	    dir, dir, dir, dir);
	cr_assert((p = popen(cmd, "r")) != NULL);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	status = pclose(p);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert(system(cmd) == 0);
	cr_assert_str_eq(out, "", "systemd-analyze verify said:\n%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* "Uid:" or "Gid:" of /proc/PID/status: the real uid or gid. */
static long
proc_id(pid_t pid, const char *key)
{
	char path[64], line[256];
	long id = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			long r, e, s, fs;

			if (sscanf(line + strlen(key), "%ld %ld %ld %ld",
			    &r, &e, &s, &fs) == 4 && r == e && e == s &&
			    s == fs)
				id = r;
		}
	fclose(f);
	return id;
}

static void
check_runs_as_nobody(const char *model)
{
	const char *args[] = { "--model", model, "--user", "nobody", "-v",
	    NULL };
	struct passwd *pw = getpwnam("nobody");
	char got[4];
	pid_t server;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("dropping privileges needs root");
	cr_assert(pw != NULL, "there is a user nobody");
	herdd_start(&d, "echo", args);
	cr_assert(herdd_log_wait(&d, "running as user nobody", 5000), "%s",
	    herdd_log(&d));
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	server = d.pid;		/* iterative */
	if (strcmp(model, "iterative") != 0)	/* a child or a worker */
		cr_assert_geq(proc_children(d.pid, &server, 1), 1);
	cr_assert_gt(server, 0, "found the serving process");
	cr_assert_eq(proc_id(server, "Uid:"), (long)pw->pw_uid);
	cr_assert_eq(proc_id(server, "Gid:"), (long)pw->pw_gid);
	cr_assert_eq(proc_id(d.pid, "Uid:"), (long)pw->pw_uid,
	    "the master dropped root too");
	close(fd);
	expect_clean_exit(SIGTERM);
}

Test(systemd, user_nobody_serves_as_nobody_iterative)
{
	check_runs_as_nobody("iterative");
}

Test(systemd, user_nobody_serves_as_nobody_fork)
{
	check_runs_as_nobody("fork");
}

Test(systemd, user_nobody_serves_as_nobody_prefork)
{
	check_runs_as_nobody("prefork");
}

Test(systemd, user_root_is_refused)
{
	const char *args[] = { "--user", "root", NULL };
	char out[4096];
	int status;

	status = herdd_run("echo", args, out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EX_NOPERM,
	    "0x%x %s", status, out);
	cr_assert(strstr(out, "refusing to run as root") != NULL, "%s", out);
}

Test(systemd, group_without_user_is_refused)
{
	const char *args[] = { "--group", "nogroup", NULL };
	char out[4096];
	int status;

	status = herdd_run("echo", args, out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EX_USAGE,
	    "0x%x %s", status, out);
	cr_assert(strstr(out, "--group needs --user") != NULL, "%s", out);
}
