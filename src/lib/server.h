/*
 * server.h - the server every model runs: its listening descriptors,
 * the accept step, and the connected descriptor it hands to conn.c.
 *
 * A struct herd_server is passed down to everything; there is no
 * hidden global server state.
 */
#ifndef HERD_SERVER_H
#define HERD_SERVER_H

#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "herd.h"
#include "net.h"

struct herd_options;
struct scoreboard;
struct control;

/*
 * A listening descriptor: bound once by the master, or inherited.  A
 * SOCK_DGRAM one is the bound UDP socket itself (dgram.h).
 */
struct herd_listener {
	int				 fd;
	int				 socktype;
	int				 inherited;	/* from systemd */
	int				 proxy;	/* PROXY header first */
	const struct herd_handler	*handler;
	char				 name[NET_NAMELEN];
};

/*
 * A connected descriptor and who is on the other end.  Kept small: an
 * event worker holds one per connection, thousands of them.  Only the
 * numbers are kept; the name --resolve finds lives from conn_open() to
 * conn_close(), in the process that serves (DNS never blocks the one
 * that accepts).
 */
#define CONN_HOSTLEN	(INET6_ADDRSTRLEN + IF_NAMESIZE) /* fe80::1%eth0 */
#define CONN_SERVLEN	8				/* 65535 */

struct herd_conn {
	int			 fd;
	const struct herd_listener *listener;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 host[CONN_HOSTLEN];	/* numeric */
	char			 serv[CONN_SERVLEN];	/* numeric */
	char			*name;	/* --resolve, while open; else NULL */
	unsigned long long	 bytes_in;
	unsigned long long	 bytes_out;
	int			 held;	/* a --max-conns token (connlimit.h) */
};

enum server_state {
	SERVER_RUNNING,
	SERVER_DRAINING,	/* SIGTERM: no new connections */
	SERVER_ABORT,		/* SIGQUIT, or the drain deadline passed */
};

/*
 * An episode of running out of descriptors (or memory) on accept, for
 * its one warning and its one "accepting again".  A process has one,
 * shared by its threads' views.
 */
struct accept_episode {
	atomic_int		on;	/* warned; "again" not yet said */
	_Atomic long long	last;	/* ms: the last accept that failed */
};

#define SERVER_NO_SLOT	(~0u)

struct herd_server {
	const struct herd_options	*opt;
	const struct herd_model		*model;
	struct herd_listener		*listeners;
	size_t				 nlisteners;
	struct pollfd			*pfd;	/* one per listener */
	size_t				 next;	/* round-robin start */
	enum server_state		 state;
	struct timespec			 deadline;	/* when DRAINING */
	char				 role[32];	/* "master", ... */
	struct scoreboard		*scoreboard;	/* process models */
	struct control			*control;	/* --control; master */
	int				 accept_exhausted; /* EMFILE... */
	struct accept_episode		*episode;	/* own, or owner's */
	struct accept_episode		 own_episode;
	int				 capfd;	/* --max-conns tokens, or -1 */
	unsigned			 slot;	/* scoreboard row, or NO_SLOT */
	struct dgram			*dgram;	/* dgram.c's buffers */
	int				 accept_flags;	/* accept4's, event:
							 * SOCK_NONBLOCK */
	/*
	 * Threads (server_threads_begin()): the thread that handles
	 * signals writes drainfd once DRAINING and abortfd once
	 * ABORT; worker threads poll them, as they cannot see signals.
	 * A worker thread runs on its own view of the server (see
	 * server_view_init()), whose owner is the main thread's.
	 */
	int				 drainfd;
	int				 abortfd;
	const struct herd_server	*owner;	/* NULL: handles signals */
};

struct herd_model {
	const char	*name;
	const char	*summary;
	int		(*run)(struct herd_server *);	/* an EX_ code */
	int		supervised;	/* runs under master.c (--control) */
};

const struct herd_model *model_find(const char *name);
const struct herd_model *model_at(size_t i);

/*
 * A server with no listeners yet, for opt (which it keeps pointing
 * at).  Everything that makes a struct herd_server starts here.
 */
void	server_init(struct herd_server *, const struct herd_options *);

/*
 * Open the listeners: the systemd-passed sockets when LISTEN_FDS is
 * ours, else one per --listen.  Returns 0, or a sysexits code with a
 * message in err.
 */
int	server_open(struct herd_server *, const struct herd_options *,
	    char *err, size_t errlen);
/*
 * Serve handler h on the bound listening socket fd (api.c binds its
 * own).  0, or -1 out of memory (the caller still owns fd).
 */
int	server_add_listener(struct herd_server *, int fd, int socktype,
	    int inherited, const struct herd_handler *h);
/*
 * Mark the listener added last as expecting a PROXY protocol header
 * when proxy (its spec's ",proxy") or --proxy-protocol says so.
 */
void	server_listener_proxy(struct herd_server *, int proxy);
void	server_close_listeners(struct herd_server *);
void	server_free(struct herd_server *);
int	server_run(struct herd_server *);

/*
 * Wait for a connection on any listener and accept it.  1: c holds a
 * connected descriptor.  0: nothing accepted (a signal came, another
 * process won the race, a transient error was logged, datagrams were
 * served in place); look at the state and call again.  -1: the
 * listeners are unusable.
 */
int	server_accept(struct herd_server *, struct herd_conn *c);

/*
 * Accept and serve one connection at a time until the server stops
 * (iterative; each prethread thread), holding lock (if not NULL)
 * around the accept.  0 at shutdown, -1 if accepting failed.
 */
int	server_serve_iteratively(struct herd_server *, pthread_mutex_t *lock);

/*
 * Accept once from l, which poll said is ready (server_accept's second
 * half, for a master that polls more than listeners); same returns.
 */
int	server_accept_on(struct herd_server *, struct herd_listener *l,
	    struct herd_conn *c);
/*
 * After server_accept_on() returned 0: when it ran out of descriptors
 * or memory (srv->accept_exhausted), sleep SERVER_ACCEPT_BACKOFF_MS so
 * a still-readable listener is not retried in a busy loop.  An event
 * loop takes its listeners out for that long instead.  An episode ends
 * (and is logged as over) at the first accept that works at least
 * SERVER_EPISODE_QUIET_MS after the last that failed: while clients
 * come and go at the limit, one warning, not one per freed descriptor.
 */
#define SERVER_ACCEPT_BACKOFF_MS	100
#define SERVER_EPISODE_QUIET_MS		1000
void	server_accept_backoff(const struct herd_server *);
/* Fill c's numeric host and serv from c->addr (after accept, or passing). */
void	server_conn_names(const struct herd_server *, struct herd_conn *c);

/*
 * Wait until fd is ready for events.  1 ready; 0 the server is
 * aborting (or the drain deadline passed); -1 poll failed.
 */
int	server_wait_fd(struct herd_server *, int fd, short events);
/*
 * The same for a connection's descriptor, which may also stay idle
 * no longer than --timeout: 0 with errno ETIMEDOUT when it did (with
 * ECANCELED when the server is aborting).
 */
int	server_wait_conn(struct herd_server *, int fd, short events);
/*
 * The same with a deadline of the caller's (CLOCK_MONOTONIC) instead
 * of --timeout: 0 with errno ETIMEDOUT once it has passed.
 */
int	server_wait_until(struct herd_server *, int fd, short events,
	    const struct timespec *deadline);

/*
 * Sleep until a signal comes (acted on as server_signals() does) or,
 * when draining, the deadline passes.  0 after a signal; -1 once the
 * server is aborting.  Check sig_take() for the other signals.
 */
int	server_pause(struct herd_server *);

/*
 * Act on pending SIGTERM, SIGINT and SIGQUIT (telling the service
 * manager STOPPING=1), and on the watchdog timer's SIGALRM (WATCHDOG=1:
 * the loop that calls this is alive).
 */
void	server_signals(struct herd_server *);

/*
 * Move to state (only ever forward), waking the worker threads.  The
 * signal-handling thread alone calls it.
 */
void	server_set_state(struct herd_server *, enum server_state);

/*
 * Before the first worker thread: make the drain and abort eventfds
 * of this process (after any fork, so processes don't share them).
 * 0, or -1 with errno.  server_threads_end() closes them.
 */
int	server_threads_begin(struct herd_server *);
void	server_threads_end(struct herd_server *);

/*
 * A worker thread's view of owner: the same listeners and options,
 * its own state and poll array, named role.  Its waits keep signals
 * blocked and end when the owner aborts (server_wait_fd()) or drains
 * (server_accept()).  0, or -1 with errno.
 */
int	server_view_init(struct herd_server *view,
	    const struct herd_server *owner, const char *role);
void	server_view_free(struct herd_server *view);

/*
 * Milliseconds left before the drain deadline for poll(2): -1 when not
 * draining (wait forever), 0 when it has passed.
 */
int	server_timeout_ms(const struct herd_server *);

/* Serving now: READY=1 to the service manager, arm the watchdog. */
void	server_ready(struct herd_server *);
/*
 * For models with nothing to reload: on a pending SIGHUP, RELOADING=1
 * then READY=1, so `systemctl reload` completes.
 */
void	server_sighup(struct herd_server *);

/*
 * The connection loop (conn.c): serve c until done, then close it and
 * give back its --max-conns token.
 */
void	conn_serve(struct herd_server *, struct herd_conn *c);
/*
 * A connection's start and end, shared by conn_serve() and the event
 * loop: conn_open() looks the peer's name up (--resolve), logs it,
 * fills peer and allocates the handler's state (0; -1 and c closed
 * when out of memory); conn_close() runs on_close, frees st, out and
 * the name, logs the byte counts and closes c.
 */
int	conn_open(const struct herd_server *, struct herd_conn *c,
	    struct herd_peer *peer, void **st);
void	conn_close(struct herd_conn *c, void *st, struct herd_buf *out);
/* Write all of buf, waiting as needed; 0 or -1 (errno set). */
int	conn_write_all(struct herd_server *, int fd, const void *buf,
	    size_t len);

#endif
