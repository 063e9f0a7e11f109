/*
 * test-notify.c - what the service manager sees, tested in-process:
 * the notify messages (through whichever backend this build uses, and
 * through the built-in sender in every build), the watchdog settings,
 * and the log format when stderr is the journal.
 *
 * Criterion runs each test in its own process, so the environment and
 * notify.c's once-only flags start fresh in each.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "notify.h"

TestSuite(notify, .timeout = 30);

static char sockpath[108];

/* A datagram socket to receive on: a path, or an abstract "@name". */
static int
receiver(int abstract)
{
	snprintf(sockpath, sizeof sockpath, "%s/herd-notify-%ld",
	    abstract ? "@" : "/tmp", (long)getpid());
	return notify_listen(sockpath);
}

/* The next message within 5 s. */
static const char *
receive(int fd)
{
	static char buf[1024];

	cr_assert_geq(notify_recv(fd, buf, sizeof buf, 5000), 0,
	    "a message arrived");
	return buf;
}

static int
nothing_pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

Test(notify, builtin_sender_reaches_a_path_socket)
{
	int fd = receiver(0);

	cr_assert_eq(notify_datagram(sockpath, "READY=1"), 1);
	cr_assert_str_eq(receive(fd), "READY=1");
}

Test(notify, builtin_sender_reaches_an_abstract_socket)
{
	int fd = receiver(1);

	cr_assert_eq(sockpath[0], '@');
	cr_assert_eq(notify_datagram(sockpath, "STATUS=abstract"), 1);
	cr_assert_str_eq(receive(fd), "STATUS=abstract");
}

Test(notify, builtin_sender_without_socket_is_a_no_op)
{
	cr_assert_eq(notify_datagram(NULL, "READY=1"), 0);
	cr_assert_eq(notify_datagram("", "READY=1"), 0);
}

Test(notify, builtin_sender_reports_a_missing_socket)
{
	cr_assert_eq(notify_datagram("/nonexistent/herd-notify", "READY=1"),
	    -1);
	cr_assert_eq(errno, ENOENT);
}

Test(notify, nothing_is_sent_without_notify_socket)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_ready(), 0);
	cr_assert_eq(notify_status("x"), 0);
	cr_assert_eq(notify_stopping(), 0);
}

Test(notify, ready_names_the_main_pid_the_first_time)
{
	int fd = receiver(0);
	char want[64];

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_ready(), 1);
	snprintf(want, sizeof want, "READY=1\nMAINPID=%ld", (long)getpid());
	cr_assert_str_eq(receive(fd), want);
	cr_assert_eq(notify_ready(), 1);
	cr_assert_str_eq(receive(fd), "READY=1");
}

Test(notify, backend_speaks_to_abstract_sockets)
{
	int fd = receiver(1);

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_watchdog(), 1, "via %s", notify_backend());
	cr_assert_str_eq(receive(fd), "WATCHDOG=1");
}

Test(notify, reloading_carries_the_monotonic_time)
{
	int fd = receiver(0);
	struct timespec ts;
	unsigned long long before, at;

	setenv("NOTIFY_SOCKET", sockpath, 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000;
	cr_assert_eq(notify_reloading(), 1);
	cr_assert_eq(sscanf(receive(fd), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    &at), 1);
	cr_assert_geq(at, before);
	cr_assert_lt(at, before + 5000000);
}

Test(notify, stopping_is_sent_once)
{
	int fd = receiver(0);

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_stopping(), 1);
	cr_assert_str_eq(receive(fd), "STOPPING=1");
	cr_assert_eq(notify_stopping(), 0);
	cr_assert(nothing_pending(fd));
}

Test(notify, status_is_one_line)
{
	int fd = receiver(0);

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_status("model %s: %d workers\nREADY=1", "fork",
	    3), 1);
	cr_assert_str_eq(receive(fd), "STATUS=model fork: 3 workers");
}

Test(notify, mainpid_is_sent_as_given)
{
	int fd = receiver(0);

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_mainpid(4711), 1);
	cr_assert_str_eq(receive(fd), "MAINPID=4711");
	cr_assert_eq(notify_ready(), 1);
	cr_assert_str_eq(receive(fd), "READY=1", "MAINPID was said already");
}

Test(notify, children_of_the_main_process_stay_quiet)
{
	int fd = receiver(0), status;
	pid_t pid;

	setenv("NOTIFY_SOCKET", sockpath, 1);
	cr_assert_eq(notify_status("main"), 1);
	cr_assert_str_eq(receive(fd), "STATUS=main");
	if ((pid = fork()) == 0)
		_exit(notify_stopping() == 0 && notify_ready() == 0 ? 0 : 1);
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(nothing_pending(fd), "the child sent nothing");
}

Test(notify, watchdog_pings_at_half_its_timeout)
{
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	cr_assert_eq(notify_watchdog_interval(), 0, "off when unset");
	setenv("WATCHDOG_USEC", "3000000", 1);
	cr_assert_eq(notify_watchdog_interval(), 1500000);
	setenv("WATCHDOG_USEC", "bogus", 1);
	cr_assert_eq(notify_watchdog_interval(), 0);
}

Test(notify, watchdog_honours_watchdog_pid)
{
	char pid[32];

	setenv("WATCHDOG_USEC", "1000000", 1);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_watchdog_interval(), 500000, "ours");
	snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_watchdog_interval(), 0, "another process's");
}

/* Point stderr at a fresh file; JOURNAL_STREAM names it or not. */
static const char *
log_line(int journal, int prio)
{
	static char buf[512];
	char path[64], js[64];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/tmp/herd-log-%ld-XXXXXX",
	    (long)getpid());
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	cr_assert(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	fstat(fd, &st);
	snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + !journal);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("herdd", 0);
	log_msg(prio, "hello %d", 42);
	n = pread(fd, buf, sizeof buf - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

Test(notify, journal_lines_have_a_priority_and_no_timestamp)
{
	cr_assert_str_eq(log_line(1, LOG_WARNING), "<4>hello 42\n");
	cr_assert_str_eq(log_line(1, LOG_ERR), "<3>hello 42\n");
}

Test(notify, other_stderr_keeps_name_and_pid_despite_journal_stream)
{
	char want[64];

	snprintf(want, sizeof want, "<5>herdd[%ld]: hello 42\n",
	    (long)getpid());
	cr_assert_str_eq(log_line(0, LOG_NOTICE), want);
}
