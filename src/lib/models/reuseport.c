/*
 * reuseport - each worker accepts on its own SO_REUSEPORT listener and
 * the kernel spreads new connections across them by a hash of the
 * addresses: no shared accept queue, no lock, no herd.
 *
 * A connection is tied to one socket's queue as soon as it arrives, so
 * closing that socket resets whatever waits in it.  As nginx does, the
 * master therefore owns the sockets: one *set* (a socket per --listen)
 * per worker position.  A worker inherits its set and closes the rest;
 * a respawned worker, or the new generation after SIGHUP, takes over a
 * set left by its predecessor, so its queue is served, not reset.  A
 * set is closed only when no worker will take it (TTOU, shutdown).
 *
 * Sockets inherited from systemd cannot be split this way: the model
 * refuses them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "dgram.h"
#include "log.h"
#include "master.h"
#include "net.h"
#include "options.h"
#include "server.h"

/* Where listener i is bound: the master's host and real port. */
struct reuseport_spec {
	char	host[OPT_HOSTLEN];
	char	port[8];
};

/* One worker position's sockets, one per listener. */
struct reuseport_set {
	int		*fd;		/* NULL: not open */
	unsigned	 users;		/* live workers on it */
	unsigned	 active;	/* ... not retired */
};

struct reuseport {
	struct herd_server	*srv;
	struct reuseport_spec	*spec;
	struct reuseport_set	*set;
	unsigned		 nset;
	unsigned		*slot_set;	/* by slot */
	unsigned		 nslot;
	unsigned		*retired;	/* by slot: 1 once retired */
};

static void
reuseport_set_close(struct reuseport *r, struct reuseport_set *set)
{
	size_t i;

	if (set->fd == NULL)
		return;
	for (i = 0; i < r->srv->nlisteners; i++)
		if (set->fd[i] >= 0)
			close(set->fd[i]);
	free(set->fd);
	set->fd = NULL;
}

static int
reuseport_set_open(struct reuseport *r, unsigned k)
{
	const struct herd_options *opt = r->srv->opt;
	struct net_listen_opts lo = {
		.socktype = SOCK_STREAM,
		.backlog = opt->backlog,
		.v6only = opt->v6only,
		.reuseport = 1,
	};
	struct reuseport_set *set = &r->set[k];
	char err[NET_ERRLEN], name[NET_NAMELEN];
	size_t i;

	if ((set->fd = malloc(r->srv->nlisteners * sizeof *set->fd)) == NULL)
		return -1;
	for (i = 0; i < r->srv->nlisteners; i++)
		set->fd[i] = -1;
	for (i = 0; i < r->srv->nlisteners; i++) {
		/* UDP too: the kernel spreads datagrams over the set. */
		lo.socktype = r->srv->listeners[i].socktype;
		set->fd[i] = net_listen(r->spec[i].host, r->spec[i].port, &lo,
		    name, sizeof name, err, sizeof err);
		if (set->fd[i] < 0) {
			log_err("reuseport: %s", err);
			reuseport_set_close(r, set);
			return -1;
		}
		if (lo.socktype == SOCK_DGRAM)
			dgram_setup(set->fd[i]);
		log_notice("master: SO_REUSEPORT listener on %s (%s), fd %d, "
		    "for worker set %u", name,
		    r->srv->listeners[i].handler->name, set->fd[i], k);
	}
	return 0;
}

/* A set no serving worker holds: one left by a predecessor, or new. */
static int
reuseport_pick(struct reuseport *r)
{
	struct reuseport_set *set;
	unsigned k;

	for (k = 0; k < r->nset; k++)
		if (r->set[k].fd != NULL && r->set[k].active == 0)
			return (int)k;
	for (k = 0; k < r->nset && r->set[k].fd != NULL; k++)
		;
	if (k == r->nset) {
		if ((set = realloc(r->set, (k + 1) * sizeof *set)) == NULL)
			return -1;
		r->set = set;
		r->set[r->nset++] = (struct reuseport_set){ NULL, 0, 0 };
	}
	return reuseport_set_open(r, k) == 0 ? (int)k : -1;
}

static int
reuseport_prepare(void *ctx, unsigned slot)
{
	struct reuseport *r = ctx;
	unsigned *ss, *rt;
	int k;

	if (slot >= r->nslot) {
		ss = realloc(r->slot_set, (slot + 1) * sizeof *ss);
		if (ss != NULL)
			r->slot_set = ss;
		rt = realloc(r->retired, (slot + 1) * sizeof *rt);
		if (rt != NULL)
			r->retired = rt;
		if (ss == NULL || rt == NULL) {
			log_err("reuseport: out of memory");
			return -1;
		}
		r->nslot = slot + 1;
	}
	if ((k = reuseport_pick(r)) < 0)
		return -1;
	r->slot_set[slot] = (unsigned)k;
	r->retired[slot] = 0;
	r->set[k].users++;
	r->set[k].active++;
	return 0;
}

/*
 * The worker keeps its own set as its listeners and closes the rest,
 * then moves its own down to the lowest descriptors, so every worker
 * shows the same numbers in the logs ("via fd 3").
 */
static void
reuseport_child(void *ctx, unsigned slot)
{
	struct reuseport *r = ctx;
	unsigned k, mine = r->slot_set[slot];
	size_t i;
	int fd, low;

	for (k = 0; k < r->nset; k++)
		if (k != mine && r->set[k].fd != NULL)
			reuseport_set_close(r, &r->set[k]);
	for (i = 0; i < r->srv->nlisteners; i++) {
		fd = r->set[mine].fd[i];
		if ((low = fcntl(fd, F_DUPFD_CLOEXEC, 3)) >= 0 && low < fd) {
			close(fd);
			fd = low;
		} else if (low >= 0)
			close(low);
		r->srv->listeners[i].fd = fd;
	}
}

static void
reuseport_forked(void *ctx, unsigned slot, pid_t pid)
{
	struct reuseport *r = ctx;

	if (pid < 0) {
		r->set[r->slot_set[slot]].users--;
		r->set[r->slot_set[slot]].active--;
	}
}

static void
reuseport_retire(void *ctx, unsigned slot)
{
	struct reuseport *r = ctx;

	if (!r->retired[slot]) {
		r->retired[slot] = 1;
		r->set[r->slot_set[slot]].active--;
	}
}

/*
 * A retired worker's set that no one took over will get no worker:
 * close it.  A crashed worker's set waits for its replacement.
 */
static void
reuseport_gone(void *ctx, unsigned slot)
{
	struct reuseport *r = ctx;
	struct reuseport_set *set = &r->set[r->slot_set[slot]];

	set->users--;
	if (!r->retired[slot])
		set->active--;
	if (r->retired[slot] && set->active == 0 && set->users == 0)
		reuseport_set_close(r, set);
}

static int
reuseport_worker(struct herd_server *srv, unsigned slot, void *ctx)
{
	(void)ctx;
	return master_accept_loop(srv, slot, NULL);
}

/* The master's bind told us the port (--listen 0 included); note it. */
static int
reuseport_specs(struct herd_server *srv, struct reuseport_spec *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;
	int port;

	for (i = 0; i < srv->nlisteners; i++) {
		len = sizeof ss;
		memset(&ss, 0, sizeof ss);
		if (getsockname(srv->listeners[i].fd, (struct sockaddr *)&ss,
		    &len) < 0) {
			log_err("reuseport: %s: %s", srv->listeners[i].name,
			    strerror(errno));
			return -1;
		}
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
		snprintf(spec[i].host, sizeof spec[i].host, "%s",
		    srv->opt->listens[i].host);
		snprintf(spec[i].port, sizeof spec[i].port, "%d", port);
	}
	return 0;
}

static int
reuseport_run(struct herd_server *srv)
{
	struct reuseport r = { .srv = srv };
	struct master_ops ops = {
		.worker = reuseport_worker,
		.ctx = &r,
		.prepare = reuseport_prepare,
		.child = reuseport_child,
		.forked = reuseport_forked,
		.retire = reuseport_retire,
		.gone = reuseport_gone,
	};
	unsigned k;
	size_t i;
	int rc;

	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].inherited) {
			log_err("reuseport: %s came from systemd (socket "
			    "activation), but each worker needs its own "
			    "SO_REUSEPORT socket; use --listen, or another "
			    "model", srv->listeners[i].name);
			return EX_USAGE;
		}
	if ((r.spec = calloc(srv->nlisteners, sizeof *r.spec)) == NULL) {
		log_err("reuseport: out of memory");
		return EX_OSERR;
	}
	if (reuseport_specs(srv, r.spec) < 0) {
		free(r.spec);
		return EX_OSERR;
	}
	/*
	 * The master's first sockets lack SO_REUSEPORT, so no set could
	 * bind beside them; they served to check the addresses.
	 */
	server_close_listeners(srv);
	rc = master_run_ops(srv, srv->opt->workers, &ops);
	for (k = 0; k < r.nset; k++)
		reuseport_set_close(&r, &r.set[k]);
	free(r.set);
	free(r.slot_set);
	free(r.retired);
	free(r.spec);
	return rc;
}

const struct herd_model model_reuseport = {
	.name = "reuseport",
	.summary = "each worker accepts on its own SO_REUSEPORT listener",
	.run = reuseport_run,
	.supervised = 1,
};
