/*
 * control.c - the control socket (see control.h).
 *
 * The master must never wait on a control client: every client socket
 * is non-blocking, a request is one line of at most CONTROL_LINE_MAX
 * bytes, the reply is built whole and written as the client takes it,
 * and a client still there CONTROL_DEADLINE_MS after it connected is
 * dropped.  At most CONTROL_MAX_CLIENTS are served at once; further
 * ones wait in the listen backlog, not in the master.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "herd.h"
#include "log.h"
#include "sig.h"
#include "status.h"

/* Unread request bytes read before closing: 8 KiB at most. */
#define CONTROL_DRAIN_READS	16

struct control_client {
	int		 fd;		/* -1: free */
	uid_t		 uid;
	long long	 deadline;	/* ms, CLOCK_MONOTONIC */
	char		 in[CONTROL_LINE_MAX];
	size_t		 inlen;
	int		 replying;	/* reading is over */
	struct herd_buf	 out;
	size_t		 sent;
};

struct control {
	int			fd;
	char			path[sizeof ((struct sockaddr_un *)0)->sun_path];
	dev_t			dev;	/* of the file we made, so we */
	ino_t			ino;	/* unlink only ours */
	uid_t			owner;	/* served besides root */
	struct control_client	cl[CONTROL_MAX_CLIENTS];
};

/*
 * A socket file already at path: a live herdd's (refuse), or one a dead
 * herdd left (remove it).  0 when path is free now, else an EX_ code.
 */
static int
control_clear_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, r, e;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen,
		    "--control %s: %s", sun->sun_path, strerror(errno)),
		    EX_CANTCREAT);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--control %s: exists and is not a "
		    "socket; refusing to replace it", sun->sun_path);
		return EX_CANTCREAT;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return EX_OSERR;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	e = errno;
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "--control %s: another herdd answers "
		    "there", sun->sun_path);
		return EX_CANTCREAT;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "--control %s: %s", sun->sun_path,
		    strerror(e));
		return EX_CANTCREAT;
	}
	if (unlink(sun->sun_path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "--control %s: removing the stale "
		    "socket: %s", sun->sun_path, strerror(errno));
		return EX_CANTCREAT;
	}
	log_notice("control: replaced the stale socket %s", sun->sun_path);
	return 0;
}

/* Bind under umask 0177, so the file is never more open than 0600. */
static int
control_bind(struct control *ctl, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	mode_t old;
	int r;

	old = umask(0177);
	r = bind(ctl->fd, (const struct sockaddr *)sun, sizeof *sun);
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "--control %s: bind: %s", sun->sun_path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	/* Trust, but verify: the mode is what keeps strangers out. */
	if (lstat(sun->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (st.st_mode & 07777) != 0600) {
		snprintf(err, errlen, "--control %s: not a socket of mode "
		    "0600 after bind", sun->sun_path);
		unlink(sun->sun_path);
		return EX_CANTCREAT;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return 0;
}

int
control_open(struct control **out, const char *path, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;
	struct control *ctl;
	size_t i;
	int rc;

	*out = NULL;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "--control '%s': expected a path of 1 "
		    "to %zu bytes", path, sizeof sun.sun_path - 1);
		return EX_USAGE;
	}
	strcpy(sun.sun_path, path);
	if ((rc = control_clear_stale(&sun, err, errlen)) != 0)
		return rc;
	if ((ctl = calloc(1, sizeof *ctl)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->cl[i].fd = -1;
	strcpy(ctl->path, path);
	ctl->owner = getuid();
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (ctl->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(ctl);
		return EX_OSERR;
	}
	if ((rc = control_bind(ctl, &sun, err, errlen)) != 0) {
		close(ctl->fd);
		free(ctl);
		return rc;
	}
	if (listen(ctl->fd, 16) < 0) {
		snprintf(err, errlen, "--control %s: listen: %s", path,
		    strerror(errno));
		control_close(ctl, 1);
		return EX_CANTCREAT;
	}
	log_notice("control: listening on %s (root and uid %ld)", path,
	    (long)ctl->owner);
	*out = ctl;
	return 0;
}

static void
control_drop(struct control_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	herd_buf_free(&c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

void
control_close(struct control *ctl, int unlink_it)
{
	struct stat st;
	size_t i;

	if (ctl == NULL)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		control_drop(&ctl->cl[i]);
	if (ctl->fd >= 0)
		close(ctl->fd);
	/* A newer herdd may have replaced the file: leave that one be. */
	if (unlink_it && lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino && unlink(ctl->path) < 0)
		log_warn("control: unlink %s: %s", ctl->path,
		    strerror(errno));
	free(ctl);
}

/* End the reading and queue the reply: body (may be empty) and a last line. */
static void
control_reply(struct control_client *c, const char *last)
{
	c->replying = 1;
	if (herd_buf_append(&c->out, last, strlen(last)) < 0 ||
	    herd_buf_append(&c->out, "\n", 1) < 0) {
		log_warn("control: out of memory for a reply");
		control_drop(c);
	}
}

/* "error: what" with text quoted only when it is printable. */
static void
control_error(struct control_client *c, const char *what, const char *text)
{
	char line[128];
	const char *p;

	for (p = text; p != NULL && *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			text = NULL;
	if (text != NULL && *text != '\0')
		snprintf(line, sizeof line, "error: %s '%.40s'", what, text);
	else
		snprintf(line, sizeof line, "error: %s", what);
	control_reply(c, line);
}

/* reload, stop, workers: the flag the signal would have set. */
static void
control_post(struct control_client *c, const struct control_view *v,
    int signo, const char *signame, const char *what)
{
	if (!v->running) {
		control_error(c, "herdd is stopping", NULL);
		return;
	}
	sig_post(signo);
	log_notice("control: %s (as %s)", what, signame);
	control_reply(c, "ok");
}

static void
control_request(struct control_client *c, char *line,
    const struct control_view *v)
{
	int json;

	if (*line == '\0') {
		control_error(c, "empty request; try status, status json, "
		    "reload, stop, workers +1 or workers -1", NULL);
		return;
	}
	if ((json = strcmp(line, "status json") == 0) ||
	    strcmp(line, "status") == 0) {
		if (status_render(&c->out, v, json) < 0) {
			control_error(c, "out of memory", NULL);
			return;
		}
		control_reply(c, "ok");
	} else if (strcmp(line, "reload") == 0)
		control_post(c, v, SIGHUP, "SIGHUP", "reload");
	else if (strcmp(line, "stop") == 0)
		control_post(c, v, SIGTERM, "SIGTERM", "stop");
	else if (strcmp(line, "workers +1") == 0)
		control_post(c, v, SIGTTIN, "SIGTTIN", "one worker more");
	else if (strcmp(line, "workers -1") == 0)
		control_post(c, v, SIGTTOU, "SIGTTOU", "one worker less");
	else
		control_error(c, "unknown request", line);
}

/* Take what the client sent; answer once a whole line is in. */
static void
control_read(struct control_client *c, const struct control_view *v)
{
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen - 1,
	    MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		control_drop(c);
		return;
	}
	if (n == 0) {		/* closed (or half-closed) mid-line */
		if (c->inlen == 0)
			control_drop(c);
		else
			control_error(c, "request line not ended with a "
			    "newline", NULL);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if ((nl = memchr(c->in, '\n', c->inlen)) == NULL) {
		if (c->inlen == sizeof c->in - 1)
			control_error(c, "request line too long", NULL);
		return;
	}
	*nl = '\0';
	if (nl > c->in && nl[-1] == '\r')
		nl[-1] = '\0';
	if (strlen(c->in) != (size_t)(nl - c->in))
		control_error(c, "malformed request (NUL byte)", NULL);
	else
		control_request(c, c->in, v);
}

/* Send what the client will take; close when all is sent. */
static void
control_write(struct control_client *c)
{
	char junk[512];
	ssize_t n;
	int i;

	n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		control_drop(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent < c->out.len)
		return;
	/*
	 * Read what is left unread: closing on unread data resets the
	 * connection, and the client could lose the reply.  A bounded
	 * read: a client that keeps sending must not hold the master
	 * here, and its reset is its own doing.
	 */
	for (i = 0; i < CONTROL_DRAIN_READS &&
	    recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
		;
	control_drop(c);
}

/* Only root and herdd's own (starting) user are served. */
static void
control_accept(struct control *ctl)
{
	struct control_client *c;
	struct ucred cred;
	socklen_t len = sizeof cred;
	char line[96];
	size_t i;
	int fd;

	for (i = 0; i < CONTROL_MAX_CLIENTS && ctl->cl[i].fd >= 0; i++)
		;
	if (i == CONTROL_MAX_CLIENTS)
		return;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept: %s", strerror(errno));
		return;
	}
	c = &ctl->cl[i];
	c->fd = fd;
	c->deadline = clock_ms() + CONTROL_DEADLINE_MS;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("control: SO_PEERCRED: %s", strerror(errno));
		control_drop(c);
		return;
	}
	c->uid = cred.uid;
	if (cred.uid != 0 && cred.uid != ctl->owner) {
		log_warn("control: refused pid %ld uid %ld", (long)cred.pid,
		    (long)cred.uid);
		snprintf(line, sizeof line, "error: permission denied "
		    "(uid %ld)", (long)cred.uid);
		control_reply(c, line);
		return;
	}
	log_info("control: client pid %ld uid %ld", (long)cred.pid,
	    (long)cred.uid);
}

size_t
control_pollfds(const struct control *ctl, struct pollfd *pfd)
{
	size_t i, n = 0;
	int room = 0;

	if (ctl == NULL)
		return 0;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		const struct control_client *c = &ctl->cl[i];

		if (c->fd < 0) {
			room = 1;
			continue;
		}
		pfd[n].fd = c->fd;
		pfd[n].events = c->replying ? POLLOUT : POLLIN;
		pfd[n++].revents = 0;
	}
	/* Full: the next clients wait in the backlog. */
	pfd[n].fd = room ? ctl->fd : -1;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	return n;
}

static struct control_client *
control_client_of(struct control *ctl, int fd)
{
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->cl[i].fd == fd && fd >= 0)
			return &ctl->cl[i];
	return NULL;
}

void
control_serve(struct control *ctl, const struct pollfd *pfd, size_t n,
    const struct control_view *v)
{
	struct control_client *c;
	long long now;
	size_t i;

	if (ctl == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0 || pfd[i].fd < 0)
			continue;
		if (pfd[i].fd == ctl->fd) {
			control_accept(ctl);
			continue;
		}
		if ((c = control_client_of(ctl, pfd[i].fd)) == NULL)
			continue;
		if (!c->replying)
			control_read(c, v);
		/* A reply just made is usually sent at once. */
		if (c->fd >= 0 && c->replying)
			control_write(c);
	}
	now = clock_ms();
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->cl[i].fd >= 0 && now >= ctl->cl[i].deadline) {
			log_info("control: dropped a client past its %d ms",
			    CONTROL_DEADLINE_MS);
			control_drop(&ctl->cl[i]);
		}
}

long long
control_timeout_ms(const struct control *ctl)
{
	long long now, ms = -1, d;
	size_t i;

	if (ctl == NULL)
		return -1;
	now = clock_ms();
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (ctl->cl[i].fd < 0)
			continue;
		d = ctl->cl[i].deadline - now;
		if (d < 0)
			d = 0;
		if (ms < 0 || d < ms)
			ms = d;
	}
	return ms;
}
