/*
 * sched.h - the open-loop schedule: when each request should be sent.
 *
 * At a rate R shared by n senders, sender k sends at
 * start + (k + i n) / R for i = 0, 1, ... whatever the server does.
 * Latency is then measured from that intended time, not from when the
 * request actually went out, so a stalled server is charged for every
 * request it delayed (wrk2's coordinated-omission correction).
 * Times are nanoseconds on any monotonic clock.
 */
#ifndef HERD_SCHED_H
#define HERD_SCHED_H

#include <stdint.h>

struct sched {
	uint64_t	start;
	double		interval;	/* ns between this sender's sends */
	double		offset;		/* ns of this sender's first send */
	uint64_t	sent;		/* sends taken so far */
};

/* Sender k of n sharing rate requests per second from start. */
void		sched_init(struct sched *, uint64_t start, double rate,
		    unsigned k, unsigned n);
/* When the next send is due. */
uint64_t	sched_due(const struct sched *);
/* Take the next send if it is due at now: 1 and its intended time. */
int		sched_take(struct sched *, uint64_t now, uint64_t *due);

#endif
