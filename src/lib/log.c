/*
 * log.c - leveled logging to stderr (see log.h).
 *
 * The settings are process-wide on purpose: every module logs, and
 * threading a logger through each call would buy nothing.  They are
 * written once by log_init() before any thread or child exists.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "herd";
static int log_max = LOG_NOTICE;
static int log_tty;
static int log_journal;

/*
 * Whether stderr is systemd's journal stream: JOURNAL_STREAM holds its
 * "device:inode", which stays set in children whose stderr went
 * elsewhere, so only a match counts (see systemd.exec(5)).
 */
static int
log_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n;

	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &n) != 2 ||
	    js[n] != '\0' || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int verbosity)
{
	log_prog = progname;
	if (verbosity < 0)
		log_max = LOG_ERR;
	else if (verbosity == 0)
		log_max = LOG_NOTICE;
	else if (verbosity == 1)
		log_max = LOG_INFO;
	else
		log_max = LOG_DEBUG;
	log_journal = log_is_journal();
	log_tty = !log_journal && isatty(STDERR_FILENO);
}

int
log_enabled(int prio)
{
	return prio <= log_max;
}

static const char *
log_level_name(int prio)
{
	switch (prio) {
	case LOG_ERR:		return "error";
	case LOG_WARNING:	return "warning";
	case LOG_NOTICE:	return "notice";
	case LOG_INFO:		return "info";
	default:		return "debug";
	}
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	size_t n = 0;
	int saved = errno, r;
	va_list ap;

	if (!log_enabled(prio))
		return;
	if (log_tty) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof line, "%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof line - n, ".%03ld %s[%ld] %s: ",
		    ts.tv_nsec / 1000000, log_prog, (long)getpid(),
		    log_level_name(prio));
	} else if (log_journal)		/* it records the time and pid */
		r = snprintf(line, sizeof line, "<%d>", prio);
	else
		r = snprintf(line, sizeof line, "<%d>%s[%ld]: ", prio,
		    log_prog, (long)getpid());
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof line)
		n = sizeof line - 1;

	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof line - 1)
		n = sizeof line - 2;	/* truncated: keep the newline */
	line[n++] = '\n';

	/* One write per line; a failed log write has nowhere to go. */
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		;
	errno = saved;
}
