/*
 * conn.c - the one blocking I/O loop every blocking model uses.
 *
 * Read what the peer sends, hand it to the handler, write back what
 * the handler produced, until one side is done.  The loop copes with
 * EINTR, short writes, a peer that half-closes (its reply is still
 * flushed before we close) and a peer that vanishes (EPIPE and
 * ECONNRESET end the connection, never the process: SIGPIPE is
 * ignored and writes use MSG_NOSIGNAL).
 *
 * Reads and writes wait in ppoll() first, so a signal or the
 * shutdown deadline can always interrupt a connection, even one whose
 * client never reads, and --timeout closes one on which no byte moved
 * for that long (a slowloris client holds no worker forever).
 *
 * On a listener that expects a PROXY protocol header, conn_serve()
 * first reads it (proxyconn.c): the handler then sees the client the
 * load balancer names, and never a connection without a good header.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connlimit.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "proxyconn.h"
#include "server.h"

#define CONN_CHUNK	16384

int
conn_write_all(struct herd_server *srv, int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (server_wait_conn(srv, fd, POLLOUT) != 1)
			return -1;	/* errno says idle or aborting */
	}
	return 0;
}

/* Read a chunk: >0 bytes, 0 EOF, -1 error or stop (errno set). */
static ssize_t
conn_read(struct herd_server *srv, int fd, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		if (server_wait_conn(srv, fd, POLLIN) != 1)
			return -1;
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
	}
}

/* Why a connection ends early, at debug: a peer's doing, not ours. */
static void
conn_error(const struct herd_server *srv, const struct herd_conn *c,
    const char *what)
{
	if (errno == ETIMEDOUT)
		log_debug("fd %d from %s: idle %u s, closing", c->fd,
		    c->host, srv->opt->timeout);
	else
		log_debug("fd %d: %s %s: %s", c->fd, what, c->host,
		    strerror(errno));
}

/*
 * Send what the handler produced.  Returns the handler's verdict, or
 * HERD_ERROR when the peer went away.
 */
static int
conn_flush(struct herd_server *srv, struct herd_conn *c,
    struct herd_buf *out, int verdict)
{
	if (verdict != HERD_ERROR && out->len > 0) {
		if (conn_write_all(srv, c->fd, out->data, out->len) < 0) {
			conn_error(srv, c, "write to");
			verdict = HERD_ERROR;
		} else
			c->bytes_out += out->len;
	}
	out->len = 0;
	return verdict;
}

/* --resolve: the peer's name (reverse DNS, which blocks), or NULL. */
static char *
conn_resolve(const struct herd_conn *c)
{
	char name[NI_MAXHOST], serv[NI_MAXSERV];

	if (net_addr_text((const struct sockaddr *)&c->addr, c->addrlen, 1,
	    name, sizeof name, serv, sizeof serv) < 0)
		return NULL;
	return strdup(name);	/* NULL: the number will do */
}

int
conn_open(const struct herd_server *srv, struct herd_conn *c,
    struct herd_peer *peer, void **st)
{
	const struct herd_handler *h = c->listener->handler;

	c->name = srv->opt->resolve ? conn_resolve(c) : NULL;
	peer->addr = (const struct sockaddr *)&c->addr;
	peer->addrlen = c->addrlen;
	peer->host = c->name != NULL ? c->name : c->host;
	peer->serv = c->serv;
	log_info("connected to %s (%s)", peer->host, c->host);
	if ((*st = calloc(1, h->state_size ? h->state_size : 1)) == NULL) {
		log_err("fd %d: no memory for %s state", c->fd, h->name);
		free(c->name);
		c->name = NULL;
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void
conn_close(struct herd_conn *c, void *st, struct herd_buf *out)
{
	const struct herd_handler *h = c->listener->handler;

	if (h->on_close != NULL)
		h->on_close(st);
	free(st);
	herd_buf_free(out);
	log_info("fd %d from %s closed: received %llu bytes, sent %llu",
	    c->fd, c->host, c->bytes_in, c->bytes_out);
	free(c->name);
	c->name = NULL;
	close(c->fd);
	c->fd = -1;
}

void
conn_serve(struct herd_server *srv, struct herd_conn *c)
{
	const struct herd_handler *h = c->listener->handler;
	struct herd_peer peer;
	struct herd_buf out = { NULL, 0, 0 };
	unsigned char in[CONN_CHUNK];
	void *st;
	ssize_t n;
	size_t early = 0;
	int verdict = HERD_CONTINUE;

	/* Behind a load balancer: who the client is comes first. */
	if (c->listener->proxy &&
	    proxyconn_read(srv, c, in, sizeof in, &early) < 0) {
		connlimit_done(srv, c);
		return;
	}
	if (conn_open(srv, c, &peer, &st) < 0) {
		connlimit_done(srv, c);
		return;
	}
	if (h->on_open != NULL)
		verdict = conn_flush(srv, c, &out, h->on_open(st, &peer, &out));
	if (early > 0 && verdict == HERD_CONTINUE) {
		/* What came in the header's segment is the client's. */
		c->bytes_in += early;
		if (h->on_data != NULL)
			verdict = conn_flush(srv, c, &out,
			    h->on_data(st, in, early, &out));
	}
	while (verdict == HERD_CONTINUE) {
		if ((n = conn_read(srv, c->fd, in, sizeof in)) < 0) {
			conn_error(srv, c, "read from");
			break;
		}
		c->bytes_in += (size_t)n;
		if (h->on_data != NULL)
			verdict = conn_flush(srv, c, &out,
			    h->on_data(st, in, (size_t)n, &out));
		if (n == 0)		/* half-closed: what was owed is sent */
			break;
	}
	conn_close(c, st, &out);
	connlimit_done(srv, c);
}
