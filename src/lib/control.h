/*
 * control.h - herdd's control socket (--control PATH), which herdctl(1)
 * talks to: a Unix-domain stream socket the master serves from its
 * ppoll() loop, never blocking on a client.
 *
 * The protocol is one request line per connection and a reply of zero
 * or more lines ending with a line "ok" or "error: REASON"; then the
 * master closes the connection.  Requests:
 *
 *   status          the scoreboard as a table, then totals
 *   status json     the same as one line of JSON
 *   reload          what SIGHUP does: a new generation of workers
 *   stop            what SIGTERM does: drain and exit
 *   workers +1      what SIGTTIN does: one worker more
 *   workers -1      what SIGTTOU does: one worker less
 *
 * reload, stop and workers post the very flag the signal handler sets
 * (sig_post()), so the master acts on them by its one signal path.
 * Only root and the user herdd was started as (before --user) are
 * served; the socket is also mode 0600.
 */
#ifndef HERD_CONTROL_H
#define HERD_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_MAX_CLIENTS	8
#define CONTROL_NPOLL		(1 + CONTROL_MAX_CLIENTS)
#define CONTROL_LINE_MAX	256	/* a request longer is refused */
#define CONTROL_DEADLINE_MS	2000	/* a client's whole visit */

struct control;
struct scoreboard;

/* What status reports; the master fills it in. */
struct control_view {
	const char		*model;
	pid_t			 pid;		/* the master's */
	unsigned		 generation;
	unsigned		 wanted;	/* workers */
	int			 running;	/* not draining */
	long long		 started_ms;	/* CLOCK_MONOTONIC */
	const struct scoreboard	*sb;
	/* Counted by workers already gone, so totals span the run. */
	unsigned long long	 gone_served, gone_in, gone_out;
};

/*
 * Create the socket at path (replacing a stale one a dead herdd left)
 * and listen.  0, or a sysexits code with a message in err.
 */
int	control_open(struct control **, const char *path, char *err,
	    size_t errlen);
/* Close everything; remove the socket file if unlink (the master). */
void	control_close(struct control *, int unlink);

/* The descriptors to poll (at most CONTROL_NPOLL); how many. */
size_t	control_pollfds(const struct control *, struct pollfd *pfd);
/*
 * After the poll: serve what pfd (as control_pollfds() filled it and
 * poll set revents) says is ready, and drop clients past their
 * deadline.  Call it after every wakeup, events or not.
 */
void	control_serve(struct control *, const struct pollfd *pfd, size_t n,
	    const struct control_view *);
/* Milliseconds until the next client deadline, or -1 for none. */
long long control_timeout_ms(const struct control *);

#endif
