/*
 * passfd - only the master accepts; it sends each connected descriptor
 * to an idle worker over a Unix socketpair with SCM_RIGHTS (UNP's
 * serv05, 30.9).  A worker writes one byte back when it is idle again.
 *
 * The master holds a connected descriptor only for the hand-off: it
 * closes its copy once sendmsg() returns.  When every worker is busy
 * it stops polling the listeners, so new clients wait in the kernel's
 * backlog instead of in a queue of descriptors here.
 *
 * --max-conns: the master alone accepts, so it alone takes tokens
 * (connlimit.h).  It takes one before it polls the listeners; the
 * token goes with the descriptor to the worker and comes back when
 * the worker says it is idle again, or is reaped.  At the cap the
 * master stops polling the listeners, as when no worker is idle.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "connlimit.h"
#include "control.h"
#include "log.h"
#include "master.h"
#include "options.h"
#include "scoreboard.h"
#include "server.h"
#include "sig.h"

#define PASSFD_IDLE	'I'

struct passfd_worker {
	int	fd;		/* the master's end of the socketpair */
	int	idle;		/* may be sent a connection */
	int	retired;	/* told to stop: never idle again */
	int	token;		/* serves under a --max-conns token */
};

struct passfd {
	struct herd_server	*srv;
	struct passfd_worker	*w;	/* by slot */
	unsigned		 nw;
	unsigned		 next;	/* round-robin start */
	int			 pending;	/* worker's end */
	int			 chan;		/* worker: its end */
	int			 spare;		/* master: a token in hand */
	size_t			 nl;		/* listeners */
	struct pollfd		*pfd;	/* listeners, channels */
};

static int
passfd_prepare(void *ctx, unsigned slot)
{
	struct passfd *p = ctx;
	int sv[2];

	if (slot >= p->nw) {
		struct passfd_worker *w = realloc(p->w, (slot + 1) * sizeof *w);
		struct pollfd *pfd = realloc(p->pfd,
		    (p->nl + slot + 1 + CONTROL_NPOLL) * sizeof *pfd);

		if (w != NULL)
			p->w = w;
		if (pfd != NULL)
			p->pfd = pfd;
		if (w == NULL || pfd == NULL) {
			log_err("passfd: out of memory");
			return -1;
		}
		for (; p->nw <= slot; p->nw++)
			p->w[p->nw] = (struct passfd_worker){ -1, 0, 0, 0 };
	}
	/* SEQPACKET: one hand-off, one message, never split or merged. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("passfd: socketpair: %s", strerror(errno));
		return -1;
	}
	p->w[slot].fd = sv[0];
	p->w[slot].idle = 0;
	p->w[slot].retired = 0;
	p->w[slot].token = 0;
	p->pending = sv[1];
	return 0;
}

/* In the worker: keep only its own end of its own channel. */
static void
passfd_child(void *ctx, unsigned slot)
{
	struct passfd *p = ctx;
	unsigned i;

	(void)slot;
	for (i = 0; i < p->nw; i++)
		if (p->w[i].fd >= 0) {
			close(p->w[i].fd);
			p->w[i].fd = -1;
		}
	p->chan = p->pending;
}

static void
passfd_forked(void *ctx, unsigned slot, pid_t pid)
{
	struct passfd *p = ctx;

	close(p->pending);
	p->pending = -1;
	if (pid < 0) {
		close(p->w[slot].fd);
		p->w[slot].fd = -1;
	} else
		p->w[slot].idle = 1;
}

static void
passfd_retire(void *ctx, unsigned slot)
{
	struct passfd *p = ctx;

	p->w[slot].idle = 0;
	p->w[slot].retired = 1;
}

/* slot's worker is done with its connection: its token goes back. */
static void
passfd_untoken(struct passfd *p, struct herd_server *srv, unsigned slot)
{
	if (p->w[slot].token) {
		p->w[slot].token = 0;
		connlimit_give(srv);
	}
}

static void
passfd_gone(void *ctx, unsigned slot)
{
	struct passfd *p = ctx;

	if (slot < p->nw)
		passfd_untoken(p, p->srv, slot);
	if (slot < p->nw && p->w[slot].fd >= 0) {
		close(p->w[slot].fd);
		p->w[slot].fd = -1;
		p->w[slot].idle = 0;
	}
}

/* The next idle worker after the last one given work, or -1. */
static int
passfd_idle_slot(struct passfd *p)
{
	unsigned i, k;

	for (i = 0; i < p->nw; i++) {
		k = (p->next + i) % p->nw;
		if (p->w[k].fd >= 0 && p->w[k].idle) {
			p->next = (k + 1) % p->nw;
			return (int)k;
		}
	}
	return -1;
}

/* Send fd and the index of its listener down a worker's channel. */
static int
passfd_send(int chan, int fd, uint32_t listener)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &listener, sizeof listener };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof u);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(chan, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -1 : 0;
}

/* Hand c to an idle worker; the master's copy is closed either way. */
static void
passfd_hand_off(struct passfd *p, struct herd_server *srv,
    struct herd_conn *c)
{
	uint32_t idx = (uint32_t)(c->listener - srv->listeners);
	int slot;

	while ((slot = passfd_idle_slot(p)) >= 0) {
		p->w[slot].idle = 0;
		if (passfd_send(p->w[slot].fd, c->fd, idx) == 0) {
			log_info("master: fd %d to the worker in slot %u; "
			    "master closes it", c->fd, (unsigned)slot);
			p->w[slot].token = p->spare;
			p->spare = 0;
			break;
		}
		log_warn("passfd: send fd %d to slot %u: %s", c->fd,
		    (unsigned)slot, strerror(errno));
	}
	if (slot < 0)
		log_warn("passfd: no worker for fd %d from %s; closing it",
		    c->fd, c->host);
	close(c->fd);
}

/* A worker wrote: idle again, or its end closed (it died). */
static void
passfd_read_worker(struct passfd *p, unsigned slot)
{
	char b[64];
	ssize_t n;

	/* An idle report sent before it was retired must not count. */
	while ((n = recv(p->w[slot].fd, b, sizeof b, MSG_DONTWAIT)) > 0) {
		if (b[0] == PASSFD_IDLE)
			passfd_untoken(p, p->srv, slot);
		if (b[0] == PASSFD_IDLE && !p->w[slot].retired)
			p->w[slot].idle = 1;
	}
	if (n == 0)
		p->w[slot].idle = 0;	/* reaping closes it */
}

/* Under --max-conns: a token in hand for the next accept, if any. */
static int
passfd_room(struct passfd *p, struct herd_server *srv)
{
	if (!p->spare && srv->capfd >= 0 && connlimit_take(srv))
		p->spare = 1;
	return p->spare || srv->capfd < 0;
}

static int
passfd_any_idle(const struct passfd *p)
{
	unsigned i;

	for (i = 0; i < p->nw; i++)
		if (p->w[i].fd >= 0 && p->w[i].idle)
			return 1;
	return 0;
}

/*
 * The master's sleep: the listeners (only while some worker is idle),
 * every worker's channel and the master's extra descriptors (room for
 * CONTROL_NPOLL is kept after the channels), with the signals let in.
 */
static void
passfd_wait(void *ctx, struct herd_server *srv,
    const struct timespec *timeout, struct pollfd *extra, size_t nextra)
{
	struct passfd *p = ctx;
	struct pollfd *ch = p->pfd + p->nl;
	struct herd_conn c;
	size_t i;
	int r, listen = srv->state == SERVER_RUNNING &&
	    passfd_any_idle(p) && passfd_room(p, srv);

	for (i = 0; i < p->nl; i++) {
		/* Datagrams are served here, in place: no worker needed. */
		p->pfd[i].fd = listen || (srv->state == SERVER_RUNNING &&
		    srv->listeners[i].socktype == SOCK_DGRAM) ?
		    srv->listeners[i].fd : -1;
		p->pfd[i].events = POLLIN;
		p->pfd[i].revents = 0;
	}
	for (i = 0; i < p->nw; i++) {
		ch[i].fd = p->w[i].fd;
		ch[i].events = POLLIN;
		ch[i].revents = 0;
	}
	memcpy(ch + p->nw, extra, nextra * sizeof *extra);
	r = ppoll(p->pfd, p->nl + p->nw + nextra, timeout, sig_waitmask());
	memcpy(extra, ch + p->nw, nextra * sizeof *extra);
	if (r <= 0)
		return;
	for (i = 0; i < p->nw; i++)
		if (ch[i].revents != 0)
			passfd_read_worker(p, (unsigned)i);
	for (i = 0; i < p->nl; i++)
		if (p->pfd[i].revents != 0 && srv->state == SERVER_RUNNING &&
		    ((passfd_any_idle(p) && passfd_room(p, srv)) ||
		    srv->listeners[i].socktype == SOCK_DGRAM)) {
			if (server_accept_on(srv, &srv->listeners[i],
			    &c) == 1)
				passfd_hand_off(p, srv, &c);
			else
				server_accept_backoff(srv);
		}
}

/* Worker: the next descriptor from the master; 1, 0 none/EOF, -1. */
static int
passfd_recv(struct herd_server *srv, int chan, int flags,
    struct herd_conn *c)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	uint32_t idx;
	struct iovec iov = { &idx, sizeof idx };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	struct cmsghdr *cm;
	ssize_t n;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if ((n = recvmsg(chan, &msg, flags | MSG_CMSG_CLOEXEC)) <= 0)
		return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS)
			memcpy(&c->fd, CMSG_DATA(cm), sizeof c->fd);
	if (c->fd < 0 || n != sizeof idx || idx >= srv->nlisteners) {
		log_err("%s: bad hand-off from the master", srv->role);
		if (c->fd >= 0)
			close(c->fd);
		return -1;
	}
	c->listener = &srv->listeners[idx];
	c->addrlen = sizeof c->addr;
	getpeername(c->fd, (struct sockaddr *)&c->addr, &c->addrlen);
	server_conn_names(srv, c);
	log_info("%s holds fd %d from %s:%s, passed by the master", srv->role,
	    c->fd, c->host, c->serv);
	return 1;
}

static int
passfd_worker(struct herd_server *srv, unsigned slot, void *ctx)
{
	struct passfd *p = ctx;
	struct pollfd pfd = { .fd = p->chan, .events = POLLIN };
	unsigned long limit = master_request_limit(srv), served = 0;
	struct herd_conn c;
	int r;

	server_close_listeners(srv);	/* the master accepts, not us */
	while (srv->state == SERVER_RUNNING) {
		scoreboard_set_state(srv->scoreboard, slot, SB_IDLE);
		if (ppoll(&pfd, 1, NULL, sig_waitmask()) < 0) {
			server_signals(srv);
			continue;
		}
		if ((r = passfd_recv(srv, p->chan, MSG_DONTWAIT, &c)) < 0)
			return EX_SOFTWARE;
		if (r == 0 && (pfd.revents & (POLLHUP | POLLERR)))
			return EX_OK;	/* the master is gone */
		if (r == 0)
			continue;
		master_serve(srv, slot, &c);
		if (limit != 0 && ++served >= limit) {
			log_info("%s: served %lu connections (--max-requests); "
			    "exiting to be replaced", srv->role, served);
			break;
		}
		if (send(p->chan, &(char){ PASSFD_IDLE }, 1, MSG_NOSIGNAL) < 0)
			return EX_OK;
	}
	/* Told to stop: serve what the master sent before it knew. */
	while (srv->state != SERVER_ABORT &&
	    passfd_recv(srv, p->chan, MSG_DONTWAIT, &c) == 1)
		master_serve(srv, slot, &c);
	scoreboard_set_state(srv->scoreboard, slot, SB_STOPPING);
	return EX_OK;
}

/* -X: no workers to pass to; the one process accepts itself. */
static int
passfd_single(struct herd_server *srv, unsigned slot)
{
	return master_accept_loop(srv, slot, NULL);
}

static int
passfd_run(struct herd_server *srv)
{
	struct passfd p = { .srv = srv, .pending = -1, .chan = -1 };
	struct master_ops ops = {
		.worker = passfd_worker,
		.ctx = &p,
		.prepare = passfd_prepare,
		.child = passfd_child,
		.forked = passfd_forked,
		.retire = passfd_retire,
		.gone = passfd_gone,
		.wait = passfd_wait,
	};
	unsigned i;
	int rc;

	if (srv->opt->single)
		return master_run(srv, 1, passfd_single);
	p.nl = srv->nlisteners;
	if ((p.pfd = calloc(p.nl + 1 + CONTROL_NPOLL, sizeof *p.pfd)) ==
	    NULL) {
		log_err("passfd: out of memory");
		return EX_OSERR;
	}
	rc = master_run_ops(srv, srv->opt->workers, &ops);
	for (i = 0; i < p.nw; i++)
		if (p.w[i].fd >= 0)
			close(p.w[i].fd);
	free(p.w);
	free(p.pfd);
	return rc;
}

const struct herd_model model_passfd = {
	.name = "passfd",
	.summary = "the master accepts and passes each fd to an idle worker",
	.run = passfd_run,
	.supervised = 1,
};
