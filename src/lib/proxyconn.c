/*
 * proxyconn.c - read a connection's PROXY protocol header and make the
 * client it names the connection's peer (see proxyconn.h).
 *
 * The spec forbids guessing: on a listener that expects the header,
 * a connection that does not start with one is closed, never served
 * as if it were plain data, or anyone who can reach the port could
 * claim any address.  Each such close is one warning naming the peer
 * and the reason, so a misconfigured balancer shows at once.  A peer
 * that connects and closes without a byte (a port scan, a balancer's
 * plain connect check) is not an error of anyone's: that is logged at
 * info.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "options.h"
#include "proxyconn.h"
#include "server.h"

void
proxyconn_start(const struct herd_server *srv, struct proxyconn *p)
{
	unsigned idle = srv->opt->timeout;

	p->len = 0;
	p->timeout = idle > 0 && idle < PROXYCONN_TIMEOUT ? idle :
	    PROXYCONN_TIMEOUT;
	clock_gettime(CLOCK_MONOTONIC, &p->deadline);
	p->deadline.tv_sec += p->timeout;
}

long long
proxyconn_ms_left(const struct proxyconn *p)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(p->deadline.tv_sec - now.tv_sec) * 1000 +
	    (p->deadline.tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms < 0 ? 0 : ms;
}

/* "127.0.0.1:40112" or "[::1]:40112": who c's peer is now. */
static void
proxyconn_peer(const struct herd_conn *c, char *name, size_t len)
{
	net_addr_name((const struct sockaddr *)&c->addr, c->addrlen, name,
	    len);
}

int
proxyconn_take(const struct herd_server *srv, struct herd_conn *c,
    struct proxyconn *p, size_t *off)
{
	struct proxy_header h;
	char err[PROXY_ERRLEN], proxy[NET_NAMELEN], client[NET_NAMELEN];
	int n;

	n = proxy_parse(p->buf, p->len, &h, err, sizeof err);
	proxyconn_peer(c, proxy, sizeof proxy);
	if (n == PROXY_NEED_MORE && p->len == sizeof p->buf) {
		/* proxy.c refuses before this; never wait on a full buffer. */
		snprintf(err, sizeof err, "no header in %zu bytes", p->len);
		n = PROXY_ERROR;
	}
	if (n == PROXY_ERROR) {
		log_warn("fd %d from %s: not a PROXY protocol header, closing: "
		    "%s", c->fd, proxy, err);
		return -1;
	}
	if (n == PROXY_NEED_MORE)
		return 0;
	*off = (size_t)n;
	if (h.local || h.src.ss_family == AF_UNSPEC) {
		/* A health check, or a proxy that cannot tell: keep ours. */
		log_info("fd %d from %s: PROXY v%d %s, the peer stays", c->fd,
		    proxy, h.version, h.local ? "LOCAL" : "with no address");
		return 1;
	}
	memcpy(&c->addr, &h.src, sizeof c->addr);
	c->addrlen = h.addrlen;
	server_conn_names(srv, c);
	proxyconn_peer(c, client, sizeof client);
	log_info("fd %d from %s: PROXY v%d: the client is %s", c->fd, proxy,
	    h.version, client);
	return 1;
}

void
proxyconn_fail(const struct herd_conn *c, const struct proxyconn *p, int eof)
{
	char peer[NET_NAMELEN];

	proxyconn_peer(c, peer, sizeof peer);
	if (eof && p->len == 0)
		log_info("fd %d from %s: closed before sending its PROXY "
		    "protocol header", c->fd, peer);
	else if (eof)
		log_warn("fd %d from %s: closed within its PROXY protocol "
		    "header, after %zu bytes", c->fd, peer, p->len);
	else if (errno == ETIMEDOUT)
		log_warn("fd %d from %s: no whole PROXY protocol header "
		    "within %u s (%zu bytes came), closing", c->fd, peer,
		    p->timeout, p->len);
	else if (errno == ECANCELED)
		log_debug("fd %d from %s: stopping before its PROXY protocol "
		    "header came", c->fd, peer);
	else
		log_warn("fd %d from %s: reading its PROXY protocol header: "
		    "%s", c->fd, peer, strerror(errno));
}

/* One read into p; 1 got bytes, 0 EOF, -1 failed or timed out. */
static int
proxyconn_recv(struct herd_server *srv, struct herd_conn *c,
    struct proxyconn *p)
{
	ssize_t n;

	for (;;) {
		if (server_wait_until(srv, c->fd, POLLIN, &p->deadline) != 1)
			return -1;
		n = recv(c->fd, p->buf + p->len, sizeof p->buf - p->len,
		    MSG_DONTWAIT);
		if (n > 0) {
			p->len += (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
	}
}

int
proxyconn_read(struct herd_server *srv, struct herd_conn *c, void *data,
    size_t cap, size_t *n)
{
	struct proxyconn p;
	size_t off = 0;
	int r;

	proxyconn_start(srv, &p);
	do {
		if ((r = proxyconn_recv(srv, c, &p)) <= 0) {
			proxyconn_fail(c, &p, r == 0);
			break;
		}
	} while ((r = proxyconn_take(srv, c, &p, &off)) == 0);
	if (r <= 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	*n = p.len - off;
	if (*n > cap)		/* cannot be: cap holds a whole header */
		*n = cap;
	memcpy(data, p.buf + off, *n);
	return 0;
}
