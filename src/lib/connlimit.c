/*
 * connlimit.c - --max-conns as a pool of tokens in an eventfd shared
 * by every process and thread of the server (see connlimit.h).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "connlimit.h"
#include "log.h"
#include "options.h"
#include "scoreboard.h"
#include "server.h"

int
connlimit_open(struct herd_server *srv)
{
	srv->capfd = -1;
	if (srv->opt->max_conns == 0)
		return 0;
	/* Semaphore mode: each read takes exactly one token. */
	srv->capfd = eventfd(srv->opt->max_conns,
	    EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	return srv->capfd < 0 ? -1 : 0;
}

void
connlimit_close(struct herd_server *srv)
{
	if (srv->capfd >= 0)
		close(srv->capfd);
	srv->capfd = -1;
}

int
connlimit_take(struct herd_server *srv)
{
	uint64_t one;
	ssize_t n;

	if (srv->capfd < 0)
		return 1;
	while ((n = read(srv->capfd, &one, sizeof one)) < 0 &&
	    errno == EINTR)
		;
	if (n < 0) {
		if (errno != EAGAIN)
			log_err("--max-conns tokens: %s", strerror(errno));
		return 0;
	}
	scoreboard_hold(srv->scoreboard, srv->slot, 1);
	return 1;
}

static void
connlimit_put(int fd, uint64_t n)
{
	while (write(fd, &n, sizeof n) < 0 && errno == EINTR)
		;
}

void
connlimit_give(struct herd_server *srv)
{
	if (srv->capfd < 0)
		return;
	/* Uncounted first: a kill between the two loses, never adds. */
	scoreboard_hold(srv->scoreboard, srv->slot, -1);
	connlimit_put(srv->capfd, 1);
}

void
connlimit_done(struct herd_server *srv, struct herd_conn *c)
{
	if (!c->held)
		return;
	c->held = 0;
	connlimit_give(srv);
}

void
connlimit_reclaim(struct herd_server *srv, unsigned slot)
{
	long long n = scoreboard_take_held(srv->scoreboard, slot);

	if (srv->capfd < 0 || n <= 0)
		return;
	log_debug("master: %lld --max-conns tokens of slot %u back", n, slot);
	connlimit_put(srv->capfd, (uint64_t)n);
}
