/* discard - read and throw away (RFC 863), as inetd's built-in. */
#include "config.h"

#include "herd.h"
#include "handlers.h"

static int
discard_data(void *st, const void *in, size_t len, struct herd_buf *out)
{
	(void)st, (void)in, (void)len, (void)out;
	return HERD_CONTINUE;
}

const struct herd_handler handler_discard = {
	.name = "discard",
	.summary = "read and throw away everything (RFC 863)",
	.on_data = discard_data,
};
