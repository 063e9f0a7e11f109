/*
 * test-load.c - herd-load and herd-client end to end: against herdd
 * (started on a socket the test bound, see harness.h), against a
 * test-only server that corrupts one byte per reply, and against a
 * port nobody listens on.  The tools run as children that die with
 * the test; every wait is bounded.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include "harness.h"

#define T_RUN	60000		/* ms a tool run may take on a busy box */

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

TestSuite(load, .fini = stop_server, .timeout = 120);
TestSuite(client, .fini = stop_server, .timeout = 120);

/* A tool's exit code; its stdout in out. */
static int
run_tool(const char *const *argv, const char *input, char *out, size_t cap)
{
	return tool_run(argv, input, out, cap, 0, T_RUN);
}

/* A port on 127.0.0.1 that was just free and has no listener. */
static int
closed_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void
start_herdd(const char *model, const char *handler)
{
	const char *args[] = { "--model", model, "-q", NULL };

	herdd_start(&d, handler, args);
}

Test(load, closed_loop_json_counts_every_request)
{
	char port[16], out[4096];
	int st;

	start_herdd("fork", "echo");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-load", "-c", "4", "-n", "2000",
	    "-s", "100", "--json", "127.0.0.1", port, NULL }, NULL, out,
	    sizeof out);
	cr_assert_eq(st, 0, "exit %d: %s", st, out);
	cr_assert_eq(json_num(out, "requests"), 2000.0, "%s", out);
	cr_assert_eq(json_num(out, "errors"), 0.0);
	cr_assert_eq(json_num(out, "mismatches"), 0.0);
	cr_assert_gt(json_num(out, "rate"), 0.0);
	cr_assert_gt(json_num(out, "p50"), 0.0);
	cr_assert_geq(json_num(out, "p99"), json_num(out, "p50"));
	cr_assert_geq(json_num(out, "p999"), json_num(out, "p99"));
	cr_assert_geq(json_num(out, "max"), json_num(out, "p999"));
	cr_assert_gt(json_num(out, "p90"), 0.0);
}

Test(load, rot13_replies_verify_as_rot13)
{
	char port[16], out[4096];
	int st;

	start_herdd("fork", "rot13");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-load", "-c", "2", "-n", "500",
	    "-p", "4", "-e", "rot13", "--json", "127.0.0.1", port, NULL },
	    NULL, out, sizeof out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(json_num(out, "mismatches"), 0.0);
	cr_assert_eq(json_num(out, "requests"), 500.0);
}

Test(load, echo_where_rot13_is_expected_exits_1)
{
	char port[16], out[4096];
	int st;

	start_herdd("iterative", "echo");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-load", "-n", "50", "-e",
	    "rot13", "--json", "127.0.0.1", port, NULL }, NULL, out,
	    sizeof out);
	cr_assert_eq(st, 1, "%s", out);
	cr_assert_gt(json_num(out, "mismatches"), 0.0);
}

Test(load, connection_per_request_over_many_sources)
{
	char port[16], out[4096];
	int st;

	start_herdd("fork", "echo");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-load", "-C", "-c", "4",
	    "--sources", "8", "-n", "100", "--json", "127.0.0.1", port,
	    NULL }, NULL, out, sizeof out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(json_num(out, "requests"), 100.0, "%s", out);
	cr_assert(strstr(out, "\"mode\":\"connect-per-request\"") != NULL);
}

Test(load, open_loop_sends_the_requested_count)
{
	char port[16], out[4096];
	int st;

	start_herdd("fork", "echo");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-load", "-r", "1000", "-c", "2",
	    "-n", "300", "--json", "127.0.0.1", port, NULL }, NULL, out,
	    sizeof out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_eq(json_num(out, "requests"), 300.0, "%s", out);
	/* 300 at 1000/s take about 0.3 s, whatever the server does. */
	cr_assert_geq(json_num(out, "elapsed_s"), 0.25, "%s", out);
}

/* The test-only corrupting server: echo with one bit flipped per read. */
static void *
corrupt_serve(void *arg)
{
	int lfd = *(int *)arg, fd;
	unsigned char buf[4096];
	ssize_t n;

	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			buf[n / 2] ^= 0x01;
			if (write(fd, buf, (size_t)n) != n)
				break;
		}
		close(fd);
	}
	return NULL;
}

Test(load, corrupting_server_makes_it_exit_1)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	char port[16], out[4096];
	pthread_t tid;
	int lfd, st;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(bind(lfd, (struct sockaddr *)&sin, sizeof sin) == 0);
	cr_assert(listen(lfd, 16) == 0);
	cr_assert(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);
	snprintf(port, sizeof port, "%d", ntohs(sin.sin_port));
	cr_assert(pthread_create(&tid, NULL, corrupt_serve, &lfd) == 0);
	pthread_detach(tid);
	st = run_tool((const char *[]){ "herd-load", "-n", "20", "--json",
	    "127.0.0.1", port, NULL }, NULL, out, sizeof out);
	cr_assert_eq(st, 1, "%s", out);
	cr_assert_geq(json_num(out, "mismatches"), 20.0, "%s", out);
}

Test(load, closed_port_exits_69)
{
	char port[16], out[256];

	snprintf(port, sizeof port, "%d", closed_port());
	cr_assert_eq(run_tool((const char *[]){ "herd-load", "-n",
	    "1", "127.0.0.1", port, NULL }, NULL, out, sizeof out), 69);
}

Test(load, bad_flags_exit_64)
{
	char out[256];

	cr_assert_eq(run_tool((const char *[]){ "herd-load",
	    "--pipeline", "0", "127.0.0.1", "7", NULL }, NULL, out,
	    sizeof out), 64);
	cr_assert_eq(run_tool((const char *[]){ "herd-load",
	    "-d", "1", "-n", "5", "127.0.0.1", "7", NULL }, NULL, out,
	    sizeof out), 64);
	cr_assert_eq(run_tool((const char *[]){ "herd-load",
	    "127.0.0.1", NULL }, NULL, out, sizeof out), 64);
}

Test(client, pipes_lines_through_rot13)
{
	char port[16], out[4096];
	int st;

	start_herdd("fork", "rot13");
	snprintf(port, sizeof port, "%d", d.port[0]);
	st = run_tool((const char *[]){ "herd-client", "localhost", port,
	    NULL }, "Hello, World\nabc xyz 123\n", out, sizeof out);
	cr_assert_eq(st, 0, "exit %d", st);
	cr_assert_str_eq(out, "Uryyb, Jbeyq\nnop klm 123\n");
}

Test(client, unterminated_last_line_is_still_answered)
{
	char port[16], out[256];

	start_herdd("iterative", "echo");
	snprintf(port, sizeof port, "%d", d.port[0]);
	cr_assert_eq(run_tool((const char *[]){ "herd-client",
	    "127.0.0.1", port, NULL }, "one\ntwo", out, sizeof out), 0);
	cr_assert_str_eq(out, "one\ntwo");
}

Test(client, closed_port_exits_69)
{
	char port[16], out[256];

	snprintf(port, sizeof port, "%d", closed_port());
	cr_assert_eq(run_tool((const char *[]){ "herd-client",
	    "127.0.0.1", port, NULL }, "x\n", out, sizeof out), 69);
}

Test(client, usage_errors_exit_64)
{
	char out[256];

	cr_assert_eq(run_tool((const char *[]){ "herd-client",
	    "127.0.0.1", NULL }, NULL, out, sizeof out), 64);
}
