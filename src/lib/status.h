/*
 * status.h - the scoreboard as herdctl status shows it: a table for
 * people, or one line of JSON for scripts (control.c sends either).
 *
 * Text:
 *   herdd 1234: model prefork, generation 0, 2 of 2 workers, up 35 s
 *    SLOT      PID  GEN STATE       SERVED ACTIVE  BYTES-IN BYTES-OUT UPTIME
 *       0     1235    0 idle            10      0      1000      1000     35
 *   total: served 20, active 0, in 2000, out 2000
 *
 * SERVED counts connections taken, the open ones included; bytes are
 * counted as each connection ends.  The total takes in workers already
 * gone (reloaded, recycled, crashed), so it spans the master's life.
 */
#ifndef HERD_STATUS_H
#define HERD_STATUS_H

#include "herd.h"

struct control_view;

/* Append the status to out; 0, or -1 out of memory. */
int	status_render(struct herd_buf *out, const struct control_view *,
	    int json);

#endif
