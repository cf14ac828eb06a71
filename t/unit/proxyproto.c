/*
 * proxy/proxyproto.c and proxy/acl.c: the PROXY protocol parser and
 * builder against the specification's examples, fed whole and byte by
 * byte; the ACL and source-prefix matching; the source table's limits,
 * rate and size cap.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy.h"
#include "t/tap.h"

#define SIG2	"\r\n\r\n\0\r\nQUIT\n"

static struct sockaddr_storage
sa(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else
		abort();
	return (ss);
}

static const char *
fmt(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	return (conf_addr_fmt((const struct sockaddr *)ss, true, buf, len));
}

static void
test_build(void)
{
	static const struct {
		const char	*src, *dst;
		unsigned	 sp, dp;
		const char	*v1;
	} rows[] = {
		/* The specification's own examples. */
		{ "192.168.0.1", "192.168.0.11", 56324, 443,
		    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n" },
		{ "255.255.255.255", "255.255.255.255", 65535, 65535,
		    "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535,
		    "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n" },
		{ "2001:db8::1", "2001:db8:1::2", 51234, 80,
		    "PROXY TCP6 2001:db8::1 2001:db8:1::2 51234 80\r\n" },
		/* A dual-stack listener's view of IPv4 clients. */
		{ "::ffff:127.0.0.1", "::ffff:127.0.0.2", 4000, 80,
		    "PROXY TCP4 127.0.0.1 127.0.0.2 4000 80\r\n" },
		{ "::ffff:192.0.2.1", "2001:db8::2", 1, 2,
		    "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n" },
	};
	uint8_t	 buf[PX_PP_OUT_MAX];
	char	 name[128];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sockaddr_storage s = sa(rows[i].src, rows[i].sp);
		struct sockaddr_storage d = sa(rows[i].dst, rows[i].dp);

		n = px_pp_build(CONF_PROXY_V1, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, buf, sizeof(buf));
		snprintf(name, sizeof(name), "v1 %s -> %s", rows[i].src,
		    rows[i].dst);
		ok(n > 0 && (size_t)n == strlen(rows[i].v1) &&
		    memcmp(buf, rows[i].v1, (size_t)n) == 0, "%s", name);
		ok(n <= PX_PP_V1_MAX, "%s: at most 107 bytes", name);
	}
	n = px_pp_build(CONF_PROXY_V1, NULL, NULL, buf, sizeof(buf));
	ok(n == 15 && memcmp(buf, "PROXY UNKNOWN\r\n", 15) == 0,
	    "v1 without addresses: UNKNOWN");

	{
		struct sockaddr_storage s = sa("192.168.0.1", 56324);
		struct sockaddr_storage d = sa("192.168.0.11", 443);
		static const uint8_t want[] = SIG2 "\x21\x11\x00\x0c"
		    "\xc0\xa8\x00\x01" "\xc0\xa8\x00\x0b" "\xdc\x04" "\x01\xbb";

		n = px_pp_build(CONF_PROXY_V2, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, buf, sizeof(buf));
		ok(n == 28 && memcmp(buf, want, 28) == 0,
		    "v2 TCP over IPv4: 0x21 0x11, length 12, addresses, ports");
	}
	{
		struct sockaddr_storage s = sa("2001:db8::1", 51234);
		struct sockaddr_storage d = sa("2001:db8:1::2", 80);
		static const uint8_t want[] = SIG2 "\x21\x21\x00\x24"
		    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
		    "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x02"
		    "\xc8\x22" "\x00\x50";

		n = px_pp_build(CONF_PROXY_V2, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, buf, sizeof(buf));
		ok(n == 52 && memcmp(buf, want, 52) == 0,
		    "v2 TCP over IPv6: 0x21 0x21, length 36");
	}
	{
		struct sockaddr_storage s = sa("::ffff:127.0.0.1", 1);
		struct sockaddr_storage d = sa("::ffff:127.0.0.1", 2);

		n = px_pp_build(CONF_PROXY_V2, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, buf, sizeof(buf));
		ok(n == 28 && buf[13] == 0x11, "v2: IPv4-mapped goes as IPv4");
	}
	n = px_pp_build(CONF_PROXY_V2, NULL, NULL, buf, sizeof(buf));
	ok(n == 16 && buf[12] == 0x21 && buf[13] == 0 && buf[15] == 0,
	    "v2 without addresses: UNSPEC, length 0");
	ok(px_pp_build(CONF_PROXY_V2, NULL, NULL, buf, 15) == -1,
	    "v2: a short buffer is refused");
}

/* Parses b whole, then every shorter prefix must ask for more. */
static int
parse(struct px_pp *pp, const void *b, size_t len)
{
	struct px_pp	 tmp;
	size_t		 i;
	int		 r, rp;

	r = px_pp_parse(pp, b, len);
	for (i = 0; i < len && (r <= 0 || i < (size_t)r); i++) {
		rp = px_pp_parse(&tmp, b, i);
		/* A prefix either needs more or already fails the same. */
		if (r > 0 && rp != 0)
			return (-100);
		if (r < 0 && rp > 0)
			return (-100);
	}
	return (r);
}

#define P(s)	(s), sizeof(s) - 1

static void
test_parse(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		int		 rc;	/* >0 length, <0 error */
		const char	*src, *dst;	/* NULL: local */
	} rows[] = {
		{ "v1 TCP4", P("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443"
		    "\r\nGET /"), 47, "192.168.0.1:56324", "192.168.0.11:443" },
		{ "v1 TCP6", P("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"),
		    44, "[2001:db8::1]:1", "[2001:db8::2]:65535" },
		{ "v1 longest TCP6", P("PROXY TCP6 "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
		    104, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
		    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
		{ "v1 UNKNOWN", P("PROXY UNKNOWN\r\n"), 15, NULL, NULL },
		{ "v1 UNKNOWN with the rest ignored", P("PROXY UNKNOWN "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
		    107, NULL, NULL },
		{ "v1 over 107 bytes", P("PROXY UNKNOWN "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n"),
		    -1, NULL, NULL },
		{ "v1 no CRLF in 107 bytes", P("PROXY UNKNOWN xxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), -1, NULL, NULL },
		{ "v1 TCP5", P("PROXY TCP5 1.2.3.4 1.2.3.4 1 1\r\n"), -1, NULL,
		    NULL },
		{ "v1 lower case", P("proxy TCP4 1.2.3.4 1.2.3.4 1 1\r\n"), -1,
		    NULL, NULL },
		{ "v1 two spaces", P("PROXY TCP4  1.2.3.4 1.2.3.4 1 1\r\n"), -1,
		    NULL, NULL },
		{ "v1 IPv6 in TCP4", P("PROXY TCP4 ::1 ::1 1 1\r\n"), -1, NULL,
		    NULL },
		{ "v1 IPv4 in TCP6", P("PROXY TCP6 1.2.3.4 1.2.3.4 1 1\r\n"), -1,
		    NULL, NULL },
		{ "v1 octet 256", P("PROXY TCP4 1.2.3.256 1.2.3.4 1 1\r\n"), -1,
		    NULL, NULL },
		{ "v1 port 65536", P("PROXY TCP4 1.2.3.4 1.2.3.4 65536 1\r\n"),
		    -1, NULL, NULL },
		{ "v1 port with a leading zero",
		    P("PROXY TCP4 1.2.3.4 1.2.3.4 080 1\r\n"), -1, NULL, NULL },
		{ "v1 missing port", P("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"), -1,
		    NULL, NULL },
		{ "v1 extra field", P("PROXY TCP4 1.2.3.4 1.2.3.4 1 1 1\r\n"),
		    -1, NULL, NULL },
		{ "v1 trailing space", P("PROXY TCP4 1.2.3.4 1.2.3.4 1 1 \r\n"),
		    -1, NULL, NULL },
		{ "v1 LF only", P("PROXY TCP4 1.2.3.4 1.2.3.4 1 1\n"), -1, NULL,
		    NULL },
		{ "v1 CR without LF", P("PROXY TCP4 1.2.3.4 1.2.3.4 1 1\rX"), -1,
		    NULL, NULL },
		{ "v1 NUL byte", P("PROXY TCP4 1.2.3.4\0 1.2.3.4 1 1\r\n"), -1,
		    NULL, NULL },
		{ "not a header", P("GET / HTTP/1.1\r\n\r\n"), -1, NULL, NULL },
		{ "v2 TCP4", P(SIG2 "\x21\x11\x00\x0c" "\xc0\xa8\x00\x01"
		    "\xc0\xa8\x00\x0b" "\xdc\x04" "\x01\xbb" "GET"), 28,
		    "192.168.0.1:56324", "192.168.0.11:443" },
		{ "v2 TCP6 with a TLV", P(SIG2 "\x21\x21\x00\x29"
		    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
		    "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x02"
		    "\xc8\x22" "\x00\x50" "\x04\x00\x02xy"), 57,
		    "[2001:db8::1]:51234", "[2001:db8:1::2]:80" },
		{ "v2 LOCAL", P(SIG2 "\x20\x00\x00\x00"), 16, NULL, NULL },
		{ "v2 LOCAL with addresses", P(SIG2 "\x20\x11\x00\x0c"
		    "\1\2\3\4\5\6\7\x08\0\1\0\2"), 28, NULL, NULL },
		{ "v2 PROXY UNSPEC", P(SIG2 "\x21\x00\x00\x00"), 16, NULL,
		    NULL },
		{ "v2 UDP over IPv4", P(SIG2 "\x21\x12\x00\x0c"
		    "\1\2\3\4\5\6\7\x08\0\1\0\2"), 28, NULL, NULL },
		{ "v2 version 1", P(SIG2 "\x11\x11\x00\x0c"
		    "\1\2\3\4\5\6\7\x08\0\1\0\2"), -1, NULL, NULL },
		{ "v2 command 2", P(SIG2 "\x22\x11\x00\x0c"
		    "\1\2\3\4\5\6\7\x08\0\1\0\2"), -1, NULL, NULL },
		{ "v2 family 4", P(SIG2 "\x21\x41\x00\x00"), -1, NULL, NULL },
		{ "v2 IPv4 length 11", P(SIG2 "\x21\x11\x00\x0b"
		    "\1\2\3\4\5\6\7\x08\0\1\0"), -1, NULL, NULL },
		{ "v2 IPv6 length 12", P(SIG2 "\x21\x21\x00\x0c"
		    "\1\2\3\4\5\6\7\x08\0\1\0\2"), -1, NULL, NULL },
		{ "v2 length over the bound", P(SIG2 "\x21\x11\x10\x00"), -1,
		    NULL, NULL },
		{ "v2 signature off by one byte", P("\r\n\r\n\0\r\nQUIt\n"
		    "\x21\x11\x00\x0c"), -1, NULL, NULL },
	};
	struct px_pp	 pp;
	char		 a[PX_PEERSTRLEN];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = parse(&pp, rows[i].in, rows[i].len);
		if (rows[i].rc < 0) {
			ok(r < 0 && pp.err != NULL, "%s: refused (%s)",
			    rows[i].name, r < 0 ? pp.err : "accepted");
			continue;
		}
		if (!is_int(r, rows[i].rc, rows[i].name))
			continue;
		if (rows[i].src == NULL) {
			ok(pp.local, "%s: keeps the real addresses",
			    rows[i].name);
			continue;
		}
		ok(!pp.local, "%s: addresses", rows[i].name);
		is_str(fmt(&pp.src, a, sizeof(a)), rows[i].src, rows[i].name);
		is_str(fmt(&pp.dst, a, sizeof(a)), rows[i].dst, rows[i].name);
	}
	ok(px_pp_parse(&pp, (const uint8_t *)"PROX", 4) == 0,
	    "a v1 prefix needs more");
	ok(px_pp_parse(&pp, (const uint8_t *)"\r\n\r\n\0", 5) == 0,
	    "a v2 prefix needs more");
	ok(px_pp_parse(&pp, (const uint8_t *)"PROXx", 5) < 0,
	    "a wrong byte fails before the line ends");
	ok(px_pp_sniff((const uint8_t *)"PROXY", 5) &&
	    px_pp_sniff((const uint8_t *)SIG2, 12) &&
	    !px_pp_sniff((const uint8_t *)"GET /", 5) &&
	    !px_pp_sniff((const uint8_t *)"", 0), "sniff");
}

/* Whatever is built parses back to the same addresses. */
static void
test_roundtrip(void)
{
	static const char *const ips[][2] = {
		{ "127.0.0.1", "127.0.0.2" }, { "::1", "::1" },
		{ "2001:db8:aa::bb", "2001:db8::" }, { "0.0.0.0", "1.2.3.4" },
	};
	uint8_t			 buf[PX_PP_OUT_MAX];
	struct px_pp		 pp;
	struct sockaddr_storage	 s, d;
	char			 a[PX_PEERSTRLEN], b[PX_PEERSTRLEN];
	size_t			 i;
	int			 v, n;

	for (v = CONF_PROXY_V1; v <= CONF_PROXY_V2; v++)
		for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
			s = sa(ips[i][0], 40000 + (unsigned)i);
			d = sa(ips[i][1], 80);
			n = px_pp_build((enum conf_send_proxy)v,
			    (struct sockaddr *)&s, (struct sockaddr *)&d, buf,
			    sizeof(buf));
			ok(n > 0 && px_pp_parse(&pp, buf, (size_t)n) == n &&
			    !pp.local && strcmp(fmt(&pp.src, a, sizeof(a)),
			    fmt(&s, b, sizeof(b))) == 0 &&
			    strcmp(fmt(&pp.dst, a, sizeof(a)),
			    fmt(&d, b, sizeof(b))) == 0,
			    "v%d round trip %s -> %s", v, ips[i][0],
			    ips[i][1]);
		}
}

static void
test_acl(void)
{
	struct conf_listener	 ln;
	struct conf_cidr	 allow[2], deny[2];
	struct sockaddr_storage	 ss;
	char			 err[128];
	static const struct {
		const char	*ip;
		bool		 pass;
	} rows[] = {
		{ "2001:db8:1::5", true }, { "2001:db8:1:bad::5", false },
		{ "2001:db8:2::5", false }, { "192.0.2.7", true },
		{ "::ffff:192.0.2.7", true }, { "192.0.2.66", false },
		{ "::ffff:192.0.2.66", false }, { "198.51.100.1", false },
		{ "::1", false },
	};
	size_t i;

	memset(&ln, 0, sizeof(ln));
	conf_parse_cidr("2001:db8:1::/48", &allow[0], err, sizeof(err));
	conf_parse_cidr("192.0.2.0/24", &allow[1], err, sizeof(err));
	conf_parse_cidr("2001:db8:1:bad::/64", &deny[0], err, sizeof(err));
	conf_parse_cidr("192.0.2.64/26", &deny[1], err, sizeof(err));
	ln.allow = allow;
	ln.nallow = 2;
	ln.deny = deny;
	ln.ndeny = 2;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ss = sa(rows[i].ip, 1);
		ok(px_acl_pass(&ln, (struct sockaddr *)&ss) == rows[i].pass,
		    "acl %s: %s", rows[i].ip, rows[i].pass ? "in" : "out");
	}
	ln.nallow = 0;
	ss = sa("198.51.100.1", 1);
	ok(px_acl_pass(&ln, (struct sockaddr *)&ss),
	    "without allow, anything not denied passes");
	ss = sa("192.0.2.65", 1);
	ok(!px_acl_pass(&ln, (struct sockaddr *)&ss), "deny still applies");
}

static void
test_src(void)
{
	struct px_src		 a, b;
	struct sockaddr_storage	 s1, s2;

	s1 = sa("2001:db8:1:2:aaaa::1", 1);
	s2 = sa("2001:db8:1:2:bbbb::2", 2);
	px_src_key((struct sockaddr *)&s1, 64, &a);
	px_src_key((struct sockaddr *)&s2, 64, &b);
	ok(memcmp(&a, &b, sizeof(a)) == 0, "one /64, one source");
	s2 = sa("2001:db8:1:3::1", 1);
	px_src_key((struct sockaddr *)&s2, 64, &b);
	ok(memcmp(&a, &b, sizeof(a)) != 0, "another /64, another source");
	px_src_key((struct sockaddr *)&s1, 56, &a);
	px_src_key((struct sockaddr *)&s2, 56, &b);
	ok(memcmp(&a, &b, sizeof(a)) == 0, "with /56 both are one source");
	px_src_key((struct sockaddr *)&s1, 63, &a);
	px_src_key((struct sockaddr *)&s2, 63, &b);
	ok(memcmp(&a, &b, sizeof(a)) == 0 && a.b[8] == 0x02 && a.b[9] == 0,
	    "/63: ...:2:: and ...:3:: are one source");
	s1 = sa("192.0.2.1", 1);
	s2 = sa("::ffff:192.0.2.1", 9);
	px_src_key((struct sockaddr *)&s1, 64, &a);
	px_src_key((struct sockaddr *)&s2, 64, &b);
	ok(memcmp(&a, &b, sizeof(a)) == 0 && a.b[0] == 4,
	    "IPv4 and IPv4-mapped are one source");
	s2 = sa("192.0.2.2", 1);
	px_src_key((struct sockaddr *)&s2, 64, &b);
	ok(memcmp(&a, &b, sizeof(a)) != 0, "IPv4 counts by address");
}

static void
test_lim(void)
{
	struct px_limtab	*t = px_limtab_new();
	struct px_lim		*sl[4], *x, **all;
	struct sockaddr_storage	 ss;
	struct px_src		 k;
	size_t			 i, n;
	uint64_t		 w;
	int			 r = 0;

	ss = sa("2001:db8::1", 1);
	px_src_key((struct sockaddr *)&ss, 64, &k);
	for (i = 0; i < 3; i++)
		ok(px_lim_conn(t, &k, 3, &sl[i]) == 0, "connection %zu", i + 1);
	ok(px_lim_conn(t, &k, 3, &sl[3]) == -1, "the 4th is over the limit");
	px_lim_release(t, sl[0]);
	ok(px_lim_conn(t, &k, 3, &sl[0]) == 0, "one closed, one more");
	ok(px_lim_conn(t, &k, 0, &x) == 0, "max 0: no limit");
	px_lim_release(t, x);

	for (i = 0; i < 5; i++)
		ok(px_lim_rate(t, sl[0], 5, 1000) == 0, "rate: event %zu of 5",
		    i + 1);
	w = px_lim_rate(t, sl[0], 5, 1000);
	ok(w > 0 && w <= 200, "6th within the second waits %llu ms (<= 200)",
	    (unsigned long long)w);
	usleep(250 * 1000);
	ok(px_lim_rate(t, sl[0], 5, 1000) == 0, "one more after 1/5 s");
	for (i = 0; i < 3; i++)
		px_lim_release(t, sl[i]);

	/* The cap: sources that hold connections are never dropped. */
	all = calloc(PX_LIM_SOURCES_MAX + 1, sizeof(*all));
	for (n = 0; n <= PX_LIM_SOURCES_MAX; n++) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		ss = sa("2001:db8::", 1);
		s6->sin6_addr.s6_addr[4] = (uint8_t)(n >> 16);
		s6->sin6_addr.s6_addr[5] = (uint8_t)(n >> 8);
		s6->sin6_addr.s6_addr[6] = (uint8_t)n;
		px_src_key((struct sockaddr *)&ss, 64, &k);
		if ((r = px_lim_conn(t, &k, 1, &all[n])) != 0)
			break;
	}
	ok(r == -2 && n <= PX_LIM_SOURCES_MAX,
	    "a full table refuses a new source (after %zu)", n);
	for (i = 0; i < n; i++)
		px_lim_release(t, all[i]);
	ss = sa("2001:db8:ffff::1", 1);
	px_src_key((struct sockaddr *)&ss, 64, &k);
	ok(px_lim_conn(t, &k, 1, &x) == 0,
	    "once closed, idle sources make room");
	px_lim_release(t, x);
	free(all);
	px_limtab_unref(t);
}

int
main(void)
{
	test_build();
	test_parse();
	test_roundtrip();
	test_acl();
	test_src();
	test_lim();
	return (done_testing());
}
