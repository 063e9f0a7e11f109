/*
 * tcp-exchange - the client the shell tests use: connect to
 * 127.0.0.1:PORT, send all of stdin, half-close, copy the reply to
 * stdout until the server closes.  Sending and receiving overlap, so
 * a server that answers as it reads can not deadlock us, and the whole
 * exchange is bounded by a deadline: a hung server fails the test, it
 * does not hang it.
 *
 *	tcp-exchange PORT [TIMEOUT_MS] < request > reply
 *
 * Exit 0 at EOF from the server, 1 on any error or at the deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fail(const char *what)
{
	fprintf(stderr, "tcp-exchange: %s: %s\n", what, strerror(errno));
	return 1;
}

/* All of stdin, which is small: a test's request. */
static char *
slurp(size_t *len)
{
	size_t cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n;

	*len = 0;
	while (buf != NULL &&
	    (n = read(STDIN_FILENO, buf + *len, cap - *len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		*len += (size_t)n;
		if (*len == cap) {
			if ((p = realloc(buf, cap *= 2)) == NULL)
				free(buf);
			buf = p;
		}
	}
	return buf;
}

static int
write_out(const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct pollfd p;
	char in[16384], *msg;
	size_t len, sent = 0;
	long long deadline;
	long left;
	ssize_t n;
	int fd;

	if (argc < 2 || argc > 3) {
		fputs("usage: tcp-exchange PORT [TIMEOUT_MS]\n", stderr);
		return 2;
	}
	deadline = now_ms() + (argc == 3 ? atol(argv[2]) : 20000);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((msg = slurp(&len)) == NULL)
		return fail("stdin");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		return fail("connect");
	if (len == 0 && shutdown(fd, SHUT_WR) < 0)
		return fail("shutdown");
	p.fd = fd;
	for (;;) {
		if ((left = (long)(deadline - now_ms())) <= 0) {
			fputs("tcp-exchange: timed out\n", stderr);
			return 1;
		}
		p.events = POLLIN | (sent < len ? POLLOUT : 0);
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll");
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, in, sizeof in, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0 && write_out(in, (size_t)n) < 0)
				return fail("stdout");
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail("recv");
		}
		if (sent < len && (p.revents & POLLOUT)) {
			n = send(fd, msg + sent, len - sent,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail("send");
			if (n > 0 && (sent += (size_t)n) == len &&
			    shutdown(fd, SHUT_WR) < 0)
				return fail("shutdown");
		}
	}
	close(fd);
	free(msg);
	return 0;
}
