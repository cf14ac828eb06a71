/*
 * Value parsers: numbers, durations, sizes, addresses, prefixes.  Pure
 * functions of their input, so the loader, other modules and the unit tests
 * all share them.  Each writes what it expected into err on failure.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

#define CONF_MS_MAX	(100ULL * 86400 * 1000)	/* longest duration: 100d */
#define CONF_QUOTE_MAX	48			/* input bytes echoed */

static void	conf_seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
conf_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Copies input bytes into buf for an error message.  Messages end up on a
 * terminal or in a log, so control bytes, quotes, backslashes and non-ASCII
 * become \xHH, and long input is cut with "...".  Returns the length written.
 */
size_t
conf_quote(char *buf, size_t len, const char *s, size_t slen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (len == 0)
		return (0);
	for (i = 0; i < slen; i++) {
		if (i == CONF_QUOTE_MAX || o + 8 > len) {
			if (o + 4 <= len) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return (o);
}

static bool
conf_isdigits(const char *s)
{
	return (s[0] != '\0' && s[strspn(s, "0123456789")] == '\0');
}

int
conf_parse_uint(const char *s, uint64_t max, uint64_t *out, char *err,
    size_t errlen)
{
	uint64_t v = 0;

	if (s == NULL || !conf_isdigits(s)) {
		conf_seterr(err, errlen, "expected a number");
		return (-1);
	}
	/* YAML 1.1 reads 0755 as octal; refuse to guess. */
	if (s[0] == '0' && s[1] != '\0') {
		conf_seterr(err, errlen, "expected a number without leading "
		    "zeros");
		return (-1);
	}
	for (; *s != '\0'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (d > max || v > (max - d) / 10) {
			conf_seterr(err, errlen, "number larger than %llu",
			    (unsigned long long)max);
			return (-1);
		}
		v = v * 10 + d;
	}
	*out = v;
	return (0);
}

/*
 * conf_parse_uint with a lower bound and a name for the message:
 * "mtu 1500 not in 1280-1480".  A number too large for 64 bits gets the same
 * message, since it is just as far out of range.
 */
int
conf_uint_range(const char *what, const char *s, uint64_t lo, uint64_t hi,
    uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	bool big = false;

	if (conf_parse_uint(s, UINT64_MAX, &v, err, errlen) == -1) {
		if (!conf_isdigits(s)) {
			conf_seterr(err, errlen, "expected a number %llu-%llu",
			    (unsigned long long)lo, (unsigned long long)hi);
			return (-1);
		}
		if (s[0] == '0')
			return (-1);
		big = true;
	}
	if (big || v < lo || v > hi) {
		char q[CONF_QUOTE_MAX * 4 + 8];

		conf_quote(q, sizeof(q), s, strlen(s));
		conf_seterr(err, errlen, "%s %s not in %llu-%llu", what, q,
		    (unsigned long long)lo, (unsigned long long)hi);
		return (-1);
	}
	*out = v;
	return (0);
}

int
conf_parse_duration(const char *s, uint64_t *ms, char *err, size_t errlen)
{
	static const struct {
		const char	*unit;
		uint64_t	 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 3600 * 1000 }, { "d", 86400 * 1000 },
	};
	uint64_t v = 0, mult = 0;
	size_t i, n;

	if (s == NULL || (n = strspn(s, "0123456789")) == 0)
		goto bad;
	if (s[n] == '\0') {
		conf_seterr(err, errlen, "duration needs a unit: ms, s, m, h, "
		    "d");
		return (-1);
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + n, units[i].unit) == 0)
			mult = units[i].ms;
	if (mult == 0)
		goto bad;
	/* Stop as soon as the digits alone pass the cap: no overflow. */
	for (i = 0; i < n; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > CONF_MS_MAX)
			break;
	}
	if (v > CONF_MS_MAX / mult) {
		conf_seterr(err, errlen, "duration longer than 100d");
		return (-1);
	}
	*ms = v * mult;
	return (0);
bad:
	conf_seterr(err, errlen, "expected a duration like 250ms, 5s, 10m");
	return (-1);
}

int
conf_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
	uint64_t v = 0, d, mult = 1;
	size_t i, n;

	if (s == NULL || (n = strspn(s, "0123456789")) == 0)
		goto bad;
	switch (s[n]) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		break;
	default:
		goto bad;
	}
	if (s[n] != '\0' && s[n + 1] != '\0')
		goto bad;
	for (i = 0; i < n; i++) {
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			goto big;
		v = v * 10 + d;
	}
	if (v > UINT64_MAX / mult)
		goto big;
	*bytes = v * mult;
	return (0);
big:
	conf_seterr(err, errlen, "size too large");
	return (-1);
bad:
	conf_seterr(err, errlen, "expected a size like 512, 64k, 10m, 1g");
	return (-1);
}

/*
 * DNS name syntax (RFC 1123 labels).  An all-digit last label is refused:
 * "10.0.0.300" is a mistyped address, not a name.
 */
static int
conf_hostname_check(const char *h, size_t len, char *err, size_t errlen)
{
	char q[CONF_QUOTE_MAX * 4 + 8];
	const char *why = NULL;
	size_t i, start, llen;
	bool digits = true;

	conf_quote(q, sizeof(q), h, len);
	if (len > 1 && h[len - 1] == '.')
		len--;		/* a fully qualified name */
	if (len > 253)
		why = "longer than 253 characters";
	for (start = 0, i = 0; why == NULL && i <= len; i++) {
		if (i < len && h[i] != '.') {
			if (!((h[i] >= 'a' && h[i] <= 'z') ||
			    (h[i] >= 'A' && h[i] <= 'Z') ||
			    (h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
				why = "only letters, digits, '-' and '.' "
				    "allowed";
			continue;
		}
		llen = i - start;
		if (llen == 0)
			why = "empty label";
		else if (llen > 63)
			why = "label longer than 63 characters";
		else if (h[start] == '-' || h[i - 1] == '-')
			why = "label starts or ends with '-'";
		else
			digits = strspn(h + start, "0123456789") >= llen;
		start = i + 1;
	}
	if (why == NULL && digits)
		why = "not an IPv4 address or a host name";
	if (why == NULL)
		return (0);
	conf_seterr(err, errlen, "bad host name \"%s\": %s", q, why);
	return (-1);
}

static void
conf_sockaddr_set(struct conf_sockaddr *sa, int family, const void *addr,
    uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(&sin.sin_addr, addr, 4);
		memcpy(&sa->ss, &sin, sizeof(sin));
		sa->len = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		memcpy(&sin6.sin6_addr, addr, 16);
		memcpy(&sa->ss, &sin6, sizeof(sin6));
		sa->len = sizeof(sin6);
	}
	conf_addr_fmt((const struct sockaddr *)&sa->ss, true, sa->text,
	    sizeof(sa->text));
}

/*
 * conf_parse_hostport, and the stricter form for bind addresses (names
 * false), where a DNS name makes no sense.
 */
int
conf_hostport(const char *s, bool names, char *host, size_t hostlen,
    uint16_t *port, bool *literal, struct conf_sockaddr *sa, char *err,
    size_t errlen)
{
	const char *expect = names ?
	    "expected [ipv6]:port, ipv4:port or host:port" :
	    "expected [ipv6]:port or ipv4:port";
	char h[CONF_HOST_MAX], q[CONF_QUOTE_MAX * 4 + 8];
	const char *hs, *ps, *close, *colon;
	uint8_t addr[16];
	uint64_t v;
	size_t hlen;
	int family = 0;

	if (s == NULL)
		goto bad;
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL || close[1] != ':')
			goto bad;
		hs = s + 1;
		hlen = (size_t)(close - hs);
		ps = close + 2;
		if (hlen == 0 || hlen >= sizeof(h))
			goto bad6;
		memcpy(h, hs, hlen);
		h[hlen] = '\0';
		if (inet_pton(AF_INET6, h, addr) != 1)
			goto bad6;
		family = AF_INET6;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s)
			goto bad;
		hlen = (size_t)(colon - s);
		ps = colon + 1;
		if (memchr(s, ':', hlen) != NULL) {
			conf_seterr(err, errlen, "IPv6 addresses need "
			    "brackets, like [2001:db8::1]:80");
			return (-1);
		}
		if (hlen >= sizeof(h)) {
			if (!names)
				goto bad;
			conf_quote(q, sizeof(q), s, hlen);
			conf_seterr(err, errlen, "bad host name \"%s\": longer "
			    "than 253 characters", q);
			return (-1);
		}
		memcpy(h, s, hlen);
		h[hlen] = '\0';
		if (inet_pton(AF_INET, h, addr) == 1)
			family = AF_INET;
		else if (!names)
			goto bad;
		else if (conf_hostname_check(h, hlen, err, errlen) == -1)
			return (-1);
	}
	if (*ps == '\0') {
		conf_seterr(err, errlen, "missing port; %s", expect);
		return (-1);
	}
	if (conf_uint_range("port", ps, 1, 65535, &v, err, errlen) == -1)
		return (-1);
	if (host != NULL) {
		if (hlen >= hostlen) {
			conf_seterr(err, errlen, "host too long");
			return (-1);
		}
		memcpy(host, h, hlen + 1);
	}
	*port = (uint16_t)v;
	*literal = family != 0;
	if (family != 0 && sa != NULL)
		conf_sockaddr_set(sa, family, addr, (uint16_t)v);
	return (0);
bad6:
	conf_quote(q, sizeof(q), s + 1, hlen);
	conf_seterr(err, errlen, "bad IPv6 address \"%s\"", q);
	return (-1);
bad:
	conf_seterr(err, errlen, "%s", expect);
	return (-1);
}

int
conf_parse_hostport(const char *s, char *host, size_t hostlen,
    uint16_t *port, bool *literal, struct conf_sockaddr *sa, char *err,
    size_t errlen)
{
	return (conf_hostport(s, true, host, hostlen, port, literal, sa, err,
	    errlen));
}

/* Bits past plen set to zero; returns true if any were set before. */
static bool
conf_mask(uint8_t *addr, size_t nbytes, unsigned plen)
{
	bool set = false;
	uint8_t keep;
	size_t i;

	for (i = 0; i < nbytes; i++) {
		if (plen >= (i + 1) * 8)
			continue;
		keep = plen > i * 8 ? (uint8_t)(0xff << (8 - (plen - i * 8))) :
		    0;
		if (addr[i] & ~keep)
			set = true;
		addr[i] &= keep;
	}
	return (set);
}

int
conf_parse_cidr(const char *s, struct conf_cidr *out, char *err,
    size_t errlen)
{
	char a[64], fixed[CONF_ADDRSTRLEN];
	const char *slash;
	struct conf_cidr c;
	uint64_t plen;
	size_t alen;

	memset(&c, 0, sizeof(c));
	if (s == NULL || (slash = strchr(s, '/')) == NULL ||
	    (alen = (size_t)(slash - s)) == 0 || alen >= sizeof(a))
		goto bad;
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, a, c.addr) == 1)
		c.family = AF_INET6;
	else
		goto bad;
	if (conf_uint_range("prefix length", slash + 1, 0,
	    c.family == AF_INET ? 32 : 128, &plen, err, errlen) == -1)
		return (-1);
	c.plen = (uint8_t)plen;
	if (conf_mask(c.addr, c.family == AF_INET ? 4 : 16, c.plen)) {
		if (c.family == AF_INET)
			(void)snprintf(fixed, sizeof(fixed), "%u.%u.%u.%u",
			    c.addr[0], c.addr[1], c.addr[2], c.addr[3]);
		else
			conf_fmt6(c.addr, fixed, sizeof(fixed));
		conf_seterr(err, errlen, "host bits set; did you mean %s/%u?",
		    fixed, c.plen);
		return (-1);
	}
	*out = c;
	return (0);
bad:
	conf_seterr(err, errlen, "expected a prefix like 2001:db8::/32 or "
	    "192.0.2.0/24");
	return (-1);
}

static const uint8_t conf_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool
conf_cidr_match(const struct conf_cidr *c, const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	uint8_t a[16];
	size_t nbytes, full;
	unsigned rem;

	if (c == NULL || sa == NULL)
		return (false);
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		if (c->family == AF_INET)
			memcpy(a, &sin.sin_addr, 4);
		else {
			/* What a dual-stack socket would have reported. */
			memcpy(a, conf_v4mapped, 12);
			memcpy(a + 12, &sin.sin_addr, 4);
		}
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		if (c->family == AF_INET6)
			memcpy(a, &sin6.sin6_addr, 16);
		else if (memcmp(&sin6.sin6_addr, conf_v4mapped, 12) == 0)
			memcpy(a, (const uint8_t *)&sin6.sin6_addr + 12, 4);
		else
			return (false);
	} else
		return (false);
	if (c->family == AF_INET)
		nbytes = 4;
	else if (c->family == AF_INET6)
		nbytes = 16;
	else
		return (false);
	if (c->plen > nbytes * 8)
		return (false);
	full = c->plen / 8;
	rem = c->plen % 8;
	if (memcmp(a, c->addr, full) != 0)
		return (false);
	if (rem != 0 && ((a[full] ^ c->addr[full]) &
	    (uint8_t)(0xff << (8 - rem))) != 0)
		return (false);
	return (true);
}

/*
 * RFC 5952 text for an IPv6 address: lowercase, no leading zeros, the
 * longest run of two or more zero groups (the first of equals) as "::".
 * Written here rather than left to inet_ntop, whose output differs between
 * C libraries (::a.b.c.d forms, for one).
 */
void
conf_fmt6(const uint8_t *addr, char *buf, size_t len)
{
	char out[48];
	uint16_t w[8];
	int i, best = -1, bestn = 0, cur = -1, curn = 0;
	size_t o = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (uint16_t)(addr[2 * i] << 8 | addr[2 * i + 1]);
		if (w[i] != 0) {
			cur = -1;
			continue;
		}
		if (cur == -1) {
			cur = i;
			curn = 0;
		}
		if (++curn > bestn) {
			best = cur;
			bestn = curn;
		}
	}
	if (bestn < 2)
		best = -1;
	for (i = 0; i < 8; ) {
		if (i == best) {
			out[o++] = ':';
			out[o++] = ':';
			i += bestn;
			continue;
		}
		if (i > 0 && i != best + bestn)
			out[o++] = ':';
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%x", w[i]);
		i++;
	}
	out[o] = '\0';
	(void)snprintf(buf, len, "%s", out);
}

char *
conf_addr_fmt(const struct sockaddr *sa, bool with_port, char *buf,
    size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const uint8_t *b;
	char a[48];
	unsigned port;
	bool v6 = false;

	if (buf == NULL || len == 0)
		return (buf);
	if (sa == NULL) {
		(void)snprintf(buf, len, "(none)");
		return (buf);
	}
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		b = (const uint8_t *)&sin.sin_addr;
		(void)snprintf(a, sizeof(a), "%u.%u.%u.%u", b[0], b[1], b[2],
		    b[3]);
		port = ntohs(sin.sin_port);
		break;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		b = (const uint8_t *)&sin6.sin6_addr;
		if (memcmp(b, conf_v4mapped, 12) == 0)
			(void)snprintf(a, sizeof(a), "%u.%u.%u.%u", b[12],
			    b[13], b[14], b[15]);
		else {
			conf_fmt6(b, a, sizeof(a));
			v6 = true;
		}
		port = ntohs(sin6.sin6_port);
		break;
	default:
		(void)snprintf(buf, len, "(family %d)", sa->sa_family);
		return (buf);
	}
	if (!with_port)
		(void)snprintf(buf, len, "%s", a);
	else if (v6)
		(void)snprintf(buf, len, "[%s]:%u", a, port);
	else
		(void)snprintf(buf, len, "%s:%u", a, port);
	return (buf);
}

/*
 * The update URL goes out in a request line: a byte that would end the
 * line or the target (space, control, '#', non-ASCII) is refused here
 * rather than escaped, so the broker gets exactly what was written.
 */
int
conf_parse_https_url(const char *s, char *host, size_t hostlen,
    uint16_t *port, char *target, size_t targetlen, char *err,
    size_t errlen)
{
	static const char scheme[] = "https://";
	char hp[CONF_HOST_MAX + 16];
	const char *auth, *end;
	size_t alen, i;
	bool literal;

	if (strncmp(s, scheme, sizeof(scheme) - 1) != 0) {
		conf_seterr(err, errlen, "expected an https:// URL, like "
		    "https://broker.example/nic/update?hostname=1");
		return (-1);
	}
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '#') {
			conf_seterr(err, errlen, "URL has a space, control, "
			    "'#' or non-ASCII byte at offset %zu", i);
			return (-1);
		}
	auth = s + sizeof(scheme) - 1;
	end = auth + strcspn(auth, "/?");
	alen = (size_t)(end - auth);
	if (memchr(auth, '@', alen) != NULL) {
		conf_seterr(err, errlen, "no user name or password in the URL: "
		    "use username and password_file");
		return (-1);
	}
	if (alen == 0 || alen >= CONF_HOST_MAX) {
		conf_seterr(err, errlen, "URL has no host");
		return (-1);
	}
	/* A port is present if the last ':' comes after any ']'. */
	memcpy(hp, auth, alen);
	hp[alen] = '\0';
	if (strrchr(hp, ':') == NULL || (strrchr(hp, ']') != NULL &&
	    strrchr(hp, ':') < strrchr(hp, ']')))
		(void)snprintf(hp + alen, sizeof(hp) - alen, ":443");
	if (conf_hostport(hp, true, host, hostlen, port, &literal, NULL, err,
	    errlen) == -1)
		return (-1);
	if (*end == '\0')
		end = "/";
	if (*end == '?') {
		if (snprintf(target, targetlen, "/%s", end) >= (int)targetlen)
			goto toolong;
	} else if (snprintf(target, targetlen, "%s", end) >= (int)targetlen)
		goto toolong;
	return (0);
toolong:
	conf_seterr(err, errlen, "URL longer than %zu bytes", targetlen - 1);
	return (-1);
}
