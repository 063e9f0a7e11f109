/*
 * sig.c - signals as flags (see sig.h).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "sig.h"

static const int sig_list[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGALRM,
	SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU,
};
#define SIG_COUNT	(sizeof sig_list / sizeof sig_list[0])

static volatile sig_atomic_t sig_flag[NSIG];
static sigset_t sig_wait;

static void
sig_handler(int signo)
{
	sig_flag[signo] = 1;
}

int
sig_setup(void)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;

	sigemptyset(&block);
	for (i = 0; i < SIG_COUNT; i++)
		sigaddset(&block, sig_list[i]);
	if (sigprocmask(SIG_BLOCK, &block, &sig_wait) < 0)
		return -1;
	for (i = 0; i < SIG_COUNT; i++)
		sigdelset(&sig_wait, sig_list[i]);

	sa.sa_handler = sig_handler;
	sa.sa_mask = block;
	sa.sa_flags = 0;	/* no SA_RESTART: waits return EINTR */
	for (i = 0; i < SIG_COUNT; i++)
		if (sigaction(sig_list[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

const sigset_t *
sig_waitmask(void)
{
	return &sig_wait;
}

int
sig_take(int signo)
{
	if (!sig_flag[signo])
		return 0;
	sig_flag[signo] = 0;
	return 1;
}

void
sig_post(int signo)
{
	sig_flag[signo] = 1;
}

void
sig_restore(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < SIG_COUNT; i++)
		sigaction(sig_list[i], &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, &sig_wait, NULL);
}
