/*
 * herd.h - the public face of libherd.
 *
 * A handler is a byte transform with per-connection state and no
 * sockets: the library owns every descriptor, reads what a peer sends,
 * hands it to on_data() and writes back whatever the handler appended
 * to its output buffer.  The same handler therefore runs unchanged
 * under every concurrency model, blocking or event-driven, and a unit
 * test can drive it with plain buffers.
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

#ifdef __cplusplus
}
#endif

#endif /* HERD_H */
