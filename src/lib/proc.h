/*
 * proc.h - small process helpers shared by every model that forks.
 */
#ifndef HERD_PROC_H
#define HERD_PROC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * In a freshly forked child: die by SIGKILL when the parent does, so
 * no worker outlives its master.  Returns -1 when the parent is
 * already gone (the race between fork() and prctl()).
 */
int	proc_die_with_parent(pid_t parent);

/* "exited with status 3", "killed by signal 9 (Killed)". */
void	proc_status_text(int status, char *buf, size_t len);

/* A set of child pids, for models that must signal all of them. */
struct proc_set {
	pid_t	*pid;
	size_t	 n;
	size_t	 cap;
};

int	proc_set_add(struct proc_set *, pid_t);
int	proc_set_remove(struct proc_set *, pid_t);
void	proc_set_kill(const struct proc_set *, int signo);
void	proc_set_free(struct proc_set *);

#endif
