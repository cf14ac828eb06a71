/*
 * Counters of listeners, backends and servers, and their rendering for
 * `builtin: stats` (Prometheus text format 0.0.4 and JSON).
 *
 * Cost on the request path: a session finds its listener's block through
 * its generation (s->st), a server its own (sv->st), so counting is a
 * relaxed load and store to the worker's own slot, no lookup, no lock and
 * no locked instruction.  The registry's lock is taken only when a
 * generation is built or freed and when DNS adds a server.
 *
 * Blocks are found by name (servers by backend name and address), so a
 * listener, backend or server that a reload keeps keeps its counters.  A
 * block is freed with the last generation that uses it, so memory follows
 * the live generations; the output lists what the serving generation has.
 * A server that comes back after its block went counts from zero.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/proxy.h"
#include "tunnel/tunnel.h"

#define PX_ST_SLOT_BYTES	(PX_ST_STRIDE * sizeof(uint64_t))

int
px_streg_init(struct px_streg *reg, int nworkers)
{
	memset(reg, 0, sizeof(*reg));
	if (pthread_mutex_init(&reg->mtx, NULL) != 0)
		return (-1);
	reg->nslot = nworkers > 0 ? nworkers : 1;
	reg->nworkers = nworkers;
	reg->start = (int64_t)time(NULL);
	reg->loaded = reg->start;
	return (0);
}

void
px_streg_fini(struct px_streg *reg)
{
	struct px_st *st, *next;

	for (st = reg->list; st != NULL; st = next) {
		next = st->next;
		free(st->c);
		free(st);
	}
	reg->list = NULL;
	pthread_mutex_destroy(&reg->mtx);
}

struct px_st *
px_st_get(struct px_streg *reg, enum px_st_kind kind, const char *name,
    const char *addr)
{
	struct px_st	*st;
	size_t		 len;

	if (addr == NULL)
		addr = "";
	pthread_mutex_lock(&reg->mtx);
	for (st = reg->list; st != NULL; st = st->next)
		if (st->kind == kind && strcmp(st->name, name) == 0 &&
		    strcmp(st->addr, addr) == 0) {
			st->refs++;
			pthread_mutex_unlock(&reg->mtx);
			return (st);
		}
	len = (size_t)reg->nslot * PX_ST_SLOT_BYTES;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->c = aligned_alloc(64, len)) == NULL) {
		pthread_mutex_unlock(&reg->mtx);
		free(st);
		return (NULL);
	}
	memset(st->c, 0, len);
	st->kind = kind;
	(void)snprintf(st->name, sizeof(st->name), "%s", name);
	(void)snprintf(st->addr, sizeof(st->addr), "%s", addr);
	st->refs = 1;
	st->changed = (int64_t)time(NULL);
	st->next = reg->list;
	reg->list = st;
	pthread_mutex_unlock(&reg->mtx);
	return (st);
}

void
px_st_put(struct px_streg *reg, struct px_st *st)
{
	struct px_st **pp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&reg->mtx);
	if (--st->refs > 0) {
		pthread_mutex_unlock(&reg->mtx);
		return;
	}
	for (pp = &reg->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	pthread_mutex_unlock(&reg->mtx);
	free(st->c);
	free(st);
}

uint64_t
px_st_sum(const struct px_st *st, int nslot, unsigned i)
{
	uint64_t	sum = 0;
	int		w;

	for (w = 0; w < nslot; w++)
		sum += __atomic_load_n(&st->c[(size_t)w * PX_ST_STRIDE + i],
		    __ATOMIC_RELAXED);
	return (sum);
}

struct px_st *
px_gen_lst(const struct px_gen *g, const struct conf_listener *ln)
{
	return (g->lst[ln - g->cfg->listeners]);
}

void
px_stbuf_printf(struct px_stbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	size_t	 cap;
	int	 n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
		    b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		for (cap = b->cap ? b->cap * 2 : 4096;
		    cap - b->len <= (size_t)n; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* ---- a snapshot of the numbers, so both formats say the same ---- */

/* A server's state in the generation, as gauges. */
enum {
	PX_SG_INFLIGHT = 0,	/* sessions using it now */
	PX_SG_UP,		/* 1: up */
	PX_SG_DRAINING,		/* 1: left DNS, finishing its sessions */
	PX_SG_WEIGHT,
	PX_SG_CHANGED,		/* last up/down, unix seconds */
	PX_SG_N
};

struct px_stsv {
	const char	*addr;
	uint64_t	 v[PX_SS_N];
	uint64_t	 g[PX_SG_N];
};

struct px_stbe {
	const char	*name;
	uint64_t	 v[PX_SB_N];
	size_t		 nsv;
	size_t		 nup;
	struct px_stsv	*sv;		/* owned */
};

struct px_stln {
	const char	*name;
	uint64_t	 v[PX_SL_N];
};

struct px_stsnap {
	struct px_stln	*ln;		/* owned */
	size_t		 nln;
	struct px_stbe	*be;		/* owned */
	size_t		 nbe;
	const struct tun *tun;
	struct tun_stats tst;
	enum tun_state	 tstate;
	int64_t		 start;
	int64_t		 loaded;
	int		 workers;
	unsigned	 gen;
};

static void
px_snap_free(struct px_stsnap *sn)
{
	size_t i;

	for (i = 0; i < sn->nbe; i++)
		free(sn->be[i].sv);
	free(sn->be);
	free(sn->ln);
}

/* The server list of pb; main appends to it while workers read. */
static const struct px_server *
px_snap_first(const struct px_backend *pb)
{
	return (__atomic_load_n(&pb->all, __ATOMIC_ACQUIRE));
}

static const struct px_server *
px_snap_next(const struct px_server *sv)
{
	return (__atomic_load_n(&sv->next, __ATOMIC_ACQUIRE));
}

static int
px_snap_backend(struct px_stbe *be, const struct px_backend *pb, int nslot)
{
	const struct px_server	*sv, *o;
	struct px_stsv		*x;
	size_t			 n = 0;
	unsigned		 i;

	be->name = pb->conf->name;
	for (i = 0; i < PX_SB_N; i++)
		be->v[i] = px_st_sum(pb->st, nslot, i);
	for (sv = px_snap_first(pb); sv != NULL; sv = px_snap_next(sv))
		n++;
	if (n > 0 && (be->sv = calloc(n, sizeof(*be->sv))) == NULL)
		return (-1);
	for (sv = px_snap_first(pb); sv != NULL && be->nsv < n;
	    sv = px_snap_next(sv)) {
		/* One address listed twice shares its counters: once. */
		for (o = px_snap_first(pb); o != sv; o = px_snap_next(o))
			if (o->st == sv->st)
				break;
		if (o != sv)
			continue;
		x = &be->sv[be->nsv++];
		x->addr = sv->addr.text;
		for (i = 0; i < PX_SS_N; i++)
			x->v[i] = px_st_sum(sv->st, nslot, i);
		x->g[PX_SG_INFLIGHT] = __atomic_load_n(&sv->inflight,
		    __ATOMIC_RELAXED);
		x->g[PX_SG_UP] = __atomic_load_n(&sv->up, __ATOMIC_RELAXED) !=
		    0;
		x->g[PX_SG_DRAINING] = __atomic_load_n(&sv->draining,
		    __ATOMIC_RELAXED) != 0;
		x->g[PX_SG_WEIGHT] = sv->weight;
		x->g[PX_SG_CHANGED] = (uint64_t)__atomic_load_n(
		    &sv->st->changed, __ATOMIC_RELAXED);
		if (x->g[PX_SG_UP] && !x->g[PX_SG_DRAINING])
			be->nup++;
	}
	return (0);
}

static int
px_snap_take(struct px_stsnap *sn, const struct px_gen *g)
{
	const struct config	*cfg = g->cfg;
	const struct px_streg	*reg = g->reg;
	size_t			 i;
	unsigned		 j;

	memset(sn, 0, sizeof(*sn));
	sn->start = reg->start;
	sn->workers = reg->nworkers;
	sn->gen = __atomic_load_n(&reg->gen, __ATOMIC_RELAXED);
	sn->loaded = __atomic_load_n(&reg->loaded, __ATOMIC_RELAXED);
	if ((sn->ln = calloc(cfg->nlisteners + 1, sizeof(*sn->ln))) == NULL ||
	    (sn->be = calloc(cfg->nbackends + 1, sizeof(*sn->be))) == NULL)
		return (-1);
	for (i = 0; i < cfg->nlisteners; i++) {
		sn->ln[i].name = cfg->listeners[i].name;
		for (j = 0; j < PX_SL_N; j++)
			sn->ln[i].v[j] = px_st_sum(g->lst[i], reg->nslot, j);
		/* Ends counted before starts read: never below 0. */
		if (sn->ln[i].v[PX_SL_OPEN] > INT64_MAX)
			sn->ln[i].v[PX_SL_OPEN] = 0;
	}
	sn->nln = cfg->nlisteners;
	for (i = 0; i < cfg->nbackends; i++) {
		if (cfg->backends[i].builtin != CONF_BUILTIN_NONE)
			continue;
		if (px_snap_backend(&sn->be[sn->nbe++], &g->backends[i],
		    reg->nslot) == -1)
			return (-1);
	}
	if ((sn->tun = reg->tun) != NULL) {
		tun_stats_get(sn->tun, &sn->tst);
		sn->tstate = tun_state_get(sn->tun);
	}
	return (0);
}

/* ---- what each kind lists, as both formats name it ---- */

/*
 * One number: its Prometheus family (after "v6front_"), its key in
 * /stats, its index in the kind's numbers (or, for the tunnel, its offset
 * in struct tun_stats), and whether /stats writes it as true/false.
 */
struct px_stfam {
	const char	*name;
	const char	*json;
	const char	*type;
	size_t		 idx;
	bool		 boolean;
	const char	*help;
};

#define PX_NFAM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const px_classes[PX_ST_CLASSES] = {
	"1xx", "2xx", "3xx", "4xx", "5xx",
};

static const struct px_stfam px_fam_ln[] = {
	{ "listener_connections_total", "connections", "counter",
	    PX_SL_CONNS, false, "Connections accepted." },
	{ "listener_open_connections", "open_connections", "gauge",
	    PX_SL_OPEN, false, "Connections open now, of every generation." },
	{ "listener_requests_total", "requests", "counter", PX_SL_REQS,
	    false, "HTTP requests received (one per access-log line)." },
	{ "listener_received_bytes_total", "received_bytes", "counter",
	    PX_SL_IN, false, "Bytes received from clients." },
	{ "listener_sent_bytes_total", "sent_bytes", "counter", PX_SL_OUT,
	    false, "Bytes sent to clients." },
	{ "listener_tls_handshake_failures_total", "tls_handshake_failures",
	    "counter", PX_SL_TLSFAIL, false,
	    "Client TLS handshakes that failed." },
	{ "listener_errors_total", "errors", "counter", PX_SL_ERRORS, false,
	    "Error responses v6front generated itself (HTTP)." },
};

/* Refusals: the label value of listener_refused_total and the key. */
static const struct {
	const char	*reason;
	int		 idx;
} px_refused[] = {
	{ "acl", PX_SL_ACL }, { "conn_limit", PX_SL_CONNLIM },
	{ "rate_limit", PX_SL_RATE }, { "proxy_protocol", PX_SL_PROXY },
};

static const struct px_stfam px_fam_be[] = {
	{ "backend_requests_total", "requests", "counter", PX_SB_REQS, false,
	    "Requests (http) or connections (tcp) sent to the backend." },
	{ "backend_connect_failures_total", "connect_failures", "counter",
	    PX_SB_CONNFAIL, false,
	    "Connects to a server of the backend that failed." },
	{ "backend_connect_timeouts_total", "connect_timeouts", "counter",
	    PX_SB_CONNTMO, false,
	    "Connects to a server of the backend that timed out." },
	{ "backend_retries_total", "retries", "counter", PX_SB_RETRIES, false,
	    "Requests or connections tried again on another connection." },
};

static const struct px_stfam px_fam_sv[] = {
	{ "server_connections_total", "connections", "counter", PX_SS_CONNS,
	    false, "Connections opened to the server." },
	{ "server_requests_total", "requests", "counter", PX_SS_REQS, false,
	    "Requests (http) or sessions (tcp) sent to the server." },
	{ "server_connect_failures_total", "connect_failures", "counter",
	    PX_SS_CONNFAIL, false, "Connects to the server that failed." },
	{ "server_retries_total", "retries", "counter", PX_SS_RETRIES, false,
	    "Failed connects to the server tried again elsewhere." },
	{ "server_received_bytes_total", "received_bytes", "counter",
	    PX_SS_IN, false, "Bytes received from the server." },
	{ "server_sent_bytes_total", "sent_bytes", "counter", PX_SS_OUT,
	    false, "Bytes sent to the server." },
};

static const struct px_stfam px_fam_svg[] = {
	{ "server_in_flight", "in_flight", "gauge", PX_SG_INFLIGHT, false,
	    "Sessions using the server now." },
	{ "server_up", "up", "gauge", PX_SG_UP, true,
	    "1 if the server is up (health checks, max_fails)." },
	{ "server_draining", "draining", "gauge", PX_SG_DRAINING, true,
	    "1 if the server left the DNS answer and finishes its sessions." },
	{ "server_weight", "weight", "gauge", PX_SG_WEIGHT, false,
	    "The server's balancing weight." },
	{ "server_last_change_timestamp_seconds", "last_change", "gauge",
	    PX_SG_CHANGED, false, "When the server last went up or down (or "
	    "appeared), in seconds since the epoch." },
};

static const struct px_stfam px_fam_tun[] = {
	{ "tunnel_received_packets_total", "received_packets", "counter",
	    offsetof(struct tun_stats, rx_pkts), false,
	    "Inner packets received from the tunnel and accepted." },
	{ "tunnel_received_bytes_total", "received_bytes", "counter",
	    offsetof(struct tun_stats, rx_bytes), false,
	    "Inner bytes of the packets accepted." },
	{ "tunnel_sent_packets_total", "sent_packets", "counter",
	    offsetof(struct tun_stats, tx_pkts), false,
	    "Inner packets sent into the tunnel." },
	{ "tunnel_sent_bytes_total", "sent_bytes", "counter",
	    offsetof(struct tun_stats, tx_bytes), false,
	    "Inner bytes of the packets sent." },
	{ "tunnel_echo_requests_total", "echo_requests", "counter",
	    offsetof(struct tun_stats, echo_tx), false,
	    "Echo requests sent to the peer." },
	{ "tunnel_echo_replies_total", "echo_replies", "counter",
	    offsetof(struct tun_stats, echo_rx), false,
	    "Echo replies received from the peer." },
	{ "tunnel_receive_errors_total", "receive_errors", "counter",
	    offsetof(struct tun_stats, rx_errors), false,
	    "Accepted packets the TUN device refused." },
	{ "tunnel_send_errors_total", "send_errors", "counter",
	    offsetof(struct tun_stats, tx_errors), false,
	    "Packets from the TUN device that could not be sent." },
	{ "tunnel_receive_overflows_total", "receive_overflows", "counter",
	    offsetof(struct tun_stats, rx_overflow), false,
	    "Datagrams the kernel dropped for want of buffer room." },
};

/* The tunnel counter f names, in t. */
static uint64_t
px_tun_num(const struct tun_stats *t, const struct px_stfam *f)
{
	uint64_t v;

	memcpy(&v, (const char *)t + f->idx, sizeof(v));
	return (v);
}

/* ---- Prometheus text format 0.0.4 ---- */

/* A label value: backslash, double quote and newline escaped. */
static void
px_prom_label(struct px_stbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			px_stbuf_printf(b, "\\\\");
		else if (*s == '"')
			px_stbuf_printf(b, "\\\"");
		else if (*s == '\n')
			px_stbuf_printf(b, "\\n");
		else
			px_stbuf_printf(b, "%c", *s);
	}
}

static void
px_prom_family(struct px_stbuf *b, const char *name, const char *type,
    const char *help)
{
	px_stbuf_printf(b, "# HELP v6front_%s %s\n# TYPE v6front_%s %s\n",
	    name, help, name, type);
}

/*
 * One sample: v6front_name{k1="v1",k2="v2",k3="v3"} value, the labels
 * whose key is NULL left out.
 */
static void
px_prom_sample(struct px_stbuf *b, const char *name, const char *k1,
    const char *v1, const char *k2, const char *v2, const char *k3,
    const char *v3, uint64_t v)
{
	const char	*k[3] = { k1, k2, k3 }, *lv[3] = { v1, v2, v3 };
	int		 i, n = 0;

	px_stbuf_printf(b, "v6front_%s", name);
	for (i = 0; i < 3; i++) {
		if (k[i] == NULL)
			continue;
		px_stbuf_printf(b, "%s%s=\"", n++ == 0 ? "{" : ",", k[i]);
		px_prom_label(b, lv[i]);
		px_stbuf_printf(b, "\"");
	}
	px_stbuf_printf(b, "%s %" PRIu64 "\n", n > 0 ? "}" : "", v);
}

/* Every server family of table f, from the numbers of each server. */
static void
px_prom_servers(struct px_stbuf *b, const struct px_stsnap *sn,
    const struct px_stfam *f, size_t nf, bool gauges)
{
	const struct px_stsv	*x;
	size_t			 i, j, k;

	for (k = 0; k < nf; k++) {
		px_prom_family(b, f[k].name, f[k].type, f[k].help);
		for (i = 0; i < sn->nbe; i++)
			for (j = 0; j < sn->be[i].nsv; j++) {
				x = &sn->be[i].sv[j];
				px_prom_sample(b, f[k].name, "backend",
				    sn->be[i].name, "server", x->addr, NULL,
				    NULL, gauges ? x->g[f[k].idx] :
				    x->v[f[k].idx]);
			}
	}
}

static void
px_prom_tunnel(struct px_stbuf *b, const struct px_stsnap *sn)
{
	const struct tun_stats	*t = &sn->tst;
	const char		*ifn = tun_ifname(sn->tun);
	size_t			 i;
	int			 r;

	px_prom_family(b, "tunnel_up", "gauge",
	    "1 if echoes to the peer come back, else 0.");
	px_prom_sample(b, "tunnel_up", "interface", ifn, NULL, NULL, NULL,
	    NULL, sn->tstate == TUN_STATE_UP);
	for (i = 0; i < PX_NFAM(px_fam_tun); i++) {
		px_prom_family(b, px_fam_tun[i].name, px_fam_tun[i].type,
		    px_fam_tun[i].help);
		px_prom_sample(b, px_fam_tun[i].name, "interface", ifn, NULL,
		    NULL, NULL, NULL, px_tun_num(t, &px_fam_tun[i]));
	}
	px_prom_family(b, "tunnel_dropped_packets_total", "counter",
	    "Packets from the tunnel refused, by reason.");
	for (r = 1; r < TUN_DROP_MAX; r++)
		px_prom_sample(b, "tunnel_dropped_packets_total", "interface",
		    ifn, "reason", tun_drop_name((enum tun_drop)r), NULL, NULL,
		    t->drops[r]);
	px_prom_family(b, "tunnel_echo_rtt_seconds", "gauge",
	    "Round-trip time of the last echo reply (0 before one).");
	px_stbuf_printf(b, "v6front_tunnel_echo_rtt_seconds{interface=\"");
	px_prom_label(b, ifn);
	px_stbuf_printf(b, "\"} %.9f\n", (double)t->echo_rtt_ns / 1e9);
}

static void
px_prom(struct px_stbuf *b, const struct px_stsnap *sn)
{
	size_t	i, k;
	int	c;

	px_prom_family(b, "start_time_seconds", "gauge",
	    "When v6front started, in seconds since the epoch.");
	px_prom_sample(b, "start_time_seconds", NULL, NULL, NULL, NULL, NULL,
	    NULL, (uint64_t)sn->start);
	px_prom_family(b, "workers", "gauge", "Worker threads.");
	px_prom_sample(b, "workers", NULL, NULL, NULL, NULL, NULL, NULL,
	    (uint64_t)sn->workers);
	px_prom_family(b, "config_generation", "gauge",
	    "Configuration generation serving: 1 at start, +1 per reload.");
	px_prom_sample(b, "config_generation", NULL, NULL, NULL, NULL, NULL,
	    NULL, sn->gen);
	px_prom_family(b, "config_last_reload_timestamp_seconds", "gauge",
	    "When that generation was loaded, in seconds since the epoch.");
	px_prom_sample(b, "config_last_reload_timestamp_seconds", NULL, NULL,
	    NULL, NULL, NULL, NULL, (uint64_t)sn->loaded);

	for (k = 0; k < PX_NFAM(px_fam_ln); k++) {
		px_prom_family(b, px_fam_ln[k].name, px_fam_ln[k].type,
		    px_fam_ln[k].help);
		for (i = 0; i < sn->nln; i++)
			px_prom_sample(b, px_fam_ln[k].name, "listener",
			    sn->ln[i].name, NULL, NULL, NULL, NULL,
			    sn->ln[i].v[px_fam_ln[k].idx]);
	}
	px_prom_family(b, "listener_responses_total", "counter",
	    "HTTP responses sent to clients, by status class.");
	for (i = 0; i < sn->nln; i++)
		for (c = 0; c < PX_ST_CLASSES; c++)
			px_prom_sample(b, "listener_responses_total",
			    "listener", sn->ln[i].name, "code", px_classes[c],
			    NULL, NULL, sn->ln[i].v[PX_SL_RESP + c]);
	px_prom_family(b, "listener_refused_total", "counter",
	    "Connections or requests refused, by reason.");
	for (i = 0; i < sn->nln; i++)
		for (k = 0; k < PX_NFAM(px_refused); k++)
			px_prom_sample(b, "listener_refused_total", "listener",
			    sn->ln[i].name, "reason", px_refused[k].reason,
			    NULL, NULL, sn->ln[i].v[px_refused[k].idx]);

	for (k = 0; k < PX_NFAM(px_fam_be); k++) {
		px_prom_family(b, px_fam_be[k].name, px_fam_be[k].type,
		    px_fam_be[k].help);
		for (i = 0; i < sn->nbe; i++)
			px_prom_sample(b, px_fam_be[k].name, "backend",
			    sn->be[i].name, NULL, NULL, NULL, NULL,
			    sn->be[i].v[px_fam_be[k].idx]);
	}
	px_prom_family(b, "backend_responses_total", "counter",
	    "HTTP responses to requests sent to the backend, by status "
	    "class (v6front's own 502, 503 and 504 included).");
	for (i = 0; i < sn->nbe; i++)
		for (c = 0; c < PX_ST_CLASSES; c++)
			px_prom_sample(b, "backend_responses_total", "backend",
			    sn->be[i].name, "code", px_classes[c], NULL, NULL,
			    sn->be[i].v[PX_SB_RESP + c]);
	px_prom_family(b, "backend_servers_up", "gauge",
	    "Servers of the backend up and not draining.");
	for (i = 0; i < sn->nbe; i++)
		px_prom_sample(b, "backend_servers_up", "backend",
		    sn->be[i].name, NULL, NULL, NULL, NULL, sn->be[i].nup);
	px_prom_family(b, "backend_servers", "gauge",
	    "Servers of the backend, draining ones included.");
	for (i = 0; i < sn->nbe; i++)
		px_prom_sample(b, "backend_servers", "backend",
		    sn->be[i].name, NULL, NULL, NULL, NULL, sn->be[i].nsv);

	px_prom_servers(b, sn, px_fam_sv, PX_NFAM(px_fam_sv), false);
	px_prom_servers(b, sn, px_fam_svg, PX_NFAM(px_fam_svg), true);
	if (sn->tun != NULL)
		px_prom_tunnel(b, sn);
}

/* ---- JSON ---- */

static void
px_json_str(struct px_stbuf *b, const char *s)
{
	px_stbuf_printf(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			px_stbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			px_stbuf_printf(b, "\\u%04x", ch);
		else
			px_stbuf_printf(b, "%c", ch);
	}
	px_stbuf_printf(b, "\"");
}

/* ,"key":value for each number of table f, v indexed as f says. */
static void
px_json_nums(struct px_stbuf *b, const struct px_stfam *f, size_t nf,
    const uint64_t *v)
{
	size_t k;

	for (k = 0; k < nf; k++) {
		if (f[k].boolean)
			px_stbuf_printf(b, ",\"%s\":%s", f[k].json,
			    v[f[k].idx] ? "true" : "false");
		else
			px_stbuf_printf(b, ",\"%s\":%" PRIu64, f[k].json,
			    v[f[k].idx]);
	}
}

/* ,"responses":{"1xx":n,...} from the classes at v. */
static void
px_json_classes(struct px_stbuf *b, const uint64_t *v)
{
	int c;

	px_stbuf_printf(b, ",\"responses\":{");
	for (c = 0; c < PX_ST_CLASSES; c++)
		px_stbuf_printf(b, "%s\"%s\":%" PRIu64, c ? "," : "",
		    px_classes[c], v[c]);
	px_stbuf_printf(b, "}");
}

static void
px_json_tunnel(struct px_stbuf *b, const struct px_stsnap *sn)
{
	const struct tun_stats	*t = &sn->tst;
	size_t			 i;
	int			 r;

	px_stbuf_printf(b, ",\n\"tunnel\":{\"interface\":");
	px_json_str(b, tun_ifname(sn->tun));
	px_stbuf_printf(b, ",\"state\":\"%s\",\"up\":%d",
	    tun_state_name(sn->tstate), sn->tstate == TUN_STATE_UP);
	for (i = 0; i < PX_NFAM(px_fam_tun); i++)
		px_stbuf_printf(b, ",\"%s\":%" PRIu64, px_fam_tun[i].json,
		    px_tun_num(t, &px_fam_tun[i]));
	px_stbuf_printf(b, ",\"echo_rtt_seconds\":%.9f,\"dropped\":{",
	    (double)t->echo_rtt_ns / 1e9);
	for (r = 1; r < TUN_DROP_MAX; r++)
		px_stbuf_printf(b, "%s\"%s\":%" PRIu64, r > 1 ? "," : "",
		    tun_drop_name((enum tun_drop)r), t->drops[r]);
	px_stbuf_printf(b, "}}");
}

static void
px_json(struct px_stbuf *b, const struct px_stsnap *sn)
{
	size_t i, j, k;

	px_stbuf_printf(b, "{\"process\":{\"start_time\":%" PRId64
	    ",\"workers\":%d,\"config_generation\":%u,"
	    "\"config_loaded\":%" PRId64 "},\n\"listeners\":[", sn->start,
	    sn->workers, sn->gen, sn->loaded);
	for (i = 0; i < sn->nln; i++) {
		const uint64_t *v = sn->ln[i].v;

		px_stbuf_printf(b, "%s\n{\"name\":", i ? "," : "");
		px_json_str(b, sn->ln[i].name);
		px_json_nums(b, px_fam_ln, PX_NFAM(px_fam_ln), v);
		px_json_classes(b, v + PX_SL_RESP);
		px_stbuf_printf(b, ",\"refused\":{");
		for (k = 0; k < PX_NFAM(px_refused); k++)
			px_stbuf_printf(b, "%s\"%s\":%" PRIu64, k ? "," : "",
			    px_refused[k].reason, v[px_refused[k].idx]);
		px_stbuf_printf(b, "}}");
	}
	px_stbuf_printf(b, "],\n\"backends\":[");
	for (i = 0; i < sn->nbe; i++) {
		const struct px_stbe *be = &sn->be[i];

		px_stbuf_printf(b, "%s\n{\"name\":", i ? "," : "");
		px_json_str(b, be->name);
		px_json_nums(b, px_fam_be, PX_NFAM(px_fam_be), be->v);
		px_json_classes(b, be->v + PX_SB_RESP);
		px_stbuf_printf(b, ",\"servers_up\":%zu,\"servers\":[",
		    be->nup);
		for (j = 0; j < be->nsv; j++) {
			px_stbuf_printf(b, "%s\n {\"server\":", j ? "," : "");
			px_json_str(b, be->sv[j].addr);
			px_json_nums(b, px_fam_sv, PX_NFAM(px_fam_sv),
			    be->sv[j].v);
			px_json_nums(b, px_fam_svg, PX_NFAM(px_fam_svg),
			    be->sv[j].g);
			px_stbuf_printf(b, "}");
		}
		px_stbuf_printf(b, "]}");
	}
	px_stbuf_printf(b, "]");
	if (sn->tun != NULL)
		px_json_tunnel(b, sn);
	else
		px_stbuf_printf(b, ",\n\"tunnel\":null");
	px_stbuf_printf(b, "}\n");
}

void
px_stats_render(struct px_stbuf *b, const struct px_gen *g, bool prom)
{
	struct px_stsnap sn;

	if (px_snap_take(&sn, g) == -1)
		b->oom = true;
	else if (prom)
		px_prom(b, &sn);
	else
		px_json(b, &sn);
	px_snap_free(&sn);
}
