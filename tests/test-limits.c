/*
 * test-limits.c - herdd against hostile clients and scarce descriptors:
 * --timeout closes idle and slowloris connections in every model,
 * --max-conns caps live connections in every model, and running out
 * of descriptors pauses accepting without spinning.
 *
 * Every wait is a bounded poll; nothing sleeps a fixed time to "let
 * the server get there".
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define SLOW_CONNS	100
#define SLOW_GAP_MS	1500	/* > --timeout 1: each gap is idle */
#define EXHAUST_CONNS	200

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

/* herdd under model with extra arguments (NULL-terminated, up to 6). */
static void
start(const char *model, const char *const *extra)
{
	const char *args[12] = { "--model", model, "-vv" };
	int n = 3;

	while (extra != NULL && *extra != NULL && n < 11)
		args[n++] = *extra++;
	args[n] = NULL;
	herdd_start_model(&d, model, "echo", args, 10000);
}

/* A connection the server is serving (it echoed a byte); the fd. */
static int
served_client(void)
{
	char c;
	int fd = client_connect(d.port[0]);

	cr_assert_eq(client_roundtrip(fd, "x", 1, &c, 1, 5000), 1,
	    "echo before going idle\n%s", herdd_log(&d));
	return fd;
}

/* Wait up to ms for the server to close fd: 1 closed, 0 still open. */
static int
closed_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[64];
	long long end = now_ms() + ms;
	ssize_t n;

	while (now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
	}
	return 0;
}

static void
check_idle_closed(const char *model)
{
	const char *extra[] = { "--timeout", "1", NULL };
	long long t0;
	int fd;

	start(model, extra);
	fd = served_client();
	t0 = now_ms();
	cr_assert(closed_within(fd, 2000), "closed within 1+1 s\n%s",
	    herdd_log(&d));
	cr_assert_geq(now_ms() - t0, 900, "not before the timeout");
	cr_assert(herdd_log_wait(&d, "idle 1 s, closing", 2000), "%s",
	    herdd_log(&d));
	close(fd);
}

static void
check_timeout_0_keeps_open(const char *model)
{
	const char *extra[] = { "--timeout", "0", NULL };
	char c;
	int fd;

	start(model, extra);
	fd = served_client();
	cr_assert_not(closed_within(fd, 1500), "still open after 1.5 s\n%s",
	    herdd_log(&d));
	cr_assert_eq(client_roundtrip(fd, "y", 1, &c, 1, 5000), 1);
	close(fd);
}

/* A fresh normal client gets its echo; 1 or 0. */
static int
normal_client(void)
{
	char reply[8];
	int fd = client_try_connect(d.port[0]);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = client_exchange(fd, "hello", 5, reply, sizeof reply, 1500);
	close(fd);
	return n == 5 && memcmp(reply, "hello", 5) == 0;
}

/* A normal client served within ms (its exchange waits that long). */
static int
normal_client_within(int ms)
{
	char reply[8];
	int fd = client_try_connect(d.port[0]);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = client_exchange(fd, "hello", 5, reply, sizeof reply, ms);
	close(fd);
	return n == 5 && memcmp(reply, "hello", 5) == 0;
}

static int	count_in_log(const char *);

/*
 * Wait up to ms until each of the n fds has something to read (its
 * echo, or the end of the connection): 1 when all had, 0 otherwise.
 */
static int
all_answered(const int *fd, int n, int ms)
{
	long long end = now_ms() + ms;
	struct pollfd pfd;
	int done, i;

	do {
		for (done = 0, i = 0; i < n; i++) {
			pfd.fd = fd[i];
			pfd.events = POLLIN;
			done += poll(&pfd, 1, 0) == 1;
		}
		if (done == n)
			return 1;
		poll(NULL, 0, 10);
	} while (now_ms() < end);
	return 0;
}

/*
 * SLOW_CONNS clients trickle a byte every SLOW_GAP_MS; all are closed
 * about --timeout after their last byte, while a normal client is
 * served every 100 ms throughout.
 */
static void
check_slowloris(const char *model, const char *const *extra, int workers)
{
	int fd[SLOW_CONNS], open_n = SLOW_CONNS, served = 0, failed = 0, i;
	int tick;
	long long t0, next_byte, next_normal;
	struct pollfd pfd;
	char buf[16];

	start(model, extra);
	/* A worker that starts late would start a slow client's clock late. */
	for (i = 0; i < 100 && count_in_log("started in slot") < workers; i++)
		poll(NULL, 0, 100);
	cr_assert_geq(count_in_log("started in slot"), workers, "%s",
	    herdd_log(&d));
	for (i = 0; i < SLOW_CONNS; i++) {
		fd[i] = client_connect(d.port[0]);
		cr_assert_eq(send(fd[i], "s", 1, MSG_NOSIGNAL), 1);
	}
	/*
	 * The clock starts once every slow client is being served (its
	 * first byte came back): a fork per connection on a loaded machine
	 * takes a while to reach the hundredth, and the test is about the
	 * timeout, not about how fast a model starts serving.
	 */
	cr_assert_eq(all_answered(fd, SLOW_CONNS, 10000), 1, "not every "
	    "slow client was served within 10 s\n%s", herdd_log(&d));
	t0 = now_ms();
	next_byte = t0 + SLOW_GAP_MS;
	next_normal = t0;
	while (open_n > 0 && now_ms() - t0 < 8000) {
		if (now_ms() >= next_normal) {
			if (normal_client())
				served++;
			else
				failed++;
			next_normal = now_ms() + 100;
		}
		tick = now_ms() >= next_byte;
		for (i = 0; i < SLOW_CONNS; i++) {
			if (fd[i] < 0)
				continue;
			pfd.fd = fd[i];
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) == 1 &&
			    recv(fd[i], buf, sizeof buf, MSG_DONTWAIT) <= 0) {
				close(fd[i]);
				fd[i] = -1;
				open_n--;
				continue;
			}
			if (tick)	/* the echo is read: it is still open */
				send(fd[i], "s", 1, MSG_NOSIGNAL);
		}
		if (tick)
			next_byte += SLOW_GAP_MS;
		poll(NULL, 0, 10);
	}
	for (i = 0; i < SLOW_CONNS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	cr_assert_eq(open_n, 0, "%d slowloris connections still open "
	    "after 8 s\n%s", open_n, herdd_log(&d));
	/*
	 * Every gap between bytes is longer than --timeout, so a server
	 * that honours it closes them all; one that does not (or waits
	 * longer than a gap) never does.  Each is due --timeout after its
	 * echo, before the first tick; the bound allows a gap and more of
	 * lateness on a loaded machine.
	 */
	cr_assert_lt(now_ms() - t0, 2 * SLOW_GAP_MS + 1500, "closed at the "
	    "timeout, not later");
	cr_assert_eq(failed, 0, "normal client failed %d times (served %d)",
	    failed, served);
	cr_assert_geq(served, 5, "normal client served throughout");
}

/* utime + stime of pid and its children, in clock ticks. */
static long
cpu_ticks(pid_t pid)
{
	pid_t kids[64];
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	long total = 0;
	int i, n;
	FILE *f;

	n = proc_children(pid, kids, 63);
	if (n < 0)
		n = 0;
	kids[n++] = pid;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)kids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof buf, f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu", &ut, &st) == 2)
			total += (long)(ut + st);
		fclose(f);
	}
	return total;
}

static int
count_in_log(const char *text)
{
	const char *p = herdd_log(&d);
	int n = 0;

	while ((p = strstr(p, text)) != NULL) {
		n++;
		p += strlen(text);
	}
	return n;
}

/*
 * A connect that does not wait: beyond the backlog Linux drops the
 * SYN and a blocking connect would retry for seconds.  The fd or -1.
 */
static int
client_connect_nowait(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * RLIMIT_NOFILE 64 and EXHAUST_CONNS clients that hold on: herdd
 * pauses (CPU stays under 0.5 s over 2 s), says so once, and serves
 * normally once the clients leave.  exhausts: the model runs out of
 * descriptors (one holding a connection per worker never does); then
 * the whole episode, the backlog's rush included once the clients
 * leave, logs one "pausing accepts" and one "accepting again".
 */
static void
check_exhaustion(const char *model, const char *const *extra, int exhausts)
{
	int fd[EXHAUST_CONNS], i;
	long hz = sysconf(_SC_CLK_TCK), before, used;

	setenv("HARNESS_NOFILE", "64", 1);
	start(model, extra);
	unsetenv("HARNESS_NOFILE");
	for (i = 0; i < EXHAUST_CONNS; i++)
		fd[i] = client_connect_nowait(d.port[0]);
	if (exhausts)
		cr_assert(herdd_log_wait(&d, "pausing accepts", 5000), "%s",
		    herdd_log(&d));
	before = cpu_ticks(d.pid);
	poll(NULL, 0, 2000);	/* the span CPU time is measured over */
	used = cpu_ticks(d.pid) - before;
	cr_assert_lt(used, hz / 2, "%ld ticks of CPU in 2 s: spinning\n%s",
	    used, herdd_log(&d));
	if (exhausts)
		cr_assert_eq(count_in_log("pausing accepts"), 1,
		    "logged once per episode\n%s", herdd_log(&d));
	for (i = 0; i < EXHAUST_CONNS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	for (i = 0; i < 50 && !normal_client(); i++)
		poll(NULL, 0, 100);
	cr_assert(i < 50, "served once the clients left\n%s", herdd_log(&d));
	if (!exhausts)
		return;
	/* It ends at the first accept a quiet second after the last failed. */
	for (i = 0; i < 50 && count_in_log("accepting again") == 0; i++) {
		normal_client();
		poll(NULL, 0, 100);
	}
	cr_assert_eq(count_in_log("accepting again"), 1, "the episode ends "
	    "once\n%s", herdd_log(&d));
	cr_assert_eq(count_in_log("pausing accepts"), 1, "one warning for "
	    "the whole episode\n%s", herdd_log(&d));
}

/*
 * A client the server serves: it echoed a byte within 1 s.  Under
 * reuseport the kernel may queue a connection behind a worker busy
 * with another (the hash picks the socket): that one is reset and
 * another tried.  The fd, or -1 after 20 tries.
 */
static int
served_somewhere(void)
{
	struct linger lg = { 1, 0 };
	char c;
	int fd, i;

	for (i = 0; i < 20; i++) {
		fd = client_connect(d.port[0]);
		if (client_roundtrip(fd, "x", 1, &c, 1, 1000) == 1)
			return fd;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd);
	}
	return -1;
}

#define CAP	3

/*
 * --max-conns 3 (with workers and threads to spare): 3 clients are
 * served at once, a 4th connects (the backlog) but gets no reply until
 * one of them leaves, then it is served; once all leave, 3 more are.
 * live: how many the model serves at once anyway (iterative: 1).
 */
static void
check_max_conns(const char *model, int live, const char *const *extra)
{
	const char *args[8] = { "--max-conns", "3" };
	int fd[CAP], last, i, n = 2;
	char c;

	while (extra != NULL && *extra != NULL && n < 7)
		args[n++] = *extra++;
	args[n] = NULL;
	start(model, args);
	for (i = 0; i < live; i++)
		cr_assert_geq(fd[i] = served_somewhere(), 0, "%s: client %d "
		    "of %d served\n%s", model, i + 1, live, herdd_log(&d));
	last = client_connect(d.port[0]);
	cr_assert_eq(send(last, "y", 1, MSG_NOSIGNAL), 1);
	cr_assert_not(readable_within(last, 300), "%s: client %d waits at "
	    "the cap\n%s", model, live + 1, herdd_log(&d));
	close(fd[0]);
	/*
	 * reuseport: the kernel may have queued it behind a worker still
	 * serving another client, so that one must leave too.
	 */
	if (strcmp(model, "reuseport") == 0 && !readable_within(last, 2000))
		for (i = 1; i < live; i++) {
			close(fd[i]);
			fd[i] = -1;
		}
	cr_assert(readable_within(last, 10000), "%s: served once one left\n%s",
	    model, herdd_log(&d));
	cr_assert_eq(recv(last, &c, 1, 0), 1);
	cr_assert_eq(c, 'y');
	close(last);
	for (i = 1; i < live; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	/* Every token came back. */
	for (i = 0; i < live; i++)
		cr_assert_geq(fd[i] = served_somewhere(), 0, "%s: again, "
		    "client %d of %d served\n%s", model, i + 1, live,
		    herdd_log(&d));
	for (i = 0; i < live; i++)
		close(fd[i]);
}

/*
 * --max-conns 2 and workers killed while they hold both connections:
 * the master gives their tokens back, so two new clients are served.
 */
static void
check_max_conns_reclaimed(const char *model, int workers)
{
	const char *args[] = { "--max-conns", "2", "-w", "1", NULL };
	pid_t kids[HARNESS_MAXKIDS];
	char w[8];
	int a, b, i, n;

	snprintf(w, sizeof w, "%d", workers);
	args[3] = w;
	start(model, args);
	cr_assert(herdd_wait_workers(&d, workers, NULL), "%s", herdd_log(&d));
	cr_assert_geq(a = served_somewhere(), 0, "%s", herdd_log(&d));
	cr_assert_geq(b = served_somewhere(), 0, "%s", herdd_log(&d));
	n = proc_live_children(d.pid, kids, HARNESS_MAXKIDS);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	cr_assert(closed_within(a, 5000) && closed_within(b, 5000),
	    "their worker died\n%s", herdd_log(&d));
	close(a);
	close(b);
	cr_assert_geq(a = served_somewhere(), 0, "tokens back\n%s",
	    herdd_log(&d));
	cr_assert_geq(b = served_somewhere(), 0, "both tokens back\n%s",
	    herdd_log(&d));
	close(a);
	close(b);
}

#define IDLE_TESTS(m)							\
Test(m, idle_timeout_closes_idle_connection) { check_idle_closed(#m); } \
Test(m, timeout_0_keeps_idle_connection_open)			\
				{ check_timeout_0_keeps_open(#m); }

TestSuite(iterative, .fini = stop_server, .timeout = 30);
TestSuite(fork, .fini = stop_server, .timeout = 30);
TestSuite(prefork, .fini = stop_server, .timeout = 30);
TestSuite(passfd, .fini = stop_server, .timeout = 30);
TestSuite(reuseport, .fini = stop_server, .timeout = 30);
TestSuite(thread, .fini = stop_server, .timeout = 30);
TestSuite(prethread, .fini = stop_server, .timeout = 30);
TestSuite(pool, .fini = stop_server, .timeout = 30);
TestSuite(hybrid, .fini = stop_server, .timeout = 30);
TestSuite(event, .fini = stop_server, .timeout = 30);

IDLE_TESTS(iterative)
IDLE_TESTS(fork)
IDLE_TESTS(prefork)
IDLE_TESTS(passfd)
IDLE_TESTS(reuseport)
IDLE_TESTS(thread)
IDLE_TESTS(prethread)
IDLE_TESTS(pool)
IDLE_TESTS(hybrid)
IDLE_TESTS(event)

#define CAP_ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })

Test(iterative, max_conns_caps_live_connections)
{
	check_max_conns("iterative", 1, NULL);
}
Test(fork, max_conns_caps_live_connections)
{
	check_max_conns("fork", CAP, NULL);
}
Test(prefork, max_conns_caps_live_connections)
{
	check_max_conns("prefork", CAP, CAP_ARGS("-w", "5"));
}
Test(passfd, max_conns_caps_live_connections)
{
	check_max_conns("passfd", CAP, CAP_ARGS("-w", "5"));
}
Test(reuseport, max_conns_caps_live_connections)
{
	check_max_conns("reuseport", CAP, CAP_ARGS("-w", "16"));
}
Test(thread, max_conns_caps_live_connections)
{
	check_max_conns("thread", CAP, NULL);
}
Test(prethread, max_conns_caps_live_connections)
{
	check_max_conns("prethread", CAP, CAP_ARGS("-t", "5"));
}
Test(pool, max_conns_caps_live_connections)
{
	check_max_conns("pool", CAP, CAP_ARGS("-t", "5"));
}
Test(hybrid, max_conns_caps_live_connections)
{
	check_max_conns("hybrid", CAP, CAP_ARGS("-w", "2", "-t", "4"));
}
Test(event, max_conns_caps_live_connections)
{
	check_max_conns("event", CAP, CAP_ARGS("-w", "2"));
}
Test(event, max_conns_tokens_of_a_killed_worker_come_back)
{
	check_max_conns_reclaimed("event", 1);
}
Test(prefork, max_conns_tokens_of_a_killed_worker_come_back)
{
	check_max_conns_reclaimed("prefork", 2);
}

/*
 * iterative serves one client at a time: a slowloris client holds the
 * server only until --timeout, then the next client is served.
 */
Test(iterative, slowloris_holds_the_server_only_until_timeout)
{
	const char *extra[] = { "--timeout", "1", NULL };
	long long t0;
	int slow;

	start("iterative", extra);
	slow = served_client();
	t0 = now_ms();
	cr_assert(normal_client_within(3000), "served after the slow one\n%s",
	    herdd_log(&d));
	cr_assert_geq(now_ms() - t0, 900, "waited for the timeout");
	cr_assert(closed_within(slow, 1000), "slow client closed");
	close(slow);
}

/* Enough workers for every slow client plus the normal one. */
#define SLOW_ARGS(...)						\
	((const char *const []){ "--timeout", "1", __VA_ARGS__, NULL })

Test(fork, slowloris_closed_at_timeout_while_serving)
{
	check_slowloris("fork", SLOW_ARGS("-v"), 0);
}
Test(prefork, slowloris_closed_at_timeout_while_serving)
{
	check_slowloris("prefork", SLOW_ARGS("-w", "110"), 110);
}
Test(thread, slowloris_closed_at_timeout_while_serving)
{
	check_slowloris("thread", SLOW_ARGS("-v"), 0);
}
Test(pool, slowloris_closed_at_timeout_while_serving)
{
	check_slowloris("pool", SLOW_ARGS("-t", "128"), 0);
}
Test(event, slowloris_closed_at_timeout_while_serving)
{
	check_slowloris("event", SLOW_ARGS("-w", "1"), 1);
}

Test(prefork, descriptor_exhaustion_queues_without_spinning)
{
	check_exhaustion("prefork", (const char *const []){ "-w", "2", NULL },
	    0);
}
Test(pool, descriptor_exhaustion_pauses_without_spinning)
{
	check_exhaustion("pool", NULL, 1);
}
Test(thread, descriptor_exhaustion_pauses_without_spinning)
{
	check_exhaustion("thread", (const char *const []){ "-w", "1", NULL },
	    1);
}
/* A hundred threads that accept share one episode: one warning. */
Test(prethread, descriptor_exhaustion_pauses_without_spinning)
{
	check_exhaustion("prethread", (const char *const []){ "-t", "100",
	    NULL }, 1);
}
Test(event, descriptor_exhaustion_pauses_without_spinning)
{
	check_exhaustion("event", (const char *const []){ "-w", "1", NULL },
	    1);
}
