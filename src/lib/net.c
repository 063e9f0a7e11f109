/*
 * net.c - listening and connecting with getaddrinfo, addresses as text.
 *
 * Everything is protocol independent: getaddrinfo decides the family,
 * so IPv6 and IPv4 take the same path (the lecture's open_listenfd and
 * open_clientfd, grown up).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

static int
net_fail(char *err, size_t errlen, const char *fmt, const char *a,
    const char *b, const char *why)
{
	char what[NET_NAMELEN];

	snprintf(what, sizeof what, fmt, a, b);
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

static const char *
net_host_fmt(const char *host)
{
	return host != NULL && strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s";
}

/*
 * Try to bind one address.  Returns the socket, or -1 with errno set
 * to the failing call's error.
 */
static int
net_bind_one(const struct addrinfo *ai, const struct net_listen_opts *o,
    int wildcard)
{
	int fd, on = 1, v6only = o->v6only, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	/*
	 * For TCP it only skips TIME_WAIT; for UDP it would let a second
	 * server bind the same port and take its datagrams: stream only.
	 */
	if (ai->ai_socktype == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		goto fail;
	if (o->reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
		goto fail;
	/* The wildcard [::] serves IPv4 too unless asked not to. */
	if (ai->ai_family == AF_INET6 && wildcard &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
	    sizeof v6only) < 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto fail;
	if (ai->ai_socktype == SOCK_STREAM && listen(fd, o->backlog) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
net_listen(const char *host, const char *serv,
    const struct net_listen_opts *o, char *name, size_t namelen,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, pass, wildcard, saved = 0;
	char failed[NET_NAMELEN] = "";

	if (host != NULL && (*host == '\0' || strcmp(host, "*") == 0))
		host = NULL;
	wildcard = host == NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = o->socktype;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0)
		return net_fail(err, errlen, net_host_fmt(host),
		    host ? host : "*", serv, gai_strerror(rc));

	/*
	 * For the wildcard prefer [::], which with IPV6_V6ONLY off also
	 * takes IPv4; 0.0.0.0 is the fallback on hosts without IPv6.
	 */
	for (pass = wildcard ? 0 : 1; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (pass == 0 && ai->ai_family != AF_INET6)
				continue;
			if ((fd = net_bind_one(ai, o, wildcard)) >= 0)
				break;
			if (saved == 0 || errno != EAFNOSUPPORT) {
				saved = errno;
				net_addr_name(ai->ai_addr, ai->ai_addrlen,
				    failed, sizeof failed);
			}
		}
		/* [::] bound or refused for a reason other than "no IPv6". */
		if (wildcard && saved != 0 && saved != EAFNOSUPPORT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "bind %s: %s", failed,
		    strerror(saved ? saved : EADDRNOTAVAIL));
		return -1;
	}
	net_sock_name(fd, name, namelen);
	return fd;
}

int
net_connect(const char *host, const char *serv, int socktype, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, saved = 0;
	char tried[NET_NAMELEN] = "";

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0)
		return net_fail(err, errlen, net_host_fmt(host), host, serv,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		net_addr_name(ai->ai_addr, ai->ai_addrlen, tried, sizeof tried);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "connect %s: %s", tried, strerror(saved));
	return fd;
}

int
net_addr_text(const struct sockaddr *sa, socklen_t len, int resolve,
    char *host, size_t hostlen, char *serv, size_t servlen)
{
	int rc;

	rc = getnameinfo(sa, len, host, hostlen, serv, servlen,
	    NI_NUMERICSERV | (resolve ? 0 : NI_NUMERICHOST));
	if (rc != 0 && resolve)		/* no name: fall back to numbers */
		rc = getnameinfo(sa, len, host, hostlen, serv, servlen,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	if (rc != 0) {
		snprintf(host, hostlen, "?");
		snprintf(serv, servlen, "?");
		return -1;
	}
	return 0;
}

void
net_addr_name(const struct sockaddr *sa, socklen_t len, char *name,
    size_t namelen)
{
	char host[256], serv[32];

	net_addr_text(sa, len, 0, host, sizeof host, serv, sizeof serv);
	snprintf(name, namelen, sa->sa_family == AF_INET6 ? "[%s]:%s" :
	    "%s:%s", host, serv);
}

void
net_sock_name(int fd, char *name, size_t namelen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);	/* an unnamed socket fills in nothing */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		snprintf(name, namelen, "fd %d", fd);
	else
		net_addr_name((struct sockaddr *)&ss, len, name, namelen);
}
