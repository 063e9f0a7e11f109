/*
 * test-handlers.c - the built-in handlers, driven with plain buffers.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "herd.h"

static struct herd_buf out;

static void
reset(void)
{
	herd_buf_free(&out);
}

TestSuite(handlers, .fini = reset);

static int
feed(const char *name, const void *in, size_t len)
{
	const struct herd_handler *h = herd_handler_find(name);
	char st[64] = { 0 };

	cr_assert_not_null(h, "handler %s is registered", name);
	cr_assert_leq(h->state_size, sizeof st);
	return h->on_data(st, in, len, &out);
}

Test(handlers, echo_returns_input_unchanged)
{
	unsigned char in[256];
	size_t i;

	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)i;
	cr_assert_eq(feed("echo", in, sizeof in), HERD_CONTINUE);
	cr_assert_eq(out.len, sizeof in);
	cr_assert_arr_eq(out.data, in, sizeof in);
}

Test(handlers, echo_appends_after_what_is_owed)
{
	feed("echo", "ab", 2);
	feed("echo", "cd", 2);
	cr_assert_eq(out.len, 4);
	cr_assert_arr_eq(out.data, "abcd", 4);
}

Test(handlers, rot13_rotates_letters)
{
	feed("rot13", "Hello, World", 12);
	cr_assert_eq(out.len, 12);
	cr_assert_arr_eq(out.data, "Uryyb, Jbeyq", 12);
}

Test(handlers, rot13_wraps_at_z)
{
	feed("rot13", "nopqrstuvwxyzNOPQRSTUVWXYZ", 26);
	cr_assert_arr_eq(out.data, "abcdefghijklmABCDEFGHIJKLM", 26);
}

Test(handlers, rot13_leaves_digits_alone)
{
	feed("rot13", "0123456789", 10);
	cr_assert_arr_eq(out.data, "0123456789", 10);
}

Test(handlers, rot13_passes_nul_and_high_bytes_through)
{
	const unsigned char in[] = { 0, 'a', 0, 0x80, 0xc3, 0xa9, 0xff, '\n' };
	const unsigned char want[] = { 0, 'n', 0, 0x80, 0xc3, 0xa9, 0xff, '\n' };

	feed("rot13", in, sizeof in);
	cr_assert_eq(out.len, sizeof in);
	cr_assert_arr_eq(out.data, want, sizeof want);
}

Test(handlers, rot13_changes_only_ascii_letters)
{
	unsigned char in[256];
	size_t i;

	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)i;
	feed("rot13", in, sizeof in);
	for (i = 0; i < sizeof in; i++) {
		int letter = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');

		cr_expect_eq(out.data[i] != in[i], letter,
		    "byte 0x%02zx -> 0x%02x", i, out.data[i]);
	}
}

Test(handlers, rot13_twice_is_identity)
{
	unsigned char in[256], once[256];
	size_t i;

	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 7);
	feed("rot13", in, sizeof in);
	memcpy(once, out.data, sizeof once);
	out.len = 0;
	feed("rot13", once, sizeof once);
	cr_assert_arr_eq(out.data, in, sizeof in);
}

Test(handlers, half_close_call_adds_nothing)
{
	cr_assert_eq(feed("echo", NULL, 0), HERD_CONTINUE);
	cr_assert_eq(feed("rot13", NULL, 0), HERD_CONTINUE);
	cr_assert_eq(out.len, 0);
}

Test(handlers, discard_answers_nothing)
{
	cr_assert_eq(feed("discard", "anything", 8), HERD_CONTINUE);
	cr_assert_eq(out.len, 0);
}

Test(handlers, daytime_sends_one_line_and_closes)
{
	const struct herd_handler *h = herd_handler_find("daytime");
	struct herd_peer peer = { 0 };
	char line[64];

	cr_assert_not_null(h);
	cr_assert_eq(h->on_open(NULL, &peer, &out), HERD_CLOSE);
	cr_assert_gt(out.len, 20);
	cr_assert_lt(out.len, sizeof line);
	memcpy(line, out.data, out.len);
	line[out.len] = '\0';
	cr_assert_str_eq(line + out.len - 2, "\r\n");
	cr_assert(strchr(line, ':') != NULL, "has a time: %s", line);
}

static int
upper_data(void *st, const void *in, size_t len, struct herd_buf *o)
{
	(void)st, (void)in, (void)len;
	return herd_buf_append(o, "X", 1);
}

static const struct herd_handler upper = {
	.name = "test-upper",
	.on_data = upper_data,
};

Test(handlers, register_adds_a_findable_handler)
{
	cr_assert_null(herd_handler_find("test-upper"));
	cr_assert_eq(herd_handler_register(&upper), 0);
	cr_assert_eq(herd_handler_find("test-upper"), &upper);
}

Test(handlers, register_refuses_a_taken_name)
{
	static const struct herd_handler dup = {
		.name = "echo",
		.on_data = upper_data,
	};

	cr_assert_eq(herd_handler_register(&dup), -1);
	cr_assert_neq(herd_handler_find("echo"), &dup);
}

Test(handlers, register_refuses_a_handler_without_hooks)
{
	static const struct herd_handler empty = { .name = "test-empty" };

	cr_assert_eq(herd_handler_register(&empty), -1);
	cr_assert_null(herd_handler_find("test-empty"));
}

Test(handlers, unknown_name_is_not_found)
{
	cr_assert_null(herd_handler_find("no-such-handler"));
}

Test(handlers, listing_starts_with_the_builtins)
{
	cr_assert_str_eq(herd_handler_at(0)->name, "echo");
	cr_assert_str_eq(herd_handler_at(1)->name, "rot13");
	cr_assert_str_eq(herd_handler_at(2)->name, "discard");
	cr_assert_str_eq(herd_handler_at(3)->name, "daytime");
	cr_assert_str_eq(herd_handler_at(4)->name, "okay");
}

/* Feed each chunk to one okay state, then the peer's "done". */
static void
okay_feed(const char *const *chunks)
{
	const struct herd_handler *h = herd_handler_find("okay");
	char st[64] = { 0 };

	cr_assert_not_null(h);
	cr_assert_leq(h->state_size, sizeof st);
	for (; *chunks != NULL; chunks++)
		cr_assert_eq(h->on_data(st, *chunks, strlen(*chunks), &out),
		    HERD_CONTINUE);
	cr_assert_eq(h->on_data(st, "", 0, &out), HERD_CONTINUE);
}

Test(handlers, okay_answers_a_datagram_as_the_lecture_server)
{
	okay_feed((const char *const[]){ "1st udp client", NULL });
	cr_assert_eq(out.len, 19);
	cr_assert_arr_eq(out.data, "OK...1st udp client", 19);
}

Test(handlers, okay_prefixes_every_line_once)
{
	okay_feed((const char *const[]){ "ab", "c\nde", "\n", NULL });
	cr_assert_eq(out.len, 17);
	cr_assert_arr_eq(out.data, "OK...abc\nOK...de\n", 17);
}

Test(handlers, okay_sends_nothing_for_nothing)
{
	okay_feed((const char *const[]){ NULL });
	cr_assert_eq(out.len, 0);
}

Test(handlers, okay_passes_binary_bytes_through)
{
	const struct herd_handler *h = herd_handler_find("okay");
	char st[64] = { 0 };
	unsigned char in[3] = { 0, 0xff, 'x' };

	cr_assert_eq(h->on_data(st, in, sizeof in, &out), HERD_CONTINUE);
	cr_assert_eq(out.len, 8);
	cr_assert_arr_eq(out.data, "OK...", 5);
	cr_assert_arr_eq(out.data + 5, in, 3);
}

Test(handlers, buf_grows_past_its_first_allocation)
{
	unsigned char big[5000];

	memset(big, 'q', sizeof big);
	cr_assert_eq(herd_buf_append(&out, big, sizeof big), 0);
	cr_assert_eq(herd_buf_append(&out, big, sizeof big), 0);
	cr_assert_eq(out.len, 2 * sizeof big);
	cr_assert_geq(out.cap, out.len);
	cr_assert_arr_eq(out.data + sizeof big, big, sizeof big);
}
