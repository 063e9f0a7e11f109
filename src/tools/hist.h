/*
 * hist.h - a log-bucketed latency histogram, HdrHistogram's idea in
 * small: fixed memory, O(1) recording, no per-sample storage.
 *
 * Values below 256 have a bucket each; above, every power of two is
 * cut into 128 equal buckets, so a bucket is at most 1/128 of its
 * value wide and a percentile read back from its midpoint is within
 * 0.4% of the recorded value (1% is the promise).
 */
#ifndef HERD_HIST_H
#define HERD_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS	7			/* 128 buckets per octave */
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_EXACT	(2 * HIST_SUB)		/* 0..255 exact */
#define HIST_MAX_BITS	48			/* values clamp at 2^48 */
#define HIST_BUCKETS	(HIST_EXACT + \
			    (HIST_MAX_BITS - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	uint64_t	count[HIST_BUCKETS];
	uint64_t	total;
	uint64_t	max;
	uint64_t	min;
	double		sum;
};

void		hist_init(struct hist *);
void		hist_merge(struct hist *dst, const struct hist *src);
/* The value at percentile p (0 < p <= 100); 0 when empty. */
uint64_t	hist_percentile(const struct hist *, double p);
double		hist_mean(const struct hist *);

/* Inline: it runs once per request in herd-load's hot path. */
static inline unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < HIST_EXACT)
		return (unsigned)v;
	if (v >= (UINT64_C(1) << HIST_MAX_BITS))
		v = (UINT64_C(1) << HIST_MAX_BITS) - 1;
	e = 63u - (unsigned)__builtin_clzll(v);		/* e >= 8 */
	return HIST_EXACT + (e - HIST_SUB_BITS - 1) * HIST_SUB +
	    (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static inline void
hist_record(struct hist *h, uint64_t v)
{
	h->count[hist_index(v)]++;
	h->total++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	if (v < h->min)
		h->min = v;
}

#endif
