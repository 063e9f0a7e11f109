/*
 * queue.h - a bounded queue of connected descriptors, between one
 * accepting thread and a pool of serving threads (the pool model).
 *
 * Its memory is allocated once, cap items: a burst the queue cannot
 * hold waits in the kernel's listen backlog, never in our heap.  The
 * poppers sleep on a condition variable; the one pusher, a thread
 * that must also see signals, sleeps in ppoll() on room_fd instead,
 * which a pop from a full queue makes readable.
 */
#ifndef HERD_QUEUE_H
#define HERD_QUEUE_H

#include <pthread.h>
#include <stddef.h>

struct queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 nonempty;
	unsigned char	*items;
	size_t		 size;		/* of one item */
	size_t		 cap;
	size_t		 head;		/* next to pop */
	size_t		 len;
	int		 shut;
	int		 room_fd;	/* eventfd: a full queue has room */
	unsigned	 idle;		/* poppers waiting */
};

/* 0, or -1 with errno. */
int	queue_init(struct queue *, size_t cap, size_t item_size);
void	queue_free(struct queue *);

/* Copy item in; 0, or -1: full (EAGAIN) or shut down (EPIPE). */
int	queue_push(struct queue *, const void *item);

/*
 * Wait for an item and copy it out: 1.  0 once the queue is shut
 * down and empty (what was queued before the shutdown is still
 * handed out).
 */
int	queue_pop(struct queue *, void *item);

/* Wake every popper; pushes fail from now on. */
void	queue_shutdown(struct queue *);

/* 1 when a push would fail for want of room. */
int	queue_full(struct queue *);

/*
 * Clear room_fd, then say whether the queue is full: a pusher that
 * then waits for room_fd cannot miss the pop that makes room.
 */
int	queue_full_arm(struct queue *);

/* Items queued and poppers waiting right now: for the scoreboard. */
void	queue_counts(struct queue *, size_t *len, unsigned *idle);

#endif
