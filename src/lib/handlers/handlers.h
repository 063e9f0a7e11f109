/* handlers.h - the built-in handlers, registered by handler.c. */
#ifndef HERD_HANDLERS_H
#define HERD_HANDLERS_H

#include "herd.h"

extern const struct herd_handler handler_echo;
extern const struct herd_handler handler_rot13;
extern const struct herd_handler handler_discard;
extern const struct herd_handler handler_daytime;
extern const struct herd_handler handler_okay;

unsigned char	rot13_byte(unsigned char);

#endif
