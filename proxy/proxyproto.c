/*
 * The PROXY protocol (haproxy's proxy-protocol.txt), versions 1 and 2: a
 * header at the start of a TCP connection that names the client and the
 * address it connected to, so a server behind a proxy sees the real client.
 *
 * The parser is pure (bytes in, addresses out) so the accept path, the unit
 * tests and the fuzzer share it.  It is bounded: a version 1 line is at most
 * 107 bytes with its CRLF, a version 2 header at most PX_PP_MAX bytes, and
 * any byte that cannot belong to a header fails at once rather than waiting
 * for more.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy.h"

static const uint8_t px_pp_sig2[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char px_pp_sig1[] = "PROXY ";

#define PX_PP_V2_HDR	16	/* signature, ver/cmd, fam, len */

bool
px_pp_sniff(const uint8_t *buf, size_t len)
{
	size_t n;

	if (len == 0)
		return (false);
	n = len < 6 ? len : 6;
	if (memcmp(buf, px_pp_sig1, n) == 0)
		return (true);
	n = len < sizeof(px_pp_sig2) ? len : sizeof(px_pp_sig2);
	return (memcmp(buf, px_pp_sig2, n) == 0);
}

/* A port: 1-5 digits, no leading zero, at most 65535. */
static int
px_pp_port(const char *s, size_t len, uint16_t *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return (-1);
	*out = (uint16_t)v;
	return (0);
}

/* An address of family af from len bytes of text into ss (port 0). */
static int
px_pp_addr(int af, const char *s, size_t len, struct sockaddr_storage *ss)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(tmp))
		return (-1);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		return (inet_pton(AF_INET, tmp, &sin->sin_addr) == 1 ? 0 : -1);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		return (inet_pton(AF_INET6, tmp, &sin6->sin6_addr) == 1 ?
		    0 : -1);
	}
}

static void
px_pp_setport(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int
px_pp_fail(struct px_pp *pp, const char *why)
{
	pp->err = why;
	return (-1);
}

/* "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN...\r\n". */
static int
px_pp_v1(struct px_pp *pp, const uint8_t *buf, size_t len)
{
	const char	*line = (const char *)buf, *tok[6];
	size_t		 toklen[6], i, end, ntok, start;
	uint16_t	 sport, dport;
	int		 af;

	pp->version = 1;
	for (end = 0; end < len; end++) {
		if (buf[end] == '\r')
			break;
		/* The CR of the longest line is its 106th byte. */
		if (end >= PX_PP_V1_MAX - 2)
			return (px_pp_fail(pp, "v1: line longer than 107 "
			    "bytes"));
		if (buf[end] < 0x20 || buf[end] > 0x7e)
			return (px_pp_fail(pp, "v1: control or non-ASCII byte"));
	}
	if (end == len || end + 1 == len)
		return (0);
	if (buf[end + 1] != '\n')
		return (px_pp_fail(pp, "v1: CR without LF"));

	/* Fields are separated by exactly one space. */
	for (ntok = 0, start = 0, i = 0; i <= end; i++) {
		if (i < end && line[i] != ' ')
			continue;
		if (ntok == 6)
			return (px_pp_fail(pp, "v1: too many fields"));
		tok[ntok] = line + start;
		toklen[ntok] = i - start;
		ntok++;
		start = i + 1;
		/* Whatever follows UNKNOWN is ignored. */
		if (ntok == 2 && toklen[1] == 7 &&
		    memcmp(tok[1], "UNKNOWN", 7) == 0)
			break;
	}
	if (ntok >= 2 && toklen[1] == 7 && memcmp(tok[1], "UNKNOWN", 7) == 0) {
		pp->local = true;
		return ((int)end + 2);
	}
	if (ntok < 2)
		return (px_pp_fail(pp, "v1: no protocol"));
	if (toklen[1] == 4 && memcmp(tok[1], "TCP4", 4) == 0)
		af = AF_INET;
	else if (toklen[1] == 4 && memcmp(tok[1], "TCP6", 4) == 0)
		af = AF_INET6;
	else
		return (px_pp_fail(pp, "v1: protocol not TCP4, TCP6 or "
		    "UNKNOWN"));
	if (ntok != 6)
		return (px_pp_fail(pp, "v1: expected 6 fields"));
	if (px_pp_addr(af, tok[2], toklen[2], &pp->src) == -1)
		return (px_pp_fail(pp, "v1: bad source address"));
	if (px_pp_addr(af, tok[3], toklen[3], &pp->dst) == -1)
		return (px_pp_fail(pp, "v1: bad destination address"));
	if (px_pp_port(tok[4], toklen[4], &sport) == -1 ||
	    px_pp_port(tok[5], toklen[5], &dport) == -1)
		return (px_pp_fail(pp, "v1: bad port"));
	px_pp_setport(&pp->src, sport);
	px_pp_setport(&pp->dst, dport);
	return ((int)end + 2);
}

/* The binary header: signature, ver/cmd, family/protocol, length, body. */
static int
px_pp_v2(struct px_pp *pp, const uint8_t *buf, size_t len)
{
	size_t	 blen, total;
	int	 cmd, fam, proto;

	pp->version = 2;
	if (len < PX_PP_V2_HDR)
		return (0);
	if ((buf[12] >> 4) != 2)
		return (px_pp_fail(pp, "v2: version not 2"));
	cmd = buf[12] & 0x0f;
	if (cmd > 1)
		return (px_pp_fail(pp, "v2: command not LOCAL or PROXY"));
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	if (fam > 3 || proto > 2)
		return (px_pp_fail(pp, "v2: unknown family or protocol"));
	blen = (size_t)buf[14] << 8 | buf[15];
	total = PX_PP_V2_HDR + blen;
	if (total > PX_PP_MAX)
		return (px_pp_fail(pp, "v2: header longer than we take"));
	if ((fam == 1 && blen < 12) || (fam == 2 && blen < 36) ||
	    (fam == 3 && blen < 216))
		return (px_pp_fail(pp, "v2: length shorter than its addresses"));
	if (len < total)
		return (0);
	/*
	 * LOCAL (health checks of the proxy itself), an unspecified family
	 * and what is not TCP keep the connection's own addresses.
	 */
	if (cmd == 0 || proto != 1 || (fam != 1 && fam != 2)) {
		pp->local = true;
		return ((int)total);
	}
	memset(&pp->src, 0, sizeof(pp->src));
	memset(&pp->dst, 0, sizeof(pp->dst));
	if (fam == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)&pp->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&pp->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, buf + 16, 4);
		memcpy(&d->sin_addr, buf + 20, 4);
		memcpy(&s->sin_port, buf + 24, 2);
		memcpy(&d->sin_port, buf + 26, 2);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&pp->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&pp->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, buf + 16, 16);
		memcpy(&d->sin6_addr, buf + 32, 16);
		memcpy(&s->sin6_port, buf + 48, 2);
		memcpy(&d->sin6_port, buf + 50, 2);
	}
	return ((int)total);
}

int
px_pp_parse(struct px_pp *pp, const uint8_t *buf, size_t len)
{
	memset(pp, 0, sizeof(*pp));
	if (len == 0)
		return (0);
	if (!px_pp_sniff(buf, len))
		return (px_pp_fail(pp, "not a PROXY protocol header"));
	if (buf[0] == 'P')
		return (len < 6 ? 0 : px_pp_v1(pp, buf, len));
	return (len < sizeof(px_pp_sig2) ? 0 : px_pp_v2(pp, buf, len));
}

/*
 * An address as the header carries it: IPv4 for IPv4 and IPv4-mapped
 * addresses (v4 true, 4 bytes), else IPv6 (16 bytes).  -1 for other
 * families.
 */
static int
px_pp_unmap(const struct sockaddr *sa, uint8_t a[16], uint16_t *port,
    bool *v4)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		memcpy(a, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
		*v4 = true;
		return (0);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		*port = ntohs(s->sin6_port);
		if (memcmp(&s->sin6_addr, mapped, 12) == 0) {
			memcpy(a, (const uint8_t *)&s->sin6_addr + 12, 4);
			*v4 = true;
		} else {
			memcpy(a, &s->sin6_addr, 16);
			*v4 = false;
		}
		return (0);
	}
	return (-1);
}

/* An IPv4 address (4 bytes at a) as IPv4-mapped IPv6, in place. */
static void
px_pp_map(uint8_t a[16])
{
	memmove(a + 12, a, 4);
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
}

int
px_pp_build(enum conf_send_proxy ver, const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t *buf, size_t buflen)
{
	uint8_t		 sa[16], da[16];
	uint16_t	 sp, dp;
	bool		 s4, d4, known;
	char		 st[INET6_ADDRSTRLEN], dt[INET6_ADDRSTRLEN];
	size_t		 alen;
	int		 n;

	known = src != NULL && dst != NULL &&
	    px_pp_unmap(src, sa, &sp, &s4) == 0 &&
	    px_pp_unmap(dst, da, &dp, &d4) == 0;
	if (known && s4 != d4) {
		/* One family for both: IPv6, with the IPv4 one mapped. */
		if (s4)
			px_pp_map(sa);
		else
			px_pp_map(da);
		s4 = d4 = false;
	}
	if (ver == CONF_PROXY_V1) {
		if (!known)
			n = snprintf((char *)buf, buflen, "PROXY UNKNOWN\r\n");
		else {
			inet_ntop(s4 ? AF_INET : AF_INET6, sa, st, sizeof(st));
			inet_ntop(d4 ? AF_INET : AF_INET6, da, dt, sizeof(dt));
			n = snprintf((char *)buf, buflen, "PROXY %s %s %s %u "
			    "%u\r\n", s4 ? "TCP4" : "TCP6", st, dt, sp, dp);
		}
		return (n < 0 || (size_t)n >= buflen ? -1 : n);
	}
	alen = !known ? 0 : s4 ? 12 : 36;
	if (buflen < PX_PP_V2_HDR + alen)
		return (-1);
	memcpy(buf, px_pp_sig2, sizeof(px_pp_sig2));
	buf[12] = 0x21;			/* version 2, PROXY */
	buf[13] = !known ? 0x00 : s4 ? 0x11 : 0x21;
	buf[14] = 0;
	buf[15] = (uint8_t)alen;
	if (known) {
		size_t w = s4 ? 4 : 16;

		memcpy(buf + 16, sa, w);
		memcpy(buf + 16 + w, da, w);
		buf[16 + 2 * w] = (uint8_t)(sp >> 8);
		buf[17 + 2 * w] = (uint8_t)sp;
		buf[18 + 2 * w] = (uint8_t)(dp >> 8);
		buf[19 + 2 * w] = (uint8_t)dp;
	}
	return ((int)(PX_PP_V2_HDR + alen));
}
