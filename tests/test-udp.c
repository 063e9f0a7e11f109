/*
 * test-udp.c - datagram services end to end: byte-exact replies from
 * every model, many senders at once, the socket shared by the workers,
 * oversize datagrams reported, socket activation of a datagram socket,
 * and herd-client/herd-load --udp that neither hang nor miscount when
 * datagrams go missing.
 *
 * The test binds the UDP sockets and hands them over (LISTEN_FDS), so
 * datagrams sent before herdd runs wait in the socket: no start-up
 * race to poll for.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define T_IO	5000		/* ms for one reply on a busy box */
#define T_RUN	10000		/* ms a tool run may take */
#define BIG	65000		/* a datagram near UDP's limit */

static struct herdd d;
static int socks[HARNESS_MAXSOCK] = { -1, -1, -1, -1 };

static void
teardown(void)
{
	int i;

	herdd_stop(&d, SIGKILL, 5000);
	for (i = 0; i < HARNESS_MAXSOCK; i++)
		if (socks[i] >= 0)
			close(socks[i]);
}

TestSuite(udp, .fini = teardown, .timeout = 60);

/* herdd on n UDP sockets the test bound, one per name in fdnames. */
static void
start_udp(const char *fdnames, int n, const char *const *args)
{
	int i, port[HARNESS_MAXSOCK];

	for (i = 0; i < n; i++)
		socks[i] = udp_loopback(&port[i]);
	herdd_start_fds(&d, socks, fdnames, args);
	d.nports = n;
	for (i = 0; i < n; i++)
		d.port[i] = port[i];
}

/* A UDP socket connected to 127.0.0.1:port. */
static int
udp_client(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	return fd;
}

/* Send one datagram, wait for one reply: its length (cut at cap), -1. */
static ssize_t
ask(int fd, const void *msg, size_t len, void *reply, size_t cap)
{
	cr_assert_eq(send(fd, msg, len, 0), (ssize_t)len, "send: %s",
	    strerror(errno));
	if (!readable_within(fd, T_IO))
		return -1;
	return recv(fd, reply, cap, 0);
}

/* What okay owes: "OK..." before each line's first byte. */
static size_t
okay_expect(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t i, n = 0;
	int mid = 0;

	for (i = 0; i < len; i++) {
		if (!mid) {
			memcpy(out + n, "OK...", 5);
			n += 5;
		}
		out[n++] = in[i];
		mid = in[i] != '\n';
	}
	return n;
}

/* handler's reply to len pattern bytes on port is byte-exact. */
static void
check_reply(int port, const char *handler, size_t len)
{
	unsigned char *msg = malloc(len), *want = malloc(2 * len + 5);
	unsigned char *got = malloc(2 * len + 5);
	size_t wlen = len;
	ssize_t n;
	int fd = udp_client(port);

	cr_assert(msg && want && got);
	fill_pattern(msg, len, (unsigned)len);
	/* okay's prefix per line must not push BIG past UDP's limit. */
	for (n = 0; strcmp(handler, "okay") == 0 && len == BIG &&
	    n < (ssize_t)len; n++)
		if (msg[n] == '\n')
			msg[n] = ' ';
	memcpy(want, msg, len);
	if (strcmp(handler, "rot13") == 0)
		rot13_buf(want, len);
	else if (strcmp(handler, "okay") == 0)
		wlen = okay_expect(msg, len, want);
	n = ask(fd, msg, len, got, 2 * len + 5);
	cr_assert_eq(n, (ssize_t)wlen, "%s: %zu bytes gave %zd back, not %zu\n"
	    "%s", handler, len, n, wlen, herdd_log(&d));
	cr_assert_arr_eq(got, want, wlen, "%s: %zu bytes differ", handler,
	    len);
	close(fd);
	free(msg);
	free(want);
	free(got);
}

Test(udp, replies_are_byte_exact_for_1B_1KiB_and_65000B)
{
	static const char *const handlers[] = { "echo", "rot13", "okay" };
	static const size_t sizes[] = { 1, 1024, BIG };
	size_t h, s;

	start_udp("echo:rot13:okay", 3, (const char *const[]){ "-v", NULL });
	for (h = 0; h < 3; h++)
		for (s = 0; s < 3; s++)
			check_reply(d.port[h], handlers[h], sizes[s]);
}

Test(udp, reply_over_the_udp_limit_is_logged_not_cut)
{
	unsigned char *msg = malloc(BIG);
	char got[16];
	int fd;

	cr_assert_not_null(msg);
	memset(msg, '\n', BIG);	/* okay makes it six times as long */
	start_udp("okay", 1, NULL);
	fd = udp_client(d.port[0]);
	cr_assert(send(fd, msg, BIG, 0) == BIG);
	cr_assert(herdd_log_wait(&d, "reply of 390000 bytes", T_IO), "%s",
	    herdd_log(&d));
	cr_assert_eq(ask(fd, "hi", 2, got, sizeof got), 7, "%s",
	    herdd_log(&d));
	cr_assert_arr_eq(got, "OK...hi", 7);
	close(fd);
	free(msg);
}

Test(udp, okay_answers_as_the_lecture_server)
{
	char got[64];
	ssize_t n;
	int fd;

	start_udp("okay", 1, NULL);
	fd = udp_client(d.port[0]);
	n = ask(fd, "1st udp client", 14, got, sizeof got);
	cr_assert_eq(n, 19, "%s", herdd_log(&d));
	cr_assert_arr_eq(got, "OK...1st udp client", 19);
	close(fd);
}

/* A UDP socket connected to host:port (IPv4 or IPv6 text). */
static int
udp_client_to(const char *host, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof *sin;
	} else {
		cr_assert(inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof *sin6;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_assert(connect(fd, (struct sockaddr *)&ss, len) == 0, "%s: %s",
	    host, strerror(errno));
	return fd;
}

static int	free_udp_port(void);

/*
 * The wildcard [::] takes IPv4 too, and each reply leaves from the
 * address it was sent to: a client connected to 127.0.0.2 drops
 * anything from 127.0.0.1.
 */
Test(udp, wildcard_answers_from_the_address_each_client_asked)
{
	static const char *const hosts[] = { "127.0.0.1", "127.0.0.2", "::1" };
	char spec[32], ready[48], got[16];
	int port = free_udp_port(), fd;
	size_t i;

	snprintf(spec, sizeof spec, "udp:%d=rot13", port);
	herdd_start(&d, NULL, (const char *const[]){ "-v", "--listen", spec,
	    NULL });
	snprintf(ready, sizeof ready, "on udp:[::]:%d", port);
	cr_assert(herdd_log_wait(&d, ready, T_IO), "%s", herdd_log(&d));
	for (i = 0; i < 3; i++) {
		fd = udp_client_to(hosts[i], port);
		cr_assert_eq(ask(fd, "Hello", 5, got, sizeof got), 5,
		    "no reply to %s\n%s", hosts[i], herdd_log(&d));
		cr_assert_arr_eq(got, "Uryyb", 5);
		close(fd);
	}
}

/* The names herdd --list-models prints, one per line's first word. */
static int
list_models(char names[][32], int max)
{
	static char out[4096];
	char *line, *save;
	int n = 0;

	cr_assert_eq(herdd_run(NULL, (const char *const[]){ "--list-models",
	    NULL }, out, sizeof out), 0, "%s", out);
	for (line = strtok_r(out, "\n", &save); line != NULL && n < max;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%31s", names[n]) == 1)
			n++;
	return n;
}

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static int
free_udp_port(void)
{
	int port, fd = udp_loopback(&port);

	close(fd);
	return port;
}

static void
expect_clean_stop(const char *model)
{
	int status = herdd_stop(&d, SIGTERM, 15000);

	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "%s: stop status 0x%x\n%s", model,
	    status, herdd_log(&d));
}

/*
 * reuseport cannot split a socket it inherited: it refuses those with
 * exit 64, and serves UDP on sockets of its own (--listen udp:...).
 */
static void
check_reuseport(void)
{
	char spec[64], ready[64];
	int port = free_udp_port(), status;

	start_udp("echo", 1, (const char *const[]){ "--model", "reuseport",
	    "-w", "2", NULL });
	status = herdd_wait(&d, 10000);
	cr_assert(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 64, "reuseport on an inherited UDP "
	    "socket: status 0x%x\n%s", status, herdd_log(&d));
	cr_assert(strstr(herdd_log(&d), "systemd") != NULL, "%s",
	    herdd_log(&d));
	close(socks[0]);
	socks[0] = -1;
	snprintf(spec, sizeof spec, "udp:127.0.0.1:%d=rot13", port);
	herdd_start(&d, NULL, (const char *const[]){ "--model", "reuseport",
	    "-w", "2", "--listen", spec, NULL });
	snprintf(ready, sizeof ready, "listener on 127.0.0.1:%d", port);
	cr_assert(herdd_log_wait(&d, ready, 10000), "%s", herdd_log(&d));
	check_reply(port, "rot13", 1024);
	expect_clean_stop("reuseport");
}

Test(udp, every_model_serves_datagrams)
{
	char names[32][32];
	int i, n = list_models(names, 32);

	cr_assert_geq(n, 10, "models listed: %d", n);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], "reuseport") == 0) {
			check_reuseport();
			continue;
		}
		start_udp("echo:rot13", 2, (const char *const[]){ "--model",
		    names[i], "-w", "2", "-t", "2", NULL });
		check_reply(d.port[0], "echo", 1024);
		check_reply(d.port[1], "rot13", 1024);
		expect_clean_stop(names[i]);
		close(socks[0]);
		close(socks[1]);
		socks[0] = socks[1] = -1;
	}
}

#define SENDERS	50
#define ROUNDS	20

Test(udp, many_senders_all_get_their_own_replies)
{
	int fd[SENDERS], i, r, left;
	char msg[SENDERS][64], got[128];
	int answered[SENDERS];
	struct pollfd p[SENDERS];
	long long end;
	ssize_t n;

	start_udp("rot13", 1, (const char *const[]){ "--model", "event",
	    "-w", "2", NULL });
	for (i = 0; i < SENDERS; i++)
		fd[i] = udp_client(d.port[0]);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < SENDERS; i++) {
			snprintf(msg[i], sizeof msg[i], "sender %02d round "
			    "%02d says Hello\n", i, r);
			cr_assert(send(fd[i], msg[i], strlen(msg[i]), 0) > 0);
			rot13_buf((unsigned char *)msg[i], strlen(msg[i]));
			answered[i] = 0;
		}
		end = now_ms() + T_IO;
		for (left = SENDERS; left > 0 && now_ms() < end;) {
			for (i = 0; i < SENDERS; i++)
				p[i] = (struct pollfd){ answered[i] ? -1 :
				    fd[i], POLLIN, 0 };
			if (poll(p, SENDERS, 100) <= 0)
				continue;
			for (i = 0; i < SENDERS; i++) {
				if (!(p[i].revents & POLLIN))
					continue;
				n = recv(fd[i], got, sizeof got, 0);
				cr_assert_eq(n, (ssize_t)strlen(msg[i]));
				cr_assert_arr_eq(got, msg[i], (size_t)n);
				answered[i] = 1;
				left--;
			}
		}
		cr_assert_eq(left, 0, "round %d: %d senders unanswered\n%s",
		    r, left, herdd_log(&d));
	}
	for (i = 0; i < SENDERS; i++)
		close(fd[i]);
}

/* Whether pid holds the socket whose inode is ino. */
static int
holds_socket(pid_t pid, ino_t ino)
{
	char path[320], link[64], want[64];
	struct dirent *e;
	DIR *dir;
	ssize_t n;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)ino);
	if ((dir = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(dir)) != NULL) {
		snprintf(path, sizeof path, "/proc/%ld/fd/%s", (long)pid,
		    e->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(dir);
	return found;
}

static void
check_shared(const char *model)
{
	struct stat st;
	pid_t kids[8];
	long long end = now_ms() + T_IO;
	int n = 0, i, holders = 0;

	start_udp("echo", 1, (const char *const[]){ "--model", model, "-w",
	    "2", "-t", "2", NULL });
	cr_assert(fstat(socks[0], &st) == 0);
	while (now_ms() < end) {
		n = proc_children(d.pid, kids, 8);
		for (i = holders = 0; i < n; i++)
			holders += holds_socket(kids[i], st.st_ino);
		if (holders >= 2)
			break;
		poll(NULL, 0, 20);
	}
	cr_assert_geq(holders, 2, "%s: %d of %d workers hold the UDP socket"
	    "\n%s", model, holders, n, herdd_log(&d));
	check_reply(d.port[0], "echo", 100);
	herdd_stop(&d, SIGKILL, 5000);
	close(socks[0]);
	socks[0] = -1;
}

Test(udp, process_workers_share_the_one_socket)
{
	check_shared("prefork");
	check_shared("event");
	check_shared("hybrid");
}

/*
 * --max-conns counts connections: with its one token held by a TCP
 * client, datagrams on the same server are still answered.
 */
static void
check_udp_at_cap(const char *model)
{
	/* Two workers: a prefork one serving the TCP client is busy. */
	const char *args[] = { "--model", model, "-w", "2", "--max-conns",
	    "1", NULL };
	int port[2], tcp, u, i;
	char got[8];

	socks[0] = listen_loopback(&port[0]);
	socks[1] = udp_loopback(&port[1]);
	herdd_start_fds(&d, socks, "echo:echo", args);
	tcp = client_connect(port[0]);
	cr_assert_eq(client_roundtrip(tcp, "t", 1, got, sizeof got, T_IO), 1);
	u = udp_client(port[1]);
	cr_assert_eq(ask(u, "u", 1, got, sizeof got), 1, "%s: no datagram "
	    "answered at --max-conns\n%s", model, herdd_log(&d));
	close(u);
	close(tcp);
	herdd_stop(&d, SIGKILL, 5000);
	for (i = 0; i < 2; i++) {
		close(socks[i]);
		socks[i] = -1;
	}
}

Test(udp, datagrams_are_answered_while_connections_are_at_the_cap)
{
	check_udp_at_cap("event");
	check_udp_at_cap("prefork");
	check_udp_at_cap("thread");
	check_udp_at_cap("pool");
}

Test(udp, oversize_datagram_is_reported_not_answered)
{
	static unsigned char big[100000];
	char got[16];
	int sv[2];

	/* An AF_UNIX datagram may exceed UDP's 64 KiB: ListenDatagram=/path. */
	cr_assert(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	socks[0] = sv[0];
	socks[1] = sv[1];
	herdd_start_fds(&d, socks, "echo", NULL);
	cr_assert_eq(send(sv[1], big, sizeof big, 0), (ssize_t)sizeof big,
	    "send: %s", strerror(errno));
	cr_assert_eq(send(sv[1], "ping", 4, 0), 4);
	/* Served in order: the small one's reply comes, and only it. */
	cr_assert(readable_within(sv[1], T_IO), "%s", herdd_log(&d));
	cr_assert_eq(recv(sv[1], got, sizeof got, 0), 4, "%s", herdd_log(&d));
	cr_assert_arr_eq(got, "ping", 4);
	cr_assert(herdd_log_wait(&d, "100000 bytes", T_IO), "%s",
	    herdd_log(&d));
	cr_assert(strstr(herdd_log(&d), "no reply") != NULL, "%s",
	    herdd_log(&d));
	cr_assert_eq(recv(sv[1], got, sizeof got, MSG_DONTWAIT), -1);
}

Test(udp, socket_activation_serves_a_datagram_socket)
{
	char listen[32], got[16];
	const char *cmd[] = { "systemd-socket-activate", "--datagram", "-l",
	    listen, "--fdname=rot13", NULL, "-v", NULL };
	char herdd[512];
	const char *env = getenv("HERDD");
	int attempt, port = 0, fd;

	snprintf(herdd, sizeof herdd, "%s", env != NULL ? env : "../src/herdd");
	cmd[5] = herdd;
	for (attempt = 0; attempt < 5; attempt++) {
		port = free_udp_port();
		snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
		herdd_start_cmd(&d, cmd);
		if (herdd_log_wait(&d, " as 3.", 5000))
			break;
		herdd_stop(&d, SIGKILL, 5000);	/* the port was taken */
	}
	cr_assert_lt(attempt, 5, "%s", herdd_log(&d));
	fd = udp_client(port);
	cr_assert_eq(ask(fd, "Hello\n", 6, got, sizeof got), 6, "%s",
	    herdd_log(&d));
	cr_assert_arr_eq(got, "Uryyb\n", 6);
	close(fd);
	cr_assert(strstr(herdd_log(&d), "from systemd") != NULL, "%s",
	    herdd_log(&d));
}

/* --- the tools ------------------------------------------------------ */

/* A tool's exit code; its stdout and stderr in out. */
static int
run_tool(const char *const *argv, const char *input, char *out, size_t cap)
{
	return tool_run(argv, input, out, cap, 1, T_RUN);
}

/*
 * A test-side UDP server in a thread: answers every other datagram
 * (mode 0) or each with its bytes twice (mode 1), until told to stop.
 */
struct peer {
	int		fd, port, mode;
	atomic_int	stop;
	pthread_t	tid;
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	struct sockaddr_storage from;
	socklen_t len;
	unsigned char buf[4096];
	unsigned long k = 0;
	ssize_t n;

	while (!atomic_load(&p->stop)) {
		if (!readable_within(p->fd, 50))
			continue;
		len = sizeof from;
		n = recvfrom(p->fd, buf, sizeof buf / 2, 0,
		    (struct sockaddr *)&from, &len);
		if (n <= 0)
			continue;
		if (p->mode == 1) {
			memcpy(buf + n, buf, (size_t)n);
			n *= 2;
		} else if (k++ % 2 == 1)
			continue;	/* this one is "lost" */
		sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
	return NULL;
}

static void
peer_start(struct peer *p, int mode)
{
	p->fd = udp_loopback(&p->port);
	p->mode = mode;
	atomic_store(&p->stop, 0);
	cr_assert(pthread_create(&p->tid, NULL, peer_main, p) == 0);
}

static void
peer_stop(struct peer *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->tid, NULL);
	close(p->fd);
}

Test(udp, herd_load_counts_lost_datagrams_and_goes_on)
{
	static char out[4096];
	struct peer p;
	char port[16];
	long long t0;
	int rc;

	peer_start(&p, 0);
	snprintf(port, sizeof port, "%d", p.port);
	t0 = now_ms();
	rc = run_tool((const char *const[]){ "herd-load", "--udp", "-c", "5",
	    "-n", "50", "--timeout", "0.2", "--json", "-q", "127.0.0.1", port,
	    NULL }, NULL, out, sizeof out);
	peer_stop(&p);
	cr_assert_eq(rc, 0, "exit %d after %lld ms: %s", rc, now_ms() - t0,
	    out);
	cr_assert(strstr(out, "\"transport\":\"udp\"") != NULL, "%s", out);
	cr_assert_geq(json_num(out, "lost"), 1, "%s", out);
	cr_assert_geq(json_num(out, "requests"), 1, "%s", out);
	cr_assert_eq(json_num(out, "requests") + json_num(out, "lost"), 50,
	    "%s", out);
	cr_assert_eq(json_num(out, "mismatches"), 0, "%s", out);
}

Test(udp, herd_load_reports_replies_longer_than_expected)
{
	static char out[4096];
	struct peer p;
	char port[16];
	int rc;

	peer_start(&p, 1);
	snprintf(port, sizeof port, "%d", p.port);
	rc = run_tool((const char *const[]){ "herd-load", "--udp", "-s",
	    "100", "-n", "10", "--json", "-q", "127.0.0.1", port, NULL },
	    NULL, out, sizeof out);
	peer_stop(&p);
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert_eq(json_num(out, "truncated"), 10, "%s", out);
	cr_assert(strstr(out, "longer than") != NULL, "%s", out);
}

Test(udp, herd_load_verifies_replies_from_herdd)
{
	static char out[4096];
	char port[16];
	int rc;

	start_udp("rot13", 1, (const char *const[]){ "--model", "prefork",
	    "-w", "2", NULL });
	snprintf(port, sizeof port, "%d", d.port[0]);
	rc = run_tool((const char *const[]){ "herd-load", "--udp", "-c", "4",
	    "-s", "1000", "-n", "400", "-e", "rot13", "--json", "-q",
	    "127.0.0.1", port, NULL }, NULL, out, sizeof out);
	cr_assert_eq(rc, 0, "exit %d: %s\n%s", rc, out, herdd_log(&d));
	cr_assert_eq(json_num(out, "mismatches"), 0, "%s", out);
	cr_assert_eq(json_num(out, "truncated"), 0, "%s", out);
	cr_assert_eq(json_num(out, "requests") + json_num(out, "lost"), 400,
	    "%s", out);
}

Test(udp, herd_client_sends_each_line_as_a_datagram)
{
	static char out[4096];
	char port[16];
	int rc;

	start_udp("okay", 1, NULL);
	snprintf(port, sizeof port, "%d", d.port[0]);
	rc = run_tool((const char *const[]){ "herd-client", "--udp",
	    "127.0.0.1", port, NULL }, "1st udp client\nhello\n", out,
	    sizeof out);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, out);
	cr_assert_str_eq(out, "OK...1st udp client\nOK...hello\n");
}

Test(udp, herd_client_says_when_nothing_answers)
{
	static char out[4096];
	char port[16];
	int rc;

	snprintf(port, sizeof port, "%d", free_udp_port());
	rc = run_tool((const char *const[]){ "herd-client", "--udp",
	    "127.0.0.1", port, NULL }, "anyone?\n", out, sizeof out);
	cr_assert_eq(rc, 69, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "no reply") != NULL, "%s", out);
}

Test(udp, herd_client_goes_on_after_a_lost_reply)
{
	static char out[4096];
	struct peer p;
	char port[16];
	int rc;

	peer_start(&p, 0);
	snprintf(port, sizeof port, "%d", p.port);
	rc = run_tool((const char *const[]){ "herd-client", "--udp",
	    "127.0.0.1", port, NULL }, "one\ntwo\nthree\n", out, sizeof out);
	peer_stop(&p);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "no reply to line 2 within 2 s") != NULL, "%s",
	    out);
	cr_assert(strstr(out, "one\n") != NULL && strstr(out, "three\n") !=
	    NULL, "%s", out);
}
