/*
 * Generations: a loaded config plus the addresses its backend servers
 * resolved to.  Names are resolved once per load (at start and at each
 * reload), in the main thread, before any worker sees the generation.
 */
#include <sys/socket.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

/* Appends the addresses of one server; -1 + err if it resolved to none. */
static int
px_gen_resolve(struct px_backend *pb, const struct conf_server *srv,
    char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	struct conf_sockaddr *na;
	char		 port[8];
	size_t		 n = 0;
	int		 rc;

	if (srv->literal) {
		na = realloc(pb->addrs, (pb->naddrs + 1) * sizeof(*na));
		if (na == NULL)
			goto nomem;
		pb->addrs = na;
		pb->addrs[pb->naddrs++] = srv->addr;
		return (0);
	}
	/*
	 * Backends are IPv4 services (that is why the front door exists), so
	 * a name means its A records; an IPv6 backend is written as a literal.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", srv->port);
	if ((rc = getaddrinfo(srv->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "backend %s: cannot resolve %s: %s",
		    pb->conf->name, srv->host, gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	na = realloc(pb->addrs, (pb->naddrs + n) * sizeof(*na));
	if (na == NULL) {
		freeaddrinfo(res);
		goto nomem;
	}
	pb->addrs = na;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct conf_sockaddr *a = &pb->addrs[pb->naddrs];
		size_t i;

		memset(a, 0, sizeof(*a));
		memcpy(&a->ss, ai->ai_addr, ai->ai_addrlen);
		a->len = ai->ai_addrlen;
		conf_addr_fmt(ai->ai_addr, true, a->text, sizeof(a->text));
		/* getaddrinfo repeats an address once per protocol at times. */
		for (i = 0; i < pb->naddrs; i++)
			if (strcmp(pb->addrs[i].text, a->text) == 0)
				break;
		if (i == pb->naddrs)
			pb->naddrs++;
	}
	freeaddrinfo(res);
	return (0);
 nomem:
	snprintf(err, errlen, "backend %s: out of memory", pb->conf->name);
	return (-1);
}

struct px_gen *
px_gen_new(const struct config *cfg, unsigned id, char *err, size_t errlen)
{
	struct px_gen	*g;
	size_t		 i, j;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	g->refs = 1;
	g->id = id;
	g->cfg = conf_ref(cfg);
	if (cfg->nbackends > 0 &&
	    (g->backends = calloc(cfg->nbackends, sizeof(*g->backends))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		px_gen_unref(g);
		return (NULL);
	}
	for (i = 0; i < cfg->nbackends; i++) {
		struct px_backend *pb = &g->backends[i];

		pb->conf = &cfg->backends[i];
		for (j = 0; j < pb->conf->nservers; j++) {
			if (px_gen_resolve(pb, &pb->conf->servers[j], err,
			    errlen) == -1) {
				px_gen_unref(g);
				return (NULL);
			}
		}
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
	if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (g->backends != NULL)
		for (size_t i = 0; i < g->cfg->nbackends; i++)
			free(g->backends[i].addrs);
	free(g->backends);
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
