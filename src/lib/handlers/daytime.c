/*
 * daytime - the local time as text, then close (RFC 867).  Same
 * format as inetd's: ctime(3), "Mon Nov 23 15:41:00 2026\r\n".
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "herd.h"
#include "handlers.h"

static int
daytime_open(void *st, const struct herd_peer *peer, struct herd_buf *out)
{
	char text[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	(void)st, (void)peer;
	if (localtime_r(&now, &tm) == NULL)
		return HERD_ERROR;
	n = strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y\r\n", &tm);
	if (n == 0 || herd_buf_append(out, text, n) < 0)
		return HERD_ERROR;
	return HERD_CLOSE;
}

const struct herd_handler handler_daytime = {
	.name = "daytime",
	.summary = "send the local time as text and close (RFC 867)",
	.on_open = daytime_open,
};
