/*
 * fuzz-proxy.c - libFuzzer target for proxy_parse().
 *
 * The input is what a peer sends first on a --proxy-protocol listener,
 * so anybody able to connect there chooses these bytes.  Beyond "no
 * crash, no read past len" (AddressSanitizer sees to that: libFuzzer
 * and the prefixes below hand over buffers of exactly len bytes), it
 * checks what the connection code will rely on:
 *
 *  - the answer is need-more, a refusal with a reason, or a length
 *    within both the input and PROXY_HEADER_MAX;
 *  - an accepted header names AF_INET, AF_INET6 or AF_UNSPEC, with an
 *    address length to match;
 *  - more bytes never change an answer once given: a header split
 *    across reads parses as it does whole.
 *
 *	clang -fsanitize=fuzzer,address,undefined -DHAVE_CONFIG_H -I. \
 *	    -Iinclude -Isrc/lib tests/fuzz/fuzz-proxy.c src/lib/proxy.c
 *	./a.out tests/fuzz/corpus/proxy
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define fuzz_check(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Parse the first n bytes from a buffer of exactly n bytes. */
static int
fuzz_parse_prefix(const uint8_t *data, size_t n, struct proxy_header *h,
    char *err, size_t errlen)
{
	uint8_t *copy;
	int r;

	if ((copy = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(copy, data, n);
	r = proxy_parse(copy, n, h, err, errlen);
	free(copy);
	return r;
}

static void
fuzz_check_header(const struct proxy_header *h, int r, size_t len)
{
	fuzz_check((size_t)r <= len);
	fuzz_check(r <= PROXY_HEADER_MAX);
	fuzz_check(h->version == 1 || h->version == 2);
	fuzz_check(h->version == 2 || r <= PROXY_V1_MAX);
	fuzz_check(h->src.ss_family == h->dst.ss_family);
	switch (h->src.ss_family) {
	case AF_INET:
		fuzz_check(h->addrlen == sizeof(struct sockaddr_in));
		break;
	case AF_INET6:
		fuzz_check(h->addrlen == sizeof(struct sockaddr_in6));
		break;
	case AF_UNSPEC:
		fuzz_check(h->addrlen == 0);
		break;
	default:
		fuzz_check(!"family is AF_INET, AF_INET6 or AF_UNSPEC");
	}
	fuzz_check(!h->local || h->src.ss_family == AF_UNSPEC);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proxy_header h, hp;
	char err[PROXY_ERRLEN], errp[PROXY_ERRLEN];
	int r, rp;

	r = proxy_parse(data, len, &h, err, sizeof err);
	fuzz_check(r >= PROXY_ERROR);
	if (r == PROXY_ERROR)
		fuzz_check(err[0] != '\0');
	else if (r == PROXY_NEED_MORE)
		fuzz_check(len < PROXY_HEADER_MAX);
	else
		fuzz_check_header(&h, r, len);

	/* A prefix agrees with the whole: half of it, and the header. */
	rp = fuzz_parse_prefix(data, len / 2, &hp, errp, sizeof errp);
	if (rp == PROXY_ERROR)
		fuzz_check(r == PROXY_ERROR && strcmp(err, errp) == 0);
	else if (rp > 0)
		fuzz_check(rp == r && memcmp(&h, &hp, sizeof h) == 0);
	if (r == PROXY_NEED_MORE)
		fuzz_check(rp == PROXY_NEED_MORE);
	if (r > 0) {
		rp = fuzz_parse_prefix(data, (size_t)r, &hp, errp,
		    sizeof errp);
		fuzz_check(rp == r && memcmp(&h, &hp, sizeof h) == 0);
		rp = fuzz_parse_prefix(data, (size_t)r - 1, &hp, errp,
		    sizeof errp);
		fuzz_check(rp == PROXY_NEED_MORE);
	}
	return 0;
}
