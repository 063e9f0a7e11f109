/*
 * proxyconn.h - a connection's PROXY protocol header, read before its
 * handler sees a byte: on a listener marked proxy (--proxy-protocol,
 * --listen PORT=HANDLER,proxy) a load balancer names the real client
 * first, and that client becomes the connection's peer.
 *
 * proxy.c parses; this reads with a deadline, swaps the peer and says
 * in the log why a connection without a good header was closed.  The
 * blocking models wait in proxyconn_read() (from conn_serve()); the
 * event loop feeds the bytes it reads to proxyconn_take() itself.
 */
#ifndef HERD_PROXYCONN_H
#define HERD_PROXYCONN_H

#include <stddef.h>
#include <time.h>

#include "proxy.h"

struct herd_server;
struct herd_conn;

/*
 * How long a client (the proxy) gets to send the whole header, as
 * nginx's proxy_protocol_timeout: 5 s, or --timeout when that is
 * shorter.  A header is one small segment sent at connect time, so
 * this only ever runs out on a peer that is not the proxy.
 */
#define PROXYCONN_TIMEOUT	5

/* The header of one connection, as far as it has arrived. */
struct proxyconn {
	unsigned char	buf[PROXY_HEADER_MAX];
	size_t		len;
	struct timespec	deadline;	/* CLOCK_MONOTONIC */
	unsigned	timeout;	/* seconds, for the log */
};

/* Start waiting for c's header now. */
void	proxyconn_start(const struct herd_server *, struct proxyconn *);
/* Milliseconds left before p's deadline, 0 once it has passed. */
long long proxyconn_ms_left(const struct proxyconn *);

/*
 * After bytes were added to p->buf: 1 the header is whole, c's peer
 * is now the client it names (the proxy's own for a v2 LOCAL, such as
 * a health check, or v1 UNKNOWN) and p->buf[*off..p->len) is the
 * client's own first data; 0 more is needed; -1 it is no header, and
 * why is logged: the caller closes c without running its handler.
 */
int	proxyconn_take(const struct herd_server *, struct herd_conn *c,
	    struct proxyconn *p, size_t *off);
/*
 * Reading the header failed: the peer closed (eof 1), or errno says
 * what (ETIMEDOUT: the deadline passed).  Logs it; the caller closes.
 */
void	proxyconn_fail(const struct herd_conn *c, const struct proxyconn *p,
	    int eof);

/*
 * The blocking models' whole step: wait for c's header (within the
 * deadline and the drain deadline), then put what came after it into
 * data (cap >= PROXY_HEADER_MAX) and its length into *n.  0, or -1
 * with c closed and the reason logged.
 */
int	proxyconn_read(struct herd_server *, struct herd_conn *c, void *data,
	    size_t cap, size_t *n);

#endif
