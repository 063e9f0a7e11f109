/*
 * worker.c - the hot path of herd-load: one thread's epoll loop.
 *
 * A connection keeps a ring of the times its outstanding requests were
 * sent (closed loop) or were due (open loop); a reply completes when
 * the reply stream crosses a multiple of the message size, and the
 * oldest time in the ring gives its latency.  Per request: one write,
 * one read, a memcmp and a histogram increment; nothing is allocated.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static int
measuring(const struct worker *w, uint64_t now)
{
	return now >= w->measure_from;
}

static void
conn_close(struct worker *w, struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->state = C_CLOSED;
	c->wantout = 0;
	w->issued -= c->n;	/* lost in flight: to be sent again */
	c->n = c->head = 0;
	c->tx_left = c->tx_off = c->rx_off = 0;
}

static enum load_err
err_kind(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return LOAD_ERR_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return LOAD_ERR_RESET;
	case ETIMEDOUT:
		return LOAD_ERR_TIMEOUT;
	default:
		return LOAD_ERR_OTHER;
	}
}

static void
conn_fail(struct worker *w, struct conn *c, enum load_err kind,
    uint64_t now)
{
	if (measuring(w, now)) {
		w->errors[kind]++;
		w->failed++;
	}
	conn_close(w, c);
}

static int
conn_arm(struct worker *w, struct conn *c, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(w->ep, op, c->fd, &ev);
}

/* Spread connections over 127.0.0.2 ... so ports do not run out. */
static int
conn_bind_source(struct worker *w, int fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int on = 1;

	sin.sin_addr.s_addr = htonl(0x7f000002u +
	    w->src++ % w->cfg->sources);
	/* The port is picked at connect(), per destination. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
	return bind(fd, (struct sockaddr *)&sin, sizeof sin);
}

static void
conn_open(struct worker *w, struct conn *c, uint64_t now)
{
	const struct load_config *cfg = w->cfg;
	int on = 1;

	c->fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	c->last = now;
	if (c->fd < 0) {
		conn_fail(w, c, LOAD_ERR_OTHER, now);
		return;
	}
	/* Pipelined small requests must not wait for Nagle. */
	if (cfg->mode != LOAD_CPR)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (cfg->sources > 0 && conn_bind_source(w, c->fd) < 0) {
		conn_fail(w, c, err_kind(errno), now);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&cfg->addr,
	    cfg->addrlen) < 0 && errno != EINPROGRESS) {
		conn_fail(w, c, err_kind(errno), now);
		return;
	}
	c->state = C_CONNECTING;
	if (conn_arm(w, c, EPOLL_CTL_ADD, EPOLLOUT) < 0)
		conn_fail(w, c, LOAD_ERR_OTHER, now);
}

/* Write what is owed until done or the socket is full. */
static void
conn_flush(struct worker *w, struct conn *c, uint64_t now)
{
	size_t len = w->cfg->size, at, chunk;
	ssize_t n;

	while (c->tx_left > 0) {
		at = (size_t)(c->tx_off % len);
		chunk = w->sendcap - at;
		if (chunk > c->tx_left)
			chunk = (size_t)c->tx_left;
		n = send(c->fd, w->sendbuf + at, chunk, MSG_NOSIGNAL);
		if (n > 0) {
			c->tx_off += (uint64_t)n;
			c->tx_left -= (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->wantout && conn_arm(w, c, EPOLL_CTL_MOD,
			    EPOLLIN | EPOLLOUT) == 0)
				c->wantout = 1;
			return;
		}
		conn_fail(w, c, err_kind(errno), now);
		return;
	}
	if (c->wantout && conn_arm(w, c, EPOLL_CTL_MOD, EPOLLIN) == 0)
		c->wantout = 0;
}

/* One more request on c, sent (or due) at t; flushed by the caller. */
static void
conn_queue(struct worker *w, struct conn *c, uint64_t t)
{
	if (c->n == 0)
		c->last = t;
	c->t[(c->head + c->n++) % RING] = t;
	c->tx_left += w->cfg->size;
	w->issued++;
}

static int
may_issue(const struct worker *w)
{
	return !w->stopping &&
	    (w->quota == 0 || w->issued + w->failed < w->quota);
}

static void
conn_connected(struct worker *w, struct conn *c, uint64_t now)
{
	uint64_t t0 = c->last;	/* connect() began */
	int e = 0;
	socklen_t len = sizeof e;
	unsigned i;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e != 0) {
		conn_fail(w, c, err_kind(e), now);
		return;
	}
	c->state = C_ACTIVE;
	c->last = now;
	if (conn_arm(w, c, EPOLL_CTL_MOD, EPOLLIN) < 0) {
		conn_fail(w, c, LOAD_ERR_OTHER, now);
		return;
	}
	if (w->cfg->mode == LOAD_CLOSED || w->cfg->mode == LOAD_CPR) {
		/* Per request, the connection is part of the latency. */
		for (i = 0; i < w->cfg->pipeline && may_issue(w); i++)
			conn_queue(w, c, w->cfg->mode == LOAD_CPR ? t0 : now);
		conn_flush(w, c, now);
	}
}

/* Replies completed by the reply stream reaching rx_off + n. */
static void
conn_complete(struct worker *w, struct conn *c, uint64_t done, uint64_t now)
{
	const struct load_config *cfg = w->cfg;

	while (done-- > 0 && c->n > 0) {
		if (measuring(w, now)) {
			hist_record(&w->hist, now - c->t[c->head]);
			w->done++;
		}
		c->head = (c->head + 1) % RING;
		c->n--;
		c->last = now;
		if (cfg->mode == LOAD_CLOSED && may_issue(w))
			conn_queue(w, c, now);
	}
	if (cfg->mode == LOAD_CPR && c->n == 0) {
		close(c->fd);
		c->fd = -1;
		c->state = C_CLOSED;
		c->wantout = 0;
		c->tx_left = c->tx_off = c->rx_off = 0;
		c->head = 0;
		if (may_issue(w))
			conn_open(w, c, now);
		return;
	}
	conn_flush(w, c, now);
}

static void
conn_readable(struct worker *w, struct conn *c, uint64_t now)
{
	const struct load_config *cfg = w->cfg;
	uint64_t before, after, owed;
	size_t mine;
	ssize_t n;

	n = recv(c->fd, w->rx, RXBUF, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_fail(w, c, err_kind(errno), now);
		return;
	}
	if (n == 0) {
		conn_fail(w, c, c->n > 0 ? LOAD_ERR_SHORT : LOAD_ERR_RESET,
		    now);
		return;
	}
	/* Bytes beyond what was sent cannot be a reply to it. */
	owed = c->tx_off - c->rx_off;
	mine = (uint64_t)n > owed ? (size_t)owed : (size_t)n;
	if (measuring(w, now))
		w->mismatches += (size_t)n - mine + verify_chunk(cfg->expect,
		    w->want, cfg->size, c->rx_off, w->rx, mine);
	before = c->rx_off / cfg->size;
	c->rx_off += (uint64_t)n;
	after = c->rx_off / cfg->size;
	if (after > before)
		conn_complete(w, c, after - before, now);
}

static void
conn_event(struct worker *w, struct conn *c, uint32_t ev, uint64_t now)
{
	if (c->state == C_CONNECTING) {
		conn_connected(w, c, now);
		return;
	}
	if (c->state == C_ACTIVE && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_readable(w, c, now);
	if (c->state == C_ACTIVE && (ev & EPOLLOUT))
		conn_flush(w, c, now);
}

/*
 * Open loop: send every request that has fallen due.  Returns 0 when
 * every connection is full: the server is behind, and waiting for the
 * next due time would only spin.
 */
static int
worker_schedule(struct worker *w, uint64_t now)
{
	struct conn *c;
	uint64_t due;
	unsigned tries;

	while (may_issue(w) && sched_due(&w->sched) <= now) {
		/* The next connection with room; none: the server is behind. */
		for (tries = 0; tries < w->nconns; tries++) {
			c = &w->conns[w->rr++ % w->nconns];
			if (c->state == C_ACTIVE && c->n < RING)
				break;
		}
		if (tries == w->nconns)
			return 0;
		sched_take(&w->sched, now, &due);
		conn_queue(w, c, due);
		conn_flush(w, c, now);
	}
	return 1;
}

/* The numbers the progress line and the result show. */
void
worker_publish(struct worker *w, uint64_t open)
{
	atomic_store(&w->pub_done, w->done);
	atomic_store(&w->pub_errors, w->failed);
	atomic_store(&w->pub_open, open);
	atomic_store(&w->pub_p99, hist_percentile(&w->hist, 99.0));
}

/* worker_publish() with the connections that are up. */
static void
worker_publish_tcp(struct worker *w)
{
	uint64_t open = 0;
	unsigned i;

	for (i = 0; i < w->nconns; i++)
		open += w->conns[i].state == C_ACTIVE;
	worker_publish(w, open);
}

/* Timeouts and reconnects (failed connections retry at this pace). */
static void
worker_tick(struct worker *w, uint64_t now)
{
	uint64_t limit = (uint64_t)(w->cfg->timeout * 1e9);
	struct conn *c;
	unsigned i;

	for (i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		if (c->state == C_CLOSED && may_issue(w))
			conn_open(w, c, now);
		else if ((c->state == C_CONNECTING || c->n > 0) &&
		    now - c->last > limit)
			conn_fail(w, c, LOAD_ERR_TIMEOUT, now);
	}
	worker_publish_tcp(w);
}

int
worker_finished(struct worker *w, uint64_t now)
{
	unsigned i;

	if (w->stop_at != 0 && now >= w->stop_at)
		return 1;
	if (w->quota == 0 || w->done + w->failed < w->quota)
		return 0;
	w->stopping = 1;
	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].n > 0)
			return 0;
	return 1;
}

void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[256];
	struct timespec ts;
	uint64_t now, next_tick, wait;
	unsigned i;
	int n, behind;

	now = now_ns();
	next_tick = now;
	for (i = 0; i < w->nconns; i++)
		conn_open(w, &w->conns[i], now);
	while (!worker_finished(w, now = now_ns())) {
		if (now >= next_tick) {
			worker_tick(w, now);
			next_tick = now + TICK_NS;
		}
		behind = w->cfg->mode == LOAD_OPEN &&
		    !worker_schedule(w, now);
		wait = next_tick - now;
		if (w->cfg->mode == LOAD_OPEN && !behind && may_issue(w) &&
		    sched_due(&w->sched) < next_tick)
			wait = sched_due(&w->sched) > now ?
			    sched_due(&w->sched) - now : 0;
		ts.tv_sec = (time_t)(wait / NS);
		ts.tv_nsec = (long)(wait % NS);
		n = epoll_pwait2(w->ep, ev, 256, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			snprintf(w->err, sizeof w->err, "epoll_wait: %s",
			    strerror(errno));
			break;
		}
		now = now_ns();
		for (i = 0; i < (unsigned)(n > 0 ? n : 0); i++)
			conn_event(w, ev[i].data.ptr, ev[i].events, now);
	}
	w->ended = now;
	w->stopping = 1;
	worker_publish_tcp(w);
	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	atomic_store(&w->finished, 1);
	return NULL;
}
