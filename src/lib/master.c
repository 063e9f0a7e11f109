/*
 * master.c - fork, supervise and stop worker processes (see master.h).
 *
 * The master never serves a byte.  It keeps the listening descriptors
 * open the whole time (so a reload refuses no connection), sleeps in
 * ppoll() with its signals let in, and acts on flags when it wakes:
 * reap and respawn, reload, grow or shrink, stop.  Each worker gets a
 * slot: its row in the shared scoreboard and its index in kids[].
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acceptlock.h"
#include "connlimit.h"
#include "control.h"
#include "log.h"
#include "master.h"
#include "notify.h"
#include "options.h"
#include "proc.h"
#include "scoreboard.h"
#include "server.h"
#include "sig.h"

#define MASTER_MAX_WORKERS	1024	/* as --workers allows */
#define MASTER_SLOTS		(2 * MASTER_MAX_WORKERS) /* + a reload */
#define MASTER_QUICK_DEATH_MS	1000	/* dying younger: crash loop */
#define MASTER_BACKOFF_MIN_MS	100
#define MASTER_BACKOFF_MAX_MS	5000

struct master_child {
	pid_t		pid;		/* 0: the slot is free */
	unsigned	gen;
	int		retired;	/* ops->retire called */
	int		stopping;	/* SIGTERM sent */
	int		leaving;	/* left on its own (--max-requests) */
	int		killed;		/* SIGKILL sent */
	struct timespec	started;
	struct timespec	kill_at;	/* when stopping */
};

struct master {
	struct herd_server	*srv;
	const struct master_ops	*ops;
	struct master_child	*kids;
	unsigned		 nslots;
	unsigned		 want;		/* workers wanted */
	unsigned		 gen;
	unsigned		 fails;		/* quick deaths */
	struct timespec		 respawn_at;	/* backoff */
	int			 stopped;	/* acted on TERM/INT */
	int			 aborted;	/* acted on QUIT */
	int			 unready;	/* READY=1 is owed (notify.h) */
	unsigned		 told_serving;	/* in the last STATUS= */
	unsigned		 told_gen;
	struct timespec		 started;
	/* What workers now gone had counted, for the control's totals. */
	unsigned long long	 gone_served, gone_in, gone_out;
};

static void
ts_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* a - b in milliseconds. */
static long long
ts_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(a->tv_sec - b->tv_sec) * 1000 +
	    (a->tv_nsec - b->tv_nsec) / 1000000;
}

static struct timespec
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Workers of the current generation not told to stop. */
static unsigned
master_serving(const struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->kids[i].pid != 0 && !m->kids[i].stopping &&
		    !m->kids[i].leaving && m->kids[i].gen == m->gen)
			n++;
	return n;
}

static unsigned
master_alive(const struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nslots; i++)
		n += m->kids[i].pid != 0;
	return n;
}

/* In a new worker: forget the master's pending signals, take the role. */
static void
master_child_setup(struct master *m, unsigned slot, pid_t master)
{
	static const int sigs[] = {
		SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGALRM,
		SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU,
	};
	struct herd_server *srv = m->srv;
	size_t i;

	if (proc_die_with_parent(master) < 0)
		_exit(EX_OSERR);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sig_take(sigs[i]);
	control_close(srv->control, 0);		/* the master's alone */
	srv->control = NULL;
	srv->state = SERVER_RUNNING;
	srv->slot = slot;
	snprintf(srv->role, sizeof srv->role, "worker %ld", (long)getpid());
	scoreboard_claim(srv->scoreboard, slot, getpid(), m->gen);
	if (m->ops->child != NULL)
		m->ops->child(m->ops->ctx, slot);
}

static int
master_spawn(struct master *m, unsigned slot)
{
	struct master_child *k = &m->kids[slot];
	pid_t pid, master = getpid();

	if (m->ops->prepare != NULL && m->ops->prepare(m->ops->ctx, slot) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		master_child_setup(m, slot, master);
		_exit(m->ops->worker(m->srv, slot, m->ops->ctx));
	}
	if (m->ops->forked != NULL)
		m->ops->forked(m->ops->ctx, slot, pid);
	if (pid < 0) {
		log_err("fork worker for slot %u: %s", slot, strerror(errno));
		return -1;
	}
	memset(k, 0, sizeof *k);
	k->pid = pid;
	k->gen = m->gen;
	k->started = now_mono();
	log_info("master: worker %ld started in slot %u (generation %u)",
	    (long)pid, slot, m->gen);
	return 0;
}

/* Tell the model slot's worker gets no more work (once). */
static void
master_retire(struct master *m, unsigned slot)
{
	struct master_child *k = &m->kids[slot];

	if (k->pid == 0 || k->retired)
		return;
	k->retired = 1;
	if (m->ops->retire != NULL)
		m->ops->retire(m->ops->ctx, slot);
}

/* Tell slot's worker to finish what it holds and exit. */
static void
master_stop_child(struct master *m, unsigned slot)
{
	struct master_child *k = &m->kids[slot];

	if (k->pid == 0 || k->stopping)
		return;
	master_retire(m, slot);
	k->stopping = 1;
	k->kill_at = now_mono();
	ts_add_ms(&k->kill_at, (long)m->srv->opt->shutdown_timeout * 1000);
	kill(k->pid, SIGTERM);
}

static void
master_kill_child(struct master *m, unsigned slot)
{
	struct master_child *k = &m->kids[slot];

	if (k->pid == 0 || k->killed)
		return;
	master_retire(m, slot);
	k->stopping = k->killed = 1;
	kill(k->pid, SIGKILL);
}

/* A worker that died unasked within a second of starting: back off. */
static void
master_note_death(struct master *m, const struct master_child *k,
    int status)
{
	struct timespec now = now_mono();
	unsigned n;
	long delay;

	if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	    ts_diff_ms(&now, &k->started) >= MASTER_QUICK_DEATH_MS) {
		m->fails = 0;
		return;
	}
	m->fails++;
	/* MIN, doubled per further quick death, up to MAX. */
	delay = MASTER_BACKOFF_MIN_MS;
	for (n = 1; n < m->fails && delay < MASTER_BACKOFF_MAX_MS; n++)
		delay *= 2;
	if (delay > MASTER_BACKOFF_MAX_MS)
		delay = MASTER_BACKOFF_MAX_MS;
	m->respawn_at = now;
	ts_add_ms(&m->respawn_at, delay);
	log_warn("master: workers die as they start (%u in a row); next "
	    "spawn in %ld ms", m->fails, delay);
}

/*
 * Keep a dead worker's counts for the totals the control reports; not
 * when it died before taking its row (the row is a predecessor's).
 */
static void
master_count_gone(struct master *m, unsigned slot, pid_t pid)
{
	struct scoreboard_row r;

	if (scoreboard_read(m->srv->scoreboard, slot, &r) < 0 || r.pid != pid)
		return;
	m->gone_served += r.accepted;
	m->gone_in += r.bytes_in;
	m->gone_out += r.bytes_out;
}

static void
master_reap(struct master *m)
{
	struct master_child *k;
	char how[96];
	unsigned i;
	pid_t pid;
	int status;

	sig_take(SIGCHLD);		/* waitpid below sees every exit */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->nslots && m->kids[i].pid != pid; i++)
			;
		proc_status_text(status, how, sizeof how);
		if (i == m->nslots) {
			log_debug("master: child %ld %s", (long)pid, how);
			continue;
		}
		k = &m->kids[i];
		if (k->stopping)
			log_info("master: worker %ld (slot %u) %s", (long)pid,
			    i, how);
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("master: worker %ld (slot %u) retired after "
			    "its --max-requests%s", (long)pid, i,
			    k->leaving ? "" : "; replacing it");
		else {
			log_warn("master: worker %ld (slot %u) %s; "
			    "respawning", (long)pid, i, how);
			master_note_death(m, k, status);
		}
		if (m->ops->gone != NULL)
			m->ops->gone(m->ops->ctx, i);
		connlimit_reclaim(m->srv, i);	/* if it died holding some */
		master_count_gone(m, i, pid);
		scoreboard_release(m->srv->scoreboard, i);
		memset(k, 0, sizeof *k);
	}
}

/*
 * Workers that stopped accepting on their own (--max-requests) but
 * still finish what they hold: their scoreboard row says stopping, and
 * master_leave() woke us.  They no longer count as serving, so their
 * replacements start now rather than when they are done.
 */
static void
master_leavers(struct master *m)
{
	struct scoreboard_row r;
	struct master_child *k;
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		k = &m->kids[i];
		if (k->pid == 0 || k->stopping || k->leaving ||
		    scoreboard_read(m->srv->scoreboard, i, &r) < 0 ||
		    r.pid != k->pid || r.state != SB_STOPPING)
			continue;
		k->leaving = 1;
		master_retire(m, i);
		log_info("master: worker %ld (slot %u) stopped accepting; "
		    "starting its replacement", (long)k->pid, i);
	}
}

/* SIGHUP: a new generation first, then the old one retires. */
static void
master_reload(struct master *m)
{
	unsigned i, old = m->gen;

	m->gen++;
	m->fails = 0;
	m->respawn_at = now_mono();
	notify_reloading();	/* READY=1 once the new generation is up */
	m->unready = 1;
	log_notice("SIGHUP: starting generation %u, retiring generation %u",
	    m->gen, old);
	/* The model may hand what the old workers hold on to the new. */
	for (i = 0; i < m->nslots; i++)
		if (m->kids[i].pid != 0 && m->kids[i].gen != m->gen)
			master_retire(m, i);
	for (i = 0; i < m->nslots && master_serving(m) < m->want; i++)
		if (m->kids[i].pid == 0)
			master_spawn(m, i);
	for (i = 0; i < m->nslots; i++)
		if (m->kids[i].pid != 0 && m->kids[i].gen != m->gen)
			master_stop_child(m, i);
}

/*
 * Whether the watchdog may hear that all is well: every worker wanted
 * is up, and none is a fresh respawn in a crash loop.  While stopping,
 * TimeoutStopSec= watches instead.
 */
static int
master_healthy(const struct master *m)
{
	struct timespec now = now_mono();
	unsigned i;

	if (m->srv->state != SERVER_RUNNING)
		return 1;
	if (master_serving(m) < m->want)
		return 0;
	for (i = 0; i < m->nslots && m->fails > 0; i++)
		if (m->kids[i].pid != 0 && m->kids[i].gen == m->gen &&
		    ts_diff_ms(&now, &m->kids[i].started) <
		    MASTER_QUICK_DEATH_MS)
			return 0;
	return 1;
}

/*
 * The service manager's view: STATUS= when the count of serving workers
 * changes, READY=1 once the workers wanted are up (at start and after a
 * reload).
 */
static void
master_notify(struct master *m)
{
	unsigned n = master_serving(m);

	if (m->srv->state != SERVER_RUNNING)
		return;
	if (n != m->told_serving || m->gen != m->told_gen) {
		notify_status("model %s: %u of %u workers serving, "
		    "generation %u", m->srv->model->name, n, m->want, m->gen);
		m->told_serving = n;
		m->told_gen = m->gen;
	}
	if (m->unready && n >= m->want) {
		if (m->gen == 0)
			server_ready(m->srv);	/* and arm the watchdog */
		else
			notify_ready();
		m->unready = 0;
	}
}

static void
master_signals(struct master *m)
{
	struct herd_server *srv = m->srv;
	unsigned i;

	/* Before server_signals() would ping regardless of the workers. */
	if (sig_take(SIGALRM) && master_healthy(m))
		notify_watchdog();
	server_signals(srv);
	if (srv->state == SERVER_DRAINING && !m->stopped) {
		m->stopped = 1;
		server_close_listeners(srv);
		for (i = 0; i < m->nslots; i++)
			master_stop_child(m, i);
	}
	if (srv->state == SERVER_ABORT && !m->aborted) {
		m->aborted = 1;
		server_close_listeners(srv);
		for (i = 0; i < m->nslots; i++)
			master_kill_child(m, i);
	}
	if (srv->state != SERVER_RUNNING)
		return;
	if (sig_take(SIGHUP))
		master_reload(m);
	if (sig_take(SIGTTIN)) {
		if (m->want < MASTER_MAX_WORKERS)
			m->want++;
		log_notice("SIGTTIN: %u workers", m->want);
	}
	if (sig_take(SIGTTOU)) {
		if (m->want > 1)
			m->want--;
		log_notice("SIGTTOU: %u workers", m->want);
	}
	if (sig_take(SIGUSR2))
		scoreboard_log(srv->scoreboard);
}

/* Workers that outstayed --shutdown-timeout after SIGTERM: SIGKILL. */
static void
master_timers(struct master *m)
{
	struct timespec now = now_mono();
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		struct master_child *k = &m->kids[i];

		if (k->pid != 0 && k->stopping && !k->killed &&
		    ts_diff_ms(&now, &k->kill_at) >= 0) {
			log_notice("master: worker %ld did not stop within "
			    "%u s; killing it", (long)k->pid,
			    m->srv->opt->shutdown_timeout);
			master_kill_child(m, i);
		}
	}
}

/* Spawn up to want (unless backing off); retire the surplus. */
static void
master_maintain(struct master *m)
{
	struct timespec now = now_mono();
	unsigned i, n;

	if (m->srv->state != SERVER_RUNNING)
		return;
	n = master_serving(m);
	if (n < m->want && ts_diff_ms(&now, &m->respawn_at) >= 0) {
		for (i = 0; i < m->nslots && n < m->want; i++)
			if (m->kids[i].pid == 0) {
				if (master_spawn(m, i) < 0)
					break;
				n++;
			}
		/* fork failed, or every slot is taken: try again soon. */
		if (n < m->want) {
			m->respawn_at = now;
			ts_add_ms(&m->respawn_at, MASTER_BACKOFF_MIN_MS);
		}
	}
	for (i = m->nslots; i-- > 0 && n > m->want;)
		if (m->kids[i].pid != 0 && !m->kids[i].stopping &&
		    m->kids[i].gen == m->gen) {
			master_stop_child(m, i);
			n--;
		}
}

/* How long the master may sleep: until a kill or a respawn is due. */
static const struct timespec *
master_timeout(const struct master *m, struct timespec *out)
{
	struct timespec now = now_mono();
	long long ms = 0, d;
	unsigned i;
	int have = 0;

	if (m->srv->state == SERVER_RUNNING && master_serving(m) < m->want) {
		ms = ts_diff_ms(&m->respawn_at, &now);
		have = 1;
	}
	for (i = 0; i < m->nslots; i++) {
		const struct master_child *k = &m->kids[i];

		if (k->pid == 0 || !k->stopping || k->killed)
			continue;
		d = ts_diff_ms(&k->kill_at, &now);
		if (!have || d < ms)
			ms = d;
		have = 1;
	}
	if (!have)
		return NULL;
	if (ms < 0)
		ms = 0;
	ms++;		/* round up: wake after the moment, not before */
	out->tv_sec = (time_t)(ms / 1000);
	out->tv_nsec = (long)(ms % 1000) * 1000000L;
	return out;
}

/* What the control socket reports. */
static void
master_view(const struct master *m, struct control_view *v)
{
	memset(v, 0, sizeof *v);
	v->model = m->srv->model->name;
	v->pid = getpid();
	v->generation = m->gen;
	v->wanted = m->want;
	v->running = m->srv->state == SERVER_RUNNING;
	v->started_ms = (long long)m->started.tv_sec * 1000 +
	    m->started.tv_nsec / 1000000;
	v->sb = m->srv->scoreboard;
	v->gone_served = m->gone_served;
	v->gone_in = m->gone_in;
	v->gone_out = m->gone_out;
}

/* The sooner of timeout and the control clients' next deadline. */
static const struct timespec *
master_control_timeout(const struct master *m, const struct timespec *timeout,
    struct timespec *out)
{
	long long ms = control_timeout_ms(m->srv->control);

	if (ms < 0)
		return timeout;
	ms++;		/* wake after the deadline, not just before */
	if (timeout != NULL && ((long long)timeout->tv_sec * 1000 +
	    timeout->tv_nsec / 1000000) < ms)
		return timeout;
	out->tv_sec = (time_t)(ms / 1000);
	out->tv_nsec = (long)(ms % 1000) * 1000000L;
	return out;
}

/*
 * Sleep until a signal, a timer or a control client; the control
 * socket's descriptors ride along in the model's own wait, if any.
 */
static void
master_wait(struct master *m)
{
	struct pollfd pfd[CONTROL_NPOLL];
	struct control_view v;
	struct timespec ts, cts;
	const struct timespec *timeout = master_timeout(m, &ts);
	size_t n = control_pollfds(m->srv->control, pfd);

	timeout = master_control_timeout(m, timeout, &cts);
	if (m->ops->wait != NULL)
		m->ops->wait(m->ops->ctx, m->srv, timeout, pfd, n);
	else
		ppoll(pfd, n, timeout, sig_waitmask());	/* EINTR: revents 0 */
	if (m->srv->control != NULL) {
		master_view(m, &v);
		control_serve(m->srv->control, pfd, n, &v);
	}
}

int
master_run_ops(struct herd_server *srv, unsigned nworkers,
    const struct master_ops *ops)
{
	struct master m;
	char err[256];
	int rc;

	if ((srv->scoreboard = scoreboard_create(srv->opt->single ? 1 :
	    MASTER_SLOTS, err, sizeof err)) == NULL) {
		log_err("%s", err);
		return EX_OSERR;
	}
	if (srv->opt->single) {		/* -X: the one worker is us */
		scoreboard_claim(srv->scoreboard, 0, getpid(), 0);
		srv->slot = 0;
		notify_status("model %s: single process (-X)",
		    srv->model->name);
		server_ready(srv);
		rc = ops->worker(srv, 0, ops->ctx);
		scoreboard_destroy(srv->scoreboard);
		srv->scoreboard = NULL;
		return rc;
	}
	memset(&m, 0, sizeof m);
	m.srv = srv;
	m.ops = ops;
	m.nslots = MASTER_SLOTS;
	m.want = nworkers < 1 ? 1 : nworkers > MASTER_MAX_WORKERS ?
	    MASTER_MAX_WORKERS : nworkers;
	m.respawn_at = now_mono();
	m.started = now_mono();
	if ((m.kids = calloc(m.nslots, sizeof *m.kids)) == NULL) {
		log_err("master: out of memory");
		scoreboard_destroy(srv->scoreboard);
		srv->scoreboard = NULL;
		return EX_OSERR;
	}
	m.unready = 1;
	m.told_serving = (unsigned)-1;
	snprintf(srv->role, sizeof srv->role, "master");
	log_notice("master %ld: %u workers", (long)getpid(), m.want);
	/* Spoken before any fork: the workers then stay quiet (notify.h). */
	notify_status("model %s: starting %u workers", srv->model->name,
	    m.want);
	master_maintain(&m);
	master_notify(&m);
	while (srv->state == SERVER_RUNNING || master_alive(&m) > 0) {
		master_wait(&m);
		master_reap(&m);
		master_leavers(&m);
		master_signals(&m);
		master_timers(&m);
		master_maintain(&m);
		master_notify(&m);
	}
	server_close_listeners(srv);
	free(m.kids);
	scoreboard_destroy(srv->scoreboard);
	srv->scoreboard = NULL;
	return EX_OK;
}

struct master_plain {
	int	(*worker)(struct herd_server *, unsigned);
};

static int
master_plain_worker(struct herd_server *srv, unsigned slot, void *ctx)
{
	return ((struct master_plain *)ctx)->worker(srv, slot);
}

int
master_run(struct herd_server *srv, unsigned nworkers,
    int (*worker)(struct herd_server *srv, unsigned slot))
{
	struct master_plain plain = { worker };
	struct master_ops ops = {
		.worker = master_plain_worker,
		.ctx = &plain,
	};

	return master_run_ops(srv, nworkers, &ops);
}

unsigned long
master_request_limit(const struct herd_server *srv)
{
	unsigned long n = srv->opt->max_requests;
	struct timespec ts;
	unsigned x;

	if (n == 0 || srv->opt->single)	/* -X: no master to replace us */
		return 0;
	/* Any spread will do: pid and clock differ between workers. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec;
	x ^= x >> 13;
	return n + x % (n / 4 + 1);
}

void
master_leave(struct herd_server *srv, unsigned slot, unsigned long served)
{
	log_info("%s: took %lu connections (--max-requests); finishing "
	    "what it holds, then exiting to be replaced", srv->role, served);
	scoreboard_set_state(srv->scoreboard, slot, SB_STOPPING);
	server_set_state(srv, SERVER_DRAINING);
	/* SIGCHLD: "look at your workers"; the row says which one. */
	kill(getppid(), SIGCHLD);
}

void
master_serve(struct herd_server *srv, unsigned slot, struct herd_conn *c)
{
	struct scoreboard *sb = srv->scoreboard;

	scoreboard_set_state(sb, slot, SB_SERVING);
	scoreboard_add(sb, slot, 1, 0, 0);
	scoreboard_active(sb, slot, 1);
	conn_serve(srv, c);
	scoreboard_active(sb, slot, -1);
	scoreboard_add(sb, slot, 0, c->bytes_in, c->bytes_out);
}

int
master_accept_loop(struct herd_server *srv, unsigned slot,
    struct acceptlock *lock)
{
	unsigned long limit = master_request_limit(srv), served = 0;
	struct herd_conn c;
	int r;

	while (srv->state == SERVER_RUNNING) {
		scoreboard_set_state(srv->scoreboard, slot, SB_IDLE);
		if ((r = acceptlock_take(lock, srv)) < 0)
			return EX_OSERR;
		if (r == 0)
			break;
		scoreboard_set_state(srv->scoreboard, slot, SB_ACCEPTING);
		r = server_accept(srv, &c);
		acceptlock_release(lock);
		if (r < 0) {
			log_err("%s: accept: %s", srv->role, strerror(errno));
			return EX_OSERR;
		}
		if (r == 1) {
			master_serve(srv, slot, &c);
			if (limit != 0 && ++served >= limit) {
				log_info("%s: served %lu connections "
				    "(--max-requests); exiting to be replaced",
				    srv->role, served);
				break;
			}
		}
		server_signals(srv);
	}
	scoreboard_set_state(srv->scoreboard, slot, SB_STOPPING);
	return EX_OK;
}
