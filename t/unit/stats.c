/*
 * Unit tests for the counters (proxy/stats.c): blocks found again by name
 * and kind, freed with their last reference, slots that threads write on
 * their own and readers sum, and the rendering of a generation built from
 * a config (both formats, each family declared once).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"
#include "t/tap.h"

#define NTHR	4
#define NADD	200000

struct thr {
	struct px_st	*st;
	int		 w;
};

static void *
adder(void *arg)
{
	struct thr	*t = arg;
	int		 i;

	for (i = 0; i < NADD; i++) {
		px_st_add(t->st, t->w, PX_SL_REQS, 1);
		px_st_add(t->st, t->w, PX_SL_IN, 3);
	}
	return (NULL);
}

static void
test_registry(void)
{
	struct px_streg	 reg;
	struct px_st	*a, *b, *c, *s1, *s2;
	struct thr	 t[NTHR];
	pthread_t	 th[NTHR];
	int		 i;

	ok(px_streg_init(&reg, NTHR) == 0, "registry: init");
	a = px_st_get(&reg, PX_ST_LISTENER, "web", NULL);
	b = px_st_get(&reg, PX_ST_LISTENER, "web", NULL);
	c = px_st_get(&reg, PX_ST_BACKEND, "web", NULL);
	ok(a != NULL && a == b, "same kind and name: the same block");
	ok(c != NULL && c != a, "another kind: another block");
	s1 = px_st_get(&reg, PX_ST_SERVER, "app", "127.0.0.1:80");
	s2 = px_st_get(&reg, PX_ST_SERVER, "app", "127.0.0.1:81");
	ok(s1 != NULL && s2 != NULL && s1 != s2, "servers by address");
	ok(((uintptr_t)a->c % 64) == 0, "slots are cache-line aligned");

	for (i = 0; i < NTHR; i++) {
		t[i].st = a;
		t[i].w = i;
		pthread_create(&th[i], NULL, adder, &t[i]);
	}
	for (i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
	is_int((long long)px_st_sum(a, reg.nslot, PX_SL_REQS),
	    (long long)NTHR * NADD, "each thread its slot: the sum is exact");
	is_int((long long)px_st_sum(a, reg.nslot, PX_SL_IN),
	    (long long)NTHR * NADD * 3, "and for another counter");
	is_int((long long)px_st_sum(c, reg.nslot, PX_SB_REQS), 0,
	    "other blocks untouched");

	/* A gauge that goes up and down sums to what is left. */
	px_st_add(c, 0, PX_SB_RETRIES, 2);
	px_st_add(c, 1, PX_SB_RETRIES, UINT64_MAX);
	is_int((long long)px_st_sum(c, reg.nslot, PX_SB_RETRIES), 1,
	    "an increment in one slot, a decrement in another");

	px_st_put(&reg, b);
	b = px_st_get(&reg, PX_ST_LISTENER, "web", NULL);
	is_int((long long)px_st_sum(b, reg.nslot, PX_SL_REQS),
	    (long long)NTHR * NADD, "still referenced: counts kept");
	px_st_put(&reg, a);
	px_st_put(&reg, b);
	a = px_st_get(&reg, PX_ST_LISTENER, "web", NULL);
	is_int((long long)px_st_sum(a, reg.nslot, PX_SL_REQS), 0,
	    "after the last reference: a new block from 0");
	px_st_put(&reg, a);
	px_st_put(&reg, c);
	px_st_put(&reg, s1);
	px_st_put(&reg, s2);
	px_st_put(&reg, NULL);
	ok(reg.list == NULL, "every block freed with its last reference");
	px_streg_fini(&reg);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return (n);
}

static void
test_render(void)
{
	static const char yaml[] =
	    "workers: 2\n"
	    "listeners:\n"
	    "  - name: web\n"
	    "    bind: \"[::1]:1\"\n"
	    "    mode: http\n"
	    "    backend: app\n"
	    "  - name: st\n"
	    "    bind: \"[::1]:2\"\n"
	    "    mode: http\n"
	    "    backend: { builtin: stats }\n"
	    "backends:\n"
	    "  app:\n"
	    "    servers: [\"127.0.0.1:80\", \"127.0.0.1:80\", "
	    "\"127.0.0.2:80\"]\n";
	struct px_streg	 reg;
	struct config	*cfg;
	struct px_gen	*g;
	struct px_stbuf	 b = { NULL, 0, 0, false };
	char		 err[256], head[12];

	cfg = conf_load_mem("t.yaml", yaml, strlen(yaml), NULL);
	ok(cfg != NULL, "render: config loads");
	if (cfg == NULL)
		return;
	px_streg_init(&reg, 2);
	g = px_gen_new(cfg, 1, &reg, err, sizeof(err));
	if (!ok(g != NULL, "render: generation built"))
		diag("%s", err);
	if (g == NULL) {
		conf_unref(cfg);
		return;
	}
	px_st_add(g->lst[0], 1, PX_SL_RESP + 1, 5);
	px_stats_render(&b, g, true);
	ok(!b.oom && b.len > 0, "prom: rendered");
	is_int(count(b.p, "# TYPE v6front_listener_responses_total counter\n"),
	    1, "prom: a family's TYPE once");
	ok(strstr(b.p, "v6front_listener_responses_total{listener=\"web\","
	    "code=\"2xx\"} 5\n") != NULL, "prom: a sample summed over slots");
	is_int(count(b.p, "v6front_server_up{"), 2,
	    "prom: an address listed twice is one server");
	ok(strstr(b.p, "backend=\"st\"") == NULL, "prom: no builtin backend");
	ok(b.p[b.len - 1] == '\n', "prom: ends with a newline");
	free(b.p);
	memset(&b, 0, sizeof(b));
	px_stats_render(&b, g, false);
	ok(!b.oom, "json: rendered");
	(void)snprintf(head, sizeof(head), "%.11s", b.p != NULL ? b.p : "");
	is_str(head, "{\"process\":", "json: an object");
	ok(strstr(b.p, "\"2xx\":5") != NULL, "json: the same number");
	ok(strstr(b.p, "\"tunnel\":null") != NULL, "json: no tunnel");
	free(b.p);
	px_gen_unref(g);
	conf_unref(cfg);
	ok(reg.list == NULL, "render: the generation gave its blocks back");
	px_streg_fini(&reg);
}

int
main(void)
{
	test_registry();
	test_render();
	return (done_testing());
}
