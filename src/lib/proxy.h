/*
 * proxy.h - the PROXY protocol (HAProxy, v1 text and v2 binary) header
 * a load balancer sends first on each connection, naming the real client.
 *
 * The parser is incremental in the simplest way: it is handed whatever
 * has been read so far, from the start of the connection, and says
 * "need more", "malformed, because ..." or "a header of N bytes".  It
 * keeps no state between calls, never allocates, never reads past the
 * length it is given and never prints, so a connection can call it
 * after every read into a buffer of PROXY_HEADER_MAX bytes.
 */
#ifndef HERD_PROXY_H
#define HERD_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXY_NEED_MORE	0
#define PROXY_ERROR	(-1)

#define PROXY_ERRLEN	128

/* A v1 line, "PROXY UNKNOWN" with two IPv6 addresses, CRLF included. */
#define PROXY_V1_MAX	107
/*
 * The v2 length field (the bytes after the fixed 16) may say up to
 * 65535; senders keep the whole header within one 536-byte segment, so
 * anything past 1 KiB is refused rather than waited for.
 */
#define PROXY_V2_LEN_MAX	1024
#define PROXY_HEADER_MAX	(16 + PROXY_V2_LEN_MAX)

struct proxy_header {
	int			version;	/* 1 or 2 */
	int			local;		/* v2 LOCAL: the proxy's own */
	int			socktype;	/* SOCK_STREAM, SOCK_DGRAM, 0 */
	/*
	 * The real client (src) and the address it connected to (dst).
	 * ss_family is AF_UNSPEC when the header names no usable address
	 * (v2 LOCAL, v1 UNKNOWN, v2 UNSPEC or AF_UNIX): the connection's
	 * own endpoints then stand, as the spec says.
	 */
	struct sockaddr_storage	src;
	struct sockaddr_storage	dst;
	socklen_t		addrlen;	/* of src and of dst; 0 */
};

/*
 * Parse the header at the start of buf[0..len).  Returns
 * PROXY_NEED_MORE while what is there is a valid beginning,
 * PROXY_ERROR with a one-line reason in err once it cannot be one, or
 * the header's length in bytes (> 0, <= len) with *out filled in: the
 * connection's own data starts right after it.
 */
int	proxy_parse(const void *buf, size_t len, struct proxy_header *out,
	    char *err, size_t errlen);

#endif
