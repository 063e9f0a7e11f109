/*
 * load.c - see load.h.
 *
 * Each worker owns an epoll descriptor and a slice of the connections.
 * A connection keeps a ring of the times its outstanding requests were
 * sent (closed loop) or were due (open loop); a reply completes when
 * the reply stream crosses a multiple of the message size, and the
 * oldest time in the ring gives its latency.  Everything is allocated
 * before the clock starts.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "sched.h"

#define RING		LOAD_MAX_PIPELINE
#define TICK_NS		100000000ULL	/* timeouts, reconnects, stats */
#define RXBUF		65536
#define NS		1000000000ULL

enum conn_state { C_CLOSED, C_CONNECTING, C_ACTIVE };

struct conn {
	int		fd;
	enum conn_state	state;
	int		wantout;	/* EPOLLOUT is armed */
	uint64_t	tx_left;	/* bytes owed to the socket */
	uint64_t	tx_off;		/* request stream bytes sent */
	uint64_t	rx_off;		/* reply stream bytes read */
	uint64_t	last;		/* last progress, for the timeout */
	unsigned	head, n;	/* ring of outstanding requests */
	uint64_t	t[RING];
};

struct worker {
	pthread_t		 tid;
	unsigned		 id;
	const struct load_config *cfg;
	int			 ep;
	struct conn		*conns;
	unsigned		 nconns;
	unsigned		 rr;		/* open loop: next connection */
	uint32_t		 src;		/* next source address */
	unsigned char		*sendbuf;	/* the message, repeated */
	size_t			 sendcap;
	unsigned char		*want;		/* the reply it owes */
	unsigned char		*rx;
	uint64_t		 quota;		/* measured requests, or 0 */
	uint64_t		 issued;	/* requests sent, not failed */
	uint64_t		 done;		/* measured */
	uint64_t		 failed;	/* measured errors */
	uint64_t		 measure_from, stop_at, ended;
	int			 stopping;
	struct sched		 sched;
	struct hist		 hist;
	uint64_t		 mismatches;
	uint64_t		 errors[LOAD_ERR_KINDS];
	char			 err[128];
	_Atomic uint64_t	 pub_done, pub_errors, pub_p99, pub_open;
	_Atomic int		 finished;
};

static const char *const err_names[LOAD_ERR_KINDS] = {
	"refused", "reset", "timeout", "short", "other"
};

const char *
load_err_name(enum load_err e)
{
	return e < LOAD_ERR_KINDS ? err_names[e] : "?";
}

static uint64_t
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
static void
worker_publish(struct worker *w)
{
	uint64_t open = 0;
	unsigned i;

	for (i = 0; i < w->nconns; i++)
		open += w->conns[i].state == C_ACTIVE;
	atomic_store(&w->pub_done, w->done);
	atomic_store(&w->pub_errors, w->failed);
	atomic_store(&w->pub_open, open);
	atomic_store(&w->pub_p99, hist_percentile(&w->hist, 99.0));
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
	worker_publish(w);
}

static int
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

static void *
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
	worker_publish(w);
	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	atomic_store(&w->finished, 1);
	return NULL;
}

static int
worker_init(struct worker *w, unsigned id, const struct load_config *cfg,
    uint64_t start, const unsigned char *msg, const unsigned char *want)
{
	unsigned k, i, t = cfg->threads;

	memset(w, 0, sizeof *w);
	w->id = id;
	w->cfg = cfg;
	w->nconns = cfg->conns / t + (id < cfg->conns % t);
	w->quota = cfg->requests / t + (id < cfg->requests % t);
	w->src = id * 7919u;
	w->measure_from = start + (uint64_t)(cfg->warmup * 1e9);
	if (cfg->duration > 0)
		w->stop_at = w->measure_from + (uint64_t)(cfg->duration * 1e9);
	if (cfg->mode == LOAD_OPEN)
		sched_init(&w->sched, start, cfg->rate, id, t);
	hist_init(&w->hist);
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	/* Room to write a whole pipeline from any offset in the message. */
	k = cfg->mode == LOAD_OPEN ? 4 : cfg->pipeline + 1;
	w->sendcap = cfg->size * k;
	w->sendbuf = malloc(w->sendcap);
	w->want = malloc(cfg->size);
	w->rx = malloc(RXBUF);
	w->conns = calloc(w->nconns ? w->nconns : 1, sizeof *w->conns);
	if (!w->sendbuf || !w->want || !w->rx || !w->conns)
		return -1;
	for (i = 0; i < k; i++)
		memcpy(w->sendbuf + i * cfg->size, msg, cfg->size);
	memcpy(w->want, want, cfg->size);
	for (i = 0; i < w->nconns; i++)
		w->conns[i].fd = -1;
	return 0;
}

static void
worker_free(struct worker *w)
{
	if (w->ep >= 0)
		close(w->ep);
	free(w->sendbuf);
	free(w->want);
	free(w->rx);
	free(w->conns);
}

static int
all_finished(struct worker *ws, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!atomic_load(&ws[i].finished))
			return 0;
	return 1;
}

static void
report_progress(struct worker *ws, unsigned n, uint64_t start,
    load_progress_fn fn, void *arg)
{
	struct load_progress p = { 0 };
	uint64_t p99;
	unsigned i;

	p.elapsed = (double)(now_ns() - start) / 1e9;
	for (i = 0; i < n; i++) {
		p.requests += atomic_load(&ws[i].pub_done);
		p.errors += atomic_load(&ws[i].pub_errors);
		p.open += atomic_load(&ws[i].pub_open);
		if ((p99 = atomic_load(&ws[i].pub_p99)) > p.p99)
			p.p99 = p99;
	}
	fn(&p, arg);
}

/* Wait for the workers, calling fn once a second meanwhile. */
static void
supervise(struct worker *ws, unsigned n, uint64_t start,
    load_progress_fn fn, void *arg)
{
	struct timespec nap = { 0, 20000000L };
	uint64_t next = start + NS;

	while (!all_finished(ws, n)) {
		nanosleep(&nap, NULL);
		if (fn != NULL && now_ns() >= next) {
			report_progress(ws, n, start, fn, arg);
			next += NS;
		}
	}
}

static void
collect(const struct load_config *cfg, struct worker *ws,
    struct load_result *r)
{
	unsigned i, k;
	uint64_t from, end = 0;
	double el;

	memset(r, 0, sizeof *r);
	hist_init(&r->hist);
	for (i = 0; i < cfg->threads; i++) {
		struct worker *w = &ws[i];

		hist_merge(&r->hist, &w->hist);
		r->requests += w->done;
		r->mismatches += w->mismatches;
		r->open += atomic_load(&w->pub_open);
		for (k = 0; k < LOAD_ERR_KINDS; k++)
			r->errors[k] += w->errors[k];
		if (w->ended > end)
			end = w->ended;
	}
	from = ws[0].measure_from;
	el = end > from ? (double)(end - from) / 1e9 : 0.0;
	r->elapsed = el;
}

int
load_run(const struct load_config *cfg, struct load_result *r,
    load_progress_fn progress, void *arg, char *err, size_t errlen)
{
	struct worker *ws;
	unsigned char *msg, *want;
	uint64_t start;
	unsigned i, started = 0;
	int rc = -1;

	ws = calloc(cfg->threads, sizeof *ws);
	msg = malloc(cfg->size);
	want = malloc(cfg->size);
	if (ws == NULL || msg == NULL || want == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->threads; i++)
		ws[i].ep = -1;
	verify_fill(msg, cfg->size);
	verify_expect(cfg->expect, msg, cfg->size, want);
	start = now_ns();
	for (i = 0; i < cfg->threads; i++) {
		if (worker_init(&ws[i], i, cfg, start, msg, want) < 0) {
			snprintf(err, errlen, "worker %u: %s", i,
			    strerror(errno));
			goto join;
		}
	}
	for (started = 0; started < cfg->threads; started++) {
		if ((errno = pthread_create(&ws[started].tid, NULL,
		    worker_main, &ws[started])) != 0) {
			snprintf(err, errlen, "pthread_create: %s",
			    strerror(errno));
			goto join;
		}
	}
	supervise(ws, started, start, progress, arg);
	rc = 0;
join:
	for (i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].err[0] != '\0' && rc == 0) {
			snprintf(err, errlen, "%s", ws[i].err);
			rc = -1;
		}
	}
	if (rc == 0)
		collect(cfg, ws, r);
	for (i = 0; i < cfg->threads; i++)
		worker_free(&ws[i]);
out:
	free(ws);
	free(msg);
	free(want);
	return rc;
}
