/*
 * The schema: walks the node tree, fills cx->cfg, reports every problem
 * with the key path that leads to it.  After an error the walk goes on
 * with the next key, so one run shows all that is wrong with a file.
 * Checks that need the whole file (backend names, unique listener names,
 * duplicate addresses) run at the end.
 */
#include <sys/un.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

#define CONF_REQ	0x01		/* conf_key: must be present */
#define CONF_KEYS_MAX	24
#define CONF_ERR_LEN	256
#define CONF_Q_LEN	(48 * 4 + 8)	/* conf_quote output */

#define CONF_NAME_CHARS	"1-63 characters from A-Z a-z 0-9 _ . -"

struct conf_key {
	const char	*name;
	unsigned	 flags;
};

/* A mapping checked against its keys: vals[i] is the value of keys[i]. */
struct conf_map {
	const struct conf_key	*keys;
	size_t			 nkeys;
	const struct conf_node	*node;
	const struct conf_node	*vals[CONF_KEYS_MAX];
};

struct conf_enum {
	const char	*name;
	int		 value;
};

static const struct conf_enum conf_log_levels[] = {
	{ "crit", CONF_LOG_CRIT }, { "err", CONF_LOG_ERR },
	{ "warning", CONF_LOG_WARNING }, { "notice", CONF_LOG_NOTICE },
	{ "info", CONF_LOG_INFO }, { "debug", CONF_LOG_DEBUG },
	{ NULL, 0 },
};
static const struct conf_enum conf_roles[] = {
	{ "client", CONF_TUN_CLIENT }, { "broker", CONF_TUN_BROKER },
	{ NULL, 0 },
};
static const struct conf_enum conf_pmtus[] = {
	{ "fixed", 0 }, { "dynamic", 1 }, { NULL, 0 },
};
static const struct conf_enum conf_modes[] = {
	{ "tcp", CONF_MODE_TCP }, { "http", CONF_MODE_HTTP }, { NULL, 0 },
};
static const struct conf_enum conf_balances[] = {
	{ "round_robin", CONF_BALANCE_RR },
	{ "least_conn", CONF_BALANCE_LEASTCONN },
	{ "source", CONF_BALANCE_SOURCE }, { NULL, 0 },
};
static const struct conf_enum conf_builtins[] = {
	{ "status", CONF_BUILTIN_STATUS }, { "stats", CONF_BUILTIN_STATS },
	{ NULL, 0 },
};
static const struct conf_enum conf_send_proxies[] = {
	{ "off", CONF_PROXY_OFF }, { "v1", CONF_PROXY_V1 },
	{ "v2", CONF_PROXY_V2 }, { NULL, 0 },
};

/* Appends ".key" (or "key" at the top) to the path; returns the old end. */
static size_t
conf_path_key(struct conf_cx *cx, const char *key, size_t klen)
{
	size_t old = cx->pathlen;
	char q[CONF_Q_LEN];

	/* An empty key would leave no trace in the path. */
	if (klen == 0)
		(void)snprintf(q, sizeof(q), "\"\"");
	else
		conf_quote(q, sizeof(q), key, klen);
	(void)snprintf(cx->path + old, sizeof(cx->path) - old, "%s%s",
	    old > 0 ? "." : "", q);
	cx->pathlen = strlen(cx->path);
	return (old);
}

static size_t
conf_path_idx(struct conf_cx *cx, size_t i)
{
	size_t old = cx->pathlen;

	(void)snprintf(cx->path + old, sizeof(cx->path) - old, "[%zu]", i);
	cx->pathlen = strlen(cx->path);
	return (old);
}

static void
conf_path_pop(struct conf_cx *cx, size_t old)
{
	cx->path[old] = '\0';
	cx->pathlen = old;
}

/* Refuses what the loader never interprets; -1 after reporting it. */
static int
conf_node_ok(struct conf_cx *cx, const struct conf_node *n)
{
	if (n->kind == CONF_N_ALIAS || (n->flags & CONF_NF_ANCHOR)) {
		conf_err(cx, n, "anchors and aliases are not supported");
		return (-1);
	}
	if (n->flags & CONF_NF_TAG) {
		conf_err(cx, n, "tags are not supported");
		return (-1);
	}
	return (0);
}

/* YAML's ways of writing nothing: `key:`, `key: ~`, `key: null`. */
static bool
conf_node_null(const struct conf_node *n)
{
	return (n->kind == CONF_N_SCALAR && (n->flags & CONF_NF_PLAIN) &&
	    (n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0));
}

/*
 * Returns the text of a scalar, or NULL after reporting `expect` (what the
 * key wants) for any other node, or a problem with the scalar itself.
 */
static const char *
conf_val_str(struct conf_cx *cx, const struct conf_node *n,
    const char *expect)
{
	if (conf_node_ok(cx, n) == -1)
		return (NULL);
	if (n->kind != CONF_N_SCALAR || conf_node_null(n)) {
		conf_err(cx, n, "%s", expect);
		return (NULL);
	}
	if (strlen(n->str) != n->len) {
		conf_err(cx, n, "NUL byte in string");
		return (NULL);
	}
	return (n->str);
}

/* Returns 0 if key node k names a usable key; -1 after reporting it. */
static int
conf_key_ok(struct conf_cx *cx, const struct conf_node *k)
{
	if (conf_node_ok(cx, k) == -1)
		return (-1);
	if (k->kind != CONF_N_SCALAR) {
		conf_err(cx, k, "expected a string");
		return (-1);
	}
	if (k->first != NULL) {
		char q[CONF_Q_LEN];
		size_t mark;

		conf_quote(q, sizeof(q), k->str, k->len);
		mark = conf_path_key(cx, k->str, k->len);
		conf_err(cx, k, "duplicate key \"%s\" (first at %u:%u)", q,
		    k->first->line, k->first->col);
		conf_path_pop(cx, mark);
		return (-1);
	}
	return (0);
}

/*
 * Checks that n is a mapping whose keys are all in keys (NULL-terminated),
 * none twice, every CONF_REQ one present.  Returns 0 with m filled, even if
 * some keys were bad; -1 if n is not a mapping at all.
 */
static int
conf_map_open(struct conf_cx *cx, const struct conf_node *n,
    const struct conf_key *keys, struct conf_map *m)
{
	char list[CONF_ERR_LEN];
	size_t i, j, mark, o;

	memset(m, 0, sizeof(*m));
	m->keys = keys;
	m->node = n;
	while (keys[m->nkeys].name != NULL && m->nkeys < CONF_KEYS_MAX)
		m->nkeys++;
	if (conf_node_ok(cx, n) == -1)
		return (-1);
	if (n->kind != CONF_N_MAP) {
		conf_err(cx, n, "expected a mapping");
		return (-1);
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct conf_node *k = n->kids[i];

		if (conf_key_ok(cx, k) == -1)
			continue;
		for (j = 0; j < m->nkeys; j++)
			if (strlen(keys[j].name) == k->len &&
			    memcmp(keys[j].name, k->str, k->len) == 0)
				break;
		if (j < m->nkeys) {
			m->vals[j] = n->kids[i + 1];
			continue;
		}
		for (o = 0, j = 0; j < m->nkeys && o < sizeof(list); j++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%s%s", j > 0 ? ", " : "", keys[j].name);
		mark = conf_path_key(cx, k->str, k->len);
		conf_err(cx, k, "unknown key; expected %s%s",
		    m->nkeys > 1 ? "one of " : "", list);
		conf_path_pop(cx, mark);
	}
	for (j = 0; j < m->nkeys; j++)
		if ((keys[j].flags & CONF_REQ) && m->vals[j] == NULL)
			conf_err(cx, n, "missing required key \"%s\"",
			    keys[j].name);
	return (0);
}

/* The value of key in m, or NULL when absent. */
static const struct conf_node *
conf_map_get(const struct conf_map *m, const char *key)
{
	size_t j;

	for (j = 0; j < m->nkeys; j++)
		if (strcmp(m->keys[j].name, key) == 0)
			return (m->vals[j]);
	return (NULL);
}

static bool
conf_name_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return (false);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return (false);
	return (true);
}

static int
conf_val_bool(struct conf_cx *cx, const struct conf_node *n, bool *out)
{
	const char *s;

	if ((s = conf_val_str(cx, n, "expected true or false")) == NULL)
		return (-1);
	/* Only the plain words: "yes", "on" and "True" mean other things
	 * to other YAML readers, and a quoted "true" is a string. */
	if ((n->flags & CONF_NF_PLAIN) && strcmp(s, "true") == 0)
		*out = true;
	else if ((n->flags & CONF_NF_PLAIN) && strcmp(s, "false") == 0)
		*out = false;
	else {
		conf_err(cx, n, "expected true or false");
		return (-1);
	}
	return (0);
}

/* A plain decimal in lo-hi; what names it in the message. */
static int
conf_val_uint(struct conf_cx *cx, const struct conf_node *n,
    const char *what, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char err[CONF_ERR_LEN], expect[64];
	const char *s;

	(void)snprintf(expect, sizeof(expect), "expected a number %llu-%llu",
	    (unsigned long long)lo, (unsigned long long)hi);
	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return (-1);
	if (!(n->flags & CONF_NF_PLAIN)) {
		conf_err(cx, n, "%s, not a quoted string", expect);
		return (-1);
	}
	if (conf_uint_range(what, s, lo, hi, out, err, sizeof(err)) == -1) {
		conf_err(cx, n, "%s", err);
		return (-1);
	}
	return (0);
}

static int
conf_val_duration(struct conf_cx *cx, const struct conf_node *n,
    uint64_t min, uint64_t *out)
{
	char err[CONF_ERR_LEN];
	const char *s;
	uint64_t v;

	if ((s = conf_val_str(cx, n, "expected a duration like 250ms, 5s, "
	    "10m")) == NULL)
		return (-1);
	if (conf_parse_duration(s, &v, err, sizeof(err)) == -1) {
		conf_err(cx, n, "%s", err);
		return (-1);
	}
	if (v < min) {
		conf_err(cx, n, "duration must be longer than 0");
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * One of the names in e.  The message lists them: "expected tcp",
 * "expected client or broker", "expected one of crit, err, ...".
 */
static int
conf_val_enum(struct conf_cx *cx, const struct conf_node *n,
    const struct conf_enum *e, int *out)
{
	char expect[CONF_ERR_LEN];
	const char *s;
	size_t i, cnt, o;

	for (cnt = 0; e[cnt].name != NULL; )
		cnt++;
	o = (size_t)snprintf(expect, sizeof(expect), "expected %s",
	    cnt > 2 ? "one of " : "");
	for (i = 0; i < cnt && o < sizeof(expect); i++)
		o += (size_t)snprintf(expect + o, sizeof(expect) - o, "%s%s",
		    i == 0 ? "" : cnt > 2 ? ", " : " or ", e[i].name);
	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return (-1);
	for (i = 0; i < cnt; i++)
		if (strcmp(s, e[i].name) == 0) {
			*out = e[i].value;
			return (0);
		}
	conf_err(cx, n, "%s", expect);
	return (-1);
}

/*
 * The conf_get_* helpers look key up in m, descend into the key path, and
 * parse.  Each returns 1 when set, 0 when absent (out untouched), -1 after
 * an error.
 */
static int
conf_get_bool(struct conf_cx *cx, const struct conf_map *m, const char *key,
    bool *out)
{
	const struct conf_node *v;
	size_t mark;
	int r;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	r = conf_val_bool(cx, v, out);
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

static int
conf_get_int(struct conf_cx *cx, const struct conf_map *m, const char *key,
    int lo, int hi, int *out)
{
	const struct conf_node *v;
	uint64_t u;
	size_t mark;
	int r;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	if ((r = conf_val_uint(cx, v, key, (uint64_t)lo, (uint64_t)hi, &u)) ==
	    0)
		*out = (int)u;
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

static int
conf_get_duration(struct conf_cx *cx, const struct conf_map *m,
    const char *key, uint64_t min, uint64_t *out)
{
	const struct conf_node *v;
	size_t mark;
	int r;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	r = conf_val_duration(cx, v, min, out);
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

static int
conf_get_enum(struct conf_cx *cx, const struct conf_map *m, const char *key,
    const struct conf_enum *e, int *out)
{
	const struct conf_node *v;
	size_t mark;
	int r;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	r = conf_val_enum(cx, v, e, out);
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

/* An IPv4 literal (v4) or IPv6 literal (!v4) into out. */
static int
conf_get_ip(struct conf_cx *cx, const struct conf_map *m, const char *key,
    bool v4, void *out)
{
	const char *expect = v4 ? "expected an IPv4 address like 192.0.2.1" :
	    "expected an IPv6 address like 2001:db8:1::1";
	const struct conf_node *v;
	const char *s;
	size_t mark;
	int r = -1;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	if ((s = conf_val_str(cx, v, expect)) != NULL) {
		if (inet_pton(v4 ? AF_INET : AF_INET6, s, out) == 1)
			r = 0;
		else
			conf_err(cx, v, "%s", expect);
	}
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

/* Descends into key when present; returns its value, *mark for the pop. */
static const struct conf_node *
conf_enter(struct conf_cx *cx, const struct conf_map *m, const char *key,
    size_t *mark)
{
	const struct conf_node *v;

	if ((v = conf_map_get(m, key)) != NULL)
		*mark = conf_path_key(cx, key, strlen(key));
	return (v);
}

/* The shape of a typed list, for conf_walk_seq. */
struct conf_seq {
	size_t		 size;		/* of one element */
	size_t		 min;		/* fewer items is an error */
	const char	*few;		/* the message for fewer than min */
	const char	*notseq;	/* the message for anything else */
	bool		 scalar;	/* one scalar stands for a list of one */
	/* Optional: runs before any item, -1 stops the walk. */
	int		(*start)(struct conf_cx *, void *arr, size_t n);
	/* Fills one element from the item's node; i is its index. */
	void		(*item)(struct conf_cx *, const struct conf_node *,
			    void *elem, size_t i, void *arg);
};

/*
 * Walks a list into a new array of zeroed elements, one per item, each
 * under the path "[i]".  Returns the array (owned by the caller, even when
 * an item failed) and sets *np; NULL for an error (reported), no items or
 * no memory (cx->oom).
 */
static void *
conf_walk_seq(struct conf_cx *cx, const struct conf_node *n,
    const struct conf_seq *sq, void *arg, size_t *np)
{
	char *arr;
	size_t i, cnt;

	if (conf_node_ok(cx, n) == -1)
		return (NULL);
	if (n->kind == CONF_N_SEQ)
		cnt = n->nkids;
	else if (sq->scalar && n->kind == CONF_N_SCALAR && !conf_node_null(n))
		cnt = 1;
	else {
		conf_err(cx, n, "%s", sq->notseq);
		return (NULL);
	}
	if (cnt < sq->min) {
		conf_err(cx, n, "%s", sq->few);
		return (NULL);
	}
	if (cnt == 0)
		return (NULL);
	if ((arr = calloc(cnt, sq->size)) == NULL) {
		cx->oom = true;
		return (NULL);
	}
	*np = cnt;
	if (sq->start != NULL && sq->start(cx, arr, cnt) == -1)
		return (arr);
	for (i = 0; i < cnt; i++) {
		/* One string is a list of one: the path says [0]. */
		size_t mark = conf_path_idx(cx, i);

		sq->item(cx, n->kind == CONF_N_SEQ ? n->kids[i] : n,
		    arr + i * sq->size, i, arg);
		conf_path_pop(cx, mark);
	}
	return (arr);
}

/* Appends a backend with its defaults; returns its index, or -1. */
static ssize_t
conf_backend_add(struct conf_cx *cx)
{
	struct config *cfg = cx->cfg;
	struct conf_backend *b;

	if (cfg->nbackends == cx->capbackends) {
		size_t cap = cx->capbackends == 0 ? 8 : cx->capbackends * 2;

		if ((b = reallocarray(cfg->backends, cap, sizeof(*b))) ==
		    NULL) {
			cx->oom = true;
			return (-1);
		}
		cfg->backends = b;
		cx->capbackends = cap;
	}
	b = &cfg->backends[cfg->nbackends];
	memset(b, 0, sizeof(*b));
	b->connect_timeout = 5 * 1000;
	b->response_timeout = 30 * 1000;
	b->pool_max_idle = 128;
	b->pool_idle_timeout = 30 * 1000;
	b->resolve_every = 30 * 1000;
	b->balance = CONF_BALANCE_RR;
	b->source_prefix = 64;
	b->retries = 2;
	b->health.every = 5 * 1000;
	b->health.timeout = 2 * 1000;
	b->health.rise = 2;
	b->health.fall = 3;
	return ((ssize_t)cfg->nbackends++);
}

/* A server's "host:port". */
static void
conf_walk_srvaddr(struct conf_cx *cx, const struct conf_node *n,
    struct conf_server *srv, const char *expect)
{
	char host[CONF_HOST_MAX], err[CONF_ERR_LEN];
	const char *s;

	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return;
	if (conf_hostport(s, true, host, sizeof(host), &srv->port,
	    &srv->literal, &srv->addr, err, sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
	else if ((srv->host = strdup(host)) == NULL)
		cx->oom = true;
}

/* A server: "host:port", or { address: "host:port", weight: N }. */
static void
conf_walk_server(struct conf_cx *cx, const struct conf_node *n,
    struct conf_server *srv)
{
	static const struct conf_key keys[] = {
		{ "address", CONF_REQ }, { "weight", 0 }, { NULL, 0 },
	};
	const struct conf_node *a;
	struct conf_map m;
	size_t mark;
	int w;

	srv->weight = 1;
	if (n->kind != CONF_N_MAP) {
		conf_walk_srvaddr(cx, n, srv, "expected a string or a mapping");
		return;
	}
	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	if ((a = conf_enter(cx, &m, "address", &mark)) != NULL) {
		conf_walk_srvaddr(cx, a, srv, "expected a string");
		conf_path_pop(cx, mark);
	}
	if (conf_get_int(cx, &m, "weight", 0, 256, &w) == 1)
		srv->weight = (unsigned)w;
}

static void
conf_item_server(struct conf_cx *cx, const struct conf_node *n, void *elem,
    size_t i, void *arg)
{
	conf_walk_server(cx, n, elem);
}

static void
conf_walk_servers(struct conf_cx *cx, const struct conf_node *n,
    struct conf_backend *b)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_server), .min = 1,
		.few = "expected at least one server",
		.notseq = "expected a sequence", .item = conf_item_server,
	};

	b->servers = conf_walk_seq(cx, n, &seq, NULL, &b->nservers);
}

/* An HTTP check target: origin-form, visible ASCII only. */
static void
conf_walk_hpath(struct conf_cx *cx, const struct conf_node *n,
    struct conf_health *h)
{
	const char *s;
	size_t i;

	if ((s = conf_val_str(cx, n, "expected a path like /health")) ==
	    NULL)
		return;
	if (s[0] != '/' || n->len > 1024) {
		conf_err(cx, n, "expected a path like /health (at most 1024 "
		    "bytes)");
		return;
	}
	for (i = 0; i < n->len; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '#') {
			conf_err(cx, n, "path: only visible ASCII, no '#'");
			return;
		}
	if ((h->path = strdup(s)) == NULL)
		cx->oom = true;
}

static void
conf_walk_health(struct conf_cx *cx, const struct conf_node *n,
    struct conf_health *h)
{
	static const struct conf_key keys[] = {
		{ "every", 0 }, { "timeout", 0 }, { "rise", 0 },
		{ "fall", 0 }, { "path", 0 }, { "max_fails", 0 }, { NULL, 0 },
	};
	const struct conf_node *v;
	struct conf_map m;
	size_t mark;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	h->on = true;
	conf_get_duration(cx, &m, "every", 1, &h->every);
	conf_get_duration(cx, &m, "timeout", 1, &h->timeout);
	conf_get_int(cx, &m, "rise", 1, 100, &h->rise);
	conf_get_int(cx, &m, "fall", 1, 100, &h->fall);
	conf_get_int(cx, &m, "max_fails", 0, 100, &h->max_fails);
	if ((v = conf_enter(cx, &m, "path", &mark)) != NULL) {
		conf_walk_hpath(cx, v, h);
		conf_path_pop(cx, mark);
	}
}

static int	conf_get_strdup(struct conf_cx *, const struct conf_map *,
		    const char *, char **);

/* A file path value: a non-empty string without NUL; -1 after an error. */
static int
conf_get_path(struct conf_cx *cx, const struct conf_map *m, const char *key,
    char **out)
{
	const struct conf_node *v;
	size_t mark = 0;

	if (conf_get_strdup(cx, m, key, out) == -1)
		return (-1);
	if (*out != NULL && (*out)[0] == '\0') {
		v = conf_enter(cx, m, key, &mark);
		conf_err(cx, v, "expected a file path");
		conf_path_pop(cx, mark);
		return (-1);
	}
	return (0);
}

/* `tls:` of a backend. */
static void
conf_walk_btls(struct conf_cx *cx, const struct conf_node *n,
    struct conf_backend *b)
{
	static const struct conf_key keys[] = {
		{ "verify", 0 }, { "ca_file", 0 }, { "sni", 0 }, { NULL, 0 },
	};
	struct conf_tls_client *t;
	const struct conf_node *v;
	struct conf_map m;
	size_t i, mark = 0;

	if ((t = b->tls = calloc(1, sizeof(*t))) == NULL) {
		cx->oom = true;
		return;
	}
	t->verify = true;
	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	conf_get_bool(cx, &m, "verify", &t->verify);
	(void)conf_get_path(cx, &m, "ca_file", &t->ca_file);
	if (conf_get_strdup(cx, &m, "sni", &t->sni) == 0 && t->sni != NULL) {
		/* A DNS name: letters, digits, '-', '.', and '_' seen in
		 * the wild; no trailing dot or IP literal on the wire. */
		for (i = 0; t->sni[i] != '\0'; i++)
			if (!((t->sni[i] >= 'a' && t->sni[i] <= 'z') ||
			    (t->sni[i] >= 'A' && t->sni[i] <= 'Z') ||
			    (t->sni[i] >= '0' && t->sni[i] <= '9') ||
			    t->sni[i] == '-' || t->sni[i] == '.' ||
			    t->sni[i] == '_'))
				break;
		if (i == 0 || i > 253 || t->sni[i] != '\0' ||
		    t->sni[i - 1] == '.') {
			v = conf_enter(cx, &m, "sni", &mark);
			conf_err(cx, v, "expected a DNS name like "
			    "www.example.com");
			conf_path_pop(cx, mark);
		}
	}
}

/* One entry of `backends:`, or a listener's inline backend. */
static void
conf_walk_backend(struct conf_cx *cx, const struct conf_node *n,
    struct conf_backend *b)
{
	static const struct conf_key keys[] = {
		{ "servers", 0 }, { "builtin", 0 }, { "timeouts", 0 },
		{ "pool", 0 }, { "resolve_every", 0 }, { "balance", 0 },
		{ "source_prefix", 0 }, { "retries", 0 }, { "health", 0 },
		{ "send_proxy", 0 }, { "tls", 0 }, { NULL, 0 },
	};
	static const struct conf_key pkeys[] = {
		{ "max_idle", 0 }, { "idle_timeout", 0 }, { NULL, 0 },
	};
	static const struct conf_key tkeys[] = {
		{ "connect", 0 }, { "response", 0 }, { NULL, 0 },
	};
	const struct conf_node *servers, *t;
	struct conf_map m, tm, pm;
	size_t mark;
	int v;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	servers = conf_map_get(&m, "servers");
	if (servers != NULL && conf_map_get(&m, "builtin") != NULL)
		conf_err(cx, n, "servers and builtin exclude each other");
	else if (servers == NULL && conf_map_get(&m, "builtin") == NULL)
		conf_err(cx, n, "missing required key \"servers\" or "
		    "\"builtin\"");
	if ((servers = conf_enter(cx, &m, "servers", &mark)) != NULL) {
		conf_walk_servers(cx, servers, b);
		conf_path_pop(cx, mark);
	}
	if (conf_get_enum(cx, &m, "builtin", conf_builtins, &v) == 1)
		b->builtin = (enum conf_builtin)v;
	if (conf_get_enum(cx, &m, "send_proxy", conf_send_proxies, &v) == 1)
		b->send_proxy = (enum conf_send_proxy)v;
	if ((t = conf_enter(cx, &m, "timeouts", &mark)) != NULL) {
		if (conf_map_open(cx, t, tkeys, &tm) == 0) {
			conf_get_duration(cx, &tm, "connect", 1,
			    &b->connect_timeout);
			conf_get_duration(cx, &tm, "response", 1,
			    &b->response_timeout);
		}
		conf_path_pop(cx, mark);
	}
	if ((t = conf_enter(cx, &m, "pool", &mark)) != NULL) {
		if (conf_map_open(cx, t, pkeys, &pm) == 0) {
			conf_get_int(cx, &pm, "max_idle", 0, 10000,
			    &b->pool_max_idle);
			conf_get_duration(cx, &pm, "idle_timeout", 1,
			    &b->pool_idle_timeout);
		}
		conf_path_pop(cx, mark);
	}
	conf_get_duration(cx, &m, "resolve_every", 1, &b->resolve_every);
	if (conf_get_enum(cx, &m, "balance", conf_balances, &v) == 1)
		b->balance = (enum conf_balance)v;
	conf_get_int(cx, &m, "source_prefix", 0, 128, &b->source_prefix);
	conf_get_int(cx, &m, "retries", 0, 10, &b->retries);
	if ((t = conf_enter(cx, &m, "health", &mark)) != NULL) {
		conf_walk_health(cx, t, &b->health);
		conf_path_pop(cx, mark);
	}
	if ((t = conf_enter(cx, &m, "tls", &mark)) != NULL) {
		if (conf_map_get(&m, "builtin") != NULL)
			conf_err(cx, t, "needs servers, not builtin");
		conf_walk_btls(cx, t, b);
		conf_path_pop(cx, mark);
	}
}

/* One resolver, "127.0.0.1:53" or "[2001:db8::53]:53". */
static void
conf_item_resolver(struct conf_cx *cx, const struct conf_node *n, void *elem,
    size_t i, void *arg)
{
	char err[CONF_ERR_LEN];
	const char *s;
	uint16_t port;
	bool literal;

	if ((s = conf_val_str(cx, n, "expected an address like "
	    "\"127.0.0.1:53\"")) != NULL &&
	    conf_hostport(s, false, NULL, 0, &port, &literal, elem, err,
	    sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
}

/* `resolvers: ["127.0.0.1:53", "[2001:db8::53]:53"]`: DNS servers. */
static void
conf_walk_resolvers(struct conf_cx *cx, const struct conf_node *n)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_sockaddr), .min = 1,
		.few = "expected a sequence of addresses like \"127.0.0.1:53\"",
		.notseq = "expected a sequence of addresses like "
		    "\"127.0.0.1:53\"",
		.item = conf_item_resolver,
	};

	cx->cfg->resolvers = conf_walk_seq(cx, n, &seq, NULL,
	    &cx->cfg->nresolvers);
}

static void
conf_walk_backends(struct conf_cx *cx, const struct conf_node *n)
{
	struct conf_backend *b;
	size_t i, mark;
	ssize_t bi;

	if (conf_node_ok(cx, n) == -1)
		return;
	if (n->kind != CONF_N_MAP) {
		conf_err(cx, n, "expected a mapping");
		return;
	}
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct conf_node *k = n->kids[i];

		if (conf_key_ok(cx, k) == -1)
			continue;
		if ((bi = conf_backend_add(cx)) == -1)
			return;
		b = &cx->cfg->backends[bi];
		mark = conf_path_key(cx, k->str, k->len);
		if (!conf_name_ok(k->str, k->len, CONF_NAME_MAX - 1))
			conf_err(cx, k, "expected a backend name of "
			    CONF_NAME_CHARS);
		else if ((b->name = strdup(k->str)) == NULL)
			cx->oom = true;
		conf_walk_backend(cx, n->kids[i + 1], b);
		conf_path_pop(cx, mark);
	}
}

/*
 * Records a bind for conf_check_binds.  id is SIZE_MAX for a bind as
 * written, else the id of the [::] bind that implies this 0.0.0.0 one.
 */
static void
conf_bind_add(struct conf_cx *cx, size_t li, size_t bi,
    const struct conf_node *n, const struct conf_sockaddr *sa, size_t id)
{
	struct conf_bindref *r;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (cx->nbinds == cx->capbinds) {
		size_t cap = cx->capbinds == 0 ? 16 : cx->capbinds * 2;

		if ((r = reallocarray(cx->binds, cap, sizeof(*r))) == NULL) {
			cx->oom = true;
			return;
		}
		cx->binds = r;
		cx->capbinds = cap;
	}
	r = &cx->binds[cx->nbinds++];
	memset(r, 0, sizeof(*r));
	r->li = li;
	r->bi = bi;
	r->node = n;
	r->alias = id != SIZE_MAX;
	r->id = r->alias ? id : cx->nreal++;
	if (sa->ss.ss_family == AF_INET6) {
		memcpy(&sin6, &sa->ss, sizeof(sin6));
		r->port = ntohs(sin6.sin6_port);
		/* [::]:P without v6only takes 0.0.0.0:P as well. */
		r->family = r->alias ? AF_INET : AF_INET6;
		if (!r->alias)
			memcpy(r->addr, &sin6.sin6_addr, 16);
	} else {
		memcpy(&sin, &sa->ss, sizeof(sin));
		r->family = AF_INET;
		memcpy(r->addr, &sin.sin_addr, 4);
		r->port = ntohs(sin.sin_port);
	}
}

/* One bind address into sa, listeners[*li].bind[bi]. */
static void
conf_item_bind(struct conf_cx *cx, const struct conf_node *n, void *sa_,
    size_t bi, void *li_)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	struct conf_sockaddr *sa = sa_;
	size_t li = *(const size_t *)li_;
	struct sockaddr_in6 sin6;
	char err[CONF_ERR_LEN];
	const char *s;
	uint16_t port;
	bool lit;

	if ((s = conf_val_str(cx, n, "expected a string")) == NULL)
		return;
	if (conf_hostport(s, false, NULL, 0, &port, &lit, sa, err,
	    sizeof(err)) == -1) {
		conf_err(cx, n, "%s", err);
		return;
	}
	if (sa->ss.ss_family == AF_INET6) {
		memcpy(&sin6, &sa->ss, sizeof(sin6));
		/* Such a bind would depend on v6only; the text is IPv4. */
		if (memcmp(&sin6.sin6_addr, mapped, 12) == 0) {
			conf_err(cx, n, "IPv4-mapped address; write it as %s",
			    sa->text);
			return;
		}
	}
	conf_bind_add(cx, li, bi, n, sa, SIZE_MAX);
}

static void
conf_walk_bind(struct conf_cx *cx, const struct conf_node *n, size_t li)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_sockaddr), .min = 1,
		.few = "expected at least one address",
		.notseq = "expected a string or a sequence of strings",
		.scalar = true, .item = conf_item_bind,
	};
	struct conf_listener *l = &cx->cfg->listeners[li];

	l->bind = conf_walk_seq(cx, n, &seq, &li, &l->nbind);
}

static void
conf_walk_lname(struct conf_cx *cx, const struct conf_node *n, size_t li)
{
	struct conf_listener *l = &cx->cfg->listeners[li];
	const char *s;

	if ((s = conf_val_str(cx, n, "expected a string")) == NULL)
		return;
	if (!conf_name_ok(s, n->len, CONF_NAME_MAX - 1))
		conf_err(cx, n, "expected a name of " CONF_NAME_CHARS);
	else if ((l->name = strdup(s)) == NULL)
		cx->oom = true;
	else
		cx->lx[li].name = n;
}

/*
 * A backend name, resolved once all are known, or an inline backend.  That
 * one is named after its listener, so logs and stats have a name for it,
 * and lives in config.backends like the others.
 */
static void
conf_walk_lbackend(struct conf_cx *cx, const struct conf_node *n, size_t li)
{
	struct conf_listener *l = &cx->cfg->listeners[li];
	struct conf_lx *lx = &cx->lx[li];
	ssize_t bi;

	if (conf_node_ok(cx, n) == -1)
		return;
	if (n->kind != CONF_N_MAP) {
		if (conf_val_str(cx, n, "expected a backend name or a "
		    "mapping") != NULL)
			lx->backend = n;
		return;
	}
	if ((bi = conf_backend_add(cx)) == -1)
		return;
	lx->bidx = (size_t)bi;
	lx->has_backend = true;
	lx->backend = n;
	if (l->name != NULL &&
	    (cx->cfg->backends[bi].name = strdup(l->name)) == NULL)
		cx->oom = true;
	conf_walk_backend(cx, n, &cx->cfg->backends[bi]);
}

static void
conf_walk_lbuffer(struct conf_cx *cx, const struct conf_node *n,
    struct conf_listener *l)
{
	char err[CONF_ERR_LEN], q[CONF_Q_LEN];
	const char *s;
	uint64_t u;

	if ((s = conf_val_str(cx, n, "expected a size like 512, 64k, 10m, "
	    "1g")) == NULL)
		return;
	if (conf_parse_size(s, &u, err, sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
	else if (u < 4096 || u > 64 * 1024 * 1024) {
		conf_quote(q, sizeof(q), s, n->len);
		conf_err(cx, n, "buffer %s not in 4k-64m", q);
	} else
		l->buffer = u;
}

/* A size in lo-hi bytes (0 is allowed when zero_ok) into *out. */
static int
conf_get_size(struct conf_cx *cx, const struct conf_map *m, const char *key,
    uint64_t lo, uint64_t hi, bool zero_ok, uint64_t *out)
{
	char err[CONF_ERR_LEN], q[CONF_Q_LEN];
	const struct conf_node *v;
	const char *s;
	size_t mark;
	uint64_t u;
	int r = -1;

	if ((v = conf_map_get(m, key)) == NULL)
		return (0);
	mark = conf_path_key(cx, key, strlen(key));
	if ((s = conf_val_str(cx, v, "expected a size like 512, 64k, 10m, "
	    "1g")) == NULL)
		;
	else if (conf_parse_size(s, &u, err, sizeof(err)) == -1)
		conf_err(cx, v, "%s", err);
	else if ((u < lo || u > hi) && !(zero_ok && u == 0)) {
		conf_quote(q, sizeof(q), s, v->len);
		conf_err(cx, v, "%s %s not in %llu-%llu bytes%s", key, q,
		    (unsigned long long)lo, (unsigned long long)hi,
		    zero_ok ? " (or 0)" : "");
	} else {
		*out = u;
		r = 0;
	}
	conf_path_pop(cx, mark);
	return (r == 0 ? 1 : -1);
}

/* "N/PERIOD" of limits.request_rate: "100/10s", "5/1m", "10/s". */
static void
conf_walk_rate(struct conf_cx *cx, const struct conf_node *n,
    struct conf_listener *l)
{
	const char *expect = "expected a rate like 100/10s";
	char num[32], per[32], err[CONF_ERR_LEN];
	const char *s, *slash;
	uint64_t cnt, ms;

	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return;
	if ((slash = strchr(s, '/')) == NULL || (size_t)(slash - s) >=
	    sizeof(num) || strlen(slash + 1) + 2 > sizeof(per)) {
		conf_err(cx, n, "%s", expect);
		return;
	}
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	/* "10/s" means one second. */
	(void)snprintf(per, sizeof(per), "%s%s",
	    slash[1] >= 'a' && slash[1] <= 'z' ? "1" : "", slash + 1);
	if (conf_parse_uint(num, 1000000, &cnt, err, sizeof(err)) == -1 ||
	    cnt == 0)
		conf_err(cx, n, "%s: count not in 1-1000000", expect);
	else if (conf_parse_duration(per, &ms, err, sizeof(err)) == -1)
		conf_err(cx, n, "%s: %s", expect, err);
	else if (ms < 1000 || ms > 24 * 3600 * 1000)
		conf_err(cx, n, "%s: period not in 1s-1d", expect);
	else {
		l->rate_count = cnt;
		l->rate_period = ms;
	}
}

/*
 * `limits:` of a listener.  The per-source keys apply to both modes; the
 * request-head ones need mode http.
 */
static void
conf_walk_limits(struct conf_cx *cx, const struct conf_node *n,
    struct conf_listener *l)
{
	static const struct conf_key keys[] = {
		{ "header_size", 0 }, { "header_count", 0 },
		{ "uri_length", 0 }, { "body_size", 0 },
		{ "conn_per_source", 0 }, { "request_rate", 0 },
		{ "source_prefix", 0 }, { NULL, 0 },
	};
	static const char *const http_only[] = {
		"header_size", "header_count", "uri_length", "body_size",
	};
	const struct conf_node *v;
	struct conf_map m;
	size_t i, mark;
	int cnt;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	/* The parser holds a head in one buffer; 16m is its hard cap. */
	conf_get_size(cx, &m, "header_size", 1024, 16 * 1024 * 1024, false,
	    &l->header_size);
	if (conf_get_int(cx, &m, "header_count", 1, 10000, &cnt) == 1)
		l->header_count = (uint64_t)cnt;
	conf_get_size(cx, &m, "uri_length", 16, 1024 * 1024, false,
	    &l->uri_length);
	conf_get_size(cx, &m, "body_size", 1, UINT64_MAX >> 1, true,
	    &l->body_size);
	conf_get_int(cx, &m, "conn_per_source", 1, 1000000,
	    &l->conn_per_source);
	if ((v = conf_enter(cx, &m, "request_rate", &mark)) != NULL) {
		conf_walk_rate(cx, v, l);
		conf_path_pop(cx, mark);
	}
	conf_get_int(cx, &m, "source_prefix", 1, 128, &l->source_prefix);
	for (i = 0; l->mode != CONF_MODE_HTTP &&
	    i < sizeof(http_only) / sizeof(http_only[0]); i++)
		if ((v = conf_enter(cx, &m, http_only[i], &mark)) != NULL) {
			conf_err(cx, v, "needs mode: http");
			conf_path_pop(cx, mark);
		}
}

/* `forwarded:` of an http listener: which client-address fields to add. */
static void
conf_walk_forwarded(struct conf_cx *cx, const struct conf_node *n,
    struct conf_listener *l)
{
	static const struct conf_key keys[] = {
		{ "x_forwarded_for", 0 }, { "x_forwarded_proto", 0 },
		{ "x_real_ip", 0 }, { "forwarded", 0 }, { NULL, 0 },
	};
	struct conf_map m;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	conf_get_bool(cx, &m, "x_forwarded_for", &l->fwd_xff);
	conf_get_bool(cx, &m, "x_forwarded_proto", &l->fwd_xfp);
	conf_get_bool(cx, &m, "x_real_ip", &l->fwd_xrip);
	conf_get_bool(cx, &m, "forwarded", &l->fwd_rfc7239);
}

/*
 * A list of IPv4 or IPv6 prefixes (trust_forwarded_from, allow, deny) into
 * *out (owned by the listener) and *nout.
 */
static void
conf_item_cidr(struct conf_cx *cx, const struct conf_node *n, void *elem,
    size_t i, void *arg)
{
	char err[CONF_ERR_LEN];
	const char *s;

	if ((s = conf_val_str(cx, n, "expected a prefix like 2001:db8::/32 or "
	    "192.0.2.0/24")) != NULL &&
	    conf_parse_cidr(s, elem, err, sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
}

static void
conf_walk_cidrs(struct conf_cx *cx, const struct conf_node *n,
    struct conf_cidr **out, size_t *nout)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_cidr), .min = 0,
		.notseq = "expected a sequence", .item = conf_item_cidr,
	};

	*out = conf_walk_seq(cx, n, &seq, NULL, nout);
}

static char *
conf_strdup_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return (d);
}

/* A copy of the default access log for one listener; NULL if no memory. */
static struct conf_alog *
conf_alog_dup(const struct conf_alog *src)
{
	struct conf_alog *a;
	bool oom = false;

	if ((a = malloc(sizeof(*a))) == NULL)
		return (NULL);
	*a = *src;
	a->path = conf_strdup_null(src->path, &oom);
	a->syslog = conf_strdup_null(src->syslog, &oom);
	a->format = conf_strdup_null(src->format, &oom);
	a->format_where = conf_strdup_null(src->format_where, &oom);
	if (oom) {
		conf_alog_free(a);
		return (NULL);
	}
	return (a);
}

/* "unix:/dev/log" or "udp://[::1]:514" / "udp://127.0.0.1:514". */
static int
conf_walk_syslog(struct conf_cx *cx, const struct conf_node *n,
    struct conf_alog *a)
{
	const char *expect = "expected unix:/path or udp://[address]:port";
	struct conf_sockaddr sa;
	char host[CONF_HOST_MAX], err[CONF_ERR_LEN];
	const char *s;
	uint16_t port;
	bool literal;

	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return (-1);
	if (strncmp(s, "unix:", 5) == 0 && s[5] == '/') {
		struct sockaddr_un *su = (struct sockaddr_un *)&a->syslog_ss;

		if (strlen(s + 5) >= sizeof(su->sun_path)) {
			conf_err(cx, n, "socket path longer than %zu bytes",
			    sizeof(su->sun_path) - 1);
			return (-1);
		}
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, s + 5, strlen(s + 5) + 1);
		a->syslog_len = sizeof(*su);
	} else if (strncmp(s, "udp://", 6) == 0) {
		if (conf_parse_hostport(s + 6, host, sizeof(host), &port,
		    &literal, &sa, err, sizeof(err)) == -1) {
			conf_err(cx, n, "%s", err);
			return (-1);
		}
		if (!literal) {
			conf_err(cx, n, "expected an IP address, not a name");
			return (-1);
		}
		memcpy(&a->syslog_ss, &sa.ss, sa.len);
		a->syslog_len = sa.len;
	} else {
		conf_err(cx, n, "%s", expect);
		return (-1);
	}
	if ((a->syslog = strdup(s)) == NULL) {
		cx->oom = true;
		return (-1);
	}
	return (0);
}

/*
 * `access_log:` a path, "off", or { path | syslog, format, anonymize }.
 * Returns the new conf_alog (owned by the caller), or NULL for "off" and
 * after errors (*off tells which).
 */
static struct conf_alog *
conf_walk_alog(struct conf_cx *cx, const struct conf_node *n, bool *off)
{
	static const struct conf_key keys[] = {
		{ "path", 0 }, { "syslog", 0 }, { "format", 0 },
		{ "anonymize", 0 }, { NULL, 0 },
	};
	static const struct conf_key akeys[] = {
		{ "ipv6", 0 }, { "ipv4", 0 }, { NULL, 0 },
	};
	const char *expect = "expected a file path, off, or a mapping with "
	    "path or syslog";
	struct conf_alog *a;
	const struct conf_node *v;
	struct conf_map m, am;
	const char *str;
	size_t mark = 0;
	bool bad = false;

	*off = false;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		cx->oom = true;
		return (NULL);
	}
	a->anon_v6 = 128;
	a->anon_v4 = 32;
	if (n->kind == CONF_N_SCALAR) {
		if ((str = conf_val_str(cx, n, expect)) == NULL)
			goto fail;
		if (strcmp(str, "off") == 0) {
			*off = true;
			goto fail;
		}
		if (str[0] != '/') {
			conf_err(cx, n, "expected an absolute path or off");
			goto fail;
		}
		if ((a->path = strdup(str)) == NULL)
			cx->oom = true;
		return (a);
	}
	if (conf_map_open(cx, n, keys, &m) == -1)
		goto fail;
	if ((v = conf_enter(cx, &m, "path", &mark)) != NULL) {
		if ((str = conf_val_str(cx, v, "expected a file path")) ==
		    NULL)
			bad = true;
		else if (str[0] != '/') {
			conf_err(cx, v, "expected an absolute path");
			bad = true;
		} else if ((a->path = strdup(str)) == NULL)
			cx->oom = true;
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "syslog", &mark)) != NULL) {
		if (conf_walk_syslog(cx, v, a) == -1)
			bad = true;
		conf_path_pop(cx, mark);
	}
	if (!bad && (a->path == NULL) == (a->syslog == NULL)) {
		conf_err(cx, n, "expected exactly one of path and syslog");
		bad = true;
	}
	if ((v = conf_enter(cx, &m, "format", &mark)) != NULL) {
		char where[CONF_PATH_MAX + 64];

		if ((str = conf_val_str(cx, v, "expected a format name or a "
		    "LogFormat string")) == NULL)
			bad = true;
		else {
			/* proxy compiles it and reports errors here. */
			(void)snprintf(where, sizeof(where), "%s:%u:%u: %s",
			    cx->name, v->line, v->col, cx->path);
			if ((a->format = strdup(str)) == NULL ||
			    (a->format_where = strdup(where)) == NULL)
				cx->oom = true;
		}
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "anonymize", &mark)) != NULL) {
		if (conf_map_open(cx, v, akeys, &am) == 0) {
			a->anon_v6 = 48;
			a->anon_v4 = 24;
			if (conf_get_int(cx, &am, "ipv6", 0, 128, &a->anon_v6) ==
			    -1 || conf_get_int(cx, &am, "ipv4", 0, 32,
			    &a->anon_v4) == -1)
				bad = true;
		} else
			bad = true;
		conf_path_pop(cx, mark);
	}
	if (!bad)
		return (a);
 fail:
	conf_alog_free(a);
	return (NULL);
}

/* One {cert, key} of a listener's tls. */
static void
conf_walk_cert(struct conf_cx *cx, const struct conf_node *n,
    struct conf_tls_cert *c)
{
	static const struct conf_key keys[] = {
		{ "cert", CONF_REQ }, { "key", CONF_REQ }, { NULL, 0 },
	};
	struct conf_map m;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	(void)conf_get_path(cx, &m, "cert", &c->cert);
	(void)conf_get_path(cx, &m, "key", &c->key);
}

/* `tls:` of a listener: { cert, key } or { certs: [{cert, key}, ...] }. */
static void
conf_walk_ltls(struct conf_cx *cx, const struct conf_node *n,
    struct conf_listener *l)
{
	static const struct conf_key keys[] = {
		{ "cert", 0 }, { "key", 0 }, { "certs", 0 }, { NULL, 0 },
	};
	struct conf_tls_server *t;
	const struct conf_node *v;
	struct conf_map m;
	size_t i, mark = 0, imark;

	if ((t = l->tls = calloc(1, sizeof(*t))) == NULL) {
		cx->oom = true;
		return;
	}
	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	if ((v = conf_enter(cx, &m, "certs", &mark)) != NULL) {
		if (conf_map_get(&m, "cert") != NULL ||
		    conf_map_get(&m, "key") != NULL)
			conf_err(cx, v, "certs and cert/key exclude each "
			    "other");
		else if (conf_node_ok(cx, v) == 0 && v->kind != CONF_N_SEQ)
			conf_err(cx, v, "expected a sequence of {cert, key}");
		else if (v->kind == CONF_N_SEQ && v->nkids == 0)
			conf_err(cx, v, "expected at least one certificate");
		else if (v->kind == CONF_N_SEQ) {
			if ((t->certs = calloc(v->nkids, sizeof(*t->certs))) ==
			    NULL) {
				cx->oom = true;
				conf_path_pop(cx, mark);
				return;
			}
			t->ncerts = v->nkids;
			for (i = 0; i < v->nkids; i++) {
				imark = conf_path_idx(cx, i);
				conf_walk_cert(cx, v->kids[i], &t->certs[i]);
				conf_path_pop(cx, imark);
			}
		}
		conf_path_pop(cx, mark);
		return;
	}
	if (conf_map_get(&m, "cert") == NULL || conf_map_get(&m, "key") ==
	    NULL) {
		conf_err(cx, n, "expected cert and key, or certs");
		return;
	}
	if ((t->certs = calloc(1, sizeof(*t->certs))) == NULL) {
		cx->oom = true;
		return;
	}
	t->ncerts = 1;
	(void)conf_get_path(cx, &m, "cert", &t->certs[0].cert);
	(void)conf_get_path(cx, &m, "key", &t->certs[0].key);
}

static void
conf_walk_listener(struct conf_cx *cx, const struct conf_node *n, size_t li)
{
	static const struct conf_key keys[] = {
		{ "name", CONF_REQ }, { "bind", CONF_REQ }, { "mode", 0 },
		{ "backend", CONF_REQ }, { "v6only", 0 }, { "freebind", 0 },
		{ "backlog", 0 }, { "buffer", 0 }, { "timeouts", 0 },
		{ "limits", 0 }, { "forwarded", 0 },
		{ "trust_forwarded_from", 0 }, { "access_log", 0 },
		{ "accept_proxy", 0 }, { "allow", 0 }, { "deny", 0 },
		{ "tls", 0 }, { NULL, 0 },
	};
	static const struct conf_key tkeys[] = {
		{ "client_idle", 0 }, { "client_header", 0 },
		{ "client_body", 0 }, { NULL, 0 },
	};
	/* Keys that mean something to HTTP sessions only. */
	static const char *const http_only[] = {
		"forwarded",
	};
	static const uint8_t any6[16];
	struct conf_listener *l = &cx->cfg->listeners[li];
	const struct conf_node *v;
	struct conf_map m, tm;
	size_t i, last, mark = 0, first;
	int e, idle_set = 0;

	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	if ((v = conf_enter(cx, &m, "name", &mark)) != NULL) {
		conf_walk_lname(cx, v, li);
		conf_path_pop(cx, mark);
	}
	first = cx->nbinds;
	if ((v = conf_enter(cx, &m, "bind", &mark)) != NULL) {
		conf_walk_bind(cx, v, li);
		conf_path_pop(cx, mark);
	}
	if (conf_get_enum(cx, &m, "mode", conf_modes, &e) == 1)
		l->mode = (enum conf_mode)e;
	if ((v = conf_enter(cx, &m, "backend", &mark)) != NULL) {
		conf_walk_lbackend(cx, v, li);
		conf_path_pop(cx, mark);
	}
	conf_get_bool(cx, &m, "v6only", &l->v6only);
	conf_get_bool(cx, &m, "freebind", &l->freebind);
	conf_get_int(cx, &m, "backlog", 1, 65535, &l->backlog);
	if ((v = conf_enter(cx, &m, "buffer", &mark)) != NULL) {
		conf_walk_lbuffer(cx, v, l);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "timeouts", &mark)) != NULL) {
		if (conf_map_open(cx, v, tkeys, &tm) == 0) {
			idle_set = conf_get_duration(cx, &tm, "client_idle", 1,
			    &l->client_idle);
			conf_get_duration(cx, &tm, "client_header", 1,
			    &l->client_header);
			conf_get_duration(cx, &tm, "client_body", 1,
			    &l->client_body);
			/* On a tcp listener with tls, client_header bounds
			 * the handshake. */
			if (l->mode != CONF_MODE_HTTP &&
			    ((conf_map_get(&tm, "client_header") != NULL &&
			    conf_map_get(&m, "tls") == NULL) ||
			    conf_map_get(&tm, "client_body") != NULL))
				conf_err(cx, v, "client_header and client_body "
				    "need mode: http");
		}
		conf_path_pop(cx, mark);
	}
	/* Between HTTP requests the client only holds a socket: 60s. */
	if (l->mode == CONF_MODE_HTTP && idle_set == 0)
		l->client_idle = 60 * 1000;
	if ((v = conf_enter(cx, &m, "limits", &mark)) != NULL) {
		conf_walk_limits(cx, v, l);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "forwarded", &mark)) != NULL) {
		conf_walk_forwarded(cx, v, l);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "trust_forwarded_from", &mark)) != NULL) {
		conf_walk_cidrs(cx, v, &l->trust, &l->ntrust);
		conf_path_pop(cx, mark);
	}
	/* A tcp listener trusts sources for their PROXY header only. */
	if (l->mode != CONF_MODE_HTTP && l->ntrust > 0 &&
	    (v = conf_map_get(&m, "accept_proxy")) == NULL) {
		v = conf_enter(cx, &m, "trust_forwarded_from", &mark);
		conf_err(cx, v, "needs mode: http or accept_proxy");
		conf_path_pop(cx, mark);
	}
	conf_get_bool(cx, &m, "accept_proxy", &l->accept_proxy);
	if ((v = conf_enter(cx, &m, "allow", &mark)) != NULL) {
		conf_walk_cidrs(cx, v, &l->allow, &l->nallow);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "deny", &mark)) != NULL) {
		conf_walk_cidrs(cx, v, &l->deny, &l->ndeny);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "tls", &mark)) != NULL) {
		conf_walk_ltls(cx, v, l);
		conf_path_pop(cx, mark);
	}
	for (i = 0; l->mode != CONF_MODE_HTTP &&
	    i < sizeof(http_only) / sizeof(http_only[0]); i++)
		if ((v = conf_enter(cx, &m, http_only[i], &mark)) != NULL) {
			conf_err(cx, v, "needs mode: http");
			conf_path_pop(cx, mark);
		}
	if ((v = conf_enter(cx, &m, "access_log", &mark)) != NULL) {
		l->access_log = conf_walk_alog(cx, v, &cx->lx[li].alog_off);
		cx->lx[li].alog_set = true;
		conf_path_pop(cx, mark);
	}
	if (l->v6only)
		return;
	for (i = first, last = cx->nbinds; i < last; i++)
		if (cx->binds[i].family == AF_INET6 &&
		    memcmp(cx->binds[i].addr, any6, 16) == 0)
			conf_bind_add(cx, li, cx->binds[i].bi,
			    cx->binds[i].node, &l->bind[cx->binds[i].bi],
			    cx->binds[i].id);
}

/*
 * The walk of listeners[li] reaches it through cx->cfg: the array and
 * the defaults must be in place before the first item.
 */
static int
conf_start_listeners(struct conf_cx *cx, void *arr, size_t cnt)
{
	struct config *cfg = cx->cfg;
	struct conf_listener *l;
	size_t i;

	cfg->listeners = arr;
	cfg->nlisteners = cnt;
	if ((cx->lx = calloc(cnt, sizeof(*cx->lx))) == NULL) {
		cx->oom = true;
		return (-1);
	}
	for (i = 0; i < cnt; i++) {
		l = &cfg->listeners[i];
		l->mode = CONF_MODE_TCP;
		l->v6only = true;
		l->backlog = 511;
		l->buffer = 64 * 1024;
		l->client_idle = 10 * 60 * 1000;
		l->client_header = 10 * 1000;
		l->client_body = 60 * 1000;
		l->header_size = 64 * 1024;
		l->header_count = 100;
		l->uri_length = 8 * 1024;
		l->body_size = 0;
		l->fwd_xff = true;
		l->fwd_xfp = true;
		l->fwd_xrip = true;
		l->fwd_rfc7239 = false;
		l->source_prefix = 64;
	}
	return (0);
}

static void
conf_item_listener(struct conf_cx *cx, const struct conf_node *n, void *elem,
    size_t li, void *arg)
{
	conf_walk_listener(cx, n, li);
}

static void
conf_walk_listeners(struct conf_cx *cx, const struct conf_node *n)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_listener), .min = 1,
		.few = "expected at least one listener",
		.notseq = "expected a sequence",
		.start = conf_start_listeners, .item = conf_item_listener,
	};

	cx->cfg->listeners = conf_walk_seq(cx, n, &seq, NULL,
	    &cx->cfg->nlisteners);
}

/* An IPv6 address with a prefix length; host bits are allowed. */
static void
conf_walk_tunaddr(struct conf_cx *cx, const struct conf_node *n,
    struct conf_tunnel *t)
{
	const char *expect = "expected an IPv6 address with prefix length, "
	    "like 2001:db8:1::2/64";
	char a[64], err[CONF_ERR_LEN];
	const char *s, *slash;
	uint64_t plen;

	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return;
	if ((slash = strchr(s, '/')) == NULL || (size_t)(slash - s) >=
	    sizeof(a)) {
		conf_err(cx, n, "%s", expect);
		return;
	}
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (inet_pton(AF_INET6, a, &t->address) != 1)
		conf_err(cx, n, "%s", expect);
	else if (conf_uint_range("prefix length", slash + 1, 1, 128, &plen,
	    err, sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
	else
		t->plen = (uint8_t)plen;
}

static void
conf_item_route(struct conf_cx *cx, const struct conf_node *n, void *elem,
    size_t i, void *arg)
{
	struct conf_cidr *c = elem;
	char err[CONF_ERR_LEN];
	const char *s;

	if ((s = conf_val_str(cx, n, "expected a string")) == NULL)
		return;
	if (conf_parse_cidr(s, c, err, sizeof(err)) == -1)
		conf_err(cx, n, "%s", err);
	else if (c->family != AF_INET6)
		conf_err(cx, n, "expected an IPv6 prefix, like "
		    "2001:db8:2::/64");
}

static void
conf_walk_routes(struct conf_cx *cx, const struct conf_node *n,
    struct conf_tunnel *t)
{
	static const struct conf_seq seq = {
		.size = sizeof(struct conf_cidr), .min = 0,
		.notseq = "expected a sequence", .item = conf_item_route,
	};

	t->routes = conf_walk_seq(cx, n, &seq, NULL, &t->nroutes);
}

/* Linux takes "." and ".." as interface names, then cannot use them. */
static void
conf_walk_ifname(struct conf_cx *cx, const struct conf_node *n,
    struct conf_tunnel *t)
{
	const char *s;

	if ((s = conf_val_str(cx, n, "expected a string")) == NULL)
		return;
	if (!conf_name_ok(s, n->len, sizeof(t->interface) - 1) ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		conf_err(cx, n, "expected an interface name of 1-15 "
		    "characters from A-Z a-z 0-9 _ . -");
	else
		(void)snprintf(t->interface, sizeof(t->interface), "%s", s);
}

/* A string value copied into *out; 0, or -1 after reporting. */
static int
conf_get_strdup(struct conf_cx *cx, const struct conf_map *m,
    const char *key, char **out)
{
	const struct conf_node *v;
	const char *s;
	size_t mark = 0;

	if ((v = conf_enter(cx, m, key, &mark)) == NULL)
		return (0);
	if ((s = conf_val_str(cx, v, "expected a string")) != NULL &&
	    (*out = strdup(s)) == NULL)
		cx->oom = true;
	conf_path_pop(cx, mark);
	return (s != NULL && *out != NULL ? 0 : -1);
}

static void
conf_walk_update_url(struct conf_cx *cx, const struct conf_map *m,
    struct conf_tunnel_update *u)
{
	char host[CONF_HOST_MAX], target[1024], err[CONF_ERR_LEN];
	const struct conf_node *v;
	const char *s;
	size_t mark = 0;

	if ((v = conf_enter(cx, m, "url", &mark)) == NULL)
		return;
	s = conf_val_str(cx, v, "expected an https:// URL");
	if (s != NULL && conf_parse_https_url(s, host, sizeof(host), &u->port,
	    target, sizeof(target), err, sizeof(err)) == -1) {
		conf_err(cx, v, "%s", err);
		s = NULL;
	}
	if (s != NULL && ((u->url = strdup(s)) == NULL ||
	    (u->host = strdup(host)) == NULL ||
	    (u->target = strdup(target)) == NULL))
		cx->oom = true;
	conf_path_pop(cx, mark);
}

/*
 * The broker gets "user:password" in basic auth: a ':' in the user name
 * would move the split, and a control byte would break the header.
 */
static void
conf_walk_update(struct conf_cx *cx, const struct conf_node *n,
    struct conf_tunnel *t)
{
	static const struct conf_key keys[] = {
		{ "url", CONF_REQ }, { "username", CONF_REQ },
		{ "password_file", CONF_REQ }, { "interval", 0 },
		{ "retry", 0 }, { "myip", 0 }, { "ca_file", 0 }, { NULL, 0 },
	};
	struct conf_tunnel_update *u;
	const struct conf_node *v;
	struct conf_map m;
	size_t i, mark = 0;

	if ((u = t->update = calloc(1, sizeof(*u))) == NULL) {
		cx->oom = true;
		return;
	}
	u->interval = 10 * 60 * 1000;
	u->retry = 30 * 1000;
	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	conf_walk_update_url(cx, &m, u);
	if (conf_get_strdup(cx, &m, "username", &u->username) == 0 &&
	    u->username != NULL) {
		for (i = 0; u->username[i] != '\0'; i++)
			if (u->username[i] == ':' ||
			    (unsigned char)u->username[i] < ' ' ||
			    u->username[i] == 0x7f)
				break;
		if (i == 0 || u->username[i] != '\0') {
			v = conf_enter(cx, &m, "username", &mark);
			conf_err(cx, v, "expected a user name without ':' or "
			    "control characters");
			conf_path_pop(cx, mark);
		}
	}
	(void)conf_get_strdup(cx, &m, "password_file", &u->password_file);
	(void)conf_get_strdup(cx, &m, "ca_file", &u->ca_file);
	if (conf_get_ip(cx, &m, "myip", true, &u->myip) == 1)
		u->has_myip = true;
	/* Brokers throttle clients that update more often than this. */
	if (conf_get_duration(cx, &m, "interval", 1, &u->interval) == 1 &&
	    u->interval < 60 * 1000) {
		v = conf_enter(cx, &m, "interval", &mark);
		conf_err(cx, v, "expected at least 1m");
		conf_path_pop(cx, mark);
	}
	if (conf_get_duration(cx, &m, "retry", 1, &u->retry) == 1 &&
	    u->retry < 1000) {
		v = conf_enter(cx, &m, "retry", &mark);
		conf_err(cx, v, "expected at least 1s");
		conf_path_pop(cx, mark);
	}
}

static void
conf_walk_tunnel(struct conf_cx *cx, const struct conf_node *n)
{
	static const struct conf_key keys[] = {
		{ "role", 0 }, { "interface", 0 }, { "local", CONF_REQ },
		{ "remote", CONF_REQ }, { "address", CONF_REQ },
		{ "peer", CONF_REQ }, { "mtu", 0 }, { "pmtu", 0 },
		{ "ttl", 0 }, { "default_route", 0 }, { "routes", 0 },
		{ "echo_interval", 0 }, { "update", 0 }, { NULL, 0 },
	};
	struct conf_tunnel *t;
	const struct conf_node *v;
	struct conf_map m;
	size_t mark = 0;
	int e;

	if ((t = cx->cfg->tunnel = calloc(1, sizeof(*t))) == NULL) {
		cx->oom = true;
		return;
	}
	t->role = CONF_TUN_CLIENT;
	(void)snprintf(t->interface, sizeof(t->interface), "he-ipv6");
	t->mtu = 1480;
	t->ttl = 255;
	t->echo_interval = 30 * 1000;
	if (conf_map_open(cx, n, keys, &m) == -1)
		return;
	if (conf_get_enum(cx, &m, "role", conf_roles, &e) == 1)
		t->role = (enum conf_tunnel_role)e;
	if ((v = conf_enter(cx, &m, "interface", &mark)) != NULL) {
		conf_walk_ifname(cx, v, t);
		conf_path_pop(cx, mark);
	}
	conf_get_ip(cx, &m, "local", true, &t->local);
	conf_get_ip(cx, &m, "remote", true, &t->remote);
	if ((v = conf_enter(cx, &m, "address", &mark)) != NULL) {
		conf_walk_tunaddr(cx, v, t);
		conf_path_pop(cx, mark);
	}
	if (conf_get_ip(cx, &m, "peer", false, &t->peer) == 1 && t->plen > 0 &&
	    memcmp(&t->peer, &t->address, sizeof(t->peer)) == 0) {
		v = conf_enter(cx, &m, "peer", &mark);
		conf_err(cx, v, "peer must differ from address");
		conf_path_pop(cx, mark);
	}
	conf_get_int(cx, &m, "mtu", 1280, 1480, &t->mtu);
	if (conf_get_enum(cx, &m, "pmtu", conf_pmtus, &e) == 1)
		t->pmtu_dynamic = e == 1;
	conf_get_int(cx, &m, "ttl", 1, 255, &t->ttl);
	conf_get_bool(cx, &m, "default_route", &t->default_route);
	if ((v = conf_enter(cx, &m, "routes", &mark)) != NULL) {
		conf_walk_routes(cx, v, t);
		conf_path_pop(cx, mark);
	}
	/*
	 * Each echo is one packet each way; faster than ten a second only
	 * loads the peer without telling anything sooner.
	 */
	if (conf_get_duration(cx, &m, "echo_interval", 0,
	    &t->echo_interval) == 1 && t->echo_interval > 0 &&
	    t->echo_interval < 100) {
		v = conf_enter(cx, &m, "echo_interval", &mark);
		conf_err(cx, v, "expected 0s (off) or at least 100ms");
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "update", &mark)) != NULL) {
		conf_walk_update(cx, v, t);
		conf_path_pop(cx, mark);
	}
}

static void
conf_walk_workers(struct conf_cx *cx, const struct conf_node *n)
{
	const char *expect = "expected auto or a number 1-1024";
	const char *s;
	uint64_t u;

	if ((s = conf_val_str(cx, n, expect)) == NULL)
		return;
	if (strcmp(s, "auto") == 0)
		cx->cfg->workers = 0;
	else if (!(n->flags & CONF_NF_PLAIN) ||
	    strspn(s, "0123456789") != n->len)
		conf_err(cx, n, "%s", expect);
	else if (conf_val_uint(cx, n, "workers", 1, 1024, &u) == 0)
		cx->cfg->workers = (int)u;
}

/* A user to drop to: no check against the passwd file, which may differ. */
static void
conf_walk_user(struct conf_cx *cx, const struct conf_node *n)
{
	const char *s;

	if ((s = conf_val_str(cx, n, "expected a string")) == NULL)
		return;
	if (n->len == 0 || n->len > 32 || strpbrk(s, ":/ \t\n") != NULL)
		conf_err(cx, n, "expected a user name of 1-32 characters");
	else if ((cx->cfg->user = strdup(s)) == NULL)
		cx->oom = true;
}

/* Sorts (name, index) pairs: by name, then by position in the file. */
struct conf_named {
	const char	*name;
	size_t		 idx;
};

static int
conf_named_cmp(const void *a, const void *b)
{
	const struct conf_named *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return (c);
	if (x->idx != y->idx)
		return (x->idx < y->idx ? -1 : 1);
	return (0);
}

/* For bsearch: the name alone. */
static int
conf_named_cmp_name(const void *a, const void *b)
{
	const struct conf_named *x = a, *y = b;

	return (strcmp(x->name, y->name));
}

static void
conf_check_names(struct conf_cx *cx)
{
	struct config *cfg = cx->cfg;
	struct conf_named *v;
	const struct conf_node *a, *b;
	char path[64];
	size_t i, j, n = 0;

	if (cfg->nlisteners < 2)
		return;
	if ((v = calloc(cfg->nlisteners, sizeof(*v))) == NULL) {
		cx->oom = true;
		return;
	}
	for (i = 0; i < cfg->nlisteners; i++)
		if (cfg->listeners[i].name != NULL) {
			v[n].name = cfg->listeners[i].name;
			v[n++].idx = i;
		}
	qsort(v, n, sizeof(*v), conf_named_cmp);
	for (i = 1, j = 0; i < n; i++) {
		if (strcmp(v[i].name, v[j].name) != 0) {
			j = i;
			continue;
		}
		a = cx->lx[v[j].idx].name;
		b = cx->lx[v[i].idx].name;
		(void)snprintf(path, sizeof(path), "listeners[%zu].name",
		    v[i].idx);
		conf_err_at(cx, path, b->line, b->col, "name \"%s\" already "
		    "used by listeners[%zu] at %u:%u", v[i].name, v[j].idx,
		    a->line, a->col);
	}
	free(v);
}

/*
 * Points every listener at its backend.  Names refer to `backends:` only;
 * an inline backend takes its listener's name, which must not hide one.
 */
static void
conf_resolve_backends(struct conf_cx *cx)
{
	struct config *cfg = cx->cfg;
	struct conf_named *v = NULL, key, *hit;
	struct conf_lx *lx;
	const char *name;
	char path[64], q[CONF_Q_LEN];
	size_t i, n = 0;

	if (cfg->nlisteners == 0)
		return;
	if (cx->nnamed > 0 &&
	    (v = calloc(cx->nnamed, sizeof(*v))) == NULL) {
		cx->oom = true;
		return;
	}
	for (i = 0; i < cx->nnamed; i++)
		if (cfg->backends[i].name != NULL) {
			v[n].name = cfg->backends[i].name;
			v[n++].idx = i;
		}
	if (n > 0)
		qsort(v, n, sizeof(*v), conf_named_cmp);
	for (i = 0; i < cfg->nlisteners; i++) {
		lx = &cx->lx[i];
		if (lx->backend == NULL)
			continue;
		name = lx->has_backend ? cfg->backends[lx->bidx].name :
		    lx->backend->str;
		hit = NULL;
		if (name != NULL && n > 0) {
			key.name = name;
			key.idx = 0;
			/* Names in `backends:` are unique: any match does. */
			hit = bsearch(&key, v, n, sizeof(*v),
			    conf_named_cmp_name);
		}
		(void)snprintf(path, sizeof(path), "listeners[%zu].backend", i);
		if (lx->has_backend) {
			if (hit != NULL)
				conf_err_at(cx, path, lx->backend->line,
				    lx->backend->col, "an inline backend takes "
				    "the listener's name, and backends.%s "
				    "exists", name);
			else
				cfg->listeners[i].backend =
				    &cfg->backends[lx->bidx];
		} else if (hit == NULL) {
			conf_quote(q, sizeof(q), lx->backend->str,
			    lx->backend->len);
			conf_err_at(cx, path, lx->backend->line,
			    lx->backend->col, "no backend named \"%s\"", q);
		} else
			cfg->listeners[i].backend = &cfg->backends[hit->idx];
		if (cfg->listeners[i].backend != NULL &&
		    cfg->listeners[i].backend->tls != NULL &&
		    cfg->listeners[i].mode != CONF_MODE_HTTP)
			conf_err_at(cx, path, lx->backend->line,
			    lx->backend->col, "backend %s has tls, which "
			    "needs mode: http", cfg->listeners[i].backend->name);
		if (cfg->listeners[i].backend != NULL &&
		    cfg->listeners[i].backend->builtin == CONF_BUILTIN_STATS &&
		    cfg->listeners[i].mode != CONF_MODE_HTTP)
			conf_err_at(cx, path, lx->backend->line,
			    lx->backend->col, "builtin: stats needs mode: "
			    "http");
	}
	free(v);
}

static int
conf_bind_cmp(const void *a, const void *b)
{
	const struct conf_bindref *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return (x->family < y->family ? -1 : 1);
	if ((c = memcmp(x->addr, y->addr, 16)) != 0)
		return (c);
	if (x->port != y->port)
		return (x->port < y->port ? -1 : 1);
	if (x->li != y->li)
		return (x->li < y->li ? -1 : 1);
	if (x->bi != y->bi)
		return (x->bi < y->bi ? -1 : 1);
	return (x->alias - y->alias);
}

static bool
conf_bind_same(const struct conf_bindref *x, const struct conf_bindref *y)
{
	return (x->family == y->family && x->port == y->port &&
	    memcmp(x->addr, y->addr, 16) == 0);
}

/*
 * With SO_REUSEPORT two listeners on one address would both bind and split
 * the connections between them, so the kernel cannot catch this for us.
 * Each later bind is reported once, against the first one.
 */
static void
conf_check_binds(struct conf_cx *cx)
{
	struct config *cfg = cx->cfg;
	const struct conf_bindref *o, *r;
	const char *otext, *rtext;
	char path[64];
	bool *done;
	size_t i, j;

	if (cx->nbinds < 2)
		return;
	if ((done = calloc(cx->nreal, sizeof(*done))) == NULL) {
		cx->oom = true;
		return;
	}
	qsort(cx->binds, cx->nbinds, sizeof(*cx->binds), conf_bind_cmp);
	for (i = 1, j = 0; i < cx->nbinds; i++) {
		if (!conf_bind_same(&cx->binds[i], &cx->binds[j])) {
			j = i;
			continue;
		}
		o = &cx->binds[j];
		r = &cx->binds[i];
		/* Two [::]:P without v6only: their own entries collide. */
		if (o->alias && r->alias)
			continue;
		/* Report each bind at most once. */
		if (done[r->id])
			continue;
		done[r->id] = true;
		otext = cfg->listeners[o->li].bind[o->bi].text;
		rtext = cfg->listeners[r->li].bind[r->bi].text;
		(void)snprintf(path, sizeof(path), "listeners[%zu].bind[%zu]",
		    r->li, r->bi);
		if (r->alias)
			conf_err_at(cx, path, r->node->line, r->node->col,
			    "%s with v6only false also binds 0.0.0.0:%u, "
			    "already bound by listeners[%zu].bind[%zu] at "
			    "%u:%u", rtext, r->port, o->li, o->bi,
			    o->node->line, o->node->col);
		else if (o->alias)
			conf_err_at(cx, path, r->node->line, r->node->col,
			    "%s already bound by listeners[%zu].bind[%zu] at "
			    "%u:%u (%s with v6only false)", rtext, o->li, o->bi,
			    o->node->line, o->node->col, otext);
		else
			conf_err_at(cx, path, r->node->line, r->node->col,
			    "%s already bound by listeners[%zu].bind[%zu] at "
			    "%u:%u", rtext, o->li, o->bi, o->node->line,
			    o->node->col);
	}
	free(done);
}

/* Fills cx->cfg from the root node; every problem goes into cx. */
void
conf_walk(struct conf_cx *cx, const struct conf_node *root)
{
	static const struct conf_key keys[] = {
		{ "workers", 0 }, { "user", 0 }, { "log_level", 0 },
		{ "shutdown_timeout", 0 }, { "tunnel", 0 },
		{ "listeners", 0 }, { "backends", 0 }, { "access_log", 0 },
		{ "resolvers", 0 }, { NULL, 0 },
	};
	struct config *cfg = cx->cfg;
	const struct conf_node *v;
	struct conf_map m;
	size_t mark = 0, i;
	bool off;
	int e;

	cfg->workers = 0;
	cfg->log_level = CONF_LOG_INFO;
	cfg->shutdown_timeout = 30 * 1000;
	if (conf_map_open(cx, root, keys, &m) == -1)
		return;
	if ((v = conf_enter(cx, &m, "workers", &mark)) != NULL) {
		conf_walk_workers(cx, v);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "user", &mark)) != NULL) {
		conf_walk_user(cx, v);
		conf_path_pop(cx, mark);
	}
	if (conf_get_enum(cx, &m, "log_level", conf_log_levels, &e) == 1)
		cfg->log_level = (enum conf_log_level)e;
	conf_get_duration(cx, &m, "shutdown_timeout", 0,
	    &cfg->shutdown_timeout);
	if ((v = conf_enter(cx, &m, "resolvers", &mark)) != NULL) {
		conf_walk_resolvers(cx, v);
		conf_path_pop(cx, mark);
	}
	/* Before listeners, so named backends come first in the array. */
	if ((v = conf_enter(cx, &m, "backends", &mark)) != NULL) {
		conf_walk_backends(cx, v);
		conf_path_pop(cx, mark);
	}
	cx->nnamed = cfg->nbackends;
	if ((v = conf_enter(cx, &m, "tunnel", &mark)) != NULL) {
		conf_walk_tunnel(cx, v);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "access_log", &mark)) != NULL) {
		cfg->access_log = conf_walk_alog(cx, v, &off);
		conf_path_pop(cx, mark);
	}
	if ((v = conf_enter(cx, &m, "listeners", &mark)) != NULL) {
		conf_walk_listeners(cx, v);
		conf_path_pop(cx, mark);
	}
	/* The default, for listeners that did not say. */
	for (i = 0; cfg->access_log != NULL && cx->lx != NULL &&
	    i < cfg->nlisteners; i++)
		if (!cx->lx[i].alog_set &&
		    (cfg->listeners[i].access_log =
		    conf_alog_dup(cfg->access_log)) == NULL)
			cx->oom = true;
	if (conf_map_get(&m, "listeners") == NULL &&
	    conf_map_get(&m, "tunnel") == NULL)
		conf_err(cx, root, "nothing to do: no listeners and no tunnel");
	if (cx->oom || cx->lx == NULL)
		return;
	conf_check_names(cx);
	conf_resolve_backends(cx);
	conf_check_binds(cx);
}
