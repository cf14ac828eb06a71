/*
 * HTTP/1.x parser (contract in h1.h).  One pass over each byte: the head
 * state machine remembers where it stopped, every finished token is checked
 * once while the caller still holds it, the hot loops are one table lookup
 * per byte, and field values, most of a head, go 8 bytes at a time.
 *
 * Where the RFCs leave room, or the proxy wants more than they ask:
 * - Requests may be preceded by up to PX_H1_EMPTY_MAX empty lines (CRLF,
 *   never a bare LF), which are skipped (RFC 9112 section 2.2: old clients
 *   send one after a POST body).  Responses may not.
 * - Versions: HTTP/1.0 and HTTP/1.1.  1.2 to 1.9 are taken as 1.1 (RFC 9110
 *   section 2.5: minor versions are backwards compatible; the proxy sends
 *   its own version on).  Any other major version, "HTTP/0.9" and "HTTP/2.0"
 *   included, gets 505.  Anything not shaped HTTP/DIGIT.DIGIT -- lower case,
 *   two digits, or no version at all (the HTTP/0.9 simple request) -- is 400.
 * - Transfer-Encoding: if the last coding is chunked, the body is chunked,
 *   whatever precedes it ("gzip, chunked"): other codings do not move the
 *   end of the message, so the proxy can pass them on (te_other says they
 *   are there).  In a request any other list -- chunked not last, or no
 *   chunked (identity, gzip, xchunked) -- is 501, as the issue asks (RFC 9112
 *   section 6.3 would also allow 400); in a response it means read until
 *   close (RFC 9112 section 6.3, rule 4).  chunked twice, parameters on
 *   chunked, a list without codings or a malformed list is 400.
 *   Transfer-Encoding together with Content-Length is 400 (502 from a
 *   backend), never repaired by dropping one; in an HTTP/1.0 request it is
 *   400 (RFC 9112 section 6.1: the framing is faulty).
 * - Content-Length: digits only, at most 2^63 - 1.  A list or several fields
 *   must all carry the same number; empty list elements are refused.
 * - CONNECT is 501 unless lim.connect: no resource of ours implements it,
 *   and 405 would claim the target resource refuses the method.  CONNECT
 *   takes only authority-form (host:port) and authority-form only CONNECT;
 *   asterisk-form is only for OPTIONS.
 * - Request targets hold RFC 3986 characters only, every '%' followed by
 *   two hex digits.  absolute-form must be http or https with a non-empty
 *   host and no userinfo (RFC 9110 section 4.2.4).
 * - A Connection option naming another field makes it hop-by-hop, except
 *   Content-Length and Host: the next hop needs them to frame and route the
 *   message, so a client must not be able to strip them that way.  More than
 *   PX_H1_CONN_OPT_MAX such options are refused.
 * - Trailer fields named Content-Length, Transfer-Encoding or Host are
 *   refused: a recipient that merges trailers into the header section would
 *   reframe or reroute the message.
 * - Chunk sizes: at most 16 hex digits and 2^63 - 1.  Whitespace is allowed
 *   only where RFC 9112 section 7.1.1 has BWS, i.e. before ';' and around '='.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "proxy/h1.h"

/*
 * Character classes, one table lookup per byte.  RFC 9110 section 5.6.2
 * (tchar), 5.5 (field-vchar), RFC 3986 (targets and hosts).
 */
#define CC_TCHAR	0x01	/* token character */
#define CC_FVCHAR	0x02	/* field-vchar: VCHAR or obs-text */
#define CC_WS		0x04	/* SP, HTAB */
#define CC_DIGIT	0x08
#define CC_HEX		0x10
#define CC_PATHQ	0x20	/* path and query: pchar, '/', '?' */
#define CC_URI		0x40	/* any request-target byte: PATHQ, '[', ']' */
#define CC_REG		0x80	/* reg-name: unreserved, sub-delims, '%' */

static const uint8_t px_h1_cc[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 00-07 */
	0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 08-0f */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 10-17 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 18-1f */
	0x04, 0xe3, 0x02, 0x03, 0xe3, 0xe3, 0xe3, 0xe3,	/* SP ! " # $ % & ' */
	0xe2, 0xe2, 0xe3, 0xe3, 0xe2, 0xe3, 0xe3, 0x62,	/* ( ) * + , - . / */
	0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,	/* 0 1 2 3 4 5 6 7 */
	0xfb, 0xfb, 0x62, 0xe2, 0x02, 0xe2, 0x02, 0x62,	/* 8 9 : ; < = > ? */
	0x62, 0xf3, 0xf3, 0xf3, 0xf3, 0xf3, 0xf3, 0xe3,	/* @ A B C D E F G */
	0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3,	/* H I J K L M N O */
	0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3,	/* P Q R S T U V W */
	0xe3, 0xe3, 0xe3, 0x42, 0x02, 0x42, 0x03, 0xe3,	/* X Y Z [ \ ] ^ _ */
	0x03, 0xf3, 0xf3, 0xf3, 0xf3, 0xf3, 0xf3, 0xe3,	/* ` a b c d e f g */
	0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3,	/* h i j k l m n o */
	0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3, 0xe3,	/* p q r s t u v w */
	0xe3, 0xe3, 0xe3, 0x02, 0x03, 0x02, 0xe3, 0x00,	/* x y z { | } ~ DEL */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 80-87 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 88-8f */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 90-97 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 98-9f */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* a0-a7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* a8-af */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* b0-b7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* b8-bf */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* c0-c7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* c8-cf */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* d0-d7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* d8-df */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* e0-e7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* e8-ef */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* f0-f7 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* f8-ff */
};

#define CC(c, m)	(px_h1_cc[(unsigned char)(c)] & (m))

#define PX_H1_NUM_MAX	((uint64_t)INT64_MAX)	/* Content-Length, chunk size */
#define PX_H1_STEP	(1U << 30)	/* body bytes per call: fits an int */

/* Head parser states. */
enum {
	PX_H1_S_RL_START = 0,	/* request line or an empty line next */
	PX_H1_S_RL_EMPTY_LF,	/* CR of an empty line seen */
	PX_H1_S_METHOD,
	PX_H1_S_TARGET,
	PX_H1_S_VERSION,
	PX_H1_S_RL_LF,
	PX_H1_S_SL_VERSION,
	PX_H1_S_SL_STATUS,
	PX_H1_S_SL_REASON,
	PX_H1_S_SL_LF,
	PX_H1_S_H_START,	/* a field line or the final empty line next */
	PX_H1_S_H_NAME,
	PX_H1_S_H_OWS,
	PX_H1_S_H_VALUE,
	PX_H1_S_H_LF,
	PX_H1_S_END_LF,
	PX_H1_S_DONE,
};

/* Chunked body states (RFC 9112 section 7.1). */
enum {
	PX_H1_C_SIZE = 0,
	PX_H1_C_SIZE_WS,	/* BWS after the size: ';' must follow */
	PX_H1_C_EXT_NAME0,	/* after ';' */
	PX_H1_C_EXT_NAME,
	PX_H1_C_EXT_NAME_WS,	/* BWS after a name: '=' or ';' next */
	PX_H1_C_EXT_VAL0,	/* after '=' */
	PX_H1_C_EXT_TOKEN,
	PX_H1_C_EXT_QS,
	PX_H1_C_EXT_QP,		/* after '\' in a quoted string */
	PX_H1_C_EXT_AFTER,	/* after the closing quote */
	PX_H1_C_EXT_WS,		/* BWS after a value: ';' must follow */
	PX_H1_C_SIZE_LF,
	PX_H1_C_DATA,
	PX_H1_C_DATA_CR,
	PX_H1_C_DATA_LF,
	PX_H1_C_TRL_START,	/* a trailer field or the final empty line */
	PX_H1_C_TRL_NAME,
	PX_H1_C_TRL_VALUE,
	PX_H1_C_TRL_LF,
	PX_H1_C_END_LF,
};

/* Fields the parser reads or that are hop-by-hop (see h1.h). */
static const struct {
	const char	*name;		/* lower case */
	size_t		 len;
	uint8_t		 kind;
	bool		 hop;
} px_h1_fields[] = {
	{ "te", 2, PX_H1_H_TE, true },
	{ "host", 4, PX_H1_H_HOST, false },
	{ "expect", 6, PX_H1_H_EXPECT, false },
	{ "trailer", 7, PX_H1_H_TRAILER, false },
	{ "upgrade", 7, PX_H1_H_UPGRADE, true },
	{ "connection", 10, PX_H1_H_CONNECTION, true },
	{ "keep-alive", 10, PX_H1_H_KEEP_ALIVE, true },
	{ "content-length", 14, PX_H1_H_CONTENT_LENGTH, false },
	{ "proxy-connection", 16, PX_H1_H_PROXY_CONNECTION, true },
	{ "transfer-encoding", 17, PX_H1_H_TRANSFER_ENCODING, false },
};

static const struct {
	const char	*name;
	size_t		 len;
	enum px_h1_meth	 meth;
} px_h1_meths[] = {
	{ "GET", 3, PX_H1_M_GET },
	{ "PUT", 3, PX_H1_M_PUT },
	{ "HEAD", 4, PX_H1_M_HEAD },
	{ "POST", 4, PX_H1_M_POST },
	{ "TRACE", 5, PX_H1_M_TRACE },
	{ "PATCH", 5, PX_H1_M_PATCH },
	{ "DELETE", 6, PX_H1_M_DELETE },
	{ "CONNECT", 7, PX_H1_M_CONNECT },
	{ "OPTIONS", 7, PX_H1_M_OPTIONS },
};

/* Records the error; a backend's mistake is never the client's: 502. */
static int
px_h1_fail(struct px_h1 *st, int status, const char *reason)
{
	st->err_status = st->mode == PX_H1_RESP ? 502 : status;
	st->err_reason = reason;
	return (-1);
}

static struct px_h1_span
px_h1_sp(size_t off, size_t len)
{
	struct px_h1_span s;

	/* Offsets stay below PX_H1_HEAD_CAP, which fits 32 bits. */
	s.off = (uint32_t)off;
	s.len = (uint32_t)len;
	return (s);
}

static unsigned char
px_h1_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* ASCII case-insensitive equality of n bytes; no locale. */
static bool
px_h1_ieq(const unsigned char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (px_h1_lower(a[i]) != px_h1_lower((unsigned char)b[i]))
			return (false);
	return (true);
}

#define PX_H1_IS(s, n, lit) \
	((n) == sizeof(lit) - 1 && px_h1_ieq((s), (lit), sizeof(lit) - 1))

/*
 * The one number helper: n > 0 decimal digits, nothing else, value <= max.
 * Returns 0 and sets *out, or -1.
 */
static int
px_h1_num(const unsigned char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t	 x = 0;
	size_t		 i;

	if (n == 0)
		return (-1);
	for (i = 0; i < n; i++) {
		unsigned d = s[i] - '0';

		if (!CC(s[i], CC_DIGIT))
			return (-1);
		if (x > (max - d) / 10)
			return (-1);
		x = x * 10 + d;
	}
	*out = x;
	return (0);
}

/* True if every '%' in s[0..n) starts a %HH escape. */
static bool
px_h1_pct_ok(const unsigned char *s, size_t n)
{
	const unsigned char *p = s, *end = s + n;

	while ((p = memchr(p, '%', (size_t)(end - p))) != NULL) {
		if (end - p < 3 || !CC(p[1], CC_HEX) || !CC(p[2], CC_HEX))
			return (false);
		p += 3;
	}
	return (true);
}

/* Path and query of a target: pchar, '/', '?', valid escapes. */
static bool
px_h1_path_ok(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!CC(s[i], CC_PATHQ))
			return (false);
	return (px_h1_pct_ok(s, n));
}

/*
 * uri-host [ ":" port ] (RFC 9110 section 4.2.1 and 7.2).  Empty passes
 * unless need_port, as does an empty port.  A port has at most 5 digits and
 * is <= 65535; an IP-literal must be an IPv6 address (no zone, no
 * IPvFuture).  Returns 0 or -1.
 */
static int
px_h1_host_ok(const unsigned char *s, size_t n, bool need_port)
{
	uint64_t	 port;
	size_t		 p = 0;

	if (n == 0)
		return (need_port ? -1 : 0);
	if (s[0] == '[') {
		char		 ip[INET6_ADDRSTRLEN];
		struct in6_addr	 a6;

		for (p = 1; p < n && s[p] != ']'; p++)
			;
		if (p == n || p == 1 || p - 1 >= sizeof(ip))
			return (-1);
		memcpy(ip, s + 1, p - 1);
		ip[p - 1] = '\0';
		if (inet_pton(AF_INET6, ip, &a6) != 1)
			return (-1);
		p++;
	} else {
		while (p < n && CC(s[p], CC_REG))
			p++;
		if (p == 0 || !px_h1_pct_ok(s, p))
			return (-1);
	}
	if (p == n)
		return (need_port ? -1 : 0);
	if (s[p++] != ':')
		return (-1);
	if (p == n)
		return (need_port ? -1 : 0);
	if (n - p > 5 || px_h1_num(s + p, n - p, 65535, &port) == -1)
		return (-1);
	return (0);
}

/*
 * Next element of a comma-separated list (RFC 9110 section 5.6.1) in
 * v[*i..n): sets [*eoff, *eoff + *elen) without the OWS around it and moves
 * *i past the comma.  Returns false once the list is used up.  A comma
 * inside a quoted string does not split; an unterminated quote runs to the
 * end and the element parser then refuses it.
 */
static bool
px_h1_list_next(const unsigned char *v, size_t n, size_t *i, size_t *eoff,
    size_t *elen)
{
	size_t	 p = *i, s, e;
	bool	 q = false;

	if (p > n)
		return (false);
	while (p < n && CC(v[p], CC_WS))
		p++;
	for (s = p; p < n; p++) {
		if (q) {
			if (v[p] == '\\' && p + 1 < n)
				p++;
			else if (v[p] == '"')
				q = false;
		} else if (v[p] == '"')
			q = true;
		else if (v[p] == ',')
			break;
	}
	for (e = p; e > s && CC(v[e - 1], CC_WS); e--)
		;
	*eoff = s;
	*elen = e - s;
	*i = p + 1;
	return (true);
}

/* Skips a quoted-string starting at e[*p] == '"'; -1 if malformed. */
static int
px_h1_qstring(const unsigned char *e, size_t n, size_t *p)
{
	size_t i;

	for (i = *p + 1; i < n; i++) {
		if (e[i] == '"') {
			*p = i + 1;
			return (0);
		}
		/* Field values hold field-vchar and WS only, so does qdtext. */
		if (e[i] == '\\' && ++i == n)
			return (-1);
	}
	return (-1);
}

/*
 * token *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ), the shape
 * of a transfer-coding (RFC 9110 section 5.6.6).  Sets *tlen to the length
 * of the leading token and *params if any ';' follows.  Returns 0 or -1.
 */
static int
px_h1_tok_params(const unsigned char *e, size_t n, size_t *tlen,
    bool *params)
{
	size_t p = 0, s;

	while (p < n && CC(e[p], CC_TCHAR))
		p++;
	if (p == 0)
		return (-1);
	*tlen = p;
	*params = false;
	for (;;) {
		while (p < n && CC(e[p], CC_WS))
			p++;
		if (p == n)
			return (0);
		if (e[p++] != ';')
			return (-1);
		*params = true;
		while (p < n && CC(e[p], CC_WS))
			p++;
		if (p == n || e[p] == ';')
			continue;
		for (s = p; p < n && CC(e[p], CC_TCHAR); p++)
			;
		if (p == s || p == n || e[p++] != '=' || p == n)
			return (-1);
		if (e[p] == '"') {
			if (px_h1_qstring(e, n, &p) == -1)
				return (-1);
		} else {
			for (s = p; p < n && CC(e[p], CC_TCHAR); p++)
				;
			if (p == s)
				return (-1);
		}
	}
}

/* True if e[0..n) is all tchar and not empty. */
static bool
px_h1_token(const unsigned char *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!CC(e[i], CC_TCHAR))
			return (false);
	return (n > 0);
}

static int
px_h1_clen(struct px_h1 *st, const unsigned char *v, size_t n)
{
	size_t		 i = 0, eoff, elen, k;
	uint64_t	 x;

	while (px_h1_list_next(v, n, &i, &eoff, &elen)) {
		for (k = 0; k < elen; k++)
			if (!CC(v[eoff + k], CC_DIGIT))
				break;
		if (elen == 0 || k < elen)
			return (px_h1_fail(st, 400, "bad Content-Length"));
		if (px_h1_num(v + eoff, elen, PX_H1_NUM_MAX, &x) == -1)
			return (px_h1_fail(st, 400,
			    "Content-Length too large"));
		if (st->cl_seen && x != st->clen)
			return (px_h1_fail(st, 400,
			    "Content-Length values differ"));
		st->cl_seen = true;
		st->clen = x;
	}
	return (0);
}

static int
px_h1_te(struct px_h1 *st, const unsigned char *v, size_t n)
{
	size_t	 i = 0, eoff, elen, tlen;
	bool	 params;

	st->te_seen = true;
	while (px_h1_list_next(v, n, &i, &eoff, &elen)) {
		if (elen == 0)
			continue;
		if (px_h1_tok_params(v + eoff, elen, &tlen, &params) == -1)
			return (px_h1_fail(st, 400, "bad Transfer-Encoding"));
		st->te_n++;
		if (PX_H1_IS(v + eoff, tlen, "chunked")) {
			if (params)
				return (px_h1_fail(st, 400,
				    "parameters on chunked"));
			if (st->te_chunked)
				return (px_h1_fail(st, 400,
				    "chunked applied twice"));
			st->te_chunked = st->te_last = true;
		} else {
			st->te_last = false;
			st->te_other = true;
		}
	}
	return (0);
}

static int
px_h1_conn(struct px_h1 *st, const unsigned char *b, size_t voff,
    size_t vlen)
{
	const unsigned char	*v = b + voff;
	size_t			 i = 0, eoff, elen;

	while (px_h1_list_next(v, vlen, &i, &eoff, &elen)) {
		if (elen == 0)
			continue;
		if (!px_h1_token(v + eoff, elen))
			return (px_h1_fail(st, 400, "bad Connection"));
		if (PX_H1_IS(v + eoff, elen, "close"))
			st->conn_close = true;
		else if (PX_H1_IS(v + eoff, elen, "keep-alive"))
			st->conn_ka = true;
		else if (PX_H1_IS(v + eoff, elen, "upgrade"))
			st->conn_upgrade = true;
		else if (st->nconn_opt == PX_H1_CONN_OPT_MAX)
			return (px_h1_fail(st, 400,
			    "too many Connection options"));
		else
			st->conn_opt[st->nconn_opt++] = px_h1_sp(voff + eoff,
			    elen);
	}
	return (0);
}

/* protocol-name [ "/" protocol-version ], both tokens (RFC 9110 7.8). */
static int
px_h1_upgrade(struct px_h1 *st, const unsigned char *v, size_t n)
{
	const unsigned char	*sl;
	size_t			 i = 0, eoff, elen, a;

	st->upgrade_seen = true;
	while (px_h1_list_next(v, n, &i, &eoff, &elen)) {
		if (elen == 0)
			continue;
		sl = memchr(v + eoff, '/', elen);
		a = sl ? (size_t)(sl - (v + eoff)) : elen;
		if (!px_h1_token(v + eoff, a) ||
		    (sl && !px_h1_token(sl + 1, elen - a - 1)))
			return (px_h1_fail(st, 400, "bad Upgrade"));
	}
	return (0);
}

static void
px_h1_expect(struct px_h1 *st, const unsigned char *v, size_t n)
{
	size_t i = 0, eoff, elen;

	/* Other expectations go on to the backend, which may answer 417. */
	while (px_h1_list_next(v, n, &i, &eoff, &elen))
		if (PX_H1_IS(v + eoff, elen, "100-continue"))
			st->expect_continue = true;
}

/* A complete field line: records it and reads the fields we act on. */
static int
px_h1_field(struct px_h1 *st, const unsigned char *b, size_t noff,
    size_t nlen, size_t voff, size_t vlen)
{
	struct px_h1_hdr	*h = &st->hdr[st->nhdr++];
	const unsigned char	*v = b + voff;
	size_t			 i;

	h->name = px_h1_sp(noff, nlen);
	h->value = px_h1_sp(voff, vlen);
	h->kind = PX_H1_H_OTHER;
	h->hop = false;
	for (i = 0; i < sizeof(px_h1_fields) / sizeof(px_h1_fields[0]); i++)
		if (px_h1_fields[i].len == nlen &&
		    px_h1_ieq(b + noff, px_h1_fields[i].name, nlen)) {
			h->kind = px_h1_fields[i].kind;
			h->hop = px_h1_fields[i].hop;
			break;
		}
	switch (h->kind) {
	case PX_H1_H_CONTENT_LENGTH:
		return (px_h1_clen(st, v, vlen));
	case PX_H1_H_TRANSFER_ENCODING:
		return (px_h1_te(st, v, vlen));
	case PX_H1_H_CONNECTION:
		return (px_h1_conn(st, b, voff, vlen));
	case PX_H1_H_UPGRADE:
		return (px_h1_upgrade(st, v, vlen));
	case PX_H1_H_HOST:
		if (st->mode == PX_H1_RESP)
			break;
		/* RFC 9112 section 3.2: several Host lines are a 400. */
		if (++st->nhost > 1)
			return (px_h1_fail(st, 400, "several Host fields"));
		if (px_h1_host_ok(v, vlen, false) == -1)
			return (px_h1_fail(st, 400, "bad Host"));
		st->host = (int)st->nhdr - 1;
		break;
	case PX_H1_H_EXPECT:
		if (st->mode == PX_H1_REQ)
			px_h1_expect(st, v, vlen);
		break;
	default:
		break;
	}
	return (0);
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3); sets version. */
static int
px_h1_version(struct px_h1 *st, const unsigned char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !CC(v[5], CC_DIGIT) ||
	    v[6] != '.' || !CC(v[7], CC_DIGIT))
		return (px_h1_fail(st, 400, "bad HTTP version"));
	if (v[5] != '1')
		return (px_h1_fail(st, 505, "HTTP version not supported"));
	st->version = v[7] == '0' ? 10 : 11;
	return (0);
}

/* Classifies and checks the finished request-target (RFC 9112 3.2). */
static int
px_h1_target(struct px_h1 *st, const unsigned char *b)
{
	const unsigned char	*t = b + st->target.off;
	size_t			 n = st->target.len, a, i;

	if (st->meth == PX_H1_M_CONNECT) {
		if (px_h1_host_ok(t, n, true) == -1)
			return (px_h1_fail(st, 400,
			    "CONNECT without host:port"));
		st->form = PX_H1_FORM_AUTHORITY;
		st->authority = st->target;
		st->path = px_h1_sp(st->target.off + n, 0);
		return (0);
	}
	st->path = st->target;
	if (t[0] == '/') {
		if (!px_h1_path_ok(t, n))
			return (px_h1_fail(st, 400, "bad request-target"));
		st->form = PX_H1_FORM_ORIGIN;
		return (0);
	}
	if (n == 1 && t[0] == '*') {
		if (st->meth != PX_H1_M_OPTIONS)
			return (px_h1_fail(st, 400,
			    "asterisk-form without OPTIONS"));
		st->form = PX_H1_FORM_ASTERISK;
		return (0);
	}
	if (n >= 7 && px_h1_ieq(t, "http://", 7))
		a = 7;
	else if (n >= 8 && px_h1_ieq(t, "https://", 8))
		a = 8;
	else
		return (px_h1_fail(st, 400, "bad request-target"));
	for (i = a; i < n && t[i] != '/' && t[i] != '?'; i++)
		;
	if (memchr(t + a, '@', i - a) != NULL)
		return (px_h1_fail(st, 400, "userinfo in request-target"));
	if (i == a || px_h1_host_ok(t + a, i - a, false) == -1)
		return (px_h1_fail(st, 400, "bad host in request-target"));
	if (!px_h1_path_ok(t + i, n - i))
		return (px_h1_fail(st, 400, "bad request-target"));
	st->form = PX_H1_FORM_ABSOLUTE;
	st->authority = px_h1_sp(st->target.off + a, i - a);
	st->path = px_h1_sp(st->target.off + i, n - i);
	return (0);
}

/* Marks the fields that Connection options name as hop-by-hop. */
static void
px_h1_conn_hop(struct px_h1 *st, const unsigned char *b)
{
	size_t i, k;

	for (i = 0; i < st->nhdr; i++) {
		struct px_h1_hdr *h = &st->hdr[i];

		if (h->hop || h->kind == PX_H1_H_CONTENT_LENGTH ||
		    h->kind == PX_H1_H_HOST)
			continue;
		for (k = 0; k < st->nconn_opt; k++)
			if (st->conn_opt[k].len == h->name.len &&
			    px_h1_ieq(b + h->name.off,
			    (const char *)b + st->conn_opt[k].off,
			    h->name.len)) {
				h->hop = true;
				break;
			}
	}
}

/* RFC 9112 section 6.3 for a request, plus what the issue asks. */
static int
px_h1_finish_req(struct px_h1 *st)
{
	if (st->version == 11 && st->nhost == 0)
		return (px_h1_fail(st, 400, "no Host field"));
	if (st->te_seen) {
		if (st->version == 10)
			return (px_h1_fail(st, 400,
			    "Transfer-Encoding in HTTP/1.0"));
		if (st->cl_seen)
			return (px_h1_fail(st, 400,
			    "Transfer-Encoding with Content-Length"));
		if (st->te_n == 0)
			return (px_h1_fail(st, 400,
			    "empty Transfer-Encoding"));
		if (!st->te_last)
			return (px_h1_fail(st, 501,
			    "Transfer-Encoding not ending in chunked"));
		st->framing = PX_H1_BODY_CHUNKED;
	} else if (st->cl_seen) {
		st->framing = PX_H1_BODY_LENGTH;
		if (st->lim.body_max != 0 && st->clen > st->lim.body_max)
			return (px_h1_fail(st, 413, "body larger than limit"));
	}
	/* A CONNECT request has no content; what follows is the tunnel. */
	if (st->meth == PX_H1_M_CONNECT && (st->te_seen || st->cl_seen))
		return (px_h1_fail(st, 400, "CONNECT with a body"));
	if (st->version == 11) {
		st->keep_alive = !st->conn_close;
		st->upgrade = st->conn_upgrade && st->upgrade_seen;
	} else {
		st->keep_alive = st->conn_ka && !st->conn_close;
		/* RFC 9110 section 10.1.1: ignored in an HTTP/1.0 request. */
		st->expect_continue = false;
	}
	return (0);
}

/* RFC 9112 section 6.3 for a response. */
static int
px_h1_finish_resp(struct px_h1 *st)
{
	if (st->status < 200) {
		if (st->status == 101) {
			st->framing = PX_H1_BODY_TUNNEL;
			st->upgrade = true;
		} else
			st->interim = true;
	} else if (st->req_meth == PX_H1_M_HEAD || st->status == 204 ||
	    st->status == 304)
		st->framing = PX_H1_BODY_NONE;
	else if (st->req_meth == PX_H1_M_CONNECT && st->status < 300)
		st->framing = PX_H1_BODY_TUNNEL;
	else if (st->te_seen) {
		if (st->version == 10)
			return (px_h1_fail(st, 502,
			    "Transfer-Encoding in HTTP/1.0"));
		if (st->cl_seen)
			return (px_h1_fail(st, 502,
			    "Transfer-Encoding with Content-Length"));
		if (st->te_n == 0)
			return (px_h1_fail(st, 502,
			    "empty Transfer-Encoding"));
		st->framing = st->te_last ? PX_H1_BODY_CHUNKED :
		    PX_H1_BODY_UNTIL_CLOSE;
	} else if (st->cl_seen)
		st->framing = PX_H1_BODY_LENGTH;
	else
		st->framing = PX_H1_BODY_UNTIL_CLOSE;
	if (st->version == 11)
		st->keep_alive = !st->conn_close;
	else
		st->keep_alive = st->conn_ka && !st->conn_close;
	if (st->framing == PX_H1_BODY_UNTIL_CLOSE ||
	    st->framing == PX_H1_BODY_TUNNEL)
		st->keep_alive = false;
	return (0);
}

static int
px_h1_finish(struct px_h1 *st, const unsigned char *b, size_t p)
{
	int rc;

	st->head_len = p;
	st->hstate = PX_H1_S_DONE;
	if (st->mode == PX_H1_REQ) {
		rc = px_h1_finish_req(st);
		if (st->host >= 0 && st->form != PX_H1_FORM_ABSOLUTE &&
		    st->form != PX_H1_FORM_AUTHORITY)
			st->authority = st->hdr[st->host].value;
	} else
		rc = px_h1_finish_resp(st);
	if (rc == -1)
		return (-1);
	if (st->nconn_opt > 0)
		px_h1_conn_hop(st, b);
	st->left = st->clen;
	st->done = st->framing == PX_H1_BODY_NONE ||
	    (st->framing == PX_H1_BODY_LENGTH && st->clen == 0);
	return ((int)p);
}

/*
 * Skips field-vchar and WS (a field value or a reason phrase).  Values are
 * most of a head, so this looks at 8 bytes at a time: a word passes if no
 * byte is below 0x20 or DEL; a word with an HTAB, or the end of the value,
 * goes one byte at a time.
 */
static size_t
px_h1_skip_value(const unsigned char *b, size_t p, size_t end)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w, d;

	for (;;) {
		while (end - p >= 8) {
			memcpy(&w, b + p, 8);
			d = w ^ (ones * 0x7f);
			if ((((w - ones * 0x20) & ~w) | ((d - ones) & ~d)) &
			    high)
				break;
			p += 8;
		}
		if (p == end || !CC(b[p], CC_FVCHAR | CC_WS))
			return (p);
		p++;
	}
}

/* A field line ended at the LF at b[p]; the CR is at p - 1. */
static int
px_h1_field_end(struct px_h1 *st, const unsigned char *b, size_t p)
{
	size_t e = p - 1;

	while (e > st->vstart && CC(b[e - 1], CC_WS))
		e--;
	return (px_h1_field(st, b, st->tok, st->nlen, st->vstart,
	    e - st->vstart));
}

/*
 * The request line.  Returns 1 to go on, 0 at the end of the bytes, -1 on
 * error; *pp is moved past what was read.
 */
static int
px_h1_reqline(struct px_h1 *st, const unsigned char *b, size_t *pp,
    size_t end)
{
	size_t p = *pp;

	while (p < end && st->hstate < PX_H1_S_SL_VERSION) {
		switch (st->hstate) {
		case PX_H1_S_RL_START:
			if (b[p] == '\r') {
				if (st->empties == PX_H1_EMPTY_MAX)
					return (px_h1_fail(st, 400,
					    "too many empty lines"));
				st->hstate = PX_H1_S_RL_EMPTY_LF;
				p++;
				break;
			}
			if (b[p] == '\n')
				return (px_h1_fail(st, 400, "bare LF"));
			if (!CC(b[p], CC_TCHAR))
				return (px_h1_fail(st, 400, "bad method"));
			st->tok = (uint32_t)p;
			st->hstate = PX_H1_S_METHOD;
			break;
		case PX_H1_S_RL_EMPTY_LF:
			if (b[p] != '\n')
				return (px_h1_fail(st, 400, "CR without LF"));
			st->empties++;
			st->hstate = PX_H1_S_RL_START;
			p++;
			break;
		case PX_H1_S_METHOD:
			while (p < end && CC(b[p], CC_TCHAR))
				p++;
			if (p == end)
				break;
			if (b[p] != ' ')
				return (px_h1_fail(st, 400, "bad method"));
			st->method = px_h1_sp(st->tok, p - st->tok);
			st->meth = px_h1_meth_of((const char *)b + st->tok,
			    p - st->tok);
			if (st->meth == PX_H1_M_CONNECT && !st->lim.connect)
				return (px_h1_fail(st, 501,
				    "CONNECT not allowed"));
			st->tok = (uint32_t)++p;
			st->hstate = PX_H1_S_TARGET;
			break;
		case PX_H1_S_TARGET:
			while (p < end && CC(b[p], CC_URI))
				p++;
			if (p - st->tok > st->lim.uri_max)
				return (px_h1_fail(st, 414,
				    "request-target too long"));
			if (p == end)
				break;
			if (b[p] != ' ')
				return (px_h1_fail(st, 400, p == st->tok ?
				    "bad request line" : b[p] == '\r' ?
				    "no HTTP version" : "bad request-target"));
			if (p == st->tok)
				return (px_h1_fail(st, 400,
				    "bad request line"));
			st->target = px_h1_sp(st->tok, p - st->tok);
			if (px_h1_target(st, b) == -1)
				return (-1);
			st->tok = (uint32_t)++p;
			st->hstate = PX_H1_S_VERSION;
			break;
		case PX_H1_S_VERSION:
			while (p < end && p - st->tok <= 8 &&
			    CC(b[p], CC_FVCHAR))
				p++;
			if (p - st->tok > 8)
				return (px_h1_fail(st, 400,
				    "bad HTTP version"));
			if (p == end)
				break;
			if (b[p] != '\r')
				return (px_h1_fail(st, 400, b[p] == '\n' ?
				    "bare LF" : "bad request line"));
			if (px_h1_version(st, b + st->tok,
			    p - st->tok) == -1)
				return (-1);
			st->hstate = PX_H1_S_RL_LF;
			p++;
			break;
		case PX_H1_S_RL_LF:
			if (b[p] != '\n')
				return (px_h1_fail(st, 400, "CR without LF"));
			st->hstate = PX_H1_S_H_START;
			p++;
			break;
		}
	}
	*pp = p;
	return (p < end ? 1 : 0);
}

/* The status line; same contract as px_h1_reqline. */
static int
px_h1_statusline(struct px_h1 *st, const unsigned char *b, size_t *pp,
    size_t end)
{
	size_t		 p = *pp;
	uint64_t	 code;

	while (p < end && st->hstate < PX_H1_S_H_START) {
		switch (st->hstate) {
		case PX_H1_S_SL_VERSION:
			while (p < end && p - st->tok <= 8 &&
			    CC(b[p], CC_FVCHAR))
				p++;
			if (p - st->tok > 8)
				return (px_h1_fail(st, 502,
				    "bad HTTP version"));
			if (p == end)
				break;
			if (b[p] != ' ')
				return (px_h1_fail(st, 502,
				    "bad status line"));
			if (px_h1_version(st, b + st->tok,
			    p - st->tok) == -1)
				return (-1);
			st->tok = (uint32_t)++p;
			st->hstate = PX_H1_S_SL_STATUS;
			break;
		case PX_H1_S_SL_STATUS:
			while (p < end && p - st->tok <= 3 &&
			    CC(b[p], CC_DIGIT))
				p++;
			if (p - st->tok > 3)
				return (px_h1_fail(st, 502,
				    "bad status code"));
			if (p == end)
				break;
			if ((b[p] != ' ' && b[p] != '\r') ||
			    p - st->tok != 3 || px_h1_num(b + st->tok, 3, 599,
			    &code) == -1 || code < 100)
				return (px_h1_fail(st, 502,
				    "bad status code"));
			st->status = (int)code;
			/* "HTTP/1.1 200\r\n" lacks the SP; common, harmless. */
			if (b[p] == '\r') {
				st->reason = px_h1_sp(p, 0);
				st->hstate = PX_H1_S_SL_LF;
			} else
				st->hstate = PX_H1_S_SL_REASON;
			st->tok = (uint32_t)++p;
			break;
		case PX_H1_S_SL_REASON:
			p = px_h1_skip_value(b, p, end);
			if (p == end)
				break;
			if (b[p] != '\r')
				return (px_h1_fail(st, 502,
				    "bad reason phrase"));
			st->reason = px_h1_sp(st->tok, p - st->tok);
			st->hstate = PX_H1_S_SL_LF;
			p++;
			break;
		case PX_H1_S_SL_LF:
			if (b[p] != '\n')
				return (px_h1_fail(st, 502, "CR without LF"));
			st->hstate = PX_H1_S_H_START;
			p++;
			break;
		}
	}
	*pp = p;
	return (p < end ? 1 : 0);
}

/* Field lines and the final empty line; same contract as px_h1_reqline. */
static int
px_h1_fieldline(struct px_h1 *st, const unsigned char *b, size_t *pp,
    size_t end)
{
	size_t p = *pp;

	while (p < end) {
		switch (st->hstate) {
		case PX_H1_S_H_START:
			if (b[p] == '\r') {
				st->hstate = PX_H1_S_END_LF;
				p++;
				break;
			}
			if (b[p] == '\n')
				return (px_h1_fail(st, 400, "bare LF"));
			/* RFC 9112 section 5.2 allows refusing obs-fold. */
			if (CC(b[p], CC_WS))
				return (px_h1_fail(st, 400, st->nhdr ?
				    "obsolete line folding" :
				    "whitespace before first field"));
			if (!CC(b[p], CC_TCHAR))
				return (px_h1_fail(st, 400, "bad field name"));
			if (st->nhdr >= st->hdr_max)
				return (px_h1_fail(st, 431,
				    "too many header fields"));
			st->tok = (uint32_t)p;
			st->hstate = PX_H1_S_H_NAME;
			break;
		case PX_H1_S_H_NAME:
			while (p < end && CC(b[p], CC_TCHAR))
				p++;
			if (p == end)
				break;
			if (b[p] != ':')
				return (px_h1_fail(st, 400, CC(b[p], CC_WS) ?
				    "whitespace before colon" :
				    "bad field name"));
			st->nlen = (uint32_t)(p - st->tok);
			st->hstate = PX_H1_S_H_OWS;
			p++;
			break;
		case PX_H1_S_H_OWS:
			while (p < end && CC(b[p], CC_WS))
				p++;
			if (p == end)
				break;
			st->vstart = (uint32_t)p;
			st->hstate = PX_H1_S_H_VALUE;
			break;
		case PX_H1_S_H_VALUE:
			p = px_h1_skip_value(b, p, end);
			if (p == end)
				break;
			if (b[p] != '\r')
				return (px_h1_fail(st, 400, b[p] == '\n' ?
				    "bare LF" : b[p] == '\0' ?
				    "NUL in field value" :
				    "control character in field value"));
			st->hstate = PX_H1_S_H_LF;
			p++;
			break;
		case PX_H1_S_H_LF:
			if (b[p] != '\n')
				return (px_h1_fail(st, 400,
				    "CR in field value"));
			if (px_h1_field_end(st, b, p) == -1)
				return (-1);
			st->hstate = PX_H1_S_H_START;
			p++;
			break;
		case PX_H1_S_END_LF:
			if (b[p] != '\n')
				return (px_h1_fail(st, 400, "CR without LF"));
			*pp = p + 1;
			return (2);
		}
	}
	*pp = p;
	return (p < end ? 1 : 0);
}

int
px_h1_parse_head(struct px_h1 *st, const char *buf, size_t len)
{
	const unsigned char	*b = (const unsigned char *)buf;
	size_t			 p = st->pos, end;
	int			 rc = 1;

	if (st->err_status != 0)
		return (-1);
	if (st->hstate == PX_H1_S_DONE)
		return ((int)st->head_len);
	/* Bytes past head_max can never belong to an acceptable head. */
	end = len < st->lim.head_max ? len : st->lim.head_max;
	while (p < end && rc == 1) {
		if (st->hstate >= PX_H1_S_H_START)
			rc = px_h1_fieldline(st, b, &p, end);
		else if (st->hstate >= PX_H1_S_SL_VERSION)
			rc = px_h1_statusline(st, b, &p, end);
		else
			rc = px_h1_reqline(st, b, &p, end);
	}
	if (rc == -1)
		return (-1);
	if (rc == 2)
		return (px_h1_finish(st, b, p));
	st->pos = (uint32_t)p;
	if (p >= st->lim.head_max)
		return (px_h1_fail(st, 431, "header section too large"));
	return (0);
}

/* Ends the line of a chunk size: data, or the trailer section, next. */
static int
px_h1_chunk_line(struct px_h1 *st)
{
	if (st->csize == 0) {
		st->cstate = PX_H1_C_TRL_START;
		return (0);
	}
	if (st->lim.body_max != 0 &&
	    st->csize > st->lim.body_max - st->body_bytes)
		return (px_h1_fail(st, 413, "body larger than limit"));
	st->left = st->csize;
	st->csize = 0;
	st->cdigits = 0;
	st->cext = 0;
	st->cstate = PX_H1_C_DATA;
	return (0);
}

/* One byte of a chunk-ext (RFC 9112 section 7.1.1); 0 or -1. */
static int
px_h1_chunk_ext(struct px_h1 *st, unsigned char c)
{
	bool ws = CC(c, CC_WS) != 0, tc = CC(c, CC_TCHAR) != 0;

	if (++st->cext > st->lim.chunk_ext_max)
		return (px_h1_fail(st, 400, "chunk extension too long"));
	switch (st->cstate) {
	case PX_H1_C_SIZE_WS:
	case PX_H1_C_EXT_WS:
		if (c == ';')
			st->cstate = PX_H1_C_EXT_NAME0;
		else if (!ws)
			goto bad;
		return (0);
	case PX_H1_C_EXT_NAME0:
		if (tc)
			st->cstate = PX_H1_C_EXT_NAME;
		else if (!ws)
			goto bad;
		return (0);
	case PX_H1_C_EXT_NAME:
	case PX_H1_C_EXT_NAME_WS:
		if (c == '=')
			st->cstate = PX_H1_C_EXT_VAL0;
		else if (c == ';')
			st->cstate = PX_H1_C_EXT_NAME0;
		else if (ws)
			st->cstate = PX_H1_C_EXT_NAME_WS;
		else if (!tc || st->cstate != PX_H1_C_EXT_NAME)
			goto bad;
		return (0);
	case PX_H1_C_EXT_VAL0:
		if (c == '"')
			st->cstate = PX_H1_C_EXT_QS;
		else if (tc)
			st->cstate = PX_H1_C_EXT_TOKEN;
		else if (!ws)
			goto bad;
		return (0);
	case PX_H1_C_EXT_TOKEN:
	case PX_H1_C_EXT_AFTER:
		if (c == ';')
			st->cstate = PX_H1_C_EXT_NAME0;
		else if (ws)
			st->cstate = PX_H1_C_EXT_WS;
		else if (!tc || st->cstate != PX_H1_C_EXT_TOKEN)
			goto bad;
		return (0);
	case PX_H1_C_EXT_QS:
		if (c == '"')
			st->cstate = PX_H1_C_EXT_AFTER;
		else if (c == '\\')
			st->cstate = PX_H1_C_EXT_QP;
		else if (!CC(c, CC_FVCHAR | CC_WS))
			goto bad;
		return (0);
	case PX_H1_C_EXT_QP:
		if (!CC(c, CC_FVCHAR | CC_WS))
			goto bad;
		st->cstate = PX_H1_C_EXT_QS;
		return (0);
	}
bad:
	return (px_h1_fail(st, 400, "bad chunk extension"));
}

/* True in the states where a chunk-size line may end. */
static bool
px_h1_ext_can_end(uint8_t cs)
{
	return (cs == PX_H1_C_EXT_NAME || cs == PX_H1_C_EXT_TOKEN ||
	    cs == PX_H1_C_EXT_AFTER);
}

/* One byte of the trailer section (RFC 9112 section 7.1.2); 0 or -1. */
static int
px_h1_trailer(struct px_h1 *st, unsigned char c)
{
	if (st->cstate != PX_H1_C_TRL_START || c != '\r')
		if (++st->ctrl > st->lim.trailer_max)
			return (px_h1_fail(st, 431,
			    "trailer section too large"));
	switch (st->cstate) {
	case PX_H1_C_TRL_START:
		if (c == '\r')
			st->cstate = PX_H1_C_END_LF;
		else if (CC(c, CC_TCHAR)) {
			st->tname[0] = (char)px_h1_lower(c);
			st->tnlen = 1;
			st->cstate = PX_H1_C_TRL_NAME;
		} else
			return (px_h1_fail(st, 400, c == '\n' ? "bare LF" :
			    CC(c, CC_WS) ? "obsolete line folding" :
			    "bad trailer field"));
		return (0);
	case PX_H1_C_TRL_NAME:
		if (CC(c, CC_TCHAR)) {
			/* Longer names than tname cannot be ones we refuse. */
			if (st->tnlen < sizeof(st->tname))
				st->tname[st->tnlen++] = (char)px_h1_lower(c);
			else
				st->tnlen = sizeof(st->tname) + 1;
			return (0);
		}
		if (c != ':')
			return (px_h1_fail(st, 400, CC(c, CC_WS) ?
			    "whitespace before colon" : "bad trailer field"));
		if (PX_H1_IS((const unsigned char *)st->tname, st->tnlen,
		    "content-length") ||
		    PX_H1_IS((const unsigned char *)st->tname, st->tnlen,
		    "transfer-encoding") ||
		    PX_H1_IS((const unsigned char *)st->tname, st->tnlen,
		    "host"))
			return (px_h1_fail(st, 400,
			    "framing field in trailer"));
		st->cstate = PX_H1_C_TRL_VALUE;
		return (0);
	case PX_H1_C_TRL_VALUE:
		if (c == '\r')
			st->cstate = PX_H1_C_TRL_LF;
		else if (!CC(c, CC_FVCHAR | CC_WS))
			return (px_h1_fail(st, 400, c == '\n' ? "bare LF" :
			    c == '\0' ? "NUL in field value" :
			    "control character in field value"));
		return (0);
	case PX_H1_C_TRL_LF:
		if (c != '\n')
			return (px_h1_fail(st, 400, "CR in field value"));
		st->cstate = PX_H1_C_TRL_START;
		return (0);
	}
	return (px_h1_fail(st, 400, "bad trailer field"));
}

static int
px_h1_chunked(struct px_h1 *st, const unsigned char *b, size_t len,
    size_t *data_off, size_t *data_len)
{
	size_t p, n;

	for (p = 0; p < len; p++) {
		unsigned char c = b[p];

		switch (st->cstate) {
		case PX_H1_C_SIZE:
			if (CC(c, CC_HEX)) {
				if (st->cdigits == 16)
					return (px_h1_fail(st, 400,
					    "chunk size too long"));
				if (st->csize > PX_H1_NUM_MAX >> 4)
					return (px_h1_fail(st, 400,
					    "chunk size too large"));
				st->csize = st->csize << 4 |
				    (uint64_t)(CC(c, CC_DIGIT) ? c - '0' :
				    (px_h1_lower(c) - 'a' + 10));
				st->cdigits++;
			} else if (st->cdigits == 0)
				return (px_h1_fail(st, 400, "bad chunk size"));
			else if (c == '\r')
				st->cstate = PX_H1_C_SIZE_LF;
			else if (c == ';' || CC(c, CC_WS)) {
				st->cstate = PX_H1_C_SIZE_WS;
				if (px_h1_chunk_ext(st, c) == -1)
					return (-1);
			} else
				return (px_h1_fail(st, 400, c == '\n' ?
				    "bare LF" : "bad chunk size"));
			break;
		case PX_H1_C_SIZE_WS:
		case PX_H1_C_EXT_NAME0:
		case PX_H1_C_EXT_NAME:
		case PX_H1_C_EXT_NAME_WS:
		case PX_H1_C_EXT_VAL0:
		case PX_H1_C_EXT_TOKEN:
		case PX_H1_C_EXT_QS:
		case PX_H1_C_EXT_QP:
		case PX_H1_C_EXT_AFTER:
		case PX_H1_C_EXT_WS:
			if (c == '\r' && px_h1_ext_can_end(st->cstate))
				st->cstate = PX_H1_C_SIZE_LF;
			else if (px_h1_chunk_ext(st, c) == -1)
				return (-1);
			break;
		case PX_H1_C_SIZE_LF:
			if (c != '\n')
				return (px_h1_fail(st, 400, "CR without LF"));
			if (px_h1_chunk_line(st) == -1)
				return (-1);
			break;
		case PX_H1_C_DATA:
			n = len - p < st->left ? len - p : (size_t)st->left;
			*data_off = p;
			*data_len = n;
			st->left -= n;
			st->body_bytes += n;
			if (st->left == 0)
				st->cstate = PX_H1_C_DATA_CR;
			/* One data run per call: the caller gets one range. */
			return ((int)(p + n));
		case PX_H1_C_DATA_CR:
			if (c != '\r')
				return (px_h1_fail(st, 400,
				    "no CRLF after chunk data"));
			st->cstate = PX_H1_C_DATA_LF;
			break;
		case PX_H1_C_DATA_LF:
			if (c != '\n')
				return (px_h1_fail(st, 400,
				    "no CRLF after chunk data"));
			st->cstate = PX_H1_C_SIZE;
			break;
		case PX_H1_C_END_LF:
			if (c != '\n')
				return (px_h1_fail(st, 400, "CR without LF"));
			st->done = true;
			return ((int)(p + 1));
		default:
			if (px_h1_trailer(st, c) == -1)
				return (-1);
			break;
		}
	}
	return ((int)p);
}

int
px_h1_parse_body(struct px_h1 *st, const char *buf, size_t len,
    size_t *data_off, size_t *data_len)
{
	size_t n;

	*data_off = 0;
	*data_len = 0;
	if (st->err_status != 0)
		return (-1);
	if (st->done || len == 0 || st->hstate != PX_H1_S_DONE)
		return (0);
	if (len > PX_H1_STEP)
		len = PX_H1_STEP;
	switch (st->framing) {
	case PX_H1_BODY_CHUNKED:
		return (px_h1_chunked(st, (const unsigned char *)buf, len,
		    data_off, data_len));
	case PX_H1_BODY_LENGTH:
		n = len < st->left ? len : (size_t)st->left;
		st->left -= n;
		st->done = st->left == 0;
		break;
	case PX_H1_BODY_UNTIL_CLOSE:
	case PX_H1_BODY_TUNNEL:
		n = len;
		break;
	default:
		return (0);
	}
	st->body_bytes += n;
	*data_len = n;
	return ((int)n);
}

int
px_h1_eof(struct px_h1 *st)
{
	if (st->err_status != 0)
		return (-1);
	/* Between messages the peer may go; whether it was early is for
	 * the proxy to say. */
	if (st->done || (st->hstate != PX_H1_S_DONE && st->pos == 0))
		return (0);
	if (st->hstate == PX_H1_S_DONE &&
	    (st->framing == PX_H1_BODY_UNTIL_CLOSE ||
	    st->framing == PX_H1_BODY_TUNNEL)) {
		st->done = true;
		return (0);
	}
	return (px_h1_fail(st, 400, st->hstate == PX_H1_S_DONE ?
	    "connection closed inside the body" :
	    "connection closed inside the head"));
}

enum px_h1_meth
px_h1_meth_of(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(px_h1_meths) / sizeof(px_h1_meths[0]); i++)
		if (px_h1_meths[i].len == len &&
		    memcmp(px_h1_meths[i].name, name, len) == 0)
			return (px_h1_meths[i].meth);
	return (PX_H1_M_OTHER);
}

void
px_h1_limits_default(struct px_h1_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->head_max = 64 * 1024;
	lim->uri_max = 8 * 1024;
	lim->hdr_count_max = 100;
	lim->chunk_ext_max = 256;
	lim->trailer_max = 8 * 1024;
	lim->body_max = 0;
	lim->connect = false;
}

void
px_h1_reset(struct px_h1 *st)
{
	struct px_h1_limits	 lim = st->lim;
	enum px_h1_mode		 mode = st->mode;
	struct px_h1_hdr	*hdr = st->hdr;
	size_t			 cap = st->hdr_cap, max = st->hdr_max;
	enum px_h1_meth		 req_meth = st->req_meth;

	memset(st, 0, sizeof(*st));
	st->lim = lim;
	st->mode = mode;
	st->hdr = hdr;
	st->hdr_cap = cap;
	st->hdr_max = max;
	st->req_meth = req_meth;
	st->host = -1;
	st->hstate = mode == PX_H1_REQ ? PX_H1_S_RL_START : PX_H1_S_SL_VERSION;
}

void
px_h1_init(struct px_h1 *st, enum px_h1_mode mode,
    const struct px_h1_limits *lim, struct px_h1_hdr *hdr, size_t hdr_cap)
{
	memset(st, 0, sizeof(*st));
	if (lim != NULL)
		st->lim = *lim;
	else
		px_h1_limits_default(&st->lim);
	if (st->lim.head_max > PX_H1_HEAD_CAP)
		st->lim.head_max = PX_H1_HEAD_CAP;
	st->mode = mode;
	st->hdr = hdr;
	st->hdr_cap = hdr != NULL ? hdr_cap : 0;
	st->hdr_max = st->lim.hdr_count_max < st->hdr_cap ?
	    st->lim.hdr_count_max : st->hdr_cap;
	px_h1_reset(st);
}

void
px_h1_resp_for(struct px_h1 *st, enum px_h1_meth meth)
{
	st->req_meth = meth;
}
