/*
 * pool - the main thread alone accepts and queues each connected
 * descriptor; --threads T pool threads pop and serve them (memcached's
 * dispatcher, Apache's worker MPM inside one process).
 *
 * The queue is bounded (--queue-depth) and allocated once.  When it is
 * full the acceptor stops accepting until a thread frees a slot, so a
 * burst waits in the kernel's listen backlog and memory stays flat.
 * The acceptor waits for room in ppoll(), like every wait of the
 * signal-handling thread, so SIGTERM still reaches it.
 *
 * Under a master (hybrid) the process's scoreboard row counts the
 * busy threads as its active connections (idle = T - active), and
 * reads "serving" while the queue is full, "accepting" otherwise.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "connlimit.h"
#include "crew.h"
#include "log.h"
#include "notify.h"
#include "master.h"
#include "options.h"
#include "pool.h"
#include "queue.h"
#include "scoreboard.h"
#include "server.h"

struct pool {
	struct queue	q;
	unsigned	slot;	/* scoreboard row */
	unsigned long	limit;	/* connections to accept; 0 no limit */
};

static void
pool_thread(struct herd_server *view, void *arg)
{
	struct pool *p = arg;
	struct herd_conn c;

	/* After an abort, conn_serve() closes what is still queued. */
	while (queue_pop(&p->q, &c) == 1) {
		log_debug("%s serves fd %d", view->role, c.fd);
		master_serve(view, p->slot, &c);
	}
}

/* Wait until the queue has room (or the server stops): as server_wait_fd. */
static int
pool_wait_room(struct herd_server *srv, struct pool *p)
{
	int r;

	log_debug("queue full (%u): not accepting", srv->opt->queue_depth);
	scoreboard_set_state(srv->scoreboard, p->slot, SB_SERVING);
	r = server_wait_fd(srv, p->q.room_fd, POLLIN);
	scoreboard_set_state(srv->scoreboard, p->slot, SB_ACCEPTING);
	return r;
}

/* Accept into the queue until the server stops; 0, or -1 on error. */
static int
pool_accept(struct herd_server *srv, struct pool *p)
{
	struct herd_conn c;
	unsigned long accepted = 0;
	int r;

	scoreboard_set_state(srv->scoreboard, p->slot, SB_ACCEPTING);
	while (srv->state == SERVER_RUNNING) {
		if (queue_full_arm(&p->q))
			r = pool_wait_room(srv, p);
		else if ((r = server_accept(srv, &c)) == 1 &&
		    queue_push(&p->q, &c) < 0) {
			/* Only this thread pushes, and there was room. */
			log_err("queue fd %d: %s", c.fd, strerror(errno));
			close(c.fd);
			connlimit_done(srv, &c);
		} else if (r == 1 && p->limit != 0 && ++accepted >= p->limit)
			master_leave(srv, p->slot, accepted);
		if (r < 0)
			return -1;
		server_signals(srv);
		server_sighup(srv);	/* hybrid's master handles its own */
	}
	return 0;
}

int
pool_serve(struct herd_server *srv, unsigned slot, unsigned long limit)
{
	struct pool p = { .slot = slot, .limit = limit };
	struct crew cw;
	unsigned i;
	int rc = EX_OK;

	if (queue_init(&p.q, srv->opt->queue_depth, sizeof(struct herd_conn))
	    < 0 || crew_init(&cw, srv) < 0) {
		log_err("pool: %s", strerror(errno));
		queue_free(&p.q);
		return EX_OSERR;
	}
	for (i = 0; i < srv->opt->threads; i++)
		if (crew_start(&cw, "thread", 0, pool_thread, &p) < 0) {
			log_err("thread %u of %u: %s", i + 1,
			    srv->opt->threads, strerror(errno));
			rc = EX_OSERR;
			break;
		}
	log_info("%s: %u threads, queue of %u", srv->role, i,
	    srv->opt->queue_depth);
	if (rc == EX_OK && pool_accept(srv, &p) < 0)
		rc = EX_OSERR;
	scoreboard_set_state(srv->scoreboard, slot, SB_STOPPING);
	server_close_listeners(srv);
	queue_shutdown(&p.q);
	crew_finish(&cw);
	queue_free(&p.q);
	return rc;
}

static int
pool_run(struct herd_server *srv)
{
	/* hybrid's master speaks for its workers: only pool says it here. */
	notify_status("model pool: %u threads, %u queued connections at most",
	    srv->opt->threads, srv->opt->queue_depth);
	server_ready(srv);
	return pool_serve(srv, 0, 0);
}

const struct herd_model model_pool = {
	.name = "pool",
	.summary = "the main thread accepts into a bounded queue, "
	    "T threads serve",
	.run = pool_run,
};
