/*
 * herd-client - the lecture's interactive echo/rot13 client, grown up:
 * connects to HOST SERVICE trying every address getaddrinfo gives
 * (IPv6 and IPv4), copies stdin to the server and the server to
 * stdout, and on EOF from stdin half-closes and still prints what the
 * server owes.  A poll loop rather than "write a line, read a line",
 * so it works the same from a pipe and from a terminal and cannot
 * deadlock on a big paste.
 *
 * Exit codes: 0 the server closed after our EOF, 64 bad usage, 69
 * nothing answered, 74 an I/O error on the connection.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "net.h"

#define BUFSZ	16384

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

int
main(int argc, char **argv)
{
	char err[NET_ERRLEN];
	int sock;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("Usage: herd-client HOST SERVICE\n"
		    "Send stdin to an echo or rot13 server, print its "
		    "replies.\nSERVICE is a port number or a name from "
		    "/etc/services.\n\n"
		    "  -h, --help     show this help and exit\n"
		    "  -V, --version  show the version and exit\n\n"
		    "Exit: 0 the server closed after our EOF, 64 usage, "
		    "69 no answer,\n74 an I/O error on the connection.\n");
		return EX_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "--version") == 0)) {
		printf("herd-client (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EX_OK;
	}
	if (argc != 3) {
		fprintf(stderr, "Usage: herd-client HOST SERVICE\n");
		return EX_USAGE;
	}
	if ((sock = net_connect(argv[1], argv[2], SOCK_STREAM, err,
	    sizeof err)) < 0) {
		fprintf(stderr, "herd-client: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if (relay(sock, err, sizeof err) < 0) {
		fprintf(stderr, "herd-client: %s\n", err);
		close(sock);
		return EX_IOERR;
	}
	close(sock);
	return EX_OK;
}
