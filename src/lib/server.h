/*
 * server.h - the server every model runs: its listening descriptors,
 * the accept step, and the connected descriptor it hands to conn.c.
 *
 * A struct herd_server is passed down to everything; there is no
 * hidden global server state.
 */
#ifndef HERD_SERVER_H
#define HERD_SERVER_H

#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "herd.h"
#include "net.h"

struct herd_options;
struct scoreboard;

/* A listening descriptor: bound once by the master, or inherited. */
struct herd_listener {
	int				 fd;
	int				 socktype;
	int				 inherited;	/* from systemd */
	const struct herd_handler	*handler;
	char				 name[NET_NAMELEN];
};

/* A connected descriptor and who is on the other end. */
struct herd_conn {
	int			 fd;
	const struct herd_listener *listener;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 host[NI_MAXHOST];	/* numeric */
	char			 serv[NI_MAXSERV];
	char			 name[NI_MAXHOST];	/* --resolve */
	unsigned long long	 bytes_in;
	unsigned long long	 bytes_out;
};

enum server_state {
	SERVER_RUNNING,
	SERVER_DRAINING,	/* SIGTERM: no new connections */
	SERVER_ABORT,		/* SIGQUIT, or the drain deadline passed */
};

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
};

struct herd_model {
	const char	*name;
	const char	*summary;
	int		(*run)(struct herd_server *);	/* an EX_ code */
};

const struct herd_model *model_find(const char *name);
const struct herd_model *model_at(size_t i);

/*
 * Open the listeners: the systemd-passed sockets when LISTEN_FDS is
 * ours, else one per --listen.  Returns 0, or a sysexits code with a
 * message in err.
 */
int	server_open(struct herd_server *, const struct herd_options *,
	    char *err, size_t errlen);
void	server_close_listeners(struct herd_server *);
void	server_free(struct herd_server *);
int	server_run(struct herd_server *);

/*
 * Wait for a connection on any listener and accept it.  1: c holds a
 * connected descriptor.  0: nothing accepted (a signal came, another
 * process won the race, a transient error was logged); look at the
 * state and call again.  -1: the listeners are unusable.
 */
int	server_accept(struct herd_server *, struct herd_conn *c);

/*
 * Accept once from l, which poll said is ready (server_accept's second
 * half, for a master that polls more than listeners); same returns.
 */
int	server_accept_on(struct herd_server *, struct herd_listener *l,
	    struct herd_conn *c);
/* Fill c's host, serv and name from c->addr (after accept, or passing). */
void	server_conn_names(const struct herd_server *, struct herd_conn *c);

/*
 * Wait until fd is ready for events.  1 ready; 0 the server is
 * aborting (or the drain deadline passed); -1 poll failed.
 */
int	server_wait_fd(struct herd_server *, int fd, short events);

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

/* Serving now: READY=1 to the service manager, arm the watchdog. */
void	server_ready(struct herd_server *);
/*
 * For models with nothing to reload: on a pending SIGHUP, RELOADING=1
 * then READY=1, so `systemctl reload` completes.
 */
void	server_sighup(struct herd_server *);

/* The connection loop (conn.c): serve c until done, then close it. */
void	conn_serve(struct herd_server *, struct herd_conn *c);
/* Write all of buf, waiting as needed; 0 or -1 (errno set). */
int	conn_write_all(struct herd_server *, int fd, const void *buf,
	    size_t len);

#endif
