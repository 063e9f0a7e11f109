/*
 * test-control.c - herdd --control and herdctl: status counts what the
 * test sent, JSON for scripts, workers +1/-1, reload and stop as the
 * signals do them, the socket's mode and SO_PEERCRED keep other users
 * out, malformed requests get an error and leave the master serving,
 * and herdctl's exit codes and top frames.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

#define T_WAIT		10000	/* ms for herdd to change shape */
#define T_IO		10000
#define MAXKIDS		64
#define NOBODY		65534

static struct herdd d;
static char sock_path[108];

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
	unlink(sock_path);
}

TestSuite(control, .fini = stop_server, .timeout = 60);

/* A control request of len raw bytes; the reply (NUL-ended) or -1. */
static ssize_t
ctl_raw(const void *req, size_t len, char *reply, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long end = now_ms() + T_IO;
	size_t got = 0;
	ssize_t n;
	int fd;

	strcpy(sun.sun_path, sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		close(fd);
		return -1;
	}
	/* A refusal may come, and the close, before herdd reads a byte. */
	if (len > 0 && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len &&
	    errno != EPIPE && errno != ECONNRESET) {
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);	/* the end of the request, as herdctl */
	while (got < cap - 1 && now_ms() < end &&
	    readable_within(fd, (int)(end - now_ms()))) {
		if ((n = recv(fd, reply + got, cap - 1 - got, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	reply[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

static ssize_t
ctl(const char *line, char *reply, size_t cap)
{
	char req[64];

	snprintf(req, sizeof req, "%s\n", line);
	return ctl_raw(req, strlen(req), reply, cap);
}

/*
 * Start herdd under model with --control sock_path (a fresh one unless
 * the test chose it) and extra args; wait until it answers.
 */
static void
start_args(const char *model, const char *const *extra)
{
	const char *args[32] = { "--model", model, "--control", sock_path };
	char reply[4096];
	long long end;
	int n = 4;

	if (*sock_path == '\0') {	/* else the test made its own */
		snprintf(sock_path, sizeof sock_path,
		    "/tmp/herd-test-ctl.%ld.sock", (long)getpid());
		unlink(sock_path);
	}
	while (*extra != NULL && n < 31)
		args[n++] = *extra++;
	args[n] = NULL;
	herdd_start_model(&d, model, "echo", args, T_WAIT);
	end = now_ms() + T_WAIT;
	while (ctl("status", reply, sizeof reply) <= 0 && now_ms() < end)
		nap(10);
	cr_assert(strstr(reply, "\nok\n") != NULL, "no status: '%s'\n%s",
	    reply, herdd_log(&d));
}

#define START(model, ...)						\
	start_args(model, (const char *[]){ __VA_ARGS__, NULL })

/* The "total" object of status json; 1 when all five were found. */
struct totals {
	unsigned		workers;
	unsigned long long	served, active, in, out;
};

static int
json_totals(struct totals *t)
{
	char reply[16384];
	const char *p;

	if (ctl("status json", reply, sizeof reply) <= 0 ||
	    (p = strstr(reply, "\"total\":{")) == NULL)
		return 0;
	return sscanf(p, "\"total\":{\"workers\":%u,\"served\":%llu,"
	    "\"active\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu}",
	    &t->workers, &t->served, &t->active, &t->in, &t->out) == 5;
}

/*
 * Poll until the scoreboard shows want workers: a worker takes its row
 * just after the fork, so proc_children() may count it a bit sooner.
 */
static int
wait_rows(unsigned want)
{
	long long end = now_ms() + T_WAIT;
	struct totals t;

	do {
		if (json_totals(&t) && t.workers == want)
			return 1;
		nap(10);
	} while (now_ms() < end);
	return 0;
}

/* Poll until herdd has want workers. */
static int
wait_workers(int want, pid_t *kids)
{
	long long end = now_ms() + T_WAIT;

	do {
		if (proc_children(d.pid, kids, MAXKIDS) == want)
			return 1;
		nap(10);
	} while (now_ms() < end);
	return 0;
}

/*
 * Run herdctl with args (NULL-terminated, argv[0] excluded) as uid
 * (-1: ourselves); its exit status (-1 if it hung), output in out.
 */
static int
run_herdctl(const char *const *args, uid_t uid, char *out, size_t cap)
{
	const char *bin = getenv("HERD_BIN");
	char path[512];
	const char *argv[16] = { "herdctl" };
	long long end = now_ms() + T_WAIT;
	size_t got = 0;
	int p[2], i, status;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof path, "%s/herdctl", bin != NULL ? bin : "../src");
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	if ((pid = fork()) == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (uid != (uid_t)-1 && (setgid(NOBODY) < 0 ||
		    setuid(uid) < 0))
			_exit(125);
		execv(path, (char *const *)argv);
		_exit(126);
	}
	cr_assert(pid > 0);
	close(p[1]);
	while (got < cap - 1 && now_ms() < end &&
	    readable_within(p[0], (int)(end - now_ms())) &&
	    (n = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nap(10);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define HERDCTL(out, ...)						\
	run_herdctl((const char *[]){ __VA_ARGS__, NULL }, (uid_t)-1, out, \
	    sizeof out)

static int
count_text(const char *s, const char *text)
{
	int n = 0;

	for (; (s = strstr(s, text)) != NULL; s++)
		n++;
	return n;
}

/* --- status ----------------------------------------------------------- */

#define NCONN	20
#define CONNLEN	1000

Test(control, status_counts_match_traffic_sent)
{
	unsigned char msg[CONNLEN], got[CONNLEN];
	struct totals t = { 0 };
	char reply[4096];
	pid_t kids[MAXKIDS];
	long long end;
	int i, fd;

	START("prefork", "-w", "2");
	cr_assert(wait_workers(2, kids));
	cr_assert(wait_rows(2));
	fill_pattern(msg, sizeof msg, 7);
	for (i = 0; i < NCONN; i++) {
		fd = client_connect(d.port[0]);
		cr_assert_eq(client_exchange(fd, msg, sizeof msg, got,
		    sizeof got, T_IO), (ssize_t)CONNLEN);
		close(fd);
	}
	/* A connection's bytes are counted as the worker closes it. */
	end = now_ms() + T_WAIT;
	while ((!json_totals(&t) || t.in != NCONN * CONNLEN ||
	    t.out != NCONN * CONNLEN) && now_ms() < end)
		nap(10);
	cr_assert_eq(t.served, NCONN);
	cr_assert_eq(t.active, 0);
	cr_assert_eq(t.in, NCONN * CONNLEN);
	cr_assert_eq(t.out, NCONN * CONNLEN);
	cr_assert_eq(t.workers, 2);
	cr_assert(ctl("status", reply, sizeof reply) > 0);
	cr_assert(strstr(reply, "total: 2 workers, served 20, active 0, "
	    "in 20000, out 20000\nok\n") != NULL, "%s", reply);
}

Test(control, status_json_names_every_field)
{
	static const char *const keys[] = {
		"\"pid\":", "\"model\":\"passfd\"", "\"generation\":0",
		"\"wanted\":2", "\"running\":true", "\"uptime\":",
		"\"workers\":[", "\"slot\":", "\"state\":\"", "\"served\":",
		"\"active\":", "\"bytes_in\":", "\"bytes_out\":",
		"\"total\":{",
	};
	char reply[8192], want[32];
	pid_t kids[MAXKIDS];
	size_t i;

	START("passfd", "-w", "2");
	cr_assert(wait_workers(2, kids));
	cr_assert(wait_rows(2));
	cr_assert(ctl("status json", reply, sizeof reply) > 0);
	cr_assert_eq(reply[0], '{', "%s", reply);
	cr_assert(strstr(reply, "}\nok\n") != NULL, "%s", reply);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cr_assert(strstr(reply, keys[i]) != NULL, "no %s in %s",
		    keys[i], reply);
	snprintf(want, sizeof want, "{\"pid\":%ld,", (long)d.pid);
	cr_assert(strncmp(reply, want, strlen(want)) == 0, "%s", reply);
	cr_assert_eq(count_text(reply, "\"slot\":"), 2, "%s", reply);
}

/* --- actions ------------------------------------------------------------ */

Test(control, workers_plus_and_minus_one_change_the_count)
{
	pid_t kids[MAXKIDS];
	char reply[256];

	START("prefork", "-w", "2");
	cr_assert(wait_workers(2, kids));
	cr_assert(ctl("workers +1", reply, sizeof reply) > 0);
	cr_assert_str_eq(reply, "ok\n");
	cr_assert(wait_workers(3, kids), "three\n%s", herdd_log(&d));
	cr_assert(ctl("workers -1", reply, sizeof reply) > 0);
	cr_assert_str_eq(reply, "ok\n");
	cr_assert(wait_workers(2, kids), "two again\n%s", herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "SIGTTOU: 2 workers", T_WAIT));
}

struct loop {
	int		port;
	atomic_int	stop;
	atomic_int	ok, failed;
};

static void *
loop_run(void *arg)
{
	struct loop *l = arg;
	char got[8];
	int fd, n;

	for (n = 0; !atomic_load(&l->stop) && n < 100000; n++) {
		if ((fd = client_try_connect(l->port)) < 0) {
			atomic_fetch_add(&l->failed, 1);
			continue;
		}
		if (client_exchange(fd, "ping", 4, got, sizeof got, T_IO) == 4 &&
		    memcmp(got, "ping", 4) == 0)
			atomic_fetch_add(&l->ok, 1);
		else
			atomic_fetch_add(&l->failed, 1);
		close(fd);
	}
	return NULL;
}

/* status json after one reload: two workers, all of generation 1. */
static int
renewed(const char *reply)
{
	return strstr(reply, "\"generation\":1,\"wanted\"") != NULL &&
	    count_text(reply, "\"generation\":1,\"state\"") == 2 &&
	    count_text(reply, "\"slot\":") == 2;
}

Test(control, reload_starts_a_generation_refusing_nothing)
{
	struct loop l = { .port = 0 };
	char reply[8192];
	pthread_t th;
	long long end;
	int before;

	START("prefork", "-w", "2");
	l.port = d.port[0];
	cr_assert_eq(pthread_create(&th, NULL, loop_run, &l), 0);
	end = now_ms() + T_WAIT;
	while (atomic_load(&l.ok) < 20 && now_ms() < end)
		nap(5);
	cr_assert(ctl("reload", reply, sizeof reply) > 0);
	cr_assert_str_eq(reply, "ok\n");
	/* Generation 1 with both its workers, none of generation 0. */
	do {
		nap(10);
		ctl("status json", reply, sizeof reply);
	} while (!renewed(reply) && now_ms() < end);
	before = atomic_load(&l.ok);
	while (atomic_load(&l.ok) < before + 20 && now_ms() < end)
		nap(5);
	atomic_store(&l.stop, 1);
	pthread_join(th, NULL);
	cr_assert(renewed(reply), "%s\n%s", reply, herdd_log(&d));
	cr_assert_eq(atomic_load(&l.failed), 0, "%d refused or failed",
	    atomic_load(&l.failed));
	cr_assert_gt(atomic_load(&l.ok), 40);
}

Test(control, stop_ends_herdd_with_0_and_removes_the_socket)
{
	struct stat st;
	char reply[256];
	int status;

	START("reuseport", "-w", "2");
	cr_assert(ctl("stop", reply, sizeof reply) > 0);
	cr_assert_str_eq(reply, "ok\n");
	status = herdd_wait(&d, T_WAIT);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "status %#x", status);
	cr_assert(lstat(sock_path, &st) < 0 && errno == ENOENT);
}

/* --- who may talk -------------------------------------------------------- */

Test(control, socket_is_mode_0600)
{
	struct stat st;

	START("prefork", "-w", "1");
	cr_assert(lstat(sock_path, &st) == 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
}

/* In a child as nobody: connect and ask; 0 when refused as it must be. */
static int
refused_as_nobody(void)
{
	char reply[256];
	int status;
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(2);
		if (ctl("status", reply, sizeof reply) < 0)
			_exit(3);
		_exit(strncmp(reply, "error: permission denied", 24) == 0 &&
		    strstr(reply, "ok\n") == NULL ? 0 : 4);
	}
	cr_assert(pid > 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(control, other_users_are_refused_by_peer_credentials)
{
	const char *args[] = { "--control", sock_path, "status", NULL };
	char reply[4096];

	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	START("prefork", "-w", "1");
	/* Past the mode: only SO_PEERCRED is left to say no. */
	cr_assert(chmod(sock_path, 0666) == 0);
	cr_assert_eq(refused_as_nobody(), 0, "%s", herdd_log(&d));
	cr_assert_eq(run_herdctl(args, NOBODY, reply, sizeof reply),
	    EX_NOPERM, "%s", reply);
	cr_assert(strstr(herdd_log(&d), "control: refused") != NULL);
	cr_assert(ctl("status", reply, sizeof reply) > 0);
	cr_assert(strstr(reply, "\nok\n") != NULL, "%s", reply);
}

/* --- malformed input -------------------------------------------------- */

static void
assert_error_or_closed(const void *req, size_t len, const char *what)
{
	char reply[512];
	ssize_t n = ctl_raw(req, len, reply, sizeof reply);

	cr_assert(n <= 0 || strncmp(reply, "error: ", 7) == 0,
	    "%s: got '%s'", what, reply);
	cr_assert(strstr(reply, "ok\n") == NULL, "%s: '%s'", what, reply);
}

Test(control, malformed_requests_get_errors_and_the_master_goes_on)
{
	static char big[10 * 1024 + 1];
	unsigned char junk[300];
	char reply[4096];
	int silent, i;

	START("prefork", "-w", "1");
	for (i = 0; i < (int)sizeof junk; i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	junk[sizeof junk - 1] = '\n';
	assert_error_or_closed(junk, sizeof junk, "binary");
	assert_error_or_closed("\0status\n", 8, "a NUL first");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\n';
	assert_error_or_closed(big, sizeof big, "a 10 KiB line");
	assert_error_or_closed("\n", 1, "an empty line");
	assert_error_or_closed("reboot\n", 7, "an unknown request");
	assert_error_or_closed("workers +2\n", 11, "workers +2");
	/* Half a line and then the end: an error, not a request. */
	cr_assert(ctl_raw("stat", 4, reply, sizeof reply) >= 0);
	cr_assert(strncmp(reply, "error: ", 7) == 0, "%s", reply);
	/* A client that says nothing holds no one up. */
	silent = client_connect(d.port[0]);	/* keep a port busy too */
	cr_assert(ctl("status", reply, sizeof reply) > 0);
	cr_assert(strstr(reply, "\nok\n") != NULL, "%s", reply);
	close(silent);
	cr_assert_eq(kill(d.pid, 0), 0, "the master died\n%s",
	    herdd_log(&d));
}

Test(control, a_silent_client_does_not_block_the_master)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char reply[4096];
	int fd[3], i;

	START("prefork", "-w", "1");
	strcpy(sun.sun_path, sock_path);
	for (i = 0; i < 3; i++) {
		fd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert(connect(fd[i], (struct sockaddr *)&sun,
		    sizeof sun) == 0);
	}
	cr_assert(send(fd[0], "sta", 3, 0) == 3);
	cr_assert(ctl("status", reply, sizeof reply) > 0);
	cr_assert(strstr(reply, "\nok\n") != NULL, "%s", reply);
	/* Dropped after its deadline (2 s): EOF, not a hang. */
	cr_assert(readable_within(fd[1], T_WAIT));
	cr_assert_eq(recv(fd[1], reply, sizeof reply, 0), 0);
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* --- herdd's flag ------------------------------------------------------- */

Test(control, models_without_a_master_refuse_control_with_64)
{
	const char *thread[] = { "--model", "thread", "--control",
	    "/tmp/herd-test-never.sock", NULL };
	const char *single[] = { "--model", "prefork", "-X", "--control",
	    "/tmp/herd-test-never.sock", NULL };
	char out[4096];
	int status;

	status = herdd_run("echo", thread, out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EX_USAGE,
	    "%s", out);
	cr_assert(strstr(out, "--control needs a model with a master") !=
	    NULL, "%s", out);
	status = herdd_run("echo", single, out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EX_USAGE,
	    "%s", out);
}

Test(control, a_path_that_is_not_a_socket_exits_73)
{
	const char *args[] = { "--model", "prefork", "--control", sock_path,
	    NULL };
	char out[4096];
	int fd, status;

	snprintf(sock_path, sizeof sock_path, "/tmp/herd-test-ctl.%ld.file",
	    (long)getpid());
	cr_assert((fd = open(sock_path, O_CREAT | O_WRONLY | O_CLOEXEC,
	    0600)) >= 0);
	close(fd);
	status = herdd_run("echo", args, out, sizeof out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EX_CANTCREAT,
	    "%s", out);
	cr_assert(strstr(out, "is not a socket") != NULL, "%s", out);
	cr_assert_eq(access(sock_path, F_OK), 0, "the file was removed");
}

Test(control, a_stale_socket_is_replaced)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sock_path, sizeof sock_path, "/tmp/herd-test-ctl.%ld.sock",
	    (long)getpid());
	unlink(sock_path);
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	close(fd);		/* the file stays, nobody listens */
	START("prefork", "-w", "1");
	cr_assert(strstr(herdd_log(&d), "replaced the stale socket") != NULL,
	    "%s", herdd_log(&d));
}

/* --- herdctl ------------------------------------------------------------ */

Test(control, herdctl_exit_codes)
{
	char out[4096];

	snprintf(sock_path, sizeof sock_path, "/tmp/herd-test-ctl.%ld.none",
	    (long)getpid());
	unlink(sock_path);
	cr_assert_eq(HERDCTL(out, "--control", sock_path, "status"),
	    EX_UNAVAILABLE, "%s", out);
	cr_assert_eq(HERDCTL(out, "--control", sock_path), EX_USAGE);
	cr_assert_eq(HERDCTL(out, "--control", sock_path, "workers", "2"),
	    EX_USAGE);
	cr_assert_eq(HERDCTL(out, "--control", sock_path, "frobnicate"),
	    EX_USAGE);
	START("prefork", "-w", "1");
	cr_assert_eq(HERDCTL(out, "--control", sock_path, "status"), EX_OK,
	    "%s", out);
	cr_assert(strstr(out, "total: 1 workers") != NULL, "%s", out);
	cr_assert_eq(HERDCTL(out, "-c", sock_path, "status", "--json"),
	    EX_OK, "%s", out);
	cr_assert_eq(out[0], '{', "%s", out);
	cr_assert_eq(HERDCTL(out, "-c", sock_path, "workers", "-1"), EX_OK,
	    "%s", out);
}

Test(control, herdctl_top_prints_the_frames_asked_for)
{
	char out[16384];
	pid_t kids[MAXKIDS];
	const char *p;
	int frames = 0;

	START("event", "-w", "2");
	cr_assert(wait_workers(2, kids));
	cr_assert(wait_rows(2));
	cr_assert_eq(HERDCTL(out, "--control", sock_path, "top",
	    "--iterations", "2"), EX_OK, "%s", out);
	for (p = out; (p = strstr(p, "herdd ")) != NULL; p++)
		frames += p == out || p[-1] == '\n';
	cr_assert_eq(frames, 2, "%s", out);
	cr_assert(strstr(out, "total: 2 workers") != NULL, "%s", out);
	cr_assert(strstr(out, "\033[") == NULL, "no terminal, no escapes");
}
