/*
 * event - one thread, one epoll loop, non-blocking sockets, thousands
 * of connections (the nginx worker shape).  It drives the same
 * handlers as the blocking models through on_open/on_data/on_close;
 * what conn.c does by blocking, this does by remembering: each
 * connection keeps its handler state and its unsent output.
 *
 * Output is bounded per connection: a peer that sends but does not
 * read stops being read once EV_OUT_MAX bytes wait for it, so its
 * data waits in the kernel (TCP flow control pushes back on it) and
 * never in our heap.  Listeners and connections are level-triggered;
 * one read per readiness keeps a fast peer from starving the rest.
 *
 * --timeout needs no timer per connection: a byte moved moves its
 * connection to the front of the list, so the list runs from most to
 * least recently active and the idle ones are found at its tail, and
 * epoll_wait sleeps no longer than the oldest one has left.
 *
 * On a listener that expects a PROXY protocol header a connection
 * first waits for it (proxyconn.c) outside that list, in a list of
 * its own: every header has the same time to arrive, so arrival order
 * is deadline order and the late ones are found at its head.  Only a
 * whole header starts the handler, with the bytes that came after it.
 *
 * The master (master.c) runs --workers such loops in as many
 * processes, all on the shared listeners; each keeps its scoreboard
 * row: accepting while it holds no connection, serving otherwise.
 *
 * --max-conns is one cap over all of them (connlimit.h): a loop takes
 * a token before each accept; with none free it takes its listeners
 * out and watches the token eventfd instead, until one is given back
 * by whichever process closes a connection.  --max-requests: after
 * that many connections a loop stops accepting, the master starts its
 * replacement, and it ends once it has served what it holds.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "connlimit.h"
#include "log.h"
#include "master.h"
#include "options.h"
#include "proxyconn.h"
#include "scoreboard.h"
#include "server.h"
#include "sig.h"

#define EV_CHUNK	16384
#define EV_OUT_MAX	65536	/* unsent bytes before we stop reading */
#define EV_BATCH	256	/* events per epoll_wait */
#define EV_ACCEPTS	64	/* accepts per ready listener, for fairness */

/* Why the listeners are out of the epoll set's interest. */
#define EV_AT_CAP	1	/* no --max-conns token free */
#define EV_NO_FDS	2	/* out of descriptors: a backoff */

struct ev_conn {
	struct herd_listener	*listening;	/* a listener entry */
	struct herd_conn	 c;
	void			*st;
	struct herd_buf		 out;
	size_t			 off;		/* of out, sent */
	uint32_t		 events;	/* registered */
	int			 closing;	/* flush, then close */
	long long		 active;	/* ms: last byte moved */
	struct ev_conn		*prev, *next;
	struct proxyconn	*hdr;		/* NULL once it has come */
	struct ev_conn		*hprev, *hnext;	/* in lp->hdrs */
};

struct ev_loop {
	struct herd_server	*srv;
	int			 epfd;
	struct ev_conn		*conns;		/* most recently active first */
	struct ev_conn		*oldest;	/* the list's tail */
	struct ev_conn		*hdrs, *hdrs_tail; /* PROXY header to come */
	size_t			 nconns;
	struct ev_conn		*listeners;	/* one per srv listener */
	struct ev_conn		 capwatch;	/* the --max-conns eventfd */
	int			 paused;	/* EV_AT_CAP | EV_NO_FDS */
	long long		 retry;		/* ms: accept again (EMFILE) */
	unsigned		 slot;		/* scoreboard row */
	unsigned long		 limit;		/* --max-requests; 0 none */
	unsigned long		 accepted;
	unsigned char		 in[EV_CHUNK];
};

static void
ev_unlink(struct ev_loop *lp, struct ev_conn *ec)
{
	/* By identity, not by neighbours: harmless on an unlinked ec. */
	if (ec->prev != NULL)
		ec->prev->next = ec->next;
	if (ec->next != NULL)
		ec->next->prev = ec->prev;
	if (lp->conns == ec)
		lp->conns = ec->next;
	if (lp->oldest == ec)
		lp->oldest = ec->prev;
	ec->prev = ec->next = NULL;
}

/* A byte moved on ec: it goes to the front, the last to be idle. */
static void
ev_touch(struct ev_loop *lp, struct ev_conn *ec)
{
	ec->active = clock_ms();
	if (lp->conns == ec)
		return;
	if (ec->prev != NULL)		/* else new: not in the list yet */
		ev_unlink(lp, ec);
	if ((ec->next = lp->conns) != NULL)
		ec->next->prev = ec;
	else
		lp->oldest = ec;
	lp->conns = ec;
}

/* Set the interest of fd, registered with data ptr, to events. */
static void
ev_interest(struct ev_loop *lp, int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		log_err("epoll_ctl fd %d: %s", fd, strerror(errno));
}

/*
 * Out of --max-conns tokens (EV_AT_CAP) or of descriptors (EV_NO_FDS)
 * the listeners leave the epoll set's interest (they are
 * level-triggered: left in, they would wake us for nothing) and new
 * clients wait in the backlog; once no reason is left they come back.
 * At the cap we watch the token eventfd, readable when one is free.
 */
static void
ev_pause(struct ev_loop *lp, int why, int on)
{
	int was = lp->paused;
	size_t i;

	if (lp->listeners == NULL)
		return;
	lp->paused = on ? was | why : was & ~why;
	if ((was ^ lp->paused) & EV_AT_CAP)
		ev_interest(lp, lp->srv->capfd, &lp->capwatch,
		    lp->paused & EV_AT_CAP ? EPOLLIN : 0);
	if ((was != 0) == (lp->paused != 0))
		return;
	/* Datagram listeners need neither a token nor a descriptor. */
	for (i = 0; i < lp->srv->nlisteners; i++)
		if (lp->srv->listeners[i].socktype != SOCK_DGRAM)
			ev_interest(lp, lp->srv->listeners[i].fd,
			    &lp->listeners[i], lp->paused ? 0 : EPOLLIN);
	log_debug("%s: %s accepting (%zu connections)", lp->srv->role,
	    lp->paused ? "stops" : "resumes", lp->nconns);
}

/* Wait for ec's PROXY header, last in the list of those waiting. */
static int
ev_hdr_wait(struct ev_loop *lp, struct ev_conn *ec)
{
	if ((ec->hdr = malloc(sizeof *ec->hdr)) == NULL)
		return -1;
	proxyconn_start(lp->srv, ec->hdr);
	if ((ec->hprev = lp->hdrs_tail) != NULL)
		ec->hprev->hnext = ec;
	else
		lp->hdrs = ec;
	lp->hdrs_tail = ec;
	return 0;
}

/* Its header came, or it goes: out of that list. */
static void
ev_hdr_unlink(struct ev_loop *lp, struct ev_conn *ec)
{
	if (ec->hdr == NULL)
		return;
	if (ec->hprev != NULL)
		ec->hprev->hnext = ec->hnext;
	else
		lp->hdrs = ec->hnext;
	if (ec->hnext != NULL)
		ec->hnext->hprev = ec->hprev;
	else
		lp->hdrs_tail = ec->hprev;
	ec->hprev = ec->hnext = NULL;
	free(ec->hdr);
	ec->hdr = NULL;
}

static void
ev_close(struct ev_loop *lp, struct ev_conn *ec)
{
	struct scoreboard *sb = lp->srv->scoreboard;

	scoreboard_active(sb, lp->slot, -1);
	scoreboard_add(sb, lp->slot, 0, ec->c.bytes_in, ec->c.bytes_out);
	/* close() removes it from the epoll set. */
	if (ec->st != NULL)
		conn_close(&ec->c, ec->st, &ec->out);
	else if (ec->c.fd >= 0)		/* its handler never saw it */
		close(ec->c.fd);
	ev_hdr_unlink(lp, ec);
	connlimit_done(lp->srv, &ec->c);	/* its token wakes a waiter */
	ev_unlink(lp, ec);
	if (--lp->nconns == 0 && lp->srv->state == SERVER_RUNNING)
		scoreboard_set_state(sb, lp->slot, SB_ACCEPTING);
	free(ec);
}

/* Send what is pending without blocking; -1 when the peer is gone. */
static int
ev_flush(struct ev_loop *lp, struct ev_conn *ec)
{
	ssize_t n;

	while (ec->off < ec->out.len) {
		n = send(ec->c.fd, ec->out.data + ec->off,
		    ec->out.len - ec->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_debug("fd %d: write to %s: %s", ec->c.fd,
			    ec->c.host, strerror(errno));
			return -1;
		}
		ec->off += (size_t)n;
		ec->c.bytes_out += (unsigned long long)n;
		ev_touch(lp, ec);
	}
	ec->off = ec->out.len = 0;
	return 0;
}

/*
 * Flush, then register the interest the connection now has: output
 * while some is pending, input while it is open and not backed up.
 * Closes it when it wants neither.
 */
static void
ev_update(struct ev_loop *lp, struct ev_conn *ec)
{
	struct epoll_event ev = { .data.ptr = ec };
	size_t pending;

	if (ev_flush(lp, ec) < 0) {
		ev_close(lp, ec);
		return;
	}
	pending = ec->out.len - ec->off;
	if (pending > 0)
		ev.events |= EPOLLOUT;
	if (!ec->closing && pending < EV_OUT_MAX)
		ev.events |= EPOLLIN;
	if (ev.events == 0) {
		ev_close(lp, ec);
		return;
	}
	if (ev.events != ec->events &&
	    epoll_ctl(lp->epfd, EPOLL_CTL_MOD, ec->c.fd, &ev) < 0) {
		log_err("epoll_ctl fd %d: %s", ec->c.fd, strerror(errno));
		ev_close(lp, ec);
		return;
	}
	ec->events = ev.events;
}

/* Act on a handler's verdict: 1 when ec was closed. */
static int
ev_verdict(struct ev_loop *lp, struct ev_conn *ec, int verdict)
{
	if (verdict == HERD_ERROR) {
		ev_close(lp, ec);
		return 1;
	}
	if (verdict == HERD_CLOSE)
		ec->closing = 1;
	return 0;
}

/* n bytes in lp->in for the handler; 0: the peer half-closed. */
static void
ev_data(struct ev_loop *lp, struct ev_conn *ec, size_t n)
{
	const struct herd_handler *h = ec->c.listener->handler;

	ec->c.bytes_in += (unsigned long long)n;
	ev_touch(lp, ec);
	/* Keep the pending output at the front, so the buffer stays small. */
	if (ec->off > 0) {
		memmove(ec->out.data, ec->out.data + ec->off,
		    ec->out.len - ec->off);
		ec->out.len -= ec->off;
		ec->off = 0;
	}
	if (h->on_data != NULL &&
	    ev_verdict(lp, ec, h->on_data(ec->st, lp->in, n, &ec->out)))
		return;
	if (n == 0)			/* half-closed: send what is owed */
		ec->closing = 1;
	ev_update(lp, ec);
}

static void
ev_read(struct ev_loop *lp, struct ev_conn *ec)
{
	ssize_t n;

	n = recv(ec->c.fd, lp->in, sizeof lp->in, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			ev_update(lp, ec);
			return;
		}
		log_debug("fd %d: read from %s: %s", ec->c.fd, ec->c.host,
		    strerror(errno));
		ev_close(lp, ec);
		return;
	}
	ev_data(lp, ec, (size_t)n);
}

/*
 * The handler's turn: on_open, then the early bytes in lp->in that
 * came in the PROXY header's segment, if any.
 */
static void
ev_start(struct ev_loop *lp, struct ev_conn *ec, size_t early)
{
	const struct herd_handler *h = ec->c.listener->handler;
	struct herd_peer peer;

	if (conn_open(lp->srv, &ec->c, &peer, &ec->st) < 0) {
		ev_close(lp, ec);
		return;
	}
	ev_touch(lp, ec);
	if (h->on_open != NULL &&
	    ev_verdict(lp, ec, h->on_open(ec->st, &peer, &ec->out)))
		return;
	if (early > 0 && !ec->closing)
		ev_data(lp, ec, early);
	else
		ev_update(lp, ec);
}

/* Bytes of a PROXY header: the handler starts once it is whole. */
static void
ev_hdr_read(struct ev_loop *lp, struct ev_conn *ec)
{
	struct proxyconn *p = ec->hdr;
	size_t off = 0, early;
	ssize_t n;
	int r;

	n = recv(ec->c.fd, p->buf + p->len, sizeof p->buf - p->len,
	    MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		proxyconn_fail(&ec->c, p, n == 0);
		ev_close(lp, ec);
		return;
	}
	p->len += (size_t)n;
	if ((r = proxyconn_take(lp->srv, &ec->c, p, &off)) <= 0) {
		if (r < 0)
			ev_close(lp, ec);
		return;
	}
	early = p->len - off;		/* < PROXY_HEADER_MAX < EV_CHUNK */
	memcpy(lp->in, p->buf + off, early);
	ev_hdr_unlink(lp, ec);
	ev_start(lp, ec, early);
}

/*
 * Close the connections whose PROXY header is late; how long epoll_wait
 * may then sleep before the next one is due (-1: none waits).
 */
static int
ev_sweep_hdrs(struct ev_loop *lp)
{
	struct ev_conn *ec;
	long long left = 0;

	while ((ec = lp->hdrs) != NULL &&
	    (left = proxyconn_ms_left(ec->hdr)) == 0) {
		errno = ETIMEDOUT;
		proxyconn_fail(&ec->c, ec->hdr, 0);
		ev_close(lp, ec);
	}
	return ec == NULL ? -1 : (int)left;
}

static void
ev_open(struct ev_loop *lp, struct herd_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ev_conn *ec;

	/* Non-blocking from accept4() on (event_worker): no fcntl here. */
	if ((ec = calloc(1, sizeof *ec)) == NULL) {
		log_err("fd %d from %s: %s", c->fd, c->host, strerror(errno));
		close(c->fd);
		connlimit_done(lp->srv, c);
		return;
	}
	ec->c = *c;
	ec->events = ev.events;
	ev.data.ptr = ec;
	if (lp->nconns++ == 0 && lp->srv->state == SERVER_RUNNING)
		scoreboard_set_state(lp->srv->scoreboard, lp->slot,
		    SB_SERVING);
	scoreboard_add(lp->srv->scoreboard, lp->slot, 1, 0, 0);
	scoreboard_active(lp->srv->scoreboard, lp->slot, 1);
	if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, ec->c.fd, &ev) < 0) {
		log_err("epoll_ctl fd %d: %s", ec->c.fd, strerror(errno));
		ev_close(lp, ec);
		return;
	}
	if (!c->listener->proxy)
		ev_start(lp, ec, 0);
	else if (ev_hdr_wait(lp, ec) < 0) {
		log_err("fd %d from %s: %s", c->fd, c->host, strerror(errno));
		ev_close(lp, ec);
	}
}

static void
ev_accept(struct ev_loop *lp, struct herd_listener *l)
{
	struct herd_server *srv = lp->srv;
	struct herd_conn c;
	int i;

	if (l->socktype == SOCK_DGRAM) {	/* no connection, no token */
		server_accept_on(srv, l, &c);
		return;
	}
	for (i = 0; i < EV_ACCEPTS && srv->state == SERVER_RUNNING; i++) {
		if (!connlimit_take(srv)) {
			ev_pause(lp, EV_AT_CAP, 1);
			break;
		}
		if (server_accept_on(srv, l, &c) != 1) {
			connlimit_give(srv);
			/* Out of descriptors: the loop must not stall. */
			if (srv->accept_exhausted) {
				lp->retry = clock_ms() +
				    SERVER_ACCEPT_BACKOFF_MS;
				ev_pause(lp, EV_NO_FDS, 1);
			}
			break;
		}
		c.held = srv->capfd >= 0;
		ev_open(lp, &c);
		if (lp->limit != 0 && ++lp->accepted >= lp->limit)
			master_leave(srv, lp->slot, lp->accepted);
	}
}

static void
ev_event(struct ev_loop *lp, struct ev_conn *ec, uint32_t events)
{
	if (ec == &lp->capwatch) {	/* a token is free: accept again */
		ev_pause(lp, EV_AT_CAP, 0);
		return;
	}
	if (ec->listening != NULL) {
		ev_accept(lp, ec->listening);
		return;
	}
	if (ec->hdr != NULL) {
		ev_hdr_read(lp, ec);
		return;
	}
	/* Not reading, a hang-up shows as a failing send in the flush. */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) &&
	    ec->events & EPOLLIN)
		ev_read(lp, ec);
	else
		ev_update(lp, ec);
}

static int
ev_listen(struct ev_loop *lp)
{
	struct herd_server *srv = lp->srv;
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	if ((lp->listeners = calloc(srv->nlisteners,
	    sizeof *lp->listeners)) == NULL)
		return -1;
	for (i = 0; i < srv->nlisteners; i++) {
		lp->listeners[i].listening = &srv->listeners[i];
		ev.data.ptr = &lp->listeners[i];
		if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, srv->listeners[i].fd,
		    &ev) < 0)
			return -1;
	}
	/* Watched only while at the cap (ev_pause). */
	ev.events = 0;
	ev.data.ptr = &lp->capwatch;
	if (srv->capfd >= 0 &&
	    epoll_ctl(lp->epfd, EPOLL_CTL_ADD, srv->capfd, &ev) < 0)
		return -1;
	return 0;
}

/* Draining: no more accepting; the listeners leave the epoll set. */
static void
ev_unlisten(struct ev_loop *lp)
{
	size_t i;

	if (lp->listeners == NULL)
		return;
	scoreboard_set_state(lp->srv->scoreboard, lp->slot, SB_STOPPING);
	/*
	 * Out of the set before close(): epoll watches the open file
	 * description, which the master and the other workers still
	 * hold, so a close() alone would leave it there, reporting new
	 * clients to the entry freed below.
	 */
	for (i = 0; i < lp->srv->nlisteners; i++)
		if (lp->srv->listeners[i].fd >= 0 &&
		    epoll_ctl(lp->epfd, EPOLL_CTL_DEL,
		    lp->srv->listeners[i].fd, NULL) < 0 && errno != ENOENT)
			log_err("epoll_ctl listener fd %d: %s",
			    lp->srv->listeners[i].fd, strerror(errno));
	if (lp->srv->capfd >= 0)
		epoll_ctl(lp->epfd, EPOLL_CTL_DEL, lp->srv->capfd, NULL);
	server_close_listeners(lp->srv);
	free(lp->listeners);
	lp->listeners = NULL;
}

/*
 * Close the connections idle for --timeout; how long epoll_wait may
 * then sleep before the next one is due (-1: none can be).
 */
static int
ev_sweep(struct ev_loop *lp)
{
	long long limit = (long long)lp->srv->opt->timeout * 1000, now;
	struct ev_conn *ec;

	if (limit == 0)
		return -1;
	now = clock_ms();
	while ((ec = lp->oldest) != NULL && now - ec->active >= limit) {
		log_debug("fd %d from %s: idle %u s, closing", ec->c.fd,
		    ec->c.host, lp->srv->opt->timeout);
		ev_close(lp, ec);
	}
	return ec == NULL ? -1 : (int)(ec->active + limit - now);
}

/* The sooner of two poll timeouts, -1 meaning never. */
static int
ev_sooner(int a, int b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

/*
 * After an accept ran out of descriptors the listeners sit out
 * SERVER_ACCEPT_BACKOFF_MS; how long epoll_wait may sleep before they
 * come back (-1: they are not out for that).
 */
static int
ev_backoff(struct ev_loop *lp)
{
	long long now;

	if (lp->retry == 0)
		return -1;
	if ((now = clock_ms()) < lp->retry)
		return (int)(lp->retry - now);
	lp->retry = 0;
	ev_pause(lp, EV_NO_FDS, 0);
	return -1;
}

/* The loop until every connection is done or the server aborts. */
static int
ev_run(struct ev_loop *lp)
{
	struct herd_server *srv = lp->srv;
	struct epoll_event evs[EV_BATCH];
	int i, n, idle;

	while (srv->state != SERVER_ABORT) {
		idle = ev_sooner(ev_sooner(ev_sweep(lp), ev_backoff(lp)),
		    ev_sweep_hdrs(lp));
		if (srv->state == SERVER_DRAINING) {
			ev_unlisten(lp);
			if (lp->nconns == 0)
				break;
		}
		n = epoll_pwait(lp->epfd, evs, EV_BATCH,
		    ev_sooner(server_timeout_ms(srv), idle), sig_waitmask());
		if (n < 0) {
			if (errno != EINTR) {
				log_err("epoll_wait: %s", strerror(errno));
				return -1;
			}
			server_signals(srv);
			continue;
		}
		if (n == 0 && server_timeout_ms(srv) == 0) {
			log_notice("shutdown timeout: closing %zu connections",
			    lp->nconns);
			server_set_state(srv, SERVER_ABORT);
		}
		for (i = 0; i < n; i++)
			ev_event(lp, evs[i].data.ptr, evs[i].events);
	}
	return 0;
}

static int
event_worker(struct herd_server *srv, unsigned slot)
{
	struct ev_loop *lp;
	int rc = EX_OK;

	/* The loop holds a read buffer: keep it off the stack. */
	if ((lp = calloc(1, sizeof *lp)) == NULL)
		return EX_OSERR;
	lp->srv = srv;
	lp->slot = slot;
	lp->limit = master_request_limit(srv);
	/* Two fcntl calls fewer per connection. */
	srv->accept_flags |= SOCK_NONBLOCK;
	scoreboard_set_state(srv->scoreboard, slot, SB_ACCEPTING);
	if ((lp->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    ev_listen(lp) < 0) {
		log_err("epoll: %s", strerror(errno));
		rc = EX_OSERR;
	} else if (ev_run(lp) < 0)
		rc = EX_OSERR;
	while (lp->conns != NULL)
		ev_close(lp, lp->conns);
	while (lp->hdrs != NULL)
		ev_close(lp, lp->hdrs);
	ev_unlisten(lp);
	if (lp->epfd >= 0)
		close(lp->epfd);
	free(lp);
	return rc;
}

static int
event_run(struct herd_server *srv)
{
	return master_run(srv, srv->opt->workers, event_worker);
}

const struct herd_model model_event = {
	.name = "event",
	.summary = "one epoll loop per worker, non-blocking, "
	    "thousands of connections",
	.run = event_run,
	.supervised = 1,
};
