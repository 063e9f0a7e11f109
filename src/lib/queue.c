/*
 * queue.c - a bounded queue of connected descriptors (see queue.h).
 *
 * A ring of cap fixed-size items under one mutex, in memcached's
 * dispatch shape; nothing is allocated after queue_init().
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "queue.h"

int
queue_init(struct queue *q, size_t cap, size_t item_size)
{
	int e;

	memset(q, 0, sizeof *q);
	if (cap == 0 || item_size == 0 || cap > SIZE_MAX / item_size) {
		errno = EINVAL;
		return -1;
	}
	if ((q->items = malloc(cap * item_size)) == NULL)
		return -1;
	q->size = item_size;
	q->cap = cap;
	if ((q->room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto fail;
	if ((e = pthread_mutex_init(&q->lock, NULL)) != 0) {
		close(q->room_fd);
		errno = e;
		goto fail;
	}
	if ((e = pthread_cond_init(&q->nonempty, NULL)) != 0) {
		pthread_mutex_destroy(&q->lock);
		close(q->room_fd);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	free(q->items);
	q->items = NULL;
	return -1;
}

void
queue_free(struct queue *q)
{
	if (q->items == NULL)
		return;
	pthread_cond_destroy(&q->nonempty);
	pthread_mutex_destroy(&q->lock);
	close(q->room_fd);
	free(q->items);
	q->items = NULL;
}

int
queue_push(struct queue *q, const void *item)
{
	int r = 0;

	pthread_mutex_lock(&q->lock);
	if (q->shut) {
		errno = EPIPE;
		r = -1;
	} else if (q->len == q->cap) {
		errno = EAGAIN;
		r = -1;
	} else {
		memcpy(q->items + (q->head + q->len) % q->cap * q->size,
		    item, q->size);
		q->len++;
		pthread_cond_signal(&q->nonempty);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

int
queue_pop(struct queue *q, void *item)
{
	uint64_t one = 1;
	int was_full;

	pthread_mutex_lock(&q->lock);
	q->idle++;
	while (q->len == 0 && !q->shut)
		pthread_cond_wait(&q->nonempty, &q->lock);
	q->idle--;
	if (q->len == 0) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	memcpy(item, q->items + q->head * q->size, q->size);
	q->head = (q->head + 1) % q->cap;
	was_full = q->len-- == q->cap;
	pthread_mutex_unlock(&q->lock);
	if (was_full)
		while (write(q->room_fd, &one, sizeof one) < 0 &&
		    errno == EINTR)
			;
	return 1;
}

void
queue_shutdown(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->shut = 1;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

int
queue_full(struct queue *q)
{
	int full;

	pthread_mutex_lock(&q->lock);
	full = q->len == q->cap;
	pthread_mutex_unlock(&q->lock);
	return full;
}

int
queue_full_arm(struct queue *q)
{
	uint64_t n;

	/* Non-blocking: EAGAIN just means it was clear already. */
	while (read(q->room_fd, &n, sizeof n) < 0 && errno == EINTR)
		;
	return queue_full(q);
}

void
queue_counts(struct queue *q, size_t *len, unsigned *idle)
{
	pthread_mutex_lock(&q->lock);
	*len = q->len;
	*idle = q->idle;
	pthread_mutex_unlock(&q->lock);
}
