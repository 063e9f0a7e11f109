/*
 * conn-load - a small, bounded connection-per-request load for the
 * process-model notes (doc/process-models.md); not a test.  Until the
 * bundled herd-load lands, this is what those numbers were taken with.
 *
 *	conn-load PORT TOTAL THREADS [BYTES]
 *
 * THREADS threads share TOTAL connections to 127.0.0.1:PORT; each
 * connection sends BYTES (default 16), half-closes, reads the echo to
 * EOF and checks it.  Source addresses rotate over 127.0.0.2-17 so
 * TIME_WAIT does not run out of ports.  Prints connections, failures,
 * seconds and connections per second.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXTHREADS	64
#define MAXBYTES	65536

static int port, bytes = 16;
static atomic_long left, failed;

static int
one(unsigned src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char msg[MAXBYTES], got[MAXBYTES];
	ssize_t n;
	size_t have = 0;
	int fd, on = 1, ok;

	memset(msg, 'x', (size_t)bytes);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
	sin.sin_addr.s_addr = htonl(0x7f000002u + src % 16);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		goto fail;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    send(fd, msg, (size_t)bytes, MSG_NOSIGNAL) != bytes ||
	    shutdown(fd, SHUT_WR) < 0)
		goto fail;
	while ((n = recv(fd, got + have, sizeof got - have, 0)) > 0)
		have += (size_t)n;
	ok = n == 0 && have == (size_t)bytes && memcmp(got, msg, have) == 0;
	close(fd);
	return ok ? 0 : -1;
fail:
	close(fd);
	return -1;
}

static void *
worker(void *arg)
{
	unsigned src = (unsigned)(size_t)arg;

	while (atomic_fetch_sub(&left, 1) > 0)
		if (one(src++) < 0)
			atomic_fetch_add(&failed, 1);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[MAXTHREADS];
	struct timespec t0, t1;
	long total;
	int i, nth;
	double secs;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
		    "usage: conn-load PORT TOTAL THREADS [BYTES]\n");
		return 64;
	}
	port = atoi(argv[1]);
	total = atol(argv[2]);
	nth = atoi(argv[3]);
	if (argc == 5)
		bytes = atoi(argv[4]);
	if (port <= 0 || total <= 0 || nth <= 0 || nth > MAXTHREADS ||
	    bytes <= 0 || bytes > MAXBYTES) {
		fprintf(stderr, "conn-load: bad arguments\n");
		return 64;
	}
	atomic_store(&left, total);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, (void *)(size_t)(i * 7));
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("connections %ld failed %ld seconds %.2f per_second %.0f\n",
	    total, atomic_load(&failed), secs, (double)total / secs);
	return atomic_load(&failed) == 0 ? 0 : 1;
}
