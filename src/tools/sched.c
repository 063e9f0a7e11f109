/*
 * sched.c - see sched.h.
 */
#include "config.h"

#include "sched.h"

void
sched_init(struct sched *s, uint64_t start, double rate, unsigned k,
    unsigned n)
{
	s->start = start;
	s->interval = 1e9 * (n ? n : 1) / rate;
	s->offset = 1e9 * k / rate;
	s->sent = 0;
}

uint64_t
sched_due(const struct sched *s)
{
	/* Computed from the start, not summed, so no error accumulates. */
	return s->start + (uint64_t)(s->offset + s->interval *
	    (double)s->sent);
}

int
sched_take(struct sched *s, uint64_t now, uint64_t *due)
{
	if ((*due = sched_due(s)) > now)
		return 0;
	s->sent++;
	return 1;
}
