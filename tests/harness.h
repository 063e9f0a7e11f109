/*
 * harness.h - start herdd on sockets the test bound, talk to it, stop it.
 *
 * The test binds 127.0.0.1:0, reads the port back and hands the socket
 * to herdd as fd 3 with LISTEN_FDS (socket activation): no port races,
 * and herdd can be connected to before it even runs.  herdd dies with
 * the test process (PR_SET_PDEATHSIG), so a crashed or timed-out test
 * leaves no server behind.
 */
#ifndef HERD_TEST_HARNESS_H
#define HERD_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#define HARNESS_MAXSOCK	4
#define HARNESS_MAXKIDS	64	/* worker processes a test looks at */

/* Timeouts of "must happen" waits, generous for a loaded machine. */
#define HARNESS_T_IO	20000	/* ms: one round trip, backoff included */
#define HARNESS_T_WAIT	15000	/* ms: herdd changes shape (workers up...) */

struct herdd {
	pid_t	pid;
	int	nports;
	int	port[HARNESS_MAXSOCK];
	char	log[64];	/* its stderr */
	int	hold[HARNESS_MAXSOCK];	/* herdd_start_listen's ports */
};

/*
 * Start herdd with one listening socket per ':'-separated handler name
 * in fdnames ("echo", "echo:rot13"; NULL for none) and the given
 * NULL-terminated arguments (argv[0] excluded).  Its stdout and
 * stderr go to d->log.  HARNESS_NOFILE=N in the environment starts it
 * with RLIMIT_NOFILE N.
 */
void	herdd_start(struct herdd *, const char *fdnames, const char *const *args);
/*
 * The same with the caller's sockets as fd 3, 4, ... (a bound UDP
 * socket, one end of a socketpair...): one per name in fdnames.  The
 * caller keeps its descriptors (d->port stays 0).
 */
void	herdd_start_fds(struct herdd *, const int *fds, const char *fdnames,
	    const char *const *args);
/*
 * A TCP socket listening on 127.0.0.1:0, inheritable (no CLOEXEC: a
 * child can be handed it, as herdd or HAProxy are); its port.
 */
int	listen_loopback(int *port);
/* A UDP socket bound to 127.0.0.1:0 (CLOEXEC, blocking); its port. */
int	udp_loopback(int *port);
/*
 * The same, but herdd binds the ports itself (--listen 127.0.0.1:PORT=
 * HANDLER, one per name), for models that cannot take inherited
 * sockets.  The test keeps each port bound (SO_REUSEADDR, not
 * listening) until herdd_stop, so no other test can take it.
 */
void	herdd_start_listen(struct herdd *, const char *handlers,
	    const char *const *args);
/*
 * Start herdd for model with args (which name the model themselves):
 * herdd_start(), except for reuseport, which cannot take passed
 * sockets: it gets herdd_start_listen(), and this waits up to
 * timeout_ms until a worker listens on the last port.
 */
void	herdd_start_model(struct herdd *, const char *model,
	    const char *fdnames, const char *const *args, int timeout_ms);
/*
 * herdd_start_model() of "--model model" and the NULL-terminated
 * extra arguments, waiting up to HARNESS_T_WAIT; HERDD_START() takes
 * them inline: HERDD_START(&d, "prefork", "echo", "-w", "2").
 */
void	herdd_start_extra(struct herdd *, const char *model,
	    const char *fdnames, const char *const *extra);
#define HERDD_START(d, model, fdnames, ...)				\
	herdd_start_extra(d, model, fdnames,				\
	    (const char *const []){ __VA_ARGS__, NULL })
/*
 * SIGKILL every herdd this test process started and has not stopped:
 * a suite's .fini, so a failed assertion leaves no server behind.
 */
void	herdd_stop_all(void);
/*
 * Start cmd (a NULL-terminated argv; cmd[0] is looked up on PATH) the
 * way herdd_start() starts herdd, with no sockets passed: for wrappers
 * such as systemd-socket-activate that exec herdd in turn.
 */
void	herdd_start_cmd(struct herdd *, const char *const *cmd);
/* Signal it and wait up to timeout_ms; returns the wait status, -1 on timeout. */
int	herdd_stop(struct herdd *, int signo, int timeout_ms);
/* Wait up to timeout_ms for it to exit; the wait status or -1. */
int	herdd_wait(struct herdd *, int timeout_ms);
/* Its log so far (static buffer). */
const char *herdd_log(const struct herdd *);
/* Poll up to timeout_ms for text to appear in its log. */
int	herdd_log_wait(const struct herdd *, const char *text, int timeout_ms);

/* Run herdd to completion; its wait status, and its output in output. */
int	herdd_run(const char *fdnames, const char *const *args, char *output,
	    size_t len);

/* A connected TCP socket to 127.0.0.1:port (asserts). */
int	client_connect(int port);
/* The same without asserting (for client threads): the fd or -1. */
int	client_try_connect(int port);

/* Children of pid (from /proc/PID/task/PID/children); count or -1. */
int	proc_children(pid_t pid, pid_t *kids, int max);
/* The same without the dead not yet reaped (zombies); count. */
int	proc_live_children(pid_t pid, pid_t *kids, int max);
/*
 * Poll up to HARNESS_T_WAIT until d has want live workers (their pids
 * into kids, unless NULL); 1, or 0 when it never had.
 */
int	herdd_wait_workers(const struct herdd *, int want, pid_t *kids);
/* Sockets pid holds, from /proc/PID/fd; -1 if it is gone. */
int	proc_sockets(pid_t pid);
/* Poll up to ms until pid holds want sockets (or more, if atleast). */
int	proc_wait_sockets(pid_t pid, int want, int atleast, int ms);
/* The number after "field:" in /proc/PID/status (VmRSS in kB, Threads). */
long	proc_status_field(pid_t pid, const char *field);
/* Whether fd has something to read (or EOF) within ms. */
int	readable_within(int fd, int ms);
/*
 * Send len bytes, half-close, read until EOF, writing and reading at
 * the same time so big payloads cannot deadlock.  Returns the bytes
 * received (into reply, up to cap), or -1 on error or timeout.
 */
ssize_t	client_exchange(int fd, const void *msg, size_t len, void *reply,
	    size_t cap, int timeout_ms);
/* Send and read exactly len reply bytes (cap >= len) without closing. */
ssize_t	client_roundtrip(int fd, const void *msg, size_t len, void *reply,
	    size_t cap, int timeout_ms);

/*
 * A service manager's notification socket (sd_notify(3)): an AF_UNIX
 * datagram socket bound to path, a file or (leading '@') an abstract
 * name.  A file is removed at exit.  Returns the descriptor (asserts).
 */
int	notify_listen(const char *path);
/* The next message within timeout_ms into buf; its length, or -1. */
ssize_t	notify_recv(int fd, char *buf, size_t len, int timeout_ms);

/* len deterministic bytes covering all 256 values. */
void	fill_pattern(unsigned char *, size_t len, unsigned seed);
void	rot13_buf(unsigned char *, size_t len);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);
/* Sleep ms: a pacing (a chaos cadence, a poll's step), never a wait. */
void	nap(int ms);

/*
 * Run HERD_BIN/argv[0] with input on stdin, its stdout (and stderr,
 * with_stderr) in out (cap bytes, NUL-terminated); killed after ms,
 * and with the test.  Its exit code, or -1 when it did not exit.
 */
int	tool_run(const char *const *argv, const char *input, char *out,
	    size_t cap, int with_stderr, int ms);
/* The number after "key": in a JSON object, flat or nested (asserts). */
double	json_num(const char *json, const char *key);

#endif
