/*
 * bench-pingpong.c - a small bounded client for doc/thread-models.md
 * (not a test; built only on request: make tests/bench-pingpong).
 *
 *   bench-pingpong PORT CONNS SECONDS [SIZE]
 *	CONNS connections to 127.0.0.1:PORT, each sending SIZE bytes
 *	(default 64) and waiting for them back, over and over, for
 *	SECONDS; prints the round trips per second.  One thread, one
 *	epoll loop, so the client costs the same whatever the model.
 *   bench-pingpong --idle PORT N
 *	open N idle connections, say so, hold them until stdin closes.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct pp {
	int	fd;
	size_t	got;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
dial(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
		fprintf(stderr, "bench-pingpong: connect: %s\n",
		    strerror(errno));
		exit(1);
	}
	return fd;
}

static int
idle(int port, int n)
{
	char c;
	int i;

	for (i = 0; i < n; i++)
		dial(port);
	printf("%d open\n", n);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	char msg[65536], buf[65536];
	long long trips = 0;
	double end, t0;
	struct pp *pp;
	size_t size = 64;
	int port, conns, i, n, ep;
	ssize_t r;

	if (argc == 4 && strcmp(argv[1], "--idle") == 0)
		return idle(atoi(argv[2]), atoi(argv[3]));
	if (argc < 4) {
		fprintf(stderr, "usage: bench-pingpong PORT CONNS SECONDS "
		    "[SIZE]\n       bench-pingpong --idle PORT N\n");
		return 64;
	}
	port = atoi(argv[1]);
	conns = atoi(argv[2]);
	if (argc > 4)
		size = (size_t)atoi(argv[4]);
	if (conns < 1 || size < 1 || size > sizeof msg)
		return 64;
	memset(msg, 'p', size);
	pp = calloc((size_t)conns, sizeof *pp);
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < conns; i++) {
		pp[i].fd = dial(port);
		ev.events = EPOLLIN;
		ev.data.ptr = &pp[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, pp[i].fd, &ev);
		send(pp[i].fd, msg, size, MSG_NOSIGNAL);
	}
	t0 = now_s();
	end = t0 + atof(argv[3]);
	while (now_s() < end) {
		if ((n = epoll_wait(ep, evs, 256, 100)) < 0)
			return 1;
		for (i = 0; i < n; i++) {
			struct pp *p = evs[i].data.ptr;

			if ((r = recv(p->fd, buf, sizeof buf, 0)) <= 0) {
				fprintf(stderr, "bench-pingpong: server "
				    "closed a connection\n");
				return 1;
			}
			if ((p->got += (size_t)r) < size)
				continue;
			p->got = 0;
			trips++;
			send(p->fd, msg, size, MSG_NOSIGNAL);
		}
	}
	printf("%d conns, %zu bytes: %lld round trips in %.1f s, %.0f/s\n",
	    conns, size, trips, now_s() - t0, trips / (now_s() - t0));
	return 0;
}
