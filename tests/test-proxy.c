/*
 * test-proxy.c - the PROXY protocol parser: v1 and v2 headers as
 * HAProxy sends them, split at every byte, and each way of getting one
 * wrong.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net.h"
#include "proxy.h"

static struct proxy_header h;
static char err[PROXY_ERRLEN];

TestSuite(proxy);

/* --- helpers ---------------------------------------------------------- */

#define V1(s)	(s), sizeof(s) - 1

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 'Q', 'U', 'I', 'T', 0x0a
};

/* A v2 header: signature, ver/cmd, fam/proto, then len body bytes. */
static size_t
v2(unsigned char *out, uint8_t vercmd, uint8_t fam, const void *body,
    size_t len)
{
	memcpy(out, sig, sizeof sig);
	out[12] = vercmd;
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	if (len > 0)		/* body may be NULL: memcpy must not see it */
		memcpy(out + 16, body, len);
	return 16 + len;
}

/* 192.0.2.1:56324 -> 198.51.100.7:443, then TLVs if any. */
static const unsigned char ipv4_body[] = {
	192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb,
};

static const unsigned char ipv6_body[] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x30, 0x39, 0x1f, 0x5f,
};

/* An ALPN "h2", an empty NOOP and an AUTHORITY "herd". */
static const unsigned char tlvs[] = {
	0x01, 0x00, 0x02, 'h', '2',
	0x04, 0x00, 0x00,
	0x02, 0x00, 0x04, 'h', 'e', 'r', 'd',
};

static size_t
v2_ipv4_with_tlvs(unsigned char *out)
{
	unsigned char body[sizeof ipv4_body + sizeof tlvs];

	memcpy(body, ipv4_body, sizeof ipv4_body);
	memcpy(body + sizeof ipv4_body, tlvs, sizeof tlvs);
	return v2(out, 0x21, 0x11, body, sizeof body);
}

static void
assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char name[NET_NAMELEN];

	net_addr_name((const struct sockaddr *)ss, h.addrlen, name,
	    sizeof name);
	cr_assert_str_eq(name, want);
}

/*
 * Parse n bytes placed at the very end of a page whose successor is
 * unmapped: a read past n faults instead of passing unnoticed.
 */
static int
parse_at_page_end(const void *buf, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	int r;

	cr_assert_leq(n, (size_t)pg);
	p = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	cr_assert_eq(mprotect(p + pg, (size_t)pg, PROT_NONE), 0);
	memcpy(p + pg - n, buf, n);
	r = proxy_parse(p + pg - n, n, &h, err, sizeof err);
	munmap(p, 2 * (size_t)pg);
	return r;
}

static void
assert_every_prefix_needs_more(const void *buf, size_t n)
{
	size_t k;
	int r;

	for (k = 0; k < n; k++) {
		r = parse_at_page_end(buf, k);
		cr_assert_eq(r, PROXY_NEED_MORE, "prefix of %zu of %zu bytes: "
		    "%d (%s)", k, n, r, err);
	}
	cr_assert_eq(parse_at_page_end(buf, n), (int)n, "%s", err);
}

static void
assert_refused(const void *buf, size_t n, const char *why)
{
	int r = parse_at_page_end(buf, n);

	cr_assert_eq(r, PROXY_ERROR, "returned %d", r);
	cr_assert(strstr(err, why) != NULL, "reason '%s' lacks '%s'", err,
	    why);
}

/* --- v1 --------------------------------------------------------------- */

Test(proxy, v1_tcp4_gives_source_and_destination)
{
	const char *s = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";

	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    (int)strlen(s), "%s", err);
	cr_assert_eq(h.version, 1);
	cr_assert_eq(h.socktype, SOCK_STREAM);
	cr_assert_eq(h.src.ss_family, AF_INET);
	cr_assert_eq(h.addrlen, sizeof(struct sockaddr_in));
	assert_addr(&h.src, "192.0.2.1:56324");
	assert_addr(&h.dst, "198.51.100.7:443");
}

Test(proxy, v1_tcp6_gives_source_and_destination)
{
	const char *s = "PROXY TCP6 2001:db8::1 2001:DB8:0:0:0:0:0:2 "
	    "12345 8031\r\n";

	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    (int)strlen(s), "%s", err);
	cr_assert_eq(h.src.ss_family, AF_INET6);
	cr_assert_eq(h.addrlen, sizeof(struct sockaddr_in6));
	assert_addr(&h.src, "[2001:db8::1]:12345");
	assert_addr(&h.dst, "[2001:db8::2]:8031");
}

Test(proxy, v1_unknown_keeps_the_real_endpoints)
{
	cr_assert_eq(proxy_parse(V1("PROXY UNKNOWN\r\n"), &h, err,
	    sizeof err), 15, "%s", err);
	cr_assert_eq(h.version, 1);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
	cr_assert_eq(h.addrlen, 0);
}

Test(proxy, v1_unknown_ignores_the_rest_of_its_line)
{
	const char *s = "PROXY UNKNOWN whatever  follows is ignored\r\n";

	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    (int)strlen(s), "%s", err);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
}

Test(proxy, v1_longest_line_of_107_bytes_is_accepted)
{
	const char *s = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

	cr_assert_eq(strlen(s), PROXY_V1_MAX);
	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    PROXY_V1_MAX, "%s", err);
}

Test(proxy, v1_ports_0_and_65535_are_in_range)
{
	const char *s = "PROXY TCP4 10.0.0.1 10.0.0.2 0 65535\r\n";

	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    (int)strlen(s), "%s", err);
	assert_addr(&h.src, "10.0.0.1:0");
	assert_addr(&h.dst, "10.0.0.2:65535");
}

/* --- v2 --------------------------------------------------------------- */

Test(proxy, v2_ipv4_gives_source_and_destination)
{
	unsigned char b[64];
	size_t n = v2(b, 0x21, 0x11, ipv4_body, sizeof ipv4_body);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), 28, "%s", err);
	cr_assert_eq(h.version, 2);
	cr_assert_eq(h.local, 0);
	cr_assert_eq(h.socktype, SOCK_STREAM);
	assert_addr(&h.src, "192.0.2.1:56324");
	assert_addr(&h.dst, "198.51.100.7:443");
}

Test(proxy, v2_ipv6_gives_source_and_destination)
{
	unsigned char b[64];
	size_t n = v2(b, 0x21, 0x21, ipv6_body, sizeof ipv6_body);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), 52, "%s", err);
	cr_assert_eq(h.src.ss_family, AF_INET6);
	assert_addr(&h.src, "[2001:db8::1]:12345");
	assert_addr(&h.dst, "[2001:db8::2]:8031");
}

Test(proxy, v2_tlvs_after_the_addresses_are_skipped)
{
	unsigned char b[128];
	size_t n = v2_ipv4_with_tlvs(b);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), (int)n, "%s",
	    err);
	assert_addr(&h.src, "192.0.2.1:56324");
}

Test(proxy, v2_local_with_tlvs_keeps_the_real_endpoints)
{
	unsigned char b[64];
	size_t n = v2(b, 0x20, 0x00, tlvs, sizeof tlvs);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), (int)n, "%s",
	    err);
	cr_assert_eq(h.version, 2);
	cr_assert_eq(h.local, 1);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
	cr_assert_eq(h.addrlen, 0);
}

Test(proxy, v2_local_ignores_the_addresses_it_carries)
{
	unsigned char b[64];
	size_t n = v2(b, 0x20, 0x11, ipv4_body, sizeof ipv4_body);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), (int)n, "%s",
	    err);
	cr_assert_eq(h.local, 1);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
}

Test(proxy, v2_udp_is_reported_as_datagram)
{
	unsigned char b[64];
	size_t n = v2(b, 0x21, 0x12, ipv4_body, sizeof ipv4_body);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), (int)n, "%s",
	    err);
	cr_assert_eq(h.socktype, SOCK_DGRAM);
	assert_addr(&h.src, "192.0.2.1:56324");
}

Test(proxy, v2_unix_addresses_are_ignored)
{
	unsigned char body[216] = "/run/client.sock", b[256];
	size_t n = v2(b, 0x21, 0x31, body, sizeof body);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), (int)n, "%s",
	    err);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
	cr_assert_eq(h.socktype, SOCK_STREAM);
}

Test(proxy, v2_unspec_proxy_keeps_the_real_endpoints)
{
	unsigned char b[32];
	size_t n = v2(b, 0x21, 0x00, NULL, 0);

	cr_assert_eq(proxy_parse(b, n, &h, err, sizeof err), 16, "%s", err);
	cr_assert_eq(h.local, 0);
	cr_assert_eq(h.src.ss_family, AF_UNSPEC);
}

/* --- split across reads ----------------------------------------------- */

Test(proxy, every_prefix_of_a_v1_header_needs_more)
{
	assert_every_prefix_needs_more(V1("PROXY TCP4 192.0.2.1 "
	    "198.51.100.7 56324 443\r\n"));
	assert_every_prefix_needs_more(V1("PROXY TCP6 2001:db8::1 "
	    "2001:db8::2 12345 8031\r\n"));
	assert_every_prefix_needs_more(V1("PROXY UNKNOWN\r\n"));
}

Test(proxy, every_prefix_of_a_v2_header_needs_more)
{
	unsigned char b[128];

	assert_every_prefix_needs_more(b, v2_ipv4_with_tlvs(b));
	assert_every_prefix_needs_more(b, v2(b, 0x21, 0x21, ipv6_body,
	    sizeof ipv6_body));
	assert_every_prefix_needs_more(b, v2(b, 0x20, 0x00, tlvs,
	    sizeof tlvs));
}

Test(proxy, data_after_a_v1_header_is_not_consumed)
{
	const char *s = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"
	    "GET / HTTP/1.0\r\n\r\n";

	cr_assert_eq(proxy_parse(s, strlen(s), &h, err, sizeof err),
	    (int)strcspn(s, "\n") + 1, "%s", err);
}

Test(proxy, data_after_a_v2_header_is_not_consumed)
{
	unsigned char b[128];
	size_t n = v2_ipv4_with_tlvs(b);

	memcpy(b + n, "PROXY TCP4 hello\r\n", 18);
	cr_assert_eq(proxy_parse(b, n + 18, &h, err, sizeof err), (int)n,
	    "%s", err);
}

/* --- refused ---------------------------------------------------------- */

Test(proxy, other_protocols_are_refused_at_their_first_byte)
{
	assert_refused("G", 1, "no PROXY header");
	assert_refused(V1("proxy TCP4"), "no PROXY header");
	assert_refused(V1("PROXY\tTCP4"), "no PROXY header");
}

Test(proxy, v1_unknown_protocol_word_is_refused)
{
	assert_refused(V1("PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n"),
	    "protocol 'UDP4' is not TCP4, TCP6 or UNKNOWN");
	assert_refused(V1("PROXY UNKNOWNX\r\n"), "protocol 'UNKNOWNX'");
	assert_refused(V1("PROXY \r\n"), "protocol ''");
}

Test(proxy, v1_missing_fields_are_refused)
{
	assert_refused(V1("PROXY TCP4\r\n"), "ends after TCP4");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 1\r\n"),
	    "ends before its destination port");
	assert_refused(V1("PROXY TCP4 \r\n"), "source address is empty");
}

Test(proxy, v1_fields_need_exactly_one_space)
{
	assert_refused(V1("PROXY TCP4 10.0.0.1  10.0.0.2 1 2\r\n"),
	    "destination address is empty");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 1 2 \r\n"),
	    "more than addresses and ports");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 1 2 3\r\n"),
	    "more than addresses and ports");
}

Test(proxy, v1_port_out_of_range_is_refused)
{
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 65536 80\r\n"),
	    "source port '65536' is out of range");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 80 "
	    "99999999999999999999\r\n"), "destination port '99999999' is "
	    "out of range");
}

Test(proxy, v1_port_not_a_number_is_refused)
{
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 http 80\r\n"),
	    "source port 'http' is not a number");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 80 -1\r\n"),
	    "destination port '-1' is not a number");
}

Test(proxy, v1_port_with_leading_zero_is_refused)
{
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.0.2 080 80\r\n"),
	    "source port '080' has a leading zero");
}

Test(proxy, v1_address_text_that_is_no_address_is_refused)
{
	assert_refused(V1("PROXY TCP4 example.com 10.0.0.2 1 2\r\n"),
	    "source address 'example.com' is not an IPv4 address");
	assert_refused(V1("PROXY TCP4 10.0.0.1 10.0.2 1 2\r\n"),
	    "destination address '10.0.2' is not an IPv4 address");
	assert_refused(V1("PROXY TCP4 010.0.0.1 10.0.0.2 1 2\r\n"),
	    "source address '010.0.0.1' is not an IPv4 address");
	assert_refused(V1("PROXY TCP6 2001:db8::1 2001:db8:::2 1 2\r\n"),
	    "destination address '2001:db8:::2' is not an IPv6 address");
}

Test(proxy, v1_address_of_the_other_family_is_refused)
{
	assert_refused(V1("PROXY TCP4 ::1 ::1 1 2\r\n"),
	    "source address '::1' is not an IPv4 address");
	assert_refused(V1("PROXY TCP6 10.0.0.1 10.0.0.2 1 2\r\n"),
	    "source address '10.0.0.1' is not an IPv6 address");
}

Test(proxy, v1_line_without_crlf_in_107_bytes_is_refused)
{
	char s[PROXY_V1_MAX + 8];

	memset(s, 'x', sizeof s);
	memcpy(s, "PROXY UNKNOWN ", 14);
	assert_refused(s, PROXY_V1_MAX, "no CRLF in its first 107 bytes");
	/* One byte too long: the CR is the 107th byte. */
	s[PROXY_V1_MAX - 1] = '\r';
	s[PROXY_V1_MAX] = '\n';
	assert_refused(s, PROXY_V1_MAX + 1, "no CRLF");
	/* Refused before a 108th byte comes. */
	assert_refused(s, PROXY_V1_MAX, "no CRLF");
}

Test(proxy, v1_lf_without_cr_is_refused)
{
	assert_refused(V1("PROXY UNKNOWN\n"), "LF without CR at byte 13");
}

Test(proxy, v1_cr_without_lf_is_refused)
{
	assert_refused(V1("PROXY UNKNOWN\rx"), "CR without LF at byte 13");
}

Test(proxy, v1_control_or_binary_byte_is_refused)
{
	assert_refused("PROXY TCP4 \0", 12, "byte 0x00 at 11");
	assert_refused(V1("PROXY TCP4 \xff"), "byte 0xff at 11");
}

Test(proxy, v2_bad_signature_is_refused)
{
	unsigned char b[64];
	size_t n = v2(b, 0x21, 0x11, ipv4_body, sizeof ipv4_body);

	b[7] = 'q';
	assert_refused(b, n, "bad v2 signature");
	assert_refused(b, 8, "bad v2 signature");
	assert_refused("\r\n\r\nX", 5, "bad v2 signature");
}

Test(proxy, v2_version_other_than_2_is_refused)
{
	unsigned char b[64];

	assert_refused(b, v2(b, 0x11, 0x11, ipv4_body, sizeof ipv4_body),
	    "version 1, not 2");
	assert_refused(b, 13, "version 1, not 2");
}

Test(proxy, v2_unassigned_command_is_refused)
{
	unsigned char b[64];

	assert_refused(b, v2(b, 0x22, 0x11, ipv4_body, sizeof ipv4_body),
	    "command 0x2 is neither LOCAL nor PROXY");
}

Test(proxy, v2_bad_family_or_protocol_is_refused)
{
	static const uint8_t bad[] = { 0x41, 0x13, 0x01, 0x10, 0xff };
	unsigned char b[64];
	char want[64];
	size_t i;

	for (i = 0; i < sizeof bad; i++) {
		snprintf(want, sizeof want, "family and protocol 0x%02x",
		    bad[i]);
		assert_refused(b, v2(b, 0x21, bad[i], ipv4_body,
		    sizeof ipv4_body), want);
		assert_refused(b, 14, want);
	}
}

Test(proxy, v2_length_beyond_limit_is_refused_without_waiting)
{
	unsigned char b[16];

	memcpy(b, sig, sizeof sig);
	b[12] = 0x21;
	b[13] = 0x11;
	b[14] = (PROXY_V2_LEN_MAX + 1) >> 8;
	b[15] = (PROXY_V2_LEN_MAX + 1) & 0xff;
	assert_refused(b, 16, "length 1025 is beyond the limit of 1024");
	b[14] = b[15] = 0xff;
	assert_refused(b, 16, "length 65535 is beyond");
}

Test(proxy, v2_length_too_short_for_its_addresses_is_refused)
{
	unsigned char b[64];

	assert_refused(b, v2(b, 0x21, 0x11, ipv4_body, 8),
	    "length 8 is too short for the 12 address bytes");
	assert_refused(b, v2(b, 0x21, 0x21, ipv6_body, 12),
	    "length 12 is too short for the 36 address bytes");
	assert_refused(b, v2(b, 0x21, 0x31, ipv6_body, 36),
	    "too short for the 216 address bytes");
}

Test(proxy, v2_tlv_running_past_the_header_is_refused)
{
	unsigned char body[sizeof ipv4_body + 5], b[64];

	memcpy(body, ipv4_body, sizeof ipv4_body);
	memcpy(body + sizeof ipv4_body, "\x01\x00\x03h2", 5);
	assert_refused(b, v2(b, 0x21, 0x11, body, sizeof body),
	    "TLV 0x01 at byte 28 claims 3 bytes, only 2 left");
	/* In a LOCAL header too. */
	assert_refused(b, v2(b, 0x20, 0x00, body + sizeof ipv4_body, 5),
	    "TLV 0x01 at byte 16 claims 3 bytes");
}

Test(proxy, v2_tlv_cut_short_is_refused)
{
	unsigned char body[sizeof ipv4_body + 2], b[64];

	memcpy(body, ipv4_body, sizeof ipv4_body);
	memcpy(body + sizeof ipv4_body, "\x04\x00", 2);
	assert_refused(b, v2(b, 0x21, 0x11, body, sizeof body),
	    "TLV at byte 28 is cut short: 2 bytes left, 3 needed");
}

Test(proxy, refusal_with_no_room_for_a_reason_writes_nothing)
{
	char small[8] = "unset";

	cr_assert_eq(proxy_parse("GET", 3, &h, small, 0), PROXY_ERROR);
	cr_assert_str_eq(small, "unset");
	cr_assert_eq(proxy_parse("GET", 3, &h, small, sizeof small),
	    PROXY_ERROR);
	cr_assert_str_eq(small, "no PROX");
}
