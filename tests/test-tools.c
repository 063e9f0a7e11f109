/*
 * test-tools.c - herd-load's parts on their own: the histogram against
 * distributions whose percentiles are known, the echo/rot13 verifier,
 * and the open-loop schedule.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "sched.h"
#include "verify.h"

static struct hist h;

static void
assert_within(uint64_t got, double want, double rel)
{
	cr_assert_leq(fabs((double)got - want), want * rel,
	    "%llu is not within %.2f%% of %.1f", (unsigned long long)got,
	    rel * 100, want);
}

Test(hist, small_values_are_exact)
{
	uint64_t v;

	hist_init(&h);
	for (v = 1; v <= 100; v++)
		hist_record(&h, v);
	cr_assert_eq(hist_percentile(&h, 50), 50);
	cr_assert_eq(hist_percentile(&h, 90), 90);
	cr_assert_eq(hist_percentile(&h, 100), 100);
	cr_assert_eq(h.min, 1);
}

Test(hist, uniform_percentiles_within_one_percent)
{
	uint64_t v;

	hist_init(&h);
	for (v = 1; v <= 1000000; v++)
		hist_record(&h, v * 1000);	/* 1 us .. 1 s in ns */
	assert_within(hist_percentile(&h, 50), 500000000.0, 0.01);
	assert_within(hist_percentile(&h, 90), 900000000.0, 0.01);
	assert_within(hist_percentile(&h, 99), 990000000.0, 0.01);
	assert_within(hist_percentile(&h, 99.9), 999000000.0, 0.01);
	cr_assert_eq(hist_percentile(&h, 100), 1000000000ULL);
	cr_assert_eq(h.total, 1000000);
}

Test(hist, exponential_percentiles_within_one_percent)
{
	/* Quantiles of Exp(mean m) at p: -m ln(1 - p), fed exactly. */
	const double m = 250000.0;
	unsigned i, n = 200000;

	hist_init(&h);
	for (i = 0; i < n; i++)
		hist_record(&h, (uint64_t)(-m * log(1.0 - (i + 0.5) / n)));
	assert_within(hist_percentile(&h, 50), -m * log(0.5), 0.01);
	assert_within(hist_percentile(&h, 99), -m * log(0.01), 0.01);
	assert_within(hist_percentile(&h, 99.9), -m * log(0.001), 0.01);
}

Test(hist, every_value_lands_in_a_bucket_within_one_percent)
{
	uint64_t v;

	/* One sample each: its own percentile reads back within 1%. */
	for (v = 1; v < (1ULL << 40); v = v * 3 / 2 + 1) {
		hist_init(&h);
		hist_record(&h, v);
		hist_record(&h, v);
		h.max = UINT64_MAX;	/* no clamping: test the bucket */
		h.min = 0;
		assert_within(hist_percentile(&h, 50), (double)v, 0.01);
	}
}

Test(hist, merge_adds_counts)
{
	static struct hist a, b;

	hist_init(&a);
	hist_init(&b);
	hist_record(&a, 10);
	hist_record(&b, 1000);
	hist_record(&b, 3000);
	hist_merge(&a, &b);
	cr_assert_eq(a.total, 3);
	cr_assert_eq(a.max, 3000);
	cr_assert_eq(a.min, 10);
	cr_assert_eq(hist_percentile(&a, 1), 10);
}

Test(hist, empty_reads_zero)
{
	hist_init(&h);
	cr_assert_eq(hist_percentile(&h, 99), 0);
	cr_assert_eq(hist_mean(&h), 0.0);
}

Test(verify, echo_accepts_the_same_bytes)
{
	unsigned char msg[100], want[100];

	verify_fill(msg, sizeof msg);
	verify_expect(VERIFY_ECHO, msg, sizeof msg, want);
	cr_assert_arr_eq(want, msg, sizeof msg);
	cr_assert_eq(verify_chunk(VERIFY_ECHO, want, sizeof msg, 0, msg,
	    sizeof msg), 0);
}

Test(verify, rot13_expects_rotated_letters_only)
{
	const unsigned char msg[] = "Hello, World\n\0\xe9z";
	unsigned char want[sizeof msg];

	verify_expect(VERIFY_ROT13, msg, sizeof msg, want);
	cr_assert_arr_eq(want, "Uryyb, Jbeyq\n\0\xe9m", sizeof msg);
}

Test(verify, chunks_at_any_offset_wrap_around_the_message)
{
	unsigned char msg[10], want[10], stream[35];
	size_t i;

	verify_fill(msg, sizeof msg);
	verify_expect(VERIFY_ROT13, msg, sizeof msg, want);
	for (i = 0; i < sizeof stream; i++)
		stream[i] = want[i % sizeof want];
	/* The reply stream split anywhere still checks clean. */
	cr_assert_eq(verify_chunk(VERIFY_ROT13, want, 10, 0, stream, 7), 0);
	cr_assert_eq(verify_chunk(VERIFY_ROT13, want, 10, 7, stream + 7, 21),
	    0);
	cr_assert_eq(verify_chunk(VERIFY_ROT13, want, 10, 28, stream + 28, 7),
	    0);
}

Test(verify, one_flipped_byte_is_one_mismatch)
{
	unsigned char msg[64], want[64], got[64];

	verify_fill(msg, sizeof msg);
	verify_expect(VERIFY_ECHO, msg, sizeof msg, want);
	memcpy(got, want, sizeof got);
	got[17] ^= 0x20;
	cr_assert_eq(verify_chunk(VERIFY_ECHO, want, 64, 0, got, 64), 1);
	/* Echo where rot13 was expected: every letter differs. */
	verify_expect(VERIFY_ROT13, msg, sizeof msg, want);
	cr_assert_gt(verify_chunk(VERIFY_ROT13, want, 64, 0, msg, 64), 40);
	cr_assert_eq(verify_chunk(VERIFY_NONE, want, 64, 0, got, 64), 0);
}

Test(verify, message_has_letters_and_ends_in_newline)
{
	unsigned char msg[64], rot[64];

	verify_fill(msg, sizeof msg);
	verify_expect(VERIFY_ROT13, msg, sizeof msg, rot);
	cr_assert_eq(msg[63], '\n');
	cr_assert(memcmp(msg, rot, sizeof msg) != 0, "rot13 changes it");
}

Test(verify, mode_names_parse)
{
	enum verify_mode m;

	cr_assert_eq(verify_mode_parse("rot13", &m), 0);
	cr_assert_eq(m, VERIFY_ROT13);
	cr_assert_eq(verify_mode_parse("none", &m), 0);
	cr_assert_eq(m, VERIFY_NONE);
	cr_assert_eq(verify_mode_parse("Echo", &m), -1);
	cr_assert_str_eq(verify_mode_name(VERIFY_ECHO), "echo");
}

Test(sched, sends_fall_due_at_the_rate)
{
	struct sched s;
	uint64_t due;

	sched_init(&s, 1000, 1000.0, 0, 1);	/* every 1 ms */
	cr_assert_eq(sched_take(&s, 999, &due), 0, "nothing before start");
	cr_assert_eq(sched_take(&s, 1000, &due), 1);
	cr_assert_eq(due, 1000);
	cr_assert_eq(sched_take(&s, 1000, &due), 0);
	cr_assert_eq(sched_due(&s), 1000 + 1000000);
}

Test(sched, late_sender_keeps_the_intended_times)
{
	struct sched s;
	uint64_t due, i;

	/* Woken 10 ms late, it owes 11 sends, each with its own due time. */
	sched_init(&s, 0, 1000.0, 0, 1);
	for (i = 0; i <= 10; i++) {
		cr_assert_eq(sched_take(&s, 10000000, &due), 1);
		cr_assert_eq(due, i * 1000000);
	}
	cr_assert_eq(sched_take(&s, 10000000, &due), 0);
}

Test(sched, senders_share_the_rate_interleaved)
{
	struct sched a, b;
	uint64_t da, db;

	/* 1000/s over two senders: each every 2 ms, offset by 1 ms. */
	sched_init(&a, 0, 1000.0, 0, 2);
	sched_init(&b, 0, 1000.0, 1, 2);
	cr_assert_eq(sched_due(&a), 0);
	cr_assert_eq(sched_due(&b), 1000000);
	sched_take(&a, 0, &da);
	sched_take(&b, 1000000, &db);
	cr_assert_eq(sched_due(&a), 2000000);
	cr_assert_eq(sched_due(&b), 3000000);
}

Test(sched, no_drift_over_a_million_sends)
{
	struct sched s;
	uint64_t due, i;

	sched_init(&s, 5, 3.0e6, 0, 1);		/* 333.33 ns apart */
	for (i = 0; i < 1000000; i++)
		sched_take(&s, UINT64_MAX / 2, &due);
	/* The millionth (index 999999) at 999999/3e6 s, to the ns. */
	cr_assert_leq(llabs((long long)due - (5 + 333333000LL)), 1);
}
