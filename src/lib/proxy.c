/*
 * proxy.c - parse the PROXY protocol header, v1 or v2 (see proxy.h).
 *
 * Written from HAProxy's doc/proxy-protocol.txt.  Strict where the spec
 * is strict (exactly one space, no leading zeroes, CRLF and nothing
 * else, unassigned v2 values refused): the header only ever comes from
 * a proxy we trust, so anything odd means a misconfigured listener or
 * somebody probing it, and the connection must go.  Checks run on the
 * bytes already there, so "GET / HTTP/1.1" is refused at its first byte
 * instead of after a timeout, yet every prefix of a valid header still
 * asks for more.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"

#define V1_PREFIX	"PROXY "
#define V1_PREFIXLEN	6
#define V2_SIGLEN	12
#define V2_FIXED	16	/* signature, ver/cmd, fam/proto, length */
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_TLV_HEAD	3	/* type, length high, length low */

/* Chosen so that no other protocol's first bytes look like it. */
static const unsigned char v2_sig[V2_SIGLEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static const char *const v1_field[] = {
	"source address", "destination address", "source port",
	"destination port",
};

static int	proxy_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
proxy_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return PROXY_ERROR;
}

/* addr is 4 or 16 bytes in network order, port too. */
static socklen_t
proxy_sockaddr(struct sockaddr_storage *ss, int af, const void *addr,
    const void *port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		memcpy(&sin->sin_port, port, 2);
		return sizeof *sin;
	}
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, 16);
	memcpy(&sin6->sin6_port, port, 2);
	return sizeof *sin6;
}

/* --- v1: "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n" ---------- */

/*
 * Find the CRLF ending the line.  Returns the line's length with CRLF,
 * PROXY_NEED_MORE or PROXY_ERROR.  Bytes a valid line cannot hold are
 * refused as soon as they arrive.
 */
static int
v1_scan(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	size_t i, n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;

	if (memcmp(b, V1_PREFIX, len < V1_PREFIXLEN ? len : V1_PREFIXLEN))
		return proxy_fail(err, errlen, "no PROXY header: the "
		    "connection starts with neither \"PROXY \" nor the v2 "
		    "signature");
	for (i = V1_PREFIXLEN; i < n; i++) {
		if (b[i] == '\r') {
			if (i + 2 > PROXY_V1_MAX)
				break;
			if (i + 1 == len)
				return PROXY_NEED_MORE;
			if (b[i + 1] != '\n')
				return proxy_fail(err, errlen, "v1 line has a "
				    "CR without LF at byte %zu", i);
			return (int)i + 2;
		}
		if (b[i] == '\n')
			return proxy_fail(err, errlen, "v1 line ends in LF "
			    "without CR at byte %zu", i);
		if (b[i] < 0x20 || b[i] > 0x7e)
			return proxy_fail(err, errlen, "v1 line has byte "
			    "0x%02x at %zu, not printable ASCII", b[i], i);
	}
	if (len >= PROXY_V1_MAX)
		return proxy_fail(err, errlen, "v1 line has no CRLF in its "
		    "first %d bytes", PROXY_V1_MAX);
	return PROXY_NEED_MORE;
}

/* A decimal port, 0 to 65535, without leading zeroes. */
static int
v1_port(const char *name, const char *s, void *port, char *err,
    size_t errlen)
{
	size_t i, n = strlen(s);
	unsigned long v = 0;
	uint16_t p;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return proxy_fail(err, errlen, "v1 %s '%.8s' is not a "
			    "number", name, s);
	if (n > 1 && s[0] == '0')
		return proxy_fail(err, errlen, "v1 %s '%.8s' has a leading "
		    "zero", name, s);
	for (i = 0; i < n && v <= 65535; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (v > 65535)
		return proxy_fail(err, errlen, "v1 %s '%.8s' is out of range "
		    "(0 to 65535)", name, s);
	p = htons((uint16_t)v);
	memcpy(port, &p, sizeof p);
	return 0;
}

/*
 * Split the four fields after "TCP4 " in place.  A field that comes
 * out empty means two spaces in a row, or a space at the end.
 */
static int
v1_split(char *p, char *field[4], char *err, size_t errlen)
{
	char *sp;
	int i;

	for (i = 0; i < 4; i++) {
		field[i] = p;
		if ((sp = strchr(p, ' ')) != NULL) {
			*sp = '\0';
			p = sp + 1;
		}
		if (*field[i] == '\0')
			return proxy_fail(err, errlen, "v1 %s is empty: fields "
			    "are separated by exactly one space",
			    v1_field[i]);
		if (i < 3 && sp == NULL)
			return proxy_fail(err, errlen, "v1 line ends before "
			    "its %s", v1_field[i + 1]);
		if (i == 3 && sp != NULL)
			return proxy_fail(err, errlen, "v1 line has more than "
			    "addresses and ports after the protocol");
	}
	return 0;
}

/* line is the header without its CRLF, NUL-terminated, ours to cut. */
static int
v1_parse(char *line, struct proxy_header *out, char *err, size_t errlen)
{
	char *proto = line + V1_PREFIXLEN, *field[4] = { "", "", "", "" };
	unsigned char addr[2][16], port[2][2];
	size_t word = strcspn(proto, " ");
	int af, i;

	out->version = 1;
	out->socktype = SOCK_STREAM;
	/* UNKNOWN: whatever follows is to be ignored, even garbage. */
	if (word == 7 && strncmp(proto, "UNKNOWN", 7) == 0)
		return 0;
	if (word == 4 && strncmp(proto, "TCP4", 4) == 0)
		af = AF_INET;
	else if (word == 4 && strncmp(proto, "TCP6", 4) == 0)
		af = AF_INET6;
	else
		return proxy_fail(err, errlen, "v1 protocol '%.*s' is not "
		    "TCP4, TCP6 or UNKNOWN", word > 16 ? 16 : (int)word,
		    proto);
	if (proto[word] != ' ')
		return proxy_fail(err, errlen, "v1 line ends after %.4s: "
		    "no addresses", proto);
	if (v1_split(proto + word + 1, field, err, errlen) < 0)
		return PROXY_ERROR;
	for (i = 0; i < 2; i++)
		if (inet_pton(af, field[i], addr[i]) != 1)
			return proxy_fail(err, errlen, "v1 %s '%.45s' is not "
			    "an %s address", v1_field[i], field[i],
			    af == AF_INET ? "IPv4" : "IPv6");
	for (i = 0; i < 2; i++)
		if (v1_port(v1_field[2 + i], field[2 + i], port[i], err,
		    errlen) < 0)
			return PROXY_ERROR;
	out->addrlen = proxy_sockaddr(&out->src, af, addr[0], port[0]);
	proxy_sockaddr(&out->dst, af, addr[1], port[1]);
	return 0;
}

static int
proxy_v1(const unsigned char *b, size_t len, struct proxy_header *out,
    char *err, size_t errlen)
{
	char line[PROXY_V1_MAX + 1];
	int n;

	/* A found line is at least its CRLF long; below that: the verdict. */
	if ((n = v1_scan(b, len, err, errlen)) < 2)
		return n < 0 ? PROXY_ERROR : PROXY_NEED_MORE;
	memcpy(line, b, (size_t)n - 2);
	line[n - 2] = '\0';
	return v1_parse(line, out, err, errlen) < 0 ? PROXY_ERROR : n;
}

/* --- v2: signature, 0x21, 0x11, length, addresses, TLVs ------------- */

/*
 * Bytes of address block for a family/protocol byte, or -1 for one the
 * spec does not assign.  Only the seven combinations it lists count;
 * 0x00 carries no addresses.
 */
static int
v2_addr_size(unsigned char fam)
{
	switch (fam) {
	case 0x00:
		return 0;
	case 0x11: case 0x12:		/* TCP, UDP over IPv4 */
		return 2 * 4 + 2 * 2;
	case 0x21: case 0x22:		/* TCP, UDP over IPv6 */
		return 2 * 16 + 2 * 2;
	case 0x31: case 0x32:		/* AF_UNIX stream, datagram */
		return 2 * 108;
	}
	return -1;
}

/*
 * Check the fixed 16 bytes, as far as they have arrived.  Returns the
 * total header length once the length field is in, PROXY_NEED_MORE
 * before, or PROXY_ERROR.
 */
static int
v2_fixed(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	size_t hlen;
	int asize = 0;

	if (memcmp(b, v2_sig, len < V2_SIGLEN ? len : V2_SIGLEN) != 0)
		return proxy_fail(err, errlen, "bad v2 signature");
	if (len > 12 && b[12] >> 4 != 2)
		return proxy_fail(err, errlen, "v2 header has version %u, "
		    "not 2", b[12] >> 4);
	if (len > 12 && (b[12] & 0xf) > V2_CMD_PROXY)
		return proxy_fail(err, errlen, "v2 command 0x%x is neither "
		    "LOCAL nor PROXY", b[12] & 0xf);
	if (len > 13 && (asize = v2_addr_size(b[13])) < 0)
		return proxy_fail(err, errlen, "bad v2 address family and "
		    "protocol 0x%02x", b[13]);
	if (len < V2_FIXED)
		return PROXY_NEED_MORE;
	hlen = (size_t)b[14] << 8 | b[15];
	if (hlen > PROXY_V2_LEN_MAX)
		return proxy_fail(err, errlen, "v2 length %zu is beyond the "
		    "limit of %d", hlen, PROXY_V2_LEN_MAX);
	/* LOCAL ignores the addresses, so it need not carry them. */
	if ((b[12] & 0xf) == V2_CMD_PROXY && hlen < (size_t)asize)
		return proxy_fail(err, errlen, "v2 length %zu is too short "
		    "for the %d address bytes of family 0x%02x", hlen, asize,
		    b[13]);
	return (int)(V2_FIXED + hlen);
}

/*
 * Walk the TLVs in b[off..end) without reading any: the length is all
 * that is checked, so that a TLV claiming more than the header holds
 * is refused rather than skipped past the end.
 */
static int
v2_tlvs(const unsigned char *b, size_t off, size_t end, char *err,
    size_t errlen)
{
	size_t vlen;

	while (off < end) {
		if (end - off < V2_TLV_HEAD)
			return proxy_fail(err, errlen, "v2 TLV at byte %zu is "
			    "cut short: %zu bytes left, 3 needed", off,
			    end - off);
		vlen = (size_t)b[off + 1] << 8 | b[off + 2];
		if (vlen > end - off - V2_TLV_HEAD)
			return proxy_fail(err, errlen, "v2 TLV 0x%02x at byte "
			    "%zu claims %zu bytes, only %zu left", b[off], off,
			    vlen, end - off - V2_TLV_HEAD);
		off += V2_TLV_HEAD + vlen;
	}
	return 0;
}

static int
proxy_v2(const unsigned char *b, size_t len, struct proxy_header *out,
    char *err, size_t errlen)
{
	const unsigned char *a = b + V2_FIXED;
	int n, asize;

	if ((n = v2_fixed(b, len, err, errlen)) <= 0 || len < (size_t)n)
		return n <= 0 ? n : PROXY_NEED_MORE;
	asize = v2_addr_size(b[13]);
	/* A LOCAL header too short for its addresses has no TLVs either. */
	if (V2_FIXED + (size_t)asize <= (size_t)n && v2_tlvs(b,
	    V2_FIXED + (size_t)asize, (size_t)n, err, errlen) < 0)
		return PROXY_ERROR;
	out->version = 2;
	if ((b[12] & 0xf) == V2_CMD_LOCAL) {
		out->local = 1;
		return n;
	}
	out->socktype = (b[13] & 0xf) == 0x1 ? SOCK_STREAM :
	    (b[13] & 0xf) == 0x2 ? SOCK_DGRAM : 0;
	/* AF_UNIX paths mean nothing here: keep the real endpoints. */
	if (b[13] >> 4 == 0x1) {
		out->addrlen = proxy_sockaddr(&out->src, AF_INET, a, a + 8);
		proxy_sockaddr(&out->dst, AF_INET, a + 4, a + 10);
	} else if (b[13] >> 4 == 0x2) {
		out->addrlen = proxy_sockaddr(&out->src, AF_INET6, a, a + 32);
		proxy_sockaddr(&out->dst, AF_INET6, a + 16, a + 34);
	}
	return n;
}

int
proxy_parse(const void *buf, size_t len, struct proxy_header *out,
    char *err, size_t errlen)
{
	const unsigned char *b = buf;

	memset(out, 0, sizeof *out);
	if (errlen > 0)
		err[0] = '\0';
	if (len == 0)
		return PROXY_NEED_MORE;
	if (b[0] == v2_sig[0])
		return proxy_v2(b, len, out, err, errlen);
	return proxy_v1(b, len, out, err, errlen);
}
