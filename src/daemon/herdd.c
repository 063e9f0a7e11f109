/*
 * herdd - the herd daemon: parse the flags, bind the listeners (or
 * take them from systemd), run the chosen model until it stops.
 *
 * Only this file prints to the user and picks exit codes (sysexits):
 * 64 bad usage, 69 a listener could not be had, 71 a system error,
 * 73 the --control socket could not be made, 77 --user could not be
 * become.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "control.h"
#include "herd.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "priv.h"
#include "server.h"
#include "sig.h"

static void
list_models(void)
{
	const struct herd_model *m;
	size_t i;

	for (i = 0; (m = model_at(i)) != NULL; i++)
		printf("%-12s %s\n", m->name, m->summary);
}

static void
list_handlers(void)
{
	const struct herd_handler *h;
	size_t i;

	for (i = 0; (h = herd_handler_at(i)) != NULL; i++)
		printf("%-12s %s\n", h->name, h->summary ? h->summary : "");
}

int
main(int argc, char **argv)
{
	struct herd_options opt;
	struct herd_server srv;
	enum options_action action;
	char err[OPT_ERRLEN];
	int rc;

	if (options_parse(&opt, argc, argv, &action, err, sizeof err) < 0) {
		fprintf(stderr, "herdd: %s\nTry 'herdd --help' for more "
		    "information.\n", err);
		options_free(&opt);
		return EX_USAGE;
	}
	switch (action) {
	case OPTIONS_HELP:
		fputs(options_usage, stdout);
		return EX_OK;
	case OPTIONS_VERSION:
		printf("herdd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EX_OK;
	case OPTIONS_LIST_MODELS:
		list_models();
		return EX_OK;
	case OPTIONS_LIST_HANDLERS:
		list_handlers();
		return EX_OK;
	case OPTIONS_RUN:
		break;
	}

	log_init("herdd", opt.verbosity);
	if (sig_setup() < 0) {
		perror("herdd: signals");
		return EX_OSERR;
	}
	if ((rc = server_open(&srv, &opt, err, sizeof err)) != 0) {
		fprintf(stderr, "herdd: %s\n", err);
		server_free(&srv);
		options_free(&opt);
		return rc;
	}
	/*
	 * The control socket is made before --user drops root, so it can
	 * go where root alone may write (/run/herd); it serves root and
	 * the user that started herdd, not the one it becomes.
	 */
	if (*opt.control != '\0' && (rc = control_open(&srv.control,
	    opt.control, err, sizeof err)) != 0) {
		fprintf(stderr, "herdd: %s\n", err);
		server_free(&srv);
		options_free(&opt);
		return rc;
	}
	/* Bound: root, if we had it, is no longer needed. */
	if (*opt.user != '\0' && priv_drop(opt.user,
	    *opt.group != '\0' ? opt.group : NULL, err, sizeof err) < 0) {
		fprintf(stderr, "herdd: %s\n", err);
		control_close(srv.control, 1);
		server_free(&srv);
		options_free(&opt);
		return EX_NOPERM;
	}
	log_notice("herd %s: model %s, %zu listener%s", PACKAGE_VERSION,
	    srv.model->name, srv.nlisteners, srv.nlisteners == 1 ? "" : "s");
	rc = server_run(&srv);
	notify_stopping();	/* once: after an error too */
	control_close(srv.control, 1);
	log_notice("stopped");
	server_free(&srv);
	options_free(&opt);
	return rc;
}
