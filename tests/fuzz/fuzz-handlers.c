/*
 * fuzz-handlers.c - libFuzzer target: every registered handler, fed
 * the input in chunks whose sizes the input itself picks.
 *
 * Beyond "no crash, no leak" it checks what each built-in promises:
 * echo returns the input unchanged, rot13 changes only ASCII letters
 * and is its own inverse, discard returns nothing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "herd.h"
#include "handlers/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct herd_handler *h, const uint8_t *in, size_t len,
    const struct herd_buf *out)
{
	size_t i;

	if (strcmp(h->name, "echo") == 0 &&
	    (out->len != len || (len > 0 && memcmp(out->data, in, len) != 0)))
		abort();
	if (strcmp(h->name, "rot13") == 0) {
		if (out->len != len)
			abort();
		for (i = 0; i < len; i++)
			if (out->data[i] != rot13_byte(in[i]) ||
			    rot13_byte(out->data[i]) != in[i])
				abort();
	}
	if (strcmp(h->name, "discard") == 0 && out->len != 0)
		abort();
}

static void
run_handler(const struct herd_handler *h, const uint8_t *data, size_t size)
{
	struct herd_peer peer = { NULL, 0, "127.0.0.1", "7" };
	struct herd_buf out = { NULL, 0, 0 };
	const uint8_t *in;
	size_t left, chunk, fed = 0;
	void *st;
	int verdict = HERD_CONTINUE;

	if (size == 0)
		return;
	chunk = (size_t)data[0] + 1;	/* 1..256 bytes a call */
	in = data + 1;
	left = size - 1;
	if ((st = calloc(1, h->state_size ? h->state_size : 1)) == NULL)
		abort();
	if (h->on_open != NULL)
		verdict = h->on_open(st, &peer, &out);
	if (strcmp(h->name, "daytime") != 0)
		out.len = 0;		/* greetings are not part of the echo */
	while (verdict == HERD_CONTINUE && h->on_data != NULL) {
		size_t n = left - fed < chunk ? left - fed : chunk;

		verdict = h->on_data(st, in + fed, n, &out);
		if (n == 0)		/* the half-close call */
			break;
		fed += n;
	}
	if (verdict == HERD_CONTINUE && h->on_data != NULL)
		check(h, in, left, &out);
	if (h->on_close != NULL)
		h->on_close(st);
	free(st);
	herd_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct herd_handler *h;
	size_t i;

	for (i = 0; (h = herd_handler_at(i)) != NULL; i++)
		run_handler(h, data, size);
	return 0;
}
