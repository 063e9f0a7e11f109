/*
 * reuseport - each worker binds its own listening socket with
 * SO_REUSEPORT and the kernel spreads new connections across them by a
 * hash of the addresses: no shared accept queue, no lock, no herd.
 *
 * The cost is that a connection is tied to one worker's queue as soon
 * as it arrives: when that worker exits (a reload, a crash) what waits
 * in its queue is reset, unless net.ipv4.tcp_migrate_req (Linux 5.14)
 * lets the kernel move it to a sibling.  Sockets inherited from
 * systemd cannot be split this way, so the model refuses them.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "net.h"
#include "options.h"
#include "server.h"

/* Where a worker binds listener i: the master's host and real port. */
struct reuseport_spec {
	char	host[OPT_HOSTLEN];
	char	port[8];
};

static int
reuseport_worker(struct herd_server *srv, unsigned slot, void *ctx)
{
	const struct reuseport_spec *spec = ctx;
	struct net_listen_opts lo = {
		.socktype = SOCK_STREAM,
		.backlog = srv->opt->backlog,
		.v6only = srv->opt->v6only,
		.reuseport = 1,
	};
	struct herd_listener *l;
	char err[NET_ERRLEN];
	size_t i;

	for (i = 0; i < srv->nlisteners; i++) {
		l = &srv->listeners[i];
		l->fd = net_listen(spec[i].host, spec[i].port, &lo, l->name,
		    sizeof l->name, err, sizeof err);
		if (l->fd < 0) {
			log_err("%s: %s", srv->role, err);
			return EX_UNAVAILABLE;
		}
		log_notice("%s: own SO_REUSEPORT listener on %s (%s), fd %d",
		    srv->role, l->name, l->handler->name, l->fd);
	}
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
	struct reuseport_spec *spec;
	struct master_ops ops = { .worker = reuseport_worker };
	size_t i;
	int rc;

	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].inherited) {
			log_err("reuseport: %s came from systemd (socket "
			    "activation), but each worker must bind its own "
			    "SO_REUSEPORT socket; use --listen, or another "
			    "model", srv->listeners[i].name);
			return EX_USAGE;
		}
	if ((spec = calloc(srv->nlisteners, sizeof *spec)) == NULL) {
		log_err("reuseport: out of memory");
		return EX_OSERR;
	}
	if (reuseport_specs(srv, spec) < 0) {
		free(spec);
		return EX_OSERR;
	}
	/*
	 * The master's own sockets lack SO_REUSEPORT, so the workers could
	 * not bind beside them; they served to check the addresses.
	 */
	server_close_listeners(srv);
	ops.ctx = spec;
	rc = master_run_ops(srv, srv->opt->workers, &ops);
	free(spec);
	return rc;
}

const struct herd_model model_reuseport = {
	.name = "reuseport",
	.summary = "each worker accepts on its own SO_REUSEPORT listener",
	.run = reuseport_run,
};
