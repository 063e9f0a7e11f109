/*
 * load.c - see load.h.
 *
 * Sets up one worker per thread (worker.c runs them), each with its
 * own epoll descriptor and slice of the connections, all buffers
 * allocated before the clock starts; waits for them, reporting
 * progress once a second, and merges their results.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

static const char *const err_names[LOAD_ERR_KINDS] = {
	"refused", "reset", "timeout", "short", "other"
};

const char *
load_err_name(enum load_err e)
{
	return e < LOAD_ERR_KINDS ? err_names[e] : "?";
}

static int
worker_init(struct worker *w, unsigned id, const struct load_config *cfg,
    uint64_t start, const unsigned char *msg, const unsigned char *want)
{
	unsigned k, i, t = cfg->threads;

	memset(w, 0, sizeof *w);
	w->id = id;
	w->cfg = cfg;
	w->nconns = cfg->conns / t + (id < cfg->conns % t);
	w->quota = cfg->requests / t + (id < cfg->requests % t);
	w->src = id * 7919u;
	w->measure_from = start + (uint64_t)(cfg->warmup * 1e9);
	if (cfg->duration > 0)
		w->stop_at = w->measure_from + (uint64_t)(cfg->duration * 1e9);
	if (cfg->mode == LOAD_OPEN)
		sched_init(&w->sched, start, cfg->rate, id, t);
	hist_init(&w->hist);
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	/* Room to write a whole pipeline from any offset in the message. */
	k = cfg->mode == LOAD_OPEN ? 4 : cfg->pipeline + 1;
	w->sendcap = cfg->size * k;
	w->sendbuf = malloc(w->sendcap);
	w->want = malloc(cfg->size);
	w->rx = malloc(RXBUF);
	w->conns = calloc(w->nconns ? w->nconns : 1, sizeof *w->conns);
	if (!w->sendbuf || !w->want || !w->rx || !w->conns)
		return -1;
	for (i = 0; i < k; i++)
		memcpy(w->sendbuf + i * cfg->size, msg, cfg->size);
	memcpy(w->want, want, cfg->size);
	for (i = 0; i < w->nconns; i++)
		w->conns[i].fd = -1;
	return 0;
}

static void
worker_free(struct worker *w)
{
	if (w->ep >= 0)
		close(w->ep);
	free(w->sendbuf);
	free(w->want);
	free(w->rx);
	free(w->conns);
}

static int
all_finished(struct worker *ws, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!atomic_load(&ws[i].finished))
			return 0;
	return 1;
}

static void
report_progress(struct worker *ws, unsigned n, uint64_t start,
    load_progress_fn fn, void *arg)
{
	struct load_progress p = { 0 };
	uint64_t p99;
	unsigned i;

	p.elapsed = (double)(now_ns() - start) / 1e9;
	for (i = 0; i < n; i++) {
		p.requests += atomic_load(&ws[i].pub_done);
		p.errors += atomic_load(&ws[i].pub_errors);
		p.open += atomic_load(&ws[i].pub_open);
		if ((p99 = atomic_load(&ws[i].pub_p99)) > p.p99)
			p.p99 = p99;
	}
	fn(&p, arg);
}

/* Wait for the workers, calling fn once a second meanwhile. */
static void
supervise(struct worker *ws, unsigned n, uint64_t start,
    load_progress_fn fn, void *arg)
{
	struct timespec nap = { 0, 20000000L };
	uint64_t next = start + NS;

	while (!all_finished(ws, n)) {
		nanosleep(&nap, NULL);
		if (fn != NULL && now_ns() >= next) {
			report_progress(ws, n, start, fn, arg);
			next += NS;
		}
	}
}

static void
collect(const struct load_config *cfg, struct worker *ws,
    struct load_result *r)
{
	unsigned i, k;
	uint64_t from, end = 0;
	double el;

	memset(r, 0, sizeof *r);
	hist_init(&r->hist);
	for (i = 0; i < cfg->threads; i++) {
		struct worker *w = &ws[i];

		hist_merge(&r->hist, &w->hist);
		r->requests += w->done;
		r->mismatches += w->mismatches;
		r->lost += w->lost;
		r->truncated += w->truncated;
		r->open += atomic_load(&w->pub_open);
		for (k = 0; k < LOAD_ERR_KINDS; k++)
			r->errors[k] += w->errors[k];
		if (w->ended > end)
			end = w->ended;
	}
	from = ws[0].measure_from;
	el = end > from ? (double)(end - from) / 1e9 : 0.0;
	r->elapsed = el;
}

int
load_run(const struct load_config *cfg, struct load_result *r,
    load_progress_fn progress, void *arg, char *err, size_t errlen)
{
	struct worker *ws;
	unsigned char *msg, *want;
	uint64_t start;
	unsigned i, started = 0;
	int rc = -1;

	ws = calloc(cfg->threads, sizeof *ws);
	msg = malloc(cfg->size);
	want = malloc(cfg->size);
	if (ws == NULL || msg == NULL || want == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->threads; i++)
		ws[i].ep = -1;
	verify_fill(msg, cfg->size);
	verify_expect(cfg->expect, msg, cfg->size, want);
	start = now_ns();
	for (i = 0; i < cfg->threads; i++) {
		if (worker_init(&ws[i], i, cfg, start, msg, want) < 0) {
			snprintf(err, errlen, "worker %u: %s", i,
			    strerror(errno));
			goto join;
		}
	}
	for (started = 0; started < cfg->threads; started++) {
		if ((errno = pthread_create(&ws[started].tid, NULL,
		    cfg->udp ? udp_worker_main : worker_main,
		    &ws[started])) != 0) {
			snprintf(err, errlen, "pthread_create: %s",
			    strerror(errno));
			goto join;
		}
	}
	supervise(ws, started, start, progress, arg);
	rc = 0;
join:
	for (i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].err[0] != '\0' && rc == 0) {
			snprintf(err, errlen, "%s", ws[i].err);
			rc = -1;
		}
	}
	if (rc == 0)
		collect(cfg, ws, r);
	for (i = 0; i < cfg->threads; i++)
		worker_free(&ws[i]);
out:
	free(ws);
	free(msg);
	free(want);
	return rc;
}
