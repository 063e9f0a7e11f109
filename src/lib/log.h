/*
 * log.h - leveled logging to stderr.
 *
 * One line per call, written with a single write(2) so lines from
 * several processes or threads do not interleave.  On a terminal each
 * line carries a timestamp; otherwise (a pipe, a file) it starts with
 * a syslog-style "<N>" priority so a collector can keep the level.
 * When stderr is the journal (JOURNAL_STREAM names it) a line is just
 * "<N>" and the message: journald adds the time, name and pid.  The library logs but never exits: only main() does.
 */
#ifndef HERD_LOG_H
#define HERD_LOG_H

#include <syslog.h>

/* verbosity: -1 (-q) errors only, 0 notices, 1 (-v) info, 2 (-vv) debug */
void	log_init(const char *progname, int verbosity);
int	log_enabled(int prio);
void	log_msg(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
