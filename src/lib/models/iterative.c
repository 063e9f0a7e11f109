/*
 * iterative - one process accepts and serves, one client at a time
 * (UNP's serv00, the lecture's echo server).  Every other client waits
 * in the kernel's backlog.  It is the baseline every other model is
 * measured against.
 */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "notify.h"
#include "server.h"

static int
iterative_run(struct herd_server *srv)
{
	snprintf(srv->role, sizeof srv->role, "server");
	notify_status("model iterative: 1 process, %zu listener%s",
	    srv->nlisteners, srv->nlisteners == 1 ? "" : "s");
	server_ready(srv);
	return server_serve_iteratively(srv, NULL) < 0 ? EX_OSERR : EX_OK;
}

const struct herd_model model_iterative = {
	.name = "iterative",
	.summary = "one process accepts and serves one client at a time",
	.run = iterative_run,
};
