/*
 * logstat: reads access logs with the LogFormat program that writes them
 * and counts who came over IPv6, from which prefixes, and when.
 *
 * Speed comes from doing little per line: one alog_fmt_parse (spans, no
 * copies), one address parse into 16 bytes, and a handful of lookups in
 * open-addressing tables whose keys are binary addresses, prefixes or the
 * field bytes themselves.  Only a key never seen before is copied (into an
 * arena), so memory grows with the number of distinct keys, not with the
 * size of the input.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "log/ls_int.h"

#define LS_BUFSZ	(4u << 20)	/* read buffer; also the longest line */
#define LS_ZBUFSZ	(1u << 20)	/* compressed bytes per read */
#define LS_CHUNK	(1u << 20)	/* arena chunk */
#define LS_PROGRESS_MIN	(64u << 20)	/* inputs at least this big show
					   progress on a terminal */

/* ---------------------------------------------------------------- tables */

static uint64_t
ls_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n *
	    0xff51afd7ed558ccdULL), w;

	while (n >= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		b += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, b, n);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (h);
}

/* A copy of key in the arena, or NULL when memory is short. */
static const uint8_t *
ls_keep(struct alog_ls *ls, const void *key, size_t len)
{
	static const uint8_t empty[1];
	struct ls_chunk *c = ls->arena;
	size_t cap;
	uint8_t *p;

	if (len == 0)
		return (empty);
	if (c == NULL || c->cap - c->used < len) {
		cap = len > LS_CHUNK ? len : LS_CHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return (NULL);
		c->next = ls->arena;
		c->used = 0;
		c->cap = cap;
		ls->arena = c;
	}
	p = c->data + c->used;
	memcpy(p, key, len);
	c->used += len;
	return (p);
}

static int
tab_grow(struct ls_tab *t)
{
	struct ls_ent *ne, *e;
	size_t ncap = t->cap == 0 ? 64 : t->cap * 2, i, j;

	if ((ne = calloc(ncap, sizeof(*ne))) == NULL)
		return (-1);
	for (i = 0; i < t->cap; i++) {
		e = &t->e[i];
		if (!e->used)
			continue;
		for (j = e->hash & (ncap - 1); ne[j].used;
		    j = (j + 1) & (ncap - 1))
			;
		ne[j] = *e;
	}
	free(t->e);
	t->e = ne;
	t->cap = ncap;
	return (0);
}

/*
 * The entry for key, added with zero counters if it is new (*isnew true).
 * NULL when memory is short; the figures then say so (alog_ls_oom).
 */
static struct ls_ent *
tab_get_h(struct alog_ls *ls, struct ls_tab *t, const void *key, size_t klen,
    uint64_t h, bool *isnew)
{
	struct ls_ent *e;
	const uint8_t *k;
	size_t i, mask;

	*isnew = false;
	if (t->n * 2 >= t->cap && tab_grow(t) == -1) {
		ls->oom = true;
		return (NULL);
	}
	mask = t->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		e = &t->e[i];
		if (!e->used)
			break;
		if (e->hash == h && e->klen == klen &&
		    memcmp(LS_KEY(e), key, klen) == 0)
			return (e);
	}
	if (klen <= 16)
		memcpy(e->k.in, key, klen);
	else {
		if ((k = ls_keep(ls, key, klen)) == NULL) {
			ls->oom = true;
			return (NULL);
		}
		e->k.p = k;
	}
	e->hash = h;
	e->klen = (uint32_t)klen;
	e->used = 1;
	e->n = e->a = e->b = 0;
	t->n++;
	*isnew = true;
	return (e);
}

static uint64_t
set_hash(const uint8_t k[16])
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	a = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	a ^= a >> 31;
	a *= 0x94d049bb133111ebULL;
	return (a ^ (a >> 29));
}

static const uint8_t zero16[16];

static int
set_grow(struct ls_set *s)
{
	uint8_t (*nk)[16];
	size_t ncap = s->cap == 0 ? 1024 : s->cap * 2, i, j;

	if ((nk = calloc(ncap, 16)) == NULL)
		return (-1);
	for (i = 0; i < s->cap; i++) {
		if (memcmp(s->k[i], zero16, 16) == 0)
			continue;
		for (j = set_hash(s->k[i]) & (ncap - 1);
		    memcmp(nk[j], zero16, 16) != 0; j = (j + 1) & (ncap - 1))
			;
		memcpy(nk[j], s->k[i], 16);
	}
	free(s->k);
	s->k = nk;
	s->cap = ncap;
	return (0);
}

/*
 * Adds key, whose set_hash is h: 1 if it is new, 0 if it was there, -1
 * when memory is short.
 */
static int
set_add(struct alog_ls *ls, struct ls_set *s, const uint8_t key[16],
    uint64_t h)
{
	uint64_t k0, k1, e0, e1;
	size_t i, mask;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	if ((k0 | k1) == 0) {
		if (s->zero)
			return (0);
		s->zero = true;
		return (1);
	}
	/* Up to 5/8 full: one probe or two for almost every lookup. */
	if (s->n * 8 >= s->cap * 5 && set_grow(s) == -1) {
		ls->oom = true;
		return (-1);
	}
	mask = s->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		memcpy(&e0, s->k[i], 8);
		memcpy(&e1, s->k[i] + 8, 8);
		if (e0 == k0 && e1 == k1)
			return (0);
		if ((e0 | e1) == 0)
			break;
	}
	memcpy(s->k[i], key, 16);
	s->n++;
	return (1);
}

static void
tab_free(struct ls_tab *t)
{
	free(t->e);
	t->e = NULL;
	t->cap = t->n = 0;
}

static int
ent_cmp(const void *x, const void *y)
{
	const struct ls_ent *a = *(const struct ls_ent *const *)x;
	const struct ls_ent *b = *(const struct ls_ent *const *)y;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c;

	if (a->n != b->n)
		return (a->n > b->n ? -1 : 1);
	if ((c = memcmp(LS_KEY(a), LS_KEY(b), n)) != 0)
		return (c);
	return (a->klen < b->klen ? -1 : a->klen > b->klen);
}

static int64_t
hour_of(const struct ls_ent *e)
{
	int64_t h;

	memcpy(&h, e->k.in, sizeof(h));
	return (h);
}

static int
hour_cmp(const void *x, const void *y)
{
	int64_t a = hour_of(*(const struct ls_ent *const *)x);
	int64_t b = hour_of(*(const struct ls_ent *const *)y);

	return (a < b ? -1 : a > b);
}

static const struct ls_ent **
tab_list(const struct ls_tab *t, size_t *n)
{
	const struct ls_ent **v;
	size_t i, k = 0;

	*n = 0;
	if (t->n == 0 || (v = calloc(t->n, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < t->cap; i++)
		if (t->e[i].used)
			v[k++] = &t->e[i];
	*n = k;
	return (v);
}

const struct ls_ent **
ls_top(const struct ls_tab *t, size_t max, size_t *n)
{
	const struct ls_ent **v;

	if ((v = tab_list(t, n)) == NULL)
		return (NULL);
	qsort(v, *n, sizeof(*v), ent_cmp);
	if (max > 0 && *n > max)
		*n = max;
	return (v);
}

const struct ls_ent **
ls_hours(const struct ls_tab *t, size_t *n)
{
	const struct ls_ent **v;

	if ((v = tab_list(t, n)) == NULL)
		return (NULL);
	qsort(v, *n, sizeof(*v), hour_cmp);
	return (v);
}

/* ---------------------------------------------------------------- figures */

/* Zeroes every bit of a 16-byte address past the first bits. */
static void
mask_bits(uint8_t a[16], int bits)
{
	int i;

	for (i = 0; i < 16; i++, bits -= 8)
		if (bits <= 0)
			a[i] = 0;
		else if (bits < 8)
			a[i] &= (uint8_t)(0xff << (8 - bits));
}

void
ls_pfx_text(const struct ls_pfx *p, const uint8_t *key, char *buf,
    size_t len)
{
	struct sockaddr_in6	sin6;
	struct sockaddr_in	sin;
	char			b[ALOG_ADDRSTRLEN];

	memset(&sin6, 0, sizeof(sin6));
	memset(&sin, 0, sizeof(sin));
	if (p->v6) {
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, key, 16);
		if (alog_addr_fmt((struct sockaddr *)&sin6, false, b,
		    sizeof(b)) == -1)
			strcpy(b, "?");
	} else {
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, key + 12, 4);
		if (alog_addr_fmt((struct sockaddr *)&sin, false, b,
		    sizeof(b)) == -1)
			strcpy(b, "?");
	}
	snprintf(buf, len, "%s/%d", b, p->eff);
}

const char *
ls_err_str(int err)
{
	switch (err) {
	case LS_ERR_ADDR:
		return ("client is not an IP address");
	case LS_ERR_TIME:
		return ("malformed time");
	case LS_ERR_LONG:
		return ("line too long");
	}
	return (alog_perr_str(err));
}

static int
pfx_add(struct alog_ls *ls, int len, int v6)
{
	struct ls_pfx *p = &ls->pfx[ls->npfx++];
	int shown = v6 ? ls->opts.anon6 : ls->opts.anon4;

	memset(p, 0, sizeof(*p));
	p->len = len;
	p->eff = len < shown ? len : shown;
	p->v6 = v6;
	return (0);
}

/* Index of the first field among ids (in this order of preference), or -1. */
static int
find_any(const struct alog_fmt *f, const uint8_t *ids, size_t nids)
{
	size_t i;
	int k;

	for (i = 0; i < nids; i++)
		if ((k = alog_fmt_find(f, (enum alog_dir)ids[i], NULL)) >= 0)
			return (k);
	return (-1);
}

struct alog_ls *
alog_ls_new(const struct alog_ls_opts *o, char *err, size_t errlen)
{
	static const uint8_t addr_ids[] = { ALOG_D_HOST, ALOG_D_UA_IP,
	    ALOG_D_PEER_IP, ALOG_D_PEER_HOST };
	static const uint8_t status_ids[] = { ALOG_D_STATUS_FINAL,
	    ALOG_D_STATUS };
	static const uint8_t bytes_ids[] = { ALOG_D_BODY_CLF, ALOG_D_BODY,
	    ALOG_D_BYTES_OUT };
	struct alog_ls *ls;
	char e[256];
	int i;

	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	ls->opts = *o;
	if ((ls->fmt = alog_fmt_compile(o->format, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "format \"%s\": %s", o->format, e);
		goto fail;
	}
	if (!alog_fmt_parsable(ls->fmt)) {
		snprintf(err, errlen, "format \"%s\": lines of this format "
		    "cannot be read back (two fields with nothing between "
		    "them)", o->format);
		goto fail;
	}
	ls->nfld = alog_fmt_nfields(ls->fmt);
	if ((ls->fld = calloc(ls->nfld + 1, sizeof(*ls->fld))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ls->fi_addr = find_any(ls->fmt, addr_ids, sizeof(addr_ids));
	if (ls->fi_addr < 0) {
		snprintf(err, errlen, "format \"%s\": no client address "
		    "(%%h or %%a)", o->format);
		goto fail;
	}
	ls->fi_time = alog_fmt_find(ls->fmt, ALOG_D_TIME, NULL);
	ls->fi_req = alog_fmt_find(ls->fmt, ALOG_D_REQLINE, NULL);
	ls->fi_method = alog_fmt_find(ls->fmt, ALOG_D_METHOD, NULL);
	ls->fi_path = alog_fmt_find(ls->fmt, ALOG_D_PATH, NULL);
	ls->fi_status = find_any(ls->fmt, status_ids, sizeof(status_ids));
	ls->fi_bytes = find_any(ls->fmt, bytes_ids, sizeof(bytes_ids));
	ls->fi_ua = alog_fmt_find(ls->fmt, ALOG_D_REQ_HDR, "User-Agent");
	ls->has_time = ls->fi_time >= 0;
	for (i = 0; i < o->npfx6; i++)
		pfx_add(ls, o->pfx6[i], 1);
	for (i = 0; i < o->npfx4; i++)
		pfx_add(ls, o->pfx4[i], 0);
	return (ls);
fail:
	alog_ls_free(ls);
	return (NULL);
}

void
alog_ls_free(struct alog_ls *ls)
{
	struct ls_chunk *c, *nc;
	int i;

	if (ls == NULL)
		return;
	alog_fmt_free(ls->fmt);
	free(ls->fld);
	free(ls->files);
	for (c = ls->arena; c != NULL; c = nc) {
		nc = c->next;
		free(c);
	}
	free(ls->cli.k);
	free(ls->p64.k);
	for (i = 0; i < ls->npfx; i++)
		tab_free(&ls->pfx[i].tab);
	tab_free(&ls->methods);
	tab_free(&ls->paths);
	tab_free(&ls->uas);
	tab_free(&ls->hours);
	free(ls);
}

int
alog_ls_file(struct alog_ls *ls, const char *name)
{
	const char **nf;

	if ((nf = realloc(ls->files, (ls->nfiles + 1) * sizeof(*nf))) ==
	    NULL)
		return (-1);
	ls->files = nf;
	ls->files[ls->nfiles++] = name;
	ls->line = 0;
	return (0);
}

bool
alog_ls_oom(const struct alog_ls *ls)
{
	return (ls->oom);
}

static void
malformed(struct alog_ls *ls, int err)
{
	struct ls_malf *m;

	ls->malformed++;
	if (ls->nmalf == LS_MALF_KEEP)
		return;
	m = &ls->malf[ls->nmalf++];
	m->file = ls->nfiles > 0 ? ls->nfiles - 1 : 0;
	m->line = ls->line;
	m->err = err;
}

/* A decimal number field; "-" and junk are 0, overflow saturates. */
static uint64_t
num_val(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return (0);
		if (v > (UINT64_MAX - d) / 10)
			return (UINT64_MAX);
		v = v * 10 + d;
	}
	return (v);
}

/* The time of a %t field, seconds since the Epoch; -1 if malformed. */
static int
time_get(struct alog_ls *ls, const struct alog_field *f, int64_t *t)
{
	switch (f->sub) {
	case ALOG_TIME_CLF:
		if (f->len == ls->tcachelen &&
		    memcmp(f->p, ls->tcache, f->len) == 0) {
			*t = ls->tcacheval;
			return (0);
		}
		if (alog_time_parse(f->p, f->len, t, NULL) == -1)
			return (-1);
		if (f->len <= sizeof(ls->tcache)) {
			memcpy(ls->tcache, f->p, f->len);
			ls->tcachelen = f->len;
			ls->tcacheval = *t;
		}
		return (0);
	case ALOG_TIME_SEC:
	case ALOG_TIME_MSEC:
	case ALOG_TIME_USEC:
		if (f->len == 0 || f->len > 18 || f->p[0] < '0' ||
		    f->p[0] > '9')
			return (-1);
		*t = (int64_t)num_val(f->p, f->len);
		if (f->sub == ALOG_TIME_MSEC)
			*t /= 1000;
		else if (f->sub == ALOG_TIME_USEC)
			*t /= 1000000;
		return (0);
	}
	/* strftime text and fractions: not a time logstat can place. */
	*t = INT64_MIN;
	return (0);
}

/*
 * Method and path from a request line "GET /a?b HTTP/1.1": the method is
 * what comes before the first space, the target what comes between it and
 * the last space (or the end, with one space only), the path the target
 * up to its '?'.  A line without a space gives neither: returns false.
 */
static bool
split_reqline(const char *p, size_t n, struct alog_str *method,
    struct alog_str *path)
{
	const char *sp, *last, *q;

	if ((sp = memchr(p, ' ', n)) == NULL)
		return (false);
	method->p = p;
	method->len = (size_t)(sp - p);
	last = p + n;
	while (last > sp + 1 && last[-1] != ' ')
		last--;
	if (last == sp + 1)
		last = p + n;
	else
		last--;
	sp++;
	if ((q = memchr(sp, '?', (size_t)(last - sp))) != NULL)
		last = q;
	path->p = sp;
	path->len = (size_t)(last - sp);
	return (true);
}

/* One table lookup of a line, hashed and prefetched before it is made. */
struct ls_lk {
	struct ls_tab	*t;
	const void	*key;
	size_t		 klen;
	uint64_t	 h;
	int		 kind;		/* LK_*, or a prefix table index */
};

#define LK_HOUR		-1
#define LK_COUNT	-2		/* n++ only */

static void
lk_add(struct ls_lk *lk, int *n, struct ls_tab *t, const void *key,
    size_t klen, int kind)
{
	lk[*n].t = t;
	lk[*n].key = key;
	lk[*n].klen = klen;
	lk[*n].kind = kind;
	(*n)++;
}

void
alog_ls_line(struct alog_ls *ls, const char *line, size_t len)
{
	struct ls_lk lk[2 * ALOG_LS_PFX_MAX + 4];
	const struct alog_field *f;
	struct ls_ent *e, *pe[2 * ALOG_LS_PFX_MAX];
	struct alog_str meth = { NULL, 0 }, path = { NULL, 0 };
	uint8_t addr[16], m[16], pk[2 * ALOG_LS_PFX_MAX][16];
	uint64_t bytes = 0, ch;
	int64_t t = INT64_MIN, hour;
	bool isnew;
	int fam, v6, i, nlk = 0, code, rc;

	ls->lines++;
	ls->line++;
	if ((rc = alog_fmt_parse(ls->fmt, line, len, ls->fld,
	    ls->nfld)) < 0) {
		malformed(ls, rc);
		return;
	}
	f = &ls->fld[ls->fi_addr];
	if ((fam = alog_addr_parse(f->p, f->len, addr, NULL)) < 0) {
		malformed(ls, LS_ERR_ADDR);
		return;
	}
	if (ls->fi_time >= 0 && time_get(ls, &ls->fld[ls->fi_time], &t) ==
	    -1) {
		malformed(ls, LS_ERR_TIME);
		return;
	}
	ls->parsed++;
	v6 = fam == AF_INET6;
	if (ls->fi_bytes >= 0) {
		f = &ls->fld[ls->fi_bytes];
		bytes = num_val(f->p, f->len);
	}
	ls->req[v6]++;
	ls->bytes[v6] += bytes;
	if (ls->fi_status >= 0) {
		f = &ls->fld[ls->fi_status];
		code = f->len == 3 ? (int)num_val(f->p, 3) : 0;
		if (code >= 100 && code <= 599)
			ls->status[code]++;
		else
			ls->status_other++;
	}

	/*
	 * Every lookup of the line is hashed and its slot fetched first,
	 * then they are made: the waits for memory overlap.  The client set
	 * is the one table too big for the caches; it goes last.  Entries
	 * of one table never move while other tables grow, so pe[] stays
	 * valid until then.
	 */
	ch = set_hash(addr);
	if (ls->cli.cap > 0)
		__builtin_prefetch(ls->cli.k[ch & (ls->cli.cap - 1)]);
	for (i = 0; i < ls->npfx; i++) {
		struct ls_pfx *p = &ls->pfx[i];

		pe[i] = NULL;
		if (p->v6 != v6)
			continue;
		memcpy(pk[i], addr, 16);
		mask_bits(pk[i], v6 ? p->eff : 96 + p->eff);
		lk_add(lk, &nlk, &p->tab, pk[i], 16, i);
	}
	if (t != INT64_MIN) {
		hour = t >= 0 ? t / 3600 : -((-t + 3599) / 3600);
		lk_add(lk, &nlk, &ls->hours, &hour, sizeof(hour), LK_HOUR);
	}
	if (ls->fi_method >= 0) {
		f = &ls->fld[ls->fi_method];
		meth.p = f->p;
		meth.len = f->len;
	}
	if (ls->fi_path >= 0) {
		f = &ls->fld[ls->fi_path];
		path.p = f->p;
		path.len = f->len;
	}
	if (ls->fi_req >= 0 && (meth.p == NULL || path.p == NULL)) {
		struct alog_str rm, rp;

		f = &ls->fld[ls->fi_req];
		if (split_reqline(f->p, f->len, &rm, &rp)) {
			if (meth.p == NULL)
				meth = rm;
			if (path.p == NULL)
				path = rp;
		}
	}
	if (meth.p != NULL)
		lk_add(lk, &nlk, &ls->methods, meth.p, meth.len, LK_COUNT);
	if (path.p != NULL)
		lk_add(lk, &nlk, &ls->paths, path.p, path.len, LK_COUNT);
	if (ls->fi_ua >= 0) {
		f = &ls->fld[ls->fi_ua];
		lk_add(lk, &nlk, &ls->uas, f->p, f->len, LK_COUNT);
	}
	for (i = 0; i < nlk; i++) {
		lk[i].h = ls_hash(lk[i].key, lk[i].klen);
		if (lk[i].t->cap > 0)
			__builtin_prefetch(&lk[i].t->e[lk[i].h &
			    (lk[i].t->cap - 1)]);
	}
	for (i = 0; i < nlk; i++) {
		if ((e = tab_get_h(ls, lk[i].t, lk[i].key, lk[i].klen,
		    lk[i].h, &isnew)) == NULL)
			continue;
		e->n++;
		if (lk[i].kind == LK_HOUR) {
			e->a += (uint64_t)v6;
			e->b += bytes;
		} else if (lk[i].kind >= 0) {
			e->b += bytes;
			pe[lk[i].kind] = e;
		}
	}

	if (set_add(ls, &ls->cli, addr, ch) != 1)
		return;
	ls->clients[v6]++;
	for (i = 0; i < ls->npfx; i++)
		if (pe[i] != NULL)
			pe[i]->a++;
	if (v6) {
		memcpy(m, addr, 16);
		mask_bits(m, 64);
		(void)set_add(ls, &ls->p64, m, set_hash(m));
	}
}

int
alog_ls_report(const struct alog_ls *ls, enum alog_ls_form form, FILE *f)
{
	switch (form) {
	case ALOG_LS_TEXT:
		return (ls_report_text(ls, f));
	case ALOG_LS_JSON:
		return (ls_report_json(ls, f));
	case ALOG_LS_HTML:
		return (ls_report_html(ls, f));
	}
	return (-1);
}

/* ---------------------------------------------------------------- input */

/* One input file: plain bytes, or gzip members inflated as they come. */
struct ls_in {
	const char	*name;
	int		 fd;
	bool		 gz;
	bool		 eof;		/* no more bytes from fd */
	z_stream	 z;
	bool		 zinit;
	uint8_t		*zb;		/* bytes read, not yet handed out */
	size_t		 zoff, zlen;
	uint64_t	 nread;		/* bytes read from fd */
	uint64_t	 size;		/* of a regular file, else 0 */
};

static ssize_t
in_fill(struct ls_in *in, uint8_t *dst, size_t cap)
{
	ssize_t r;

	do
		r = read(in->fd, dst, cap);
	while (r == -1 && errno == EINTR);
	if (r > 0)
		in->nread += (uint64_t)r;
	else if (r == 0)
		in->eof = true;
	return (r);
}

static int
in_open(struct ls_in *in, const char *name, char *err, size_t errlen)
{
	struct stat st;
	ssize_t r;

	memset(in, 0, sizeof(*in));
	in->name = name;
	if (strcmp(name, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = open(name, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return (-1);
	}
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", name, strerror(EISDIR));
		return (-1);
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->size = (uint64_t)st.st_size;
	if ((in->zb = malloc(LS_ZBUFSZ)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return (-1);
	}
	/* gzip by its magic bytes, so "-" and renamed files work too. */
	while (in->zlen < 2 && !in->eof) {
		if ((r = in_fill(in, in->zb + in->zlen, LS_ZBUFSZ -
		    in->zlen)) == -1) {
			snprintf(err, errlen, "%s: %s", name,
			    strerror(errno));
			return (-1);
		}
		in->zlen += (size_t)r;
	}
	if (in->zlen >= 2 && in->zb[0] == 0x1f && in->zb[1] == 0x8b) {
		in->gz = true;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK) {
			snprintf(err, errlen, "%s: zlib: cannot start", name);
			return (-1);
		}
		in->zinit = true;
		in->z.next_in = in->zb;
		in->z.avail_in = (uInt)in->zlen;
	}
	return (0);
}

static void
in_close(struct ls_in *in)
{
	if (in->zinit)
		inflateEnd(&in->z);
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	free(in->zb);
	in->zb = NULL;
}

/* Up to cap bytes of log text.  Returns their number, 0 at the end, -1. */
static ssize_t
in_read(struct ls_in *in, uint8_t *dst, size_t cap, char *err,
    size_t errlen)
{
	ssize_t r;
	size_t n;
	int zr;

	if (!in->gz) {
		if (in->zoff < in->zlen) {
			n = in->zlen - in->zoff;
			if (n > cap)
				n = cap;
			memcpy(dst, in->zb + in->zoff, n);
			in->zoff += n;
			return ((ssize_t)n);
		}
		if (in->eof)
			return (0);
		if ((r = in_fill(in, dst, cap)) == -1)
			snprintf(err, errlen, "%s: %s", in->name,
			    strerror(errno));
		return (r);
	}
	in->z.next_out = dst;
	in->z.avail_out = (uInt)cap;
	while (in->z.avail_out == cap) {
		if (in->z.avail_in == 0) {
			if (in->eof) {
				if (in->zinit) {
					snprintf(err, errlen, "%s: gzip data "
					    "ends early", in->name);
					return (-1);
				}
				return (0);
			}
			if ((r = in_fill(in, in->zb, LS_ZBUFSZ)) == -1) {
				snprintf(err, errlen, "%s: %s", in->name,
				    strerror(errno));
				return (-1);
			}
			in->z.next_in = in->zb;
			in->z.avail_in = (uInt)r;
			continue;
		}
		if (!in->zinit) {
			/* Another gzip member after the last one. */
			if (inflateReset(&in->z) != Z_OK)
				return (-1);
			in->zinit = true;
		}
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			in->zinit = false;
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(err, errlen, "%s: gzip data corrupt: %s",
			    in->name, in->z.msg != NULL ? in->z.msg : "?");
			return (-1);
		}
	}
	return ((ssize_t)(cap - in->z.avail_out));
}

/* ---------------------------------------------------------------- driver */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
progress(const struct ls_in *in, uint64_t lines, bool done)
{
	if (done) {
		fputs("\r\033[K", stderr);
		return;
	}
	if (in->size > 0)
		fprintf(stderr, "\rlogstat: %s: %" PRIu64 " lines, %" PRIu64
		    "%% ", in->name, lines, in->nread * 100 / in->size);
	else
		fprintf(stderr, "\rlogstat: %s: %" PRIu64 " lines, %" PRIu64
		    " MB read ", in->name, lines, in->nread >> 20);
	fflush(stderr);
}

/* Counts every line of one input.  Returns 0, or -1 with err set. */
static int
ls_read(struct alog_ls *ls, const char *name, uint8_t *buf, bool tty,
    char *err, size_t errlen)
{
	struct ls_in	 in;
	uint8_t		*p, *nl, *e;
	size_t		 have = 0, rest;
	ssize_t		 r;
	bool		 skip = false, shown = false;
	double		 next = 0;
	uint64_t	 mark = 0;
	int		 rc = 0;

	if (alog_ls_file(ls, name) == -1) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (in_open(&in, name, err, errlen) == -1) {
		in_close(&in);
		return (-1);
	}
	tty = tty && (in.size == 0 || in.size >= LS_PROGRESS_MIN);
	if (tty)
		next = now_s() + 0.5;
	for (;;) {
		if ((r = in_read(&in, buf + have, LS_BUFSZ - have, err,
		    errlen)) == -1) {
			rc = -1;
			break;
		}
		if (r == 0) {
			/* A last line without its newline still counts. */
			if (have > 0 && !skip)
				alog_ls_line(ls, (const char *)buf, have);
			break;
		}
		have += (size_t)r;
		p = buf;
		e = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
			if (skip)
				skip = false;
			else
				alog_ls_line(ls, (const char *)p,
				    (size_t)(nl - p + 1));
			p = nl + 1;
		}
		rest = (size_t)(e - p);
		if (rest == LS_BUFSZ || skip) {
			/* A line longer than the buffer: counted, skipped. */
			if (!skip) {
				ls->lines++;
				ls->line++;
				malformed(ls, LS_ERR_LONG);
				skip = true;
			}
			rest = 0;
		}
		memmove(buf, p, rest);
		have = rest;
		if (tty && ls->lines - mark > 65536) {
			mark = ls->lines;
			if (now_s() >= next) {
				progress(&in, ls->lines, false);
				shown = true;
				next = now_s() + 0.25;
			}
		}
	}
	if (shown)
		progress(&in, ls->lines, true);
	in_close(&in);
	if (rc == 0 && ls->oom) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	return (rc);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: v6front logstat [options] FILE...   (FILE - is stdin; "
	    "gzip is read too)\n"
	    "  --format F       common | combined | vhost_combined | "
	    "'LogFormat'\n"
	    "                   (default combined)\n"
	    "  --json           JSON report on stdout (see README)\n"
	    "  --html OUT       self-contained HTML report into OUT\n"
	    "  --text           the terminal report too, with --html\n"
	    "  --top N          rows of each top table (default 10)\n"
	    "  --prefix L,...   IPv6 prefix lengths to rank (default 64,48)\n"
	    "  --prefix4 L,...  IPv4 prefix lengths to rank (default 24)\n"
	    "  --anonymize V6,V4  show no address bits past these "
	    "(e.g. 48,24)\n"
	    "  -h, --help       this help\n");
}

/* "64,48" into v; returns the count, or -1 if a value is not in 1-max. */
static int
int_list(const char *s, int *v, int nmax, int max)
{
	char *end;
	long x;
	int n = 0;

	for (;;) {
		if (n == nmax || *s < '0' || *s > '9')
			return (-1);
		errno = 0;
		x = strtol(s, &end, 10);
		if (errno != 0 || x < 1 || x > max)
			return (-1);
		v[n++] = (int)x;
		if (*end == '\0')
			return (n);
		if (*end != ',')
			return (-1);
		s = end + 1;
	}
}

int
logstat_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "format",	required_argument, NULL, 'f' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ "html",	required_argument, NULL, 'H' },
		{ "text",	no_argument,	   NULL, 'T' },
		{ "top",	required_argument, NULL, 'n' },
		{ "prefix",	required_argument, NULL, 'p' },
		{ "prefix4",	required_argument, NULL, '4' },
		{ "anonymize",	required_argument, NULL, 'a' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct alog_ls_opts	 o;
	struct alog_ls		*ls = NULL;
	const char		*html = NULL;
	bool			 json = false, text = false, tty;
	uint8_t			*buf = NULL;
	char			 err[512];
	int			 ch, i, an[2], rc = 0;
	FILE			*hf;

	memset(&o, 0, sizeof(o));
	o.format = "combined";
	o.pfx6[0] = 64;
	o.pfx6[1] = 48;
	o.npfx6 = 2;
	o.pfx4[0] = 24;
	o.npfx4 = 1;
	o.anon6 = 128;
	o.anon4 = 32;
	o.top = 10;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o.format = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			html = optarg;
			break;
		case 'T':
			text = true;
			break;
		case 'n':
			if (int_list(optarg, &o.top, 1, 1000000) != 1) {
				fprintf(stderr, "v6front logstat: --top %s: "
				    "not a number in 1-1000000\n", optarg);
				return (2);
			}
			break;
		case 'p':
			if ((o.npfx6 = int_list(optarg, o.pfx6,
			    ALOG_LS_PFX_MAX, 128)) < 0) {
				fprintf(stderr, "v6front logstat: --prefix %s: "
				    "want up to %d lengths in 1-128, comma-"
				    "separated\n", optarg, ALOG_LS_PFX_MAX);
				return (2);
			}
			break;
		case '4':
			if ((o.npfx4 = int_list(optarg, o.pfx4,
			    ALOG_LS_PFX_MAX, 32)) < 0) {
				fprintf(stderr, "v6front logstat: --prefix4 "
				    "%s: want up to %d lengths in 1-32, "
				    "comma-separated\n", optarg,
				    ALOG_LS_PFX_MAX);
				return (2);
			}
			break;
		case 'a':
			if (int_list(optarg, an, 2, 128) != 2 || an[1] > 32) {
				fprintf(stderr, "v6front logstat: --anonymize "
				    "%s: want V6BITS,V4BITS (e.g. 48,24)\n",
				    optarg);
				return (2);
			}
			o.anon6 = an[0];
			o.anon4 = an[1];
			break;
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind == argc) {
		fprintf(stderr, "v6front logstat: no input files (use - for "
		    "stdin)\n");
		usage(stderr);
		return (2);
	}
	if ((ls = alog_ls_new(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "v6front logstat: %s\n", err);
		return (2);
	}
	if ((buf = malloc(LS_BUFSZ)) == NULL) {
		fprintf(stderr, "v6front logstat: out of memory\n");
		alog_ls_free(ls);
		return (1);
	}
	tty = isatty(STDERR_FILENO) == 1;
	for (i = optind; i < argc; i++) {
		if (ls_read(ls, argv[i], buf, tty, err, sizeof(err)) == -1) {
			fprintf(stderr, "v6front logstat: %s\n", err);
			rc = 1;
			goto done;
		}
	}
	if (html != NULL) {
		if ((hf = fopen(html, "w")) == NULL) {
			fprintf(stderr, "v6front logstat: %s: %s\n", html,
			    strerror(errno));
			rc = 1;
			goto done;
		}
		i = alog_ls_report(ls, ALOG_LS_HTML, hf);
		if (fclose(hf) == EOF || i == -1) {
			fprintf(stderr, "v6front logstat: %s: write error\n",
			    html);
			rc = 1;
			goto done;
		}
	}
	if (json || text || html == NULL) {
		if ((json && alog_ls_report(ls, ALOG_LS_JSON, stdout) == -1) ||
		    ((text || (!json && html == NULL)) &&
		    alog_ls_report(ls, ALOG_LS_TEXT, stdout) == -1) ||
		    fflush(stdout) == EOF) {
			fprintf(stderr, "v6front logstat: stdout: write "
			    "error\n");
			rc = 1;
		}
	}
done:
	free(buf);
	alog_ls_free(ls);
	return (rc);
}
