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
	struct herd_conn c;
	int r;

	snprintf(srv->role, sizeof srv->role, "server");
	notify_status("model iterative: 1 process, %zu listener%s",
	    srv->nlisteners, srv->nlisteners == 1 ? "" : "s");
	server_ready(srv);
	while (srv->state == SERVER_RUNNING) {
		if ((r = server_accept(srv, &c)) < 0)
			return EX_OSERR;
		if (r == 1)
			conn_serve(srv, &c);
		server_signals(srv);
		server_sighup(srv);
	}
	return EX_OK;
}

const struct herd_model model_iterative = {
	.name = "iterative",
	.summary = "one process accepts and serves one client at a time",
	.run = iterative_run,
};
