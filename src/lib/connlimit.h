/*
 * connlimit.h - --max-conns: one cap on live connections across every
 * process and thread of a server, whatever the model.
 *
 * The cap is a pool of tokens: an eventfd in semaphore mode whose
 * counter starts at --max-conns, made before the model runs, so every
 * worker process inherits the same one.  Whoever accepts takes a token
 * first (a read: exact, atomic in the kernel, so racing workers never
 * overshoot) and gives it back when the connection closes, or at once
 * when the accept found nothing.  With no token free the acceptor
 * stops accepting and new clients wait in the kernel's backlog; the
 * eventfd is readable exactly while a token is free, so a waiting
 * acceptor sleeps in poll or epoll on it like on any descriptor.
 *
 * A worker process killed with connections open cannot give their
 * tokens back: it counts them in its scoreboard row, and the master
 * gives them back when it reaps it (connlimit_reclaim).  The count
 * follows the take, so a SIGKILL landing between the two loses a
 * token rather than making one up: the cap can shrink by that one,
 * never be exceeded.
 */
#ifndef HERD_CONNLIMIT_H
#define HERD_CONNLIMIT_H

struct herd_server;
struct herd_conn;

/*
 * Before the model runs: srv->capfd holds --max-conns tokens (-1 and
 * nothing to do when there is no cap).  0, or -1 with errno.
 */
int	connlimit_open(struct herd_server *);
void	connlimit_close(struct herd_server *);

/*
 * Take a token for a connection about to be accepted: 1 taken (or no
 * cap), 0 none free (wait for srv->capfd to be readable and try
 * again).  Counted in srv's scoreboard row (srv->slot), if any.
 */
int	connlimit_take(struct herd_server *);
/* Give a token back: nothing was accepted after all, or it closed. */
void	connlimit_give(struct herd_server *);
/* c closed (or was dropped): its token, if it holds one, goes back. */
void	connlimit_done(struct herd_server *, struct herd_conn *c);
/* Master: slot's worker is dead; give back the tokens it held. */
void	connlimit_reclaim(struct herd_server *, unsigned slot);

#endif
