/*
 * model.c - the table of concurrency models (herdd --list-models).
 *
 * Each model is one file under models/ exporting one struct
 * herd_model; adding a model is adding a line here.
 */
#include "config.h"

#include <string.h>

#include "server.h"

extern const struct herd_model model_iterative;
extern const struct herd_model model_fork;
extern const struct herd_model model_prefork;
extern const struct herd_model model_passfd;
extern const struct herd_model model_reuseport;

static const struct herd_model *const model_table[] = {
	&model_iterative,
	&model_fork,
	&model_prefork,
	&model_passfd,
	&model_reuseport,
};
#define MODEL_COUNT	(sizeof model_table / sizeof model_table[0])

const struct herd_model *
model_find(const char *name)
{
	size_t i;

	for (i = 0; i < MODEL_COUNT; i++)
		if (strcmp(model_table[i]->name, name) == 0)
			return model_table[i];
	return NULL;
}

const struct herd_model *
model_at(size_t i)
{
	return i < MODEL_COUNT ? model_table[i] : NULL;
}
