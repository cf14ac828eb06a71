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
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "log/ls_int.h"

#define LS_BUFSZ	(1u << 20)	/* block: also the longest line */
#define LS_BUFMIN	4096
#define LS_THREADS_MAX	16
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

#define LS_HUGE		(2u << 20)

/*
 * Zeroed memory for a set.  Sets of many clients are read at random, one
 * slot a line: on 2 MB pages those reads miss the TLB far less, so big
 * sets are mapped 2 MB-aligned and asked to be backed by huge pages.
 */
static void *
set_alloc(size_t len)
{
	uint8_t *p;
	uintptr_t a;

	if (len < LS_HUGE)
		return (calloc(1, len));
	p = mmap(NULL, len + LS_HUGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	a = ((uintptr_t)p + LS_HUGE - 1) & ~(uintptr_t)(LS_HUGE - 1);
	/* Only the aligned part stays mapped. */
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len + LS_HUGE > a + len)
		munmap((void *)(a + len), (uintptr_t)p + len + LS_HUGE -
		    (a + len));
	(void)madvise((void *)a, len, MADV_HUGEPAGE);
	return ((void *)a);
}

static void
set_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	if (len < LS_HUGE)
		free(p);
	else
		munmap(p, len);
}

static int
set_grow(struct ls_set *s)
{
	uint8_t (*nk)[16];
	size_t ncap = s->cap == 0 ? 1024 : s->cap * 2, i, j;

	if ((nk = set_alloc(ncap * 16)) == NULL)
		return (-1);
	for (i = 0; i < s->cap; i++) {
		if (memcmp(s->k[i], zero16, 16) == 0)
			continue;
		for (j = set_hash(s->k[i]) & (ncap - 1);
		    memcmp(nk[j], zero16, 16) != 0; j = (j + 1) & (ncap - 1))
			;
		memcpy(nk[j], s->k[i], 16);
	}
	set_free(s->k, s->cap * 16);
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
	if ((ls->fld = calloc(ls->nfld + 1, sizeof(*ls->fld))) == NULL ||
	    (ls->fld2 = calloc(ls->nfld + 1, sizeof(*ls->fld2))) == NULL) {
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
	free(ls->fld2);
	free(ls->files);
	for (c = ls->arena; c != NULL; c = nc) {
		nc = c->next;
		free(c);
	}
	set_free(ls->cli.k, ls->cli.cap * 16);
	set_free(ls->p64.k, ls->p64.cap * 16);
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
	ls->cur = ls->nfiles;
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
	m->file = ls->cur;
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

/* What line_parse leaves for line_count. */
struct ls_pl {
	struct alog_field *fld;		/* the line's fields */
	uint8_t		 addr[16];
	int		 v6;
	int64_t		 t;		/* INT64_MIN: no time */
	uint64_t	 ch;		/* set_hash(addr) */
};

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

/*
 * First pass over a line: split it, read its client address and time.
 * Returns false (the line counted as malformed) or true with pl set and
 * the client's slot in the set on its way into the cache.
 */
static bool
line_parse(struct alog_ls *ls, const char *line, size_t len,
    struct ls_pl *pl)
{
	const struct alog_field *f;
	int rc, fam;

	ls->lines++;
	ls->line++;
	if ((rc = alog_fmt_parse(ls->fmt, line, len, pl->fld,
	    ls->nfld)) < 0) {
		malformed(ls, rc);
		return (false);
	}
	f = &pl->fld[ls->fi_addr];
	if ((fam = alog_addr_parse(f->p, f->len, pl->addr, NULL)) < 0) {
		malformed(ls, LS_ERR_ADDR);
		return (false);
	}
	pl->t = INT64_MIN;
	if (ls->fi_time >= 0 && time_get(ls, &pl->fld[ls->fi_time],
	    &pl->t) == -1) {
		malformed(ls, LS_ERR_TIME);
		return (false);
	}
	pl->v6 = fam == AF_INET6;
	pl->ch = set_hash(pl->addr);
	if (ls->cli.cap > 0)
		__builtin_prefetch(ls->cli.k[pl->ch & (ls->cli.cap - 1)]);
	return (true);
}

/* Second pass: counts a line line_parse accepted into every table. */
static void
line_count(struct alog_ls *ls, const struct ls_pl *pl)
{
	struct ls_lk lk[2 * ALOG_LS_PFX_MAX + 4];
	const struct alog_field *f, *fld = pl->fld;
	struct ls_ent *e, *pe[2 * ALOG_LS_PFX_MAX];
	struct alog_str meth = { NULL, 0 }, path = { NULL, 0 };
	uint8_t m[16], pk[2 * ALOG_LS_PFX_MAX][16];
	const uint8_t *addr = pl->addr;
	uint64_t bytes = 0, ch = pl->ch;
	int64_t t = pl->t, hour;
	bool isnew;
	int v6 = pl->v6, i, nlk = 0, code;

	ls->parsed++;
	if (ls->fi_bytes >= 0) {
		f = &fld[ls->fi_bytes];
		bytes = num_val(f->p, f->len);
	}
	ls->req[v6]++;
	ls->bytes[v6] += bytes;
	if (ls->fi_status >= 0) {
		f = &fld[ls->fi_status];
		code = f->len == 3 ? (int)num_val(f->p, 3) : 0;
		if (code >= 100 && code <= 599)
			ls->status[code]++;
		else
			ls->status_other++;
	}

	/*
	 * Every lookup of the line is hashed and its slot fetched first,
	 * then they are made: the waits for memory overlap.  The client set
	 * is the one table too big for the caches: its slot was fetched by
	 * line_parse, a line ago when lines come in blocks, and it goes
	 * last.  Entries of one table never move while other tables grow,
	 * so pe[] stays valid until then.
	 */
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
		f = &fld[ls->fi_method];
		meth.p = f->p;
		meth.len = f->len;
	}
	if (ls->fi_path >= 0) {
		f = &fld[ls->fi_path];
		path.p = f->p;
		path.len = f->len;
	}
	if (ls->fi_req >= 0 && (meth.p == NULL || path.p == NULL)) {
		struct alog_str rm, rp;

		f = &fld[ls->fi_req];
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
		f = &fld[ls->fi_ua];
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

void
alog_ls_lines(struct alog_ls *ls, const char *buf, size_t len)
{
	const char *p = buf, *e = buf + len, *nl;
	struct ls_pl pl[2];
	bool ok[2] = { false, false };
	int cur = 0;

	/*
	 * Two lines in flight: a line is counted after the next one is
	 * parsed, so the wait for its client's slot overlaps that work.
	 */
	pl[0].fld = ls->fld;
	pl[1].fld = ls->fld2;
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		nl = nl != NULL ? nl + 1 : e;
		ok[cur] = line_parse(ls, p, (size_t)(nl - p), &pl[cur]);
		if (ok[cur ^ 1])
			line_count(ls, &pl[cur ^ 1]);
		cur ^= 1;
		p = nl;
	}
	if (ok[cur ^ 1])
		line_count(ls, &pl[cur ^ 1]);
}

void
alog_ls_line(struct alog_ls *ls, const char *line, size_t len)
{
	struct ls_pl pl;

	pl.fld = ls->fld;
	if (line_parse(ls, line, len, &pl))
		line_count(ls, &pl);
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
	bool		 zopen;		/* inflateInit2 done */
	bool		 zmember;	/* inside a gzip member */
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
		in->zopen = in->zmember = true;
		in->z.next_in = in->zb;
		in->z.avail_in = (uInt)in->zlen;
	}
	return (0);
}

static void
in_close(struct ls_in *in)
{
	if (in->zopen)
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
				if (in->zmember) {
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
		if (!in->zmember) {
			/* Another gzip member after the last one. */
			if (inflateReset(&in->z) != Z_OK) {
				snprintf(err, errlen, "%s: zlib: cannot "
				    "restart", in->name);
				return (-1);
			}
			in->zmember = true;
		}
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			in->zmember = false;
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
progress(const struct ls_in *in, bool done)
{
	if (done) {
		fputs("\r\033[K", stderr);
		return;
	}
	if (in->size > 0)
		fprintf(stderr, "\rlogstat: %s: %" PRIu64 " MB, %" PRIu64 "%% ",
		    in->name, in->nread >> 20, in->nread * 100 / in->size);
	else
		fprintf(stderr, "\rlogstat: %s: %" PRIu64 " MB read ",
		    in->name, in->nread >> 20);
	fflush(stderr);
}

/*
 * Reading runs in the main thread and counting in worker threads.  The
 * reader cuts the input into blocks of whole lines; each worker counts
 * the blocks it takes into figures of its own, and the figures are merged
 * at the end.  Line numbers are per block until then: the reader notes
 * which file each block came from and the workers how many lines it had.
 */
struct ls_blk {
	struct ls_blk	*next;
	uint32_t	 seq;		/* blocks of all files, in order */
	bool		 toolong;	/* stands for one over-long line */
	size_t		 len;
	uint8_t		 p[];
};

struct ls_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a block queued, or done */
	pthread_cond_t	 idle;		/* a block freed */
	struct ls_blk	*head, *tail;	/* queued, in order */
	struct ls_blk	*free;
	bool		 done;		/* no more blocks will come */
	size_t		 bsize;
	uint32_t	 nblk;		/* blocks queued so far */
	uint32_t	*bfile;		/* file of each block */
	uint64_t	*blines;	/* lines of each block */
	size_t		 cap;
};

struct ls_worker {
	pthread_t	 th;
	struct ls_pool	*pool;
	struct alog_ls	*ls;
};

/* Counts the lines of one block; the last may lack its newline. */
static void
blk_count(struct alog_ls *ls, const struct ls_blk *b)
{
	ls->cur = b->seq;
	ls->line = 0;
	if (b->toolong) {
		ls->lines++;
		ls->line++;
		malformed(ls, LS_ERR_LONG);
		return;
	}
	alog_ls_lines(ls, (const char *)b->p, b->len);
}

static void *
worker_main(void *arg)
{
	struct ls_worker	*w = arg;
	struct ls_pool		*pl = w->pool;
	struct ls_blk		*b;

	for (;;) {
		pthread_mutex_lock(&pl->mu);
		while (pl->head == NULL && !pl->done)
			pthread_cond_wait(&pl->work, &pl->mu);
		if ((b = pl->head) == NULL) {
			pthread_mutex_unlock(&pl->mu);
			return (NULL);
		}
		if ((pl->head = b->next) == NULL)
			pl->tail = NULL;
		pthread_mutex_unlock(&pl->mu);

		blk_count(w->ls, b);

		pthread_mutex_lock(&pl->mu);
		pl->blines[b->seq] = w->ls->line;
		b->next = pl->free;
		pl->free = b;
		pthread_cond_signal(&pl->idle);
		pthread_mutex_unlock(&pl->mu);
	}
}

/* A free block, waiting for one if every block is queued or counted. */
static struct ls_blk *
blk_get(struct ls_pool *pl)
{
	struct ls_blk *b;

	pthread_mutex_lock(&pl->mu);
	while ((b = pl->free) == NULL)
		pthread_cond_wait(&pl->idle, &pl->mu);
	pl->free = b->next;
	pthread_mutex_unlock(&pl->mu);
	b->len = 0;
	b->toolong = false;
	b->next = NULL;
	return (b);
}

/* Queues a block of file; -1 when memory for its bookkeeping is short. */
static int
blk_put(struct ls_pool *pl, struct ls_blk *b, uint32_t file)
{
	uint32_t	*nf;
	uint64_t	*nl;
	size_t		 ncap;
	int		 rc = 0;

	pthread_mutex_lock(&pl->mu);
	if (pl->nblk == pl->cap) {
		ncap = pl->cap == 0 ? 256 : pl->cap * 2;
		nf = realloc(pl->bfile, ncap * sizeof(*nf));
		if (nf != NULL)
			pl->bfile = nf;
		nl = nf != NULL ? realloc(pl->blines, ncap * sizeof(*nl)) :
		    NULL;
		if (nl != NULL) {
			pl->blines = nl;
			pl->cap = ncap;
		}
	}
	if (pl->nblk == pl->cap) {
		b->next = pl->free;
		pl->free = b;
		rc = -1;
	} else {
		b->seq = pl->nblk++;
		pl->bfile[b->seq] = file;
		pl->blines[b->seq] = 0;
		if (pl->tail != NULL)
			pl->tail->next = b;
		else
			pl->head = b;
		pl->tail = b;
		pthread_cond_signal(&pl->work);
	}
	pthread_mutex_unlock(&pl->mu);
	return (rc);
}

static void
blk_drop(struct ls_pool *pl, struct ls_blk *b)
{
	pthread_mutex_lock(&pl->mu);
	b->next = pl->free;
	pl->free = b;
	pthread_mutex_unlock(&pl->mu);
}

/*
 * Cuts one input into blocks of whole lines and queues them.  A line
 * longer than a block is queued as a mark that counts it as malformed;
 * its bytes are skipped.  Returns 0, or -1 with err set.
 */
static int
ls_read(struct ls_pool *pl, const char *name, uint32_t file, bool tty,
    char *err, size_t errlen)
{
	struct ls_in	 in;
	struct ls_blk	*b, *nb;
	uint8_t		*nl;
	size_t		 rest;
	ssize_t		 r;
	bool		 skip = false, shown = false, eof = false;
	double		 next = 0;
	int		 rc = 0;

	if (in_open(&in, name, err, errlen) == -1) {
		in_close(&in);
		return (-1);
	}
	tty = tty && (in.size == 0 || in.size >= LS_PROGRESS_MIN);
	if (tty)
		next = now_s() + 0.5;
	b = blk_get(pl);
	while (!eof) {
		while (b->len < pl->bsize) {
			if ((r = in_read(&in, b->p + b->len, pl->bsize -
			    b->len, err, errlen)) == -1) {
				rc = -1;
				goto out;
			}
			if (r == 0) {
				eof = true;
				break;
			}
			b->len += (size_t)r;
		}
		if (skip) {
			/* The rest of an over-long line. */
			if ((nl = memchr(b->p, '\n', b->len)) == NULL) {
				b->len = 0;
				continue;
			}
			skip = false;
			rest = b->len - (size_t)(nl + 1 - b->p);
			memmove(b->p, nl + 1, rest);
			b->len = rest;
			if (!eof)
				continue;
		}
		if (b->len == 0)
			break;
		if (eof) {
			/* A last line without its newline counts too. */
			if (blk_put(pl, b, file) == -1)
				goto oom;
			b = NULL;
			break;
		}
		nb = blk_get(pl);
		if ((nl = memrchr(b->p, '\n', b->len)) == NULL) {
			nb->toolong = true;
			if (blk_put(pl, nb, file) == -1)
				goto oom;
			skip = true;
			b->len = 0;
			continue;
		}
		rest = b->len - (size_t)(nl + 1 - b->p);
		memcpy(nb->p, nl + 1, rest);
		nb->len = rest;
		b->len -= rest;
		if (blk_put(pl, b, file) == -1) {
			blk_drop(pl, nb);
			b = NULL;
			goto oom;
		}
		b = nb;
		if (tty && now_s() >= next) {
			progress(&in, false);
			shown = true;
			next = now_s() + 0.25;
		}
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -1;
out:
	if (b != NULL)
		blk_drop(pl, b);
	if (shown)
		progress(&in, true);
	in_close(&in);
	return (rc);
}

static int
malf_cmp(const void *x, const void *y)
{
	const struct ls_malf *a = x, *b = y;

	if (a->file != b->file)
		return (a->file < b->file ? -1 : 1);
	return (a->line < b->line ? -1 : a->line > b->line);
}

/* Adds the counters of src's entries into dst's. */
static void
tab_merge(struct alog_ls *ls, struct ls_tab *dst, const struct ls_tab *src)
{
	struct ls_ent *d;
	size_t i;
	bool isnew;

	for (i = 0; i < src->cap; i++) {
		const struct ls_ent *e = &src->e[i];

		if (!e->used)
			continue;
		if ((d = tab_get_h(ls, dst, LS_KEY(e), e->klen, e->hash,
		    &isnew)) == NULL)
			return;
		d->n += e->n;
		d->a += e->a;
		d->b += e->b;
	}
}

/* The entry of key in t, or NULL. */
static struct ls_ent *
tab_find(const struct ls_tab *t, const uint8_t *key, size_t klen)
{
	uint64_t h = ls_hash(key, klen);
	size_t i, mask;

	if (t->cap == 0)
		return (NULL);
	mask = t->cap - 1;
	for (i = h & mask; t->e[i].used; i = (i + 1) & mask)
		if (t->e[i].hash == h && t->e[i].klen == klen &&
		    memcmp(LS_KEY(&t->e[i]), key, klen) == 0)
			return (&t->e[i]);
	return (NULL);
}

/*
 * A client src saw that dst saw too was counted by both: take it off
 * dst's client counts, its prefixes' included.
 */
static void
merge_client(struct alog_ls *dst, const uint8_t addr[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct ls_ent *e;
	uint8_t m[16];
	int v6, i;

	if (set_add(dst, &dst->cli, addr, set_hash(addr)) != 0)
		return;
	v6 = memcmp(addr, mapped, 12) != 0;
	dst->clients[v6]--;
	for (i = 0; i < dst->npfx; i++) {
		struct ls_pfx *p = &dst->pfx[i];

		if (p->v6 != v6)
			continue;
		memcpy(m, addr, 16);
		mask_bits(m, v6 ? p->eff : 96 + p->eff);
		if ((e = tab_find(&p->tab, m, 16)) != NULL)
			e->a--;
	}
}

/* Block-relative malformed-line numbers of a worker made file lines. */
static void
malf_fix(struct alog_ls *w, const struct ls_pool *pl, const uint64_t *base)
{
	size_t i;

	for (i = 0; i < w->nmalf; i++) {
		w->malf[i].line += base[w->malf[i].file];
		w->malf[i].file = pl->bfile[w->malf[i].file];
	}
}

/*
 * Adds the figures of another worker into dst: counts add up, a client
 * both saw is counted once, and the first malformed lines of both are
 * kept (both already fixed by malf_fix).
 */
static void
ls_merge(struct alog_ls *dst, const struct alog_ls *src)
{
	struct ls_malf all[2 * LS_MALF_KEEP];
	size_t i, n = 0;
	int k;

	dst->lines += src->lines;
	dst->parsed += src->parsed;
	dst->malformed += src->malformed;
	for (k = 0; k < 2; k++) {
		dst->req[k] += src->req[k];
		dst->bytes[k] += src->bytes[k];
		dst->clients[k] += src->clients[k];
	}
	for (k = 0; k < 600; k++)
		dst->status[k] += src->status[k];
	dst->status_other += src->status_other;
	for (k = 0; k < dst->npfx; k++)
		tab_merge(dst, &dst->pfx[k].tab, &src->pfx[k].tab);
	tab_merge(dst, &dst->methods, &src->methods);
	tab_merge(dst, &dst->paths, &src->paths);
	tab_merge(dst, &dst->uas, &src->uas);
	tab_merge(dst, &dst->hours, &src->hours);
	/* After the prefix tables: merge_client corrects their counts. */
	for (i = 0; i < src->cli.cap; i++)
		if (memcmp(src->cli.k[i], zero16, 16) != 0)
			merge_client(dst, src->cli.k[i]);
	if (src->cli.zero)
		merge_client(dst, zero16);
	for (i = 0; i < src->p64.cap; i++)
		if (memcmp(src->p64.k[i], zero16, 16) != 0)
			(void)set_add(dst, &dst->p64, src->p64.k[i],
			    set_hash(src->p64.k[i]));
	if (src->p64.zero)
		dst->p64.zero = true;
	memcpy(all, dst->malf, dst->nmalf * sizeof(all[0]));
	n = dst->nmalf;
	memcpy(all + n, src->malf, src->nmalf * sizeof(all[0]));
	n += src->nmalf;
	qsort(all, n, sizeof(all[0]), malf_cmp);
	dst->nmalf = n < LS_MALF_KEEP ? n : LS_MALF_KEEP;
	memcpy(dst->malf, all, dst->nmalf * sizeof(all[0]));
	if (src->oom)
		dst->oom = true;
}

/*
 * ls takes the figures of w (tables and all); w gets ls's empty ones, to
 * be freed.  The file list stays with ls.
 */
static void
ls_adopt(struct alog_ls *ls, struct alog_ls *w)
{
	struct alog_ls tmp = *ls;

	*ls = *w;
	ls->files = tmp.files;
	ls->nfiles = tmp.nfiles;
	ls->cur = tmp.cur;
	*w = tmp;
	w->files = NULL;
	w->nfiles = 0;
}

/*
 * Counts every line of the files into ls with nthr worker threads and
 * blocks of bsize bytes.  Returns 0, or -1 with err set.
 */
static int
ls_run(struct alog_ls *ls, char **files, int nfiles, int nthr, size_t bsize,
    char *err, size_t errlen)
{
	struct ls_pool		 pl;
	struct ls_worker	*w;
	struct ls_blk		*b;
	uint64_t		*base = NULL;
	bool			 tty = isatty(STDERR_FILENO) == 1;
	int			 i, nw = 0, rc = 0;
	size_t			 k;

	memset(&pl, 0, sizeof(pl));
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.work, NULL);
	pthread_cond_init(&pl.idle, NULL);
	pl.bsize = bsize;
	if ((w = calloc((size_t)nthr, sizeof(*w))) == NULL)
		goto oom;
	/* Two blocks a worker keep it busy while the reader fills more. */
	for (i = 0; i < 2 * nthr + 2; i++) {
		if ((b = malloc(sizeof(*b) + bsize)) == NULL)
			goto oom;
		b->next = pl.free;
		pl.free = b;
	}
	for (i = 0; i < nthr; i++) {
		w[i].pool = &pl;
		if ((w[i].ls = alog_ls_new(&ls->opts, err, errlen)) == NULL) {
			rc = -1;
			goto out;
		}
	}
	for (nw = 0; nw < nthr; nw++)
		if (pthread_create(&w[nw].th, NULL, worker_main, &w[nw]) != 0) {
			snprintf(err, errlen, "cannot start a thread: %s",
			    strerror(errno));
			rc = -1;
			break;
		}
	for (i = 0; i < nfiles && rc == 0 && nw > 0; i++) {
		if (alog_ls_file(ls, files[i]) == -1) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		} else
			rc = ls_read(&pl, files[i], ls->nfiles - 1, tty, err,
			    errlen);
	}
out:
	pthread_mutex_lock(&pl.mu);
	pl.done = true;
	pthread_cond_broadcast(&pl.work);
	pthread_mutex_unlock(&pl.mu);
	for (i = 0; i < nw; i++)
		pthread_join(w[i].th, NULL);
	if (rc == 0 && (base = calloc(pl.nblk + 1, sizeof(*base))) == NULL)
		goto oom;
	if (rc == 0) {
		/* First line of each block: the lines of the file before. */
		for (k = 1; k < pl.nblk; k++)
			base[k] = pl.bfile[k] == pl.bfile[k - 1] ?
			    base[k - 1] + pl.blines[k - 1] : 0;
		/* The first worker's tables become the result: no copy. */
		for (i = 0; i < nthr; i++)
			malf_fix(w[i].ls, &pl, base);
		for (i = 1; i < nthr; i++)
			ls_merge(w[0].ls, w[i].ls);
		ls_adopt(ls, w[0].ls);
		if (ls->oom) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -1;
	if (nw > 0 && !pl.done)
		goto out;
done:
	for (i = 0; w != NULL && i < nthr; i++)
		alog_ls_free(w[i].ls);
	free(w);
	while ((b = pl.free) != NULL) {
		pl.free = b->next;
		free(b);
	}
	free(base);
	free(pl.bfile);
	free(pl.blines);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.work);
	pthread_cond_destroy(&pl.idle);
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
	    "  --threads N      counting threads (default: CPUs, at most 4)\n"
	    "  --block-size K   KiB read at a time; longer lines are "
	    "malformed\n"
	    "                   (default 1024)\n"
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
		{ "threads",	required_argument, NULL, 'j' + 256 },
		{ "block-size",	required_argument, NULL, 'b' + 256 },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct alog_ls_opts	 o;
	struct alog_ls		*ls = NULL;
	const char		*html = NULL;
	bool			 json = false, text = false;
	char			 err[512];
	int			 ch, i, an[2], nthr, bkib, rc = 0;
	long			 ncpu;
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
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nthr = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (int)ncpu;
	bkib = LS_BUFSZ >> 10;
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
		case 'j' + 256:
			if (int_list(optarg, &nthr, 1, LS_THREADS_MAX) != 1) {
				fprintf(stderr, "v6front logstat: --threads %s: "
				    "not a number in 1-%d\n", optarg,
				    LS_THREADS_MAX);
				return (2);
			}
			break;
		case 'b' + 256:
			if (int_list(optarg, &bkib, 1, 1 << 20) != 1 ||
			    bkib < (LS_BUFMIN >> 10)) {
				fprintf(stderr, "v6front logstat: --block-size "
				    "%s: want KiB in 4-1048576\n", optarg);
				return (2);
			}
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
	if (ls_run(ls, argv + optind, argc - optind, nthr, (size_t)bkib << 10,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "v6front logstat: %s\n", err);
		rc = 1;
		goto done;
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
	alog_ls_free(ls);
	return (rc);
}
