/*
 * acceptlock.c - the accept lock shared by worker processes (see
 * acceptlock.h).
 *
 * Taking the lock must not make a worker deaf to SIGTERM: herd's
 * signals are blocked outside ppoll(), and neither F_SETLKW nor
 * pthread_mutex_lock() waits in ppoll.  So a waiter sleeps in slices:
 * pthread_mutex_timedlock() for the mutex, F_SETLKW under a short
 * interval timer for fcntl, and between slices lets pending signals
 * in (a zero-timeout ppoll) and looks at the server's state.  A slice
 * is long enough that idle waiters cost nothing measurable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "acceptlock.h"
#include "log.h"
#include "server.h"
#include "sig.h"

#define ACCEPTLOCK_SLICE_MS	250

struct acceptlock {
	enum accept_lock	 kind;
	int			 fd;		/* fcntl */
	pthread_mutex_t		*mutex;		/* shared */
};

static int
acceptlock_fcntl_open(struct acceptlock *al, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[512];

	snprintf(path, sizeof path, "%s/herd-accept-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((al->fd = mkostemp(path, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "accept lock file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	unlink(path);		/* only the descriptor is needed */
	return 0;
}

static int
acceptlock_mutex_open(struct acceptlock *al, char *err, size_t errlen)
{
	pthread_mutexattr_t attr;
	int e;

	al->mutex = mmap(NULL, sizeof *al->mutex, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (al->mutex == MAP_FAILED) {
		al->mutex = NULL;
		snprintf(err, errlen, "accept mutex: %s", strerror(errno));
		return -1;
	}
	if ((e = pthread_mutexattr_init(&attr)) != 0 ||
	    (e = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (e = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (e = pthread_mutex_init(al->mutex, &attr)) != 0) {
		snprintf(err, errlen, "accept mutex: %s", strerror(e));
		return -1;
	}
	pthread_mutexattr_destroy(&attr);
	return 0;
}

struct acceptlock *
acceptlock_create(enum accept_lock kind, char *err, size_t errlen)
{
	struct acceptlock *al;
	int r = 0;

	if ((al = calloc(1, sizeof *al)) == NULL) {
		snprintf(err, errlen, "accept lock: out of memory");
		return NULL;
	}
	al->kind = kind;
	al->fd = -1;
	if (kind == ACCEPT_LOCK_FCNTL)
		r = acceptlock_fcntl_open(al, err, errlen);
	else if (kind == ACCEPT_LOCK_MUTEX)
		r = acceptlock_mutex_open(al, err, errlen);
	if (r < 0) {
		acceptlock_destroy(al);
		return NULL;
	}
	return al;
}

void
acceptlock_destroy(struct acceptlock *al)
{
	if (al == NULL)
		return;
	if (al->fd >= 0)
		close(al->fd);
	if (al->mutex != NULL)
		munmap(al->mutex, sizeof *al->mutex);
	free(al);
}

/* Let pending signals run their handlers, then act on them. */
static int
acceptlock_stopping(struct herd_server *srv)
{
	struct timespec zero = { 0, 0 };

	ppoll(NULL, 0, &zero, sig_waitmask());
	server_signals(srv);
	return srv->state != SERVER_RUNNING;
}

/* One slice of F_SETLKW: 1 taken, 0 not yet, -1 error. */
static int
acceptlock_fcntl_slice(struct acceptlock *al)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct itimerval it = {
		.it_value = { 0, ACCEPTLOCK_SLICE_MS * 1000 },
	};
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	sigset_t saved;
	int r, e;

	/* SIGALRM is one of herd's signals: it ends the wait with EINTR. */
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_sigmask(SIG_SETMASK, sig_waitmask(), &saved);
	r = fcntl(al->fd, F_SETLKW, &fl);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	sig_take(SIGALRM);
	if (r == 0)
		return 1;
	if (e == EINTR)
		return 0;
	log_err("accept lock (fcntl): %s", strerror(e));
	return -1;
}

/* One slice of the mutex: 1 taken, 0 not yet, -1 error. */
static int
acceptlock_mutex_slice(struct acceptlock *al)
{
	struct timespec until;
	int e;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ACCEPTLOCK_SLICE_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	e = pthread_mutex_timedlock(al->mutex, &until);
	if (e == 0)
		return 1;
	if (e == ETIMEDOUT || e == EINTR)
		return 0;
	if (e == EOWNERDEAD) {
		/* Its holder died inside accept: nothing to repair. */
		log_warn("accept lock (mutex): its holder died; recovered");
		if ((e = pthread_mutex_consistent(al->mutex)) == 0)
			return 1;
	}
	log_err("accept lock (mutex): %s", strerror(e));
	return -1;
}

int
acceptlock_take(struct acceptlock *al, struct herd_server *srv)
{
	int r;

	if (al == NULL || al->kind == ACCEPT_LOCK_NONE)
		return 1;
	for (;;) {
		if (acceptlock_stopping(srv))
			return 0;
		if (al->kind == ACCEPT_LOCK_FCNTL)
			r = acceptlock_fcntl_slice(al);
		else
			r = acceptlock_mutex_slice(al);
		if (r != 0)
			return r;
	}
}

void
acceptlock_release(struct acceptlock *al)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (al == NULL)
		return;
	if (al->kind == ACCEPT_LOCK_FCNTL)
		fcntl(al->fd, F_SETLK, &fl);
	else if (al->kind == ACCEPT_LOCK_MUTEX)
		pthread_mutex_unlock(al->mutex);
}
