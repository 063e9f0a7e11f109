/*
 * rot13 - rotate ASCII letters by 13; every other byte, NUL and
 * non-ASCII included, passes through untouched.
 */
#include "config.h"

#include "herd.h"
#include "handlers.h"

unsigned char
rot13_byte(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return (unsigned char)('a' + (c - 'a' + 13) % 26);
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)('A' + (c - 'A' + 13) % 26);
	return c;
}

static int
rot13_data(void *st, const void *in, size_t len, struct herd_buf *out)
{
	const unsigned char *src = in;
	unsigned char *dst;
	size_t i;

	(void)st;
	if (len == 0)
		return HERD_CONTINUE;
	if ((dst = herd_buf_reserve(out, len)) == NULL)
		return HERD_ERROR;
	for (i = 0; i < len; i++)
		dst[i] = rot13_byte(src[i]);
	out->len += len;
	return HERD_CONTINUE;
}

const struct herd_handler handler_rot13 = {
	.name = "rot13",
	.summary = "rotate ASCII letters by 13, pass other bytes through",
	.on_data = rot13_data,
};
