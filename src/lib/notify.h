/*
 * notify.h - telling the service manager how herdd is doing
 * (sd_notify(3)): READY=1 once serving, RELOADING=1 and READY=1 around
 * a reload, STOPPING=1 at shutdown, STATUS= lines, WATCHDOG=1 pings.
 *
 * Every call is a no-op returning 0 when NOTIFY_SOCKET is not set, so
 * models call them unconditionally.  The messages go through
 * libsystemd's sd_notify() when configure found it, else through the
 * small built-in sender below, which speaks the same datagram protocol
 * (a path, or an abstract name written with a leading '@').
 *
 * Only the main process speaks: with systemd's default NotifyAccess=main
 * messages from any other pid are dropped, so once one process has sent
 * a message, calls from its children (forked workers) do nothing.
 */
#ifndef HERD_NOTIFY_H
#define HERD_NOTIFY_H

#include <sys/types.h>

/*
 * Each returns 1 when the message was sent, 0 when there is nobody to
 * tell (no NOTIFY_SOCKET), -1 on failure with errno set.
 */
int	notify_ready(void);		/* READY=1 (and MAINPID, once) */
int	notify_reloading(void);		/* RELOADING=1, MONOTONIC_USEC= */
int	notify_stopping(void);		/* STOPPING=1, once */
int	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
int	notify_mainpid(pid_t);
int	notify_watchdog(void);		/* WATCHDOG=1 */

/*
 * How often to ping, in microseconds: half of WATCHDOG_USEC when the
 * watchdog is on for this process (WATCHDOG_PID unset or ours), else 0.
 */
unsigned long long notify_watchdog_interval(void);

/*
 * Arm a SIGALRM interval timer at notify_watchdog_interval(); the loop
 * that takes the SIGALRM flag then calls notify_watchdog(), so a ping
 * proves that loop is alive.  0 (also when the watchdog is off), or -1
 * with errno set.
 */
int	notify_watchdog_arm(void);

/* "libsystemd" or "built-in": who sends the messages. */
const char *notify_backend(void);

/*
 * The built-in sender, exported so that tests exercise it in every
 * build: send msg as one datagram to the AF_UNIX socket named addr.
 * 1 sent, 0 when addr is NULL or empty, -1 with errno set.
 */
int	notify_datagram(const char *addr, const char *msg);

#endif
