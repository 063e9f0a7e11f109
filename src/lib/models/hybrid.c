/*
 * hybrid - --workers P processes, each running its own pool of
 * --threads T (Apache's worker MPM): a crashed process takes only its
 * own threads' clients with it, while threads keep the per-connection
 * cost low.  Each process accepts on the shared listening sockets and
 * feeds its own queue, exactly as the pool model does.
 */
#include "config.h"

#include "log.h"
#include "server.h"

extern const struct herd_model model_pool;

static int
hybrid_run(struct herd_server *srv)
{
	/* Until the process master exists: one process, in-process. */
	log_info("hybrid: one process of %s", "a pool");
	return model_pool.run(srv);
}

const struct herd_model model_hybrid = {
	.name = "hybrid",
	.summary = "P processes, each a pool of T threads",
	.run = hybrid_run,
};
