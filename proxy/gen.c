/*
 * Generations: a loaded config plus the servers its backends resolved to.
 * Names are resolved at each load (at start and at each reload), in the
 * main thread, before any worker sees the generation, and again while it
 * serves (backend.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

struct px_gen *
px_gen_new(const struct config *cfg, unsigned id, struct px_streg *reg,
    char *err, size_t errlen)
{
	struct px_gen	*g;
	size_t		 i;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	g->refs = 1;
	g->id = id;
	g->cfg = conf_ref(cfg);
	g->reg = reg;
	if ((g->lst = calloc(cfg->nlisteners + 1, sizeof(*g->lst))) == NULL) {
		snprintf(err, errlen, "out of memory");
		px_gen_unref(g);
		return (NULL);
	}
	for (i = 0; i < cfg->nlisteners; i++)
		if ((g->lst[i] = px_st_get(reg, PX_ST_LISTENER,
		    cfg->listeners[i].name, NULL)) == NULL) {
			snprintf(err, errlen, "out of memory");
			px_gen_unref(g);
			return (NULL);
		}
	if (cfg->nbackends > 0 &&
	    (g->backends = calloc(cfg->nbackends, sizeof(*g->backends))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		px_gen_unref(g);
		return (NULL);
	}
	if (px_backend_init(g, err, errlen) == -1) {
		px_gen_unref(g);
		return (NULL);
	}
	if (px_tls_gen_open(g, err, errlen) == -1) {
		px_gen_unref(g);
		return (NULL);
	}
	return (g);
}

struct px_gen *
px_gen_ref(struct px_gen *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return (g);
}

void
px_gen_unref(struct px_gen *g)
{
	size_t i;

	if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	px_backend_free(g);
	free(g->backends);
	for (i = 0; g->lst != NULL && i < g->cfg->nlisteners; i++)
		px_st_put(g->reg, g->lst[i]);
	free(g->lst);
	px_alog_gen_free(g);
	px_tls_gen_free(g);
	conf_unref(g->cfg);
	free(g);
}

const struct px_backend *
px_gen_backend(const struct px_gen *g, const struct conf_backend *b)
{
	return (&g->backends[b - g->cfg->backends]);
}
