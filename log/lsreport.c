/*
 * logstat reports: aligned text tables with bars for a terminal, one JSON
 * document (its schema is in the README and stays stable), and one HTML
 * page with inline SVG charts that needs nothing from the network.
 *
 * Keys are shown as the log wrote them (Apache-escaped text); addresses
 * appear only as prefixes, already cut to --anonymize when counted.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/ls_int.h"

#define TXT_CELL	64	/* widest text cell; longer is cut with "..." */
#define TXT_BAR		30	/* bar width in characters */

static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx",
    "other" };

static double
share(uint64_t part, uint64_t total)
{
	return (total == 0 ? 0.0 : (double)part / (double)total);
}

static uint64_t
class_count(const struct alog_ls *ls, int c)
{
	uint64_t n = 0;
	int i;

	if (c == 5)
		return (ls->status_other);
	for (i = (c + 1) * 100; i < (c + 2) * 100; i++)
		n += ls->status[i];
	return (n);
}

/* Status codes seen, most requests first, then by code; count in *n. */
static int
status_top(const struct alog_ls *ls, int *codes, size_t max)
{
	size_t n = 0, i, j;
	int c, t;

	for (c = 100; c < 600; c++) {
		if (ls->status[c] == 0)
			continue;
		codes[n++] = c;
	}
	/* Insertion sort: at most 500 codes. */
	for (i = 1; i < n; i++) {
		t = codes[i];
		for (j = i; j > 0 && ls->status[codes[j - 1]] < ls->status[t];
		    j--)
			codes[j] = codes[j - 1];
		codes[j] = t;
	}
	return ((int)(n < max ? n : max));
}

static void
hour_text(int64_t hour, char *buf, size_t len, bool day)
{
	time_t t = (time_t)(hour * 3600);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (day)
		snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:00Z",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
}

static int64_t
day_of(int64_t hour)
{
	return (hour >= 0 ? hour / 24 : -((-hour + 23) / 24));
}

/* One day: the sums of its hours. */
struct ls_day {
	int64_t		 day;
	uint64_t	 n, v6, bytes;
};

/* Days from the sorted hours; malloc'd, count in *nd. */
static struct ls_day *
days_of(const struct ls_ent **hv, size_t nh, size_t *nd)
{
	struct ls_day *d;
	size_t i, k = 0;
	int64_t day;

	*nd = 0;
	if (nh == 0 || (d = calloc(nh, sizeof(*d))) == NULL)
		return (NULL);
	for (i = 0; i < nh; i++) {
		int64_t h;

		memcpy(&h, hv[i]->k.in, sizeof(h));
		day = day_of(h);
		if (k == 0 || d[k - 1].day != day) {
			d[k].day = day;
			k++;
		}
		d[k - 1].n += hv[i]->n;
		d[k - 1].v6 += hv[i]->a;
		d[k - 1].bytes += hv[i]->b;
	}
	*nd = k;
	return (d);
}

static const char *
pfx_family(const struct ls_pfx *p)
{
	return (p->v6 ? "IPv6" : "IPv4");
}

/* ---------------------------------------------------------------- text */

struct tbl {
	const char	*title;
	size_t		 ncol;
	const char	*head[8];
	bool		 left[8];
	size_t		 nrow;
	char		*cell;		/* nrow * ncol * TXT_CELL */
	double		*bar;		/* 0-1 per row, or NULL */
};

static int
tbl_init(struct tbl *t, const char *title, size_t nrow, bool bars,
    size_t ncol, ...)
{
	va_list ap;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->title = title;
	t->ncol = ncol;
	t->nrow = nrow;
	va_start(ap, ncol);
	for (i = 0; i < ncol; i++) {
		t->head[i] = va_arg(ap, const char *);
		t->left[i] = i == 0;
	}
	va_end(ap);
	if ((t->cell = calloc(nrow * ncol + 1, TXT_CELL)) == NULL)
		return (-1);
	if (bars && (t->bar = calloc(nrow + 1, sizeof(double))) == NULL) {
		free(t->cell);
		return (-1);
	}
	return (0);
}

static char *
tbl_cell(struct tbl *t, size_t r, size_t c)
{
	return (t->cell + (r * t->ncol + c) * TXT_CELL);
}

static void	tbl_set(struct tbl *, size_t, size_t, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static void
tbl_set(struct tbl *t, size_t r, size_t c, const char *fmt, ...)
{
	va_list ap;
	char *p = tbl_cell(t, r, c);
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p, TXT_CELL, fmt, ap);
	va_end(ap);
	if (n >= TXT_CELL)
		memcpy(p + TXT_CELL - 4, "...", 4);
}

/* A field's bytes as a cell: control bytes and bytes >= 0x80 as \xhh. */
static void
tbl_key(struct tbl *t, size_t r, size_t c, const uint8_t *k, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *p = tbl_cell(t, r, c);
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < TXT_CELL; i++) {
		if (k[i] < 0x20 || k[i] >= 0x7f) {
			p[o++] = '\\';
			p[o++] = 'x';
			p[o++] = hex[k[i] >> 4];
			p[o++] = hex[k[i] & 15];
		} else
			p[o++] = (char)k[i];
	}
	p[o] = '\0';
	if (i < n)
		memcpy(p + (o > TXT_CELL - 4 ? TXT_CELL - 4 : o) -
		    (o > 3 ? 3 : 0), "...", 4);
}

/* Display width of UTF-8 text: its code points. */
static size_t
u8width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return (w);
}

static void
bar(FILE *f, double v)
{
	static const char *const part[] = { "", "\u258f", "\u258e", "\u258d",
	    "\u258c", "\u258b", "\u258a", "\u2589" };
	int eighths, i;

	if (v < 0)
		v = 0;
	if (v > 1)
		v = 1;
	eighths = (int)(v * TXT_BAR * 8 + 0.5);
	for (i = 0; i < eighths / 8; i++)
		fputs("\u2588", f);
	fputs(part[eighths % 8], f);
}

static void
tbl_print(struct tbl *t, FILE *f)
{
	size_t w[8], r, c, x;

	fprintf(f, "\n%s\n", t->title);
	for (c = 0; c < t->ncol; c++) {
		w[c] = u8width(t->head[c]);
		for (r = 0; r < t->nrow; r++)
			if ((x = u8width(tbl_cell(t, r, c))) > w[c])
				w[c] = x;
	}
	for (r = 0; r <= t->nrow; r++) {
		fputs(" ", f);
		for (c = 0; c < t->ncol; c++) {
			const char *s = r == 0 ? t->head[c] :
			    tbl_cell(t, r - 1, c);
			size_t pad = w[c] - u8width(s);

			fputs("  ", f);
			if (!t->left[c])
				fprintf(f, "%*s", (int)pad, "");
			fputs(s, f);
			if (t->left[c] && (c + 1 < t->ncol || t->bar != NULL))
				fprintf(f, "%*s", (int)pad, "");
		}
		if (r > 0 && t->bar != NULL) {
			fputs("  ", f);
			bar(f, t->bar[r - 1]);
		}
		fputs("\n", f);
	}
	if (t->nrow == 0)
		fputs("   (none)\n", f);
	free(t->cell);
	free(t->bar);
}

static void
human(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.1f %ciB", d, units[u]);
}

/* Top-N table of a string-keyed ls_tab. */
static int
text_top(const struct alog_ls *ls, FILE *f, const struct ls_tab *tab,
    const char *title, const char *what)
{
	const struct ls_ent **v;
	struct tbl t;
	uint64_t max;
	size_t n, i;
	char ttl[128];

	v = ls_top(tab, (size_t)ls->opts.top, &n);
	snprintf(ttl, sizeof(ttl), "%s (%zu distinct)", title, tab->n);
	if (tbl_init(&t, ttl, n, true, 3, what, "requests", "share") == -1) {
		free(v);
		return (-1);
	}
	max = n > 0 ? v[0]->n : 1;
	for (i = 0; i < n; i++) {
		tbl_key(&t, i, 0, LS_KEY(v[i]), v[i]->klen);
		tbl_set(&t, i, 1, "%" PRIu64, v[i]->n);
		tbl_set(&t, i, 2, "%.1f%%", 100 * share(v[i]->n,
		    ls->parsed));
		t.bar[i] = share(v[i]->n, max);
	}
	tbl_print(&t, f);
	free(v);
	return (0);
}

int
ls_report_text(const struct alog_ls *ls, FILE *f)
{
	const struct ls_ent **v, **hv;
	struct ls_day *dv;
	struct tbl t;
	uint64_t total = ls->req[0] + ls->req[1], max;
	size_t n, nh, nd, i;
	char b[128], ttl[128], hb[64];
	int codes[500], nc, c;

	fprintf(f, "v6front logstat: format %s; %" PRIu32 " input%s:",
	    ls->opts.format, ls->nfiles,
	    ls->nfiles == 1 ? "" : "s");
	for (i = 0; i < ls->nfiles; i++)
		fprintf(f, " %s", ls->files[i]);
	fprintf(f, "\nlines: %" PRIu64 " read, %" PRIu64 " parsed, %" PRIu64
	    " malformed\n", ls->lines, ls->parsed, ls->malformed);
	for (i = 0; i < ls->nmalf; i++)
		fprintf(f, "  malformed: %s:%" PRIu64 ": %s\n",
		    ls->files[ls->malf[i].file], ls->malf[i].line,
		    ls_err_str(ls->malf[i].err));
	if (ls->malformed > ls->nmalf)
		fprintf(f, "  malformed: %" PRIu64 " more\n",
		    ls->malformed - ls->nmalf);

	if (tbl_init(&t, "Requests by family", 3, true, 6, "family",
	    "requests", "share", "bytes", "clients", "") == -1)
		return (-1);
	for (i = 0; i < 3; i++) {
		uint64_t rq = i < 2 ? ls->req[i] : total;
		uint64_t by = i < 2 ? ls->bytes[i] : ls->bytes[0] +
		    ls->bytes[1];

		tbl_set(&t, i, 0, "%s", i == 0 ? "IPv4" : i == 1 ? "IPv6" :
		    "total");
		tbl_set(&t, i, 1, "%" PRIu64, rq);
		tbl_set(&t, i, 2, "%.1f%%", 100 * share(rq, total));
		human(hb, sizeof(hb), by);
		tbl_set(&t, i, 3, "%s", hb);
		tbl_set(&t, i, 4, "%" PRIu64, i < 2 ? ls->clients[i] :
		    ls->clients[0] + ls->clients[1]);
		if (i == 1)
			tbl_set(&t, i, 5, "%zu /64", LS_SET_COUNT(&ls->p64));
		t.bar[i] = share(rq, total);
	}
	t.left[5] = true;
	tbl_print(&t, f);

	hv = ls_hours(&ls->hours, &nh);
	dv = days_of(hv, nh, &nd);
	if (tbl_init(&t, "IPv6 share per day (UTC)", nd, true, 4, "day",
	    "requests", "IPv6", "share") == -1)
		goto fail;
	for (i = 0; i < nd; i++) {
		hour_text(dv[i].day * 24, b, sizeof(b), true);
		tbl_set(&t, i, 0, "%s", b);
		tbl_set(&t, i, 1, "%" PRIu64, dv[i].n);
		tbl_set(&t, i, 2, "%" PRIu64, dv[i].v6);
		tbl_set(&t, i, 3, "%.1f%%", 100 * share(dv[i].v6, dv[i].n));
		t.bar[i] = share(dv[i].v6, dv[i].n);
	}
	tbl_print(&t, f);
	if (tbl_init(&t, "Requests per hour (UTC), with the IPv6 share", nh,
	    true, 4, "hour", "requests", "IPv6", "share") == -1)
		goto fail;
	for (i = 0, max = 1; i < nh; i++)
		if (hv[i]->n > max)
			max = hv[i]->n;
	for (i = 0; i < nh; i++) {
		int64_t h;

		memcpy(&h, hv[i]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		tbl_set(&t, i, 0, "%s", b);
		tbl_set(&t, i, 1, "%" PRIu64, hv[i]->n);
		tbl_set(&t, i, 2, "%" PRIu64, hv[i]->a);
		tbl_set(&t, i, 3, "%.1f%%", 100 * share(hv[i]->a, hv[i]->n));
		t.bar[i] = share(hv[i]->n, max);
	}
	tbl_print(&t, f);
	free(hv);
	free(dv);
	hv = NULL;
	dv = NULL;

	for (c = 0; c < ls->npfx; c++) {
		const struct ls_pfx *p = &ls->pfx[c];

		v = ls_top(&p->tab, (size_t)ls->opts.top, &n);
		snprintf(ttl, sizeof(ttl), "Top %s /%d prefixes (%zu "
		    "distinct)", pfx_family(p), p->eff, p->tab.n);
		if (tbl_init(&t, ttl, n, true, 4, "prefix", "requests",
		    "clients", "bytes") == -1) {
			free(v);
			goto fail;
		}
		max = n > 0 ? v[0]->n : 1;
		for (i = 0; i < n; i++) {
			ls_pfx_text(p, LS_KEY(v[i]), b, sizeof(b));
			tbl_set(&t, i, 0, "%s", b);
			tbl_set(&t, i, 1, "%" PRIu64, v[i]->n);
			tbl_set(&t, i, 2, "%" PRIu64, v[i]->a);
			human(hb, sizeof(hb), v[i]->b);
			tbl_set(&t, i, 3, "%s", hb);
			t.bar[i] = share(v[i]->n, max);
		}
		tbl_print(&t, f);
		free(v);
	}

	if (tbl_init(&t, "Status classes", 6, true, 3, "class", "requests",
	    "share") == -1)
		goto fail;
	for (c = 0; c < 6; c++) {
		tbl_set(&t, (size_t)c, 0, "%s", classes[c]);
		tbl_set(&t, (size_t)c, 1, "%" PRIu64, class_count(ls, c));
		tbl_set(&t, (size_t)c, 2, "%.1f%%", 100 *
		    share(class_count(ls, c), ls->parsed));
		t.bar[c] = share(class_count(ls, c), ls->parsed);
	}
	tbl_print(&t, f);
	nc = status_top(ls, codes, (size_t)ls->opts.top);
	if (tbl_init(&t, "Top status codes", (size_t)nc, true, 3, "code",
	    "requests", "share") == -1)
		goto fail;
	for (c = 0; c < nc; c++) {
		tbl_set(&t, (size_t)c, 0, "%d", codes[c]);
		tbl_set(&t, (size_t)c, 1, "%" PRIu64, ls->status[codes[c]]);
		tbl_set(&t, (size_t)c, 2, "%.1f%%", 100 *
		    share(ls->status[codes[c]], ls->parsed));
		t.bar[c] = share(ls->status[codes[c]], ls->parsed);
	}
	tbl_print(&t, f);
	if (text_top(ls, f, &ls->methods, "Methods", "method") == -1 ||
	    text_top(ls, f, &ls->paths, "Top paths", "path") == -1 ||
	    text_top(ls, f, &ls->uas, "Top user agents", "user agent") == -1)
		goto fail;
	return (ferror(f) ? -1 : 0);
fail:
	free(hv);
	free(dv);
	return (-1);
}

/* ---------------------------------------------------------------- JSON */

static void
jstr(FILE *f, const uint8_t *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i], f);
		} else if (s[i] < 0x20 || s[i] >= 0x7f)
			fprintf(f, "\\u%04x", s[i]);
		else
			fputc(s[i], f);
	}
	fputc('"', f);
}

static void
jcstr(FILE *f, const char *s)
{
	jstr(f, (const uint8_t *)s, strlen(s));
}

static void
json_top(const struct alog_ls *ls, FILE *f, const char *name,
    const char *key, const struct ls_tab *tab)
{
	const struct ls_ent **v;
	size_t n, i;

	v = ls_top(tab, (size_t)ls->opts.top, &n);
	fprintf(f, ",\n  \"%s\": {\"distinct\": %zu, \"top\": [", name,
	    tab->n);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s\n    {\"%s\": ", i ? "," : "", key);
		jstr(f, LS_KEY(v[i]), v[i]->klen);
		fprintf(f, ", \"requests\": %" PRIu64 "}", v[i]->n);
	}
	fprintf(f, "%s]}", n ? "\n  " : "");
	free(v);
}

int
ls_report_json(const struct alog_ls *ls, FILE *f)
{
	const struct ls_ent **v, **hv;
	struct ls_day *dv;
	uint64_t total = ls->req[0] + ls->req[1];
	size_t n, nh, nd, i;
	char b[128];
	int codes[500], nc, c;

	fputs("{\n  \"version\": 1,\n  \"format\": ", f);
	jcstr(f, ls->opts.format);
	fputs(",\n  \"files\": [", f);
	for (i = 0; i < ls->nfiles; i++) {
		fputs(i ? ", " : "", f);
		jcstr(f, ls->files[i]);
	}
	fprintf(f, "],\n  \"options\": {\"top\": %d, \"prefix6\": [",
	    ls->opts.top);
	for (c = 0; c < ls->opts.npfx6; c++)
		fprintf(f, "%s%d", c ? ", " : "", ls->opts.pfx6[c]);
	fputs("], \"prefix4\": [", f);
	for (c = 0; c < ls->opts.npfx4; c++)
		fprintf(f, "%s%d", c ? ", " : "", ls->opts.pfx4[c]);
	fprintf(f, "], \"anonymize\": {\"ipv6\": %d, \"ipv4\": %d}},\n",
	    ls->opts.anon6, ls->opts.anon4);
	fprintf(f, "  \"lines\": {\"read\": %" PRIu64 ", \"parsed\": %"
	    PRIu64 ", \"malformed\": %" PRIu64 ", \"malformed_first\": [",
	    ls->lines, ls->parsed, ls->malformed);
	for (i = 0; i < ls->nmalf; i++) {
		fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
		jcstr(f, ls->files[ls->malf[i].file]);
		fprintf(f, ", \"line\": %" PRIu64 ", \"error\": ",
		    ls->malf[i].line);
		jcstr(f, ls_err_str(ls->malf[i].err));
		fputs("}", f);
	}
	fprintf(f, "%s]},\n", ls->nmalf ? "\n  " : "");
	fprintf(f, "  \"requests\": {\"total\": %" PRIu64 ", \"ipv4\": %"
	    PRIu64 ", \"ipv6\": %" PRIu64 ", \"ipv6_share\": %.4f},\n",
	    total, ls->req[0], ls->req[1], share(ls->req[1], total));
	fprintf(f, "  \"bytes\": {\"total\": %" PRIu64 ", \"ipv4\": %"
	    PRIu64 ", \"ipv6\": %" PRIu64 "},\n", ls->bytes[0] +
	    ls->bytes[1], ls->bytes[0], ls->bytes[1]);
	fprintf(f, "  \"clients\": {\"ipv4\": %" PRIu64 ", \"ipv6\": %"
	    PRIu64 ", \"ipv6_64\": %zu},\n", ls->clients[0], ls->clients[1],
	    LS_SET_COUNT(&ls->p64));

	fputs("  \"prefixes\": [", f);
	for (c = 0; c < ls->npfx; c++) {
		const struct ls_pfx *p = &ls->pfx[c];

		v = ls_top(&p->tab, (size_t)ls->opts.top, &n);
		fprintf(f, "%s\n    {\"family\": \"%s\", \"length\": %d, "
		    "\"distinct\": %zu, \"top\": [", c ? "," : "",
		    p->v6 ? "ipv6" : "ipv4", p->eff, p->tab.n);
		for (i = 0; i < n; i++) {
			ls_pfx_text(p, LS_KEY(v[i]), b, sizeof(b));
			fprintf(f, "%s\n      {\"prefix\": \"%s\", "
			    "\"requests\": %" PRIu64 ", \"clients\": %" PRIu64
			    ", \"bytes\": %" PRIu64 "}", i ? "," : "", b,
			    v[i]->n, v[i]->a, v[i]->b);
		}
		fprintf(f, "%s]}", n ? "\n    " : "");
		free(v);
	}
	fprintf(f, "%s],\n", ls->npfx ? "\n  " : "");

	fputs("  \"status\": {\"classes\": {", f);
	for (c = 0; c < 6; c++)
		fprintf(f, "%s\"%s\": %" PRIu64, c ? ", " : "", classes[c],
		    class_count(ls, c));
	fputs("}, \"top\": [", f);
	nc = status_top(ls, codes, (size_t)ls->opts.top);
	for (c = 0; c < nc; c++)
		fprintf(f, "%s\n    {\"code\": %d, \"requests\": %" PRIu64 "}",
		    c ? "," : "", codes[c], ls->status[codes[c]]);
	fprintf(f, "%s]}", nc ? "\n  " : "");

	json_top(ls, f, "methods", "method", &ls->methods);
	json_top(ls, f, "paths", "path", &ls->paths);
	json_top(ls, f, "user_agents", "user_agent", &ls->uas);

	hv = ls_hours(&ls->hours, &nh);
	dv = days_of(hv, nh, &nd);
	fputs(",\n  \"days\": [", f);
	for (i = 0; i < nd; i++) {
		hour_text(dv[i].day * 24, b, sizeof(b), true);
		fprintf(f, "%s\n    {\"day\": \"%s\", \"requests\": %" PRIu64
		    ", \"ipv6\": %" PRIu64 ", \"ipv6_share\": %.4f, "
		    "\"bytes\": %" PRIu64 "}", i ? "," : "", b, dv[i].n,
		    dv[i].v6, share(dv[i].v6, dv[i].n), dv[i].bytes);
	}
	fprintf(f, "%s],\n  \"hours\": [", nd ? "\n  " : "");
	for (i = 0; i < nh; i++) {
		int64_t h;

		memcpy(&h, hv[i]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		fprintf(f, "%s\n    {\"hour\": \"%s\", \"requests\": %" PRIu64
		    ", \"ipv6\": %" PRIu64 ", \"ipv6_share\": %.4f, "
		    "\"bytes\": %" PRIu64 "}", i ? "," : "", b, hv[i]->n,
		    hv[i]->a, share(hv[i]->a, hv[i]->n), hv[i]->b);
	}
	fprintf(f, "%s]\n}\n", nh ? "\n  " : "");
	free(hv);
	free(dv);
	return (ferror(f) ? -1 : 0);
}

/* ---------------------------------------------------------------- HTML */

/*
 * Text into HTML: markup characters as entities, control bytes and bytes
 * >= 0x80 as the character of that code (the log's raw bytes are not
 * known to be UTF-8), so the page is always valid.
 */
static void
hstr(FILE *f, const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (s[i] < 0x20 || s[i] >= 0x7f)
				fprintf(f, "&#x%x;", s[i] < 0x20 ? 0x2400 +
				    s[i] : s[i] == 0x7f ? 0x2421 : s[i]);
			else
				fputc(s[i], f);
		}
	}
}

static void
hcstr(FILE *f, const char *s)
{
	hstr(f, (const uint8_t *)s, strlen(s));
}

static const char html_head[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width\">\n"
"<title>v6front logstat</title>\n<style>\n"
"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:"
"60em;color:#222;padding:0 1em}\n"
"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:"
"1px solid #ccc}\n"
"table{border-collapse:collapse;margin:.5em 0}\n"
"td,th{padding:.15em .7em;text-align:right;font-variant-numeric:"
"tabular-nums}\n"
"td:first-child,th:first-child{text-align:left;max-width:36em;overflow:"
"hidden;text-overflow:ellipsis;white-space:nowrap}\n"
"tr:nth-child(even){background:#f4f4f4}th{border-bottom:1px solid #999}\n"
"svg{display:block;margin:.5em 0;max-width:100%;height:auto}\n"
"svg text{font:11px sans-serif;fill:#333}\n"
".v6{fill:#2b7bb9}.v4{fill:#c9c9c9}.ln{fill:none;stroke:#2b7bb9;"
"stroke-width:2}\n"
".ax{stroke:#999;stroke-width:1}.note{color:#666}\n"
"</style>\n</head>\n<body>\n";

/* Horizontal bars: labels on the left, value and bar on the right. */
static void
svg_hbars(FILE *f, const char *id, size_t n, const char *const *label,
    const uint64_t *val)
{
	uint64_t max = 1;
	size_t i;
	int h = (int)n * 20 + 10;

	for (i = 0; i < n; i++)
		if (val[i] > max)
			max = val[i];
	fprintf(f, "<svg id=\"%s\" class=\"chart\" width=\"760\" height=\"%d\""
	    " viewBox=\"0 0 760 %d\" role=\"img\">\n", id, h, h);
	for (i = 0; i < n; i++) {
		double w = 440.0 * (double)val[i] / (double)max;
		int y = (int)i * 20 + 5;

		fprintf(f, "<text x=\"0\" y=\"%d\">", y + 13);
		hcstr(f, label[i]);
		fprintf(f, "</text><rect class=\"v6\" x=\"250\" y=\"%d\" "
		    "width=\"%.1f\" height=\"15\"><title>", y, w < 1 ? 1 : w);
		hcstr(f, label[i]);
		fprintf(f, ": %" PRIu64 "</title></rect><text x=\"%.1f\" "
		    "y=\"%d\">%" PRIu64 "</text>\n", val[i], 255 + w, y + 13,
		    val[i]);
	}
	fputs("</svg>\n", f);
}

static void
html_top(const struct alog_ls *ls, FILE *f, const char *title,
    const char *what, const struct ls_tab *tab)
{
	const struct ls_ent **v;
	size_t n, i;

	v = ls_top(tab, (size_t)ls->opts.top, &n);
	fprintf(f, "<h2>%s</h2>\n<p class=\"note\">%zu distinct</p>\n"
	    "<table>\n<tr><th>%s</th><th>requests</th><th>share</th></tr>\n",
	    title, tab->n, what);
	for (i = 0; i < n; i++) {
		fputs("<tr><td>", f);
		hstr(f, LS_KEY(v[i]), v[i]->klen);
		fprintf(f, "</td><td>%" PRIu64 "</td><td>%.1f%%</td></tr>\n",
		    v[i]->n, 100 * share(v[i]->n, ls->parsed));
	}
	fputs("</table>\n", f);
	free(v);
}

/* IPv6 share per hour as a line over 0-100 %, and per day as columns. */
static void
html_share(FILE *f, const struct ls_ent **hv, size_t nh,
    const struct ls_day *dv, size_t nd)
{
	size_t i;
	double x, y, step;
	char b[64];
	int64_t h;

	fputs("<h2>IPv6 share over time</h2>\n", f);
	fputs("<svg id=\"chart-share-hour\" class=\"chart\" width=\"760\" "
	    "height=\"240\" viewBox=\"0 0 760 240\" role=\"img\">\n"
	    "<line class=\"ax\" x1=\"40\" y1=\"210\" x2=\"750\" y2=\"210\"/>"
	    "<line class=\"ax\" x1=\"40\" y1=\"10\" x2=\"40\" y2=\"210\"/>\n"
	    "<text x=\"0\" y=\"214\">0%</text><text x=\"0\" y=\"114\">50%"
	    "</text><text x=\"0\" y=\"16\">100%</text>\n", f);
	step = nh > 1 ? 700.0 / (double)(nh - 1) : 0;
	fputs("<polyline class=\"ln\" points=\"", f);
	for (i = 0; i < nh; i++) {
		x = 45 + step * (double)i;
		y = 210 - 200 * share(hv[i]->a, hv[i]->n);
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", x, y);
	}
	fputs("\"/>\n", f);
	for (i = 0; i < nh; i++) {
		memcpy(&h, hv[i]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		x = 45 + step * (double)i;
		y = 210 - 200 * share(hv[i]->a, hv[i]->n);
		fprintf(f, "<circle class=\"v6\" cx=\"%.1f\" cy=\"%.1f\" "
		    "r=\"2\"><title>%s: %.1f%% of %" PRIu64 "</title>"
		    "</circle>\n", x, y, b, 100 * share(hv[i]->a, hv[i]->n),
		    hv[i]->n);
	}
	if (nh > 0) {
		memcpy(&h, hv[0]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		fprintf(f, "<text x=\"45\" y=\"230\">%s</text>\n", b);
		memcpy(&h, hv[nh - 1]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		fprintf(f, "<text x=\"745\" y=\"230\" text-anchor=\"end\">%s"
		    "</text>\n", b);
	}
	fputs("</svg>\n", f);

	fputs("<h2>IPv6 share per day</h2>\n<svg id=\"chart-share-day\" "
	    "class=\"chart\" width=\"760\" height=\"240\" viewBox=\"0 0 760 "
	    "240\" role=\"img\">\n<line class=\"ax\" x1=\"40\" y1=\"210\" "
	    "x2=\"750\" y2=\"210\"/>\n<text x=\"0\" y=\"214\">0%</text>"
	    "<text x=\"0\" y=\"16\">100%</text>\n", f);
	step = nd > 0 ? 700.0 / (double)nd : 0;
	for (i = 0; i < nd; i++) {
		double s = share(dv[i].v6, dv[i].n);

		hour_text(dv[i].day * 24, b, sizeof(b), true);
		x = 45 + step * (double)i;
		fprintf(f, "<rect class=\"v6\" x=\"%.1f\" y=\"%.1f\" width=\""
		    "%.1f\" height=\"%.1f\"><title>%s: %.1f%% of %" PRIu64
		    "</title></rect>\n", x, 210 - 200 * s, step * 0.8 < 1 ?
		    1 : step * 0.8, 200 * s, b, 100 * s, dv[i].n);
		/* Labels only where they fit: a month of days at most. */
		if (nd <= 31)
			fprintf(f, "<text x=\"%.1f\" y=\"226\">%s</text>\n",
			    x, nd <= 8 ? b : b + 8);
	}
	fputs("</svg>\n", f);
}

/* Requests per hour as stacked columns: IPv6 below, IPv4 above. */
static void
html_hours(FILE *f, const struct ls_ent **hv, size_t nh)
{
	uint64_t max = 1;
	double step, x, w, h4, h6;
	size_t i;
	char b[64];
	int64_t h;

	for (i = 0; i < nh; i++)
		if (hv[i]->n > max)
			max = hv[i]->n;
	fprintf(f, "<h2>Requests per hour (UTC)</h2>\n<p class=\"note\">"
	    "IPv6 in blue, IPv4 in grey; highest hour %" PRIu64 " requests"
	    "</p>\n<svg id=\"chart-requests-hour\" class=\"chart\" width=\""
	    "760\" height=\"240\" viewBox=\"0 0 760 240\" role=\"img\">\n"
	    "<line class=\"ax\" x1=\"40\" y1=\"210\" x2=\"750\" y2=\"210\"/>"
	    "\n", max);
	step = nh > 0 ? 700.0 / (double)nh : 0;
	w = step * 0.85 < 0.5 ? 0.5 : step * 0.85;
	for (i = 0; i < nh; i++) {
		memcpy(&h, hv[i]->k.in, sizeof(h));
		hour_text(h, b, sizeof(b), false);
		x = 45 + step * (double)i;
		h6 = 200.0 * (double)hv[i]->a / (double)max;
		h4 = 200.0 * (double)(hv[i]->n - hv[i]->a) / (double)max;
		fprintf(f, "<g><title>%s: %" PRIu64 " requests, %" PRIu64
		    " IPv6</title><rect class=\"v6\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"%.1f\"/><rect class=\"v4\" x=\""
		    "%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"/></g>\n",
		    b, hv[i]->n, hv[i]->a, x, 210 - h6, w, h6, x,
		    210 - h6 - h4, w, h4);
	}
	fputs("</svg>\n", f);
}

int
ls_report_html(const struct alog_ls *ls, FILE *f)
{
	const struct ls_ent **v, **hv;
	struct ls_day *dv;
	uint64_t total = ls->req[0] + ls->req[1], vals[500];
	const char *labels[500];
	char lb[500][64], id[64];
	size_t n, nh, nd, i;
	int codes[500], nc, c;

	fputs(html_head, f);
	fputs("<h1>v6front logstat</h1>\n<p>Format <code>", f);
	hcstr(f, ls->opts.format);
	fputs("</code>; input:", f);
	for (i = 0; i < ls->nfiles; i++) {
		fputs(" <code>", f);
		hcstr(f, ls->files[i]);
		fputs("</code>", f);
	}
	fprintf(f, ".</p>\n<p id=\"lines\">%" PRIu64 " lines read, %" PRIu64
	    " parsed, %" PRIu64 " malformed.</p>\n", ls->lines, ls->parsed,
	    ls->malformed);
	if (ls->nmalf > 0) {
		fputs("<table id=\"malformed\">\n<tr><th>malformed line</th>"
		    "<th>why</th></tr>\n", f);
		for (i = 0; i < ls->nmalf; i++) {
			fputs("<tr><td>", f);
			hcstr(f, ls->files[ls->malf[i].file]);
			fprintf(f, ":%" PRIu64 "</td><td>%s</td></tr>\n",
			    ls->malf[i].line, ls_err_str(ls->malf[i].err));
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>Requests by family</h2>\n<table id=\"family\">\n<tr><th>"
	    "family</th><th>requests</th><th>share</th><th>bytes</th><th>"
	    "clients</th></tr>\n", f);
	for (i = 0; i < 2; i++)
		fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%.1f%%</td>"
		    "<td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>\n",
		    i ? "IPv6" : "IPv4", ls->req[i], 100 * share(ls->req[i],
		    total), ls->bytes[i], ls->clients[i]);
	fprintf(f, "<tr><td>total</td><td>%" PRIu64 "</td><td></td><td>%"
	    PRIu64 "</td><td>%" PRIu64 "</td></tr>\n</table>\n<p>Distinct "
	    "IPv6 /64 prefixes: %zu.</p>\n", total, ls->bytes[0] +
	    ls->bytes[1], ls->clients[0] + ls->clients[1], LS_SET_COUNT(&ls->p64));

	hv = ls_hours(&ls->hours, &nh);
	dv = days_of(hv, nh, &nd);
	html_share(f, hv, nh, dv, nd);
	html_hours(f, hv, nh);
	free(hv);
	free(dv);

	for (c = 0; c < ls->npfx; c++) {
		const struct ls_pfx *p = &ls->pfx[c];

		v = ls_top(&p->tab, (size_t)ls->opts.top, &n);
		if (n > 500)
			n = 500;
		fprintf(f, "<h2>Top %s /%d prefixes</h2>\n<p class=\"note\">"
		    "%zu distinct</p>\n", pfx_family(p), p->eff, p->tab.n);
		for (i = 0; i < n; i++) {
			ls_pfx_text(p, LS_KEY(v[i]), lb[i], sizeof(lb[i]));
			labels[i] = lb[i];
			vals[i] = v[i]->n;
		}
		snprintf(id, sizeof(id), "chart-prefix-%s-%d", p->v6 ? "v6" :
		    "v4", p->eff);
		svg_hbars(f, id, n, labels, vals);
		fputs("<table>\n<tr><th>prefix</th><th>requests</th><th>"
		    "clients</th><th>bytes</th></tr>\n", f);
		for (i = 0; i < n; i++)
			fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%"
			    PRIu64 "</td><td>%" PRIu64 "</td></tr>\n", lb[i],
			    v[i]->n, v[i]->a, v[i]->b);
		fputs("</table>\n", f);
		free(v);
	}

	fputs("<h2>Status classes</h2>\n", f);
	for (c = 0; c < 6; c++) {
		labels[c] = classes[c];
		vals[c] = class_count(ls, c);
	}
	svg_hbars(f, "chart-status", 6, labels, vals);
	nc = status_top(ls, codes, (size_t)ls->opts.top);
	fputs("<table>\n<tr><th>code</th><th>requests</th><th>share</th>"
	    "</tr>\n", f);
	for (c = 0; c < nc; c++)
		fprintf(f, "<tr><td>%d</td><td>%" PRIu64 "</td><td>%.1f%%</td>"
		    "</tr>\n", codes[c], ls->status[codes[c]], 100 *
		    share(ls->status[codes[c]], ls->parsed));
	fputs("</table>\n", f);

	html_top(ls, f, "Methods", "method", &ls->methods);
	html_top(ls, f, "Top paths", "path", &ls->paths);
	html_top(ls, f, "Top user agents", "user agent", &ls->uas);
	fputs("</body>\n</html>\n", f);
	return (ferror(f) ? -1 : 0);
}
