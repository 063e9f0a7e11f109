/*
 * herd.h - the public face of libherd.
 *
 * A handler is a byte transform with per-connection state and no
 * sockets: the library owns every descriptor, reads what a peer sends,
 * hands it to on_data() and writes back whatever the handler appended
 * to its output buffer.  The same handler therefore runs unchanged
 * under every concurrency model, blocking or event-driven, and a unit
 * test can drive it with plain buffers.
 *
 * A server ties handlers to listening sockets and runs them under a
 * concurrency model picked by name:
 *
 *	srv = herd_server_new();
 *	herd_handler_register(&my_handler);
 *	herd_server_listen(srv, "7007", "mine");
 *	herd_server_set_model(srv, "fork");
 *	herd_server_run(srv);		(until SIGTERM or herd_server_stop)
 *	herd_server_free(srv);
 *
 * Everything here is the stable interface, documented in libherd(3);
 * libherd.so exports nothing else.  Functions that can fail return -1
 * and leave a one-line reason in herd_server_error(); the library
 * never prints to stdout and never exits.
 */
#ifndef HERD_H
#define HERD_H

#include <stddef.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERD_API_VERSION 1

/* A growable output buffer.  Handlers only append to it. */
struct herd_buf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

/* Append len bytes; 0 on success, -1 (errno ENOMEM) on failure. */
int	herd_buf_append(struct herd_buf *, const void *, size_t);
/* Make room for n more bytes and return where they go, or NULL. */
unsigned char *herd_buf_reserve(struct herd_buf *, size_t);
void	herd_buf_free(struct herd_buf *);

/* Who is on the other end of a connection (or sent a datagram). */
struct herd_peer {
	const struct sockaddr	*addr;
	socklen_t		 addrlen;
	const char		*host;	/* numeric unless --resolve */
	const char		*serv;
};

/*
 * Return values of the on_* hooks.  Output appended before returning
 * HERD_CLOSE is flushed before the connection closes; after
 * HERD_ERROR it is dropped.
 */
#define HERD_CONTINUE	0
#define HERD_CLOSE	1
#define HERD_ERROR	(-1)

struct herd_handler {
	const char	*name;
	const char	*summary;
	size_t		 state_size;	/* zeroed per connection */
	/* NULL hooks are skipped. */
	int	(*on_open)(void *st, const struct herd_peer *,
		    struct herd_buf *out);
	/*
	 * Called for each chunk read.  len == 0 means the peer
	 * half-closed: append whatever is still owed, the library
	 * flushes it and closes.
	 */
	int	(*on_data)(void *st, const void *in, size_t len,
		    struct herd_buf *out);
	void	(*on_close)(void *st);
};

/*
 * The handler registry.  The built-ins (echo, rot13, discard,
 * daytime) are always present; herd_handler_register() adds one of
 * the caller's.  The pointer must stay valid for the process's life.
 */
int	herd_handler_register(const struct herd_handler *);
const struct herd_handler *herd_handler_find(const char *name);
/* The i-th handler, or NULL past the end: for listing. */
const struct herd_handler *herd_handler_at(size_t i);

/*
 * The concurrency models, for listing: the i-th model's name (and
 * its one-line summary in *summary unless that is NULL), or NULL past
 * the end.
 */
const char *herd_model_at(size_t i, const char **summary);

/* The library's version, "0.1.0". */
const char *herd_version(void);

/*
 * Log level for the whole process (the library logs to stderr, one
 * line per event): -1 errors only, 0 notices (the default), 1 every
 * connection, 2 debug.  progname prefixes each line; NULL keeps the
 * program's name.
 */
void	herd_log_init(const char *progname, int verbosity);

/* A server: its listeners, its model and settings.  Opaque. */
struct herd_server;

/* A new server with herdd's defaults, or NULL (errno ENOMEM). */
struct herd_server *herd_server_new(void);
/* Close its listeners and free it.  Not while it runs. */
void	herd_server_free(struct herd_server *);
/* Why the last call on this server failed. */
const char *herd_server_error(const struct herd_server *);

/*
 * Bind a listening TCP socket on "[ADDR:]PORT" (PORT a number or an
 * /etc/services name, IPv6 addresses in brackets, no ADDR for every
 * address; "udp:[ADDR:]PORT" binds a UDP socket instead, where each
 * datagram is one exchange answered by one datagram) and serve the
 * registered handler called handler there;
 * with handler NULL, spec may end in "=HANDLER" as herdd's --listen
 * does (echo when it does not).  "HANDLER,proxy": a PROXY protocol
 * header comes first, naming the client.  Port 0 binds a free port.
 * Returns the port bound, or -1.
 */
int	herd_server_listen(struct herd_server *, const char *spec,
	    const char *handler);

/* The concurrency model by name (herd_model_at()); 0 or -1. */
int	herd_server_set_model(struct herd_server *, const char *model);
/* Worker processes (process models); 0 or -1. */
int	herd_server_set_workers(struct herd_server *, unsigned n);
/* Threads per process (thread models); 0 or -1. */
int	herd_server_set_threads(struct herd_server *, unsigned n);
/*
 * Any other of herdd's long options by name, without the dashes
 * ("shutdown-timeout", "5"; "resolve", NULL): see herdd(8).  Checked
 * as herdd checks it; 0 or -1.  "listen" is herd_server_listen().
 */
int	herd_server_set_option(struct herd_server *, const char *name,
	    const char *value);

/*
 * Serve until stopped, then return 0; -1 if the server could not run
 * or its model failed.  A server runs once, and one server at a time
 * per process: the signals are process-wide.  While it runs, SIGTERM
 * and SIGINT stop it gracefully (open connections get the shutdown
 * timeout to finish) and SIGQUIT at once; SIGPIPE is ignored.  The
 * calling thread's signal mask and every signal disposition are put
 * back when it returns.  In a threaded program, block those signals
 * in the other threads, or they may miss the server.
 */
int	herd_server_run(struct herd_server *);

/*
 * Ask a running server to stop gracefully, as SIGTERM does; before
 * herd_server_run() it makes the run return at once.  Safe from any
 * thread of the process that runs the server and from a signal
 * handler.
 */
void	herd_server_stop(struct herd_server *);

#ifdef __cplusplus
}
#endif

#endif /* HERD_H */
