/*
 * notify.c - the service manager notification protocol (see notify.h).
 *
 * The protocol is one AF_UNIX datagram of "KEY=VALUE\n" lines sent to
 * the socket named by $NOTIFY_SOCKET.  libsystemd's sd_notify() is used
 * when configure found it; otherwise notify_datagram() below does the
 * same in a few lines, so herdd behaves alike under both builds.
 *
 * The once-only flags are process-wide like log.c's settings: there is
 * one service manager and one main process talking to it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"
#include "options.h"

#define NOTIFY_MSGLEN	512

static int notify_sent_mainpid;
static int notify_sent_stopping;
static pid_t notify_owner;	/* the process that spoke first */

int
notify_datagram(const char *addr, const char *msg)
{
	struct sockaddr_un sun;
	socklen_t len;
	size_t n;
	ssize_t r;
	int fd, saved;

	if (addr == NULL || *addr == '\0')
		return 0;
	if (*addr != '/' && *addr != '@') {	/* e.g. vsock: not ours */
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((n = strlen(addr)) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, addr, n);
	/* An abstract name has no terminating NUL: its length is exact. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (*addr == '@')
		sun.sun_path[0] = '\0';
	else
		len++;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	do
		r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, len);
	while (r < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	return r < 0 ? -1 : 1;
}

const char *
notify_backend(void)
{
#ifdef HAVE_LIBSYSTEMD
	return "libsystemd";
#else
	return "built-in";
#endif
}

/* Send msg; the one place that picks the implementation. */
static int
notify_send(const char *msg)
{
	int r;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	/*
	 * The main process speaks first (it is ready before it forks);
	 * a worker that inherited the code paths stays quiet, as systemd
	 * would only drop its messages with a warning.
	 */
	if (notify_owner == 0)
		notify_owner = getpid();
	else if (notify_owner != getpid())
		return 0;
#ifdef HAVE_LIBSYSTEMD
	if ((r = sd_notify(0, msg)) < 0) {
		errno = -r;
		r = -1;
	}
#else
	r = notify_datagram(getenv("NOTIFY_SOCKET"), msg);
#endif
	if (r < 0)
		log_warn("notify %s: %s", getenv("NOTIFY_SOCKET"),
		    strerror(errno));
	else if (r > 0 && log_enabled(LOG_DEBUG))
		log_debug("notify: %.*s", (int)strcspn(msg, "\n"), msg);
	return r;
}

int
notify_ready(void)
{
	char msg[64];

	if (notify_sent_mainpid)
		return notify_send("READY=1");
	/*
	 * MAINPID says which process to watch even when herdd was started
	 * through a wrapper that did not exec it.
	 */
	snprintf(msg, sizeof msg, "READY=1\nMAINPID=%ld", (long)getpid());
	notify_sent_mainpid = 1;
	return notify_send(msg);
}

int
notify_reloading(void)
{
	struct timespec ts;
	char msg[80];

	/* systemd 253+ matches the reload to this timestamp. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	return notify_send(msg);
}

int
notify_stopping(void)
{
	if (notify_sent_stopping)
		return 0;
	notify_sent_stopping = 1;
	return notify_send("STOPPING=1");
}

int
notify_status(const char *fmt, ...)
{
	char msg[NOTIFY_MSGLEN];
	va_list ap;
	int n;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	n = snprintf(msg, sizeof msg, "STATUS=");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	msg[n + strcspn(msg + n, "\n")] = '\0';	/* one line only */
	return notify_send(msg);
}

int
notify_mainpid(pid_t pid)
{
	char msg[32];

	snprintf(msg, sizeof msg, "MAINPID=%ld", (long)pid);
	notify_sent_mainpid = 1;
	return notify_send(msg);
}

int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

unsigned long long
notify_watchdog_interval(void)
{
	unsigned long usec, pid;

	/* As sd_watchdog_enabled(3): WATCHDOG_PID, when set, must be us. */
	if (parse_uint(getenv("WATCHDOG_USEC"), 1, (unsigned long)-1,
	    &usec) < 0)
		return 0;
	if (getenv("WATCHDOG_PID") != NULL &&
	    (parse_uint(getenv("WATCHDOG_PID"), 1, (unsigned long)-1,
	    &pid) < 0 || pid != (unsigned long)getpid()))
		return 0;
	return usec / 2 > 0 ? usec / 2 : 1;
}

int
notify_watchdog_arm(void)
{
	struct itimerval it;
	unsigned long long us = notify_watchdog_interval();

	if (us == 0)
		return 0;
	memset(&it, 0, sizeof it);
	it.it_interval.tv_sec = (time_t)(us / 1000000);
	it.it_interval.tv_usec = (suseconds_t)(us % 1000000);
	it.it_value = it.it_interval;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		return -1;
	log_info("watchdog: pinging every %llu ms", us / 1000);
	return 0;
}
