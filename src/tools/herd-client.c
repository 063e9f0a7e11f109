/*
 * herd-client - the lecture's interactive echo/rot13 client, grown up:
 * connects to HOST SERVICE trying every address getaddrinfo gives
 * (IPv6 and IPv4), copies stdin to the server and the server to
 * stdout, and on EOF from stdin half-closes and still prints what the
 * server owes.  A poll loop rather than "write a line, read a line",
 * so it works the same from a pipe and from a terminal and cannot
 * deadlock on a big paste.
 *
 * With --udp each line of stdin (newline included, as TCP would send
 * it) goes out as one datagram and its reply is printed; a reply that
 * does not come within UDP_WAIT_MS is reported and the next line goes
 * on, as a lost datagram is UDP's normal.
 *
 * Exit codes: 0 the server closed after our EOF (with --udp: at least
 * one reply came), 64 bad usage, 69 nothing answered, 74 an I/O error
 * on the connection.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "net.h"

#define BUFSZ	16384
#define UDP_WAIT_MS	2000	/* for each datagram's reply */
#define UDP_MAX		65536	/* a reply bigger than this is cut */

/* Write all of buf; -1 with errno on failure. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copy stdin to sock and sock to stdout until the server closes.
 * Returns 0, or -1 with a reason in err.
 */
static int
relay(int sock, char *err, size_t errlen)
{
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};
	char buf[BUFSZ];
	ssize_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (p[1].revents != 0) {
			n = read(sock, buf, sizeof buf);
			if (n == 0)
				return 0;	/* the server is done */
			if (n < 0 && errno != EINTR) {
				snprintf(err, errlen, "read from server: %s",
				    strerror(errno));
				return -1;
			}
			if (n > 0 && write_all(STDOUT_FILENO, buf,
			    (size_t)n) < 0) {
				snprintf(err, errlen, "stdout: %s",
				    strerror(errno));
				return -1;
			}
		}
		if (p[0].revents != 0) {
			n = read(STDIN_FILENO, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* EOF: no more requests, but replies owed. */
				shutdown(sock, SHUT_WR);
				p[0].fd = -1;
				continue;
			}
			if (write_all(sock, buf, (size_t)n) < 0) {
				snprintf(err, errlen, "write to server: %s",
				    strerror(errno));
				return -1;
			}
		}
	}
}

/*
 * Wait up to UDP_WAIT_MS for the reply to datagram number line; print
 * it.  1 a reply came, 0 none did (said on stderr), -1 an I/O error.
 */
static int
udp_reply(int sock, unsigned long line, char *buf, char *err, size_t errlen)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, UDP_WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		fprintf(stderr, "herd-client: no reply to line %lu within "
		    "%d s; going on\n", line, UDP_WAIT_MS / 1000);
		return 0;
	}
	n = recv(sock, buf, UDP_MAX, MSG_TRUNC);
	if (n < 0 && errno == ECONNREFUSED) {
		fprintf(stderr, "herd-client: line %lu: nothing listens "
		    "there (port unreachable); going on\n", line);
		return 0;
	}
	if (n < 0) {
		snprintf(err, errlen, "recv from server: %s", strerror(errno));
		return -1;
	}
	if (n > UDP_MAX)
		fprintf(stderr, "herd-client: reply to line %lu is %zd bytes; "
		    "printing the first %d\n", line, n, UDP_MAX);
	if (write_all(STDOUT_FILENO, buf, n > UDP_MAX ? UDP_MAX :
	    (size_t)n) < 0) {
		snprintf(err, errlen, "stdout: %s", strerror(errno));
		return -1;
	}
	return 1;
}

/*
 * --udp: each line of stdin as one datagram, each reply printed.
 * Returns 1 when some reply came (or nothing was sent, so nothing was
 * owed), 0 when none did, -1 with a reason in err.
 */
static long
udp_relay(int sock, char *err, size_t errlen)
{
	char *line = NULL, *buf;
	size_t cap = 0;
	ssize_t len;
	unsigned long n = 0;
	long answered = 0;
	int r;

	if ((buf = malloc(UDP_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		n++;
		if (send(sock, line, (size_t)len, 0) < 0) {
			if (errno == ECONNREFUSED || errno == EMSGSIZE) {
				fprintf(stderr, "herd-client: line %lu not "
				    "sent: %s; going on\n", n,
				    strerror(errno));
				continue;
			}
			snprintf(err, errlen, "send to server: %s",
			    strerror(errno));
			answered = -1;
			break;
		}
		if ((r = udp_reply(sock, n, buf, err, errlen)) < 0) {
			answered = -1;
			break;
		}
		answered += r;
	}
	free(line);
	free(buf);
	return answered < 0 ? -1 : answered > 0 || n == 0;
}

int
main(int argc, char **argv)
{
	char err[NET_ERRLEN];
	int sock, udp = 0;
	long replies;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("Usage: herd-client [--udp] HOST SERVICE\n"
		    "Send stdin to an echo or rot13 server, print its "
		    "replies.\nSERVICE is a port number or a name from "
		    "/etc/services.\n\n"
		    "  -u, --udp      send each line as one datagram and print "
		    "its reply;\n"
		    "                 a reply not back within 2 s is reported "
		    "and skipped\n"
		    "  -h, --help     show this help and exit\n"
		    "  -V, --version  show the version and exit\n\n"
		    "Exit: 0 the server closed after our EOF (--udp: some "
		    "reply came),\n64 usage, 69 no answer, 74 an I/O error "
		    "on the connection.\n");
		return EX_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "--version") == 0)) {
		printf("herd-client (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EX_OK;
	}
	if (argc > 1 && (strcmp(argv[1], "-u") == 0 ||
	    strcmp(argv[1], "--udp") == 0)) {
		udp = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "Usage: herd-client [--udp] HOST SERVICE\n");
		return EX_USAGE;
	}
	/* For UDP, connect() only fixes the peer: replies from it alone. */
	if ((sock = net_connect(argv[1], argv[2], udp ? SOCK_DGRAM :
	    SOCK_STREAM, err, sizeof err)) < 0) {
		fprintf(stderr, "herd-client: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if (udp) {
		replies = udp_relay(sock, err, sizeof err);
		close(sock);
		if (replies < 0) {
			fprintf(stderr, "herd-client: %s\n", err);
			return EX_IOERR;
		}
		if (replies == 0) {
			fprintf(stderr, "herd-client: no reply from %s:%s\n",
			    argv[1], argv[2]);
			return EX_UNAVAILABLE;
		}
		return EX_OK;
	}
	if (relay(sock, err, sizeof err) < 0) {
		fprintf(stderr, "herd-client: %s\n", err);
		close(sock);
		return EX_IOERR;
	}
	close(sock);
	return EX_OK;
}
