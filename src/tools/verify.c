/*
 * verify.c - see verify.h.
 */
#include "config.h"

#include <string.h>

#include "handlers/handlers.h"
#include "verify.h"

int
verify_mode_parse(const char *s, enum verify_mode *m)
{
	if (strcmp(s, "echo") == 0)
		*m = VERIFY_ECHO;
	else if (strcmp(s, "rot13") == 0)
		*m = VERIFY_ROT13;
	else if (strcmp(s, "none") == 0)
		*m = VERIFY_NONE;
	else
		return -1;
	return 0;
}

const char *
verify_mode_name(enum verify_mode m)
{
	switch (m) {
	case VERIFY_ECHO:
		return "echo";
	case VERIFY_ROT13:
		return "rot13";
	case VERIFY_NONE:
		break;
	}
	return "none";
}

void
verify_expect(enum verify_mode m, const unsigned char *msg, size_t len,
    unsigned char *want)
{
	size_t i;

	for (i = 0; i < len; i++)	/* the server's own rot13_byte() */
		want[i] = m == VERIFY_ROT13 ? rot13_byte(msg[i]) : msg[i];
}

/* Count the differing bytes of two equal-length runs. */
static size_t
verify_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i, bad = 0;

	if (memcmp(a, b, n) == 0)
		return 0;
	for (i = 0; i < n; i++)
		bad += a[i] != b[i];
	return bad;
}

size_t
verify_chunk(enum verify_mode m, const unsigned char *want, size_t len,
    uint64_t off, const unsigned char *got, size_t n)
{
	size_t at, run, bad = 0;

	if (m == VERIFY_NONE || len == 0)
		return 0;
	at = (size_t)(off % len);
	while (n > 0) {
		run = len - at < n ? len - at : n;
		bad += verify_diff(want + at, got, run);
		got += run;
		n -= run;
		at = 0;
	}
	return bad;
}

void
verify_fill(unsigned char *msg, size_t len)
{
	static const char text[] = "The quick brown fox jumps over the "
	    "lazy dog 0123456789 THE QUICK BROWN FOX\n";
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 61 == 60)
			msg[i] = (unsigned char)(i % 2 ? 0 : 0xe9);
		else
			msg[i] = (unsigned char)text[i % (sizeof text - 1)];
	}
	if (len > 0)
		msg[len - 1] = '\n';	/* line based peers see whole lines */
}
