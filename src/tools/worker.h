/*
 * worker.h - one herd-load thread: its epoll loop and the connections
 * it owns.  load.c sets workers up, starts and collects them; worker.c
 * is the hot path.  Only those two files see this.
 */
#ifndef HERD_WORKER_H
#define HERD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "load.h"
#include "sched.h"

#define RING		LOAD_MAX_PIPELINE
#define TICK_NS		100000000ULL	/* timeouts, reconnects, stats */
#define RXBUF		65536
#define NS		1000000000ULL

enum conn_state { C_CLOSED, C_CONNECTING, C_ACTIVE };

struct conn {
	int		fd;
	enum conn_state	state;
	int		wantout;	/* EPOLLOUT is armed */
	uint64_t	tx_left;	/* bytes owed to the socket */
	uint64_t	tx_off;		/* request stream bytes sent */
	uint64_t	rx_off;		/* reply stream bytes read */
	uint64_t	last;		/* last progress, for the timeout */
	unsigned	head, n;	/* ring of outstanding requests */
	uint64_t	t[RING];
};

struct worker {
	pthread_t		 tid;
	unsigned		 id;
	const struct load_config *cfg;
	int			 ep;
	struct conn		*conns;
	unsigned		 nconns;
	unsigned		 rr;		/* open loop: next connection */
	uint32_t		 src;		/* next source address */
	unsigned char		*sendbuf;	/* the message, repeated */
	size_t			 sendcap;
	unsigned char		*want;		/* the reply it owes */
	unsigned char		*rx;
	uint64_t		 quota;		/* measured requests, or 0 */
	uint64_t		 issued;	/* requests sent, not failed */
	uint64_t		 done;		/* measured */
	uint64_t		 failed;	/* measured errors */
	uint64_t		 measure_from, stop_at, ended;
	int			 stopping;
	struct sched		 sched;
	struct hist		 hist;
	uint64_t		 mismatches;
	uint64_t		 lost, truncated;	/* --udp */
	uint64_t		 errors[LOAD_ERR_KINDS];
	char			 err[128];
	_Atomic uint64_t	 pub_done, pub_errors, pub_p99, pub_open;
	_Atomic int		 finished;
};

/* The thread: runs until its duration or request count is done. */
void		*worker_main(void *);
/* The same over UDP sockets, one datagram in flight on each (udp.c). */
void		*udp_worker_main(void *);
/* Past the duration, or the quota done and nothing in flight: 1. */
int		 worker_finished(struct worker *, uint64_t now);
/* Show done, errors, open and p99 to the main thread. */
void		 worker_publish(struct worker *, uint64_t open);
/* CLOCK_MONOTONIC in nanoseconds (vDSO: no syscall). */
uint64_t	 now_ns(void);

#endif
