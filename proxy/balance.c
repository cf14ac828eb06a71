/*
 * Picking a server for a new backend connection, and the per-server
 * counters the picking and passive health checks use.
 *
 * round_robin: weighted, per worker: with weights 3 and 1 every four
 *   picks of a worker go A, A, A, B.
 * least_conn: the fewest sessions in flight per unit of weight, counted
 *   across workers (relaxed atomics: an estimate is enough); ties go round
 *   robin.
 * source: rendezvous (highest random weight) hashing of the client's IPv4
 *   address, or of its IPv6 address cut to source_prefix bits, so one
 *   client keeps its server while it rotates privacy addresses inside its
 *   /64, and a server that goes away moves only its own clients.
 *
 * Only servers that are up, not draining and of weight > 0 are picked.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy/proxy.h"

static uint64_t
px_mix64(uint64_t x)
{
	/* The splitmix64 finaliser: every input bit reaches every output. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

uint64_t
px_hash64(const void *p, size_t len, uint64_t seed)
{
	const unsigned char	*b = p;
	uint64_t		 h = 0xcbf29ce484222325ULL ^ px_mix64(seed);
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return (px_mix64(h ^ len));
}

uint64_t
px_balance_source_key(const struct sockaddr *sa, int prefix)
{
	static const uint8_t	 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0xff, 0xff };
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	uint8_t			 a[16];
	int			 i;

	if (sa->sa_family == AF_INET)
		return (px_hash64(&sin->sin_addr, 4, 4));
	if (sa->sa_family != AF_INET6)
		return (0);
	memcpy(a, &sin6->sin6_addr, 16);
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return (px_hash64(a + 12, 4, 4));
	for (i = 0; i < 16; i++) {
		int keep = prefix - i * 8;

		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return (px_hash64(a, 16, 6));
}

/*
 * The weighted rendezvous score of a server for a key: w / -ln(u), u the
 * pair's hash mapped into (0, 1).  The highest score wins; each server
 * wins a share of keys proportional to its weight.
 */
static double
px_hrw_score(uint64_t key, uint64_t hkey, unsigned weight)
{
	uint64_t	h = px_mix64(key ^ px_mix64(hkey));
	double		u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;

	return ((double)weight / -log(u));
}

ssize_t
px_balance_hrw(uint64_t key, const uint64_t *hkey, const unsigned *weight,
    size_t n)
{
	double	best = -1, sc;
	ssize_t	hit = -1;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (weight[i] == 0)
			continue;
		sc = px_hrw_score(key, hkey[i], weight[i]);
		if (sc > best) {
			best = sc;
			hit = (ssize_t)i;
		}
	}
	return (hit);
}

static bool
px_balance_ok(const struct px_server *sv, struct px_server *const *tried,
    size_t ntried)
{
	size_t i;

	if (sv->weight == 0 || !__atomic_load_n(&sv->up, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
		return (false);
	for (i = 0; i < ntried; i++)
		if (tried[i] == sv)
			return (false);
	return (true);
}

struct px_server *
px_balance_pick(struct px_worker *wk, const struct px_backend *pb,
    const struct sockaddr *cli, struct px_server *const *tried,
    size_t ntried)
{
	const struct px_srvset	*set = px_backend_set(pb);
	struct px_server	*sv, *best = NULL;
	unsigned		*rr = pb->idx < wk->nrr ? &wk->rr[pb->idx] :
				    NULL, r = rr != NULL ? (*rr)++ : 0;
	uint64_t		 total = 0, n, key;
	double			 bsc = -1, sc;
	size_t			 i, k;

	for (i = 0; i < set->n; i++)
		if (px_balance_ok(set->srv[i], tried, ntried))
			total += set->srv[i]->weight;
	if (total == 0)
		return (NULL);
	switch (pb->conf->balance) {
	case CONF_BALANCE_RR:
		n = r % total;
		for (i = 0; i < set->n; i++) {
			sv = set->srv[i];
			if (!px_balance_ok(sv, tried, ntried))
				continue;
			if (n < sv->weight)
				return (sv);
			n -= sv->weight;
		}
		break;
	case CONF_BALANCE_LEASTCONN:
		for (k = 0; k < set->n; k++) {
			uint64_t a, b;

			sv = set->srv[(k + r) % set->n];
			if (!px_balance_ok(sv, tried, ntried))
				continue;
			if (best == NULL) {
				best = sv;
				continue;
			}
			/* sv->inflight / sv->weight < best's, without division. */
			a = (uint64_t)__atomic_load_n(&sv->inflight,
			    __ATOMIC_RELAXED) * best->weight;
			b = (uint64_t)__atomic_load_n(&best->inflight,
			    __ATOMIC_RELAXED) * sv->weight;
			if (a < b)
				best = sv;
		}
		return (best);
	case CONF_BALANCE_SOURCE:
		key = px_balance_source_key(cli, pb->conf->source_prefix);
		for (i = 0; i < set->n; i++) {
			sv = set->srv[i];
			if (!px_balance_ok(sv, tried, ntried))
				continue;
			sc = px_hrw_score(key, sv->hkey, sv->weight);
			if (sc > bsc) {
				bsc = sc;
				best = sv;
			}
		}
		return (best);
	}
	return (NULL);
}

void
px_server_take(struct px_server *sv)
{
	__atomic_add_fetch(&sv->inflight, 1, __ATOMIC_RELAXED);
}

void
px_server_release(struct px_server *sv)
{
	__atomic_sub_fetch(&sv->inflight, 1, __ATOMIC_RELAXED);
}

bool
px_server_set_up(struct px_server *sv, bool up, const char *why)
{
	int from = up ? 0 : 1;

	if (!__atomic_compare_exchange_n(&sv->up, &from, up ? 1 : 0, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return (false);
	__atomic_store_n(&sv->st->changed, (int64_t)time(NULL),
	    __ATOMIC_RELAXED);
	px_log(up ? CONF_LOG_NOTICE : CONF_LOG_WARNING, "backend %s: server "
	    "%s is %s: %s", sv->pb->conf->name, sv->addr.text,
	    up ? "up" : "down", why);
	return (true);
}

void
px_server_connect_done(struct px_server *sv, int wi, int e, const char *why)
{
	const struct conf_health *hc = &sv->pb->conf->health;
	char	msg[200];
	unsigned n;

	if (e == 0) {
		if (__atomic_load_n(&sv->fails, __ATOMIC_RELAXED) != 0)
			__atomic_store_n(&sv->fails, 0, __ATOMIC_RELAXED);
		return;
	}
	px_st_add(sv->pb->st, wi, PX_SB_CONNFAIL, 1);
	if (e == ETIMEDOUT)
		px_st_add(sv->pb->st, wi, PX_SB_CONNTMO, 1);
	px_st_add(sv->st, wi, PX_SS_CONNFAIL, 1);
	if (!hc->on || hc->max_fails == 0)
		return;
	n = __atomic_add_fetch(&sv->fails, 1, __ATOMIC_RELAXED);
	if (n < (unsigned)hc->max_fails)
		return;
	__atomic_store_n(&sv->fails, 0, __ATOMIC_RELAXED);
	(void)snprintf(msg, sizeof(msg), "%u connect failures in a row "
	    "(last: %s)", n, why);
	(void)px_server_set_up(sv, false, msg);
}

void
px_server_retried(struct px_server *sv, int wi)
{
	px_st_add(sv->pb->st, wi, PX_SB_RETRIES, 1);
	px_st_add(sv->st, wi, PX_SS_RETRIES, 1);
}
