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
 * A refused connection, or one reset before any reply, is tried again
 * until the deadline (see exchange()).
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

/*
 * One try: 0 done, 1 failed, 2 refused or reset before any reply,
 * worth another try.  Under reuseport the socket a client first meets
 * is closed as the workers bind their own, so one may come in between.
 */
static int
exchange(const struct sockaddr_in *sin, const char *msg, size_t len,
    long long deadline)
{
	struct pollfd p;
	char in[16384];
	size_t sent = 0, got = 0;
	long left;
	ssize_t n;
	int fd, rc = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return fail("socket");
	if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) < 0) {
		rc = errno == ECONNREFUSED ? 2 : fail("connect");
		close(fd);
		return rc;
	}
	if (len == 0 && shutdown(fd, SHUT_WR) < 0)
		goto out;
	p.fd = fd;
	for (;;) {
		if ((left = (long)(deadline - now_ms())) <= 0) {
			fputs("tcp-exchange: timed out\n", stderr);
			goto out;
		}
		p.events = POLLIN | (sent < len ? POLLOUT : 0);
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail("poll");
			goto out;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, in, sizeof in, MSG_DONTWAIT);
			if (n == 0) {
				rc = 0;
				goto out;
			}
			if (n > 0) {
				got += (size_t)n;
				if (write_out(in, (size_t)n) < 0) {
					rc = fail("stdout");
					goto out;
				}
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				rc = got == 0 && errno == ECONNRESET ? 2 :
				    fail("recv");
				goto out;
			}
		}
		if (sent < len && (p.revents & POLLOUT)) {
			n = send(fd, msg + sent, len - sent,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				rc = got == 0 && (errno == ECONNRESET ||
				    errno == EPIPE) ? 2 : fail("send");
				goto out;
			}
			if (n > 0 && (sent += (size_t)n) == len &&
			    shutdown(fd, SHUT_WR) < 0) {
				rc = fail("shutdown");
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	long long deadline;
	size_t len;
	char *msg;
	int rc;

	if (argc < 2 || argc > 3) {
		fputs("usage: tcp-exchange PORT [TIMEOUT_MS]\n", stderr);
		return 2;
	}
	deadline = now_ms() + (argc == 3 ? atol(argv[2]) : 20000);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((msg = slurp(&len)) == NULL)
		return fail("stdin");
	while ((rc = exchange(&sin, msg, len, deadline)) == 2 &&
	    now_ms() < deadline)
		nanosleep(&pause, NULL);
	free(msg);
	if (rc == 2)
		fputs("tcp-exchange: refused until the deadline\n", stderr);
	return rc == 0 ? 0 : 1;
}
