/*
 * test-master.c - the process models under their master: many clients
 * at once under every accept lock, a worker killed under load, a
 * graceful stop under load, a reload that refuses nothing, growing and
 * shrinking, recycling, a dead holder of the accept mutex, a crash
 * loop, and the scoreboard shared across fork().
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "harness.h"
#include "scoreboard.h"

#define T_IO		HARNESS_T_IO
#define T_WAIT		HARNESS_T_WAIT
#define MAXKIDS		HARNESS_MAXKIDS

static struct herdd d;

TestSuite(master, .fini = herdd_stop_all, .timeout = 90);

#define START(model, fdnames, ...)	HERDD_START(&d, model, fdnames, __VA_ARGS__)

static int
has_pid(const pid_t *set, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

/* Poll until herdd has want live workers; their pids go to kids. */
static int
wait_workers(int want, pid_t *kids)
{
	return herdd_wait_workers(&d, want, kids);
}

/* --- many clients at once ------------------------------------------- */

#define NCLIENTS	50
#define CLIENT_LEN	16384

struct job {
	int	port;
	int	rot13;
	unsigned seed;
	int	ok;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	unsigned char msg[CLIENT_LEN], want[CLIENT_LEN], got[CLIENT_LEN];
	int fd;

	fill_pattern(msg, sizeof msg, j->seed);
	memcpy(want, msg, sizeof msg);
	if (j->rot13)
		rot13_buf(want, sizeof want);
	if ((fd = client_try_connect(j->port)) < 0)
		return NULL;
	j->ok = client_exchange(fd, msg, sizeof msg, got, sizeof got, T_IO) ==
	    (ssize_t)sizeof msg && memcmp(got, want, sizeof got) == 0;
	close(fd);
	return NULL;
}

/* 50 clients at once, half on echo and half on rot13: all byte-exact. */
static void
check_50_clients(void)
{
	pthread_t th[NCLIENTS];
	struct job job[NCLIENTS];
	int i, ok = 0;

	for (i = 0; i < NCLIENTS; i++) {
		job[i] = (struct job){ .port = d.port[i % 2], .rot13 = i % 2,
		    .seed = (unsigned)i };
		cr_assert_eq(pthread_create(&th[i], NULL, job_run, &job[i]),
		    0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += job[i].ok;
	}
	cr_assert_eq(ok, NCLIENTS, "%d of %d clients served byte-exact\n%s",
	    ok, NCLIENTS, herdd_log(&d));
	cr_assert_eq(WEXITSTATUS(herdd_stop(&d, SIGTERM, T_WAIT)), 0);
}

Test(master, prefork_lock_none_serves_50_clients)
{
	START("prefork", "echo:rot13", "-w", "3", "--accept-lock", "none");
	check_50_clients();
}

Test(master, prefork_lock_fcntl_serves_50_clients)
{
	START("prefork", "echo:rot13", "-w", "3", "--accept-lock", "fcntl");
	check_50_clients();
}

Test(master, prefork_lock_mutex_serves_50_clients)
{
	START("prefork", "echo:rot13", "-w", "3", "--accept-lock", "mutex");
	check_50_clients();
}

Test(master, passfd_serves_50_clients)
{
	START("passfd", "echo:rot13", "-w", "3");
	check_50_clients();
}

Test(master, reuseport_serves_50_clients)
{
	START("reuseport", "echo:rot13", "-w", "3");
	check_50_clients();
}

Test(master, reuseport_refuses_inherited_sockets_with_64)
{
	char out[4096];
	int status = herdd_run("echo", (const char *[]){ "--model",
	    "reuseport", NULL }, out, sizeof out);

	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == EX_USAGE, "exit 64 (0x%x)\n%s", status,
	    out);
	cr_assert(strstr(out, "came from systemd") != NULL, "%s", out);
}

/* passfd: with every worker busy the master leaves clients queued. */
Test(master, passfd_queues_clients_while_every_worker_is_busy)
{
	struct pollfd p;
	char got[8];
	int a, b;

	START("passfd", "echo", "-w", "1");
	a = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(a, "A", 1, got, sizeof got, T_IO), 1);
	b = client_connect(d.port[0]);		/* in the backlog */
	cr_assert_eq(send(b, "B", 1, 0), 1);
	p = (struct pollfd){ .fd = b, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 300), 0, "B waits while A is served");
	close(a);
	cr_assert_eq(client_exchange(b, "", 0, got, sizeof got, T_IO), 1,
	    "B is served once the worker is idle");
	cr_assert_eq(got[0], 'B');
	close(b);
}

/* --- respawn --------------------------------------------------------- */

/* The pid of the worker that logged taking the client on fd. */
static pid_t
worker_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	long long end = now_ms() + T_WAIT;
	char want[64];
	const char *log, *p, *line;
	long pid;

	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(want, sizeof want, "127.0.0.1:%d", ntohs(sin.sin_port));
	do {
		log = herdd_log(&d);
		for (p = log; (p = strstr(p, want)) != NULL; p++) {
			for (line = p; line > log && line[-1] != '\n'; line--)
				;
			line = strstr(line, ": worker ");
			if (line != NULL && line < p &&
			    sscanf(line, ": worker %ld", &pid) == 1)
				return (pid_t)pid;
		}
		nap(10);
	} while (now_ms() < end);
	cr_assert_fail("no worker logged %s\n%s", want, herdd_log(&d));
	return 0;
}

static void
check_respawn(const char *model)
{
	pid_t kids[MAXKIDS], now[MAXKIDS], mine, victim = 0;
	char got[8];
	long long end;
	int fd, i, n, fresh = 0;

	START(model, "echo", "-w", "3", "-v");
	cr_assert(wait_workers(3, kids));
	fd = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(fd, "before", 6, got, sizeof got, T_IO),
	    6);
	mine = worker_of(fd);
	for (i = 0; i < 3 && victim == 0; i++)
		if (kids[i] != mine)
			victim = kids[i];
	cr_assert_eq(kill(victim, SIGKILL), 0);
	/* Our client, on another worker, goes on while the master mends. */
	end = now_ms() + T_WAIT;
	do {
		cr_assert_eq(client_roundtrip(fd, "during", 6, got, sizeof got,
		    T_IO), 6);
		cr_assert_arr_eq(got, "during", 6);
		n = proc_children(d.pid, now, MAXKIDS);
		for (i = 0, fresh = 0; i < n; i++)
			fresh += !has_pid(kids, 3, now[i]);
	} while (!(n == 3 && fresh == 1) && now_ms() < end && (nap(10), 1));
	cr_assert(n == 3 && fresh == 1 && !has_pid(now, n, victim),
	    "a new worker replaced %ld\n%s", (long)victim, herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "killed by signal 9", T_WAIT));
	cr_assert_eq(client_exchange(fd, "after", 5, got, sizeof got, T_IO),
	    5);
	close(fd);
}

Test(master, prefork_respawns_worker_killed_under_load)
{
	check_respawn("prefork");
}

Test(master, passfd_respawns_worker_killed_under_load)
{
	check_respawn("passfd");
}

Test(master, reuseport_respawns_worker_killed_under_load)
{
	check_respawn("reuseport");
}

/* --- graceful stop under load ---------------------------------------- */

#define NBUSY		4
#define BUSY_LEN	(256 * 1024)

struct busy {
	int	fd;
	int	ok;
};

static void *
busy_finish(void *arg)
{
	struct busy *b = arg;
	unsigned char *msg = malloc(BUSY_LEN), *got = malloc(BUSY_LEN);

	fill_pattern(msg, BUSY_LEN, (unsigned)b->fd);
	b->ok = client_exchange(b->fd, msg, BUSY_LEN, got, BUSY_LEN, T_IO) ==
	    BUSY_LEN && memcmp(msg, got, BUSY_LEN) == 0;
	free(msg);
	free(got);
	return NULL;
}

static void
check_sigterm_under_load(const char *model)
{
	struct busy b[NBUSY];
	pthread_t th[NBUSY];
	pid_t kids[MAXKIDS];
	char got[8];
	int i, status;

	START(model, "echo", "-w", "4", "-T", "30");
	cr_assert(wait_workers(NBUSY, kids));
	/* One connection in each worker, each mid-conversation. */
	for (i = 0; i < NBUSY; i++) {
		b[i].fd = client_connect(d.port[0]);
		cr_assert_eq(client_roundtrip(b[i].fd, "go", 2, got,
		    sizeof got, T_IO), 2);
	}
	kill(d.pid, SIGTERM);
	cr_assert(herdd_log_wait(&d, "stopping", T_WAIT));
	for (i = 0; i < NBUSY; i++)
		pthread_create(&th[i], NULL, busy_finish, &b[i]);
	for (i = 0; i < NBUSY; i++) {
		pthread_join(th[i], NULL);
		cr_expect(b[i].ok, "client %d got its whole reply", i);
		close(b[i].fd);
	}
	status = herdd_wait(&d, T_WAIT);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 (0x%x)\n%s", status,
	    herdd_log(&d));
	for (i = 0; i < NBUSY; i++)
		cr_assert(kill(kids[i], 0) == -1 && errno == ESRCH,
		    "worker %ld is gone", (long)kids[i]);
}

Test(master, prefork_sigterm_under_load_finishes_replies_and_exits_0)
{
	check_sigterm_under_load("prefork");
}

Test(master, passfd_sigterm_under_load_finishes_replies_and_exits_0)
{
	check_sigterm_under_load("passfd");
}

/* --- reload ------------------------------------------------------------ */

struct loop {
	int		 port;
	atomic_int	 stop;
	int		 ok;
	int		 failed;
};

static void *
loop_run(void *arg)
{
	struct loop *l = arg;
	char got[8];
	int fd;

	while (!atomic_load(&l->stop) && l->ok + l->failed < 100000) {
		if ((fd = client_try_connect(l->port)) < 0) {
			l->failed++;
			continue;
		}
		if (client_exchange(fd, "ping", 4, got, sizeof got,
		    T_IO) == 4 &&
		    memcmp(got, "ping", 4) == 0)
			l->ok++;
		else
			l->failed++;
		close(fd);
	}
	return NULL;
}

static void
check_sighup(const char *model)
{
	pid_t old[MAXKIDS], now[MAXKIDS];
	struct loop l = { .port = 0 };
	pthread_t th;
	long long end;
	int i, n, fresh;

	START(model, "echo", "-w", "2");
	cr_assert(wait_workers(2, old));
	l.port = d.port[0];
	pthread_create(&th, NULL, loop_run, &l);
	while (l.ok < 20 && l.failed == 0)
		nap(5);
	kill(d.pid, SIGHUP);
	end = now_ms() + T_WAIT;
	do {
		nap(10);
		n = proc_children(d.pid, now, MAXKIDS);
		for (i = 0, fresh = 0; i < n; i++)
			fresh += !has_pid(old, 2, now[i]);
	} while (!(n == 2 && fresh == 2) && now_ms() < end);
	i = l.ok;
	while (l.ok < i + 20 && l.failed == 0 && now_ms() < end)
		nap(5);
	atomic_store(&l.stop, 1);
	pthread_join(th, NULL);
	cr_assert(n == 2 && fresh == 2, "two new workers\n%s", herdd_log(&d));
	cr_assert_eq(l.failed, 0, "%d of %d connections failed", l.failed,
	    l.ok + l.failed);
	cr_assert_gt(l.ok, 40);
}

Test(master, prefork_sighup_refuses_nothing_and_renews_workers)
{
	check_sighup("prefork");
}

Test(master, passfd_sighup_refuses_nothing_and_renews_workers)
{
	check_sighup("passfd");
}

Test(master, reuseport_sighup_refuses_nothing_and_renews_workers)
{
	check_sighup("reuseport");
}

/* --- size ---------------------------------------------------------------- */

Test(master, prefork_ttin_ttou_change_the_worker_count)
{
	pid_t kids[MAXKIDS];

	START("prefork", "echo", "-w", "2");
	cr_assert(wait_workers(2, kids));
	kill(d.pid, SIGTTIN);
	cr_assert(wait_workers(3, kids), "three after TTIN\n%s",
	    herdd_log(&d));
	kill(d.pid, SIGTTOU);
	cr_assert(herdd_log_wait(&d, "SIGTTOU: 2 workers", T_WAIT));
	kill(d.pid, SIGTTOU);
	cr_assert(wait_workers(1, kids), "one after TTOU twice\n%s",
	    herdd_log(&d));
}

static int
count_text(const char *log, const char *text)
{
	int n = 0;

	for (; (log = strstr(log, text)) != NULL; log++)
		n++;
	return n;
}

Test(master, prefork_max_requests_recycles_workers)
{
	char got[8];
	int i, fd;

	START("prefork", "echo", "-w", "1", "--max-requests", "2", "-v");
	for (i = 0; i < 6; i++) {
		fd = client_connect(d.port[0]);
		cr_assert_eq(client_exchange(fd, "req", 3, got, sizeof got,
		    T_IO), 3);
		close(fd);
	}
	cr_assert(herdd_log_wait(&d, "retired after its --max-requests",
	    T_WAIT), "%s", herdd_log(&d));
	/* 2 connections each (the jitter of 2/4 is 0): three workers. */
	cr_assert_geq(count_text(herdd_log(&d), "started in slot"), 3, "%s",
	    herdd_log(&d));
}

/*
 * Models whose workers hold many connections: at its --max-requests a
 * worker stops accepting and its replacement starts at once, while it
 * still serves the connections it holds; it leaves once they close.
 */
static void
check_max_requests_leaves(const char *model)
{
	char got[8];
	int a, b, c;

	START(model, "echo", "-w", "1", "-t", "4", "--max-requests", "2",
	    "-v");
	a = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(a, "a", 1, got, sizeof got, T_IO), 1);
	b = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(b, "b", 1, got, sizeof got, T_IO), 1);
	/* 2 connections (the jitter of 2/4 is 0): it leaves. */
	cr_assert(herdd_log_wait(&d, "starting its replacement", T_WAIT),
	    "%s", herdd_log(&d));
	cr_assert(herdd_log_wait(&d, "started in slot 1", T_WAIT), "%s",
	    herdd_log(&d));
	c = client_connect(d.port[0]);
	cr_assert_eq(client_roundtrip(c, "c", 1, got, sizeof got, T_IO), 1,
	    "the replacement serves\n%s", herdd_log(&d));
	cr_assert_eq(client_roundtrip(a, "A", 1, got, sizeof got, T_IO), 1,
	    "the old worker still serves what it holds\n%s", herdd_log(&d));
	cr_assert_eq(got[0], 'A');
	cr_assert_eq(client_roundtrip(b, "B", 1, got, sizeof got, T_IO), 1);
	close(a);
	close(b);
	cr_assert(herdd_log_wait(&d, "retired after its --max-requests",
	    T_WAIT), "%s", herdd_log(&d));
	close(c);
}

Test(master, hybrid_max_requests_recycles_workers)
{
	check_max_requests_leaves("hybrid");
}

Test(master, event_max_requests_recycles_workers)
{
	check_max_requests_leaves("event");
}

/* --- the accept mutex survives its holder ------------------------------ */

/* From a SIGUSR2 scoreboard dump: the worker in poll/accept. */
static pid_t
lock_holder(void)
{
	long long end = now_ms() + T_WAIT;
	const char *p;
	long pid;

	do {
		kill(d.pid, SIGUSR2);
		nap(50);
		for (p = herdd_log(&d); (p = strstr(p, " accepting ")) != NULL;
		    p++) {
			const char *q = p;

			while (q > herdd_log(&d) && q[-1] != '\n')
				q--;
			if ((q = strstr(q, " pid ")) != NULL &&
			    sscanf(q, " pid %ld", &pid) == 1)
				return (pid_t)pid;
		}
	} while (now_ms() < end);
	return 0;
}

Test(master, prefork_mutex_holder_killed_others_go_on)
{
	pid_t kids[MAXKIDS], holder;
	char got[8];
	int i, fd;

	START("prefork", "echo", "-w", "2", "--accept-lock", "mutex");
	cr_assert(wait_workers(2, kids));
	cr_assert((holder = lock_holder()) > 0, "%s", herdd_log(&d));
	cr_assert_eq(kill(holder, SIGKILL), 0);
	for (i = 0; i < 10; i++) {
		fd = client_connect(d.port[0]);
		cr_assert_eq(client_exchange(fd, "on", 2, got, sizeof got,
		    T_IO), 2, "served after the holder died\n%s",
		    herdd_log(&d));
		close(fd);
	}
	cr_assert(herdd_log_wait(&d, "its holder died; recovered", T_WAIT),
	    "%s", herdd_log(&d));
}

/* --- SIGQUIT ------------------------------------------------------------- */

Test(master, prefork_sigquit_stops_at_once_leaving_no_worker)
{
	pid_t kids[MAXKIDS];
	char got[8];
	int i, n, fd, status;

	START("prefork", "echo", "-w", "2", "-T", "60");
	cr_assert((n = wait_workers(2, kids) ? 2 : 0) == 2);
	fd = client_connect(d.port[0]);		/* an open connection */
	cr_assert_eq(client_roundtrip(fd, "q", 1, got, sizeof got, T_IO), 1);
	kill(d.pid, SIGQUIT);
	/* Not the 60 s drain: the open connection does not hold it up. */
	status = herdd_wait(&d, T_WAIT);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "exit 0 (0x%x)\n%s", status,
	    herdd_log(&d));
	for (i = 0; i < n; i++)
		cr_assert(kill(kids[i], 0) == -1 && errno == ESRCH,
		    "worker %ld is gone", (long)kids[i]);
	close(fd);
}

/* --- crash loops ------------------------------------------------------- */

Test(master, prefork_backs_off_when_workers_die_at_start)
{
	pid_t kids[MAXKIDS];
	int i;

	START("prefork", "echo", "-w", "1");
	for (i = 0; i < 3; i++) {
		cr_assert(wait_workers(1, kids), "%s", herdd_log(&d));
		kill(kids[0], SIGKILL);
		/* Wait for the reap, so the next one counted is new. */
		cr_assert(herdd_log_wait(&d, i == 0 ? "(1 in a row)" :
		    i == 1 ? "(2 in a row)" : "(3 in a row)", T_WAIT),
		    "%s", herdd_log(&d));
	}
	cr_assert(herdd_log_wait(&d, "(3 in a row); next spawn in 400 ms",
	    T_WAIT), "%s", herdd_log(&d));
	cr_assert(wait_workers(1, kids), "respawned after the delay");
}

/* --- the scoreboard itself ---------------------------------------------- */

Test(master, scoreboard_rows_are_shared_with_forked_workers)
{
	struct scoreboard *sb;
	struct scoreboard_row r;
	char err[256];
	pid_t pid;
	int status;

	cr_assert((sb = scoreboard_create(4, err, sizeof err)) != NULL, "%s",
	    err);
	if ((pid = fork()) == 0) {
		scoreboard_claim(sb, 2, getpid(), 7);
		scoreboard_set_state(sb, 2, SB_SERVING);
		scoreboard_add(sb, 2, 1, 100, 200);
		scoreboard_add(sb, 2, 1, 1, 2);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(scoreboard_read(sb, 2, &r), 0);
	cr_assert_eq(r.pid, pid);
	cr_assert_eq(r.gen, 7);
	cr_assert_eq(r.state, SB_SERVING);
	cr_assert_eq(r.accepted, 2);
	cr_assert_eq(r.bytes_in, 101);
	cr_assert_eq(r.bytes_out, 202);
	cr_assert_eq(scoreboard_read(sb, 4, &r), -1, "row 4 of 4 is out");
	scoreboard_release(sb, 2);
	cr_assert_eq(scoreboard_read(sb, 2, &r), 0);
	cr_assert_eq(r.pid, 0);
	scoreboard_destroy(sb);
}
