/*
 * pool.h - the pool's serving loop, which hybrid runs in each of its
 * worker processes.
 */
#ifndef HERD_MODELS_POOL_H
#define HERD_MODELS_POOL_H

struct herd_server;

/*
 * Accept into a bounded queue and serve it with --threads threads
 * until the server stops, or until limit connections were accepted
 * (0: no limit; hybrid's --max-requests, see master_leave()); slot is
 * this process's scoreboard row.  Returns an EX_ code.
 */
int	pool_serve(struct herd_server *, unsigned slot, unsigned long limit);

#endif
