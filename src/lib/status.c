/*
 * status.c - render the scoreboard for the control socket (see
 * status.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "control.h"
#include "scoreboard.h"
#include "status.h"

struct status_sum {
	unsigned		n;
	unsigned long long	served, active, in, out;
};

static int
status_printf(struct herd_buf *out, const char *fmt, ...)
{
	unsigned char *p;
	va_list ap;
	int n;

	if ((p = herd_buf_reserve(out, 256)) == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf((char *)p, 256, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 256)
		return -1;
	out->len += (size_t)n;
	return 0;
}

static unsigned long long
status_age(long long since_ms, long long now_ms)
{
	return now_ms > since_ms ? (unsigned long long)(now_ms - since_ms) /
	    1000 : 0;
}

static int
status_row(struct herd_buf *out, unsigned slot, const struct scoreboard_row *r,
    long long now, int json, int first)
{
	if (json)
		return status_printf(out, "%s{\"slot\":%u,\"pid\":%ld,"
		    "\"generation\":%u,\"state\":\"%s\",\"served\":%llu,"
		    "\"active\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
		    "\"uptime\":%llu}", first ? "" : ",", slot, (long)r->pid,
		    r->gen, scoreboard_state_name(r->state), r->accepted,
		    r->active, r->bytes_in, r->bytes_out,
		    status_age(r->started_ms, now));
	return status_printf(out, "%5u %8ld %4u %-10s %7llu %6llu %9llu "
	    "%9llu %6llu\n", slot, (long)r->pid, r->gen,
	    scoreboard_state_name(r->state), r->accepted, r->active,
	    r->bytes_in, r->bytes_out, status_age(r->started_ms, now));
}

static int
status_rows(struct herd_buf *out, const struct control_view *v, long long now,
    int json, struct status_sum *sum)
{
	struct scoreboard_row r;
	unsigned i;

	for (i = 0; v->sb != NULL && i < scoreboard_slots(v->sb); i++) {
		if (scoreboard_read(v->sb, i, &r) < 0 || r.pid == 0)
			continue;
		if (status_row(out, i, &r, now, json, sum->n == 0) < 0)
			return -1;
		sum->n++;
		sum->served += r.accepted;
		sum->active += r.active;
		sum->in += r.bytes_in;
		sum->out += r.bytes_out;
	}
	return 0;
}

int
status_render(struct herd_buf *out, const struct control_view *v, int json)
{
	struct status_sum sum = { 0, v->gone_served, 0, v->gone_in,
	    v->gone_out };
	long long now = clock_ms();
	unsigned long long up = status_age(v->started_ms, now);

	if (json) {
		if (status_printf(out, "{\"pid\":%ld,\"model\":\"%s\","
		    "\"generation\":%u,\"wanted\":%u,\"running\":%s,"
		    "\"uptime\":%llu,\"workers\":[", (long)v->pid, v->model,
		    v->generation, v->wanted, v->running ? "true" : "false",
		    up) < 0 || status_rows(out, v, now, 1, &sum) < 0)
			return -1;
		return status_printf(out, "],\"total\":{\"workers\":%u,"
		    "\"served\":%llu,\"active\":%llu,\"bytes_in\":%llu,"
		    "\"bytes_out\":%llu}}\n", sum.n, sum.served, sum.active,
		    sum.in, sum.out);
	}
	if (status_printf(out, "herdd %ld: model %s, generation %u, %u "
	    "wanted, %s, up %llu s\n", (long)v->pid, v->model, v->generation,
	    v->wanted, v->running ? "running" : "stopping", up) < 0 ||
	    status_printf(out, "%5s %8s %4s %-10s %7s %6s %9s %9s %6s\n",
	    "SLOT", "PID", "GEN", "STATE", "SERVED", "ACTIVE", "BYTES-IN",
	    "BYTES-OUT", "UPTIME") < 0 ||
	    status_rows(out, v, now, 0, &sum) < 0)
		return -1;
	return status_printf(out, "total: %u workers, served %llu, active "
	    "%llu, in %llu, out %llu\n", sum.n, sum.served, sum.active,
	    sum.in, sum.out);
}
