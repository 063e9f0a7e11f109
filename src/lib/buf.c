/*
 * buf.c - the growable output buffer handlers append to.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "herd.h"

unsigned char *
herd_buf_reserve(struct herd_buf *b, size_t n)
{
	size_t cap;
	unsigned char *p;

	if (n > SIZE_MAX - b->len) {
		errno = ENOMEM;
		return NULL;
	}
	if (b->len + n <= b->cap)
		return b->data + b->len;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return NULL;
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

int
herd_buf_append(struct herd_buf *b, const void *src, size_t n)
{
	unsigned char *p;

	if (n == 0)
		return 0;
	if ((p = herd_buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(p, src, n);
	b->len += n;
	return 0;
}

void
herd_buf_free(struct herd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
