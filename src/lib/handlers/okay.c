/*
 * okay - the lecture's UDP server's reply: "OK..." and then what was
 * sent.  Line by line, so it means the same over TCP: each line gets
 * the prefix as its first byte arrives.  A datagram "hi" gets "OK...hi"
 * back, a line "hi\n" gets "OK...hi\n", and nothing sent, nothing
 * back (no dangling prefix after the last newline).
 */
#include "config.h"

#include <string.h>

#include "herd.h"
#include "handlers.h"

#define OKAY_PREFIX	"OK..."

struct okay {
	int	mid_line;	/* a line was begun and not ended */
};

static int
okay_data(void *st, const void *in, size_t len, struct herd_buf *out)
{
	struct okay *ok = st;
	const unsigned char *p = in, *end = p + len, *nl;
	size_t n;

	while (p < end) {
		if (!ok->mid_line && herd_buf_append(out, OKAY_PREFIX,
		    sizeof OKAY_PREFIX - 1) < 0)
			return HERD_ERROR;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (herd_buf_append(out, p, n) < 0)
			return HERD_ERROR;
		ok->mid_line = nl == NULL;
		p += n;
	}
	return HERD_CONTINUE;
}

const struct herd_handler handler_okay = {
	.name = "okay",
	.summary = "prefix each line (each datagram) with \"OK...\"",
	.state_size = sizeof(struct okay),
	.on_data = okay_data,
};
