/*
 * hybrid - --workers P processes, each running its own pool of
 * --threads T (Apache's worker MPM): a crashed process takes only its
 * own threads' clients with it, while threads keep the per-connection
 * cost low.  The master (master.c) forks, respawns and stops the
 * processes; each accepts on the shared listening sockets and feeds
 * its own queue exactly as the pool model does.
 */
#include "config.h"

#include "master.h"
#include "options.h"
#include "pool.h"
#include "server.h"

static int
hybrid_run(struct herd_server *srv)
{
	return master_run(srv, srv->opt->workers, pool_serve);
}

const struct herd_model model_hybrid = {
	.name = "hybrid",
	.summary = "P processes, each a pool of T threads",
	.run = hybrid_run,
	.supervised = 1,
};
