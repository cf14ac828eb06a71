/*
 * Renders a record into one access log line with a compiled program.
 * Runs once per request on every worker: no allocation, no locale, and
 * localtime_r at most once per second per thread.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log/log_int.h"

/*
 * Apache 2.4 (ap_escape_logitem) escapes whatever is not a printable ASCII
 * byte in the C locale, plus '"' and '\'.  Five controls get their C
 * letter; every other such byte is \xhh.
 */
#define X8	'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'
#define X64	X8, X8, X8, X8, X8, X8, X8, X8
const char alog_esc[256] = {
	/* 0x00 */ 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
	/* 0x08 */ 'b', 't', 'n', 'v', 'x', 'r', 'x', 'x',
	/* 0x10 */ X8,
	/* 0x18 */ X8,
	/* 0x20 */ 0, 0, '"', 0, 0, 0, 0, 0,
	/* 0x28 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	/* 0x60 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x',
	/* 0x80 */ X64, X64,
};

static const char hexdig[] = "0123456789abcdef";
static const char mon[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * The output cursor.  Writers check room themselves and only mark the
 * overflow, so the render loop stays free of error paths.
 */
struct out {
	char	*p;
	char	*end;
	bool	 full;
};

static inline void
put(struct out *o, const char *s, size_t n)
{
	if ((size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static inline void
putc1(struct out *o, char ch)
{
	if (o->p == o->end) {
		o->full = true;
		return;
	}
	*o->p++ = ch;
}

static void
put_esc(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run;
	char e;

	for (i = 0; i < n; ) {
		for (run = i; run < n && alog_esc[u[run]] == 0; run++)
			;
		if (run > i) {
			put(o, s + i, run - i);
			i = run;
			continue;
		}
		e = alog_esc[u[i]];
		if (e == 'x') {
			char x[4] = { '\\', 'x', hexdig[u[i] >> 4],
			    hexdig[u[i] & 15] };

			put(o, x, 4);
		} else {
			char x[2] = { '\\', e };

			put(o, x, 2);
		}
		i++;
	}
}

/* A value from the request: "-" when absent, escaped otherwise. */
static void
put_str(struct out *o, const struct alog_str *s)
{
	if (s->p == NULL)
		putc1(o, '-');
	else
		put_esc(o, s->p, s->len);
}

static void
put_u64(struct out *o, uint64_t v)
{
	char b[20];
	size_t i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, b + i, sizeof(b) - i);
}

/* A count that may be unknown (< 0): "-" then. */
static void
put_num(struct out *o, int64_t v)
{
	if (v < 0)
		putc1(o, '-');
	else
		put_u64(o, (uint64_t)v);
}

static void
put_zpad(struct out *o, uint64_t v, int width)
{
	char b[20];
	int i;

	for (i = width - 1; i >= 0; i--) {
		b[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(o, b, (size_t)width);
}

/* Writes one IPv6 address in RFC 5952 form; returns its length. */
static size_t
fmt_ip6(const uint8_t a[16], char *buf)
{
	uint16_t w[8];
	int i, best = -1, bestlen = 0, cur = -1, curlen = 0;
	size_t o = 0;

	for (i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	/* The longest run of two or more zero groups; the first on a tie. */
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 0;
			}
			if (++curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
		} else
			cur = -1;
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			buf[o++] = ':';
			if (i == 0)
				buf[o++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (w[i] >= 0x1000)
			buf[o++] = hexdig[w[i] >> 12];
		if (w[i] >= 0x100)
			buf[o++] = hexdig[(w[i] >> 8) & 15];
		if (w[i] >= 0x10)
			buf[o++] = hexdig[(w[i] >> 4) & 15];
		buf[o++] = hexdig[w[i] & 15];
		if (i < 7)
			buf[o++] = ':';
	}
	return (o);
}

static size_t
fmt_ip4(const uint8_t a[4], char *buf)
{
	size_t o = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			buf[o++] = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			buf[o++] = (char)('0' + a[i] / 10 % 10);
		buf[o++] = (char)('0' + a[i] % 10);
		if (i < 3)
			buf[o++] = '.';
	}
	return (o);
}

/*
 * Address text into buf (ALOG_ADDRSTRLEN bytes, no NUL).  Returns the length
 * or 0 for an address that is not IP.
 */
static size_t
addr_text(const struct sockaddr *sa, bool with_port, char *buf)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	const uint8_t *a;
	uint16_t port;
	size_t o = 0;

	if (sa == NULL)
		return (0);
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		o = fmt_ip4((const uint8_t *)&s4->sin_addr, buf);
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = s6->sin6_addr.s6_addr;
		port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			o = fmt_ip4(a + 12, buf);
		else if (with_port) {
			buf[0] = '[';
			o = 1 + fmt_ip6(a, buf + 1);
			buf[o++] = ']';
		} else
			o = fmt_ip6(a, buf);
	} else
		return (0);
	if (with_port) {
		char pb[8];
		int n = snprintf(pb, sizeof(pb), ":%u", (unsigned)port);

		memcpy(buf + o, pb, (size_t)n);
		o += (size_t)n;
	}
	return (o);
}

int
alog_addr_fmt(const struct sockaddr *sa, bool with_port, char *buf,
    size_t len)
{
	char b[ALOG_ADDRSTRLEN];
	size_t n;

	if ((n = addr_text(sa, with_port, b)) == 0 || n + 1 > len)
		return (-1);
	memcpy(buf, b, n);
	buf[n] = '\0';
	return ((int)n);
}

static void
put_addr(struct out *o, const struct sockaddr *sa)
{
	char b[ALOG_ADDRSTRLEN];
	size_t n;

	if ((n = addr_text(sa, false, b)) == 0)
		putc1(o, '-');
	else
		put(o, b, n);
}

static int
sa_port(const struct sockaddr *sa)
{
	if (sa == NULL)
		return (-1);
	if (sa->sa_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)
		    (const void *)sa)->sin_port));
	if (sa->sa_family == AF_INET6)
		return (ntohs(((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_port));
	return (-1);
}

/*
 * Local time of one second, and its %t text.  Two slots per thread (begin
 * and end of a request usually share a second or two), so a busy worker
 * calls localtime_r about once a second; per thread, so no lock.
 */
struct tslot {
	time_t		 sec;
	bool		 valid;
	struct tm	 tm;
	char		 clf[32];	/* "[10/Oct/2000:13:55:36 -0700]" */
	size_t		 clflen;
};

static _Thread_local struct tslot tcache[2];
static _Thread_local unsigned tnext;

static const struct tslot *
tslot_get(time_t sec)
{
	struct tslot *t;
	long off;
	char sign = '+';
	int n;

	if (tcache[0].valid && tcache[0].sec == sec)
		return (&tcache[0]);
	if (tcache[1].valid && tcache[1].sec == sec)
		return (&tcache[1]);
	t = &tcache[tnext];
	tnext ^= 1;
	t->valid = false;
	if (localtime_r(&sec, &t->tm) == NULL)
		return (NULL);
	off = t->tm.tm_gmtoff;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	n = snprintf(t->clf, sizeof(t->clf),
	    "[%02d/%s/%d:%02d:%02d:%02d %c%02ld%02ld]",
	    t->tm.tm_mday, mon[t->tm.tm_mon % 12], t->tm.tm_year + 1900,
	    t->tm.tm_hour, t->tm.tm_min, t->tm.tm_sec, sign,
	    (off / 3600) % 100, off % 3600 / 60);
	if (n < 0 || (size_t)n >= sizeof(t->clf))
		return (NULL);
	t->clflen = (size_t)n;
	t->sec = sec;
	t->valid = true;
	return (t);
}

static void
put_time(struct out *o, const struct alog_fmt *f, const struct alog_item *it,
    const struct alog_rec *r)
{
	const struct timespec *ts;
	const struct tslot *t;
	const char *sf;
	char buf[1024];
	size_t n;
	int64_t sec, nsec;

	ts = (it->flags & ALOG_IF_END) ? &r->end : &r->begin;
	sec = (int64_t)ts->tv_sec;
	nsec = (int64_t)ts->tv_nsec;
	switch (it->sub) {
	case ALOG_TIME_SEC:
		put_num(o, sec);
		return;
	case ALOG_TIME_MSEC:
		put_num(o, sec * 1000 + nsec / 1000000);
		return;
	case ALOG_TIME_USEC:
		put_num(o, sec * 1000000 + nsec / 1000);
		return;
	case ALOG_TIME_MSEC_FRAC:
		put_zpad(o, (uint64_t)(nsec / 1000000) % 1000, 3);
		return;
	case ALOG_TIME_USEC_FRAC:
		put_zpad(o, (uint64_t)(nsec / 1000) % 1000000, 6);
		return;
	}
	if ((t = tslot_get(ts->tv_sec)) == NULL) {
		putc1(o, '-');
		return;
	}
	if (it->sub == ALOG_TIME_CLF) {
		put(o, t->clf, t->clflen);
		return;
	}
	sf = f->text + it->off;
	if (it->flags & ALOG_IF_END)
		sf += 4;
	else if (it->flags & ALOG_IF_PREFIX)
		sf += 6;
	/*
	 * strftime returns 0 both for empty output and for overflow (a huge
	 * field width); either way nothing sensible can be written but "-".
	 */
#pragma GCC diagnostic push
	/* The strftime format comes from the config, checked by nobody else. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, sizeof(buf), sf, &t->tm);
#pragma GCC diagnostic pop
	if (n == 0)
		putc1(o, '-');
	else
		put_esc(o, buf, n);
}

/* Microseconds from begin to end; 0 if the clock stepped back. */
static int64_t
duration_us(const struct alog_rec *r)
{
	int64_t us;

	us = ((int64_t)r->end.tv_sec - (int64_t)r->begin.tv_sec) * 1000000 +
	    ((int64_t)r->end.tv_nsec - (int64_t)r->begin.tv_nsec) / 1000;
	return (us < 0 ? 0 : us);
}

static void
put_us(struct out *o, int64_t us, uint8_t unit)
{
	if (us < 0) {
		putc1(o, '-');
		return;
	}
	if (unit == ALOG_UNIT_S)
		us /= 1000000;
	else if (unit == ALOG_UNIT_MS)
		us /= 1000;
	put_u64(o, (uint64_t)us);
}

static bool
name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return (alen == blen && strncasecmp(a, b, alen) == 0);
}

/*
 * Every header called name, joined with ", " as Apache merges repeated
 * request headers.  Content-Type drops its parameters as Apache's %o does.
 */
static void
put_hdr(struct out *o, const struct alog_hdr *h, size_t nh, const char *name,
    size_t namelen, bool resp)
{
	const char *v, *semi;
	size_t k, vlen;
	bool any = false;

	for (k = 0; k < nh; k++) {
		if (!name_eq(h[k].name, h[k].namelen, name, namelen))
			continue;
		v = h[k].value != NULL ? h[k].value : "";
		vlen = h[k].value != NULL ? h[k].valuelen : 0;
		if (resp && name_eq(name, namelen, "Content-Type", 12) &&
		    (semi = memchr(v, ';', vlen)) != NULL) {
			vlen = (size_t)(semi - v);
			while (vlen > 0 && (v[vlen - 1] == ' ' ||
			    v[vlen - 1] == '\t'))
				vlen--;
		}
		if (any)
			put(o, ", ", 2);
		put_esc(o, v, vlen);
		any = true;
	}
	if (!any)
		putc1(o, '-');
}

static bool
is_blank(char ch)
{
	return (ch == ' ' || ch == '\t');
}

/*
 * Cookie "name" from the Cookie headers: pairs split by ';', blanks
 * around name and value dropped, names compared without case, and a pair
 * with an empty value skipped, the way Apache's %C reads version 0
 * cookies.  Returns true if found and written.
 */
static bool
put_cookie_in(struct out *o, const char *v, size_t vlen, const char *name,
    size_t namelen)
{
	const char *p = v, *end = v + vlen, *semi, *eq, *ns, *ne, *vs, *ve;

	while (p < end) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			for (ns = p; ns < eq && is_blank(*ns); ns++)
				;
			for (ne = eq; ne > ns && is_blank(ne[-1]); ne--)
				;
			for (vs = eq + 1; vs < semi && is_blank(*vs); vs++)
				;
			for (ve = semi; ve > vs && is_blank(ve[-1]); ve--)
				;
			if (eq + 1 < semi && ne > ns &&
			    name_eq(ns, (size_t)(ne - ns), name, namelen)) {
				put_esc(o, vs, (size_t)(ve - vs));
				return (true);
			}
		}
		p = semi + 1;
	}
	return (false);
}

static void
put_cookie(struct out *o, const struct alog_rec *r, const char *name,
    size_t namelen)
{
	size_t k;

	for (k = 0; k < r->nreq_hdr; k++) {
		const struct alog_hdr *h = &r->req_hdr[k];

		if (h->value != NULL && name_eq(h->name, h->namelen, "Cookie",
		    6) && put_cookie_in(o, h->value, h->valuelen, name,
		    namelen))
			return;
	}
	putc1(o, '-');
}

/* The path part of the raw target, for records that only set target. */
static struct alog_str
rec_path(const struct alog_rec *r)
{
	struct alog_str s = r->path;

	if (s.p == NULL && r->target.p != NULL) {
		const char *q = memchr(r->target.p, '?', r->target.len);

		s = r->target;
		if (q != NULL)
			s.len = (size_t)(q - s.p);
	}
	return (s);
}

static void
put_query(struct out *o, const struct alog_rec *r)
{
	if (r->query.p != NULL) {
		putc1(o, '?');
		put_esc(o, r->query.p, r->query.len);
	} else if (r->path.p == NULL && r->target.p != NULL) {
		const char *q = memchr(r->target.p, '?', r->target.len);

		if (q != NULL)
			put_esc(o, q, r->target.len -
			    (size_t)(q - r->target.p));
	}
}

static void
put_reqline(struct out *o, const struct alog_rec *r)
{
	if (r->reqline.p != NULL || r->method.p == NULL ||
	    r->target.p == NULL) {
		put_str(o, &r->reqline);
		return;
	}
	put_esc(o, r->method.p, r->method.len);
	putc1(o, ' ');
	put_esc(o, r->target.p, r->target.len);
	if (r->proto.p != NULL) {
		putc1(o, ' ');
		put_esc(o, r->proto.p, r->proto.len);
	}
}

static void
put_srv(struct out *o, const struct alog_rec *r, uint8_t part)
{
	char b[ALOG_ADDRSTRLEN];
	size_t n;

	if (part == ALOG_ADDR_PORT) {
		int port = sa_port(r->srv);

		if (port < 0)
			putc1(o, '-');
		else
			put_u64(o, (uint64_t)port);
		return;
	}
	if ((n = addr_text(r->srv, part == ALOG_ADDR_HOSTPORT, b)) == 0)
		putc1(o, '-');
	else
		put(o, b, n);
}

/* True if the item's status condition lets the value be written. */
static bool
cond_ok(const struct alog_fmt *f, const struct alog_item *it, int status)
{
	const uint16_t *c = f->cond + it->cond;
	bool in = false;
	size_t k;

	for (k = 0; k < it->ncond; k++)
		if (c[k] == status) {
			in = true;
			break;
		}
	return ((it->flags & ALOG_IF_NEGATE) ? !in : in);
}

static void
put_item(struct out *o, const struct alog_fmt *f, const struct alog_item *it,
    const struct alog_rec *r)
{
	const char *param = f->text + it->off;
	const struct sockaddr *ua = r->ua != NULL ? r->ua : r->cli;
	struct alog_str s;
	int port, st;

	switch (it->id) {
	case ALOG_D_UA_IP:
	case ALOG_D_HOST:
		put_addr(o, ua);
		break;
	case ALOG_D_PEER_IP:
	case ALOG_D_PEER_HOST:
		put_addr(o, r->cli);
		break;
	case ALOG_D_LOCAL_IP:
		put_addr(o, r->local);
		break;
	case ALOG_D_BODY:
		put_u64(o, r->body_bytes > 0 ? (uint64_t)r->body_bytes : 0);
		break;
	case ALOG_D_BODY_CLF:
		if (r->body_bytes > 0)
			put_u64(o, (uint64_t)r->body_bytes);
		else
			putc1(o, '-');
		break;
	case ALOG_D_COOKIE:
		put_cookie(o, r, param, it->len);
		break;
	case ALOG_D_DURATION_US:
		put_u64(o, (uint64_t)duration_us(r));
		break;
	case ALOG_D_PROTO:
		put_str(o, &r->proto);
		break;
	case ALOG_D_REQ_HDR:
		put_hdr(o, r->req_hdr, r->nreq_hdr, param, it->len, false);
		break;
	case ALOG_D_RESP_HDR:
		put_hdr(o, r->resp_hdr, r->nresp_hdr, param, it->len, true);
		break;
	case ALOG_D_BYTES_IN:
		put_num(o, r->bytes_in);
		break;
	case ALOG_D_BYTES_OUT:
		put_num(o, r->bytes_out);
		break;
	case ALOG_D_BYTES_ALL:
		if (r->bytes_in < 0 || r->bytes_out < 0)
			putc1(o, '-');
		else
			put_u64(o, (uint64_t)r->bytes_in +
			    (uint64_t)r->bytes_out);
		break;
	case ALOG_D_KEEPALIVES:
		put_num(o, r->keepalives);
		break;
	case ALOG_D_METHOD:
		put_str(o, &r->method);
		break;
	case ALOG_D_PORT:
		port = sa_port(it->sub == ALOG_PORT_REMOTE ? r->cli : r->local);
		if (port < 0)
			putc1(o, '-');
		else
			put_u64(o, (uint64_t)port);
		break;
	case ALOG_D_PID:
		if (it->sub == ALOG_PID_PID)
			put_num(o, r->pid > 0 ? r->pid : -1);
		else if (r->tid == 0)
			putc1(o, '-');
		else if (it->sub == ALOG_PID_TID)
			put_u64(o, r->tid);
		else {
			char b[17];
			int n = snprintf(b, sizeof(b), "%llx",
			    (unsigned long long)r->tid);

			put(o, b, (size_t)n);
		}
		break;
	case ALOG_D_QUERY:
		put_query(o, r);
		break;
	case ALOG_D_REQLINE:
		put_reqline(o, r);
		break;
	case ALOG_D_STATUS:
	case ALOG_D_STATUS_FINAL:
		st = r->status;
		if (it->id == ALOG_D_STATUS && r->status_orig != 0)
			st = r->status_orig;
		put_num(o, st > 0 ? st : -1);
		break;
	case ALOG_D_TIME:
		put_time(o, f, it, r);
		break;
	case ALOG_D_DURATION:
		put_us(o, duration_us(r), it->sub);
		break;
	case ALOG_D_USER:
		if (r->user.p != NULL && r->user.len == 0)
			put(o, "\"\"", 2);
		else
			put_str(o, &r->user);
		break;
	case ALOG_D_PATH:
		s = rec_path(r);
		put_str(o, &s);
		break;
	case ALOG_D_SERVER:
		put_str(o, &r->server);
		break;
	case ALOG_D_SERVER_NAME:
		put_str(o, r->host.p != NULL ? &r->host : &r->server);
		break;
	case ALOG_D_CONN:
		putc1(o, r->conn == ALOG_CONN_ABORTED ? 'X' :
		    r->conn == ALOG_CONN_KEEPALIVE ? '+' : '-');
		break;
	case ALOG_D_SRV_ADDR:
		put_srv(o, r, it->sub);
		break;
	case ALOG_D_SRV_CONNECT:
		put_us(o, r->srv_connect_us, it->sub);
		break;
	case ALOG_D_SRV_FIRST:
		put_us(o, r->srv_first_us, it->sub);
		break;
	case ALOG_D_END:
		put_str(o, &r->end_reason);
		break;
	case ALOG_D_LISTENER:
		put_str(o, &r->listener);
		break;
	case ALOG_D_BACKEND:
		put_str(o, &r->backend);
		break;
	case ALOG_D_SSL_VAR:
		if (it->sub == ALOG_SSL_PROTOCOL)
			put_str(o, &r->tls_proto);
		else if (it->sub == ALOG_SSL_CIPHER)
			put_str(o, &r->tls_cipher);
		else if (it->sub == ALOG_SSL_SNI)
			put_str(o, &r->tls_sni);
		else
			putc1(o, '-');
		break;
	default:
		/* %l and the Apache directives v6front has no value for. */
		putc1(o, '-');
		break;
	}
}

int
alog_fmt_render(const struct alog_fmt *f, const struct alog_rec *r,
    char *buf, size_t len)
{
	struct out o = { buf, buf + len, false };
	size_t k;

	if (len > INT32_MAX)
		o.end = buf + INT32_MAX;
	for (k = 0; k < f->nitem && !o.full; k++) {
		const struct alog_item *it = &f->item[k];

		if (it->id == ALOG_D_LIT)
			put(&o, f->text + it->off, it->len);
		else if (it->ncond > 0 && !cond_ok(f, it, r->status))
			putc1(&o, '-');
		else
			put_item(&o, f, it, r);
	}
	if (o.full)
		return (-1);
	return ((int)(o.p - buf));
}
