/*
 * test-options.c - herdd's flags and --listen addresses, accepted and
 * refused.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "options.h"

static struct herd_options opt;
static enum options_action action;
static char err[OPT_ERRLEN];

static void
cleanup(void)
{
	options_free(&opt);
}

TestSuite(options, .fini = cleanup);
TestSuite(listen_spec);

#define PARSE(...) parse((char *[]){ "herdd", __VA_ARGS__, NULL })

static int
parse(char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	err[0] = '\0';
	return options_parse(&opt, argc, argv, &action, err, sizeof err);
}

Test(options, defaults_are_echo_7007_and_rot13_1067)
{
	char *argv[] = { "herdd", NULL };

	cr_assert_eq(options_parse(&opt, 1, argv, &action, err, sizeof err), 0);
	cr_assert_eq(action, OPTIONS_RUN);
	cr_assert_str_eq(opt.model, "iterative");
	cr_assert_eq(opt.nlistens, 2);
	cr_assert_str_eq(opt.listens[0].serv, "7007");
	cr_assert_str_eq(opt.listens[0].handler, "echo");
	cr_assert_str_eq(opt.listens[0].host, "");
	cr_assert_str_eq(opt.listens[1].serv, "1067");
	cr_assert_str_eq(opt.listens[1].handler, "rot13");
	cr_assert_eq(opt.shutdown_timeout, 10);
}

Test(options, model_flag_picks_a_known_model)
{
	cr_assert_eq(PARSE("--model", "fork"), 0);
	cr_assert_str_eq(opt.model, "fork");
}

Test(options, unknown_model_is_named_in_the_error)
{
	cr_assert_eq(PARSE("--model", "bogus"), -1);
	cr_assert(strstr(err, "unknown model 'bogus'") != NULL, "%s", err);
}

Test(options, unknown_flag_is_named_in_the_error)
{
	cr_assert_eq(PARSE("--frobnicate"), -1);
	cr_assert(strstr(err, "--frobnicate") != NULL, "%s", err);
}

Test(options, unknown_short_flag_is_named_in_the_error)
{
	cr_assert_eq(PARSE("-Z"), -1);
	cr_assert(strstr(err, "-Z") != NULL, "%s", err);
}

Test(options, missing_value_is_reported)
{
	cr_assert_eq(PARSE("--listen"), -1);
	cr_assert(strstr(err, "needs a value") != NULL, "%s", err);
}

Test(options, stray_argument_is_refused)
{
	cr_assert_eq(PARSE("7007"), -1);
	cr_assert(strstr(err, "unexpected argument '7007'") != NULL, "%s", err);
}

Test(options, listen_repeats_and_replaces_the_defaults)
{
	cr_assert_eq(PARSE("-l", "7000", "--listen", "127.0.0.1:7001=rot13"), 0);
	cr_assert_eq(opt.nlistens, 2);
	cr_assert_str_eq(opt.listens[0].serv, "7000");
	cr_assert_str_eq(opt.listens[1].host, "127.0.0.1");
	cr_assert_str_eq(opt.listens[1].handler, "rot13");
}

Test(options, bad_listen_address_is_refused)
{
	cr_assert_eq(PARSE("--listen", "127.0.0.1:"), -1);
	cr_assert(strstr(err, "bad listen address '127.0.0.1:'") != NULL,
	    "%s", err);
}

Test(options, backlog_must_be_positive)
{
	cr_assert_eq(PARSE("--backlog", "0"), -1);
	cr_assert_eq(PARSE("--backlog", "12x"), -1);
	cr_assert_eq(PARSE("--backlog", "64"), 0);
	cr_assert_eq(opt.backlog, 64);
}

Test(options, shutdown_timeout_is_seconds)
{
	cr_assert_eq(PARSE("-T", "-1"), -1);
	cr_assert_eq(PARSE("--shutdown-timeout", "3"), 0);
	cr_assert_eq(opt.shutdown_timeout, 3);
}

Test(options, idle_timeout_is_seconds_and_off_by_default)
{
	cr_assert_eq(PARSE("-v"), 0);
	cr_assert_eq(opt.timeout, 0);
	options_free(&opt);
	cr_assert_eq(PARSE("--timeout", "-1"), -1);
	cr_assert_eq(PARSE("--timeout", "86401"), -1);
	cr_assert_eq(PARSE("--timeout", "30"), 0);
	cr_assert_eq(opt.timeout, 30);
}

Test(options, verbosity_counts_and_quiet_silences)
{
	cr_assert_eq(PARSE("-v", "-v", "-v"), 0);
	cr_assert_eq(opt.verbosity, 2);
	options_free(&opt);
	cr_assert_eq(PARSE("-q"), 0);
	cr_assert_eq(opt.verbosity, -1);
}

Test(options, info_flags_return_their_action)
{
	cr_assert_eq(PARSE("--help"), 0);
	cr_assert_eq(action, OPTIONS_HELP);
	cr_assert_eq(PARSE("-V"), 0);
	cr_assert_eq(action, OPTIONS_VERSION);
	cr_assert_eq(PARSE("--list-models"), 0);
	cr_assert_eq(action, OPTIONS_LIST_MODELS);
	cr_assert_eq(PARSE("--list-handlers"), 0);
	cr_assert_eq(action, OPTIONS_LIST_HANDLERS);
}

Test(options, workers_and_threads_take_counts)
{
	cr_assert_eq(PARSE("--workers", "3", "-t", "7", "--queue-depth", "9",
	    "--max-requests", "100", "--max-conns", "50"), 0);
	cr_assert_eq(opt.workers, 3);
	cr_assert_eq(opt.threads, 7);
	cr_assert_eq(opt.queue_depth, 9);
	cr_assert_eq(opt.max_requests, 100);
	cr_assert_eq(opt.max_conns, 50);
}

Test(options, zero_workers_is_refused_by_name)
{
	cr_assert_eq(PARSE("--workers", "0"), -1);
	cr_assert(strstr(err, "bad --workers '0'") != NULL, "%s", err);
}

Test(options, workers_default_to_the_core_count)
{
	cr_assert_eq(PARSE("-v"), 0);
	cr_assert_geq(opt.workers, 1);
	cr_assert_eq(opt.max_requests, 0);
}

Test(options, accept_lock_kinds)
{
	cr_assert_eq(PARSE("--accept-lock", "fcntl"), 0);
	cr_assert_eq(opt.accept_lock, ACCEPT_LOCK_FCNTL);
	cr_assert_str_eq(accept_lock_name(opt.accept_lock), "fcntl");
	cr_assert_eq(PARSE("--accept-lock", "spin"), -1);
	cr_assert(strstr(err, "bad --accept-lock 'spin'") != NULL, "%s", err);
}

Test(options, control_takes_a_socket_path_for_master_models)
{
	char longpath[200];

	cr_assert_eq(PARSE("--model", "prefork", "--control", "/run/h.sock"),
	    0);
	cr_assert_str_eq(opt.control, "/run/h.sock");
	cr_assert_eq(PARSE("--model", "event"), 0);
	cr_assert_str_eq(opt.control, "");
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	cr_assert_eq(PARSE("--model", "prefork", "--control", longpath), -1);
	cr_assert(strstr(err, "bad --control") != NULL, "%s", err);
	cr_assert_eq(PARSE("--model", "prefork", "--control", ""), -1);
}

Test(options, control_is_refused_without_a_master)
{
	cr_assert_eq(PARSE("--model", "thread", "--control", "/tmp/s"), -1);
	cr_assert(strstr(err, "--control needs a model with a master") !=
	    NULL, "%s", err);
	cr_assert_eq(PARSE("--model", "prefork", "-X", "--control", "/tmp/s"),
	    -1);
	cr_assert(strstr(err, "not -X") != NULL, "%s", err);
}

Test(options, proxy_protocol_is_off_unless_asked_for)
{
	cr_assert_eq(PARSE("-l", "7000"), 0);
	cr_assert_eq(opt.proxy_protocol, 0);
	cr_assert_eq(opt.listens[0].proxy, 0);
	options_free(&opt);
	cr_assert_eq(PARSE("--proxy-protocol", "-l", "7000"), 0);
	cr_assert_eq(opt.proxy_protocol, 1);
}

Test(options, one_listener_takes_the_proxy_protocol)
{
	cr_assert_eq(PARSE("-l", "7000=echo,proxy", "-l", "7001=rot13"), 0);
	cr_assert_eq(opt.proxy_protocol, 0);
	cr_assert_eq(opt.listens[0].proxy, 1);
	cr_assert_str_eq(opt.listens[0].handler, "echo");
	cr_assert_eq(opt.listens[1].proxy, 0);
}

static struct listen_spec ls;

static int
spec(const char *text)
{
	err[0] = '\0';
	return listen_spec_parse(text, &ls, err, sizeof err);
}

Test(listen_spec, port_alone_is_wildcard_echo)
{
	cr_assert_eq(spec("7007"), 0);
	cr_assert_str_eq(ls.host, "");
	cr_assert_str_eq(ls.serv, "7007");
	cr_assert_str_eq(ls.handler, "echo");
}

Test(listen_spec, address_port_and_handler)
{
	cr_assert_eq(spec("127.0.0.1:1067=rot13"), 0);
	cr_assert_str_eq(ls.host, "127.0.0.1");
	cr_assert_str_eq(ls.serv, "1067");
	cr_assert_str_eq(ls.handler, "rot13");
}

Test(listen_spec, bracketed_ipv6)
{
	cr_assert_eq(spec("[::1]:7007"), 0);
	cr_assert_str_eq(ls.host, "::1");
	cr_assert_str_eq(ls.serv, "7007");
}

Test(listen_spec, bare_ipv6_asks_for_brackets)
{
	cr_assert_eq(spec("::1:7007"), -1);
	cr_assert(strstr(err, "brackets") != NULL, "%s", err);
}

Test(listen_spec, star_means_every_address)
{
	cr_assert_eq(spec("*:7007=discard"), 0);
	cr_assert_str_eq(ls.host, "");
	cr_assert_str_eq(ls.handler, "discard");
}

Test(listen_spec, service_name_is_kept_for_getaddrinfo)
{
	cr_assert_eq(spec("localhost:echo=echo"), 0);
	cr_assert_str_eq(ls.host, "localhost");
	cr_assert_str_eq(ls.serv, "echo");
}

Test(listen_spec, port_out_of_range_is_refused)
{
	cr_assert_eq(spec("70000"), -1);
	cr_assert_eq(spec("-1"), -1);
	cr_assert_eq(spec("65535"), 0);
}

Test(listen_spec, unknown_handler_is_named)
{
	cr_assert_eq(spec("7007=nosuch"), -1);
	cr_assert(strstr(err, "unknown handler 'nosuch'") != NULL, "%s", err);
}

Test(listen_spec, empty_parts_are_refused)
{
	cr_assert_eq(spec(""), -1);
	cr_assert_eq(spec("7007="), -1);
	cr_assert_eq(spec("[::1]7007"), -1);
	cr_assert_eq(spec("[]:7007"), -1);
	cr_assert_eq(spec("host:port with space"), -1);
}

Test(listen_spec, proxy_follows_the_handler)
{
	cr_assert_eq(spec("[::1]:8000=rot13,proxy"), 0);
	cr_assert_str_eq(ls.host, "::1");
	cr_assert_str_eq(ls.serv, "8000");
	cr_assert_str_eq(ls.handler, "rot13");
	cr_assert_eq(ls.proxy, 1);
	cr_assert_eq(spec("8000=echo"), 0);
	cr_assert_eq(ls.proxy, 0);
}

Test(listen_spec, unknown_listener_option_is_named)
{
	cr_assert_eq(spec("8000=echo,proxy_protocol"), -1);
	cr_assert(strstr(err, "unknown listener option 'proxy_protocol'") !=
	    NULL, "%s", err);
	cr_assert_eq(spec("8000=echo,"), -1);
	cr_assert(strstr(err, "unknown listener option ''") != NULL, "%s",
	    err);
}

Test(listen_spec, proxy_needs_a_handler)
{
	cr_assert_eq(spec("8000=,proxy"), -1);
	cr_assert(strstr(err, "expected [ADDR:]PORT[=HANDLER[,proxy]]") !=
	    NULL, "%s", err);
	cr_assert_eq(spec("8000,proxy"), -1);
}

Test(listen_spec, tcp_is_the_default_socket_type)
{
	cr_assert_eq(spec("7007"), 0);
	cr_assert_eq(ls.socktype, SOCK_STREAM);
	cr_assert_eq(spec("tcp:127.0.0.1:7007=rot13"), 0);
	cr_assert_eq(ls.socktype, SOCK_STREAM);
	cr_assert_str_eq(ls.host, "127.0.0.1");
	cr_assert_str_eq(ls.handler, "rot13");
}

Test(listen_spec, udp_prefix_makes_a_datagram_listener)
{
	cr_assert_eq(spec("udp:7007"), 0);
	cr_assert_eq(ls.socktype, SOCK_DGRAM);
	cr_assert_str_eq(ls.host, "");
	cr_assert_str_eq(ls.serv, "7007");
	cr_assert_str_eq(ls.handler, "echo");
}

Test(listen_spec, udp_with_address_and_handler)
{
	cr_assert_eq(spec("udp:127.0.0.1:8888=okay"), 0);
	cr_assert_eq(ls.socktype, SOCK_DGRAM);
	cr_assert_str_eq(ls.host, "127.0.0.1");
	cr_assert_str_eq(ls.serv, "8888");
	cr_assert_str_eq(ls.handler, "okay");
}

Test(listen_spec, udp_with_bracketed_ipv6)
{
	cr_assert_eq(spec("udp:[::1]:7007=rot13"), 0);
	cr_assert_eq(ls.socktype, SOCK_DGRAM);
	cr_assert_str_eq(ls.host, "::1");
	cr_assert_str_eq(ls.serv, "7007");
	cr_assert_eq(spec("udp:*:7007"), 0);
	cr_assert_str_eq(ls.host, "");
}

Test(listen_spec, proxy_is_refused_on_udp)
{
	cr_assert_eq(spec("udp:7007=echo,proxy"), -1);
	cr_assert(strstr(err, "proxy is for stream listeners") != NULL, "%s",
	    err);
}

Test(listen_spec, udp_refusals_show_the_whole_spec)
{
	cr_assert_eq(spec("udp:"), -1);
	cr_assert(strstr(err, "'udp:'") != NULL, "%s", err);
	cr_assert_eq(spec("udp:=echo"), -1);
	cr_assert_eq(spec("udp:::1:7007"), -1);
	cr_assert(strstr(err, "brackets") != NULL, "%s", err);
	cr_assert_eq(spec("udp:7007=nosuch"), -1);
	cr_assert(strstr(err, "'udp:7007=nosuch'") != NULL, "%s", err);
}
