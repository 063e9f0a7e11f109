/*
 * handler.c - the registry of handlers by name.
 *
 * A fixed table: the built-ins first, then whatever the embedding
 * program registers before it starts the server.  Registration happens
 * before any worker exists, so the table needs no lock.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "herd.h"
#include "handlers/handlers.h"

#define HANDLER_MAX	64

static const struct herd_handler *handler_table[HANDLER_MAX] = {
	&handler_echo,
	&handler_rot13,
	&handler_discard,
	&handler_daytime,
	&handler_okay,
};
static size_t handler_count = 5;

int
herd_handler_register(const struct herd_handler *h)
{
	if (h == NULL || h->name == NULL || *h->name == '\0' ||
	    (h->on_data == NULL && h->on_open == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (herd_handler_find(h->name) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (handler_count == HANDLER_MAX) {
		errno = ENOSPC;
		return -1;
	}
	handler_table[handler_count++] = h;
	return 0;
}

const struct herd_handler *
herd_handler_find(const char *name)
{
	size_t i;

	for (i = 0; i < handler_count; i++)
		if (strcmp(handler_table[i]->name, name) == 0)
			return handler_table[i];
	return NULL;
}

const struct herd_handler *
herd_handler_at(size_t i)
{
	return i < handler_count ? handler_table[i] : NULL;
}
