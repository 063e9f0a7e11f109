/*
 * test-queue.c - the pool's bounded descriptor queue on its own: it
 * refuses what it cannot hold, hands items out in order, makes a
 * popper wait for one, and wakes every popper on shutdown.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "queue.h"

#define T_WAIT	10000	/* ms: a wake-up that should be at once */

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TestSuite(queue, .timeout = 30);

Test(queue, full_queue_refuses_and_keeps_what_it_holds)
{
	struct queue q;
	int i, v;

	cr_assert_eq(queue_init(&q, 4, sizeof(int)), 0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(queue_push(&q, &i), 0);
	cr_assert(queue_full(&q));
	v = 99;
	cr_assert_eq(queue_push(&q, &v), -1);
	cr_assert_eq(errno, EAGAIN);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(queue_pop(&q, &v), 1);
		cr_assert_eq(v, i, "first in, first out");
	}
	queue_free(&q);
}

Test(queue, wraps_around_the_ring)
{
	struct queue q;
	int i, v;

	cr_assert_eq(queue_init(&q, 3, sizeof(int)), 0);
	for (i = 0; i < 100; i++) {
		cr_assert_eq(queue_push(&q, &i), 0);
		cr_assert_eq(queue_pop(&q, &v), 1);
		cr_assert_eq(v, i);
	}
	queue_free(&q);
}

Test(queue, pop_from_full_queue_signals_room)
{
	struct queue q;
	struct pollfd p;
	int i, v;

	cr_assert_eq(queue_init(&q, 2, sizeof(int)), 0);
	for (i = 0; i < 2; i++)
		cr_assert_eq(queue_push(&q, &i), 0);
	cr_assert(queue_full_arm(&q));
	p = (struct pollfd){ .fd = q.room_fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 0), 0, "no room yet");
	cr_assert_eq(queue_pop(&q, &v), 1);
	cr_assert_eq(poll(&p, 1, T_WAIT), 1, "room_fd says there is room");
	cr_assert_not(queue_full_arm(&q));
	cr_assert_eq(poll(&p, 1, 0), 0, "arming cleared it");
	queue_free(&q);
}

struct popper {
	struct queue	*q;
	int		 got;
	int		 value;
	atomic_int	 done;
};

static void *
popper_run(void *arg)
{
	struct popper *p = arg;

	p->got = queue_pop(p->q, &p->value);
	atomic_store(&p->done, 1);
	return NULL;
}

/* Poll up to ms for a popper to finish. */
static int
popper_done_within(struct popper *p, int ms)
{
	long long end = ms_now() + ms;

	while (!atomic_load(&p->done) && ms_now() < end)
		poll(NULL, 0, 5);
	return atomic_load(&p->done);
}

Test(queue, empty_queue_makes_pop_wait_for_a_push)
{
	struct queue q;
	struct popper p = { .q = &q };
	pthread_t th;
	int v = 42;

	cr_assert_eq(queue_init(&q, 4, sizeof(int)), 0);
	pthread_create(&th, NULL, popper_run, &p);
	/* It must be waiting, not returning empty-handed. */
	cr_assert_not(popper_done_within(&p, 200), "pop waits on empty");
	cr_assert_eq(queue_push(&q, &v), 0);
	cr_assert(popper_done_within(&p, T_WAIT));
	pthread_join(th, NULL);
	cr_assert_eq(p.got, 1);
	cr_assert_eq(p.value, 42);
	queue_free(&q);
}

Test(queue, shutdown_wakes_every_popper)
{
	struct queue q;
	struct popper p[3];
	pthread_t th[3];
	int i;

	cr_assert_eq(queue_init(&q, 4, sizeof(int)), 0);
	for (i = 0; i < 3; i++) {
		p[i] = (struct popper){ .q = &q };
		pthread_create(&th[i], NULL, popper_run, &p[i]);
	}
	cr_assert_not(popper_done_within(&p[0], 100));
	queue_shutdown(&q);
	for (i = 0; i < 3; i++) {
		cr_assert(popper_done_within(&p[i], T_WAIT), "popper %d woke",
		    i);
		pthread_join(th[i], NULL);
		cr_assert_eq(p[i].got, 0, "nothing to hand out");
	}
	queue_free(&q);
}

Test(queue, shutdown_still_hands_out_what_was_queued)
{
	struct queue q;
	int v = 7;

	cr_assert_eq(queue_init(&q, 4, sizeof(int)), 0);
	cr_assert_eq(queue_push(&q, &v), 0);
	queue_shutdown(&q);
	cr_assert_eq(queue_push(&q, &v), -1, "no push after shutdown");
	cr_assert_eq(errno, EPIPE);
	v = 0;
	cr_assert_eq(queue_pop(&q, &v), 1);
	cr_assert_eq(v, 7);
	cr_assert_eq(queue_pop(&q, &v), 0);
	queue_free(&q);
}

Test(queue, rejects_zero_capacity)
{
	struct queue q;

	cr_assert_eq(queue_init(&q, 0, sizeof(int)), -1);
	cr_assert_eq(errno, EINVAL);
}
