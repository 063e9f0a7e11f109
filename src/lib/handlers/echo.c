/* echo - every byte back as it came (RFC 862). */
#include "config.h"

#include "herd.h"
#include "handlers.h"

static int
echo_data(void *st, const void *in, size_t len, struct herd_buf *out)
{
	(void)st;
	return herd_buf_append(out, in, len) == 0 ? HERD_CONTINUE : HERD_ERROR;
}

const struct herd_handler handler_echo = {
	.name = "echo",
	.summary = "send every byte back unchanged (RFC 862)",
	.on_data = echo_data,
};
