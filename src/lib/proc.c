/*
 * proc.c - process helpers (see proc.h).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

int
proc_die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -1;
	return getppid() == parent ? 0 : -1;
}

void
proc_status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "changed state (0x%x)", (unsigned)status);
}

int
proc_set_add(struct proc_set *s, pid_t pid)
{
	pid_t *p;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if ((p = realloc(s->pid, cap * sizeof *p)) == NULL)
			return -1;
		s->pid = p;
		s->cap = cap;
	}
	s->pid[s->n++] = pid;
	return 0;
}

int
proc_set_remove(struct proc_set *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->pid[i] == pid) {
			s->pid[i] = s->pid[--s->n];
			return 0;
		}
	return -1;
}

void
proc_set_kill(const struct proc_set *s, int signo)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		kill(s->pid[i], signo);
}

void
proc_set_free(struct proc_set *s)
{
	free(s->pid);
	memset(s, 0, sizeof *s);
}
