/*
 * options.c - argv -> struct herd_options (see options.h).
 *
 * Defaults follow inetd's echo plus the lecture's rot13 server: echo
 * on 7007 and rot13 on 1067, both on every address, iterative model.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "herd.h"
#include "options.h"
#include "server.h"

const char options_usage[] =
"Usage: herdd [OPTION]...\n"
"Serve echo, rot13 and other handlers under a chosen concurrency model.\n"
"\n"
"  -m, --model NAME           concurrency model (default: iterative);\n"
"                             see --list-models\n"
"  -l, --listen [udp:][ADDR:]PORT[=HANDLER]\n"
"                             listen on PORT (a number or a service name)\n"
"                             and serve HANDLER there (default: echo); may\n"
"                             repeat; IPv6 addresses go in brackets, [::1];\n"
"                             udp: serves datagrams, one reply each;\n"
"                             default: --listen 7007=echo --listen 1067=rot13\n"
"  -b, --backlog N            listen(2) backlog (default: 511)\n"
"      --ipv6-only            wildcard listeners take IPv6 only\n"
"      --resolve              log peer host names (reverse DNS; blocks)\n"
"  -T, --shutdown-timeout S   on SIGTERM wait S seconds for connections to\n"
"                             finish before closing them (default: 10)\n"
"  -w, --workers N            worker processes (default: number of cores)\n"
"  -t, --threads N            threads per process in thread models\n"
"                             (default: 32)\n"
"      --accept-lock KIND     none, fcntl or mutex: how workers take turns\n"
"                             in accept() (default: none)\n"
"      --queue-depth N        pool: connections queued for the threads\n"
"                             (default: 256)\n"
"      --max-requests N       recycle a worker after N connections\n"
"                             (default: 0, never)\n"
"      --max-conns N          cap on live connections (default: 0, none)\n"
"      --timeout S            close a connection idle (no byte read or\n"
"                             written) for S seconds (default: 0, never)\n"
"      --proxy-protocol       every listener expects a PROXY protocol v1 or\n"
"                             v2 header first (HAProxy's send-proxy) and\n"
"                             serves the client it names; for one listener:\n"
"                             --listen PORT=HANDLER,proxy\n"
"      --user USER            after binding, drop root and run as USER\n"
"      --group GROUP          with --user: run as GROUP (default: USER's)\n"
"      --control PATH         serve herdctl on a Unix socket at PATH (mode\n"
"                             0600; root and the starting user only);\n"
"                             models with a master process only: prefork,\n"
"                             passfd, reuseport, hybrid, event (not -X)\n"
"  -X                         single process: serve in the master (debug)\n"
"  -v, --verbose              more log (-v connections, -vv debug)\n"
"  -q, --quiet                log errors only\n"
"      --list-models          list the concurrency models and exit\n"
"      --list-handlers        list the handlers and exit\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"When started with LISTEN_FDS (systemd socket activation) herdd serves\n"
"the sockets it is given instead of --listen; LISTEN_FDNAMES name their\n"
"handlers.\n";

enum {
	OPT_LIST_MODELS = 256,
	OPT_LIST_HANDLERS,
	OPT_RESOLVE,
	OPT_IPV6_ONLY,
	OPT_ACCEPT_LOCK,
	OPT_QUEUE_DEPTH,
	OPT_MAX_REQUESTS,
	OPT_MAX_CONNS,
	OPT_TIMEOUT,
	OPT_USER,
	OPT_GROUP,
	OPT_CONTROL,
	OPT_PROXY_PROTOCOL,
};

static const struct option options_long[] = {
	{ "model",		required_argument,	NULL, 'm' },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "backlog",		required_argument,	NULL, 'b' },
	{ "ipv6-only",		no_argument,		NULL, OPT_IPV6_ONLY },
	{ "resolve",		no_argument,		NULL, OPT_RESOLVE },
	{ "shutdown-timeout",	required_argument,	NULL, 'T' },
	{ "workers",		required_argument,	NULL, 'w' },
	{ "threads",		required_argument,	NULL, 't' },
	{ "accept-lock",	required_argument,	NULL, OPT_ACCEPT_LOCK },
	{ "queue-depth",	required_argument,	NULL, OPT_QUEUE_DEPTH },
	{ "max-requests",	required_argument,	NULL, OPT_MAX_REQUESTS },
	{ "max-conns",		required_argument,	NULL, OPT_MAX_CONNS },
	{ "timeout",		required_argument,	NULL, OPT_TIMEOUT },
	{ "user",		required_argument,	NULL, OPT_USER },
	{ "group",		required_argument,	NULL, OPT_GROUP },
	{ "control",		required_argument,	NULL, OPT_CONTROL },
	{ "proxy-protocol",	no_argument,		NULL, OPT_PROXY_PROTOCOL },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "list-models",	no_argument,		NULL, OPT_LIST_MODELS },
	{ "list-handlers",	no_argument,		NULL, OPT_LIST_HANDLERS },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *const accept_lock_names[] = {
	[ACCEPT_LOCK_NONE] = "none",
	[ACCEPT_LOCK_FCNTL] = "fcntl",
	[ACCEPT_LOCK_MUTEX] = "mutex",
};

const char *
accept_lock_name(enum accept_lock l)
{
	return accept_lock_names[l];
}

static int
parse_accept_lock(const char *s, enum accept_lock *out)
{
	size_t i;

	for (i = 0; i < sizeof accept_lock_names / sizeof *accept_lock_names;
	    i++)
		if (strcmp(s, accept_lock_names[i]) == 0) {
			*out = (enum accept_lock)i;
			return 0;
		}
	return -1;
}

/* A count flag: "--NAME N" within [min, max], or an error naming it. */
static int
parse_count(const char *flag, const char *arg, unsigned long min,
    unsigned long max, unsigned *out, char *err, size_t errlen)
{
	unsigned long n;

	if (parse_uint(arg, min, max, &n) < 0) {
		snprintf(err, errlen, "bad %s '%s': expected %lu to %lu", flag,
		    arg, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int
copy_field(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int
serv_valid(const char *s)
{
	unsigned long port;

	if (*s == '\0')
		return 0;
	if (isdigit((unsigned char)*s))
		return parse_uint(s, 0, 65535, &port) == 0;
	if (!isalpha((unsigned char)*s))	/* as in /etc/services */
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/*
 * The words after the handler, as nginx's "listen 80 proxy_protocol;"
 * puts them after the address: only "proxy" so far.
 */
static int
listen_flags_parse(const char *s, size_t len, const char *text, int *proxy,
    char *err, size_t errlen)
{
	const char *end = s + len, *comma;
	size_t n;

	for (;; s = comma + 1) {	/* "" is an empty word, refused */
		if ((comma = memchr(s, ',', (size_t)(end - s))) == NULL)
			comma = end;
		n = (size_t)(comma - s);
		if (n == 5 && memcmp(s, "proxy", 5) == 0)
			*proxy = 1;
		else {
			snprintf(err, errlen, "unknown listener option '%.*s' "
			    "in '%s': expected proxy", n > 32 ? 32 : (int)n, s,
			    text);
			return -1;
		}
		if (comma == end)
			return 0;
	}
}

int
listen_handler_parse(const char *s, size_t len, const char *text,
    char *handler, size_t handlerlen, int *proxy, char *err, size_t errlen)
{
	const char *comma = memchr(s, ',', len);
	size_t n = comma != NULL ? (size_t)(comma - s) : len;

	*proxy = 0;
	if (n == 0 || copy_field(handler, handlerlen, s, n) < 0) {
		snprintf(err, errlen, "bad listen address '%s': expected "
		    "[ADDR:]PORT[=HANDLER[,proxy]]", text);
		return -1;
	}
	if (comma == NULL)
		return 0;
	return listen_flags_parse(comma + 1, len - n - 1, text, proxy, err,
	    errlen);
}

int
listen_spec_parse(const char *spec, struct listen_spec *ls, char *err,
    size_t errlen)
{
	const char *eq, *end, *colon, *port, *text = spec;

	memset(ls, 0, sizeof *ls);
	ls->socktype = SOCK_STREAM;
	if (strncmp(text, "udp:", 4) == 0) {	/* a prefix, never a host */
		ls->socktype = SOCK_DGRAM;
		text += 4;
	} else if (strncmp(text, "tcp:", 4) == 0)
		text += 4;
	end = text + strlen(text);
	if ((eq = strrchr(text, '=')) != NULL) {
		if (listen_handler_parse(eq + 1, (size_t)(end - eq - 1), text,
		    ls->handler, sizeof ls->handler, &ls->proxy, err,
		    errlen) < 0)
			return -1;
		end = eq;
	} else
		strcpy(ls->handler, "echo");

	if (*text == '[') {			/* [v6addr]:port */
		const char *close = memchr(text, ']', (size_t)(end - text));

		if (close == NULL || close[1] != ':' ||
		    copy_field(ls->host, sizeof ls->host, text + 1,
		    (size_t)(close - text - 1)) < 0 || ls->host[0] == '\0')
			goto bad;
		port = close + 2;
	} else if ((colon = memchr(text, ':', (size_t)(end - text))) != NULL) {
		if (memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			snprintf(err, errlen, "bad listen address '%s': "
			    "put IPv6 addresses in brackets, as [::1]:7007",
			    spec);
			return -1;
		}
		if (copy_field(ls->host, sizeof ls->host, text,
		    (size_t)(colon - text)) < 0)
			goto bad;
		port = colon + 1;
	} else
		port = text;

	if (copy_field(ls->serv, sizeof ls->serv, port,
	    (size_t)(end - port)) < 0 || !serv_valid(ls->serv))
		goto bad;
	if (strcmp(ls->host, "*") == 0)
		ls->host[0] = '\0';
	if (ls->proxy && ls->socktype == SOCK_DGRAM) {
		snprintf(err, errlen, "bad listen address '%s': proxy is for "
		    "stream listeners (a datagram has no PROXY header)", spec);
		return -1;
	}
	if (herd_handler_find(ls->handler) == NULL) {
		snprintf(err, errlen, "unknown handler '%s' in '%s' "
		    "(see --list-handlers)", ls->handler, spec);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad listen address '%s': expected "
	    "[udp:][ADDR:]PORT[=HANDLER[,proxy]]", spec);
	return -1;
}

static int
options_add_listen(struct herd_options *o, const char *text, char *err,
    size_t errlen)
{
	struct listen_spec *ls;

	ls = realloc(o->listens, (o->nlistens + 1) * sizeof *ls);
	if (ls == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o->listens = ls;
	return listen_spec_parse(text, &o->listens[o->nlistens++], err,
	    errlen) == 0 ? 0 : (o->nlistens--, -1);
}

static void
options_defaults(struct herd_options *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof *o);
	strcpy(o->model, "iterative");
	o->backlog = 511;		/* nginx's and Apache's default */
	o->shutdown_timeout = 10;
	o->workers = cores > 0 ? (unsigned)cores : 1;
	o->threads = 32;
	o->accept_lock = ACCEPT_LOCK_NONE;
	o->queue_depth = 256;
}

int
options_parse(struct herd_options *o, int argc, char **argv,
    enum options_action *action, char *err, size_t errlen)
{
	unsigned long n;
	int c;

	options_defaults(o);
	*action = OPTIONS_RUN;
	opterr = 0;			/* we word the errors ourselves */
	optind = 0;			/* reset: tests parse many times */
	while ((c = getopt_long(argc, argv, ":m:l:b:T:w:t:XvqhV", options_long,
	    NULL)) != -1) {
		switch (c) {
		case 'm':
			if (model_find(optarg) == NULL) {
				snprintf(err, errlen, "unknown model '%s' "
				    "(see --list-models)", optarg);
				return -1;
			}
			snprintf(o->model, sizeof o->model, "%s", optarg);
			break;
		case 'l':
			if (options_add_listen(o, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'b':
			if (parse_uint(optarg, 1, 65535, &n) < 0) {
				snprintf(err, errlen, "bad backlog '%s': "
				    "expected 1 to 65535", optarg);
				return -1;
			}
			o->backlog = (int)n;
			break;
		case 'T':
			if (parse_uint(optarg, 0, 86400, &n) < 0) {
				snprintf(err, errlen, "bad shutdown timeout "
				    "'%s': expected 0 to 86400 seconds",
				    optarg);
				return -1;
			}
			o->shutdown_timeout = (unsigned)n;
			break;
		case 'w':
			if (parse_count("--workers", optarg, 1, 1024,
			    &o->workers, err, errlen) < 0)
				return -1;
			break;
		case 't':
			if (parse_count("--threads", optarg, 1, 4096,
			    &o->threads, err, errlen) < 0)
				return -1;
			break;
		case OPT_QUEUE_DEPTH:
			if (parse_count("--queue-depth", optarg, 1, 65536,
			    &o->queue_depth, err, errlen) < 0)
				return -1;
			break;
		case OPT_MAX_REQUESTS:
			if (parse_count("--max-requests", optarg, 0,
			    1000000000, &o->max_requests, err, errlen) < 0)
				return -1;
			break;
		case OPT_MAX_CONNS:
			if (parse_count("--max-conns", optarg, 0, 1000000,
			    &o->max_conns, err, errlen) < 0)
				return -1;
			break;
		case OPT_TIMEOUT:
			if (parse_count("--timeout", optarg, 0, 86400,
			    &o->timeout, err, errlen) < 0)
				return -1;
			break;
		case OPT_ACCEPT_LOCK:
			if (parse_accept_lock(optarg, &o->accept_lock) < 0) {
				snprintf(err, errlen, "bad --accept-lock '%s': "
				    "expected none, fcntl or mutex", optarg);
				return -1;
			}
			break;
		case OPT_USER:
		case OPT_GROUP:
			if (copy_field(c == OPT_USER ? o->user : o->group,
			    OPT_NAMELEN, optarg, strlen(optarg)) < 0 ||
			    *optarg == '\0') {
				snprintf(err, errlen, "bad %s '%s'",
				    c == OPT_USER ? "--user" : "--group",
				    optarg);
				return -1;
			}
			break;
		case OPT_CONTROL:
			if (copy_field(o->control, sizeof o->control, optarg,
			    strlen(optarg)) < 0 || *optarg == '\0') {
				snprintf(err, errlen, "bad --control '%s': "
				    "expected a path of 1 to %zu bytes",
				    optarg, sizeof o->control - 1);
				return -1;
			}
			break;
		case OPT_IPV6_ONLY:	o->v6only = 1; break;
		case OPT_RESOLVE:	o->resolve = 1; break;
		case OPT_PROXY_PROTOCOL: o->proxy_protocol = 1; break;
		case 'X':		o->single = 1; break;
		case 'v':		o->verbosity++; break;
		case 'q':		o->verbosity = -1; break;
		case 'h':		*action = OPTIONS_HELP; return 0;
		case 'V':		*action = OPTIONS_VERSION; return 0;
		case OPT_LIST_MODELS:
			*action = OPTIONS_LIST_MODELS;
			return 0;
		case OPT_LIST_HANDLERS:
			*action = OPTIONS_LIST_HANDLERS;
			return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value",
			    argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option '%s'",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (strcmp(o->model, "prethread") == 0 &&
	    o->accept_lock == ACCEPT_LOCK_FCNTL) {
		snprintf(err, errlen, "--accept-lock fcntl locks between "
		    "processes, not threads: prethread takes none or mutex");
		return -1;
	}
	if (o->verbosity > 2)
		o->verbosity = 2;
	if (*o->control != '\0' && (o->single ||
	    !model_find(o->model)->supervised)) {
		snprintf(err, errlen, "--control needs a model with a master "
		    "process (prefork, passfd, reuseport, hybrid, event), "
		    "not %s%s", o->single ? "-X" : "model ",
		    o->single ? "" : o->model);
		return -1;
	}
	if (*o->group != '\0' && *o->user == '\0') {
		snprintf(err, errlen, "--group needs --user");
		return -1;
	}
	if (o->nlistens == 0 &&
	    (options_add_listen(o, "7007=echo", err, errlen) < 0 ||
	    options_add_listen(o, "1067=rot13", err, errlen) < 0))
		return -1;
	return 0;
}

void
options_free(struct herd_options *o)
{
	free(o->listens);
	o->listens = NULL;
	o->nlistens = 0;
}
