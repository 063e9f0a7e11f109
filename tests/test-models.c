/*
 * test-models.c - what makes each model itself: iterative serves one
 * client at a time, fork serves many at once, splits the descriptors
 * between parent and child, and leaves no zombie behind.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
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

#define T_IO	20000

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

TestSuite(models, .fini = stop_server, .timeout = 60);

static void
start(const char *model, const char *fdnames)
{
	const char *args[] = { "--model", model, "-v", NULL };

	herdd_start(&d, fdnames, args);
}

Test(models, iterative_serves_one_client_at_a_time)
{
	char got[8];
	int a, b;

	start("iterative", "echo");
	a = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(a, "A", 1, got, sizeof got, T_IO), 1);
	b = client_connect(d.port[0]);	/* queued in the backlog */
	cr_assert_eq(send(b, "B", 1, 0), 1);
	cr_assert_not(readable_within(b, 300), "B waits while A is served");
	close(a);
	cr_assert(readable_within(b, T_IO), "B is served once A leaves");
	cr_assert_eq(recv(b, got, sizeof got, 0), 1);
	cr_assert_eq(got[0], 'B');
	close(b);
}

#define NCLIENTS	32

struct client_job {
	int	port;
	int	ok;
	unsigned seed;
};

static void *
client_job_run(void *arg)
{
	struct client_job *j = arg;
	size_t len = 65536;
	unsigned char *msg = malloc(len), *got = malloc(len);
	int fd = client_connect(j->port);

	fill_pattern(msg, len, j->seed);
	j->ok = client_exchange(fd, msg, len, got, len, T_IO) == (ssize_t)len &&
	    memcmp(msg, got, len) == 0;
	close(fd);
	free(msg);
	free(got);
	return NULL;
}

Test(models, fork_serves_32_clients_at_once)
{
	int fds[NCLIENTS], i;
	char msg[16], got[16];
	pthread_t th[NCLIENTS];
	struct client_job job[NCLIENTS];

	start("fork", "echo");
	/* All connected first: each answer needs its own child. */
	for (i = 0; i < NCLIENTS; i++)
		fds[i] = client_connect(d.port[0]);
	for (i = NCLIENTS - 1; i >= 0; i--) {
		snprintf(msg, sizeof msg, "client %02d", i);
		cr_assert_eq(client_roundtrip(fds[i], msg, 9, got, sizeof got,
		    T_IO), 9);
		cr_assert_arr_eq(got, msg, 9);
	}
	for (i = 0; i < NCLIENTS; i++)
		close(fds[i]);
	/* And 32 bulk transfers at the same time. */
	for (i = 0; i < NCLIENTS; i++) {
		job[i] = (struct client_job){ .port = d.port[0], .seed = i };
		pthread_create(&th[i], NULL, client_job_run, &job[i]);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		cr_expect(job[i].ok, "client %d got its 64 KiB back", i);
	}
}

static int
wait_children(pid_t pid, int want, int ms)
{
	long long end = now_ms() + ms;
	pid_t kids[64];
	int n;

	do {
		if ((n = proc_children(pid, kids, 64)) == want)
			return 1;
		poll(NULL, 0, 10);
	} while (now_ms() < end);
	return 0;
}

Test(models, fork_child_holds_only_the_connected_fd)
{
	pid_t kids[4];
	char got[4];
	int fd;

	start("fork", "echo:rot13");
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	cr_assert(wait_children(d.pid, 1, 5000));
	cr_assert_eq(proc_children(d.pid, kids, 4), 1);
	/* The child: only its connection.  The master: only listeners. */
	cr_assert(proc_wait_sockets(kids[0], 1, 0, 5000), "child: %d sockets",
	    proc_sockets(kids[0]));
	cr_assert(proc_wait_sockets(d.pid, 2, 0, 5000), "master: %d sockets",
	    proc_sockets(d.pid));
	close(fd);
}

Test(models, fork_reaps_every_child)
{
	char got[4];
	int i, fd;

	start("fork", "echo");
	for (i = 0; i < 20; i++) {
		fd = client_connect(d.port[0]);
		cr_assert_eq(client_exchange(fd, "z", 1, got, sizeof got,
		    T_IO), 1);
		close(fd);
	}
	/* No zombie: every child is gone from the process table. */
	cr_assert(wait_children(d.pid, 0, 5000), "children reaped\n%s",
	    herdd_log(&d));
}

Test(models, fork_sigterm_leaves_no_child)
{
	pid_t kids[4];
	char got[4];
	int fd, status;
	const char *args[] = { "--model", "fork", "-T", "1", NULL };

	herdd_start(&d, "echo", args);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	cr_assert(wait_children(d.pid, 1, 5000));
	cr_assert_eq(proc_children(d.pid, kids, 4), 1);
	kill(d.pid, SIGTERM);
	status = herdd_wait(&d, 8000);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	cr_assert(kill(kids[0], 0) == -1, "child %ld is gone", (long)kids[0]);
	close(fd);
}

Test(models, fork_x_flag_serves_without_children)
{
	const char *args[] = { "--model", "fork", "-X", NULL };
	char got[4];
	int fd;

	herdd_start(&d, "echo", args);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, got, sizeof got, T_IO), 1);
	cr_assert_eq(proc_children(d.pid, (pid_t[4]){ 0 }, 4), 0);
	close(fd);
}

Test(models, daytime_answers_and_closes)
{
	char got[64];
	ssize_t n;
	int fd;

	start("fork", "daytime");
	fd = client_connect(d.port[0]);
	n = client_exchange(fd, "", 0, got, sizeof got - 1, T_IO);
	cr_assert_gt(n, 20);
	got[n] = '\0';
	cr_assert_str_eq(got + n - 2, "\r\n");
	cr_assert(isdigit((unsigned char)got[n - 3]), "%s", got);
	close(fd);
}

Test(models, discard_answers_nothing)
{
	char got[8];
	int fd;

	start("iterative", "discard");
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_exchange(fd, "lost", 4, got, sizeof got, T_IO), 0);
	close(fd);
}
