/*
 * acceptlock.h - serialize accept() across worker processes (UNP
 * 30.8-30.9, Apache's AcceptMutex): only the holder waits in poll and
 * accept on the listeners, so one new connection wakes one process.
 *
 * none:  no lock; every idle worker polls and the kernel wakes them
 *        all (the thundering herd), one wins accept(), the rest EAGAIN.
 * fcntl: a write record lock on an unlinked temporary file; the kernel
 *        drops it when the holder dies.
 * mutex: a PTHREAD_PROCESS_SHARED, robust pthread mutex in shared
 *        memory; a holder that dies leaves EOWNERDEAD to the next
 *        taker, who marks it consistent and goes on.
 *
 * Create it in the master before forking; the workers inherit it.
 * fcntl locks belong to processes: they keep processes apart, not the
 * threads of one process (use mutex, or a lock of your own, for those).
 */
#ifndef HERD_ACCEPTLOCK_H
#define HERD_ACCEPTLOCK_H

#include <stddef.h>

#include "options.h"

struct acceptlock;
struct herd_server;

/* NULL + err on failure; a lock of kind none is a valid, empty lock. */
struct acceptlock *acceptlock_create(enum accept_lock kind, char *err,
	    size_t errlen);
void	acceptlock_destroy(struct acceptlock *);

/*
 * Take the lock, waking for signals (acted on as server_signals()
 * does).  1 taken; 0 not taken because the server is stopping; -1 the
 * lock failed (logged).
 */
int	acceptlock_take(struct acceptlock *, struct herd_server *);
void	acceptlock_release(struct acceptlock *);

#endif
