/*
 * test-threads.c - what makes each thread model itself: all of them
 * serve 50 clients at once byte-exact; thread caps its live threads at
 * --max-conns; prethread threads each serve one client; the pool
 * queues what its busy threads cannot take and stops accepting when
 * the queue is full; the event loop holds thousands of idle
 * connections and stops reading a peer that does not read.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define T_IO		30000	/* ms for one exchange */
#define MiB		(1024 * 1024)
#define NCLIENTS	50

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

TestSuite(threads, .fini = stop_server, .timeout = 90);

/* The one worker process a master pid runs (--workers 1), or 0. */
static pid_t
worker_of(pid_t master, int ms)
{
	long long end = now_ms() + ms;
	char path[64];
	long kid;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children",
	    (long)master, (long)master);
	do {
		if ((f = fopen(path, "r")) != NULL) {
			int n = fscanf(f, "%ld", &kid);

			fclose(f);
			if (n == 1)
				return (pid_t)kid;
		}
		poll(NULL, 0, 10);
	} while (now_ms() < end);
	return 0;
}

/* --- 50 clients at once, under every thread model ------------------ */

struct job {
	int	port;
	int	rot13;
	size_t	len;
	unsigned seed;
	int	ok;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	unsigned char *msg = malloc(j->len), *got = malloc(j->len + 1);
	int fd = client_connect(j->port);

	fill_pattern(msg, j->len, j->seed);
	j->ok = client_exchange(fd, msg, j->len, got, j->len + 1, T_IO) ==
	    (ssize_t)j->len;
	if (j->rot13)
		rot13_buf(msg, j->len);
	j->ok = j->ok && memcmp(msg, got, j->len) == 0;
	close(fd);
	free(msg);
	free(got);
	return NULL;
}

static void
check_50_clients(const char *model)
{
	const char *args[] = { "--model", model, NULL };
	pthread_t th[NCLIENTS];
	struct job job[NCLIENTS];
	int i;

	herdd_start(&d, "echo:rot13", args);
	for (i = 0; i < NCLIENTS; i++) {
		job[i] = (struct job){
			.port = d.port[i % 2],
			.rot13 = i % 2,
			.len = i < 2 ? 4 * MiB : 65536 + (size_t)i,
			.seed = (unsigned)i,
		};
		cr_assert_eq(pthread_create(&th[i], NULL, job_run, &job[i]),
		    0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		cr_expect(job[i].ok, "client %d (%s, %zu bytes) byte-exact",
		    i, job[i].rot13 ? "rot13" : "echo", job[i].len);
	}
	cr_assert_eq(herdd_stop(&d, SIGTERM, 15000), 0, "%s", herdd_log(&d));
}

Test(threads, thread_serves_50_clients_at_once) { check_50_clients("thread"); }
Test(threads, prethread_serves_50_clients_at_once)
{
	check_50_clients("prethread");
}
Test(threads, pool_serves_50_clients_at_once) { check_50_clients("pool"); }
Test(threads, hybrid_serves_50_clients_at_once) { check_50_clients("hybrid"); }
Test(threads, event_serves_50_clients_at_once) { check_50_clients("event"); }

/* --- thread ---------------------------------------------------------- */

/* At --max-conns 2, a third client waits until one of two leaves. */
static void
check_max_conns(const char *model, int worker)
{
	const char *args[] = { "--model", model, "--workers", "1",
	    "--max-conns", "2", NULL };
	char got[4];
	pid_t pid;
	int a, b, c;

	herdd_start(&d, "echo", args);
	a = client_connect(d.port[0]);
	b = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(a, "a", 1, got, sizeof got, T_IO), 1);
	cr_assert_eq(client_roundtrip(b, "b", 1, got, sizeof got, T_IO), 1);
	c = client_connect(d.port[0]);
	cr_assert_eq(send(c, "c", 1, 0), 1);
	cr_assert_not(readable_within(c, 300), "c waits at the cap");
	pid = worker ? worker_of(d.pid, T_IO) : d.pid;
	cr_assert_eq(proc_sockets(pid), 3, "c is not even accepted");
	close(a);
	cr_assert(readable_within(c, T_IO), "c is served once a leaves");
	cr_assert_eq(recv(c, got, sizeof got, 0), 1);
	cr_assert_eq(got[0], 'c');
	close(b);
	close(c);
	cr_assert_eq(herdd_stop(&d, SIGTERM, 15000), 0, "%s", herdd_log(&d));
}

Test(threads, thread_max_conns_caps_live_threads)
{
	check_max_conns("thread", 0);
}

Test(threads, event_max_conns_caps_connections_per_worker)
{
	check_max_conns("event", 1);
}

/* --- prethread ------------------------------------------------------- */

/* T threads serve T clients at once; client T+1 waits for one. */
static void
check_prethread(const char *lock)
{
	const char *args[] = { "--model", "prethread", "--threads", "3",
	    "--accept-lock", lock, NULL };
	char got[4], msg[2] = "0";
	int fd[4], i;

	herdd_start(&d, "echo", args);
	for (i = 0; i < 3; i++) {
		fd[i] = client_connect(d.port[0]);
		msg[0] = (char)('0' + i);
		cr_assert_eq(client_roundtrip(fd[i], msg, 1, got, sizeof got,
		    T_IO), 1, "thread %d serves client %d", i, i);
	}
	fd[3] = client_connect(d.port[0]);
	cr_assert_eq(send(fd[3], "3", 1, 0), 1);
	cr_assert_not(readable_within(fd[3], 300), "all 3 threads busy");
	close(fd[1]);
	cr_assert(readable_within(fd[3], T_IO), "a freed thread takes it");
	cr_assert_eq(recv(fd[3], got, sizeof got, 0), 1);
	cr_assert_eq(got[0], '3');
	for (i = 0; i < 4; i++)
		if (i != 1)
			close(fd[i]);
	cr_assert_eq(herdd_stop(&d, SIGTERM, 15000), 0, "%s", herdd_log(&d));
}

Test(threads, prethread_with_mutex_serves_one_client_per_thread)
{
	check_prethread("mutex");
}

Test(threads, prethread_without_lock_serves_one_client_per_thread)
{
	check_prethread("none");
}

Test(threads, prethread_refuses_fcntl_lock)
{
	const char *args[] = { "--model", "prethread", "--accept-lock",
	    "fcntl", NULL };
	char out[4096];
	int status = herdd_run("echo", args, out, sizeof out);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 64, "%s", out);
	cr_assert(strstr(out, "none or mutex") != NULL, "%s", out);
}

/* --- pool ------------------------------------------------------------ */

#define POOL_QUEUED	4
#define POOL_EXTRA	20

/* Each fd sent one byte: wait for every echo, in whatever order. */
static void
expect_all_answered(int *fd, int n, char want)
{
	long long end = now_ms() + T_IO;
	int left = n, i;
	char got;

	while (left > 0) {
		cr_assert_lt(now_ms(), end, "%d clients still unanswered",
		    left);
		for (i = 0; i < n; i++) {
			if (fd[i] < 0 || !readable_within(fd[i], 0))
				continue;
			cr_assert_eq(recv(fd[i], &got, 1, 0), 1);
			cr_assert_eq(got, want);
			close(fd[i]);	/* frees its thread for the next */
			fd[i] = -1;
			left--;
		}
		poll(NULL, 0, 5);
	}
}

Test(threads, pool_queues_while_threads_are_busy_and_never_grows)
{
	const char *args[] = { "--model", "pool", "--threads", "2",
	    "--queue-depth", "4", NULL };
	int slow[2], wait[POOL_QUEUED + POOL_EXTRA], i;
	long rss0, rss1;
	long long end;
	char got[4];

	herdd_start(&d, "echo", args);
	for (i = 0; i < 2; i++) {
		slow[i] = client_connect(d.port[0]);
		cr_assert_eq(client_roundtrip(slow[i], "s", 1, got,
		    sizeof got, T_IO), 1);
	}
	/* Both threads are busy: these wait in the queue, unanswered. */
	for (i = 0; i < POOL_QUEUED; i++) {
		wait[i] = client_connect(d.port[0]);
		cr_assert_eq(send(wait[i], "w", 1, 0), 1);
	}
	cr_assert(proc_wait_sockets(d.pid, 1 + 2 + POOL_QUEUED, 0, T_IO),
	    "listener, 2 served, %d queued: %d sockets", POOL_QUEUED,
	    proc_sockets(d.pid));
	rss0 = proc_status_field(d.pid, "VmRSS");
	/* The queue is full: these stay in the kernel's backlog. */
	for (i = POOL_QUEUED; i < POOL_QUEUED + POOL_EXTRA; i++) {
		wait[i] = client_connect(d.port[0]);
		cr_assert_eq(send(wait[i], "w", 1, 0), 1);
	}
	end = now_ms() + 300;
	while (now_ms() < end) {
		cr_assert_eq(proc_sockets(d.pid), 1 + 2 + POOL_QUEUED,
		    "the acceptor stopped at a full queue");
		poll(NULL, 0, 10);
	}
	for (i = 0; i < POOL_QUEUED + POOL_EXTRA; i++)
		cr_assert_not(readable_within(wait[i], 0), "%d waits", i);
	rss1 = proc_status_field(d.pid, "VmRSS");
	cr_assert_lt(rss1 - rss0, 64, "RSS grew %ld KiB", rss1 - rss0);
	/* Threads freed: every waiting client is served in turn. */
	close(slow[0]);
	close(slow[1]);
	expect_all_answered(wait, POOL_QUEUED + POOL_EXTRA, 'w');
	cr_assert_eq(herdd_stop(&d, SIGTERM, 15000), 0, "%s", herdd_log(&d));
}

/* --- hybrid --------------------------------------------------------- */

Test(threads, hybrid_runs_p_processes_of_t_threads_each)
{
	const char *args[] = { "--model", "hybrid", "--workers", "2",
	    "--threads", "3", NULL };
	long long end;
	pid_t kids[4];
	int i, ok = 0;

	herdd_start(&d, "echo", args);
	/* Each worker: its accepting main thread and 3 pool threads. */
	end = now_ms() + T_IO;
	while (!ok && now_ms() < end) {
		ok = proc_children(d.pid, kids, 4) == 2;
		for (i = 0; ok && i < 2; i++)
			ok = proc_status_field(kids[i], "Threads") == 1 + 3;
		poll(NULL, 0, 10);
	}
	cr_assert(ok, "2 workers of 1 + 3 threads\n%s", herdd_log(&d));
	cr_assert_eq(proc_status_field(d.pid, "Threads"), 1,
	    "the master has no pool");
	cr_assert_eq(herdd_stop(&d, SIGTERM, 15000), 0, "%s", herdd_log(&d));
}

Test(threads, hybrid_scoreboard_counts_busy_threads)
{
	const char *args[] = { "--model", "hybrid", "--workers", "1",
	    "--threads", "3", NULL };
	char got[4];
	int a, b;

	herdd_start(&d, "echo", args);
	a = client_connect(d.port[0]);
	b = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(a, "a", 1, got, sizeof got, T_IO), 1);
	cr_assert_eq(client_roundtrip(b, "b", 1, got, sizeof got, T_IO), 1);
	kill(d.pid, SIGUSR2);
	cr_assert(herdd_log_wait(&d, "scoreboard: 1 workers accepted 2 "
	    "active 2", T_IO), "%s", herdd_log(&d));
	close(a);
	close(b);
}

/* --- event ----------------------------------------------------------- */

#define EV_IDLE		5000

Test(threads, event_holds_5000_idle_connections_and_still_answers,
    .timeout = 180)
{
	const char *args[] = { "--model", "event", "--workers", "1", "-q",
	    NULL };
	struct rlimit rl;
	char got[8];
	int *fd, other, i;
	pid_t w;

	/* Both we and herdd (which inherits it) hold EV_IDLE sockets. */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < EV_IDLE + 200) {
		cr_assert_geq(rl.rlim_max, EV_IDLE + 200, "hard fd limit");
		rl.rlim_cur = EV_IDLE + 200;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	cr_assert_not_null(fd = calloc(EV_IDLE, sizeof *fd));
	herdd_start(&d, "echo", args);
	/*
	 * In batches smaller than the test's listen backlog (128): a
	 * round trip on the last of each shows herdd took them all, so
	 * no SYN is dropped and retried a second later on a busy box.
	 */
	for (i = 0; i < EV_IDLE; i++) {
		fd[i] = client_connect(d.port[0]);
		if (i % 100 == 99 || i == EV_IDLE - 1)
			cr_assert_eq(client_roundtrip(fd[i], "b", 1, got,
			    sizeof got, T_IO), 1, "connection %d", i);
	}
	cr_assert_neq(w = worker_of(d.pid, T_IO), 0, "the worker runs");
	cr_assert(proc_wait_sockets(w, 1 + EV_IDLE, 0, 60000),
	    "the worker holds %d of %d", proc_sockets(w) - 1, EV_IDLE);
	other = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(other, "ping", 4, got, sizeof got,
	    T_IO), 4, "a new connection is answered");
	cr_assert_arr_eq(got, "ping", 4);
	cr_assert_eq(client_roundtrip(fd[0], "old", 3, got, sizeof got, T_IO),
	    3, "the oldest idle one is still open");
	cr_assert_eq(client_roundtrip(fd[EV_IDLE - 1], "new", 3, got,
	    sizeof got, T_IO), 3, "so is the newest");
	close(other);
	for (i = 0; i < EV_IDLE; i++)
		close(fd[i]);
	free(fd);
	cr_assert_eq(herdd_stop(&d, SIGTERM, 30000), 0, "%s", herdd_log(&d));
}

Test(threads, event_stops_reading_a_peer_that_does_not_read)
{
	const char *args[] = { "--model", "event", "--workers", "1", NULL };
	size_t len = 32 * MiB, sent = 0, got = 0;
	unsigned char *msg = malloc(len), *back = malloc(len);
	struct pollfd p;
	long rss0, rss1;
	ssize_t n;
	pid_t w;
	int fd;

	cr_assert(msg && back);
	fill_pattern(msg, len, 7);
	herdd_start(&d, "echo", args);
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "x", 1, back, len, T_IO), 1);
	cr_assert_neq(w = worker_of(d.pid, T_IO), 0, "the worker runs");
	rss0 = proc_status_field(w, "VmRSS");
	/* Send without reading until the server stops taking bytes. */
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	while (sent < len && poll(&p, 1, 500) == 1 &&
	    (n = send(fd, msg + sent, len - sent,
	    MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		sent += (size_t)n;
	cr_assert_lt(sent, len, "the server pushed back");
	rss1 = proc_status_field(w, "VmRSS");
	cr_assert_lt(rss1 - rss0, 1024, "RSS grew %ld KiB for %zu bytes sent",
	    rss1 - rss0, sent);
	/* And nothing was lost: it all comes back once we read. */
	shutdown(fd, SHUT_WR);
	while (got < len && readable_within(fd, T_IO) &&
	    (n = recv(fd, back + got, len - got, 0)) > 0)
		got += (size_t)n;
	cr_assert_eq(got, sent);
	cr_assert(memcmp(back, msg, sent) == 0, "byte-exact");
	close(fd);
	free(msg);
	free(back);
}
