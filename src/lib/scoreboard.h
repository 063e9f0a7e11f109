/*
 * scoreboard.h - per-worker counters in memory shared by the master
 * and every worker process (Apache's scoreboard, read by mod_status).
 *
 * The master creates it before the first fork, so each worker writes
 * its own row and the master (or a status page, or a benchmark) reads
 * all of them.  It is what makes the thundering herd and accept skew
 * visible: how many accepts each worker won, and what it is doing now.
 *
 * A row belongs to one live worker at a time and its counters start
 * at zero with each worker (a respawned or recycled worker's row
 * starts over; read it before stopping the server).  The counters are C11
 * atomics: several threads of one worker (models hybrid and event) may
 * add to the same row, and the master reads while they write.
 */
#ifndef HERD_SCOREBOARD_H
#define HERD_SCOREBOARD_H

#include <stddef.h>
#include <sys/types.h>

enum scoreboard_state {
	SB_EMPTY,		/* no worker in this row */
	SB_STARTING,		/* forked, not yet waiting for work */
	SB_IDLE,		/* waiting: for the accept lock, or for work */
	SB_ACCEPTING,		/* in poll/accept on the listeners */
	SB_SERVING,		/* serving a connection */
	SB_STOPPING,		/* told to stop; finishing what it holds */
};

/* One row as read back (a consistent-enough copy of the live one). */
struct scoreboard_row {
	pid_t			pid;
	unsigned		gen;	/* master's generation (SIGHUP) */
	enum scoreboard_state	state;
	unsigned long long	accepted;	/* connections taken */
	unsigned long long	active;		/* connections open */
	unsigned long long	bytes_in;
	unsigned long long	bytes_out;
	long long		started_ms;	/* claimed, CLOCK_MONOTONIC */
};

struct scoreboard;

/* Map a zeroed board of nslots rows, shared across fork(); NULL + err. */
struct scoreboard *scoreboard_create(unsigned nslots, char *err,
	    size_t errlen);
void	scoreboard_destroy(struct scoreboard *);
unsigned scoreboard_slots(const struct scoreboard *);

/* Master: slot now belongs to pid (counters zeroed), or to nobody. */
void	scoreboard_claim(struct scoreboard *, unsigned slot, pid_t pid,
	    unsigned gen);
void	scoreboard_release(struct scoreboard *, unsigned slot);

/* Worker: what it is doing now (once STOPPING, it stays so). */
void	scoreboard_set_state(struct scoreboard *, unsigned slot,
	    enum scoreboard_state);
/* Worker: count connections accepted and bytes moved. */
void	scoreboard_add(struct scoreboard *, unsigned slot,
	    unsigned long long accepted, unsigned long long bytes_in,
	    unsigned long long bytes_out);
/* Worker: a connection opened (+1) or closed (-1). */
void	scoreboard_active(struct scoreboard *, unsigned slot, int delta);

/*
 * Worker: it took (+1) or gave back (-1) a --max-conns token
 * (connlimit.h).  Master: what a dead worker held, zeroing it.
 */
void	scoreboard_hold(struct scoreboard *, unsigned slot, int delta);
long long scoreboard_take_held(struct scoreboard *, unsigned slot);

/* Copy a row out; 0, or -1 when slot is out of range. */
int	scoreboard_read(const struct scoreboard *, unsigned slot,
	    struct scoreboard_row *);
const char *scoreboard_state_name(enum scoreboard_state);
/* One notice per busy row, then a total (SIGUSR2). */
void	scoreboard_log(const struct scoreboard *);

#endif
