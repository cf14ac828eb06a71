/*
 * Who may connect and how much: allow/deny prefix lists, a table of
 * sources with their open connections and request rate, and a limiter for
 * the log lines refusals cause.
 *
 * A source is an IPv4 address or an IPv6 prefix (limits.source_prefix,
 * /64 by default): one host on IPv6 usually holds a whole /64 and rotates
 * privacy addresses inside it, so counting addresses would count nothing.
 *
 * The source table is shared by the workers of one listener, so it has
 * locks: a few shards, each a small chained hash under its own mutex.  It
 * is touched only at accept, at close and once per http request, never per
 * byte.  It is bounded: PX_LIM_SOURCES_MAX sources.  A source with no open
 * connection and a fully recovered rate carries no state and is dropped
 * when its shard is swept; when a shard is full even after a sweep, the
 * idle source with the oldest rate state is dropped (its rate starts
 * afresh), and when every source in it has open connections a new source
 * is refused until one closes.
 */
#include <sys/random.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/proxy.h"

#define PX_LIM_SHARDS		16
#define PX_LIM_BUCKETS		512		/* per shard */
#define PX_LIM_SHARD_MAX	(PX_LIM_SOURCES_MAX / PX_LIM_SHARDS)
#define PX_LIM_SWEEP_US		(10 * 1000000ULL)

#define PX_RLOG_SLOTS		64	/* sources remembered per worker */
#define PX_RLOG_LINES		20	/* refusal lines per second, per worker */

struct px_lim {
	struct px_lim	*next;
	struct px_src	 key;
	unsigned	 shard;
	uint32_t	 conns;		/* open connections */
	uint64_t	 tat;		/* rate: µs, theoretical arrival time */
};

struct px_limshard {
	pthread_mutex_t	 mtx;
	struct px_lim	*bucket[PX_LIM_BUCKETS];
	size_t		 n;
	uint64_t	 swept;		/* µs */
};

struct px_limtab {
	unsigned		refs;
	uint64_t		seed;
	struct px_limshard	shard[PX_LIM_SHARDS];
};

struct px_rlog {
	uint64_t	 sec;		/* the second lines counts */
	unsigned	 lines;
	uint64_t	 held;		/* lines not written, other sources */
	struct {
		struct px_src	 key;
		uint64_t	 sec;
		uint64_t	 held;
		bool		 used;
	} slot[PX_RLOG_SLOTS];
};

static const uint8_t px_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool
px_cidr_any(const struct conf_cidr *c, size_t n, const struct sockaddr *sa)
{
	size_t i;

	/* conf_cidr_match already matches IPv4-mapped against IPv4. */
	for (i = 0; i < n; i++)
		if (conf_cidr_match(&c[i], sa))
			return (true);
	return (false);
}

bool
px_acl_pass(const struct conf_listener *ln, const struct sockaddr *sa)
{
	if (px_cidr_any(ln->deny, ln->ndeny, sa))
		return (false);
	return (ln->nallow == 0 || px_cidr_any(ln->allow, ln->nallow, sa));
}

void
px_src_key(const struct sockaddr *sa, int plen, struct px_src *k)
{
	const struct sockaddr_in6	*s6;
	const uint8_t			*a;
	int				 i;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		k->b[0] = 4;
		memcpy(k->b + 1, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
		return;
	}
	if (sa->sa_family != AF_INET6)
		return;
	s6 = (const struct sockaddr_in6 *)sa;
	a = (const uint8_t *)&s6->sin6_addr;
	if (memcmp(a, px_v4mapped, 12) == 0) {
		k->b[0] = 4;
		memcpy(k->b + 1, a + 12, 4);
		return;
	}
	k->b[0] = 6;
	for (i = 0; i < 16 && plen > 0; i++, plen -= 8)
		k->b[1 + i] = plen >= 8 ? a[i] :
		    (uint8_t)(a[i] & (0xff00 >> plen));
}

static uint64_t
px_lim_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

struct px_limtab *
px_limtab_new(void)
{
	struct px_limtab	*t;
	int			 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->refs = 1;
	/* A seed the peer cannot guess keeps its sources off one chain. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    sizeof(t->seed))
		t->seed = (uint64_t)px_lim_us() * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < PX_LIM_SHARDS; i++)
		pthread_mutex_init(&t->shard[i].mtx, NULL);
	return (t);
}

struct px_limtab *
px_limtab_ref(struct px_limtab *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return (t);
}

void
px_limtab_unref(struct px_limtab *t)
{
	struct px_lim	*e, *nx;
	int		 i, b;

	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < PX_LIM_SHARDS; i++) {
		for (b = 0; b < PX_LIM_BUCKETS; b++)
			for (e = t->shard[i].bucket[b]; e != NULL; e = nx) {
				nx = e->next;
				free(e);
			}
		pthread_mutex_destroy(&t->shard[i].mtx);
	}
	free(t);
}

static uint64_t
px_lim_hash(const struct px_limtab *t, const struct px_src *k)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ t->seed;
	size_t		i;

	for (i = 0; i < sizeof(k->b); i++) {
		h ^= k->b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (h ^ (h >> 32));
}

/* Drops the sources of a shard that carry no state (lock held). */
static void
px_lim_sweep(struct px_limshard *sh, uint64_t now)
{
	struct px_lim	**pp, *e;
	int		  b;

	sh->swept = now;
	for (b = 0; b < PX_LIM_BUCKETS; b++)
		for (pp = &sh->bucket[b]; (e = *pp) != NULL; ) {
			if (e->conns == 0 && e->tat <= now) {
				*pp = e->next;
				free(e);
				sh->n--;
			} else
				pp = &e->next;
		}
}

/* Drops the idle source with the oldest rate state; -1 if none (lock). */
static int
px_lim_evict(struct px_limshard *sh)
{
	struct px_lim	**pp, **best = NULL, *e;
	int		  b;

	for (b = 0; b < PX_LIM_BUCKETS; b++)
		for (pp = &sh->bucket[b]; (e = *pp) != NULL; pp = &e->next)
			if (e->conns == 0 && (best == NULL ||
			    e->tat < (*best)->tat))
				best = pp;
	if (best == NULL)
		return (-1);
	e = *best;
	*best = e->next;
	free(e);
	sh->n--;
	return (0);
}

int
px_lim_conn(struct px_limtab *t, const struct px_src *k, int max,
    struct px_lim **out)
{
	struct px_limshard	*sh;
	struct px_lim		*e;
	uint64_t		 h = px_lim_hash(t, k), now = px_lim_us();
	unsigned		 si = (unsigned)(h % PX_LIM_SHARDS);
	size_t			 b = (size_t)((h >> 8) % PX_LIM_BUCKETS);
	int			 rc = 0;

	sh = &t->shard[si];
	pthread_mutex_lock(&sh->mtx);
	for (e = sh->bucket[b]; e != NULL; e = e->next)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			break;
	if (e == NULL) {
		if (sh->n >= PX_LIM_SHARD_MAX ||
		    now - sh->swept > PX_LIM_SWEEP_US)
			px_lim_sweep(sh, now);
		if (sh->n >= PX_LIM_SHARD_MAX && px_lim_evict(sh) == -1) {
			rc = -2;
			goto out;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			rc = -2;
			goto out;
		}
		e->key = *k;
		e->shard = si;
		e->next = sh->bucket[b];
		sh->bucket[b] = e;
		sh->n++;
	}
	if (max > 0 && e->conns >= (uint32_t)max) {
		rc = -1;
		goto out;
	}
	e->conns++;
	*out = e;
 out:
	pthread_mutex_unlock(&sh->mtx);
	return (rc);
}

void
px_lim_release(struct px_limtab *t, struct px_lim *e)
{
	struct px_limshard *sh;

	if (e == NULL)
		return;
	sh = &t->shard[e->shard];
	pthread_mutex_lock(&sh->mtx);
	e->conns--;
	pthread_mutex_unlock(&sh->mtx);
}

/*
 * The generic cell rate algorithm: one time stamp per source.  Each event
 * pushes the source's theoretical arrival time on by period/count; an
 * event is refused while that time is more than period - period/count
 * ahead of now.  So `count` events pass at once from rest, then one per
 * period/count: a bucket of size count refilled evenly over the period.
 */
uint64_t
px_lim_rate(struct px_limtab *t, struct px_lim *e, uint64_t count,
    uint64_t period_ms)
{
	struct px_limshard	*sh = &t->shard[e->shard];
	uint64_t		 now = px_lim_us(), per = period_ms * 1000;
	uint64_t		 step = per / count, tau = per - step, tat;
	uint64_t		 wait = 0;

	pthread_mutex_lock(&sh->mtx);
	tat = e->tat > now ? e->tat : now;
	if (tat - now > tau)
		wait = (tat - now - tau + 999) / 1000;
	else
		e->tat = tat + step;
	pthread_mutex_unlock(&sh->mtx);
	return (wait);
}

struct px_rlog *
px_rlog_new(void)
{
	return (calloc(1, sizeof(struct px_rlog)));
}

void
px_refuse_log(struct px_worker *wk, const struct sockaddr *sa,
    const char *fmt, ...)
{
	struct px_rlog	*rl = wk->rlog;
	struct px_src	 k;
	char		 msg[512], more[96];
	uint64_t	 sec = px_now_ms() / 1000, h = 0xcbf29ce484222325ULL;
	va_list		 ap;
	size_t		 i, si;

	if (!px_log_enabled(CONF_LOG_INFO) || rl == NULL)
		return;
	/* Per address: the full one, whatever the source prefix. */
	px_src_key(sa, 128, &k);
	for (i = 0; i < sizeof(k.b); i++)
		h = (h ^ k.b[i]) * 0x100000001b3ULL;
	si = (size_t)(h % PX_RLOG_SLOTS);
	if (rl->sec != sec) {
		rl->sec = sec;
		rl->lines = 0;
	}
	if (rl->slot[si].used && memcmp(&rl->slot[si].key, &k, sizeof(k)) ==
	    0 && rl->slot[si].sec == sec) {
		rl->slot[si].held++;
		return;
	}
	if (rl->lines >= PX_RLOG_LINES) {
		rl->held++;
		return;
	}
	more[0] = '\0';
	if (rl->slot[si].used && memcmp(&rl->slot[si].key, &k, sizeof(k)) ==
	    0) {
		if (rl->slot[si].held > 0)
			(void)snprintf(more, sizeof(more), " (%llu more from "
			    "this address held back)",
			    (unsigned long long)rl->slot[si].held);
	} else if (rl->slot[si].used)
		rl->held += rl->slot[si].held;
	if (rl->held > 0)
		(void)snprintf(more + strlen(more), sizeof(more) -
		    strlen(more), " (%llu other refusal lines held back)",
		    (unsigned long long)rl->held);
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	px_log(CONF_LOG_INFO, "%s%s", msg, more);
	rl->slot[si].key = k;
	rl->slot[si].sec = sec;
	rl->slot[si].held = 0;
	rl->slot[si].used = true;
	rl->held = 0;
	rl->lines++;
}
