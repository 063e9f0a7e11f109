/*
 * fuzz-listen-spec.c - libFuzzer target: the --listen parser takes
 * any bytes and either refuses them or yields a spec that holds
 * together (a known handler, a non-empty service).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "herd.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listen_spec ls;
	char err[OPT_ERRLEN], *text;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (listen_spec_parse(text, &ls, err, sizeof err) == 0) {
		if (ls.serv[0] == '\0' || herd_handler_find(ls.handler) == NULL)
			abort();
	} else if (err[0] == '\0')
		abort();		/* a refusal always says why */
	free(text);
	return 0;
}
