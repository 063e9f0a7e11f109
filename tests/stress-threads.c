/*
 * stress-threads.c - hammer the thread models, for ThreadSanitizer.
 *
 * A plain program, not a Criterion suite: ThreadSanitizer cannot run
 * under Criterion's runner.  For each model it starts herdd on a
 * loopback socket of its own (handed over as fd 3, LISTEN_FDS), runs
 * client threads that open many connections with payloads of every
 * size, check each reply byte for byte, and now and then vanish
 * mid-transfer or hold a connection open; then it stops herdd with
 * SIGTERM while connections are still open.  herdd must answer every
 * client and exit 0: built with --enable-tsan, a data race makes it
 * exit 66 instead (a worker process's race shows in the log, which is
 * searched too).  Output is TAP, one line per model.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS		12
#define ROUNDS		20
#define MAXLEN		(256 * 1024)
#define T_IO		60000	/* ms: TSan makes herdd slow */
#define T_EXIT		60000
#define NHELD		2	/* open at SIGTERM: fewer than any T */

struct model_case {
	const char	*name;
	const char	*args[12];
};

static const struct model_case cases[] = {
	{ "pool", { "--model", "pool", "--threads", "4", "--queue-depth",
	    "4", "-T", "1", NULL } },
	{ "prethread mutex", { "--model", "prethread", "--threads", "4",
	    "--accept-lock", "mutex", "-T", "1", NULL } },
	{ "prethread none", { "--model", "prethread", "--threads", "4",
	    "--accept-lock", "none", "-T", "1", NULL } },
	{ "hybrid", { "--model", "hybrid", "--workers", "2", "--threads",
	    "3", "-T", "1", NULL } },
	{ "thread", { "--model", "thread", "--max-conns", "6", "-T", "1",
	    NULL } },
};
#define NCASES	(sizeof cases / sizeof cases[0])

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
listen_loopback(int port[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd[2], i;

	for (i = 0; i < 2; i++) {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = 0;
		if ((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    bind(fd[i], (struct sockaddr *)&sin, sizeof sin) < 0 ||
		    listen(fd[i], 128) < 0 ||
		    getsockname(fd[i], (struct sockaddr *)&sin, &len) < 0)
			return -1;
		port[i] = ntohs(sin.sin_port);
	}
	/* fds 3 and 4 in the child: move them out of the way first. */
	for (i = 0; i < 2; i++)
		if ((fd[i] = fcntl(fd[i], F_DUPFD_CLOEXEC, 100)) < 0)
			return -1;
	return fd[0] | (fd[1] << 16);
}

/* Start herdd serving echo and rot13; its output goes to log. */
static pid_t
herdd_start(const struct model_case *mc, int port[2], const char *log)
{
	const char *herdd = getenv("HERDD");
	const char *argv[16] = { "herdd" };
	pid_t parent = getpid(), pid;
	int fds, logfd, i;
	char num[32];

	if (herdd == NULL)
		herdd = "src/herdd";
	if ((fds = listen_loopback(port)) < 0 ||
	    (logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -1;
	if ((pid = fork()) != 0) {
		close(fds & 0xffff);
		close(fds >> 16);
		close(logfd);
		return pid;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	dup2(fds & 0xffff, 3);
	dup2(fds >> 16, 4);
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	snprintf(num, sizeof num, "%ld", (long)getpid());
	setenv("LISTEN_PID", num, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "echo:rot13", 1);
	for (i = 0; mc->args[i] != NULL; i++)
		argv[i + 1] = mc->args[i];
	execv(herdd, (char *const *)argv);
	_exit(127);
}

static int
client_connect(int port)
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

/*
 * Send msg (half-closing after it when close_after) while reading the
 * reply, until want bytes came or EOF.  The bytes received, or -1.
 */
static ssize_t
pump(int fd, const unsigned char *msg, size_t len, int close_after,
    unsigned char *reply, size_t want)
{
	long long end = now_ms() + T_IO;
	size_t sent = 0, got = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (sent == len && close_after) {
			shutdown(fd, SHUT_WR);
			close_after = 0;
		}
		if (sent < len)
			p.events |= POLLOUT;
		if (now_ms() > end || poll(&p, 1, 1000) < 0)
			return -1;
		if (p.revents & POLLOUT) {
			n = send(fd, msg + sent, len - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				return -1;
			sent += n > 0 ? (size_t)n : 0;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, reply + got, want - got, 0);
			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN)
				return -1;
			got += n > 0 ? (size_t)n : 0;
		}
	}
	return (ssize_t)got;
}

static void
rot13(unsigned char *p, size_t len)
{
	for (; len > 0; p++, len--)
		if ((*p | 32) >= 'a' && (*p | 32) <= 'z')
			*p = (unsigned char)((*p & 32) | ((((*p | 32) - 'a' +
			    13) % 26) + 'A'));
}

struct client {
	int		 port[2];
	unsigned	 seed;
	int		 failures;
	char		 why[128];
};

static void
fail(struct client *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->failures++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(cl->why, sizeof cl->why, fmt, ap);
	va_end(ap);
}

/* One connection: a few round trips, or one exchange, or a vanishing. */
static void
client_once(struct client *cl, unsigned char *msg, unsigned char *want,
    unsigned char *got)
{
	unsigned r = (unsigned)rand_r(&cl->seed);
	int which = r & 1, fd;
	size_t len = 1 + (size_t)rand_r(&cl->seed) % MAXLEN, i;
	ssize_t n;

	for (i = 0; i < len; i++)
		msg[i] = (unsigned char)rand_r(&cl->seed);
	memcpy(want, msg, len);
	if (which)
		rot13(want, len);
	if ((fd = client_connect(cl->port[which])) < 0) {
		fail(cl, "connect: %s", strerror(errno));
		return;
	}
	switch (r >> 1 & 7) {
	case 0:				/* vanish with the reply unread */
		pump(fd, msg, len, 0, got, 1);
		break;
	case 1:				/* several round trips */
		for (i = 0; i < 4 && cl->failures == 0; i++)
			if (pump(fd, msg, 100, 0, got, 100) != 100 ||
			    memcmp(got, want, 100) != 0)
				fail(cl, "round trip %zu wrong", i);
		break;
	default:			/* send all, half-close, read all */
		n = pump(fd, msg, len, 1, got, len + 1);
		if (n != (ssize_t)len || memcmp(got, want, len) != 0)
			fail(cl, "%zd of %zu bytes back or wrong", n, len);
	}
	close(fd);
}

static void *
client_run(void *arg)
{
	struct client *cl = arg;
	unsigned char *msg = malloc(MAXLEN), *want = malloc(MAXLEN);
	unsigned char *got = malloc(MAXLEN + 1);
	int i;

	for (i = 0; i < ROUNDS && cl->failures == 0; i++)
		client_once(cl, msg, want, got);
	free(msg);
	free(want);
	free(got);
	return NULL;
}

/* Wait up to ms for pid; its status, or -1 (then it is killed). */
static int
wait_exit(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		poll(NULL, 0, 20);
	} while (now_ms() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Print herdd's log as TAP diagnostics. */
static void
show_log(const char *log)
{
	char line[512];
	FILE *f;
	int n = 0;

	if ((f = fopen(log, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL && n++ < 200)
		printf("# %s", line);
	fclose(f);
}

static int
log_has(const char *log, const char *text)
{
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = fopen(log, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/* One model: 0 when herdd served every client and exited 0. */
static int
stress(const struct model_case *mc, const char *log, char *why,
    size_t whylen)
{
	struct client cl[CLIENTS];
	pthread_t th[CLIENTS];
	int port[2], held[NHELD], i, status, bad = 0;
	unsigned char c;
	pid_t pid;

	if ((pid = herdd_start(mc, port, log)) < 0) {
		snprintf(why, whylen, "cannot start herdd: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < CLIENTS; i++) {
		cl[i] = (struct client){ .port = { port[0], port[1] },
		    .seed = (unsigned)i * 7919u + 1 };
		pthread_create(&th[i], NULL, client_run, &cl[i]);
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		if (cl[i].failures > 0 && !bad++)
			snprintf(why, whylen, "client %d: %s", i, cl[i].why);
	}
	/* Stop with connections open: drained, then closed at -T. */
	for (i = 0; i < NHELD; i++) {
		held[i] = client_connect(port[i & 1]);
		if (held[i] < 0 || pump(held[i], (const unsigned char *)"h",
		    1, 0, &c, 1) != 1) {
			if (!bad++)
				snprintf(why, whylen, "held connection %d", i);
		}
	}
	kill(pid, SIGTERM);
	status = wait_exit(pid, T_EXIT);
	for (i = 0; i < NHELD; i++)
		if (held[i] >= 0)
			close(held[i]);
	if (bad)
		return -1;
	if (status == -1) {
		snprintf(why, whylen, "no exit within %d s", T_EXIT / 1000);
		return -1;
	}
	/* A worker process's report does not change the master's status. */
	if (log_has(log, "ThreadSanitizer")) {
		snprintf(why, whylen, "ThreadSanitizer reported (see log)");
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "herdd status 0x%x (66: a TSan report)",
		    status);
		return -1;
	}
	return 0;
}

int
main(void)
{
	char log[64], why[256];
	size_t i;
	int failed = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", NCASES);
	for (i = 0; i < NCASES; i++) {
		snprintf(log, sizeof log, "/tmp/herd-stress-%ld.log",
		    (long)getpid());
		if (stress(&cases[i], log, why, sizeof why) == 0)
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		else {
			printf("not ok %zu - %s: %s\n", i + 1, cases[i].name,
			    why);
			show_log(log);
			failed++;
		}
		unlink(log);
	}
	return failed ? 1 : 0;
}
