/*
 * verify.h - what echo or rot13 must send back, checked byte by byte.
 *
 * herd-load sends the same message over and over, so the reply stream
 * on a connection is the expected reply repeated: a chunk read at
 * stream offset off is compared with want[(off + i) % len].  The
 * expected reply is computed once, so checking costs a memcmp.
 */
#ifndef HERD_VERIFY_H
#define HERD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

enum verify_mode {
	VERIFY_NONE,
	VERIFY_ECHO,
	VERIFY_ROT13,
};

/* "echo", "rot13" or "none"; -1 for anything else. */
int	verify_mode_parse(const char *, enum verify_mode *);
const char *verify_mode_name(enum verify_mode);

/* The reply the server owes for msg: want gets len bytes. */
void	verify_expect(enum verify_mode, const unsigned char *msg, size_t len,
	    unsigned char *want);

/*
 * Compare n bytes got, read at reply stream offset off, with the
 * expected reply want of len bytes repeated.  Returns how many bytes
 * differ (0 when all match, always 0 for VERIFY_NONE).
 */
size_t	verify_chunk(enum verify_mode, const unsigned char *want, size_t len,
	    uint64_t off, const unsigned char *got, size_t n);

/* A message of len bytes with letters, digits, NUL and high bytes. */
void	verify_fill(unsigned char *msg, size_t len);

#endif
