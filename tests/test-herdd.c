/*
 * test-herdd.c - the daemon's command line: bad input gets one clear
 * line and a sysexits code, the listing flags list.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "harness.h"

static char out[1 << 14];

TestSuite(herdd, .timeout = 30);

static int
run(const char *fdnames, const char *const *args)
{
	int status = herdd_run(fdnames, args, out, sizeof out);

	cr_assert_neq(status, -1, "herdd ran to its end");
	cr_assert(WIFEXITED(status), "herdd exited (0x%x)", status);
	return WEXITSTATUS(status);
}

#define RUN(...)	run(NULL, (const char *[]){ __VA_ARGS__, NULL })

Test(herdd, unknown_flag_exits_64_naming_it)
{
	cr_assert_eq(RUN("--bogus"), EX_USAGE);
	cr_assert(strstr(out, "herdd: unknown option '--bogus'") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "Try 'herdd --help'") != NULL, "%s", out);
}

Test(herdd, unknown_model_exits_64)
{
	cr_assert_eq(RUN("--model", "nosuch"), EX_USAGE);
	cr_assert(strstr(out, "unknown model 'nosuch'") != NULL, "%s", out);
}

Test(herdd, unknown_handler_exits_64)
{
	cr_assert_eq(RUN("--listen", "7007=nosuch"), EX_USAGE);
	cr_assert(strstr(out, "unknown handler 'nosuch'") != NULL, "%s", out);
}

Test(herdd, malformed_address_exits_64)
{
	cr_assert_eq(RUN("--listen", "::1:7007"), EX_USAGE);
	cr_assert(strstr(out, "bad listen address '::1:7007'") != NULL,
	    "%s", out);
}

Test(herdd, port_in_use_exits_69_naming_the_address)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	char spec[64], want[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	cr_assert(listen(fd, 1) == 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	snprintf(spec, sizeof spec, "127.0.0.1:%d", ntohs(sin.sin_port));
	snprintf(want, sizeof want, "herdd: bind %s: Address already in use",
	    spec);
	cr_assert_eq(RUN("--listen", spec), EX_UNAVAILABLE);
	cr_assert(strstr(out, want) != NULL, "%s", out);
	close(fd);
}

Test(herdd, socket_named_for_no_handler_exits_64)
{
	cr_assert_eq(run("nosuch", NULL), EX_USAGE);
	cr_assert(strstr(out, "named 'nosuch'") != NULL, "%s", out);
}

Test(herdd, help_exits_0_with_usage)
{
	cr_assert_eq(RUN("--help"), 0);
	cr_assert(strncmp(out, "Usage: herdd", 12) == 0, "%s", out);
	cr_assert(strstr(out, "--listen") != NULL);
}

Test(herdd, version_names_the_package)
{
	cr_assert_eq(RUN("--version"), 0);
	cr_assert(strstr(out, "herdd (herd) " PACKAGE_VERSION) != NULL,
	    "%s", out);
}

Test(herdd, list_models_shows_every_model)
{
	cr_assert_eq(RUN("--list-models"), 0);
	cr_assert(strstr(out, "iterative ") != NULL, "%s", out);
	cr_assert(strstr(out, "fork ") != NULL, "%s", out);
}

Test(herdd, list_handlers_shows_the_builtins)
{
	cr_assert_eq(RUN("--list-handlers"), 0);
	cr_assert(strstr(out, "echo ") != NULL, "%s", out);
	cr_assert(strstr(out, "rot13 ") != NULL, "%s", out);
	cr_assert(strstr(out, "discard ") != NULL, "%s", out);
	cr_assert(strstr(out, "daytime ") != NULL, "%s", out);
}
