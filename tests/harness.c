/*
 * harness.c - see harness.h.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
nap(int ms)
{
	nap_ms(ms);
}

/* Every herdd started in this process, for herdd_stop_all(). */
#define HARNESS_MAXSTARTED	16
static struct herdd *started[HARNESS_MAXSTARTED];

static void
herdd_note(struct herdd *d)
{
	size_t i;

	for (i = 0; i < HARNESS_MAXSTARTED; i++)
		if (started[i] == d || started[i] == NULL) {
			started[i] = d;
			return;
		}
}

void
herdd_stop_all(void)
{
	size_t i;

	for (i = 0; i < HARNESS_MAXSTARTED && started[i] != NULL; i++)
		herdd_stop(started[i], SIGKILL, 5000);
}

static const char *
herdd_path(void)
{
	const char *p = getenv("HERDD");

	return p != NULL ? p : "../src/herdd";
}

int
listen_loopback(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind: %s", strerror(errno));
	cr_assert(listen(fd, 128) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void	herdd_spawn(struct herdd *, const int *, const char *,
		    const char *const *, const char *const *);

int
udp_loopback(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind: %s", strerror(errno));
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Split $HERDD_WRAPPER at spaces into argv; returns the count. */
static int
wrapper_argv(const char **argv, int max)
{
	static char buf[512];
	const char *w = getenv("HERDD_WRAPPER");
	char *p, *save;
	int n = 0;

	if (w == NULL || *w == '\0')
		return 0;
	snprintf(buf, sizeof buf, "%s", w);
	for (p = strtok_r(buf, " ", &save); p != NULL && n < max;
	    p = strtok_r(NULL, " ", &save))
		argv[n++] = p;
	return n;
}

/* HARNESS_NOFILE=N: run herdd with RLIMIT_NOFILE N (descriptor tests). */
static void
child_nofile(void)
{
	const char *v = getenv("HARNESS_NOFILE");
	struct rlimit rl;

	if (v == NULL || *v == '\0')
		return;
	rl.rlim_cur = rl.rlim_max = (rlim_t)strtoul(v, NULL, 10);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		_exit(126);
	unsetenv("HARNESS_NOFILE");
}

/* In the child: fds[0..n) become 3..3+n, nothing else survives exec. */
static void
child_exec(const int *fds, int n, const char *fdnames, const char *const *args,
    const char *const *cmd, int logfd)
{
	const char *argv[64], *path;
	char num[32];
	int i, argc, high[HARNESS_MAXSOCK];

	for (i = 0; i < n; i++)
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 100);
	for (i = 0; i < n; i++)
		dup2(high[i], 3 + i);	/* dup2 clears FD_CLOEXEC */
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	child_nofile();
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n > 0) {
		snprintf(num, sizeof num, "%ld", (long)getpid());
		setenv("LISTEN_PID", num, 1);
		snprintf(num, sizeof num, "%d", n);
		setenv("LISTEN_FDS", num, 1);
		setenv("LISTEN_FDNAMES", fdnames, 1);
	}
	if (cmd != NULL)	/* a whole command line, found on PATH */
		execvp(cmd[0], (char *const *)cmd);
	/* HERDD_WRAPPER="valgrind -q ..." runs herdd under a tool (CI). */
	argc = wrapper_argv(argv, 32);
	path = argc > 0 ? argv[0] : herdd_path();
	argv[argc] = argc == 0 ? "herdd" : herdd_path();
	argc++;
	for (i = 0; args != NULL && args[i] != NULL && argc < 63; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	execvp(path, (char *const *)argv);
	_exit(127);
}

void
herdd_start(struct herdd *d, const char *fdnames, const char *const *args)
{
	herdd_spawn(d, NULL, fdnames, args, NULL);
}

void
herdd_start_fds(struct herdd *d, const int *fds, const char *fdnames,
    const char *const *args)
{
	herdd_spawn(d, fds, fdnames, args, NULL);
}

void
herdd_start_cmd(struct herdd *d, const char *const *cmd)
{
	herdd_spawn(d, NULL, NULL, NULL, cmd);
}

/* given: the caller's sockets (kept open), else TCP ones bound here. */
static void
herdd_spawn(struct herdd *d, const int *given, const char *fdnames,
    const char *const *args, const char *const *cmd)
{
	int fds[HARNESS_MAXSOCK], logfd, i;
	const char *p;
	pid_t parent = getpid();

	memset(d, 0, sizeof *d);
	if (fdnames != NULL && *fdnames != '\0')
		for (d->nports = 1, p = fdnames; *p != '\0'; p++)
			d->nports += *p == ':';
	cr_assert(d->nports <= HARNESS_MAXSOCK);
	for (i = 0; i < d->nports; i++) {
		fds[i] = given != NULL ? given[i] : listen_loopback(&d->port[i]);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	snprintf(d->log, sizeof d->log, "/tmp/herd-test-%ld-XXXXXX",
	    (long)getpid());
	logfd = mkstemp(d->log);
	cr_assert(logfd >= 0, "mkstemp: %s", strerror(errno));
	fcntl(logfd, F_SETFD, FD_CLOEXEC);

	d->pid = fork();
	cr_assert(d->pid >= 0, "fork: %s", strerror(errno));
	herdd_note(d);
	if (d->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != parent)
			_exit(126);
		child_exec(fds, d->nports, fdnames, args, cmd, logfd);
	}
	for (i = 0; i < d->nports && given == NULL; i++)
		close(fds[i]);
	close(logfd);
}

/* A loopback port held bound but not listening; the socket. */
static int
hold_port(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd, on = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind: %s", strerror(errno));
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

void
herdd_start_listen(struct herdd *d, const char *handlers,
    const char *const *args)
{
	const char *argv[64];
	char spec[HARNESS_MAXSOCK][64], names[256], *name, *save;
	int hold[HARNESS_MAXSOCK], port[HARNESS_MAXSOCK], n = 0, i = 0;

	snprintf(names, sizeof names, "%s", handlers);
	for (name = strtok_r(names, ":", &save); name != NULL;
	    name = strtok_r(NULL, ":", &save)) {
		cr_assert(n < HARNESS_MAXSOCK);
		hold[n] = hold_port(&port[n]);
		snprintf(spec[n], sizeof spec[n], "127.0.0.1:%d=%s", port[n],
		    name);
		argv[i++] = "--listen";
		argv[i++] = spec[n++];
	}
	for (; args != NULL && *args != NULL && i < 62; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	herdd_start(d, NULL, argv);
	d->nports = n;
	for (i = 0; i < n; i++) {
		d->port[i] = port[i];
		d->hold[i] = hold[i];
	}
}

void
herdd_start_model(struct herdd *d, const char *model, const char *fdnames,
    const char *const *args, int timeout_ms)
{
	char ready[64];

	if (strcmp(model, "reuseport") != 0) {
		herdd_start(d, fdnames, args);
		return;
	}
	herdd_start_listen(d, fdnames, args);
	snprintf(ready, sizeof ready, "listener on 127.0.0.1:%d",
	    d->port[d->nports - 1]);
	cr_assert(herdd_log_wait(d, ready, timeout_ms), "%s", herdd_log(d));
}

void
herdd_start_extra(struct herdd *d, const char *model, const char *fdnames,
    const char *const *extra)
{
	const char *args[32] = { "--model", model };
	int n = 2;

	while (extra != NULL && *extra != NULL && n < 31)
		args[n++] = *extra++;
	args[n] = NULL;
	herdd_start_model(d, model, fdnames, args, HARNESS_T_WAIT);
}

int
herdd_wait(struct herdd *d, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int status;
	pid_t r;

	if (d->pid <= 0)
		return -1;
	do {
		r = waitpid(d->pid, &status, WNOHANG);
		if (r == d->pid) {
			d->pid = 0;
			return status;
		}
		nap_ms(10);
	} while (now_ms() < end);
	return -1;
}

int
herdd_stop(struct herdd *d, int signo, int timeout_ms)
{
	int status, i;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, signo);
	if ((status = herdd_wait(d, timeout_ms)) == -1) {
		kill(d->pid, SIGKILL);
		herdd_wait(d, 5000);
	}
	unlink(d->log);
	for (i = 0; i < HARNESS_MAXSOCK; i++)
		if (d->hold[i] > 0) {
			close(d->hold[i]);
			d->hold[i] = 0;
		}
	return status;
}

const char *
herdd_log(const struct herdd *d)
{
	static char buf[1 << 16];
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	if ((fd = open(d->log, O_RDONLY | O_CLOEXEC)) < 0)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int
herdd_log_wait(const struct herdd *d, const char *text, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	do {
		if (strstr(herdd_log(d), text) != NULL)
			return 1;
		nap_ms(10);
	} while (now_ms() < end);
	return 0;
}

int
herdd_run(const char *fdnames, const char *const *args, char *output,
    size_t len)
{
	struct herdd d;
	int status;

	herdd_start(&d, fdnames, args);
	if ((status = herdd_wait(&d, 10000)) == -1) {
		kill(d.pid, SIGKILL);
		herdd_wait(&d, 5000);
	}
	snprintf(output, len, "%s", herdd_log(&d));
	unlink(d.log);
	return status;
}

int
client_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

int
client_try_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
proc_children(pid_t pid, pid_t *kids, int max)
{
	char path[64];
	FILE *f;
	int n = 0;
	long k;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid,
	    (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (n < max && fscanf(f, "%ld", &k) == 1)
		kids[n++] = (pid_t)k;
	fclose(f);
	return n;
}

/* Whether pid is a zombie (dead, not yet reaped) or gone. */
static int
proc_dead(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return 1;
	return p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

int
proc_live_children(pid_t pid, pid_t *kids, int max)
{
	pid_t all[HARNESS_MAXKIDS];
	int i, n, live = 0;

	n = proc_children(pid, all, max < HARNESS_MAXKIDS ? max :
	    HARNESS_MAXKIDS);
	for (i = 0; i < n; i++)
		if (!proc_dead(all[i]))
			kids[live++] = all[i];
	return live;
}

int
herdd_wait_workers(const struct herdd *d, int want, pid_t *kids)
{
	pid_t mine[HARNESS_MAXKIDS];
	long long end = now_ms() + HARNESS_T_WAIT;

	if (kids == NULL)
		kids = mine;
	do {
		if (proc_live_children(d->pid, kids, HARNESS_MAXKIDS) == want)
			return 1;
		nap_ms(10);
	} while (now_ms() < end);
	return 0;
}

int
proc_sockets(pid_t pid)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		char fdpath[64 + sizeof e->d_name];
		ssize_t len;

		snprintf(fdpath, sizeof fdpath, "%s/%s", path, e->d_name);
		len = readlink(fdpath, link, sizeof link - 1);
		if (len > 0 && (link[len] = '\0',
		    strncmp(link, "socket:", 7) == 0))
			n++;
	}
	closedir(dir);
	return n;
}

int
proc_wait_sockets(pid_t pid, int want, int atleast, int ms)
{
	long long end = now_ms() + ms;
	int n;

	do {
		n = proc_sockets(pid);
		if (n == want || (atleast && n > want))
			return 1;
		nap_ms(10);
	} while (now_ms() < end);
	return 0;
}

long
proc_status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int
readable_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/*
 * Move bytes both ways with poll until want bytes came back (or EOF
 * when want is -1).  Returns the bytes received or -1.
 */
static ssize_t
client_pump(int fd, const unsigned char *msg, size_t len, int half_close,
    unsigned char *reply, size_t cap, ssize_t want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	size_t sent = 0, got = 0;
	int closed = 0, flags = fcntl(fd, F_GETFL);
	unsigned char sink[16384];
	ssize_t n;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();

		if (sent == len && half_close && !closed) {
			shutdown(fd, SHUT_WR);
			closed = 1;
		}
		if (want >= 0 && got >= (size_t)want)
			break;
		if (left <= 0)
			goto fail;
		if (sent < len)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			goto fail;
		if (p.revents & POLLOUT) {
			n = send(fd, msg + sent, len - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				goto fail;
			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			unsigned char *dst = got < cap ? reply + got : sink;
			size_t room = got < cap ? cap - got : sizeof sink;

			n = recv(fd, dst, room, 0);
			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN)
				goto fail;
			if (n > 0)
				got += (size_t)n;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return (ssize_t)got;
fail:
	fcntl(fd, F_SETFL, flags);
	return -1;
}

ssize_t
client_exchange(int fd, const void *msg, size_t len, void *reply, size_t cap,
    int timeout_ms)
{
	return client_pump(fd, msg, len, 1, reply, cap, -1, timeout_ms);
}

ssize_t
client_roundtrip(int fd, const void *msg, size_t len, void *reply,
    size_t cap, int timeout_ms)
{
	cr_assert_geq(cap, len, "reply buffer holds the whole reply");
	return client_pump(fd, msg, len, 0, reply, len, (ssize_t)len,
	    timeout_ms);
}

void
fill_pattern(unsigned char *p, size_t len, unsigned seed)
{
	size_t i;
	unsigned x = seed * 2654435761u + 1;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(i < 256 ? i : x >> 16);
	}
}

void
rot13_buf(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (unsigned char)('a' + (p[i] - 'a' + 13) % 26);
		else if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (unsigned char)('A' + (p[i] - 'A' + 13) % 26);
	}
}

static char notify_path[sizeof ((struct sockaddr_un *)0)->sun_path];

static void
notify_unlink(void)
{
	unlink(notify_path);
}

int
notify_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	socklen_t len;
	int fd;

	cr_assert_lt(n, sizeof sun.sun_path);
	memcpy(sun.sun_path, path, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (*path == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL, exact length */
	else {
		len++;
		unlink(path);
		if (notify_path[0] == '\0')
			atexit(notify_unlink);
		memcpy(notify_path, path, n + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	cr_assert(bind(fd, (struct sockaddr *)&sun, len) == 0, "bind %s: %s",
	    path, strerror(errno));
	return fd;
}

ssize_t
notify_recv(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	if ((n = recv(fd, buf, len - 1, MSG_DONTWAIT)) < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/*
 * Run the program HERD_BIN/argv[0] with input (may be NULL) on its
 * stdin; what it prints on stdout (and stderr, with_stderr) lands in
 * out, cap bytes NUL-terminated.  It dies with the test, and is killed
 * after ms.  Its exit code, or -1 when it was killed or did not exit.
 */
int
tool_run(const char *const *argv, const char *input, char *out,
    size_t cap, int with_stderr, int ms)
{
	const char *dir = getenv("HERD_BIN");
	int in[2], o[2], status = -1;
	pid_t pid, parent = getpid();
	size_t got = 0;
	long long end = now_ms() + ms;
	char path[512];
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "../src",
	    argv[0]);
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(o, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != parent)
			_exit(126);
		dup2(in[0], STDIN_FILENO);
		dup2(o[1], STDOUT_FILENO);
		if (with_stderr)
			dup2(o[1], STDERR_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input != NULL)	/* small: fits in the pipe */
		cr_assert(write(in[1], input, strlen(input)) ==
		    (ssize_t)strlen(input));
	close(in[1]);
	while (now_ms() < end && got < cap - 1) {
		struct pollfd p = { .fd = o[0], .events = POLLIN };

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(o[0], out + got, cap - 1 - got)) <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(o[0]);
	while (now_ms() < end && waitpid(pid, &status, WNOHANG) == 0)
		poll(NULL, 0, 10);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double
json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(json, pat);
	cr_assert_not_null(p, "%s in %s", key, json);
	return strtod(p + strlen(pat), NULL);
}
