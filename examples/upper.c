/*
 * upper.c - a line-based herd service: each line a client sends comes
 * back in upper case, and the line "quit" closes the connection.
 *
 * The handler sees bytes as they arrive, not lines, so it keeps the
 * line read so far in its per-connection state (the library hands it
 * state_size zeroed bytes for every connection) and answers only when
 * the newline comes.  main() is the whole server: register the
 * handler, listen, pick a model, run until SIGTERM or Ctrl-C.
 *
 *	cc upper.c $(pkg-config --cflags --libs herd) -o upper
 *	./upper --model fork --listen 7100
 *	printf 'hello\nworld\n' | nc -N localhost 7100
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd.h>

#define UPPER_LINE_MAX	1024

struct upper_state {
	size_t	len;
	char	line[UPPER_LINE_MAX];
};

/* Answer the line held in st; newline says whether one ended it. */
static int
upper_line(struct upper_state *st, struct herd_buf *out, int newline)
{
	size_t i, len = st->len;

	if (len > 0 && st->line[len - 1] == '\r')	/* telnet, nc -C */
		len--;
	if (len == 4 && memcmp(st->line, "quit", 4) == 0)
		return herd_buf_append(out, "bye\n", 4) < 0 ? HERD_ERROR :
		    HERD_CLOSE;
	for (i = 0; i < st->len; i++)
		st->line[i] = (char)toupper((unsigned char)st->line[i]);
	if (herd_buf_append(out, st->line, st->len) < 0 ||
	    (newline && herd_buf_append(out, "\n", 1) < 0))
		return HERD_ERROR;
	st->len = 0;
	return HERD_CONTINUE;
}

static int
upper_data(void *arg, const void *in, size_t len, struct herd_buf *out)
{
	static const char too_long[] = "error: line too long\n";
	struct upper_state *st = arg;
	const char *p = in;
	size_t i;
	int r;

	if (len == 0)		/* the client half-closed: a last line? */
		return st->len > 0 ? upper_line(st, out, 0) : HERD_CONTINUE;
	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if ((r = upper_line(st, out, 1)) != HERD_CONTINUE)
				return r;
			continue;
		}
		if (st->len == sizeof st->line)
			return herd_buf_append(out, too_long,
			    sizeof too_long - 1) < 0 ? HERD_ERROR : HERD_CLOSE;
		st->line[st->len++] = p[i];
	}
	return HERD_CONTINUE;
}

static const struct herd_handler upper_handler = {
	.name = "upper",
	.summary = "each line back in upper case; \"quit\" closes",
	.state_size = sizeof(struct upper_state),
	.on_data = upper_data,
};

static void
usage(FILE *f)
{
	fputs("usage: upper [--model NAME] [--listen [ADDR:]PORT] "
	    "[--workers N] [--threads N]\n"
	    "             [--option NAME[=VALUE]]... [-v] "
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
	const char *listen = "7100", *name, *summary;
	size_t i;
	int c, r = 0, port, verbose = 0;

	if (herd_handler_register(&upper_handler) < 0 ||
	    (srv = herd_server_new()) == NULL) {
		perror("upper");
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
	herd_log_init("upper", verbose);
	if (r == 0 && (port = herd_server_listen(srv, listen, "upper")) >= 0) {
		/* The port, for whoever started us on port 0. */
		printf("upper: serving on port %d\n", port);
		fflush(stdout);
		r = herd_server_run(srv);
	} else
		r = -1;
	if (r < 0)
		fprintf(stderr, "upper: %s\n", herd_server_error(srv));
	herd_server_free(srv);
	return r < 0 ? 1 : 0;
}
