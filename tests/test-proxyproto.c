/*
 * test-proxyproto.c - herdd behind a load balancer: a listener that
 * expects the PROXY protocol serves the client its header names (in
 * the log and to the handler), hands the bytes after the header to
 * the handler, and closes a connection without a good header, or
 * whose header is late, with a warning and no reply.
 *
 * The listener is marked by its socket's name, "echo,proxy" (systemd's
 * FileDescriptorName=), or for reuseport by --listen PORT=echo,proxy.
 * PROXY_TESTS() stamps the core cases out for every model.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "herd.h"

#define T_IO	5000		/* ms: anything that must happen */

static struct herdd d;

static void
stop_server(void)
{
	herdd_stop(&d, SIGKILL, 5000);
}

static void
start(const char *model, const char *extra)
{
	const char *args[10] = { "--model", model, "-v", "--workers", "2",
	    "--threads", "4" };
	int n = 7;

	if (extra != NULL) {
		args[n++] = "--timeout";
		args[n++] = extra;
	}
	args[n] = NULL;
	herdd_start_model(&d, model, "echo,proxy", args, 10000);
}

static void
expect_log(const char *text)
{
	cr_assert(herdd_log_wait(&d, text, T_IO), "no '%s' in the log:\n%s",
	    text, herdd_log(&d));
}

/* --- headers ------------------------------------------------------- */

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 'Q', 'U', 'I', 'T', 0x0a
};

/* A v2 header with command cmd (0 LOCAL, 1 PROXY) and body. */
static size_t
v2(unsigned char *out, int cmd, unsigned char fam, const void *body,
    size_t len)
{
	memcpy(out, v2_sig, sizeof v2_sig);
	out[12] = (unsigned char)(0x20 | cmd);
	out[13] = fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	if (len > 0)
		memcpy(out + 16, body, len);
	return 16 + len;
}

/* 203.0.113.9:4242 -> 198.51.100.7:443, then an AUTHORITY TLV. */
static const unsigned char v2_tcp4[] = {
	203, 0, 113, 9, 198, 51, 100, 7, 0x10, 0x92, 0x01, 0xbb,
	0x02, 0x00, 0x04, 'h', 'e', 'r', 'd',
};

/* --- one client each ------------------------------------------------- */

/* Send all of msg in one write, or in pieces of chunk bytes. */
static void
send_msg(int fd, const void *msg, size_t len, size_t chunk)
{
	const unsigned char *p = msg;
	int on = 1;
	size_t i, n;

	if (chunk == 0) {
		cr_assert_eq(send(fd, msg, len, MSG_NOSIGNAL), (ssize_t)len);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		cr_assert_eq(send(fd, p + i, n, MSG_NOSIGNAL), (ssize_t)n);
		/* A header cut short is waited for, never refused. */
		cr_assert_not(readable_within(fd, 2),
		    "herdd answered or closed after %zu header bytes", i + n);
	}
}

/* header then payload, then the echo to EOF: the payload exactly. */
static void
echo_behind(const void *hdr, size_t hlen, size_t chunk, const char *payload)
{
	char got[256];
	size_t plen = strlen(payload);
	ssize_t n;
	int fd = client_connect(d.port[0]);

	send_msg(fd, hdr, hlen, chunk);
	n = client_exchange(fd, payload, plen, got, sizeof got, T_IO);
	cr_assert_eq(n, (ssize_t)plen, "got %zd of %zu bytes back", n, plen);
	cr_assert(memcmp(got, payload, plen) == 0, "the echo is the payload "
	    "alone, without the header");
	close(fd);
}

/* The local port of fd: herdd names the peer by it. */
static int
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	cr_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	return ntohs(sin.sin_port);
}

/* herdd closes fd without a byte of reply (EOF or a reset). */
static void
expect_closed(int fd)
{
	char c;
	ssize_t n;

	cr_assert(readable_within(fd, T_IO), "herdd did not close");
	n = recv(fd, &c, 1, 0);
	cr_assert(n == 0 || (n < 0 && errno == ECONNRESET),
	    "closed without a reply (recv: %zd, %s)", n, strerror(errno));
}

/* msg instead of a header: closed, with a warning naming us and why. */
static void
refused(const void *msg, size_t len, const char *why)
{
	char want[128];
	int fd = client_connect(d.port[0]);

	snprintf(want, sizeof want, "from 127.0.0.1:%d: not a PROXY protocol "
	    "header, closing: %s", local_port(fd), why);
	send_msg(fd, msg, len, 0);
	expect_closed(fd);
	close(fd);
	expect_log(want);
}

/* --- the cases ------------------------------------------------------- */

static void
check_v1(void)
{
	static const char tcp4[] =
	    "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
	static const char tcp6[] =
	    "PROXY TCP6 2001:db8::1 2001:db8::2 12345 7007\r\n";
	static const char unknown[] = "PROXY UNKNOWN\r\n";

	echo_behind(tcp4, sizeof tcp4 - 1, 0, "hello from v4\n");
	expect_log("PROXY v1: the client is 192.0.2.1:56324");
	expect_log("connected to 192.0.2.1 (192.0.2.1)");
	expect_log("from 192.0.2.1 closed: received 14 bytes, sent 14");
	echo_behind(tcp6, sizeof tcp6 - 1, 0, "hello from v6\n");
	expect_log("PROXY v1: the client is [2001:db8::1]:12345");
	expect_log("connected to 2001:db8::1 (2001:db8::1)");
	echo_behind(unknown, sizeof unknown - 1, 0, "who am I\n");
	expect_log("PROXY v1 with no address, the peer stays");
}

static void
check_v2(void)
{
	unsigned char hdr[64];
	size_t n;

	n = v2(hdr, 1, 0x11, v2_tcp4, sizeof v2_tcp4);
	echo_behind(hdr, n, 0, "v2 in one write");
	expect_log("PROXY v2: the client is 203.0.113.9:4242");
	expect_log("connected to 203.0.113.9 (203.0.113.9)");
	/* HAProxy's health check: a LOCAL header, the peer stays ours. */
	n = v2(hdr, 0, 0x00, NULL, 0);
	echo_behind(hdr, n, 0, "herd-check\n");
	expect_log("PROXY v2 LOCAL, the peer stays");
	expect_log("connected to 127.0.0.1 (127.0.0.1)");
}

static void
check_split(void)
{
	static const char tcp4[] =
	    "PROXY TCP4 192.0.2.77 198.51.100.7 1024 443\r\n";
	unsigned char hdr[64];
	size_t n;

	n = v2(hdr, 1, 0x11, v2_tcp4, sizeof v2_tcp4);
	hdr[16 + 3] = 8;	/* 203.0.113.8: another client */
	echo_behind(hdr, n, 1, "after a v2 header byte by byte");
	expect_log("PROXY v2: the client is 203.0.113.8:4242");
	echo_behind(tcp4, sizeof tcp4 - 1, 7, "after a v1 line in pieces");
	expect_log("PROXY v1: the client is 192.0.2.77:1024");
}

static void
check_good(const char *model)
{
	start(model, NULL);
	check_v1();
	check_v2();
	check_split();
}

static void
check_refused(const char *model)
{
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	unsigned char bad[64];
	char line[200];

	start(model, NULL);
	refused(http, sizeof http - 1, "no PROXY header");
	memset(line, 'x', sizeof line);
	memcpy(line, "PROXY TCP4 ", 11);
	refused(line, sizeof line, "v1 line has no CRLF in its first 107");
	v2(bad, 1, 0x11, v2_tcp4, sizeof v2_tcp4);
	bad[12] = 0x31;		/* version 3 */
	refused(bad, 16, "v2 header has version 3");
	/* After all that, a good client is still served. */
	v2(bad, 1, 0x11, v2_tcp4, sizeof v2_tcp4);
	echo_behind(bad, 16 + sizeof v2_tcp4, 0, "still here\n");
	cr_assert_eq(strstr(herdd_log(&d), "connected to 127.0.0.1"), NULL,
	    "a refused connection never reached the handler:\n%s",
	    herdd_log(&d));
}

/* --timeout 1: the header deadline is 1 s instead of 5. */
static void
check_timeout(const char *model)
{
	char want[128];
	long long t0;
	int fd;

	start(model, "1");
	fd = client_connect(d.port[0]);
	snprintf(want, sizeof want, "from 127.0.0.1:%d: no whole PROXY "
	    "protocol header within 1 s (6 bytes came), closing",
	    local_port(fd));
	send_msg(fd, "PROXY ", 6, 0);
	t0 = now_ms();
	expect_closed(fd);
	cr_assert_geq(now_ms() - t0, 500, "closed after the deadline only");
	close(fd);
	expect_log(want);
}

#define PROXY_TESTS(m)							\
TestSuite(m, .fini = stop_server, .timeout = 30);			\
Test(m, the_client_the_header_names_is_served) { check_good(#m); }	\
Test(m, no_or_bad_header_closes_with_a_warning) { check_refused(#m); }

PROXY_TESTS(iterative)
PROXY_TESTS(fork)
PROXY_TESTS(prefork)
PROXY_TESTS(passfd)
PROXY_TESTS(reuseport)
PROXY_TESTS(thread)
PROXY_TESTS(prethread)
PROXY_TESTS(pool)
PROXY_TESTS(hybrid)
PROXY_TESTS(event)

/* The deadline: once where a thread blocks, once in the event loop. */
Test(prefork, late_header_is_closed_at_the_deadline)
{
	check_timeout("prefork");
}
Test(thread, late_header_is_closed_at_the_deadline)
{
	check_timeout("thread");
}
Test(event, late_header_is_closed_at_the_deadline)
{
	check_timeout("event");
}

/* --- the handler's view, through libherd ------------------------------ */

/* Writes the peer it was given, then echoes. */
static int
whoami_open(void *st, const struct herd_peer *peer, struct herd_buf *out)
{
	char line[128];
	int n;

	(void)st;
	n = snprintf(line, sizeof line, "%s %s\n", peer->host, peer->serv);
	return herd_buf_append(out, line, (size_t)n) < 0 ? HERD_ERROR :
	    HERD_CONTINUE;
}

static int
whoami_data(void *st, const void *in, size_t len, struct herd_buf *out)
{
	(void)st;
	return herd_buf_append(out, in, len) < 0 ? HERD_ERROR : HERD_CONTINUE;
}

static const struct herd_handler whoami = {
	.name = "whoami",
	.summary = "the peer, then an echo",
	.on_open = whoami_open,
	.on_data = whoami_data,
};

/*
 * A libherd server with --proxy-protocol (set after the listener, as a
 * program may) in a child that dies with us; its port comes back
 * through a pipe.
 */
static pid_t
whoami_start(const char *model, int *port)
{
	struct herd_server *srv;
	int pfd[2], p;
	pid_t parent = getpid(), pid;

	cr_assert(pipe(pfd) == 0);
	cr_assert((pid = fork()) >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != parent)
			_exit(126);
		herd_log_init("whoami", -1);
		if (herd_handler_register(&whoami) < 0 ||
		    (srv = herd_server_new()) == NULL ||
		    (p = herd_server_listen(srv, "127.0.0.1:0",
		    "whoami")) < 0 ||
		    herd_server_set_model(srv, model) < 0 ||
		    herd_server_set_workers(srv, 1) < 0 ||
		    herd_server_set_option(srv, "proxy-protocol", NULL) < 0)
			_exit(70);
		if (write(pfd[1], &p, sizeof p) != sizeof p)
			_exit(71);
		_exit(herd_server_run(srv) == 0 ? 0 : 70);
	}
	close(pfd[1]);
	cr_assert(readable_within(pfd[0], T_IO), "the server started");
	cr_assert_eq(read(pfd[0], port, sizeof *port), (ssize_t)sizeof *port,
	    "the server started");
	close(pfd[0]);
	return pid;
}

static void
check_handler_peer(const char *model)
{
	static const char msg[] =
	    "PROXY TCP6 2001:db8::5 2001:db8::2 40000 7007\r\nabc";
	static const char want[] = "2001:db8::5 40000\nabc";
	char got[128];
	ssize_t n;
	int port, fd, status;
	pid_t pid = whoami_start(model, &port);

	fd = client_connect(port);
	n = client_exchange(fd, msg, sizeof msg - 1, got, sizeof got, T_IO);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_eq(n, (ssize_t)sizeof want - 1, "reply of %zd bytes", n);
	cr_assert(memcmp(got, want, sizeof want - 1) == 0,
	    "on_open saw the client the header names: '%.*s'", (int)n, got);
}

TestSuite(handler, .timeout = 30);
Test(handler, sees_the_client_under_a_blocking_model)
{
	check_handler_peer("thread");
}
Test(handler, sees_the_client_under_event)
{
	check_handler_peer("event");
}
