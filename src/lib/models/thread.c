/*
 * thread - the main thread accepts; a detached thread per connection
 * serves it (UNP's serv06).  Threads share the process, so unlike
 * fork nothing needs closing on either side: the connected descriptor
 * simply moves to the thread that serves it.
 *
 * --max-conns caps the live connections, hence threads: at the cap the
 * main thread stops accepting until one ends (server_accept() waits
 * for a token, connlimit.h), and new clients wait in the backlog.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "connlimit.h"
#include "crew.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "server.h"

static void
thread_conn(struct herd_server *view, void *arg)
{
	struct herd_conn *c = arg;

	log_debug("%s serves fd %d", view->role, c->fd);
	conn_serve(view, c);
	free(c);
}

/* Hand c to a new thread; on failure the connection is dropped. */
static void
thread_spawn(struct crew *cw, struct herd_conn *c)
{
	struct herd_conn *copy;

	if ((copy = malloc(sizeof *copy)) != NULL) {
		*copy = *c;
		if (crew_start(cw, "thread", 1, thread_conn, copy) == 0)
			return;
		free(copy);
	}
	log_err("thread for fd %d from %s: %s", c->fd, c->host,
	    strerror(errno));
	close(c->fd);
	connlimit_done(cw->srv, c);
}

static int
thread_run(struct herd_server *srv)
{
	unsigned max = srv->opt->max_conns;
	struct crew cw;
	struct herd_conn c;
	int r, rc = EX_OK;

	if (crew_init(&cw, srv) < 0) {
		log_err("threads: %s", strerror(errno));
		return EX_OSERR;
	}
	notify_status("model thread: a thread per connection, at most %u",
	    max);
	server_ready(srv);
	while (srv->state == SERVER_RUNNING) {
		if ((r = server_accept(srv, &c)) == 1)
			thread_spawn(&cw, &c);
		if (r < 0) {
			rc = EX_OSERR;
			break;
		}
		server_signals(srv);
		server_sighup(srv);
	}
	server_close_listeners(srv);
	crew_finish(&cw);
	return rc;
}

const struct herd_model model_thread = {
	.name = "thread",
	.summary = "the main thread accepts, a thread per connection serves",
	.run = thread_run,
};
