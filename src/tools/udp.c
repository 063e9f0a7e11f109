/*
 * udp.c - herd-load --udp: one thread's closed loop over UDP sockets.
 *
 * Each socket is connect()ed to the server (so only its replies come
 * in, and an ICMP "port unreachable" shows as ECONNREFUSED) and has
 * one datagram in flight.  A reply completes it and the next goes out
 * at once.  A datagram not answered within --timeout is counted lost
 * and the socket moves on: UDP promises nothing, so the loop must not
 * wait for what may never come.  It moves on to a fresh socket (a new
 * source port): a reply that arrives after its datagram was counted
 * lost then finds no socket, and cannot pass for the next one's.
 *
 * With --expect echo or rot13 the reply must be as long as the request:
 * it is read into a buffer of exactly that size, and a longer one
 * (MSG_TRUNC) is counted truncated.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

static int
udp_measuring(const struct worker *w, uint64_t now)
{
	return now >= w->measure_from;
}

static int
udp_may_issue(const struct worker *w)
{
	return !w->stopping &&
	    (w->quota == 0 || w->issued + w->failed < w->quota);
}

/* The datagram in flight on c ended without a good reply. */
static void
udp_fail(struct worker *w, struct conn *c, uint64_t *counter, uint64_t now)
{
	if (c->n > 0) {
		w->issued--;
		c->n = 0;
	}
	if (udp_measuring(w, now)) {
		(*counter)++;
		w->failed++;
	}
}

/* Send the next datagram on c, if one is due; else c waits a tick. */
static void
udp_send(struct worker *w, struct conn *c, uint64_t now)
{
	ssize_t n;

	c->state = C_CLOSED;		/* until a datagram is in flight */
	if (!udp_may_issue(w))
		return;
	do
		n = send(c->fd, w->sendbuf, w->cfg->size, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* Refused: an earlier datagram met a closed port. */
		udp_fail(w, c, &w->errors[errno == ECONNREFUSED ?
		    LOAD_ERR_REFUSED : LOAD_ERR_OTHER], now);
		return;
	}
	c->state = C_ACTIVE;
	c->n = 1;
	c->t[0] = c->last = now;
	w->issued++;
}

static void
udp_open(struct worker *w, struct conn *c, uint64_t now)
{
	const struct load_config *cfg = w->cfg;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	c->fd = socket(cfg->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)&cfg->addr,
	    cfg->addrlen) < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd,
	    &ev) < 0) {
		snprintf(w->err, sizeof w->err, "udp socket: %s",
		    strerror(errno));
		w->stopping = 1;
		return;
	}
	udp_send(w, c, now);
}

/* One reply read: check it, complete the datagram, send the next. */
static void
udp_reply(struct worker *w, struct conn *c, size_t got, int truncated,
    uint64_t now)
{
	const struct load_config *cfg = w->cfg;
	size_t n = got < cfg->size ? got : cfg->size;

	if (c->n == 0)			/* nothing in flight: a stray */
		return;
	if (truncated) {
		udp_fail(w, c, &w->truncated, now);
		udp_send(w, c, now);
		return;
	}
	if (udp_measuring(w, now)) {
		if (cfg->expect != VERIFY_NONE)
			w->mismatches += (cfg->size - n) + verify_chunk(
			    cfg->expect, w->want, cfg->size, 0, w->rx, n);
		hist_record(&w->hist, now - c->t[0]);
		w->done++;
	}
	c->n = 0;		/* issued still counts it, as done */
	udp_send(w, c, now);
}

static void
udp_readable(struct worker *w, struct conn *c, uint64_t now)
{
	size_t cap = w->cfg->expect == VERIFY_NONE ? RXBUF : w->cfg->size;
	struct iovec iov = { w->rx, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		msg.msg_flags = 0;
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			udp_fail(w, c, &w->errors[errno == ECONNREFUSED ?
			    LOAD_ERR_REFUSED : LOAD_ERR_OTHER], now);
			return;		/* the next tick sends again */
		}
		udp_reply(w, c, (size_t)n, (msg.msg_flags & MSG_TRUNC) != 0,
		    now);
	}
}

/* Lost datagrams, and sockets waiting to send again. */
static void
udp_tick(struct worker *w, uint64_t now)
{
	uint64_t limit = (uint64_t)(w->cfg->timeout * 1e9);
	struct conn *c;
	unsigned i;

	for (i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		if (c->fd < 0)
			continue;
		if (c->n > 0 && now - c->last > limit) {
			udp_fail(w, c, &w->lost, now);
			close(c->fd);		/* also leaves the epoll set */
			c->fd = -1;
			udp_open(w, c, now);
		} else if (c->n == 0)
			udp_send(w, c, now);
	}
}

/* worker_publish() with the sockets that are open. */
static void
udp_publish(struct worker *w)
{
	uint64_t open = 0;
	unsigned i;

	for (i = 0; i < w->nconns; i++)
		open += w->conns[i].fd >= 0;
	worker_publish(w, open);
}

void *
udp_worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[256];
	struct timespec ts;
	/* Losses are found at the tick: make it fine enough for --timeout. */
	uint64_t tick = (uint64_t)(w->cfg->timeout * 1e9) / 4;
	uint64_t now, next_tick;
	unsigned i;
	int n;

	if (tick > TICK_NS)
		tick = TICK_NS;
	if (tick < 1000000)
		tick = 1000000;
	now = now_ns();
	for (i = 0; i < w->nconns && w->err[0] == '\0'; i++)
		udp_open(w, &w->conns[i], now);
	next_tick = now + tick;
	while (w->err[0] == '\0' && !worker_finished(w, now = now_ns())) {
		if (now >= next_tick) {
			udp_tick(w, now);
			udp_publish(w);
			next_tick = now + tick;
		}
		ts.tv_sec = (time_t)((next_tick - now) / NS);
		ts.tv_nsec = (long)((next_tick - now) % NS);
		n = epoll_pwait2(w->ep, ev, 256, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			snprintf(w->err, sizeof w->err, "epoll_wait: %s",
			    strerror(errno));
			break;
		}
		now = now_ns();
		for (i = 0; i < (unsigned)(n > 0 ? n : 0); i++)
			udp_readable(w, ev[i].data.ptr, now);
	}
	w->ended = now;
	w->stopping = 1;
	udp_publish(w);
	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	atomic_store(&w->finished, 1);
	return NULL;
}
