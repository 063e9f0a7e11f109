/*
 * master.h - the master process every process model shares: it forks
 * the workers, sleeps on signals, respawns the dead, reloads and
 * stops them (nginx's master process, Apache's prefork parent).
 *
 * Signals the master acts on:
 *   TERM, INT  graceful: stop accepting, SIGTERM the workers, SIGKILL
 *              what is left after --shutdown-timeout, return EX_OK
 *   QUIT       SIGKILL the workers at once, return EX_OK
 *   HUP        start a new generation of workers on the same listeners,
 *              then retire the old one gracefully
 *   TTIN/TTOU  one worker more / less
 *   USR2       write the scoreboard to the log
 *
 * A worker is told to stop with SIGTERM: srv->state leaves
 * SERVER_RUNNING, it finishes the connections it holds and returns.
 */
#ifndef HERD_MASTER_H
#define HERD_MASTER_H

#include <poll.h>
#include <stddef.h>
#include <time.h>

#include "server.h"

struct herd_conn;

/* Fork and supervise nworkers processes, each running worker(srv, slot)
 * until it returns; returns an EX_ code at shutdown. */
int master_run(struct herd_server *srv, unsigned nworkers,
    int (*worker)(struct herd_server *srv, unsigned slot));

/*
 * The long form, for models whose master does more than sleep (passfd
 * accepts and hands descriptors out).  Every hook but worker may be
 * NULL.  slot is the worker's scoreboard row, unique among live
 * workers; srv->scoreboard is the board.
 */
struct master_ops {
	int	(*worker)(struct herd_server *, unsigned slot, void *ctx);
	void	 *ctx;
	/* Master, before forking slot's worker: 0, or -1 (logged). */
	int	(*prepare)(void *ctx, unsigned slot);
	/* In the new worker, before worker(). */
	void	(*child)(void *ctx, unsigned slot);
	/* Master, after the fork succeeded (or failed: pid -1). */
	void	(*forked)(void *ctx, unsigned slot, pid_t pid);
	/*
	 * Master: slot's worker gets no more work and is about to be told
	 * to stop.  On SIGHUP this comes for the old generation before the
	 * new one is forked, so the new can take over what the old held.
	 */
	void	(*retire)(void *ctx, unsigned slot);
	/* Master: slot's worker is dead and reaped. */
	void	(*gone)(void *ctx, unsigned slot);
	/*
	 * Master: sleep until a signal comes or timeout passes (NULL:
	 * forever), doing the model's own work on the way.  Poll the
	 * nextra descriptors in extra too (the control socket's; the
	 * master serves them) and set their revents (0 when ppoll
	 * failed).  Default: a ppoll() of extra with the signals let in.
	 */
	void	(*wait)(void *ctx, struct herd_server *,
		    const struct timespec *timeout, struct pollfd *extra,
		    size_t nextra);
};

int	master_run_ops(struct herd_server *, unsigned nworkers,
	    const struct master_ops *);

/*
 * For workers: how many connections this worker serves before it
 * returns so the master replaces it (--max-requests plus up to a
 * quarter more, so workers started together do not all restart
 * together); 0 for no limit, and under -X, where no master would
 * replace it.
 */
unsigned long master_request_limit(const struct herd_server *);

/*
 * For workers that hold many connections (event, hybrid): the request
 * limit is reached after served connections.  Stop accepting and let
 * the master start a replacement now; the worker finishes what it
 * holds (within --shutdown-timeout, as after SIGTERM) and returns.
 */
void	master_leave(struct herd_server *, unsigned slot,
	    unsigned long served);

/*
 * For workers: serve c with conn_serve(), keeping slot's scoreboard
 * row (state, accepted, active, bytes) up to date.
 */
void	master_serve(struct herd_server *, unsigned slot,
	    struct herd_conn *);

/*
 * For workers that accept themselves (prefork, reuseport): under lock
 * (NULL for none), accept from srv's listeners and serve, until told
 * to stop or the request limit is reached.  Returns an EX_ code.
 */
struct acceptlock;
int	master_accept_loop(struct herd_server *, unsigned slot,
	    struct acceptlock *);

#endif
