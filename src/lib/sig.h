/*
 * sig.h - signals as flags.
 *
 * The handlers only record that a signal came.  The signals stay
 * blocked except inside ppoll(2), which unblocks them atomically while
 * it waits, so a signal can never slip in between "check the flags"
 * and "go to sleep" (the race a plain accept() loop has).
 */
#ifndef HERD_SIG_H
#define HERD_SIG_H

#include <signal.h>

/* Install the handlers and block the signals; ignore SIGPIPE. */
int	sig_setup(void);
/* The mask to wait with: what was blocked before sig_setup(). */
const sigset_t *sig_waitmask(void);
/* Whether signo came since the last call; clears it. */
int	sig_take(int signo);
/*
 * Act as if signo had come (its flag set): for requests that must take
 * the very path the signal takes (control.c).  Only for the thread
 * that handles the signals.
 */
void	sig_post(int signo);
/* Put every signal back to its default, unblocked (before exec). */
void	sig_restore(void);

#endif
