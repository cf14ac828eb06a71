/*
 * Reads access log lines back with the same compiled program that wrote
 * them, for logstat.  Nothing here allocates or copies: a line becomes an
 * array of spans.  Built for about a million lines a second: one memchr
 * per field in the common case.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "log/log_int.h"

/*
 * True if the byte at line[q] is escaped: an odd number of backslashes
 * right before it, counted back to the start of the field.
 */
static bool
escaped(const char *line, size_t start, size_t q)
{
	size_t n = 0;

	while (q > start && line[q - 1] == '\\') {
		n++;
		q--;
	}
	return ((n & 1) != 0);
}

/*
 * First place at or after pos (before lim) where the literal lit begins
 * and is not escaped.  Returns its offset, or lim if there is none.
 */
static size_t
find_lit(const char *line, size_t pos, size_t lim, const char *lit,
    size_t litlen, size_t start)
{
	while (pos < lim) {
		const char *q = memchr(line + pos, lit[0], lim - pos);
		size_t at;

		if (q == NULL)
			break;
		at = (size_t)(q - line);
		if (litlen <= lim - at &&
		    memcmp(q + 1, lit + 1, litlen - 1) == 0 &&
		    !escaped(line, start, at))
			return (at);
		pos = at + 1;
	}
	return (lim);
}

/* End of a number field ("-" or digits) starting at pos. */
static size_t
num_end(const char *line, size_t pos, size_t len)
{
	if (pos < len && line[pos] == '-')
		return (pos + 1);
	while (pos < len && line[pos] >= '0' && line[pos] <= '9')
		pos++;
	return (pos);
}

static bool
num_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 1 && p[0] == '-')
		return (true);
	if (n == 0)
		return (false);
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return (false);
	return (true);
}

/* True if field k may end at another candidate when a later one fails. */
static bool
retryable(const struct alog_fmt *f, size_t k)
{
	const struct alog_item *nx;

	if (k + 1 >= f->nitem || f->item[k].pclass == ALOG_PC_NUM ||
	    f->item[k].pclass == ALOG_PC_TIME)
		return (false);
	nx = &f->item[k + 1];
	if (nx->id == ALOG_D_LIT)
		return (k + 2 < f->nitem);
	/* Before %q: retried where %q itself would be. */
	return (nx->id == ALOG_D_QUERY && retryable(f, k + 1));
}

/*
 * Where field k, starting at pos, ends.  A terminator is searched from
 * "from" (pos on a first try, past the last candidate on a retry); *tend
 * gets the candidate used, the retry point.  Returns the end offset, or
 * an ALOG_PERR_* code (negative).
 */
static long
field_end(const struct alog_fmt *f, size_t k, const char *line, size_t pos,
    size_t len, size_t from, size_t *tend)
{
	const struct alog_item *it = &f->item[k];
	const struct alog_item *nx = k + 1 < f->nitem ? &f->item[k + 1] : NULL;
	const char *q;
	long e;

	if (it->pclass == ALOG_PC_TIME && pos < len && line[pos] == '[') {
		if ((q = memchr(line + pos, ']', len - pos)) == NULL)
			return (ALOG_PERR_FIELD);
		return ((long)(q - line) + 1);
	}
	if (nx == NULL)
		return ((long)len);
	if (nx->id == ALOG_D_LIT) {
		const char *lit = f->text + nx->off;
		size_t at;

		if (k + 2 == f->nitem) {
			/* The last literal closes the line. */
			if (len - pos < nx->len || memcmp(line + len - nx->len,
			    lit, nx->len) != 0)
				return (ALOG_PERR_SHORT);
			return ((long)(len - nx->len));
		}
		at = find_lit(line, from, len, lit, nx->len, pos);
		if (at == len)
			return (ALOG_PERR_SHORT);
		*tend = at;
		return ((long)at);
	}
	/* A number, or a %t that a condition wrote as "-". */
	if (it->pclass == ALOG_PC_NUM || it->pclass == ALOG_PC_TIME)
		return ((long)num_end(line, pos, len));
	/* Only %q may follow a text field directly: it starts at a '?'. */
	if ((e = field_end(f, k + 1, line, pos, len, from, tend)) < 0)
		return (e);
	if ((q = memchr(line + pos, '?', (size_t)e - pos)) != NULL)
		return ((long)(q - line));
	return (e);
}

/* Checks a field against what its directive can write. */
static bool
field_ok(const struct alog_item *it, const char *p, size_t n)
{
	switch (it->pclass) {
	case ALOG_PC_NUM:
		return (num_ok(p, n));
	case ALOG_PC_TOKEN:
		return (memchr(p, ' ', n) == NULL);
	case ALOG_PC_TIME:
		return ((n == 1 && p[0] == '-') || (n >= 2 && p[0] == '['));
	}
	if (it->id == ALOG_D_QUERY)
		return (n == 0 || p[0] == '?' || (n == 1 && p[0] == '-'));
	return (true);
}

#define PARSE_RETRY_MAX	64	/* fields that can be retried per line */
#define PARSE_TRIES_MAX	64	/* retries before a line is malformed */

/*
 * Fields are taken left to right, each ending at the first unescaped
 * occurrence of the literal after it; that is the whole cost for a line
 * written by an Apache-escaping server.  When a later field or literal
 * does not fit (a raw quote in an old log, a space in %U before %q), the
 * last free-text field is retried at its next candidate, a bounded number
 * of times so that hostile lines cost little.
 */
int
alog_fmt_parse(const struct alog_fmt *f, const char *line, size_t len,
    struct alog_field *fld, size_t nfld)
{
	struct {
		size_t	field;
		size_t	tend;
	} bt[PARSE_RETRY_MAX];
	const struct alog_item *it;
	size_t k = 0, pos = 0, n = 0, nbt = 0, tries = 0, from, tend = 0;
	int err = 0, e;
	long end;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (!f->parsable)
		return (ALOG_PERR_FORMAT);
	if (nfld < f->nfield)
		return (ALOG_PERR_SPACE);
	from = 0;
	for (;;) {
		if (k == f->nitem) {
			if (pos == len)
				return ((int)n);
			e = ALOG_PERR_TRAILING;
			goto retry;
		}
		it = &f->item[k];
		if (it->id == ALOG_D_LIT) {
			if (len - pos < it->len ||
			    memcmp(line + pos, f->text + it->off, it->len) != 0) {
				e = ALOG_PERR_LITERAL;
				goto retry;
			}
			pos += it->len;
			k++;
			continue;
		}
		if (from < pos)
			from = pos;
		tend = 0;
		if ((end = field_end(f, k, line, pos, len, from, &tend)) < 0) {
			e = (int)end;
			goto retry;
		}
		if (!field_ok(it, line + pos, (size_t)end - pos)) {
			e = ALOG_PERR_FIELD;
			goto retry;
		}
		fld[n].p = line + pos;
		fld[n].len = (size_t)end - pos;
		fld[n].param = it->len > 0 ? f->text + it->off : "";
		fld[n].id = it->id;
		fld[n].sub = it->sub;
		if (retryable(f, k) && nbt < PARSE_RETRY_MAX) {
			bt[nbt].field = n;
			bt[nbt++].tend = tend;
		}
		pos = (size_t)end;
		from = 0;
		n++;
		k++;
		continue;
retry:
		if (err == 0)
			err = e;
		if (nbt == 0 || ++tries > PARSE_TRIES_MAX)
			return (err);
		nbt--;
		n = bt[nbt].field;
		k = f->fitem[n];
		pos = (size_t)(fld[n].p - line);
		from = bt[nbt].tend + 1;
	}
}

const char *
alog_perr_str(int code)
{
	switch (code) {
	case ALOG_PERR_FORMAT:
		return ("format cannot be parsed back");
	case ALOG_PERR_SPACE:
		return ("too many fields");
	case ALOG_PERR_LITERAL:
		return ("literal text of the format not found");
	case ALOG_PERR_SHORT:
		return ("line ends early");
	case ALOG_PERR_FIELD:
		return ("malformed number or time");
	case ALOG_PERR_TRAILING:
		return ("junk after the last field");
	}
	return ("no error");
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
alog_field_unescape(const char *p, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		char ch = p[i];

		if (ch == '\\' && i + 1 < len) {
			switch (p[i + 1]) {
			case '"':
			case '\\':
				ch = p[++i];
				break;
			case 'b':
				ch = '\b';
				i++;
				break;
			case 'n':
				ch = '\n';
				i++;
				break;
			case 'r':
				ch = '\r';
				i++;
				break;
			case 't':
				ch = '\t';
				i++;
				break;
			case 'v':
				ch = '\v';
				i++;
				break;
			case 'x':
				if (i + 3 < len &&
				    (hi = hexval(p[i + 2])) >= 0 &&
				    (lo = hexval(p[i + 3])) >= 0) {
					ch = (char)(hi << 4 | lo);
					i += 3;
				}
				break;
			default:
				break;
			}
		}
		if (o == outlen)
			return (-1);
		out[o++] = ch;
	}
	return ((int)o);
}

static int
dig2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return (-1);
	return ((p[0] - '0') * 10 + (p[1] - '0'));
}

/* Month from its English abbreviation, 0-11, or -1. */
static int
month(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m;

	for (m = 0; m < 12; m++)
		if (memcmp(p, names + 3 * m, 3) == 0)
			return (m);
	return (-1);
}

/*
 * Days from 1970-01-01 to y-m-d (m 1-12), proleptic Gregorian.  Counts
 * years from March so the leap day is the last day of the counted year.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

int
alog_time_parse(const char *p, size_t len, int64_t *epoch, int32_t *gmtoff)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int d, m, y, hh, mm, ss, oh, om, y1, y2;
	bool leap;
	int32_t off;

	/* dd/Mon/yyyy:hh:mm:ss +hhmm: 26 bytes, 28 with brackets. */
	if (len == 28 && p[0] == '[' && p[27] == ']') {
		p++;
		len -= 2;
	}
	if (len != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' ||
	    p[14] != ':' || p[17] != ':' || p[20] != ' ' ||
	    (p[21] != '+' && p[21] != '-'))
		return (-1);
	if ((d = dig2(p)) < 0 || (m = month(p + 3)) < 0 ||
	    (y1 = dig2(p + 7)) < 0 || (y2 = dig2(p + 9)) < 0 ||
	    (hh = dig2(p + 12)) < 0 || (mm = dig2(p + 15)) < 0 ||
	    (ss = dig2(p + 18)) < 0 || (oh = dig2(p + 22)) < 0 ||
	    (om = dig2(p + 24)) < 0)
		return (-1);
	y = y1 * 100 + y2;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d < 1 || d > mdays[m] || (m == 1 && d == 29 && !leap) ||
	    hh > 23 || mm > 59 || ss > 60 || oh > 23 || om > 59)
		return (-1);
	off = (oh * 3600 + om * 60) * (p[21] == '-' ? -1 : 1);
	*epoch = days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 +
	    ss - off;
	if (gmtoff != NULL)
		*gmtoff = off;
	return (0);
}

/*
 * The plain RFC 4291 text of an IPv6 address (hex groups, at most one
 * "::", no embedded IPv4) into 16 bytes, without inet_pton's per-byte
 * state machine: logstat reads one address a line.  Returns 1 when the
 * text is such an address, 0 for anything else, which the caller then
 * gives to inet_pton: this fast path only ever accepts what it accepts.
 */
#define NOGAP	((size_t)-1)

static int
pton6_plain(const char *s, size_t n, uint8_t out[16])
{
	uint16_t g[8];
	size_t k = 0, ng = 0, gap = NOGAP, i, nd;
	unsigned v;
	int h;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		k = 2;
	}
	while (k < n) {
		for (v = 0, nd = 0; k < n && (h = hexval(s[k])) >= 0; k++) {
			if (++nd > 4)
				return (0);
			v = v << 4 | (unsigned)h;
		}
		if (nd == 0 || ng == 8)
			return (0);
		g[ng++] = (uint16_t)v;
		if (k == n)
			break;
		if (s[k] != ':' || ++k == n)
			return (0);
		if (s[k] == ':') {
			if (gap != NOGAP)
				return (0);
			gap = ng;
			if (++k == n)
				break;
		}
	}
	if (gap == NOGAP ? ng != 8 : ng > 7)
		return (0);
	memset(out, 0, 16);
	for (i = 0; i < ng; i++) {
		size_t at = i < gap ? i : 8 - (ng - i);

		out[2 * at] = (uint8_t)(g[i] >> 8);
		out[2 * at + 1] = (uint8_t)g[i];
	}
	return (1);
}

int
alog_addr_parse(const char *p, size_t len, uint8_t addr[16], uint16_t *port)
{
	char b[INET6_ADDRSTRLEN + 1];
	const char *end = p + len, *a, *ae, *pc, *z;
	size_t alen;

	if (port != NULL)
		*port = 0;
	if (len == 0)
		return (-1);
	pc = NULL;
	if (p[0] == '[') {
		if ((ae = memchr(p, ']', len)) == NULL)
			return (-1);
		a = p + 1;
		if (ae + 1 < end) {
			if (ae[1] != ':' || ae + 2 == end)
				return (-1);
			pc = ae + 2;
		}
	} else {
		a = p;
		ae = end;
		/* A port only follows plain IPv4: one ':' and a dot before. */
		if ((z = memchr(p, ':', len)) != NULL &&
		    memchr(z + 1, ':', (size_t)(end - z - 1)) == NULL &&
		    memchr(p, '.', (size_t)(z - p)) != NULL) {
			ae = z;
			pc = z + 1;
			if (pc == end)
				return (-1);
		}
	}
	if (pc != NULL) {
		unsigned long v = 0;

		for (; pc < end; pc++) {
			if (*pc < '0' || *pc > '9')
				return (-1);
			v = v * 10 + (unsigned long)(*pc - '0');
			if (v > 65535)
				return (-1);
		}
		if (port != NULL)
			*port = (uint16_t)v;
	}
	if ((z = memchr(a, '%', (size_t)(ae - a))) != NULL) {
		if (z + 1 == ae)
			return (-1);
		ae = z;
	}
	alen = (size_t)(ae - a);
	if (alen == 0 || alen >= sizeof(b))
		return (-1);
	memcpy(b, a, alen);
	b[alen] = '\0';
	if (memchr(b, ':', alen) != NULL) {
		if (pton6_plain(b, alen, addr) != 1 &&
		    inet_pton(AF_INET6, b, addr) != 1)
			return (-1);
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)
		    (const void *)addr))
			return (AF_INET);
		return (AF_INET6);
	}
	if (p[0] == '[' || z != NULL)
		return (-1);
	memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	if (inet_pton(AF_INET, b, addr + 12) != 1)
		return (-1);
	return (AF_INET);
}
