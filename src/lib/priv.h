/*
 * priv.h - dropping root for --user/--group, once the listeners are
 * bound (the only step that may need root: ports below 1024).
 */
#ifndef HERD_PRIV_H
#define HERD_PRIV_H

#include <stddef.h>

/*
 * Become user (and group, else the user's primary group), with the
 * user's supplementary groups, for good: afterwards root cannot be
 * regained, which is checked.  Refuses a user that is root itself.
 * 0, or -1 with a message in err.
 */
int	priv_drop(const char *user, const char *group, char *err,
	    size_t errlen);

#endif
