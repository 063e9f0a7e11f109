/*
 * hist.c - see hist.h.
 */
#include "config.h"

#include <string.h>

#include "hist.h"

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	size_t i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->count[i] += src->count[i];
	dst->total += src->total;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	if (src->min < dst->min)
		dst->min = src->min;
}

/* The lowest value and the width of bucket i. */
static void
hist_bucket(unsigned i, uint64_t *lo, uint64_t *width)
{
	unsigned octave, e;

	if (i < HIST_EXACT) {
		*lo = i;
		*width = 1;
		return;
	}
	octave = (i - HIST_EXACT) / HIST_SUB;
	e = octave + HIST_SUB_BITS + 1;
	*width = UINT64_C(1) << (e - HIST_SUB_BITS);
	*lo = (UINT64_C(1) << e) + ((i - HIST_EXACT) % HIST_SUB) * *width;
}

uint64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t want, seen = 0, lo, width, v;
	unsigned i;

	if (h->total == 0)
		return 0;
	if (p >= 100.0)
		return h->max;
	/* The rank of the sample at p, counted from 1. */
	want = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			break;
	}
	hist_bucket(i, &lo, &width);
	v = lo + width / 2;		/* the midpoint halves the error */
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}
