/*
 * Backend servers of a generation, and DNS for the named ones.
 *
 * Every literal server is one struct px_server; every A record of a named
 * server is one more.  Workers pick from a px_srvset: an array of the
 * servers in the current answers, replaced as a whole (release store,
 * acquire load) when an answer changes, so the request path takes no
 * lock.  A replaced set is freed once every worker has been through its
 * control event after the replacement (a quiescent state: a worker reads
 * a set only inside one pick), or with its generation.  A server
 * that left the answer is marked draining: no new request picks it, the
 * ones in flight finish, and workers close its idle connections.
 *
 * Names are resolved with libevent's evdns: at load (blocking, on a
 * private event base, so a reload sees the new answers before it serves)
 * and then again from the main thread's loop every resolve_every, or
 * sooner when the records' TTL is shorter (at least 1 s apart).  A failed
 * lookup keeps the last answer and is tried again as soon as the next good
 * one would have been; the failure is logged once per streak and the
 * recovery once.  A name in /etc/hosts takes its IPv4 addresses from
 * there (as the C library's "files" before "dns" would), read again at
 * each lookup; any other name is asked of DNS (A records).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "proxy/proxy.h"

#define PX_DNS_MIN_MS	1000	/* re-resolve at most once a second */
#define PX_HOSTS_FILE	"/etc/hosts"
#define PX_HOSTS_MAX	(1024 * 1024)	/* bytes of it read */
#define PX_HOSTS_ADDRS	64		/* addresses taken for one name */

/* One named server and its lookups. */
struct px_dnsname {
	struct px_backend	*pb;	/* borrowed; NULL once orphaned */
	const struct conf_server *cs;	/* borrowed from the config */
	struct event		*timer;	/* owned; main thread */
	struct evdns_request	*req;	/* the lookup in flight, or NULL */
	bool			 failing;	/* in a failure streak */
	uint64_t		 every;	/* ms: after the last good answer */
	/* The load-time lookup. */
	bool			 done;
	int			 result;
	int			 ttl;
	struct in_addr		*addrs;	/* owned */
	int			 naddrs;
};

/* The resolver of the main loop; created by the first start. */
static struct {
	struct evdns_base	*dns;
	struct evdns_base	*old;	/* replaced at a reload; freed when
					   the generation that used it stops */
	char			 key[512];	/* the resolvers it uses */
	void			(*swept)(void);
	uint64_t		(*quiet)(void);
	uint64_t		 epoch;	/* atomic: set replacements so far */
} px_dns;

uint64_t
px_backend_epoch(void)
{
	return (__atomic_load_n(&px_dns.epoch, __ATOMIC_ACQUIRE));
}

/* Frees the replaced sets of pb that no worker can be reading any more. */
static void
px_backend_reclaim(struct px_backend *pb)
{
	struct px_srvset	*set, **pp, *prev;
	uint64_t		 q;
	int			 n;

	if (pb->set == NULL)
		return;
	q = pb->base != NULL && px_dns.quiet != NULL ? px_dns.quiet() : 0;
	/* Older sets were replaced earlier: free from the first one done. */
	for (pp = &pb->set->prev; (set = *pp) != NULL && set->epoch > q;
	    pp = &set->prev)
		;
	*pp = NULL;
	for (n = 0; set != NULL; set = prev, n++) {
		prev = set->prev;
		free(set->srv);
		free(set);
	}
	if (n > 0 && pb->base != NULL)
		px_log(CONF_LOG_DEBUG, "backend %s: freed %d replaced server "
		    "set%s", pb->conf->name, n, n == 1 ? "" : "s");
}

const struct px_srvset *
px_backend_set(const struct px_backend *pb)
{
	return (__atomic_load_n(&pb->set, __ATOMIC_ACQUIRE));
}

/* A new server of pb at sa; appended to pb->all.  NULL if out of memory. */
static struct px_server *
px_server_new(struct px_backend *pb, const struct conf_server *cs,
    const struct sockaddr *sa, socklen_t len)
{
	struct px_server	*sv, **pp;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return (NULL);
	memcpy(&sv->addr.ss, sa, len);
	sv->addr.len = len;
	conf_addr_fmt(sa, true, sv->addr.text, sizeof(sv->addr.text));
	if ((sv->st = px_st_get(pb->gen->reg, PX_ST_SERVER,
	    pb->conf->name, sv->addr.text)) == NULL) {
		free(sv);
		return (NULL);
	}
	sv->cs = cs;
	sv->pb = pb;
	sv->weight = cs->weight;
	if (sa->sa_family == AF_INET)
		sv->hkey = px_hash64(&sin->sin_addr, 4, sin->sin_port);
	else
		sv->hkey = px_hash64(&sin6->sin6_addr, 16, sin6->sin6_port);
	sv->up = 1;
	sv->seen_up = true;
	for (pp = &pb->all; *pp != NULL; pp = &(*pp)->next)
		;
	/* Workers reading the stats walk the list as it grows. */
	__atomic_store_n(pp, sv, __ATOMIC_RELEASE);
	return (sv);
}

int
px_backend_publish(struct px_backend *pb)
{
	struct px_srvset	*set, *old;
	struct px_server	*sv;
	size_t			 n = 0;

	for (sv = pb->all; sv != NULL; sv = sv->next)
		if (!__atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
			n++;
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->srv = calloc(n ? n : 1, sizeof(*set->srv))) == NULL) {
		free(set);
		return (-1);
	}
	for (sv = pb->all; sv != NULL; sv = sv->next)
		if (!__atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
			set->srv[set->n++] = sv;
	old = pb->set;
	set->prev = old;
	__atomic_store_n(&pb->set, set, __ATOMIC_RELEASE);
	/*
	 * Not started: no worker has seen the generation yet (epoch 0 frees
	 * at once).  Else workers pass epoch+1 after the swept() post.
	 */
	if (old != NULL)
		old->epoch = pb->base == NULL ? 0 :
		    __atomic_add_fetch(&px_dns.epoch, 1, __ATOMIC_RELEASE);
	px_backend_reclaim(pb);
	return (0);
}

/*
 * Makes the servers of name n exactly addrs: new ones are added (up),
 * ones that came back stop draining, missing ones start draining.
 * Returns 1 if the set changed, 0 if not, -1 if out of memory.
 */
static int
px_dns_apply(struct px_dnsname *n, const struct in_addr *addrs, int naddrs,
    bool *drained)
{
	struct px_backend	*pb = n->pb;
	struct px_server	*sv;
	struct sockaddr_in	 sin;
	bool			 changed = false, found;
	int			 i;

	*drained = false;
	for (i = 0; i < naddrs; i++) {
		found = false;
		for (sv = pb->all; sv != NULL; sv = sv->next) {
			const struct sockaddr_in *s4 =
			    (const struct sockaddr_in *)&sv->addr.ss;

			if (sv->cs != n->cs ||
			    s4->sin_addr.s_addr != addrs[i].s_addr)
				continue;
			found = true;
			if (__atomic_load_n(&sv->draining, __ATOMIC_RELAXED)) {
				__atomic_store_n(&sv->draining, 0,
				    __ATOMIC_RELAXED);
				changed = true;
				if (pb->base != NULL && pb->conf->health.on)
					px_health_start(sv, pb->base);
			}
		}
		if (found)
			continue;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(n->cs->port);
		sin.sin_addr = addrs[i];
		if ((sv = px_server_new(pb, n->cs, (struct sockaddr *)&sin,
		    sizeof(sin))) == NULL)
			return (-1);
		changed = true;
		if (pb->base != NULL && pb->conf->health.on)
			px_health_start(sv, pb->base);
	}
	for (sv = pb->all; sv != NULL; sv = sv->next) {
		const struct sockaddr_in *s4 =
		    (const struct sockaddr_in *)&sv->addr.ss;

		if (sv->cs != n->cs ||
		    __atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
			continue;
		for (i = 0; i < naddrs; i++)
			if (s4->sin_addr.s_addr == addrs[i].s_addr)
				break;
		if (i < naddrs)
			continue;
		__atomic_store_n(&sv->draining, 1, __ATOMIC_RELAXED);
		changed = true;
		*drained = true;
		px_log(CONF_LOG_NOTICE, "backend %s: %s left the answer for "
		    "%s; draining it (%u in flight)", pb->conf->name,
		    sv->addr.text, n->cs->host,
		    __atomic_load_n(&sv->inflight, __ATOMIC_RELAXED));
	}
	if (!changed)
		return (0);
	return (px_backend_publish(pb) == -1 ? -1 : 1);
}

/* The addresses of name n as one log line. */
static void
px_dns_fmt(const struct px_dnsname *n, char *buf, size_t len)
{
	const struct px_server	*sv;
	size_t			 o = 0;

	buf[0] = '\0';
	for (sv = n->pb->all; sv != NULL && o < len; sv = sv->next)
		if (sv->cs == n->cs &&
		    !__atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o ? ", " : "", sv->addr.text);
}

/* ---- /etc/hosts ---- */

int
px_hosts_find(const char *buf, size_t len, const char *name,
    struct in_addr *out, int max)
{
	const char	*p = buf, *end = buf + len, *eol, *f, *fe;
	char		 addr[64];
	size_t		 nlen = strlen(name);
	int		 n = 0, field;
	struct in_addr	 a;
	bool		 v4;

	for (; p < end && n < max; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		v4 = false;
		for (field = 0, f = p; f < eol; f = fe, field++) {
			while (f < eol && (*f == ' ' || *f == '\t' ||
			    *f == '\r'))
				f++;
			if (f == eol || *f == '#')
				break;
			for (fe = f; fe < eol && *fe != ' ' && *fe != '\t' &&
			    *fe != '\r' && *fe != '#'; fe++)
				;
			if (field == 0) {
				if ((size_t)(fe - f) >= sizeof(addr))
					break;
				memcpy(addr, f, (size_t)(fe - f));
				addr[fe - f] = '\0';
				if (inet_pton(AF_INET, addr, &a) != 1)
					break;	/* IPv6 or junk: not ours */
				v4 = true;
			} else if (v4 && (size_t)(fe - f) == nlen &&
			    strncasecmp(f, name, nlen) == 0) {
				out[n++] = a;
				break;
			}
		}
	}
	return (n);
}

/* name's IPv4 addresses from /etc/hosts (at most max); 0 if none. */
static int
px_hosts_lookup(const char *name, struct in_addr *out, int max)
{
	char	*buf;
	ssize_t	 r;
	size_t	 len = 0;
	int	 fd, n;

	if ((fd = open(PX_HOSTS_FILE, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	if ((buf = malloc(PX_HOSTS_MAX)) == NULL) {
		close(fd);
		return (0);
	}
	while (len < PX_HOSTS_MAX &&
	    (r = read(fd, buf + len, PX_HOSTS_MAX - len)) > 0)
		len += (size_t)r;
	close(fd);
	n = px_hosts_find(buf, len, name, out, max);
	free(buf);
	return (n);
}

/* ---- load time ---- */

static void
px_dns_init_cb(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	struct px_dnsname *n = arg;

	n->done = true;
	n->req = NULL;
	n->result = result;
	n->ttl = ttl;
	if (result != DNS_ERR_NONE)
		return;
	if (type != DNS_IPv4_A || count <= 0) {
		n->result = DNS_ERR_NODATA;
		return;
	}
	if ((n->addrs = calloc((size_t)count, sizeof(*n->addrs))) == NULL) {
		n->result = DNS_ERR_UNKNOWN;
		return;
	}
	memcpy(n->addrs, addrs, (size_t)count * sizeof(*n->addrs));
	n->naddrs = count;
}

/* A resolver on base for cfg: its `resolvers:` or the system's. */
static struct evdns_base *
px_dns_new(struct event_base *base, const struct config *cfg, char *err,
    size_t errlen)
{
	struct evdns_base	*dns;
	size_t			 i;

	if (cfg->nresolvers == 0) {
		dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (dns == NULL)
			snprintf(err, errlen, "cannot set up DNS from "
			    "/etc/resolv.conf");
		return (dns);
	}
	if ((dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) ==
	    NULL) {
		snprintf(err, errlen, "cannot set up DNS");
		return (NULL);
	}
	for (i = 0; i < cfg->nresolvers; i++)
		if (evdns_base_nameserver_sockaddr_add(dns,
		    (const struct sockaddr *)&cfg->resolvers[i].ss,
		    cfg->resolvers[i].len, 0) != 0) {
			snprintf(err, errlen, "resolver %s: cannot use it",
			    cfg->resolvers[i].text);
			evdns_base_free(dns, 0);
			return (NULL);
		}
	/* A server that does not answer costs 2 x 2 s, not libevent's 5 x 3. */
	evdns_base_set_option(dns, "timeout:", "2");
	evdns_base_set_option(dns, "attempts:", "2");
	return (dns);
}

/* Resolves every name of g at once, waiting for all answers. */
static int
px_dns_init(struct px_gen *g, char *err, size_t errlen)
{
	struct event_base	*base;
	struct evdns_base	*dns;
	size_t			 i, j, pending = 0;
	int			 rc = 0;

	if ((base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot set up DNS");
		return (-1);
	}
	if ((dns = px_dns_new(base, g->cfg, err, errlen)) == NULL) {
		event_base_free(base);
		return (-1);
	}
	for (i = 0; i < g->cfg->nbackends; i++)
		for (j = 0; j < g->backends[i].nnames; j++) {
			struct px_dnsname *n = g->backends[i].names[j];
			struct in_addr ha[PX_HOSTS_ADDRS];
			int nh;

			if ((nh = px_hosts_lookup(n->cs->host, ha,
			    PX_HOSTS_ADDRS)) > 0) {
				/* No TTL: looked up again at resolve_every. */
				px_dns_init_cb(DNS_ERR_NONE, DNS_IPv4_A, nh,
				    -1, ha, n);
				continue;
			}
			n->req = evdns_base_resolve_ipv4(dns, n->cs->host, 0,
			    px_dns_init_cb, n);
			if (n->req == NULL) {
				n->done = true;
				n->result = DNS_ERR_UNKNOWN;
			} else
				pending++;
		}
	while (pending > 0) {
		event_base_loop(base, EVLOOP_ONCE);
		pending = 0;
		for (i = 0; i < g->cfg->nbackends; i++)
			for (j = 0; j < g->backends[i].nnames; j++)
				if (!g->backends[i].names[j]->done)
					pending++;
	}
	evdns_base_free(dns, 0);
	event_base_free(base);
	for (i = 0; i < g->cfg->nbackends && rc == 0; i++)
		for (j = 0; j < g->backends[i].nnames && rc == 0; j++) {
			struct px_dnsname *n = g->backends[i].names[j];
			bool drained;

			if (n->result != DNS_ERR_NONE) {
				snprintf(err, errlen, "backend %s: cannot "
				    "resolve %s: %s", g->backends[i].conf->name,
				    n->cs->host, evdns_err_to_string(n->result));
				rc = -1;
			} else if (px_dns_apply(n, n->addrs, n->naddrs,
			    &drained) == -1) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
		}
	return (rc);
}

int
px_backend_init(struct px_gen *g, char *err, size_t errlen)
{
	size_t i, j, nn;

	for (i = 0; i < g->cfg->nbackends; i++) {
		struct px_backend		*pb = &g->backends[i];
		const struct conf_backend	*b = &g->cfg->backends[i];

		pb->conf = b;
		pb->idx = i;
		pb->gen = g;
		if ((pb->st = px_st_get(g->reg, PX_ST_BACKEND, b->name,
		    NULL)) == NULL)
			goto nomem;
		for (j = 0, nn = 0; j < b->nservers; j++)
			if (!b->servers[j].literal)
				nn++;
		if (nn > 0 && (pb->names = calloc(nn, sizeof(*pb->names))) ==
		    NULL)
			goto nomem;
		for (j = 0; j < b->nservers; j++) {
			const struct conf_server *cs = &b->servers[j];

			if (!cs->literal) {
				struct px_dnsname *n;

				if ((n = calloc(1, sizeof(*n))) == NULL)
					goto nomem;
				n->pb = pb;
				n->cs = cs;
				pb->names[pb->nnames++] = n;
			} else if (px_server_new(pb, cs,
			    (const struct sockaddr *)&cs->addr.ss,
			    cs->addr.len) == NULL)
				goto nomem;
		}
	}
	if (px_dns_init(g, err, errlen) == -1)
		return (-1);
	for (i = 0; i < g->cfg->nbackends; i++)
		if (g->backends[i].set == NULL &&
		    px_backend_publish(&g->backends[i]) == -1)
			goto nomem;
	return (0);
 nomem:
	snprintf(err, errlen, "out of memory");
	return (-1);
}

void
px_backend_free(struct px_gen *g)
{
	struct px_srvset	*set, *prev;
	struct px_server	*sv, *next;
	size_t			 i, j;

	if (g->backends == NULL)
		return;
	for (i = 0; i < g->cfg->nbackends; i++) {
		struct px_backend *pb = &g->backends[i];

		for (set = pb->set; set != NULL; set = prev) {
			prev = set->prev;
			free(set->srv);
			free(set);
		}
		for (sv = pb->all; sv != NULL; sv = next) {
			next = sv->next;
			px_st_put(g->reg, sv->st);
			free(sv);
		}
		px_st_put(g->reg, pb->st);
		for (j = 0; j < pb->nnames; j++)
			if (pb->names[j] != NULL) {
				free(pb->names[j]->addrs);
				free(pb->names[j]);
			}
		free(pb->names);
	}
}

/* ---- while running (main thread) ---- */

static void	px_dns_lookup(evutil_socket_t, short, void *);

static void
px_dns_again(struct px_dnsname *n, uint64_t ms)
{
	struct timeval tv;

	if (ms < PX_DNS_MIN_MS)
		ms = PX_DNS_MIN_MS;
	tv = px_ms_tv(ms);
	evtimer_add(n->timer, &tv);
}

static void
px_dns_cb(int result, char type, int count, int ttl, void *addrs, void *arg)
{
	struct px_dnsname	*n = arg;
	struct px_backend	*pb = n->pb;
	const struct conf_backend *b;
	char			 list[512];
	uint64_t		 next;
	bool			 drained;
	int			 rc;

	n->req = NULL;
	if (pb == NULL) {
		/* Its generation stopped while this lookup was out. */
		free(n);
		return;
	}
	b = pb->conf;
	/* A failure is retried as soon as the last answer would have been. */
	next = n->every != 0 ? n->every : b->resolve_every;
	if (result == DNS_ERR_NONE && (type != DNS_IPv4_A || count <= 0))
		result = DNS_ERR_NODATA;
	if (result != DNS_ERR_NONE) {
		if (!n->failing)
			px_log(CONF_LOG_WARNING, "backend %s: cannot resolve "
			    "%s: %s; keeping its last addresses",
			    b->name, n->cs->host, evdns_err_to_string(result));
		n->failing = true;
		px_dns_again(n, next);
		return;
	}
	if ((rc = px_dns_apply(n, addrs, count, &drained)) == -1)
		px_log(CONF_LOG_ERR, "backend %s: %s: out of memory; keeping "
		    "its last addresses", b->name, n->cs->host);
	if (n->failing) {
		px_dns_fmt(n, list, sizeof(list));
		px_log(CONF_LOG_NOTICE, "backend %s: %s resolves again: %s",
		    b->name, n->cs->host, list);
		n->failing = false;
	} else if (rc == 1) {
		px_dns_fmt(n, list, sizeof(list));
		px_log(CONF_LOG_NOTICE, "backend %s: %s now resolves to %s "
		    "(ttl %d s)", b->name, n->cs->host, list, ttl);
	}
	if (rc == 1 && px_dns.swept != NULL)
		px_dns.swept();
	next = b->resolve_every;
	if (ttl >= 0 && (uint64_t)ttl * 1000 < next)
		next = (uint64_t)ttl * 1000;
	n->every = next;
	px_dns_again(n, next);
}

static void
px_dns_lookup(evutil_socket_t fd, short what, void *arg)
{
	struct px_dnsname	*n = arg;
	struct in_addr		 ha[PX_HOSTS_ADDRS];
	int			 nh;

	px_backend_reclaim(n->pb);
	if (n->req != NULL)
		return;
	if ((nh = px_hosts_lookup(n->cs->host, ha, PX_HOSTS_ADDRS)) > 0) {
		px_dns_cb(DNS_ERR_NONE, DNS_IPv4_A, nh, -1, ha, n);
		return;
	}
	n->req = evdns_base_resolve_ipv4(px_dns.dns, n->cs->host, 0,
	    px_dns_cb, n);
	if (n->req == NULL) {
		if (!n->failing)
			px_log(CONF_LOG_WARNING, "backend %s: cannot look up "
			    "%s; keeping its last addresses",
			    n->pb->conf->name, n->cs->host);
		n->failing = true;
		px_dns_again(n, n->pb->conf->resolve_every);
	}
}

/* The resolvers of cfg as text, to notice a change at reload. */
static void
px_dns_key(const struct config *cfg, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->nresolvers && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? ", " : "", cfg->resolvers[i].text);
}

int
px_backend_start(struct px_gen *g, struct event_base *base,
    void (*swept)(void), uint64_t (*quiet)(void), char *err, size_t errlen)
{
	struct evdns_base	*nd = NULL;
	char			 key[sizeof(px_dns.key)];
	size_t			 i, j;

	/*
	 * A reload takes the resolvers of the new file, and re-reads
	 * /etc/resolv.conf when it names none (a DHCP client may have
	 * changed it).  Names of the new generation use the new resolver;
	 * lookups of the old one still out end with its generation.
	 */
	px_dns_key(g->cfg, key, sizeof(key));
	if (px_dns.dns == NULL || g->cfg->nresolvers == 0 ||
	    strcmp(key, px_dns.key) != 0) {
		if ((nd = px_dns_new(base, g->cfg, err, errlen)) == NULL)
			return (-1);
	}
	for (i = 0; i < g->cfg->nbackends; i++) {
		struct px_backend	*pb = &g->backends[i];
		struct px_server	*sv;
		uint64_t		 ms;

		pb->base = base;
		for (j = 0; j < pb->nnames; j++) {
			struct px_dnsname *n = pb->names[j];

			if ((n->timer = evtimer_new(base, px_dns_lookup, n)) ==
			    NULL) {
				snprintf(err, errlen, "out of memory");
				if (nd != NULL)
					evdns_base_free(nd, 0);
				return (-1);
			}
			ms = pb->conf->resolve_every;
			if (n->ttl >= 0 && (uint64_t)n->ttl * 1000 < ms)
				ms = (uint64_t)n->ttl * 1000;
			n->every = ms;
			px_dns_again(n, ms);
		}
		if (!pb->conf->health.on)
			continue;
		for (sv = pb->all; sv != NULL; sv = sv->next)
			if (!__atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
				px_health_start(sv, base);
	}
	if (nd != NULL) {
		if (px_dns.dns != NULL && strcmp(key, px_dns.key) != 0)
			px_log(CONF_LOG_NOTICE, "reload: names are now looked "
			    "up through %s", key[0] != '\0' ? key :
			    "the resolvers of /etc/resolv.conf");
		if (px_dns.old != NULL)		/* not stopped: cannot be */
			evdns_base_free(px_dns.old, 1);
		px_dns.old = px_dns.dns;
		px_dns.dns = nd;
		memcpy(px_dns.key, key, sizeof(key));
	}
	px_dns.swept = swept;
	px_dns.quiet = quiet;
	return (0);
}

void
px_backend_stop(struct px_gen *g)
{
	size_t i, j;

	for (i = 0; i < g->cfg->nbackends; i++) {
		struct px_backend	*pb = &g->backends[i];
		struct px_server	*sv;

		if (pb->base == NULL)
			continue;
		pb->base = NULL;
		for (j = 0; j < pb->nnames; j++) {
			struct px_dnsname *n = pb->names[j];

			if (n->timer != NULL)
				event_free(n->timer);
			n->timer = NULL;
			if (n->req != NULL) {
				/* Its callback frees it. */
				n->pb = NULL;
				pb->names[j] = NULL;
				free(n->addrs);
				n->addrs = NULL;
			}
		}
		for (sv = pb->all; sv != NULL; sv = sv->next)
			px_health_stop(sv);
	}
	/* Its lookups still out fail; their callbacks free what they hold. */
	if (px_dns.old != NULL) {
		evdns_base_free(px_dns.old, 1);
		px_dns.old = NULL;
	}
}

void
px_dns_shutdown(struct event_base *base)
{
	if (px_dns.dns == NULL)
		return;
	/* Lookups still out fail now; their callbacks free what they hold. */
	evdns_base_free(px_dns.dns, 1);
	px_dns.dns = NULL;
	event_base_loop(base, EVLOOP_NONBLOCK);
}
