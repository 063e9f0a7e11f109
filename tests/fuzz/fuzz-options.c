/*
 * fuzz-options.c - libFuzzer target: herdd's whole command line.  The
 * input is split at NUL bytes into at most 15 arguments; the parser
 * must accept or refuse with a message, never crash or leak.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXARGS	16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct herd_options opt;
	enum options_action action;
	char err[OPT_ERRLEN], *buf, *argv[MAXARGS + 1], *p;
	int argc = 1;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "herdd";
	for (p = buf; argc < MAXARGS && p < buf + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	err[0] = '\0';
	if (options_parse(&opt, argc, argv, &action, err, sizeof err) < 0 &&
	    err[0] == '\0')
		abort();
	options_free(&opt);
	free(buf);
	return 0;
}
