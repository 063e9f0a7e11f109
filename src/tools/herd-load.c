/*
 * herd-load - a load generator for herdd and any echo or rot13 server:
 * closed loop, open loop at a fixed rate, connection per request, or
 * idle connections; verifies every reply byte and reports latency
 * percentiles from a histogram.  The engine is load.c; this file
 * parses the flags and prints.
 *
 * Exit codes: 0 done, 1 a reply byte was wrong, 64 bad usage, 69 the
 * server could not be reached or answered nothing, 71 a system error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "load.h"
#include "net.h"

#define MAX_SIZE	(16u * 1024 * 1024)

static const char usage[] =
"Usage: herd-load [OPTIONS] HOST PORT\n"
"Load an echo or rot13 server and measure it.\n"
"\n"
"  -t, --threads N        threads, each with its own epoll loop (default 1)\n"
"  -c, --connections N    connections (default 1; 10 with -C)\n"
"  -s, --size BYTES       message size (default 64)\n"
"  -p, --pipeline D       requests in flight per connection (default 1)\n"
"  -r, --rate R           open loop: R requests/s on a fixed schedule,\n"
"                         latency from the intended send time\n"
"  -C, --connect-per-request  connect, send, read, close, repeat\n"
"      --sources N        spread source addresses over 127.0.0.2 and the\n"
"                         next N-1 (IPv4 loopback targets)\n"
"      --idle             hold the connections open, send nothing\n"
"  -u, --udp              closed loop over -c UDP sockets, one datagram of\n"
"                         --size bytes in flight on each; a datagram not\n"
"                         answered within --timeout is counted lost, a\n"
"                         reply longer than expected truncated\n"
"  -d, --duration S       measure S seconds (default 5)\n"
"  -n, --requests N       measure N requests instead\n"
"  -w, --warmup S         run S seconds before measuring (default 0)\n"
"      --timeout S        seconds a reply or connect may take (default 5)\n"
"  -e, --expect KIND      echo, rot13 or none: what each reply must be\n"
"                         (default echo)\n"
"      --json             print the result as one JSON object\n"
"  -q, --quiet            no progress line even on a terminal\n"
"  -h, --help             this text\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit: 0 done, 1 a reply byte differed (or was cut off), 64 usage,\n"
"69 no answer.\n";

enum { OPT_SOURCES = 256, OPT_IDLE, OPT_TIMEOUT, OPT_JSON };

/* The biggest UDP payload over IPv4. */
#define MAX_UDP_SIZE	65507

static const struct option longopts[] = {
	{ "threads",		required_argument,	NULL, 't' },
	{ "connections",	required_argument,	NULL, 'c' },
	{ "size",		required_argument,	NULL, 's' },
	{ "pipeline",		required_argument,	NULL, 'p' },
	{ "rate",		required_argument,	NULL, 'r' },
	{ "connect-per-request", no_argument,		NULL, 'C' },
	{ "sources",		required_argument,	NULL, OPT_SOURCES },
	{ "idle",		no_argument,		NULL, OPT_IDLE },
	{ "udp",		no_argument,		NULL, 'u' },
	{ "duration",		required_argument,	NULL, 'd' },
	{ "requests",		required_argument,	NULL, 'n' },
	{ "warmup",		required_argument,	NULL, 'w' },
	{ "timeout",		required_argument,	NULL, OPT_TIMEOUT },
	{ "expect",		required_argument,	NULL, 'e' },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

struct args {
	struct load_config	cfg;
	const char		*host, *port;
	int			json, quiet, conns_set;
};

static int
parse_uint(const char *flag, const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' ||
	    *v < lo || *v > hi) {
		fprintf(stderr, "herd-load: %s: '%s' is not a number from "
		    "%llu to %llu\n", flag, s, lo, hi);
		return -1;
	}
	return 0;
}

static int
parse_secs(const char *flag, const char *s, double lo, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(*v) ||
	    *v < lo || *v > 1e6) {
		fprintf(stderr, "herd-load: %s: '%s' is not a number of "
		    "seconds\n", flag, s);
		return -1;
	}
	return 0;
}

/* One flag into a; -1 after printing why it is wrong. */
static int
parse_flag(struct args *a, int ch, const char *arg)
{
	struct load_config *c = &a->cfg;
	unsigned long long v;

	switch (ch) {
	case 't':
		if (parse_uint("--threads", arg, 1, 256, &v) < 0)
			return -1;
		c->threads = (unsigned)v;
		return 0;
	case 'c':
		if (parse_uint("--connections", arg, 1, 1000000, &v) < 0)
			return -1;
		c->conns = (unsigned)v;
		a->conns_set = 1;
		return 0;
	case 's':
		if (parse_uint("--size", arg, 1, MAX_SIZE, &v) < 0)
			return -1;
		c->size = (size_t)v;
		return 0;
	case 'p':
		if (parse_uint("--pipeline", arg, 1, LOAD_MAX_PIPELINE,
		    &v) < 0)
			return -1;
		c->pipeline = (unsigned)v;
		return 0;
	case 'r':
		if (parse_secs("--rate", arg, 0.001, &c->rate) < 0)
			return -1;
		c->mode = LOAD_OPEN;
		return 0;
	case 'C':
		c->mode = LOAD_CPR;
		return 0;
	case OPT_SOURCES:
		if (parse_uint("--sources", arg, 1, 1 << 24, &v) < 0)
			return -1;
		c->sources = (unsigned)v;
		return 0;
	case OPT_IDLE:
		c->mode = LOAD_IDLE;
		return 0;
	case 'u':
		c->udp = 1;
		return 0;
	case 'd':
		return parse_secs("--duration", arg, 0.001, &c->duration);
	case 'n':
		if (parse_uint("--requests", arg, 1, UINT64_MAX / 2, &v) < 0)
			return -1;
		c->requests = v;
		return 0;
	case 'w':
		return parse_secs("--warmup", arg, 0, &c->warmup);
	case OPT_TIMEOUT:
		return parse_secs("--timeout", arg, 0.001, &c->timeout);
	case 'e':
		if (verify_mode_parse(arg, &c->expect) == 0)
			return 0;
		fprintf(stderr, "herd-load: --expect: '%s' is not echo, rot13 "
		    "or none\n", arg);
		return -1;
	case OPT_JSON:
		a->json = 1;
		return 0;
	case 'q':
		a->quiet = 1;
		return 0;
	}
	return -1;
}

/* Flags that contradict each other; -1 after printing why. */
static int
check_args(struct args *a)
{
	struct load_config *c = &a->cfg;
	const char *why = NULL;

	if (c->mode == LOAD_IDLE && c->requests > 0)
		why = "--idle runs for --duration, not --requests";
	else if (c->mode != LOAD_CLOSED && c->pipeline > 1)
		why = "--pipeline is for the closed loop";
	else if (c->duration > 0 && c->requests > 0)
		why = "give --duration or --requests, not both";
	else if (c->mode == LOAD_OPEN && c->rate <= 0)
		why = "--rate must be above 0";
	else if (c->udp && (c->mode != LOAD_CLOSED || c->pipeline > 1 ||
	    c->sources > 0))
		why = "--udp is a closed loop of one datagram per socket: no "
		    "--rate, -C, --idle, --pipeline or --sources";
	else if (c->udp && c->size > MAX_UDP_SIZE)
		why = "--udp: --size is at most 65507 (a UDP datagram)";
	if (why != NULL) {
		fprintf(stderr, "herd-load: %s\n", why);
		return -1;
	}
	if (c->mode == LOAD_CPR && !a->conns_set)
		c->conns = 10;
	if (c->duration == 0 && c->requests == 0)
		c->duration = 5;
	/* A thread with no connection or no request share would idle. */
	if (c->threads > c->conns)
		c->threads = c->conns;
	if (c->requests > 0 && c->threads > c->requests)
		c->threads = (unsigned)c->requests;
	return 0;
}

static int
parse_args(struct args *a, int argc, char **argv, int *done)
{
	int ch;

	memset(a, 0, sizeof *a);
	a->cfg.threads = 1;
	a->cfg.conns = 1;
	a->cfg.size = 64;
	a->cfg.pipeline = 1;
	a->cfg.timeout = 5;
	a->cfg.expect = VERIFY_ECHO;
	*done = 0;
	while ((ch = getopt_long(argc, argv, "t:c:s:p:r:Cud:n:w:e:qhV",
	    longopts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			*done = 1;
			return 0;
		}
		if (ch == 'V') {
			printf("herd-load (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			*done = 1;
			return 0;
		}
		if (ch == '?' || parse_flag(a, ch, optarg) < 0)
			return -1;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "herd-load: expected HOST PORT\n");
		return -1;
	}
	a->host = argv[optind];
	a->port = argv[optind + 1];
	return check_args(a);
}

/*
 * Find the address to load by connecting once (every address
 * getaddrinfo gives is tried): a dead server fails here, clearly.
 */
static int
resolve(struct args *a, char *err, size_t errlen)
{
	struct load_config *c = &a->cfg;
	int fd;

	/* For UDP, connect() only picks the address: nothing is sent. */
	if ((fd = net_connect(a->host, a->port, c->udp ? SOCK_DGRAM :
	    SOCK_STREAM, err, errlen)) < 0)
		return -1;
	c->addrlen = sizeof c->addr;
	if (getpeername(fd, (struct sockaddr *)&c->addr, &c->addrlen) < 0) {
		snprintf(err, errlen, "getpeername: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (c->sources > 0 && c->addr.ss_family != AF_INET) {
		snprintf(err, errlen, "--sources needs an IPv4 loopback "
		    "target, not %s", a->host);
		return -1;
	}
	return 0;
}

static void
progress_line(const struct load_progress *p, void *arg)
{
	const struct args *a = arg;

	fprintf(stderr, "\r%6.1fs  %10.0f %s  p99 %9.1f us  errors %llu  "
	    "open %llu ", p->elapsed, p->elapsed > a->cfg.warmup ?
	    (double)p->requests / (p->elapsed - a->cfg.warmup) : 0.0,
	    a->cfg.mode == LOAD_CPR ? "conn/s" : "req/s ",
	    (double)p->p99 / 1e3, (unsigned long long)p->errors,
	    (unsigned long long)p->open);
	fflush(stderr);
}

static const char *
mode_name(const struct load_config *c)
{
	switch (c->mode) {
	case LOAD_OPEN:
		return "open";
	case LOAD_CPR:
		return "connect-per-request";
	case LOAD_IDLE:
		return "idle";
	case LOAD_CLOSED:
		break;
	}
	return "closed";
}

static uint64_t
total_errors(const struct load_result *r)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < LOAD_ERR_KINDS; k++)
		n += r->errors[k];
	return n;
}

static double
us(const struct load_result *r, double p)
{
	return (double)hist_percentile(&r->hist, p) / 1e3;
}

static void
print_json(const struct args *a, const struct load_result *r, double rate)
{
	const struct load_config *c = &a->cfg;
	int k;

	printf("{\"mode\":\"%s\",\"transport\":\"%s\",\"threads\":%u,"
	    "\"connections\":%u,"
	    "\"size\":%zu,\"pipeline\":%u,\"expect\":\"%s\","
	    "\"target_rate\":%.3f,\"elapsed_s\":%.6f,\"requests\":%llu,"
	    "\"rate\":%.3f,\"open\":%llu,\"errors\":%llu,\"errors_by_kind\":{",
	    mode_name(c), c->udp ? "udp" : "tcp", c->threads, c->conns,
	    c->size, c->pipeline,
	    verify_mode_name(c->expect), c->rate, r->elapsed,
	    (unsigned long long)r->requests, rate,
	    (unsigned long long)r->open,
	    (unsigned long long)total_errors(r));
	for (k = 0; k < LOAD_ERR_KINDS; k++)
		printf("%s\"%s\":%llu", k ? "," : "", load_err_name(k),
		    (unsigned long long)r->errors[k]);
	printf("},\"lost\":%llu,\"truncated\":%llu,\"mismatches\":%llu,"
	    "\"latency_us\":{\"p50\":%.1f,"
	    "\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,"
	    "\"mean\":%.1f}}\n", (unsigned long long)r->lost,
	    (unsigned long long)r->truncated, (unsigned long long)r->mismatches,
	    us(r, 50), us(r, 90), us(r, 99), us(r, 99.9),
	    (double)r->hist.max / 1e3, hist_mean(&r->hist) / 1e3);
}

static void
print_text(const struct args *a, const struct load_result *r, double rate)
{
	const struct load_config *c = &a->cfg;
	int k;

	printf("herd-load: %s loop, %u thread%s, %u %s%s, %zu B, "
	    "%.2f s measured\n", mode_name(c), c->threads,
	    c->threads == 1 ? "" : "s", c->conns,
	    c->udp ? "UDP socket" : "connection", c->conns == 1 ? "" : "s",
	    c->size, r->elapsed);
	if (c->mode == LOAD_IDLE)
		printf("open         %llu connections\n",
		    (unsigned long long)r->open);
	else
		printf("requests     %llu (%.1f %s)\n",
		    (unsigned long long)r->requests, rate,
		    c->mode == LOAD_CPR ? "connections/s" : "requests/s");
	printf("latency us   p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
	    "max %.1f\n", us(r, 50), us(r, 90), us(r, 99), us(r, 99.9),
	    (double)r->hist.max / 1e3);
	printf("errors       %llu (", (unsigned long long)total_errors(r));
	for (k = 0; k < LOAD_ERR_KINDS; k++)
		printf("%s%s %llu", k ? ", " : "", load_err_name(k),
		    (unsigned long long)r->errors[k]);
	printf(")\n");
	if (c->udp)
		printf("lost         %llu (no reply within %g s)\n"
		    "truncated    %llu (reply longer than expected)\n",
		    (unsigned long long)r->lost, c->timeout,
		    (unsigned long long)r->truncated);
	printf("mismatches   %llu\n", (unsigned long long)r->mismatches);
}

int
main(int argc, char **argv)
{
	struct load_result *r;
	struct args a;
	char err[NET_ERRLEN];
	double rate;
	int done, show;

	if (parse_args(&a, argc, argv, &done) < 0) {
		fprintf(stderr, "Try 'herd-load --help' for more "
		    "information.\n");
		return EX_USAGE;
	}
	if (done)
		return EX_OK;
	if (resolve(&a, err, sizeof err) < 0) {
		fprintf(stderr, "herd-load: %s\n", err);
		return EX_UNAVAILABLE;
	}
	if ((r = malloc(sizeof *r)) == NULL) {
		fprintf(stderr, "herd-load: out of memory\n");
		return EX_OSERR;
	}
	show = !a.quiet && isatty(STDERR_FILENO);
	if (load_run(&a.cfg, r, show ? progress_line : NULL, &a, err,
	    sizeof err) < 0) {
		fprintf(stderr, "herd-load: %s\n", err);
		free(r);
		return EX_OSERR;
	}
	if (show)
		fputc('\n', stderr);
	rate = r->elapsed > 0 ? (double)r->requests / r->elapsed : 0.0;
	if (a.json)
		print_json(&a, r, rate);
	else
		print_text(&a, r, rate);
	done = r->mismatches > 0 || r->truncated > 0 ? 1 :
	    a.cfg.mode == LOAD_IDLE ? (r->open > 0 ? EX_OK : EX_UNAVAILABLE) :
	    r->requests == 0 ? EX_UNAVAILABLE : EX_OK;
	if (r->mismatches > 0)
		fprintf(stderr, "herd-load: %llu reply bytes differ from what "
		    "%s must return\n", (unsigned long long)r->mismatches,
		    verify_mode_name(a.cfg.expect));
	else if (r->truncated > 0)
		fprintf(stderr, "herd-load: %llu replies were longer than "
		    "%s must return\n", (unsigned long long)r->truncated,
		    verify_mode_name(a.cfg.expect));
	else if (done == EX_UNAVAILABLE)
		fprintf(stderr, "herd-load: no reply from %s:%s\n", a.host,
		    a.port);
	free(r);
	return done;
}
