/*
 * server.c - listeners, the accept step, and waiting on a descriptor.
 *
 * This is where the split between the listening descriptor and the
 * connected descriptor lives: server_open() makes the first kind once,
 * server_accept() turns it into the second kind, and which process or
 * thread calls server_accept() is what a model decides.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "connlimit.h"
#include "dgram.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "server.h"
#include "sig.h"

#define SD_LISTEN_FDS_START	3

int
server_add_listener(struct herd_server *srv, int fd, int socktype,
    int inherited, const struct herd_handler *h)
{
	struct herd_listener *l;
	struct pollfd *pfd;

	pfd = realloc(srv->pfd, (srv->nlisteners + 1) * sizeof *pfd);
	if (pfd == NULL)
		return -1;
	srv->pfd = pfd;
	l = realloc(srv->listeners, (srv->nlisteners + 1) * sizeof *l);
	if (l == NULL)
		return -1;
	srv->listeners = l;
	l = &srv->listeners[srv->nlisteners++];
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->socktype = socktype;
	l->inherited = inherited;
	l->handler = h;
	if (socktype == SOCK_DGRAM) {	/* named as --listen spells it */
		memcpy(l->name, "udp:", 4);
		net_sock_name(fd, l->name + 4, sizeof l->name - 4);
		dgram_setup(fd);
	} else
		net_sock_name(fd, l->name, sizeof l->name);
	log_info("listen fd %d on %s (%s)%s", fd, l->name, h->name,
	    inherited ? " from systemd" : "");
	return 0;
}

/*
 * The listener added last expects a PROXY header when its spec or
 * --proxy-protocol says so (a stream listener: a datagram has no
 * connection to start with one).
 */
void
server_listener_proxy(struct herd_server *srv, int proxy)
{
	struct herd_listener *l = &srv->listeners[srv->nlisteners - 1];

	if (l->socktype != SOCK_STREAM ||
	    !(proxy || (srv->opt != NULL && srv->opt->proxy_protocol)))
		return;
	l->proxy = 1;
	log_info("listen fd %d on %s: a PROXY protocol header comes first",
	    l->fd, l->name);
}

/* The n-th ':'-separated name of LISTEN_FDNAMES, or "". */
static void
server_fdname(const char *names, int n, char *out, size_t outlen)
{
	size_t len;

	for (; names != NULL && n > 0; n--)
		if ((names = strchr(names, ':')) != NULL)
			names++;
	if (names == NULL) {
		*out = '\0';
		return;
	}
	len = strcspn(names, ":");
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, names, len);
	out[len] = '\0';
}

/*
 * systemd names a socket after its unit ("herdd.socket") unless
 * FileDescriptorName= says otherwise: that is "no name", not a typo.
 */
static int
server_unit_name(const char *name)
{
	size_t n = strlen(name);

	return n > 7 && strcmp(name + n - 7, ".socket") == 0;
}

/* Accept=yes hands over a connected socket; we need a listening one. */
static int
server_is_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof on;

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
	    on;
}

/*
 * systemd socket activation (sd_listen_fds(3)): the sockets start at
 * fd 3; LISTEN_FDNAMES, set by FileDescriptorName=, picks each one's
 * handler.  Returns the count taken, or -1 with err set.
 */
static int
server_inherit(struct herd_server *srv, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long want, n;
	int i, fd, type;
	socklen_t len = sizeof type;
	char name[OPT_NAMELEN], hname[OPT_NAMELEN];
	const struct herd_handler *h;
	int proxy;

	if (pid == NULL || fds == NULL ||
	    parse_uint(pid, 1, (unsigned long)-1, &want) < 0 ||
	    want != (unsigned long)getpid() ||
	    parse_uint(fds, 1, 1024, &n) < 0)
		return 0;
	for (i = 0; i < (int)n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		server_fdname(names, i, name, sizeof name);
		if (*name == '\0' || strcmp(name, "unknown") == 0 ||
		    strcmp(name, "stored") == 0 || server_unit_name(name))
			strcpy(name, "echo");
		/* FileDescriptorName=echo,proxy: as --listen 7=echo,proxy */
		if (listen_handler_parse(name, strlen(name), name, hname,
		    sizeof hname, &proxy, err, errlen) < 0)
			return -1;
		if ((h = herd_handler_find(hname)) == NULL) {
			snprintf(err, errlen, "socket fd %d is named '%s', "
			    "which is no handler (see --list-handlers)",
			    fd, name);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
			snprintf(err, errlen, "inherited fd %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		if (type == SOCK_STREAM ? !server_is_listening(fd) :
		    type != SOCK_DGRAM) {
			snprintf(err, errlen, "inherited fd %d (%s) is neither "
			    "a listening stream socket (ListenStream= with "
			    "Accept=no) nor a datagram socket "
			    "(ListenDatagram=)", fd, name);
			return -1;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    server_add_listener(srv, fd, type, 1, h) < 0) {
			snprintf(err, errlen, "inherited fd %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		server_listener_proxy(srv, proxy);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
}

void
server_init(struct herd_server *srv, const struct herd_options *opt)
{
	memset(srv, 0, sizeof *srv);
	srv->drainfd = srv->abortfd = -1;	/* made by server_threads_begin */
	srv->capfd = -1;			/* made by server_run */
	srv->slot = SERVER_NO_SLOT;		/* master.c gives workers one */
	srv->episode = &srv->own_episode;
	srv->opt = opt;
	srv->model = model_find(opt->model);
	snprintf(srv->role, sizeof srv->role, "master");
}

int
server_open(struct herd_server *srv, const struct herd_options *opt,
    char *err, size_t errlen)
{
	struct net_listen_opts lo = {
		.backlog = opt->backlog,
		.v6only = opt->v6only,
	};
	char name[NET_NAMELEN];
	size_t i;
	int fd, n;

	server_init(srv, opt);
	if ((n = server_inherit(srv, err, errlen)) < 0)
		return EX_USAGE;
	if (n > 0)
		return 0;
	for (i = 0; i < opt->nlistens; i++) {
		const struct listen_spec *ls = &opt->listens[i];

		lo.socktype = ls->socktype;
		fd = net_listen(ls->host, ls->serv, &lo, name, sizeof name,
		    err, errlen);
		if (fd < 0)
			return EX_UNAVAILABLE;
		if (server_add_listener(srv, fd, ls->socktype, 0,
		    herd_handler_find(ls->handler)) < 0) {
			close(fd);
			snprintf(err, errlen, "out of memory");
			return EX_OSERR;
		}
		server_listener_proxy(srv, ls->proxy);
	}
	return 0;
}

void
server_close_listeners(struct herd_server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].fd >= 0)
			close(srv->listeners[i].fd);
		srv->listeners[i].fd = -1;
	}
}

void
server_free(struct herd_server *srv)
{
	server_close_listeners(srv);
	dgram_free(srv);
	free(srv->listeners);
	free(srv->pfd);
	srv->listeners = NULL;
	srv->pfd = NULL;
	srv->nlisteners = 0;
}

int
server_run(struct herd_server *srv)
{
	int rc;

	/* Before the model forks: every process shares the one cap. */
	if (connlimit_open(srv) < 0) {
		log_err("--max-conns %u: eventfd: %s", srv->opt->max_conns,
		    strerror(errno));
		return EX_OSERR;
	}
	rc = srv->model->run(srv);
	connlimit_close(srv);
	return rc;
}

/* An eventfd once written stays readable: a level every poller sees. */
static void
server_raise(int fd)
{
	uint64_t one = 1;

	if (fd >= 0)
		while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
			;
}

void
server_set_state(struct herd_server *srv, enum server_state state)
{
	if (state <= srv->state)
		return;
	if (state == SERVER_DRAINING) {
		clock_gettime(CLOCK_MONOTONIC, &srv->deadline);
		srv->deadline.tv_sec += srv->opt->shutdown_timeout;
	}
	srv->state = state;
	server_raise(srv->drainfd);
	if (state == SERVER_ABORT)
		server_raise(srv->abortfd);
}

void
server_signals(struct herd_server *srv)
{
	if (srv->owner != NULL)		/* a worker thread sees none */
		return;
	if (sig_take(SIGALRM))		/* notify_watchdog_arm()'s timer */
		notify_watchdog();
	if (sig_take(SIGQUIT)) {
		log_notice("SIGQUIT: stopping now");
		notify_stopping();
		server_set_state(srv, SERVER_ABORT);
	}
	if ((sig_take(SIGTERM) | sig_take(SIGINT)) &&
	    srv->state == SERVER_RUNNING) {
		log_notice("stopping: no new connections, %u s for the open "
		    "ones", srv->opt->shutdown_timeout);
		notify_stopping();
		notify_status("stopping: draining open connections");
		server_set_state(srv, SERVER_DRAINING);
	}
}

int
server_threads_begin(struct herd_server *srv)
{
	if (srv->drainfd >= 0)
		return 0;
	if ((srv->drainfd = eventfd(0, EFD_CLOEXEC)) < 0)
		return -1;
	if ((srv->abortfd = eventfd(0, EFD_CLOEXEC)) < 0) {
		close(srv->drainfd);
		srv->drainfd = -1;
		return -1;
	}
	/* A state reached before the threads exist still reaches them. */
	if (srv->state >= SERVER_DRAINING)
		server_raise(srv->drainfd);
	if (srv->state == SERVER_ABORT)
		server_raise(srv->abortfd);
	return 0;
}

void
server_threads_end(struct herd_server *srv)
{
	if (srv->drainfd >= 0)
		close(srv->drainfd);
	if (srv->abortfd >= 0)
		close(srv->abortfd);
	srv->drainfd = srv->abortfd = -1;
}

int
server_view_init(struct herd_server *view, const struct herd_server *owner,
    const char *role)
{
	memset(view, 0, sizeof *view);
	/* One slot more than the owner's: its drain eventfd. */
	if ((view->pfd = calloc(owner->nlisteners + 1,
	    sizeof *view->pfd)) == NULL)
		return -1;
	view->opt = owner->opt;
	view->model = owner->model;
	view->listeners = owner->listeners;
	view->nlisteners = owner->nlisteners;
	view->scoreboard = owner->scoreboard;
	view->slot = owner->slot;
	view->capfd = owner->capfd;
	view->episode = owner->episode;	/* descriptors are per process */
	view->state = SERVER_RUNNING;
	view->drainfd = view->abortfd = -1;
	view->owner = owner;
	snprintf(view->role, sizeof view->role, "%s", role);
	return 0;
}

void
server_view_free(struct herd_server *view)
{
	dgram_free(view);
	free(view->pfd);
	view->pfd = NULL;
}

void
server_ready(struct herd_server *srv)
{
	if (notify_ready() > 0)
		log_info("told the service manager (%s) %s is ready",
		    notify_backend(), srv->model->name);
	if (notify_watchdog_arm() < 0)
		log_warn("watchdog timer: %s", strerror(errno));
}

void
server_sighup(struct herd_server *srv)
{
	if (srv->owner != NULL || !sig_take(SIGHUP))	/* main thread only */
		return;
	notify_reloading();
	log_notice("SIGHUP: model %s has nothing to reload", srv->model->name);
	notify_ready();
}

/*
 * Time left before the drain deadline into ts; 0 when it has passed.
 * Returns NULL (wait forever) unless draining.
 */
static const struct timespec *
server_time_left(const struct herd_server *srv, struct timespec *ts)
{
	struct timespec now;

	if (srv->state != SERVER_DRAINING)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ts->tv_sec = srv->deadline.tv_sec - now.tv_sec;
	ts->tv_nsec = srv->deadline.tv_nsec - now.tv_nsec;
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += 1000000000L;
	}
	if (ts->tv_sec < 0)
		ts->tv_sec = ts->tv_nsec = 0;
	return ts;
}

int
server_timeout_ms(const struct herd_server *srv)
{
	struct timespec ts;

	if (server_time_left(srv, &ts) == NULL)
		return -1;
	/* Round up: waking a hair early would spin until the deadline. */
	return (int)(ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000);
}

/*
 * The idle deadline of a wait that began now: S seconds of --timeout
 * (ts untouched and NULL when idle is 0, no limit).
 */
static const struct timespec *
server_idle_deadline(unsigned idle, struct timespec *ts)
{
	if (idle == 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += idle;
	return ts;
}

/* Milliseconds until the deadline for poll(2), rounded up; 0 if past. */
static int
server_ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * The poll(2) timeout of a wait: the sooner of the drain deadline (when
 * draining) and the idle deadline (when there is one); -1 for neither.
 */
static int
server_wait_ms(const struct herd_server *srv, const struct timespec *idle)
{
	int drain = server_timeout_ms(srv), ms;

	if (idle == NULL)
		return drain;
	ms = server_ms_until(idle);
	return drain >= 0 && drain < ms ? drain : ms;
}

/*
 * A worker thread's wait: signals stay blocked (the main thread takes
 * them); the owner's abort eventfd is what ends it.  The owner moves
 * to ABORT at the drain deadline, so that deadline reaches us too.
 */
static int
server_wait_fd_view(struct herd_server *srv, int fd, short events,
    const struct timespec *idle)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = events },
		{ .fd = srv->owner->abortfd, .events = POLLIN },
	};
	int r;

	for (;;) {
		if (srv->state == SERVER_ABORT) {
			errno = ECANCELED;
			return 0;
		}
		r = poll(pfd, 2, server_wait_ms(srv, idle));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = ETIMEDOUT;
			return 0;
		}
		if (pfd[1].revents != 0) {
			srv->state = SERVER_ABORT;
			errno = ECANCELED;
			return 0;
		}
		if (pfd[0].revents != 0)
			return 1;
	}
}

int
server_wait_until(struct herd_server *srv, int fd, short events,
    const struct timespec *idle)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec ts;
	int ms, r;

	if (srv->owner != NULL)
		return server_wait_fd_view(srv, fd, events, idle);
	for (;;) {
		if (srv->state == SERVER_ABORT) {
			errno = ECANCELED;
			return 0;
		}
		ms = server_wait_ms(srv, idle);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		r = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, sig_waitmask());
		if (r > 0)
			return 1;
		if (r == 0 && server_timeout_ms(srv) == 0) {
			server_set_state(srv, SERVER_ABORT);
			log_notice("shutdown timeout: closing connection");
			errno = ECANCELED;
			return 0;
		}
		if (r == 0 && idle != NULL && server_ms_until(idle) == 0) {
			errno = ETIMEDOUT;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		server_signals(srv);
	}
}

int
server_wait_fd(struct herd_server *srv, int fd, short events)
{
	return server_wait_until(srv, fd, events, NULL);
}

int
server_wait_conn(struct herd_server *srv, int fd, short events)
{
	struct timespec ts;

	return server_wait_until(srv, fd, events,
	    server_idle_deadline(srv->opt->timeout, &ts));
}

int
server_pause(struct herd_server *srv)
{
	struct timespec ts;
	const struct timespec *left;

	if (srv->state == SERVER_ABORT)
		return -1;
	left = server_time_left(srv, &ts);
	if (ppoll(NULL, 0, left, sig_waitmask()) == 0) {
		server_set_state(srv, SERVER_ABORT);
		return -1;
	}
	server_signals(srv);
	return srv->state == SERVER_ABORT ? -1 : 0;
}

/* accept(2) errors that say nothing about the listener itself. */
static int
accept_transient(int err)
{
	switch (err) {
	case EAGAIN:
#if EAGAIN != EWOULDBLOCK
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:		/* a firewall said no */
	case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
	case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
		return 1;
	}
	return 0;
}

/* Out of descriptors or memory: say so, and don't spin on it. */
static int
accept_exhausted(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

void
server_conn_names(const struct herd_server *srv, struct herd_conn *c)
{
	(void)srv;
	net_addr_text((struct sockaddr *)&c->addr, c->addrlen, 0,
	    c->host, sizeof c->host, c->serv, sizeof c->serv);
	c->name = NULL;		/* conn_open() looks it up, if asked to */
}

/* An accept ran out of descriptors or memory: warn once an episode. */
static void
server_episode_begin(struct herd_server *srv, const struct herd_listener *l,
    int err)
{
	struct accept_episode *ep = srv->episode;
	atomic_store(&ep->last, clock_ms());
	/*
	 * The client stays in the backlog and the listener stays
	 * readable: the caller pauses rather than spins
	 * (server_accept_backoff()).
	 */
	if (atomic_exchange(&ep->on, 1) == 0)
		log_warn("%s: accept on %s: %s: pausing accepts until some "
		    "free up", srv->role, l->name, strerror(err));
}

/* An accept worked: the episode is over once it has been quiet a while. */
static void
server_episode_end(struct herd_server *srv, const struct herd_listener *l)
{
	struct accept_episode *ep = srv->episode;
	if (!atomic_load_explicit(&ep->on, memory_order_relaxed))
		return;
	if (clock_ms() - atomic_load(&ep->last) >= SERVER_EPISODE_QUIET_MS &&
	    atomic_exchange(&ep->on, 0) == 1)
		log_notice("%s: accept on %s: accepting again", srv->role,
		    l->name);
}

int
server_accept_on(struct herd_server *srv, struct herd_listener *l,
    struct herd_conn *c)
{
	memset(c, 0, sizeof *c);
	srv->accept_exhausted = 0;
	c->fd = -1;
	if (l->socktype == SOCK_DGRAM) {	/* nothing to accept: serve */
		dgram_serve(srv, l);
		return 0;
	}
	c->addrlen = sizeof c->addr;
	c->fd = accept4(l->fd, (struct sockaddr *)&c->addr, &c->addrlen,
	    SOCK_CLOEXEC | srv->accept_flags);
	if (c->fd < 0) {
		if (accept_transient(errno)) {
			if (errno != EAGAIN && errno != EINTR)
				log_debug("accept on %s: %s", l->name,
				    strerror(errno));
			return 0;
		}
		if (accept_exhausted(errno)) {
			server_episode_begin(srv, l, errno);
			srv->accept_exhausted = 1;
			return 0;
		}
		log_err("accept on %s: %s", l->name, strerror(errno));
		return -1;
	}
	server_episode_end(srv, l);
	c->listener = l;
	server_conn_names(srv, c);
	log_info("%s accepted fd %d from %s%s%s:%s via fd %d", srv->role,
	    c->fd, c->addr.ss_family == AF_INET6 ? "[" : "", c->host,
	    c->addr.ss_family == AF_INET6 ? "]" : "", c->serv, l->fd);
	return 1;
}

void
server_accept_backoff(const struct herd_server *srv)
{
	struct timespec pause = { 0, SERVER_ACCEPT_BACKOFF_MS * 1000000L };

	if (srv->accept_exhausted)
		nanosleep(&pause, NULL);
}

/*
 * Poll srv->pfd[0..n) with the signals let in; a worker thread, which
 * sees no signals, polls its owner's drain eventfd too (in pfd[n]) and
 * gets 0 once the owner drains.  As ppoll(2) returns otherwise.
 */
static int
server_poll(struct herd_server *srv, size_t n)
{
	struct pollfd *pfd = srv->pfd;
	int r;

	if (srv->owner == NULL)
		return ppoll(pfd, n, NULL, sig_waitmask());
	pfd[n].fd = srv->owner->drainfd;
	pfd[n].events = POLLIN;
	pfd[n].revents = 0;
	r = poll(pfd, n + 1, -1);
	if (r > 0 && pfd[n].revents != 0) {
		srv->state = SERVER_DRAINING;
		return 0;
	}
	return r;
}

/*
 * At --max-conns: sleep until a token is free (or a signal comes, or
 * the owner drains) while new clients wait in the backlog.  Nothing is
 * accepted: 0, or -1 when poll failed.
 */
static int
server_wait_token(struct herd_server *srv)
{
	struct pollfd *pfd = srv->pfd;
	size_t i, n = 1;
	int r;

	log_debug("%s: at --max-conns %u: not accepting", srv->role,
	    srv->opt->max_conns);
	pfd[0].fd = srv->capfd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	/*
	 * A datagram opens no connection and takes no token: keep
	 * answering them meanwhile.  There is room: a stream listener
	 * is what brought us here, so at most nlisteners - 1 of them.
	 */
	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].socktype == SOCK_DGRAM) {
			pfd[n].fd = srv->listeners[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	r = server_poll(srv, n);
	for (i = 0, n = 1; r > 0 && i < srv->nlisteners; i++)
		if (srv->listeners[i].socktype == SOCK_DGRAM &&
		    pfd[n++].revents != 0)
			dgram_serve(srv, &srv->listeners[i]);
	return r < 0 && errno != EINTR ? -1 : 0;
}

/* Accept from l, which poll said is ready, under --max-conns. */
static int
server_accept_capped(struct herd_server *srv, struct herd_listener *l,
    struct herd_conn *c)
{
	int r;

	if (l->socktype == SOCK_DGRAM)	/* no connection, no token */
		return server_accept_on(srv, l, c);
	if (!connlimit_take(srv))
		return server_wait_token(srv);
	if ((r = server_accept_on(srv, l, c)) == 1) {
		c->held = srv->capfd >= 0;
		return 1;
	}
	connlimit_give(srv);
	if (r == 0)
		server_accept_backoff(srv);
	return r;
}

int
server_accept(struct herd_server *srv, struct herd_conn *c)
{
	struct pollfd *pfd = srv->pfd;
	size_t i, n = srv->nlisteners, k;
	int r;

	for (i = 0; i < n; i++) {
		pfd[i].fd = srv->listeners[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if ((r = server_poll(srv, n)) <= 0)
		return r < 0 && errno != EINTR ? -1 : 0;
	/* Start after the listener served last, so none starves. */
	for (i = 0; i < n; i++) {
		k = (srv->next + i) % n;
		if (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) {
			srv->next = (k + 1) % n;
			return server_accept_capped(srv, &srv->listeners[k],
			    c);
		}
	}
	return 0;
}

int
server_serve_iteratively(struct herd_server *srv, pthread_mutex_t *lock)
{
	struct herd_conn c;
	int r;

	while (srv->state == SERVER_RUNNING) {
		if (lock != NULL)
			pthread_mutex_lock(lock);
		r = server_accept(srv, &c);
		if (lock != NULL)
			pthread_mutex_unlock(lock);
		if (r < 0)
			return -1;
		if (r == 1)
			conn_serve(srv, &c);
		server_signals(srv);
		server_sighup(srv);
	}
	return 0;
}
