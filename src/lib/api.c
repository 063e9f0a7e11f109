/*
 * api.c - the public server API of herd.h, a thin layer over what
 * herdd itself uses: options.c checks the settings, net.c binds, and
 * server.c and the model table run the server.
 *
 * The public struct herd_server is the very server the models run;
 * it is the first member of a struct api_server that adds what only
 * an embedding program needs: the settings as herdd's option words,
 * an error text, and the state herd_server_stop() looks at.
 *
 * Settings are kept as "--name=value" words and the whole list is
 * parsed again by options_parse() on every change.  So every option
 * herdd grows is a library setting at once, checked the same way and
 * refused with the same words, with no second parser to keep in step.
 *
 * Stopping reuses the signal path: herd_server_stop() sends SIGTERM
 * to the thread that runs the server.  The models block their
 * signals except while they wait in ppoll(), so the request is never
 * lost between "check the flags" and "go to sleep", and a stop is
 * exactly what a SIGTERM to herdd is.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "herd.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "server.h"
#include "sig.h"

struct api_server {
	struct herd_server	 srv;	/* first: the public pointer */
	struct herd_options	 opt;	/* srv.opt points here */
	char			**argv;	/* "herd" and the option words */
	int			 argc;
	/*
	 * One spec per listener, as server_open() leaves them: models
	 * may read opt->listens (reuseport binds each worker its own).
	 */
	struct listen_spec	*specs;
	size_t			 nspecs;
	char			 err[OPT_ERRLEN];
	int			 ran;
	/* What herd_server_stop() needs, safe from a signal handler. */
	pthread_t		 thread;	/* the one in run */
	atomic_int		 running;
	atomic_int		 stop;
	atomic_int		 stoppers;	/* inside stop() now */
	/* The caller's signal settings, put back after the run. */
	struct sigaction	 old_act[NSIG];
	unsigned char		 old_ok[NSIG];
	sigset_t		 old_mask;
};

/* One server runs at a time: the signal flags are process-wide. */
static atomic_flag api_busy = ATOMIC_FLAG_INIT;
static char api_progname[64];

static struct api_server *
api(const struct herd_server *srv)
{
	return (struct api_server *)(uintptr_t)srv;
}

static int
api_fail(struct api_server *a, const char *fmt, const char *arg)
{
	snprintf(a->err, sizeof a->err, fmt, arg);
	return -1;
}

const char *
herd_version(void)
{
	return PACKAGE_VERSION;
}

const char *
herd_model_at(size_t i, const char **summary)
{
	const struct herd_model *m = model_at(i);

	if (m == NULL)
		return NULL;
	if (summary != NULL)
		*summary = m->summary;
	return m->name;
}

void
herd_log_init(const char *progname, int verbosity)
{
	if (progname != NULL)
		snprintf(api_progname, sizeof api_progname, "%s", progname);
	else if (api_progname[0] == '\0')
		snprintf(api_progname, sizeof api_progname, "%s",
		    program_invocation_short_name);
	log_init(api_progname, verbosity);
}

/*
 * Parse the option words into a->opt.  options_parse() also fills in
 * herdd's default listeners; they are dropped, as a library server
 * listens only where herd_server_listen() says.
 */
static int
api_parse(struct api_server *a)
{
	struct herd_options o;
	enum options_action action;
	/*
	 * options_parse() uses getopt_long(), whose state is global:
	 * keep the caller's, who may be inside a getopt loop of its own.
	 */
	char *saved_optarg = optarg;
	int saved_optind = optind, saved_opterr = opterr;
	int saved_optopt = optopt, rc;

	rc = options_parse(&o, a->argc, a->argv, &action, a->err,
	    sizeof a->err);
	optarg = saved_optarg;
	optind = saved_optind;
	opterr = saved_opterr;
	optopt = saved_optopt;
	options_free(&o);
	if (rc < 0)
		return -1;
	if (action != OPTIONS_RUN)
		return api_fail(a, "'%s' is no server setting",
		    a->argv[a->argc - 1]);
	a->opt = o;
	a->opt.listens = a->specs;
	a->opt.nlistens = a->nspecs;
	return 0;
}

struct herd_server *
herd_server_new(void)
{
	struct api_server *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	server_init(&a->srv, &a->opt);	/* the model is picked at run */
	if ((a->argv = calloc(2, sizeof *a->argv)) == NULL ||
	    (a->argv[0] = strdup("herd")) == NULL) {
		free(a->argv);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->argc = 1;
	if (api_parse(a) < 0) {		/* only out of memory */
		herd_server_free(&a->srv);
		errno = ENOMEM;
		return NULL;
	}
	if (api_progname[0] == '\0')
		herd_log_init(NULL, 0);
	return &a->srv;
}

void
herd_server_free(struct herd_server *srv)
{
	struct api_server *a;
	int i;

	if (srv == NULL)
		return;
	a = api(srv);
	server_free(&a->srv);
	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->specs);
	free(a);
}

const char *
herd_server_error(const struct herd_server *srv)
{
	if (srv == NULL)	/* herd_server_new() failed */
		return "no server: out of memory";
	return api(srv)->err;
}

/* Option names as herdd spells them: lower case, digits, dashes. */
static int
api_option_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' || *name == '-')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
		    *p != '-')
			return 0;
	return 1;
}

int
herd_server_set_option(struct herd_server *srv, const char *name,
    const char *value)
{
	struct api_server *a = api(srv);
	char **argv, *word;
	size_t len;

	if (a->ran)
		return api_fail(a, "%s: the server has run already", name);
	if (!api_option_name_ok(name))
		return api_fail(a, "bad option name '%s': herdd's long "
		    "options, without the dashes", name ? name : "(null)");
	if (strcmp(name, "listen") == 0)
		return api_fail(a, "%s: use herd_server_listen()", name);
	len = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
	if ((word = malloc(len)) == NULL)
		return api_fail(a, "%s: out of memory", name);
	snprintf(word, len, "--%s%s%s", name, value ? "=" : "",
	    value ? value : "");
	argv = realloc(a->argv, (size_t)(a->argc + 2) * sizeof *argv);
	if (argv == NULL) {
		free(word);
		return api_fail(a, "%s: out of memory", name);
	}
	a->argv = argv;
	a->argv[a->argc++] = word;
	a->argv[a->argc] = NULL;
	if (api_parse(a) < 0) {
		/* Forget the word; the settings before it still hold. */
		free(a->argv[--a->argc]);
		a->argv[a->argc] = NULL;
		return -1;
	}
	if (strcmp(name, "verbose") == 0 || strcmp(name, "quiet") == 0)
		herd_log_init(NULL, a->opt.verbosity);
	return 0;
}

int
herd_server_set_model(struct herd_server *srv, const char *model)
{
	return herd_server_set_option(srv, "model", model);
}

static int
api_set_count(struct herd_server *srv, const char *name, unsigned n)
{
	char num[32];

	snprintf(num, sizeof num, "%u", n);
	return herd_server_set_option(srv, name, num);
}

int
herd_server_set_workers(struct herd_server *srv, unsigned n)
{
	return api_set_count(srv, "workers", n);
}

int
herd_server_set_threads(struct herd_server *srv, unsigned n)
{
	return api_set_count(srv, "threads", n);
}

static int
api_sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);	/* an unnamed socket fills in nothing */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

int
herd_server_listen(struct herd_server *srv, const char *spec,
    const char *handler)
{
	struct api_server *a = api(srv);
	struct net_listen_opts lo = {
		.socktype = SOCK_STREAM,
		.backlog = a->opt.backlog,
		.v6only = a->opt.v6only,
	};
	struct listen_spec ls, *specs;
	char text[OPT_HOSTLEN + OPT_SERVLEN + OPT_NAMELEN], name[NET_NAMELEN];
	int fd, port;

	if (spec == NULL)
		return api_fail(a, "%s: no address to listen on", "listen");
	if (a->ran)
		return api_fail(a, "listen %s: the server has run already",
		    spec);
	if (handler != NULL && strchr(spec, '=') != NULL)
		return api_fail(a, "bad listen address '%s': the handler "
		    "is an argument of its own", spec);
	if ((size_t)snprintf(text, sizeof text, "%s%s%s", spec,
	    handler ? "=" : "", handler ? handler : "") >= sizeof text)
		return api_fail(a, "bad listen address '%s': too long", spec);
	if (listen_spec_parse(text, &ls, a->err, sizeof a->err) < 0)
		return -1;
	lo.socktype = ls.socktype;
	fd = net_listen(ls.host, ls.serv, &lo, name, sizeof name, a->err,
	    sizeof a->err);
	if (fd < 0)
		return -1;
	if ((port = api_sock_port(fd)) < 0) {
		snprintf(a->err, sizeof a->err, "listen %s: getsockname: %s",
		    name, strerror(errno));
		close(fd);
		return -1;
	}
	specs = realloc(a->specs, (a->nspecs + 1) * sizeof *specs);
	if (specs != NULL)
		a->specs = specs;
	if (specs == NULL || server_add_listener(&a->srv, fd, ls.socktype,
	    0, herd_handler_find(ls.handler)) < 0) {
		close(fd);
		return api_fail(a, "listen %s: out of memory", name);
	}
	server_listener_proxy(&a->srv, ls.proxy);
	a->specs[a->nspecs++] = ls;
	a->opt.listens = a->specs;
	a->opt.nlistens = a->nspecs;
	return port;
}

static void
api_signals_save(struct api_server *a)
{
	int i;

	pthread_sigmask(SIG_SETMASK, NULL, &a->old_mask);
	for (i = 1; i < NSIG; i++)
		a->old_ok[i] = sigaction(i, NULL, &a->old_act[i]) == 0;
}

static void
api_signals_restore(struct api_server *a)
{
	struct timespec zero = { 0, 0 };
	sigset_t term;
	int i;

	/*
	 * A stop that came after the model had returned is still
	 * pending: take it now, or the caller's SIGTERM disposition
	 * (by default: die) would get it.
	 */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	while (sigtimedwait(&term, NULL, &zero) == SIGTERM)
		;
	for (i = 1; i < NSIG; i++)
		if (a->old_ok[i])
			sigaction(i, &a->old_act[i], NULL);
	pthread_sigmask(SIG_SETMASK, &a->old_mask, NULL);
}

/* "proxy-protocol" may have been set after the listeners were added. */
static void
api_proxy_protocol(struct api_server *a)
{
	size_t i;

	for (i = 0; a->opt.proxy_protocol && i < a->srv.nlisteners; i++)
		if (a->srv.listeners[i].socktype == SOCK_STREAM)
			a->srv.listeners[i].proxy = 1;
}

int
herd_server_run(struct herd_server *srv)
{
	struct api_server *a = api(srv);
	int rc;

	if (a->ran)
		return api_fail(a, "%s: a server runs once; make a new one",
		    "run");
	if (a->srv.nlisteners == 0)
		return api_fail(a, "%s: nothing to serve; call "
		    "herd_server_listen() first", "run");
	if (atomic_flag_test_and_set(&api_busy))
		return api_fail(a, "%s: another server is running in this "
		    "process", "run");
	a->ran = 1;
	a->srv.model = model_find(a->opt.model);
	api_proxy_protocol(a);
	api_signals_save(a);
	if (sig_setup() < 0) {
		snprintf(a->err, sizeof a->err, "run: signals: %s",
		    strerror(errno));
		api_signals_restore(a);
		atomic_flag_clear(&api_busy);
		return -1;
	}
	/* Flags an earlier server left behind are not for this one. */
	sig_take(SIGTERM);
	sig_take(SIGINT);
	sig_take(SIGQUIT);

	/*
	 * Either stop() sees running set and signals this thread, or
	 * this thread sees the stop flag: both are sequentially
	 * consistent, so a request can not slip between them.  A
	 * SIGTERM to ourselves stays pending (it is blocked) until the
	 * model first waits.
	 */
	a->thread = pthread_self();
	atomic_store(&a->running, 1);
	if (atomic_load(&a->stop))
		pthread_kill(a->thread, SIGTERM);
	log_notice("herd %s: model %s, %zu listener%s", PACKAGE_VERSION,
	    a->srv.model->name, a->srv.nlisteners,
	    a->srv.nlisteners == 1 ? "" : "s");
	rc = server_run(&a->srv);
	log_notice("stopped");

	atomic_store(&a->running, 0);
	while (atomic_load(&a->stoppers) > 0)	/* one pthread_kill away */
		sched_yield();
	api_signals_restore(a);
	server_close_listeners(&a->srv);
	atomic_flag_clear(&api_busy);
	if (rc != EX_OK) {
		snprintf(a->err, sizeof a->err, "run: model %s failed with "
		    "status %d; see the log", a->srv.model->name, rc);
		return -1;
	}
	return 0;
}

void
herd_server_stop(struct herd_server *srv)
{
	struct api_server *a = api(srv);
	int saved = errno;		/* a signal handler may call us */

	atomic_store(&a->stop, 1);
	atomic_fetch_add(&a->stoppers, 1);
	if (atomic_load(&a->running))
		pthread_kill(a->thread, SIGTERM);
	atomic_fetch_sub(&a->stoppers, 1);
	errno = saved;
}
