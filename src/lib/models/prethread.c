/*
 * prethread - --threads T threads each accept and serve, one client
 * at a time (UNP's serv07 and serv08's sibling): the thread
 * counterpart of prefork.  With --accept-lock mutex only the thread
 * holding the mutex waits in accept (one wakes per connection); with
 * none, all of them poll the listeners and the kernel picks.  fcntl
 * locks are per process, so they cannot order threads: options.c
 * refuses that combination.
 *
 * The main thread only takes signals.  On SIGTERM every thread stops
 * accepting and ends after its current client.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sysexits.h>

#include "crew.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "server.h"

static void
prethread_serve(struct herd_server *view, void *lock)
{
	if (server_serve_iteratively(view, lock) < 0)
		log_err("%s: cannot accept: %s", view->role, strerror(errno));
}

static int
prethread_run(struct herd_server *srv)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int mutex = srv->opt->accept_lock == ACCEPT_LOCK_MUTEX;
	struct crew cw;
	unsigned i;
	int rc = EX_OK;

	if (crew_init(&cw, srv) < 0) {
		log_err("threads: %s", strerror(errno));
		return EX_OSERR;
	}
	for (i = 0; i < srv->opt->threads; i++)
		if (crew_start(&cw, "thread", 0, prethread_serve,
		    mutex ? &lock : NULL) < 0) {
			log_err("thread %u of %u: %s", i + 1,
			    srv->opt->threads, strerror(errno));
			rc = EX_OSERR;
			break;
		}
	log_info("%u threads accept, accept lock %s", i,
	    accept_lock_name(srv->opt->accept_lock));
	if (rc == EX_OK) {
		notify_status("model prethread: %u threads accept", i);
		server_ready(srv);
	}
	while (rc == EX_OK && srv->state == SERVER_RUNNING &&
	    server_pause(srv) == 0)
		server_sighup(srv);
	crew_finish(&cw);
	/* Only now: the threads polled the listeners until they ended. */
	server_close_listeners(srv);
	pthread_mutex_destroy(&lock);
	return rc;
}

const struct herd_model model_prethread = {
	.name = "prethread",
	.summary = "T threads each accept and serve (--accept-lock none|mutex)",
	.run = prethread_run,
};
