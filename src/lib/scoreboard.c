/*
 * scoreboard.c - per-worker counters in shared memory (see
 * scoreboard.h).
 *
 * An anonymous MAP_SHARED mapping made before any fork is shared by
 * the master and all its workers, and needs neither a name to clean up
 * nor a file: it goes away with the last process that maps it.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "log.h"
#include "scoreboard.h"

struct scoreboard_slot {
	_Atomic pid_t			pid;
	_Atomic unsigned		gen;
	_Atomic int			state;
	_Atomic unsigned long long	accepted;
	_Atomic long long		active;
	_Atomic unsigned long long	bytes_in;
	_Atomic unsigned long long	bytes_out;
	_Atomic long long		started_ms;
	_Atomic long long		held;	/* --max-conns tokens */
};

struct scoreboard {
	size_t			size;	/* of the whole mapping */
	unsigned		nslots;
	struct scoreboard_slot	slot[];
};

static const char *const scoreboard_state_names[] = {
	[SB_EMPTY] = "empty",
	[SB_STARTING] = "starting",
	[SB_IDLE] = "idle",
	[SB_ACCEPTING] = "accepting",
	[SB_SERVING] = "serving",
	[SB_STOPPING] = "stopping",
};

struct scoreboard *
scoreboard_create(unsigned nslots, char *err, size_t errlen)
{
	struct scoreboard *sb;
	size_t size = sizeof *sb + nslots * sizeof sb->slot[0];

	sb = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb == MAP_FAILED) {
		snprintf(err, errlen, "scoreboard of %u slots: %s", nslots,
		    strerror(errno));
		return NULL;
	}
	sb->size = size;		/* the mapping comes zeroed */
	sb->nslots = nslots;
	return sb;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sb->size);
}

unsigned
scoreboard_slots(const struct scoreboard *sb)
{
	return sb->nslots;
}

void
scoreboard_claim(struct scoreboard *sb, unsigned slot, pid_t pid,
    unsigned gen)
{
	struct scoreboard_slot *s = &sb->slot[slot];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	atomic_store(&s->started_ms, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	atomic_store(&s->accepted, 0);
	atomic_store(&s->active, 0);
	atomic_store(&s->bytes_in, 0);
	atomic_store(&s->bytes_out, 0);
	atomic_store(&s->gen, gen);
	atomic_store(&s->state, SB_STARTING);
	atomic_store(&s->pid, pid);
}

void
scoreboard_release(struct scoreboard *sb, unsigned slot)
{
	atomic_store(&sb->slot[slot].state, SB_EMPTY);
	atomic_store(&sb->slot[slot].pid, 0);
}

void
scoreboard_set_state(struct scoreboard *sb, unsigned slot,
    enum scoreboard_state st)
{
	int cur;

	if (sb == NULL || slot >= sb->nslots)
		return;
	/*
	 * STOPPING is for good: a worker thread that starts or ends a
	 * connection after its process began to leave (--max-requests,
	 * SIGTERM) must not make it look serving again, or the master
	 * would not start its replacement.  Claiming the slot anew
	 * (scoreboard_claim) is what clears it.
	 */
	cur = atomic_load_explicit(&sb->slot[slot].state,
	    memory_order_relaxed);
	do {
		if (cur == SB_STOPPING)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
	    &sb->slot[slot].state, &cur, (int)st, memory_order_relaxed,
	    memory_order_relaxed));
}

void
scoreboard_add(struct scoreboard *sb, unsigned slot,
    unsigned long long accepted, unsigned long long bytes_in,
    unsigned long long bytes_out)
{
	struct scoreboard_slot *s;

	if (sb == NULL || slot >= sb->nslots)
		return;
	s = &sb->slot[slot];
	if (accepted)
		atomic_fetch_add_explicit(&s->accepted, accepted,
		    memory_order_relaxed);
	if (bytes_in)
		atomic_fetch_add_explicit(&s->bytes_in, bytes_in,
		    memory_order_relaxed);
	if (bytes_out)
		atomic_fetch_add_explicit(&s->bytes_out, bytes_out,
		    memory_order_relaxed);
}

void
scoreboard_active(struct scoreboard *sb, unsigned slot, int delta)
{
	if (sb != NULL && slot < sb->nslots)
		atomic_fetch_add_explicit(&sb->slot[slot].active, delta,
		    memory_order_relaxed);
}

void
scoreboard_hold(struct scoreboard *sb, unsigned slot, int delta)
{
	if (sb != NULL && slot < sb->nslots)
		atomic_fetch_add(&sb->slot[slot].held, delta);
}

long long
scoreboard_take_held(struct scoreboard *sb, unsigned slot)
{
	if (sb == NULL || slot >= sb->nslots)
		return 0;
	return atomic_exchange(&sb->slot[slot].held, 0);
}

int
scoreboard_read(const struct scoreboard *sb, unsigned slot,
    struct scoreboard_row *r)
{
	struct scoreboard_slot *s;
	long long active;

	if (sb == NULL || slot >= sb->nslots)
		return -1;
	/* The atomics are not const-qualified reads in C11's generics. */
	s = (struct scoreboard_slot *)&sb->slot[slot];
	r->pid = atomic_load(&s->pid);
	r->gen = atomic_load(&s->gen);
	r->state = (enum scoreboard_state)atomic_load(&s->state);
	r->accepted = atomic_load(&s->accepted);
	active = atomic_load(&s->active);
	r->active = active > 0 ? (unsigned long long)active : 0;
	r->bytes_in = atomic_load(&s->bytes_in);
	r->bytes_out = atomic_load(&s->bytes_out);
	r->started_ms = atomic_load(&s->started_ms);
	return 0;
}

const char *
scoreboard_state_name(enum scoreboard_state st)
{
	if ((unsigned)st >= sizeof scoreboard_state_names /
	    sizeof scoreboard_state_names[0])
		return "?";
	return scoreboard_state_names[st];
}

void
scoreboard_log(const struct scoreboard *sb)
{
	struct scoreboard_row r, sum;
	unsigned i, n = 0;

	memset(&sum, 0, sizeof sum);
	for (i = 0; i < sb->nslots; i++) {
		if (scoreboard_read(sb, i, &r) < 0 || r.pid == 0)
			continue;
		n++;
		sum.accepted += r.accepted;
		sum.active += r.active;
		sum.bytes_in += r.bytes_in;
		sum.bytes_out += r.bytes_out;
		log_notice("scoreboard: slot %u pid %ld gen %u %s "
		    "accepted %llu active %llu in %llu out %llu", i,
		    (long)r.pid, r.gen, scoreboard_state_name(r.state),
		    r.accepted, r.active, r.bytes_in, r.bytes_out);
	}
	log_notice("scoreboard: %u workers accepted %llu active %llu in %llu "
	    "out %llu", n, sum.accepted, sum.active, sum.bytes_in,
	    sum.bytes_out);
}
