/*
 * crew.h - the worker threads of one process, and the main thread's
 * watch over them.
 *
 * Every thread model has the same shape: the main thread takes the
 * signals and may accept; worker threads serve with every signal
 * blocked, each on its own view of the server (server_view_init()).
 * The crew counts the live threads, lets the main thread wait for
 * "fewer than N" while still seeing signals (a thread that ends
 * writes an eventfd the main thread ppoll()s), and on shutdown gives
 * them until --shutdown-timeout before waking them to close.
 */
#ifndef HERD_CREW_H
#define HERD_CREW_H

#include <pthread.h>
#include <stddef.h>

struct herd_server;

struct crew {
	struct herd_server	*srv;	/* the main thread's */
	pthread_mutex_t		 lock;
	unsigned		 live;
	unsigned		 started;	/* names threads 1, 2, ... */
	int			 donefd;	/* eventfd: a thread ended */
	pthread_t		*tid;		/* joinable threads */
	size_t			 ntid;
	size_t			 captid;
};

/* What a thread runs: view is its own, arg the caller's. */
typedef void	crew_fn(struct herd_server *view, void *arg);

/* 0, or -1 with errno.  Also makes the server's wake-up eventfds. */
int	crew_init(struct crew *, struct herd_server *);

/*
 * Start a thread named "NAME N" running fn; detached threads are
 * counted but not joined.  0, or -1 with errno (arg is still the
 * caller's then).
 */
int	crew_start(struct crew *, const char *name, int detached, crew_fn *fn,
	    void *arg);

unsigned crew_live(struct crew *);

/*
 * Main thread: wait until fewer than n threads are live, acting on
 * signals meanwhile.  1 when so, 0 when the server is aborting, -1
 * on error.
 */
int	crew_wait_below(struct crew *, unsigned n);

/*
 * Main thread, once nothing new reaches the threads: wait for them up
 * to the drain deadline, then abort the server so the rest close,
 * wait for those, join and free everything.
 */
void	crew_finish(struct crew *);

#endif
