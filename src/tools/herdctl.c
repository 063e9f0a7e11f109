/*
 * herdctl - talk to herdd's control socket (herdd --control PATH): show
 * the scoreboard, reload, stop, add or remove a worker, or watch the
 * workers live (top).
 *
 * One request line per connection; the reply is lines ending with "ok"
 * or "error: REASON" (src/lib/control.h has the protocol).  herdctl
 * prints the reply without that last line.
 *
 * Exit codes: 0 done, 64 bad usage, 69 herdd not reachable (or
 * stopping), 76 herdd's reply made no sense, 77 permission denied.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "herd.h"

#define HERDCTL_DEFAULT_PATH	"/run/herd/herdd.sock"
#define HERDCTL_TIMEOUT_MS	5000
#define HERDCTL_REPLY_MAX	(1024 * 1024)
#define TOP_MAX_WORKERS		2048
#define TOP_BAR			40

static const char herdctl_usage[] =
"Usage: herdctl [OPTION]... COMMAND\n"
"Ask a running herdd (started with --control PATH) what it is doing,\n"
"or tell it what to do.\n"
"\n"
"Commands:\n"
"  status [--json]    per worker: pid, generation, state, connections\n"
"                     served, active, bytes in and out, uptime; then\n"
"                     totals (--json: one line of JSON)\n"
"  reload             start a new generation of workers (as SIGHUP)\n"
"  stop               drain and exit (as SIGTERM)\n"
"  workers +1|-1      one worker more or less (as SIGTTIN/SIGTTOU)\n"
"  top                a live view refreshed once a second: per worker,\n"
"                     a bar of connections served since the last\n"
"                     refresh, and the open ones; q or ^C quits\n"
"\n"
"Options:\n"
"  -c, --control PATH   herdd's control socket (default: $HERD_CONTROL,\n"
"                       else " HERDCTL_DEFAULT_PATH ")\n"
"      --json           status: print JSON\n"
"  -n, --iterations N   top: stop after N frames (default: until q)\n"
"  -h, --help           show this help and exit\n"
"  -V, --version        show the version and exit\n"
"\n"
"Exit: 0 done, 64 usage, 69 herdd not reachable, 76 a reply that makes\n"
"no sense, 77 permission denied.\n";

struct herdctl {
	const char	*path;
	int		 json;
	unsigned long	 iterations;	/* top; 0: until told */
};

static volatile sig_atomic_t herdctl_interrupted;

static void
herdctl_on_sigint(int signo)
{
	(void)signo;
	herdctl_interrupted = 1;
}

/* Connect to path; the fd, or -1 with the exit code in *rc. */
static int
herdctl_connect(const char *path, int *rc)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "herdctl: control path too long: %s\n", path);
		*rc = EX_USAGE;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "herdctl: socket: %s\n", strerror(errno));
		*rc = EX_OSERR;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		*rc = errno == EACCES || errno == EPERM ? EX_NOPERM :
		    EX_UNAVAILABLE;
		fprintf(stderr, "herdctl: %s: %s%s\n", path, strerror(errno),
		    *rc == EX_UNAVAILABLE ? " (is herdd running with "
		    "--control?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int
herdctl_send(int fd, const char *line)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Read until herdd closes, at most HERDCTL_TIMEOUT_MS; 0 or -1. */
static int
herdctl_read_all(int fd, struct herd_buf *reply)
{
	long long deadline = clock_ms() + HERDCTL_TIMEOUT_MS;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char *b;
	ssize_t n;
	int r;

	for (;;) {
		long long left = deadline - clock_ms();

		if (left <= 0)
			return -1;
		if ((r = poll(&p, 1, (int)left)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (reply->len >= HERDCTL_REPLY_MAX ||
		    (b = herd_buf_reserve(reply, 4096)) == NULL)
			return -1;
		n = recv(fd, b, 4096, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ECONNRESET && reply->len > 0 ? 0 : -1;
		if (n == 0)
			return 0;
		reply->len += (size_t)n;
	}
}

/*
 * Send one request and take the reply; its body (without the last
 * line) goes to body, NUL-terminated.  Returns an exit code.
 */
static int
herdctl_request(const char *path, const char *line, struct herd_buf *body)
{
	char *last, *end;
	int fd, rc;

	body->len = 0;
	if ((fd = herdctl_connect(path, &rc)) < 0)
		return rc;
	/*
	 * herdd may answer and close before reading (a refusal): a failed
	 * send is no verdict while its reply can still be read.
	 */
	if ((herdctl_send(fd, line) < 0 || herdctl_send(fd, "\n") < 0) &&
	    errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "herdctl: %s: send: %s\n", path,
		    strerror(errno));
		close(fd);
		return EX_UNAVAILABLE;
	}
	shutdown(fd, SHUT_WR);
	rc = herdctl_read_all(fd, body);
	close(fd);
	if (rc < 0 || body->len == 0 || body->data[body->len - 1] != '\n' ||
	    herd_buf_append(body, "", 1) < 0) {
		fprintf(stderr, "herdctl: %s: no complete reply to '%s'\n",
		    path, line);
		return EX_PROTOCOL;
	}
	end = (char *)body->data + body->len - 2;	/* the last '\n' */
	*end = '\0';
	last = strrchr((char *)body->data, '\n');
	last = last == NULL ? (char *)body->data : last + 1;
	body->len = (size_t)(last - (char *)body->data);
	if (strcmp(last, "ok") == 0) {
		body->data[body->len] = '\0';
		return EX_OK;
	}
	if (strncmp(last, "error: ", 7) != 0) {
		fprintf(stderr, "herdctl: %s: unexpected reply '%.60s'\n",
		    path, last);
		return EX_PROTOCOL;
	}
	fprintf(stderr, "herdctl: herdd says: %s\n", last + 7);
	if (strncmp(last + 7, "permission denied", 17) == 0)
		return EX_NOPERM;
	if (strcmp(last + 7, "herdd is stopping") == 0)
		return EX_UNAVAILABLE;
	return EX_PROTOCOL;
}

/* status, reload, stop, workers: one request, the reply printed. */
static int
herdctl_simple(const struct herdctl *hc, const char *line)
{
	struct herd_buf body = { 0 };
	int rc = herdctl_request(hc->path, line, &body);

	if (rc == EX_OK && body.len > 0)
		fwrite(body.data, 1, body.len, stdout);
	else if (rc == EX_OK && strncmp(line, "status", 6) != 0)
		printf("ok\n");
	herd_buf_free(&body);
	return rc;
}

/* --- top ------------------------------------------------------------ */

struct top_worker {
	long			pid;
	unsigned		gen;
	char			state[16];
	unsigned long long	served, active;
};

struct top {
	struct top_worker	prev[TOP_MAX_WORKERS];
	size_t			nprev;
	int			tty;
	struct termios		saved;
	int			raw;	/* saved holds the terminal's mode */
};

/* What pid had served at the last frame (0 for a new worker). */
static unsigned long long
top_prev_served(const struct top *t, long pid)
{
	size_t i;

	for (i = 0; i < t->nprev; i++)
		if (t->prev[i].pid == pid)
			return t->prev[i].served;
	return 0;
}

/* The worker rows of a status table; how many, or -1 if malformed. */
static int
top_parse(char *text, struct top_worker *w, size_t max, char **head,
    char **total)
{
	char *line, *save = NULL;
	unsigned slot;
	size_t n = 0;

	*head = *total = NULL;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "herdd ", 6) == 0)
			*head = line;
		else if (strncmp(line, "total:", 6) == 0)
			*total = line;
		else if (n < max && sscanf(line, "%u %ld %u %15s %llu %llu",
		    &slot, &w[n].pid, &w[n].gen, w[n].state, &w[n].served,
		    &w[n].active) == 6)
			n++;
	}
	return *head != NULL && *total != NULL ? (int)n : -1;
}

static void
top_bar(unsigned long long v, unsigned long long max)
{
	unsigned long long i, len = max == 0 ? 0 : (v * TOP_BAR + max - 1) /
	    max;

	for (i = 0; i < len; i++)
		putchar('#');
}

static void
top_frame(struct top *t, const struct top_worker *w, size_t n,
    const char *head, const char *total)
{
	static unsigned long long delta[TOP_MAX_WORKERS];
	unsigned long long max = 0, prev;
	size_t i;

	for (i = 0; i < n; i++) {
		prev = top_prev_served(t, w[i].pid);
		delta[i] = w[i].served >= prev ? w[i].served - prev :
		    w[i].served;
		if (delta[i] > max)
			max = delta[i];
	}
	if (t->tty)
		fputs("\033[H\033[2J", stdout);
	printf("%s\n%8s %4s %-10s %6s %7s  %s\n", head, "PID", "GEN",
	    "STATE", "ACTIVE", "NEW", "served since the last frame");
	for (i = 0; i < n; i++) {
		printf("%8ld %4u %-10s %6llu %7llu  ", w[i].pid, w[i].gen,
		    w[i].state, w[i].active, delta[i]);
		top_bar(delta[i], max);
		putchar('\n');
	}
	printf("%s\n", total);
	if (!t->tty)
		putchar('\n');
	fflush(stdout);
	memcpy(t->prev, w, n * sizeof *w);
	t->nprev = n;
}

/* A terminal on stdin: keys without Enter, no echo (q quits). */
static void
top_keys_raw(struct top *t)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
		return;
	raw = t->saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		t->raw = 1;
}

/* Sleep ms, or less if q is pressed or ^C comes: 1 then. */
static int
top_pause(const struct top *t, int ms)
{
	long long until = clock_ms() + ms;
	struct pollfd p = { .fd = t->raw ? STDIN_FILENO : -1,
	    .events = POLLIN };
	char c;

	while (!herdctl_interrupted) {
		long long left = until - clock_ms();

		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) > 0 && read(STDIN_FILENO, &c,
		    1) == 1 && (c == 'q' || c == 'Q'))
			return 1;
	}
	return 1;
}

static int
herdctl_top(const struct herdctl *hc)
{
	static struct top t;
	static struct top_worker w[TOP_MAX_WORKERS];
	struct herd_buf body = { 0 };
	struct sigaction sa;
	unsigned long frames = 0;
	char *head, *total;
	int n, rc = EX_OK;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = herdctl_on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t.tty = isatty(STDOUT_FILENO);
	top_keys_raw(&t);
	while (!herdctl_interrupted) {
		if ((rc = herdctl_request(hc->path, "status", &body)) != EX_OK)
			break;
		if ((n = top_parse((char *)body.data, w, TOP_MAX_WORKERS,
		    &head, &total)) < 0) {
			fprintf(stderr, "herdctl: a status reply without "
			    "its header or total\n");
			rc = EX_PROTOCOL;
			break;
		}
		top_frame(&t, w, (size_t)n, head, total);
		if (hc->iterations != 0 && ++frames >= hc->iterations)
			break;
		if (top_pause(&t, 1000))
			break;
	}
	if (t.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t.saved);
	herd_buf_free(&body);
	return rc;
}

/* --- command line --------------------------------------------------- */

static int
herdctl_bad_usage(const char *what)
{
	fprintf(stderr, "herdctl: %s\nTry 'herdctl --help' for more "
	    "information.\n", what);
	return EX_USAGE;
}

/* Options, before the command or after it ("status --json"). */
static int
herdctl_options(struct herdctl *hc, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control",	required_argument,	NULL, 'c' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "iterations",	required_argument,	NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	char msg[160], *end;
	int c;

	opterr = 0;
	/* '+': stop at the command, so "workers -1" stays an argument. */
	while ((c = getopt_long(argc, argv, "+:c:n:hV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			hc->path = optarg;
			break;
		case 'j':
			hc->json = 1;
			break;
		case 'n':
			errno = 0;
			hc->iterations = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || *optarg == '-' ||
			    hc->iterations == 0) {
				snprintf(msg, sizeof msg, "bad --iterations "
				    "'%s': expected a count of 1 or more",
				    optarg);
				return herdctl_bad_usage(msg);
			}
			break;
		case 'h':
			fputs(herdctl_usage, stdout);
			exit(EX_OK);
		case 'V':
			printf("herdctl (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			exit(EX_OK);
		case ':':
			snprintf(msg, sizeof msg, "option '%s' needs a value",
			    argv[optind - 1]);
			return herdctl_bad_usage(msg);
		default:
			snprintf(msg, sizeof msg, "unknown option '%s'",
			    argv[optind - 1]);
			return herdctl_bad_usage(msg);
		}
	}
	return EX_OK;
}

int
main(int argc, char **argv)
{
	struct herdctl hc = { 0 };
	const char *cmd;
	char **rest;
	int nrest, rc;

	hc.path = getenv("HERD_CONTROL");
	if (hc.path == NULL || *hc.path == '\0')
		hc.path = HERDCTL_DEFAULT_PATH;
	if ((rc = herdctl_options(&hc, argc, argv)) != EX_OK)
		return rc;
	if (optind >= argc)
		return herdctl_bad_usage("no command: status, reload, stop, "
		    "workers +1|-1 or top");
	cmd = argv[optind];
	rest = argv + optind;
	nrest = argc - optind;
	if (strcmp(cmd, "workers") == 0) {
		if (nrest != 2 || (strcmp(rest[1], "+1") != 0 &&
		    strcmp(rest[1], "-1") != 0))
			return herdctl_bad_usage("workers takes +1 or -1");
		return herdctl_simple(&hc, strcmp(rest[1], "+1") == 0 ?
		    "workers +1" : "workers -1");
	}
	/* The other commands may take options after them. */
	optind = 0;
	if ((rc = herdctl_options(&hc, nrest, rest)) != EX_OK)
		return rc;
	if (optind < nrest)
		return herdctl_bad_usage("too many arguments");
	if (strcmp(cmd, "status") == 0)
		return herdctl_simple(&hc, hc.json ? "status json" : "status");
	if (hc.json)
		return herdctl_bad_usage("--json goes with status");
	if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "stop") == 0)
		return herdctl_simple(&hc, cmd);
	if (strcmp(cmd, "top") == 0)
		return herdctl_top(&hc);
	return herdctl_bad_usage("unknown command: expected status, reload, "
	    "stop, workers +1|-1 or top");
}
