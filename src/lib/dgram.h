/*
 * dgram.h - serving a datagram (UDP) listener.
 *
 * A datagram socket has no listening/connected split: the one bound
 * socket receives every datagram and sends every reply.  Each datagram
 * is one whole exchange with fresh handler state: on_open, on_data
 * with the datagram, on_data with len 0 (the peer is done, flush what
 * is owed), on_close; all the output goes back in one sendmsg() to the
 * sender.  No output, no reply.
 *
 * The models need no code of their own for it: server_accept_on()
 * serves a readable datagram listener in place and reports "nothing
 * accepted", so whoever polls listeners in a model (the master, each
 * worker, each thread) serves datagrams there.  Workers of the process
 * models inherit the same socket; reads never block (MSG_DONTWAIT), so
 * a worker that loses the race for a datagram just sees EAGAIN.
 */
#ifndef HERD_DGRAM_H
#define HERD_DGRAM_H

#include <stddef.h>

struct herd_server;
struct herd_listener;

/* The biggest datagram we receive whole: UDP's limit, rounded up. */
#define DGRAM_MAX	65536

/*
 * Prepare a bound datagram socket: ask for each datagram's destination
 * address, so replies leave from the address the client sent to (on a
 * wildcard or multi-address socket).  Best effort: 0 always.
 */
int	dgram_setup(int fd);

/*
 * Serve the datagrams waiting on l (a few at most, so other listeners
 * get their turn).  Errors are logged; the listener stays usable.
 */
void	dgram_serve(struct herd_server *, const struct herd_listener *l);

/* Free what dgram_serve() keeps per server (its buffers). */
void	dgram_free(struct herd_server *);

#endif
