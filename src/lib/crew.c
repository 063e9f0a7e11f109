/*
 * crew.c - the worker threads of one process (see crew.h).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "crew.h"
#include "log.h"
#include "server.h"

struct crew_member {
	struct crew		*crew;
	struct herd_server	 view;
	crew_fn			*fn;
	void			*arg;
};

int
crew_init(struct crew *cw, struct herd_server *srv)
{
	int e;

	memset(cw, 0, sizeof *cw);
	cw->srv = srv;
	if (server_threads_begin(srv) < 0)
		return -1;
	if ((cw->donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -1;
	if ((e = pthread_mutex_init(&cw->lock, NULL)) != 0) {
		close(cw->donefd);
		errno = e;
		return -1;
	}
	return 0;
}

static void *
crew_main(void *arg)
{
	struct crew_member *m = arg;
	struct crew *cw = m->crew;
	uint64_t one = 1;
	sigset_t all;

	/* The main thread alone takes signals; they stay blocked here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	m->fn(&m->view, m->arg);
	server_view_free(&m->view);
	free(m);
	/*
	 * Write under the lock: once the main thread sees live drop it
	 * may free the crew, so nothing of it is touched after this.
	 */
	pthread_mutex_lock(&cw->lock);
	cw->live--;
	while (write(cw->donefd, &one, sizeof one) < 0 && errno == EINTR)
		;
	pthread_mutex_unlock(&cw->lock);
	return NULL;
}

/* Room for one more joinable thread id. */
static int
crew_grow(struct crew *cw)
{
	pthread_t *tid;
	size_t cap;

	if (cw->ntid < cw->captid)
		return 0;
	cap = cw->captid ? cw->captid * 2 : 16;
	if ((tid = realloc(cw->tid, cap * sizeof *tid)) == NULL)
		return -1;
	cw->tid = tid;
	cw->captid = cap;
	return 0;
}

int
crew_start(struct crew *cw, const char *name, int detached, crew_fn *fn,
    void *arg)
{
	struct crew_member *m;
	pthread_attr_t attr;
	pthread_t tid;
	char role[32];
	int e;

	if (!detached && crew_grow(cw) < 0)
		return -1;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return -1;
	snprintf(role, sizeof role, "%s %u", name, ++cw->started);
	if (server_view_init(&m->view, cw->srv, role) < 0) {
		free(m);
		return -1;
	}
	m->crew = cw;
	m->fn = fn;
	m->arg = arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, detached ?
	    PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
	pthread_mutex_lock(&cw->lock);
	if ((e = pthread_create(&tid, &attr, crew_main, m)) == 0)
		cw->live++;
	pthread_mutex_unlock(&cw->lock);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		server_view_free(&m->view);
		free(m);
		errno = e;
		return -1;
	}
	if (!detached)
		cw->tid[cw->ntid++] = tid;
	return 0;
}

unsigned
crew_live(struct crew *cw)
{
	unsigned n;

	pthread_mutex_lock(&cw->lock);
	n = cw->live;
	pthread_mutex_unlock(&cw->lock);
	return n;
}

/* Clear donefd, then count: a thread ending after this rewakes us. */
static unsigned
crew_live_arm(struct crew *cw)
{
	uint64_t n;

	while (read(cw->donefd, &n, sizeof n) < 0 && errno == EINTR)
		;
	return crew_live(cw);
}

int
crew_wait_below(struct crew *cw, unsigned n)
{
	int r;

	while (crew_live_arm(cw) >= n)
		if ((r = server_wait_fd(cw->srv, cw->donefd, POLLIN)) != 1)
			return r;
	return 1;
}

void
crew_finish(struct crew *cw)
{
	struct herd_server *srv = cw->srv;
	struct pollfd p = { .fd = cw->donefd, .events = POLLIN };
	unsigned n;
	size_t i;

	if (srv->state == SERVER_RUNNING)	/* an error: no grace */
		server_set_state(srv, SERVER_ABORT);
	crew_wait_below(cw, 1);
	if ((n = crew_live(cw)) > 0) {
		log_notice("closing the connections of %u threads", n);
		server_set_state(srv, SERVER_ABORT);
	}
	/* Aborted, every thread ends promptly: wait without a clock. */
	while (crew_live_arm(cw) > 0)
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
	for (i = 0; i < cw->ntid; i++)
		pthread_join(cw->tid[i], NULL);
	free(cw->tid);
	pthread_mutex_destroy(&cw->lock);
	close(cw->donefd);
	server_threads_end(srv);
	memset(cw, 0, sizeof *cw);
}
