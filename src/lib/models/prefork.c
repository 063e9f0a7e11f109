/*
 * prefork - the master binds and forks N workers that each accept on
 * the inherited listeners (UNP's serv02-serv04, Apache's prefork MPM).
 * No fork per connection: the process-control cost is paid N times at
 * start, not once per client.
 *
 * --accept-lock picks how the idle workers take turns: none lets the
 * kernel wake them all (the thundering herd), fcntl and mutex let one
 * at a time wait in poll/accept.  The scoreboard shows the difference.
 */
#include "config.h"

#include <sysexits.h>

#include "acceptlock.h"
#include "log.h"
#include "master.h"
#include "options.h"
#include "server.h"

static int
prefork_worker(struct herd_server *srv, unsigned slot, void *ctx)
{
	return master_accept_loop(srv, slot, ctx);
}

static int
prefork_run(struct herd_server *srv)
{
	struct master_ops ops = { .worker = prefork_worker };
	struct acceptlock *lock;
	char err[256];
	int rc;

	if ((lock = acceptlock_create(srv->opt->accept_lock, err,
	    sizeof err)) == NULL) {
		log_err("%s", err);
		return EX_OSERR;
	}
	log_info("prefork: accept lock %s",
	    accept_lock_name(srv->opt->accept_lock));
	ops.ctx = lock;
	rc = master_run_ops(srv, srv->opt->workers, &ops);
	acceptlock_destroy(lock);
	return rc;
}

const struct herd_model model_prefork = {
	.name = "prefork",
	.summary = "N workers forked at start each accept (--accept-lock)",
	.run = prefork_run,
	.supervised = 1,
};
