/*
 * options.h - herdd's command line, parsed and validated.
 *
 * options_parse() never prints and never exits: it fills a struct or
 * returns an error text, so main() alone decides what the user sees
 * and tests can check every rejection.
 */
#ifndef HERD_OPTIONS_H
#define HERD_OPTIONS_H

#include <stddef.h>

#define OPT_HOSTLEN	256
#define OPT_SERVLEN	64
#define OPT_NAMELEN	64
#define OPT_ERRLEN	512
#define OPT_PATHLEN	108	/* a Unix socket's sun_path */

struct listen_spec {
	char	host[OPT_HOSTLEN];	/* "" for the wildcard */
	char	serv[OPT_SERVLEN];	/* port number or service name */
	char	handler[OPT_NAMELEN];
	int	proxy;			/* ",proxy": PROXY header first */
	int	socktype;		/* SOCK_STREAM, or SOCK_DGRAM for udp: */
};

enum options_action {
	OPTIONS_RUN,
	OPTIONS_HELP,
	OPTIONS_VERSION,
	OPTIONS_LIST_MODELS,
	OPTIONS_LIST_HANDLERS,
};

enum accept_lock {
	ACCEPT_LOCK_NONE,	/* every worker calls accept(); the kernel picks */
	ACCEPT_LOCK_FCNTL,	/* a record lock on a file, across processes */
	ACCEPT_LOCK_MUTEX,	/* a robust pthread mutex (process-shared) */
};

struct herd_options {
	char			 model[OPT_NAMELEN];
	struct listen_spec	*listens;
	size_t			 nlistens;
	int			 verbosity;	/* -q -1 .. -vv 2 */
	int			 single;	/* -X: no child processes */
	int			 backlog;
	int			 resolve;
	int			 v6only;
	unsigned		 shutdown_timeout;	/* seconds */
	unsigned		 workers;	/* processes; default: cores */
	unsigned		 threads;	/* per process, thread models */
	enum accept_lock	 accept_lock;
	unsigned		 queue_depth;	/* pool: connected fds queued */
	unsigned		 max_requests;	/* recycle a worker; 0 never */
	unsigned		 max_conns;	/* live connections; 0 no cap */
	unsigned		 timeout;	/* idle seconds; 0 never */
	int			 proxy_protocol; /* every listener: PROXY */
	char			 user[OPT_NAMELEN];	/* --user; "" stay */
	char			 group[OPT_NAMELEN];	/* --group; "" user's */
	char			 control[OPT_PATHLEN];	/* --control; "" none */
};

const char *accept_lock_name(enum accept_lock);

/* 0 and the action, or -1 with a message for the user in err. */
int	options_parse(struct herd_options *, int argc, char **argv,
	    enum options_action *, char *err, size_t errlen);
void	options_free(struct herd_options *);

/* "[udp:|tcp:][ADDR:]PORT[=HANDLER]" -> spec; 0, or -1 with a message. */
int	listen_spec_parse(const char *text, struct listen_spec *,
	    char *err, size_t errlen);

/*
 * "HANDLER[,proxy]", the part after '=' of a --listen spec and a
 * systemd socket's FileDescriptorName=: the handler's name into
 * handler, *proxy 1 when ",proxy" follows.  0, or -1 with a message
 * (text names the whole spec for it).
 */
int	listen_handler_parse(const char *s, size_t len, const char *text,
	    char *handler, size_t handlerlen, int *proxy, char *err,
	    size_t errlen);

/* Parse a decimal in [min, max]; 0 or -1. */
int	parse_uint(const char *s, unsigned long min, unsigned long max,
	    unsigned long *out);

extern const char options_usage[];

#endif
