/*
 * load.h - herd-load's engine: worker threads, each with its own epoll
 * loop over its share of the connections, none per connection.
 *
 * The hot path (one request) costs one write, one read, a memcmp and a
 * histogram increment: buffers are sized once at start, timestamps
 * come from the vDSO clock, so what is measured is the server.
 */
#ifndef HERD_LOAD_H
#define HERD_LOAD_H

#include <stdint.h>
#include <sys/socket.h>

#include "hist.h"
#include "verify.h"

#define LOAD_MAX_PIPELINE	64

enum load_mode {
	LOAD_CLOSED,		/* -c connections, a reply before the next */
	LOAD_OPEN,		/* --rate: sends on schedule, whatever */
	LOAD_CPR,		/* connect, send, read, close; repeat */
	LOAD_IDLE,		/* hold -c connections open, send nothing */
};

enum load_err {
	LOAD_ERR_REFUSED,
	LOAD_ERR_RESET,
	LOAD_ERR_TIMEOUT,
	LOAD_ERR_SHORT,		/* EOF before the whole reply */
	LOAD_ERR_OTHER,
	LOAD_ERR_KINDS
};

struct load_config {
	struct sockaddr_storage	addr;
	socklen_t		addrlen;
	enum load_mode		mode;
	unsigned		threads;
	unsigned		conns;
	unsigned		pipeline;
	unsigned		sources;	/* from 127.0.0.2 up */
	size_t			size;
	double			rate;		/* requests/s, LOAD_OPEN */
	double			duration;	/* seconds; 0 with requests */
	double			warmup;		/* seconds not measured */
	uint64_t		requests;	/* measured requests, or 0 */
	double			timeout;	/* seconds a reply may take */
	enum verify_mode	expect;
	int			udp;		/* datagrams (udp.c), closed loop */
};

struct load_result {
	uint64_t	requests;	/* completed and measured */
	uint64_t	mismatches;	/* reply bytes that differ */
	uint64_t	errors[LOAD_ERR_KINDS];
	uint64_t	open;		/* connections open at the end */
	uint64_t	lost;		/* --udp: no reply within --timeout */
	uint64_t	truncated;	/* --udp: reply longer than expected */
	double		elapsed;	/* measured seconds */
	struct hist	hist;		/* latency, nanoseconds */
};

/* A snapshot for the progress line, once a second. */
struct load_progress {
	double		elapsed;
	uint64_t	requests;
	uint64_t	errors;
	uint64_t	open;
	uint64_t	p99;		/* ns, the worst thread's */
};

typedef void	(*load_progress_fn)(const struct load_progress *, void *);

/*
 * Run the load as configured; r must be allocated by the caller (it
 * holds a histogram).  progress (may be NULL) is called from the
 * calling thread once a second.  Returns 0, or -1 with a reason.
 */
int	load_run(const struct load_config *, struct load_result *,
	    load_progress_fn progress, void *arg, char *err, size_t errlen);

const char *load_err_name(enum load_err);

#endif
