/*
 * test-api.c - the public API of herd.h, through the shared library
 * as a program would use it: this test links libherd.so and sees only
 * what it exports.
 *
 * A server runs in a thread of the test (or in a child for the signal
 * tests) on a loopback port it bound itself (port 0), serves a handler
 * the test registers, and is stopped with herd_server_stop(); every
 * wait is bounded.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "herd.h"
#include "harness.h"

#define T_IO	20000		/* ms for an exchange */
#define T_STOP	8000		/* ms for a stop; under the 10 s drain */

TestSuite(api, .timeout = 90);

/*
 * The test's handler: greets the peer by address, echoes, and at the
 * half-close says how many bytes this connection carried.  The count
 * shows the per-connection state is the connection's own.
 */
struct tally {
	size_t	bytes;
};

static int
tally_open(void *st, const struct herd_peer *peer, struct herd_buf *out)
{
	char hello[128];
	int n;

	(void)st;
	n = snprintf(hello, sizeof hello, "hi %s\n", peer->host);
	return herd_buf_append(out, hello, (size_t)n) < 0 ? HERD_ERROR :
	    HERD_CONTINUE;
}

static int
tally_data(void *arg, const void *in, size_t len, struct herd_buf *out)
{
	struct tally *st = arg;
	char end[32];
	int n;

	if (len == 0) {
		n = snprintf(end, sizeof end, "[%zu]\n", st->bytes);
		return herd_buf_append(out, end, (size_t)n) < 0 ?
		    HERD_ERROR : HERD_CLOSE;
	}
	st->bytes += len;
	return herd_buf_append(out, in, len) < 0 ? HERD_ERROR : HERD_CONTINUE;
}

static const struct herd_handler tally_handler = {
	.name = "tally",
	.summary = "greet, echo, count",
	.state_size = sizeof(struct tally),
	.on_open = tally_open,
	.on_data = tally_data,
};

/* A new server listening on a free loopback port for handler. */
static struct herd_server *
server_on(const char *handler, int *port)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_not_null(srv);
	if (herd_handler_find("tally") == NULL)
		cr_assert_eq(herd_handler_register(&tally_handler), 0);
	*port = herd_server_listen(srv, "127.0.0.1:0", handler);
	cr_assert_gt(*port, 0, "listen: %s", herd_server_error(srv));
	return srv;
}

/*
 * Send msg, half-close, and expect exactly want back.
 *
 * Under reuseport the master closes the socket herd_server_listen()
 * bound and each worker binds its own, so a client that comes in
 * between is refused, or reset if it was queued on the master's: that
 * is the model, and such a client tries again, for a bounded time.
 */
static void
expect_reply(int port, const char *msg, const char *want)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	long long t0 = now_ms();
	char got[4096];
	ssize_t n = -1;
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	while (now_ms() - t0 < T_IO) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert(fd >= 0, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0)
			n = client_exchange(fd, msg, strlen(msg), got,
			    sizeof got - 1, T_IO);
		else
			cr_assert_eq(errno, ECONNREFUSED, "connect %d: %s",
			    port, strerror(errno));
		close(fd);
		if (n >= 0)
			break;
		poll(NULL, 0, 20);
	}
	cr_assert_geq(n, 0, "exchange with port %d", port);
	got[n] = '\0';
	cr_assert_str_eq(got, want);
}

/* The server in a thread of ours, as a program embedding herd would. */
struct runner {
	struct herd_server	*srv;
	pthread_t		 thread;
	int			 rc;
};

static void *
runner_main(void *arg)
{
	struct runner *r = arg;

	r->rc = herd_server_run(r->srv);
	return NULL;
}

/*
 * herd.h asks threaded programs to block the server's signals in their
 * other threads, so that SIGCHLD and SIGTERM reach the server's.
 */
static void
block_server_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP,
	    SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU };
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&set, sigs[i]);
	cr_assert_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
}

static void
runner_start(struct runner *r, struct herd_server *srv)
{
	block_server_signals();
	r->srv = srv;
	r->rc = -2;
	cr_assert_eq(pthread_create(&r->thread, NULL, runner_main, r), 0);
}

/* Wait up to ms for the run to return; its return value. */
static int
runner_join(struct runner *r, int ms)
{
	struct timespec ts;
	int e;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	e = pthread_timedjoin_np(r->thread, NULL, &ts);
	cr_assert_eq(e, 0, "herd_server_run returned in %d ms: %s", ms,
	    strerror(e));
	return r->rc;
}

static void
serve_tally_under(const char *model)
{
	struct herd_server *srv;
	struct runner r;
	long long t0;
	int port;

	srv = server_on("tally", &port);
	cr_assert_eq(herd_server_set_model(srv, model), 0, "%s",
	    herd_server_error(srv));
	runner_start(&r, srv);
	expect_reply(port, "one\ntwo\n", "hi 127.0.0.1\none\ntwo\n[8]\n");
	/* A second connection starts from a zeroed state. */
	expect_reply(port, "x", "hi 127.0.0.1\nx[1]\n");
	t0 = now_ms();
	herd_server_stop(srv);
	cr_assert_eq(runner_join(&r, T_STOP), 0, "model %s: %s", model,
	    herd_server_error(srv));
	cr_assert_lt(now_ms() - t0, T_STOP);
	herd_server_free(srv);
}

Test(api, custom_handler_served_under_iterative)
{
	serve_tally_under("iterative");
}

Test(api, custom_handler_served_under_every_model)
{
	const char *name;
	size_t i;

	for (i = 0; (name = herd_model_at(i, NULL)) != NULL; i++)
		serve_tally_under(name);
	cr_assert_geq(i, 2);
}

/*
 * Over UDP a datagram is one whole exchange: open (which sees the
 * sender), the bytes, the end (len 0), close; one reply datagram.
 */
Test(api, custom_handler_answers_a_datagram_and_sees_its_sender)
{
	struct herd_server *srv = herd_server_new();
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct runner r;
	char got[256];
	ssize_t n;
	int fd, port;

	cr_assert_not_null(srv);
	if (herd_handler_find("tally") == NULL)
		cr_assert_eq(herd_handler_register(&tally_handler), 0);
	port = herd_server_listen(srv, "udp:127.0.0.1:0", "tally");
	cr_assert_gt(port, 0, "listen: %s", herd_server_error(srv));
	runner_start(&r, srv);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	/* The socket is bound: the datagram waits for the server's poll. */
	cr_assert_eq(send(fd, "abc", 3, 0), 3);
	cr_assert(readable_within(fd, T_IO), "no reply");
	n = recv(fd, got, sizeof got - 1, 0);
	cr_assert_gt(n, 0);
	got[n] = '\0';
	cr_assert_str_eq(got, "hi 127.0.0.1\nabc[3]\n");
	close(fd);
	herd_server_stop(srv);
	cr_assert_eq(runner_join(&r, T_STOP), 0, "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, builtin_handler_served_by_name)
{
	struct herd_server *srv;
	struct runner r;
	int port;

	srv = server_on("rot13", &port);
	runner_start(&r, srv);
	expect_reply(port, "Hello, World", "Uryyb, Jbeyq");
	herd_server_stop(srv);
	cr_assert_eq(runner_join(&r, T_STOP), 0);
	herd_server_free(srv);
}

Test(api, two_listeners_each_serve_their_handler)
{
	struct herd_server *srv;
	struct runner r;
	int port, port2;

	srv = server_on("tally", &port);
	port2 = herd_server_listen(srv, "127.0.0.1:0", "echo");
	cr_assert_gt(port2, 0, "%s", herd_server_error(srv));
	cr_assert_neq(port, port2);
	cr_assert_eq(herd_server_set_model(srv, "fork"), 0);
	runner_start(&r, srv);
	expect_reply(port2, "plain echo", "plain echo");
	expect_reply(port, "ab", "hi 127.0.0.1\nab[2]\n");
	herd_server_stop(srv);
	cr_assert_eq(runner_join(&r, T_STOP), 0);
	herd_server_free(srv);
}

Test(api, stop_before_run_makes_run_return)
{
	int port;
	struct herd_server *srv = server_on("echo", &port);
	long long t0 = now_ms();

	herd_server_stop(srv);
	cr_assert_eq(herd_server_run(srv), 0, "%s", herd_server_error(srv));
	cr_assert_lt(now_ms() - t0, T_STOP);
	herd_server_free(srv);
}

static struct herd_server *stop_me;

static void
stop_on_signal(int signo)
{
	(void)signo;
	herd_server_stop(stop_me);
}

Test(api, stop_from_a_signal_handler)
{
	struct sigaction sa;
	struct runner r;
	int port;

	stop_me = server_on("tally", &port);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_on_signal;
	cr_assert_eq(sigaction(SIGRTMIN, &sa, NULL), 0);
	runner_start(&r, stop_me);
	expect_reply(port, "z", "hi 127.0.0.1\nz[1]\n");
	/* SIGRTMIN is not the server's: this thread takes it. */
	cr_assert_eq(pthread_kill(pthread_self(), SIGRTMIN), 0);
	cr_assert_eq(runner_join(&r, T_STOP), 0);
	herd_server_free(stop_me);
}

Test(api, run_returns_with_signal_settings_put_back)
{
	struct sigaction sa, got;
	sigset_t before, after;
	int port;
	struct herd_server *srv = server_on("echo", &port);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop_on_signal;		/* any function of ours */
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	herd_server_stop(srv);
	cr_assert_eq(herd_server_run(srv), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	cr_assert_eq(sigismember(&after, SIGTERM), sigismember(&before,
	    SIGTERM), "signal mask put back");
	cr_assert_eq(sigaction(SIGUSR1, NULL, &got), 0);
	cr_assert(got.sa_handler == stop_on_signal, "our handler is back");
	cr_assert_eq(sigaction(SIGPIPE, NULL, &got), 0);
	cr_assert(got.sa_handler == SIG_DFL, "SIGPIPE no longer ignored");
	herd_server_free(srv);
}

Test(api, a_server_runs_once)
{
	int port;
	struct herd_server *srv = server_on("echo", &port);

	herd_server_stop(srv);
	cr_assert_eq(herd_server_run(srv), 0);
	cr_assert_eq(herd_server_run(srv), -1);
	cr_assert(strstr(herd_server_error(srv), "runs once") != NULL, "%s",
	    herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, second_server_refused_while_one_runs)
{
	struct herd_server *a, *b;
	struct runner r;
	int port, port2;

	a = server_on("tally", &port);
	b = server_on("echo", &port2);
	runner_start(&r, a);
	expect_reply(port, "q", "hi 127.0.0.1\nq[1]\n");	/* a runs */
	cr_assert_eq(herd_server_run(b), -1);
	cr_assert(strstr(herd_server_error(b), "another server") != NULL,
	    "%s", herd_server_error(b));
	herd_server_stop(a);
	cr_assert_eq(runner_join(&r, T_STOP), 0);
	herd_server_free(a);
	herd_server_free(b);
}

/* A server in a child's main thread, stopped by SIGTERM as herdd is. */
Test(api, sigterm_stops_a_server_in_its_main_thread)
{
	pid_t parent = getpid(), pid;
	int pfd[2], port = 0, status = -1;
	long long t0;

	cr_assert_eq(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		struct herd_server *srv = herd_server_new();

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != parent)
			_exit(3);
		port = herd_server_listen(srv, "127.0.0.1:0", "echo");
		if (write(pfd[1], &port, sizeof port) != sizeof port)
			_exit(4);
		_exit(herd_server_run(srv) == 0 ? 0 : 5);
	}
	cr_assert_gt(pid, 0);
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], &port, sizeof port), (ssize_t)sizeof port);
	cr_assert_gt(port, 0);
	expect_reply(port, "still echo", "still echo");
	kill(pid, SIGTERM);
	for (t0 = now_ms(); now_ms() - t0 < T_STOP; ) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		poll(NULL, 0, 20);
	}
	if (status == -1)
		kill(pid, SIGKILL);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 after SIGTERM (0x%x)", status);
}

Test(api, bad_listen_spec_is_refused_with_a_reason)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_eq(herd_server_listen(srv, "not a port", "echo"), -1);
	cr_assert_str_eq(herd_server_error(srv), "bad listen address "
	    "'not a port=echo': expected [udp:][ADDR:]PORT[=HANDLER[,proxy]]");
	cr_assert_eq(herd_server_listen(srv, "::1:7007", "echo"), -1);
	cr_assert(strstr(herd_server_error(srv), "in brackets") != NULL,
	    "%s", herd_server_error(srv));
	cr_assert_eq(herd_server_listen(srv, "7007=rot13", "echo"), -1);
	cr_assert(strstr(herd_server_error(srv), "argument of its own") !=
	    NULL, "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, unknown_handler_is_refused)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_eq(herd_server_listen(srv, "127.0.0.1:0", "nosuch"), -1);
	cr_assert(strstr(herd_server_error(srv), "unknown handler 'nosuch'")
	    != NULL, "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, taken_port_is_refused_at_listen)
{
	char spec[32];
	int port;
	struct herd_server *srv = server_on("echo", &port);

	snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
	cr_assert_eq(herd_server_listen(srv, spec, "echo"), -1);
	cr_assert(strstr(herd_server_error(srv), "Address already in use")
	    != NULL, "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, run_without_listeners_fails)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_eq(herd_server_run(srv), -1);
	cr_assert(strstr(herd_server_error(srv), "nothing to serve") != NULL,
	    "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, unknown_model_is_refused_and_the_old_one_kept)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_eq(herd_server_set_model(srv, "fork"), 0);
	cr_assert_eq(herd_server_set_model(srv, "nosuch"), -1);
	cr_assert(strstr(herd_server_error(srv), "unknown model 'nosuch'") !=
	    NULL, "%s", herd_server_error(srv));
	/* The refused word is forgotten: later settings still parse. */
	cr_assert_eq(herd_server_set_workers(srv, 2), 0, "%s",
	    herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, settings_are_checked_as_herdd_checks_flags)
{
	struct herd_server *srv = herd_server_new();

	cr_assert_eq(herd_server_set_workers(srv, 0), -1);
	cr_assert_str_eq(herd_server_error(srv),
	    "bad --workers '0': expected 1 to 1024");
	cr_assert_eq(herd_server_set_threads(srv, 8), 0);
	cr_assert_eq(herd_server_set_option(srv, "shutdown-timeout", "3"), 0);
	cr_assert_eq(herd_server_set_option(srv, "resolve", NULL), 0);
	cr_assert_eq(herd_server_set_option(srv, "accept-lock", "bogus"), -1);
	cr_assert(strstr(herd_server_error(srv), "--accept-lock") != NULL);
	cr_assert_eq(herd_server_set_option(srv, "bogus", "1"), -1);
	cr_assert(strstr(herd_server_error(srv), "unknown option") != NULL);
	cr_assert_eq(herd_server_set_option(srv, "--workers", "2"), -1);
	cr_assert_eq(herd_server_set_option(srv, "listen", "7007"), -1);
	cr_assert(strstr(herd_server_error(srv), "herd_server_listen") !=
	    NULL);
	cr_assert_eq(herd_server_set_option(srv, "help", NULL), -1);
	cr_assert(strstr(herd_server_error(srv), "no server setting") !=
	    NULL, "%s", herd_server_error(srv));
	herd_server_free(srv);
}

Test(api, models_and_version_are_listed)
{
	const char *name, *summary = NULL;
	int iterative = 0, fork = 0;
	size_t i;

	for (i = 0; (name = herd_model_at(i, &summary)) != NULL; i++) {
		cr_assert(summary != NULL && *summary != '\0');
		iterative |= strcmp(name, "iterative") == 0;
		fork |= strcmp(name, "fork") == 0;
	}
	cr_assert(iterative && fork);
	cr_assert_str_eq(herd_version(), PACKAGE_VERSION);
}

Test(api, handler_names_are_unique)
{
	cr_assert_eq(herd_handler_register(&tally_handler), 0);
	cr_assert_eq(herd_handler_register(&tally_handler), -1);
	cr_assert_eq(errno, EEXIST);
	cr_assert(herd_handler_find("tally") == &tally_handler);
}

/* A program may set the server up from inside its own getopt loop. */
Test(api, settings_leave_the_callers_getopt_state_alone)
{
	struct herd_server *srv = herd_server_new();
	char arg[] = "fork";

	optind = 3;
	opterr = 1;
	optopt = 'x';
	optarg = arg;
	cr_assert_eq(herd_server_set_model(srv, "fork"), 0);
	cr_assert_eq(herd_server_set_model(srv, "nosuch"), -1);
	cr_assert_eq(optind, 3);
	cr_assert_eq(opterr, 1);
	cr_assert_eq(optopt, 'x');
	cr_assert(optarg == arg);
	herd_server_free(srv);
}

Test(api, listen_spec_may_name_the_handler_as_herdd_does)
{
	struct herd_server *srv = herd_server_new();
	struct runner r;
	int port;

	port = herd_server_listen(srv, "127.0.0.1:0=rot13", NULL);
	cr_assert_gt(port, 0, "%s", herd_server_error(srv));
	runner_start(&r, srv);
	expect_reply(port, "abc", "nop");
	herd_server_stop(srv);
	cr_assert_eq(runner_join(&r, T_STOP), 0);
	herd_server_free(srv);
}
