/*
 * dgram.c - one datagram, one exchange (see dgram.h).
 *
 * The receive buffer is DGRAM_MAX bytes, as big as a UDP datagram can
 * be, and kept per server (per thread view), so nothing big sits on a
 * thread's stack and nothing is allocated per datagram but the
 * handler's state.  A datagram that still did not fit (MSG_TRUNC) is
 * reported and not answered: a reply to part of a request would be a
 * wrong reply.  Replies never block: a full send buffer drops the
 * reply, as the network may drop any datagram.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dgram.h"
#include "log.h"
#include "server.h"

#define DGRAM_BATCH	16	/* datagrams per call, for fairness */

struct dgram {
	unsigned char	 in[DGRAM_MAX];
	struct herd_buf	 out;
};

/* Room for the one pktinfo control message either way. */
union dgram_cmsg {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(struct in_pktinfo))];
};

int
dgram_setup(int fd)
{
	int on = 1, family = 0;
	socklen_t len = sizeof family;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
		return 0;
	/* A dual-stack IPv6 socket reports IPv4 datagrams as IP_PKTINFO. */
	(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
		    sizeof on);
	return 0;
}

void
dgram_free(struct herd_server *srv)
{
	if (srv->dgram == NULL)
		return;
	herd_buf_free(&srv->dgram->out);
	free(srv->dgram);
	srv->dgram = NULL;
}

/*
 * Turn the destination address the datagram came with into the source
 * address of its reply, in ctl; the length used (0: none came).
 */
static size_t
dgram_reply_ctl(struct msghdr *in, union dgram_cmsg *ctl)
{
	struct cmsghdr *cm, *out;
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;

	memset(ctl, 0, sizeof *ctl);
	out = &ctl->hdr;
	for (cm = CMSG_FIRSTHDR(in); cm != NULL; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof pi);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;	/* let routing pick */
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(out), &pi, sizeof pi);
			return CMSG_SPACE(sizeof pi);
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof pi6);
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof pi6);
			memcpy(CMSG_DATA(out), &pi6, sizeof pi6);
			return CMSG_SPACE(sizeof pi6);
		}
	}
	return 0;
}

/*
 * Run the handler over one datagram: open, data, the peer's "done"
 * (len 0), close.  The reply is in d->out unless a hook failed.
 * Returns 0, or -1 (no reply) when the handler failed.
 */
static int
dgram_exchange(const struct herd_handler *h, struct dgram *d, size_t len,
    const struct herd_peer *peer)
{
	void *st;
	int verdict = HERD_CONTINUE;

	d->out.len = 0;
	if ((st = calloc(1, h->state_size ? h->state_size : 1)) == NULL) {
		log_err("udp from %s: no memory for %s state", peer->host,
		    h->name);
		return -1;
	}
	if (h->on_open != NULL)
		verdict = h->on_open(st, peer, &d->out);
	if (verdict == HERD_CONTINUE && h->on_data != NULL)
		verdict = h->on_data(st, d->in, len, &d->out);
	/* A non-NULL pointer with len 0, as conn.c passes at EOF. */
	if (verdict == HERD_CONTINUE && h->on_data != NULL)
		verdict = h->on_data(st, d->in, 0, &d->out);
	if (h->on_close != NULL)
		h->on_close(st);
	free(st);
	return verdict == HERD_ERROR ? -1 : 0;
}

/* One datagram: 1 served (or refused), 0 none waiting. */
static int
dgram_one(struct herd_server *srv, const struct herd_listener *l,
    struct dgram *d)
{
	struct herd_conn c;	/* for its address and names */
	struct herd_peer peer;
	union dgram_cmsg inctl, outctl;
	struct iovec iov = { d->in, sizeof d->in };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = inctl.buf, .msg_controllen = sizeof inctl.buf,
	};
	ssize_t n;

	memset(&c, 0, sizeof c);
	msg.msg_name = &c.addr;
	msg.msg_namelen = sizeof c.addr;
	if ((n = recvmsg(l->fd, &msg, MSG_DONTWAIT | MSG_TRUNC)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("recvmsg on %s: %s", l->name,
			    strerror(errno));
		return 0;
	}
	c.addrlen = msg.msg_namelen;
	server_conn_names(srv, &c);
	if (msg.msg_flags & MSG_TRUNC) {
		log_warn("%s: datagram of %zd bytes from %s:%s is over "
		    "%d: dropped, no reply", l->name, n, c.host, c.serv,
		    DGRAM_MAX);
		return 1;
	}
	peer.addr = (const struct sockaddr *)&c.addr;
	peer.addrlen = c.addrlen;
	peer.host = c.host;	/* numeric: no reverse DNS per datagram */
	peer.serv = c.serv;
	if (dgram_exchange(l->handler, d, (size_t)n, &peer) < 0) {
		log_info("%s: %s failed on %zd bytes from %s:%s: no reply",
		    l->name, l->handler->name, n, c.host, c.serv);
		return 1;
	}
	log_info("%s: %s: %zd bytes from %s:%s, %zu back", srv->role,
	    l->name, n, c.host, c.serv, d->out.len);
	if (d->out.len == 0)
		return 1;
	/* An unnamed AF_UNIX sender (a socketpair): its peer is implied. */
	if (c.addrlen <= sizeof(sa_family_t)) {
		msg.msg_name = NULL;
		msg.msg_namelen = 0;
	}
	msg.msg_controllen = dgram_reply_ctl(&msg, &outctl);
	msg.msg_control = msg.msg_controllen > 0 ? outctl.buf : NULL;
	msg.msg_iov->iov_base = d->out.data;
	msg.msg_iov->iov_len = d->out.len;
	msg.msg_flags = 0;
	if (sendmsg(l->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_warn("%s: reply of %zu bytes to %s:%s: %s", l->name,
		    d->out.len, c.host, c.serv, strerror(errno));
	return 1;
}

void
dgram_serve(struct herd_server *srv, const struct herd_listener *l)
{
	int i;

	if (srv->dgram == NULL &&
	    (srv->dgram = calloc(1, sizeof *srv->dgram)) == NULL) {
		log_err("%s: no memory for a receive buffer", l->name);
		return;
	}
	for (i = 0; i < DGRAM_BATCH && srv->state != SERVER_ABORT; i++)
		if (dgram_one(srv, l, srv->dgram) == 0)
			break;
}
