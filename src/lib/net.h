/*
 * net.h - socket helpers: listen, connect, addresses to text.
 *
 * Like Redis's anet.c they never print: they return -1 and leave a
 * one-line reason in the caller's error buffer.
 */
#ifndef HERD_NET_H
#define HERD_NET_H

#include <stddef.h>
#include <sys/socket.h>

#define NET_ERRLEN	256
#define NET_NAMELEN	320	/* "[host]:service" */

struct net_listen_opts {
	int	socktype;	/* SOCK_STREAM or SOCK_DGRAM */
	int	backlog;
	int	v6only;		/* IPV6_V6ONLY on wildcard binds */
	int	reuseport;
};

/*
 * Bind a listening socket on host (NULL or "" for the wildcard, which
 * is [::] dual stack where IPv6 exists) and serv (a port or a name
 * from /etc/services).  The socket is CLOEXEC and non-blocking: it is
 * only ever accepted from after poll says so, and several processes
 * may race for the same connection.  On success the bound address
 * ("[::]:7007") goes to name.
 */
int	net_listen(const char *host, const char *serv,
	    const struct net_listen_opts *, char *name, size_t namelen,
	    char *err, size_t errlen);

/*
 * Connect to host:serv, trying every address getaddrinfo returns in
 * turn.  The socket is CLOEXEC and blocking.
 */
int	net_connect(const char *host, const char *serv, int socktype,
	    char *err, size_t errlen);

/* Address to host and service text; numeric unless resolve is set. */
int	net_addr_text(const struct sockaddr *, socklen_t, int resolve,
	    char *host, size_t hostlen, char *serv, size_t servlen);

/* "[::1]:7007" or "127.0.0.1:7007" from a sockaddr. */
void	net_addr_name(const struct sockaddr *, socklen_t, char *name,
	    size_t namelen);

/* The local address of a socket as a name, as net_addr_name(). */
void	net_sock_name(int fd, char *name, size_t namelen);

#endif
