/*
 * fork - the master accepts; a child forked per connection serves it
 * (UNP's serv01, the classic inetd shape).  The parent closes the
 * connected descriptor, the child closes the listening ones: after
 * the fork each process holds only the kind it needs.
 *
 * The master reaps children as SIGCHLD says they exit, so none is
 * left a zombie.  On SIGTERM it stops accepting, lets the children
 * finish for --shutdown-timeout, then kills the rest.
 *
 * Under --max-conns each child holds one token from its accept until
 * the master reaps it: the master counts its live children, and a
 * child killed mid-connection loses no token.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "connlimit.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "proc.h"
#include "server.h"
#include "sig.h"

extern const struct herd_model model_iterative;

static void
fork_reap(struct herd_server *srv, struct proc_set *kids)
{
	char how[64];
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (proc_set_remove(kids, pid) == 0)
			connlimit_give(srv);	/* no-op without a cap */
		proc_status_text(status, how, sizeof how);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_debug("child %ld %s", (long)pid, how);
		else
			log_warn("child %ld %s", (long)pid, how);
	}
}

static void
fork_child(struct herd_server *srv, struct herd_conn *c, pid_t master)
{
	if (proc_die_with_parent(master) < 0)
		_exit(EX_OSERR);
	server_close_listeners(srv);
	c->held = 0;		/* the master gives it back when it reaps us */
	snprintf(srv->role, sizeof srv->role, "child %ld", (long)getpid());
	log_info("child %ld holds fd %d; listeners closed", (long)getpid(),
	    c->fd);
	conn_serve(srv, c);
	_exit(EX_OK);
}

static void
fork_spawn(struct herd_server *srv, struct herd_conn *c,
    struct proc_set *kids)
{
	pid_t pid, master = getpid();

	if ((pid = fork()) == 0)
		fork_child(srv, c, master);
	if (pid < 0) {
		log_err("fork for fd %d from %s: %s", c->fd, c->host,
		    strerror(errno));
		connlimit_done(srv, c);
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	} else if (proc_set_add(kids, pid) < 0) {
		log_err("child %ld: out of memory to track it; killing it",
		    (long)pid);
		kill(pid, SIGKILL);
		connlimit_done(srv, c);
	} else
		log_info("master: child %ld serves fd %d; master closes it",
		    (long)pid, c->fd);
	close(c->fd);
}

/* STATUS= for the service manager: how many children serve now. */
static void
fork_status(const struct herd_server *srv, const struct proc_set *kids)
{
	notify_status("model fork: %zu child%s serving, %zu listener%s",
	    kids->n, kids->n == 1 ? "" : "ren", srv->nlisteners,
	    srv->nlisteners == 1 ? "" : "s");
}

/* After SIGTERM: wait for the children until the deadline, then kill. */
static void
fork_drain(struct herd_server *srv, struct proc_set *kids)
{
	fork_reap(srv, kids);
	while (kids->n > 0 && server_pause(srv) == 0)
		fork_reap(srv, kids);
	if (kids->n > 0) {
		log_notice("killing %zu children still serving", kids->n);
		proc_set_kill(kids, SIGKILL);
		while (kids->n > 0 && waitpid(-1, NULL, 0) > 0)
			fork_reap(srv, kids);
	}
}

static int
fork_run(struct herd_server *srv)
{
	struct proc_set kids = { NULL, 0, 0 };
	struct herd_conn c;
	int r, rc = EX_OK;

	if (srv->opt->single)		/* -X: no children, serve inline */
		return model_iterative.run(srv);
	fork_status(srv, &kids);
	server_ready(srv);
	while (srv->state == SERVER_RUNNING) {
		if ((r = server_accept(srv, &c)) < 0) {
			rc = EX_OSERR;
			break;
		}
		if (r == 1) {
			fork_spawn(srv, &c, &kids);
			fork_status(srv, &kids);
		}
		if (sig_take(SIGCHLD)) {
			fork_reap(srv, &kids);
			fork_status(srv, &kids);
		}
		server_signals(srv);
		server_sighup(srv);
	}
	server_close_listeners(srv);
	if (srv->state == SERVER_RUNNING)	/* accept failed */
		srv->state = SERVER_ABORT;
	fork_drain(srv, &kids);
	proc_set_free(&kids);
	return rc;
}

const struct herd_model model_fork = {
	.name = "fork",
	.summary = "the master accepts, a child per connection serves",
	.run = fork_run,
};
