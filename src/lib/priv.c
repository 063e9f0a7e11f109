/*
 * priv.c - dropping root for good (see priv.h).
 *
 * The order matters: supplementary groups and the gid first, while we
 * still may change them, the uid last.  setuid() as root sets the real,
 * effective and saved uid alike, so nothing is left to go back to; the
 * checks at the end make sure of it rather than trust it.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* After the drop: every id is the new one and root stays out of reach. */
static int
priv_check(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "privileges were not fully dropped");
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		snprintf(err, errlen, "root can be regained after dropping "
		    "privileges; refusing to go on");
		return -1;
	}
	return 0;
}

int
priv_drop(const char *user, const char *group, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	uid_t uid;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "--user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "--group %s: %s", group,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (uid == 0) {
		snprintf(err, errlen, "--user %s is root: refusing to run "
		    "as root when asked to drop privileges", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (getuid() == uid && geteuid() == uid && getgid() == gid)
			return 0;	/* already that user: nothing to drop */
		snprintf(err, errlen, "--user %s: only root can switch users",
		    user);
		return -1;
	}
	if (initgroups(user, gid) < 0) {
		snprintf(err, errlen, "initgroups %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setgid(gid) < 0) {
		snprintf(err, errlen, "setgid %ld: %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(uid) < 0) {
		snprintf(err, errlen, "setuid %ld: %s", (long)uid,
		    strerror(errno));
		return -1;
	}
	if (priv_check(uid, gid, err, errlen) < 0)
		return -1;
	log_notice("running as user %s (uid %ld, gid %ld)", user, (long)uid,
	    (long)gid);
	return 0;
}
