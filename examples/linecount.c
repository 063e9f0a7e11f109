/*
 * linecount.c - a herd service that keeps count: it greets the client
 * by address, numbers every line it sends back, and when the client
 * half-closes, says how many lines and bytes the connection carried.
 *
 *	$ printf 'one\ntwo\n' | nc -N 127.0.0.1 7101
 *	hello ::ffff:127.0.0.1
 *	1: one
 *	2: two
 *	2 lines, 8 bytes
 *
 * The counts live in the per-connection state, so two clients never
 * see each other's numbers, under any model: a process per connection,
 * a thread per connection or one event loop for thousands.  Nothing is
 * buffered: the number goes out when a line starts, the rest of the
 * line as it comes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd.h>

struct count_state {
	unsigned long	lines;
	unsigned long	bytes;
	int		mid_line;	/* a line has started, no newline yet */
};

static int
count_open(void *arg, const struct herd_peer *peer, struct herd_buf *out)
{
	char hello[1100];
	int n;

	(void)arg;
	n = snprintf(hello, sizeof hello, "hello %s\n", peer->host);
	return herd_buf_append(out, hello, (size_t)n) < 0 ? HERD_ERROR :
	    HERD_CONTINUE;
}

/* The client is done sending: finish its last line, give the totals. */
static int
count_end(struct count_state *st, struct herd_buf *out)
{
	char sum[64];
	int n;

	if (st->mid_line) {
		st->lines++;
		if (herd_buf_append(out, "\n", 1) < 0)
			return HERD_ERROR;
	}
	n = snprintf(sum, sizeof sum, "%lu line%s, %lu byte%s\n", st->lines,
	    st->lines == 1 ? "" : "s", st->bytes, st->bytes == 1 ? "" : "s");
	return herd_buf_append(out, sum, (size_t)n) < 0 ? HERD_ERROR :
	    HERD_CLOSE;
}

static int
count_data(void *arg, const void *in, size_t len, struct herd_buf *out)
{
	struct count_state *st = arg;
	const char *p = in, *nl;
	char num[32];
	size_t chunk;
	int n;

	if (len == 0)
		return count_end(st, out);
	st->bytes += len;
	while (len > 0) {
		if (!st->mid_line) {
			n = snprintf(num, sizeof num, "%lu: ", st->lines + 1);
			if (herd_buf_append(out, num, (size_t)n) < 0)
				return HERD_ERROR;
			st->mid_line = 1;
		}
		nl = memchr(p, '\n', len);
		chunk = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (herd_buf_append(out, p, chunk) < 0)
			return HERD_ERROR;
		if (nl != NULL) {
			st->lines++;
			st->mid_line = 0;
		}
		p += chunk;
		len -= chunk;
	}
	return HERD_CONTINUE;
}

static const struct herd_handler count_handler = {
	.name = "linecount",
	.summary = "greet, number the lines, count them at the end",
	.state_size = sizeof(struct count_state),
	.on_open = count_open,
	.on_data = count_data,
};

static void
usage(FILE *f)
{
	fputs("usage: linecount [--model NAME] [--listen [ADDR:]PORT] "
	    "[--workers N] [--threads N]\n"
	    "                 [--option NAME[=VALUE]]... [-v] "
	    "[--list-models]\n", f);
}

/* --option NAME[=VALUE]: any herdd long option, see herdd(8). */
static int
set_option(struct herd_server *srv, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq != NULL)
		*eq++ = '\0';
	return herd_server_set_option(srv, arg, eq);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model",	 required_argument, NULL, 'm' },
		{ "listen",	 required_argument, NULL, 'l' },
		{ "workers",	 required_argument, NULL, 'w' },
		{ "threads",	 required_argument, NULL, 't' },
		{ "option",	 required_argument, NULL, 'o' },
		{ "verbose",	 no_argument,	    NULL, 'v' },
		{ "list-models", no_argument,	    NULL, 'L' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL,		 0,		    NULL, 0 }
	};
	struct herd_server *srv;
	const char *listen = "7101", *name, *summary;
	size_t i;
	int c, r = 0, port, verbose = 0;

	if (herd_handler_register(&count_handler) < 0 ||
	    (srv = herd_server_new()) == NULL) {
		perror("linecount");
		return 1;
	}
	while (r == 0 && (c = getopt_long(argc, argv, "m:l:w:t:o:vh",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'm': r = herd_server_set_model(srv, optarg); break;
		case 'w': r = herd_server_set_option(srv, "workers", optarg);
			  break;
		case 't': r = herd_server_set_option(srv, "threads", optarg);
			  break;
		case 'o': r = set_option(srv, optarg); break;
		case 'l': listen = optarg; break;
		case 'v': verbose++; break;
		case 'L':
			for (i = 0; (name = herd_model_at(i, &summary)); i++)
				printf("%-12s %s\n", name, summary);
			herd_server_free(srv);
			return 0;
		case 'h':
			usage(stdout);
			herd_server_free(srv);
			return 0;
		default:
			usage(stderr);
			herd_server_free(srv);
			return 2;
		}
	}
	herd_log_init("linecount", verbose);
	if (r == 0 &&
	    (port = herd_server_listen(srv, listen, "linecount")) >= 0) {
		/* The port, for whoever started us on port 0. */
		printf("linecount: serving on port %d\n", port);
		fflush(stdout);
		r = herd_server_run(srv);
	} else
		r = -1;
	if (r < 0)
		fprintf(stderr, "linecount: %s\n", herd_server_error(srv));
	herd_server_free(srv);
	return r < 0 ? 1 : 0;
}
