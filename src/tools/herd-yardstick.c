/*
 * herd-yardstick - the leanest echo server we know how to write: one
 * thread, one epoll loop, non-blocking sockets, echo what was read.
 * herd-bench runs it beside every herdd model as the yardstick the
 * issue's target ratios are measured against.  Not a product: no
 * handlers, no signals beyond the default, no options but the port.
 *
 * Usage: herd-yardstick PORT [ADDR]   (default 127.0.0.1); it dies
 * with the process that started it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define BUFSZ	65536

/* Echo what is readable; a full socket drops the rest (not in tests). */
static void
echo_ready(int fd, unsigned char *buf)
{
	ssize_t n, w, off;

	for (;;) {
		n = read(fd, buf, BUFSZ);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		for (off = 0; off < n; off += w) {
			w = send(fd, buf + off, (size_t)(n - off),
			    MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN) {
				/* Rare with ping-pong: block until room. */
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
				w = 0;
				continue;
			}
			if (w < 0)
				goto close;
		}
		if (n < BUFSZ)
			return;
	}
close:
	close(fd);
}

int
main(int argc, char **argv)
{
	struct net_listen_opts o = { SOCK_STREAM, 4096, 0, 0 };
	struct epoll_event ev, evs[256];
	char err[NET_ERRLEN], name[NET_NAMELEN];
	unsigned char *buf;
	int lfd, ep, n, i, c;

	/* A benchmark peer: it must not outlive the bench that ran it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: herd-yardstick PORT [ADDR]\n");
		return EX_USAGE;
	}
	lfd = net_listen(argc > 2 ? argv[2] : "127.0.0.1", argv[1], &o,
	    name, sizeof name, err, sizeof err);
	if (lfd < 0) {
		fprintf(stderr, "herd-yardstick: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (buf = malloc(BUFSZ)) == NULL) {
		perror("herd-yardstick");
		return EX_OSERR;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) < 0 && errno != EINTR) {
			perror("herd-yardstick: epoll_wait");
			free(buf);
			return EX_OSERR;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				echo_ready(evs[i].data.fd, buf);
				continue;
			}
			while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
			    SOCK_CLOEXEC)) >= 0) {
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
			}
		}
	}
}
