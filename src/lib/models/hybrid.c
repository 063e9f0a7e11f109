/*
 * hybrid - --workers P processes, each running its own pool of
 * --threads T (Apache's worker MPM): a crashed process takes only its
 * own threads' clients with it, while threads keep the per-connection
 * cost low.  The master (master.c) forks, respawns and stops the
 * processes; each accepts on the shared listening sockets and feeds
 * its own queue exactly as the pool model does.  With --max-requests
 * a process stops accepting after that many connections (plus
 * jitter), its replacement starts, and its threads finish what they
 * hold before it exits.
 */
#include "config.h"

#include "master.h"
#include "options.h"
#include "pool.h"
#include "server.h"

/* --max-requests: a process leaves after so many connections. */
static int
hybrid_worker(struct herd_server *srv, unsigned slot)
{
	return pool_serve(srv, slot, master_request_limit(srv));
}

static int
hybrid_run(struct herd_server *srv)
{
	return master_run(srv, srv->opt->workers, hybrid_worker);
}

const struct herd_model model_hybrid = {
	.name = "hybrid",
	.summary = "P processes, each a pool of T threads",
	.run = hybrid_run,
	.supervised = 1,
};
