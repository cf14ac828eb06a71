/*
 * The tunnel packet layer: decapsulation checks for both roles, the outer
 * header we write, checksums, echo, Packet Too Big, ICMPv4 Fragmentation
 * Needed and the ND answer.  Every input is copied into a heap block of
 * exactly its length, so ASan or valgrind sees any read past the end.
 *
 * The x_* byte vectors were produced by an independent implementation
 * (scapy 2.5) from the same parameters; they pin checksums and layouts.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#define C	CONF_TUN_CLIENT
#define B	CONF_TUN_BROKER
#define NONE	TUN_DROP_NONE

#define SCRATCH	70000

static struct tun_ctx cx_client, cx_broker;
static uint8_t scratch[SCRATCH];

static const uint8_t x_encap_client[20] = {
	0x45, 0x00, 0x05, 0x14, 0xbe, 0xef, 0x00, 0x00, 0xff, 0x29, 0xb1, 0xc3,
	0x0a, 0x00, 0x00, 0x0c, 0xcb, 0x00, 0x71, 0x01,
};

static const uint8_t x_encap_broker_df[20] = {
	0x45, 0x00, 0x00, 0x50, 0x00, 0x01, 0x40, 0x00, 0x40, 0x29, 0xd4, 0x47,
	0xcb, 0x00, 0x71, 0x01, 0xc6, 0x33, 0x64, 0x07,
};

static const uint8_t x_echo_req[64] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x52, 0xb1, 0x12, 0x34, 0x00, 0x07,
	0x76, 0x36, 0x66, 0x65, 0x63, 0x68, 0x6f, 0x31, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08,
};

static const uint8_t x_na_client[64] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xae, 0x79, 0x40, 0x00, 0x00, 0x00,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02,
};

static const uint8_t x_na_broker[64] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0a, 0x00, 0x00, 0x0c, 0x88, 0x00, 0x53, 0xa9, 0xc0, 0x00, 0x00, 0x00,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
};

static const uint8_t x_ptb_offending[100] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x06, 0x3f, 0x20, 0x01, 0x0d, 0xb8,
	0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
	0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b,
};

static const uint8_t x_ptb[148] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x6c, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x70, 0xeb, 0x00, 0x00, 0x05, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x06, 0x3f, 0x20, 0x01, 0x0d, 0xb8,
	0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
	0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b,
};

static const uint8_t x_fragneeded[56] = {
	0x45, 0x00, 0x00, 0x38, 0x00, 0x4d, 0x00, 0x00, 0x3c, 0x01, 0xb2, 0x6b,
	0xc0, 0x00, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x0c, 0x03, 0x04, 0x8b, 0x7b,
	0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x05, 0xdc, 0xbe, 0xef, 0x40, 0x00,
	0xff, 0x29, 0x70, 0xfb, 0x0a, 0x00, 0x00, 0x0c, 0xcb, 0x00, 0x71, 0x01,
	0x60, 0x00, 0x00, 0x00, 0x05, 0xc8, 0x06, 0x40,
};


static void
a6(uint8_t *out, const char *s)
{
	if (inet_pton(AF_INET6, s, out) != 1) {
		diag("bad IPv6 literal in test: %s", s);
		abort();
	}
}

static void
a4(uint8_t *out, const char *s)
{
	if (inet_pton(AF_INET, s, out) != 1) {
		diag("bad IPv4 literal in test: %s", s);
		abort();
	}
}

/* A heap copy of exactly len bytes (at least 1 so malloc never says NULL). */
static uint8_t *
dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *m;

	if ((m = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(m, p, len);
	return (m);
}

/*
 * Client: behind NAT at 10.0.0.12, broker at 203.0.113.1.
 * Broker: 203.0.113.1, sees the client as its public 198.51.100.7.
 */
static void
conf_base(struct conf_tunnel *ct, struct conf_cidr *rt, int role)
{
	memset(ct, 0, sizeof(*ct));
	memset(rt, 0, sizeof(*rt));
	ct->role = role;
	ct->ttl = role == C ? 255 : 64;
	ct->mtu = 1480;
	ct->plen = 64;
	rt->family = AF_INET6;
	a6(rt->addr, "2001:db8:2::");
	rt->plen = 64;
	ct->routes = rt;
	ct->nroutes = 1;
	if (role == C) {
		a4((uint8_t *)&ct->local, "10.0.0.12");
		a4((uint8_t *)&ct->remote, "203.0.113.1");
		a6(ct->address.s6_addr, "2001:db8:1::2");
		a6(ct->peer.s6_addr, "2001:db8:1::1");
	} else {
		a4((uint8_t *)&ct->local, "203.0.113.1");
		a4((uint8_t *)&ct->remote, "198.51.100.7");
		a6(ct->address.s6_addr, "2001:db8:1::1");
		a6(ct->peer.s6_addr, "2001:db8:1::2");
	}
}

static void
mkctx(void)
{
	struct conf_tunnel ct;
	struct conf_cidr rt;
	char err[128];

	conf_base(&ct, &rt, C);
	if (tun_ctx_init(&cx_client, &ct, err, sizeof(err)) == -1) {
		diag("client ctx: %s", err);
		abort();
	}
	conf_base(&ct, &rt, B);
	if (tun_ctx_init(&cx_broker, &ct, err, sizeof(err)) == -1) {
		diag("broker ctx: %s", err);
		abort();
	}
}

static const struct tun_ctx *
ctx(int role)
{
	return (role == C ? &cx_client : &cx_broker);
}

/*
 * One row: a packet described by its differences from a well-formed one
 * (IPv4 from remote to local, IPv6 from an Internet host to us for the
 * client, from the client to an Internet host for the broker) and what
 * tun_decap must say about it.
 */
struct row {
	const char	*name;
	int		 role;
	const char	*kind;		/* payload after the IPv6 header */
	enum tun_drop	 want;
	size_t		 want_len;	/* inner length when accepted */
	size_t		 want_off;	/* 0: 20 */
	const char	*src6, *dst6;
	int		 hlim;		/* 0: 255 for ND kinds, else 64 */
	int		 ver4, ihl, proto, tot, totfix;
	int		 keep;		/* bytes handed over; -1: none */
	uint16_t	 frag;
	const char	*src4, *dst4;
	int		 ver6, plenfix, plen0;
	size_t		 trailing;
};

/* A generic options header (Hop-by-Hop, Destination) padded with PadN. */
static size_t
opts_hdr(uint8_t *p, uint8_t nh, uint8_t units)
{
	size_t n = ((size_t)units + 1) * 8;

	memset(p, 0, n);
	p[0] = nh;
	p[1] = units;
	p[2] = 1;
	p[3] = (uint8_t)(n - 4);
	return (n);
}

static size_t
frag_hdr(uint8_t *p, uint8_t nh, uint16_t off8, int more)
{
	memset(p, 0, 8);
	p[0] = nh;
	tun_wr16(p + 2, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	tun_wr32(p + 4, 0x01020304);
	return (8);
}

static size_t
ns_msg(uint8_t *p, const uint8_t *target)
{
	memset(p, 0, 24);
	p[0] = TUN_ICMP6_NS;
	memcpy(p + 8, target, 16);
	return (24);
}

static size_t
icmp_msg(uint8_t *p, uint8_t type, size_t len)
{
	memset(p, 0, len);
	p[0] = type;
	return (len);
}

static size_t
tcp_hdr(uint8_t *p)
{
	memset(p, 0, 20);
	tun_wr16(p, 51234);
	tun_wr16(p + 2, 80);
	p[12] = 0x50;
	return (20);
}

static bool
is_nd_kind(const char *k)
{
	return (strncmp(k, "ns", 2) == 0 || strcmp(k, "na") == 0 ||
	    strcmp(k, "rs") == 0 || strcmp(k, "ra") == 0 ||
	    strcmp(k, "redirect") == 0 || strstr(k, "_ns") != NULL);
}

/* Writes the payload named by kind; returns its length and sets *nh. */
static size_t
payload(uint8_t *p, const char *kind, const struct tun_ctx *cx, uint8_t *nh)
{
	uint8_t other[16];
	size_t n = 0;
	int i;

	if (strcmp(kind, "none") == 0) {
		*nh = TUN_PROTO_NONE;
		return (0);
	}
	if (strcmp(kind, "tcp") == 0) {
		*nh = 6;
		return (tcp_hdr(p));
	}
	if (strncmp(kind, "big:", 4) == 0) {
		*nh = 6;
		n = (size_t)atoi(kind + 4) - TUN_IP6_HLEN;
		memset(p, 0xa5, n);
		tcp_hdr(p);
		return (n);
	}
	if (strcmp(kind, "udp") == 0) {
		*nh = 17;
		memset(p, 0, 12);
		return (12);
	}
	if (strcmp(kind, "esp") == 0) {
		*nh = 50;
		memset(p, 0x11, 24);
		return (24);
	}
	*nh = TUN_PROTO_ICMP6;
	if (strcmp(kind, "echo") == 0)
		return (icmp_msg(p, TUN_ICMP6_ECHO_REQ, 16));
	if (strcmp(kind, "echo_reply") == 0)
		return (icmp_msg(p, TUN_ICMP6_ECHO_REP, 16));
	if (strcmp(kind, "icmp_short") == 0)
		return (icmp_msg(p, TUN_ICMP6_ECHO_REQ, 2));
	if (strcmp(kind, "icmp132") == 0)
		return (icmp_msg(p, 132, 8));
	if (strcmp(kind, "icmp138") == 0)
		return (icmp_msg(p, 138, 8));
	if (strcmp(kind, "rs") == 0)
		return (icmp_msg(p, TUN_ICMP6_RS, 8));
	if (strcmp(kind, "ra") == 0)
		return (icmp_msg(p, 134, 16));
	if (strcmp(kind, "redirect") == 0)
		return (icmp_msg(p, TUN_ICMP6_REDIRECT, 40));
	if (strcmp(kind, "na") == 0) {
		icmp_msg(p, TUN_ICMP6_NA, 24);
		memcpy(p + 8, cx->peer, 16);
		return (24);
	}
	if (strcmp(kind, "ns") == 0)
		return (ns_msg(p, cx->addr));
	if (strcmp(kind, "ns_ll") == 0)
		return (ns_msg(p, cx->lladdr));
	if (strcmp(kind, "ns_other") == 0) {
		a6(other, "2001:db8:1::99");
		return (ns_msg(p, other));
	}
	if (strcmp(kind, "ns_code1") == 0) {
		ns_msg(p, cx->addr);
		p[1] = 1;
		return (24);
	}
	if (strncmp(kind, "ns_opt", 6) == 0 || strcmp(kind, "ns_nonce") == 0) {
		ns_msg(p, cx->addr);
		memset(p + 24, 0, 8);
		if (strcmp(kind, "ns_nonce") == 0) {
			p[24] = 14;
			p[25] = 1;
			memcpy(p + 26, "\x01\x02\x03\x04\x05\x06", 6);
		} else {
			p[24] = 1;
			p[25] = strcmp(kind, "ns_opt0") == 0 ? 0 : 2;
		}
		return (32);
	}
	if (strcmp(kind, "hbh_dst_ns") == 0) {
		*nh = 0;
		n = opts_hdr(p, 60, 0);
		n += opts_hdr(p + n, TUN_PROTO_ICMP6, 0);
		return (n + ns_msg(p + n, cx->addr));
	}
	if (strcmp(kind, "hbh_dst_past") == 0) {
		/* The Destination header claims 24 bytes; 8 are there. */
		*nh = 0;
		n = opts_hdr(p, 60, 0);
		n += opts_hdr(p + n, TUN_PROTO_ICMP6, 0);
		p[n - 8 + 1] = 2;
		return (n);
	}
	if (strcmp(kind, "dst_hbh") == 0) {
		*nh = 60;
		n = opts_hdr(p, 0, 0);
		n += opts_hdr(p + n, 6, 0);
		return (n + tcp_hdr(p + n));
	}
	if (strcmp(kind, "chain8") == 0 || strcmp(kind, "chain9") == 0) {
		*nh = 60;
		for (i = kind[5] - '0'; i > 0; i--)
			n += opts_hdr(p + n, i == 1 ? 6 : 60, 0);
		return (n + tcp_hdr(p + n));
	}
	if (strcmp(kind, "frag_ns") == 0 || strcmp(kind, "atomic_ns") == 0) {
		*nh = TUN_PROTO_FRAG;
		n = frag_hdr(p, TUN_PROTO_ICMP6, 0, kind[0] == 'f');
		return (n + ns_msg(p + n, cx->addr));
	}
	if (strcmp(kind, "frag_tail") == 0) {
		*nh = TUN_PROTO_FRAG;
		n = frag_hdr(p, 6, 185, 0);
		memset(p + n, 0x5a, 20);
		return (n + 20);
	}
	if (strcmp(kind, "ah_tcp") == 0) {
		*nh = 51;
		memset(p, 0, 24);
		p[0] = 6;
		p[1] = 4;
		return (24 + tcp_hdr(p + 24));
	}
	if (strcmp(kind, "jumbo_hbh") == 0) {
		*nh = 0;
		memset(p, 0, 8);
		p[0] = 6;
		p[2] = 0xc2;
		p[3] = 4;
		tun_wr32(p + 4, 70000);
		return (8 + tcp_hdr(p + 8));
	}
	diag("unknown kind %s", kind);
	abort();
}

/* The inner IPv6 packet of a row; returns its length. */
static size_t
mkinner(uint8_t *p, const struct row *r)
{
	const struct tun_ctx *cx = ctx(r->role);
	struct tun_l4 l4;
	size_t plen;
	uint8_t nh;

	plen = payload(p + TUN_IP6_HLEN, r->kind, cx, &nh);
	memset(p, 0, TUN_IP6_HLEN);
	p[0] = (uint8_t)((r->ver6 ? r->ver6 : 6) << 4);
	tun_wr16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = (uint8_t)(r->hlim ? r->hlim : is_nd_kind(r->kind) ? 255 : 64);
	a6(p + 8, r->src6 ? r->src6 :
	    r->role == C ? "2001:db8:ffff::1" : "2001:db8:1::2");
	a6(p + 24, r->dst6 ? r->dst6 :
	    r->role == C ? "2001:db8:1::2" : "2001:db8:ffff::1");
	if (tun_l4_find(p, TUN_IP6_HLEN + plen, &l4) == 0 && !l4.frag &&
	    l4.proto == TUN_PROTO_ICMP6 && TUN_IP6_HLEN + plen - l4.off >= 4)
		tun_wr16(p + l4.off + 2, tun_cksum6(p + 8, p + 24,
		    TUN_PROTO_ICMP6, p + l4.off, TUN_IP6_HLEN + plen - l4.off));
	if (r->plen0)
		tun_wr16(p + 4, 0);
	else
		tun_wr16(p + 4, (uint16_t)((int)plen + r->plenfix));
	return (TUN_IP6_HLEN + plen);
}

/* The whole datagram of a row into buf; returns the bytes to hand over. */
static size_t
mkpkt(uint8_t *buf, const struct row *r)
{
	const struct tun_ctx *cx = ctx(r->role);
	size_t ihl, hl, ilen, tot;
	int i;

	ihl = r->ihl ? (size_t)r->ihl : 5;
	hl = ihl * 4 < TUN_IP4_HLEN ? TUN_IP4_HLEN : ihl * 4;
	ilen = mkinner(buf + hl, r);
	memset(buf + hl + ilen, 0xee, r->trailing);
	tot = hl + ilen + r->trailing;
	memset(buf, 0, hl);
	buf[0] = (uint8_t)((r->ver4 ? r->ver4 : 4) << 4 | ihl);
	tun_wr16(buf + 2, (uint16_t)(r->tot ? r->tot : (int)tot + r->totfix));
	tun_wr16(buf + 4, 0x4242);
	tun_wr16(buf + 6, r->frag);
	buf[8] = 60;
	buf[9] = (uint8_t)(r->proto ? r->proto : TUN_PROTO_IPV6);
	if (r->src4)
		a4(buf + 12, r->src4);
	else
		memcpy(buf + 12, cx->remote, 4);
	if (r->dst4)
		a4(buf + 16, r->dst4);
	else
		memcpy(buf + 16, cx->local, 4);
	for (i = TUN_IP4_HLEN; i < (int)hl; i++)
		buf[i] = 1;	/* NOP options */
	tun_wr16(buf + 10, tun_cksum(buf, hl));
	if (r->keep < 0)
		return (0);
	return (r->keep ? (size_t)r->keep : tot);
}

static const struct row rows[] = {
	/* outer IPv4 header */
	{ "tcp", C, "tcp", .want_len = 60 },
	{ "19 bytes", C, "tcp", .want = TUN_DROP_SHORT, .keep = 19 },
	{ "0 bytes", C, "tcp", .want = TUN_DROP_SHORT, .keep = -1 },
	{ "outer version 5", C, "tcp", .want = TUN_DROP_BAD_OUTER, .ver4 = 5 },
	{ "outer version 6", C, "tcp", .want = TUN_DROP_BAD_OUTER, .ver4 = 6 },
	{ "IHL 4", C, "tcp", .want = TUN_DROP_BAD_OUTER, .ihl = 4 },
	{ "IHL 6 with options", C, "tcp", .want_len = 60, .want_off = 24,
	    .ihl = 6 },
	{ "IHL 15 past the end", C, "tcp", .want = TUN_DROP_SHORT, .ihl = 15,
	    .keep = 50 },
	{ "total length below IHL", C, "tcp", .want = TUN_DROP_BAD_OUTER,
	    .tot = 19 },
	{ "total length past the data", C, "tcp", .want = TUN_DROP_SHORT,
	    .totfix = 1 },
	{ "total length short of the data", C, "tcp",
	    .want = TUN_DROP_BAD_OUTER,
	    .totfix = -1 },
	{ "protocol 4", C, "tcp", .want = TUN_DROP_BAD_PROTO, .proto = 4 },
	{ "protocol 47", C, "tcp", .want = TUN_DROP_BAD_PROTO, .proto = 47 },
	{ "more fragments", C, "tcp", .want = TUN_DROP_FRAGMENT,
	    .frag = 0x2000 },
	{ "fragment offset", C, "tcp", .want = TUN_DROP_FRAGMENT,
	    .frag = 0x0001 },
	{ "DF set", C, "tcp", .want_len = 60, .frag = 0x4000 },
	{ "outer source not remote", C, "tcp", .want = TUN_DROP_NOT_REMOTE,
	    .src4 = "198.51.100.99" },
	{ "outer source is local", C, "tcp", .want = TUN_DROP_NOT_REMOTE,
	    .src4 = "10.0.0.12" },
	{ "outer destination not local", C, "tcp", .want = TUN_DROP_NOT_LOCAL,
	    .dst4 = "10.0.0.13" },
	/* inner IPv6 header and lengths */
	{ "inner 39 bytes", C, "none", .want = TUN_DROP_SHORT, .tot = 59,
	    .keep = 59 },
	{ "inner version 4", C, "tcp", .want = TUN_DROP_BAD_VERSION,
	    .ver6 = 4 },
	{ "payload length past the data", C, "tcp", .want = TUN_DROP_BAD_LEN,
	    .plenfix = 1 },
	{ "payload length 0 with TCP", C, "tcp", .want = TUN_DROP_JUMBO,
	    .plen0 = 1 },
	{ "jumbogram", C, "jumbo_hbh", .want = TUN_DROP_JUMBO, .plen0 = 1 },
	{ "payload length 0, no next header", C, "none", .want_len = 40 },
	{ "trailing bytes trimmed", C, "tcp", .want_len = 60, .trailing = 3 },
	{ "payload length short of the data", C, "tcp", .want_len = 59,
	    .plenfix = -1 },
	{ "inner 1500", C, "big:1500", .want_len = 1500 },
	{ "inner 9000", C, "big:9000", .want_len = 9000 },
	{ "inner 65515", C, "big:65515", .want_len = 65515 },
	/* martians */
	{ "src ::", C, "tcp", .want = TUN_DROP_SRC_MARTIAN, .src6 = "::" },
	{ "src ::1", C, "tcp", .want = TUN_DROP_SRC_MARTIAN, .src6 = "::1" },
	{ "src multicast", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "ff02::1" },
	{ "src IPv4-compatible", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "::10.1.2.3" },
	{ "src IPv4-mapped", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "::ffff:10.1.2.3" },
	{ "src 6to4 of 192.168/16", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "2002:c0a8:101::1" },
	{ "src 6to4 of 127/8", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "2002:7f00:1::1" },
	{ "src 6to4 of 224/4", C, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "2002:e000:1::1" },
	{ "src 6to4 of a public v4", C, "tcp", .want_len = 60,
	    .src6 = "2002:cb00:7101::1" },
	{ "dst ::", C, "tcp", .want = TUN_DROP_DST_MARTIAN, .dst6 = "::" },
	{ "dst ::1", C, "tcp", .want = TUN_DROP_DST_MARTIAN, .dst6 = "::1" },
	{ "dst IPv4-mapped", C, "tcp", .want = TUN_DROP_DST_MARTIAN,
	    .dst6 = "::ffff:1.2.3.4" },
	{ "dst IPv4-compatible", C, "tcp", .want = TUN_DROP_DST_MARTIAN,
	    .dst6 = "::1.2.3.4" },
	/* client: sources */
	{ "client: src peer", C, "tcp", .want_len = 60,
	    .src6 = "2001:db8:1::1" },
	{ "client: src in tunnel prefix", C, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "2001:db8:1::99" },
	{ "client: src our address", C, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "2001:db8:1::2" },
	{ "client: src in a route", C, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "2001:db8:2::5" },
	{ "client: src next to a route", C, "tcp", .want_len = 60,
	    .src6 = "2001:db8:3::1" },
	{ "client: src next to the prefix", C, "tcp", .want_len = 60,
	    .src6 = "2001:db8:1:1::1" },
	{ "client: src peer link-local", C, "tcp", .want_len = 60,
	    .src6 = "fe80::cb00:7101", .dst6 = "fe80::a00:c" },
	{ "client: src our link-local", C, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "fe80::a00:c" },
	/* client: destinations */
	{ "client: dst in a route", C, "tcp", .want_len = 60,
	    .dst6 = "2001:db8:2::80" },
	{ "client: dst elsewhere in prefix", C, "tcp",
	    .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "2001:db8:1::3" },
	{ "client: dst elsewhere", C, "tcp", .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "2001:db8:99::1" },
	{ "client: dst other link-local", C, "tcp",
	    .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "fe80::1" },
	{ "client: dst ff02::1", C, "echo", .want_len = 56, .dst6 = "ff02::1" },
	{ "client: dst ff02::2", C, "echo", .want_len = 56, .dst6 = "ff02::2" },
	{ "client: dst our solicited-node", C, "ns", .want_len = 64,
	    .src6 = "2001:db8:1::1", .dst6 = "ff02::1:ff00:2" },
	{ "client: dst link-local's solicited-node", C, "ns_ll", .want_len = 64,
	    .src6 = "fe80::cb00:7101", .dst6 = "ff02::1:ff00:c" },
	{ "client: dst other solicited-node", C, "ns",
	    .want = TUN_DROP_DST_NOT_OURS,
	    .src6 = "2001:db8:1::1", .dst6 = "ff02::1:ff00:99" },
	{ "client: dst ff05::2", C, "echo", .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "ff05::2" },
	{ "client: dst ff02::fb", C, "udp", .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "ff02::fb" },
	/* client: neighbour discovery */
	{ "client: NS from peer", C, "ns", .want_len = 64,
	    .src6 = "2001:db8:1::1" },
	{ "client: NS from link-local", C, "ns_ll", .want_len = 64,
	    .src6 = "fe80::cb00:7101", .dst6 = "fe80::a00:c" },
	{ "client: NS from afar", C, "ns", .want = TUN_DROP_ND_NOT_PEER },
	{ "client: NS hop limit 64", C, "ns", .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1", .hlim = 64 },
	{ "client: NS hop limit 254", C, "ns", .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1", .hlim = 254 },
	{ "client: NS code 1", C, "ns_code1", .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1" },
	{ "client: NS with nonce", C, "ns_nonce", .want_len = 72,
	    .src6 = "2001:db8:1::1" },
	{ "client: RA from link-local", C, "ra", .want_len = 56,
	    .src6 = "fe80::1", .dst6 = "ff02::1" },
	{ "client: RA from afar", C, "ra", .want = TUN_DROP_ND_NOT_PEER,
	    .dst6 = "ff02::1" },
	{ "client: RS from peer", C, "rs", .want_len = 48,
	    .src6 = "2001:db8:1::1",
	    .dst6 = "ff02::2" },
	{ "client: NA from peer", C, "na", .want_len = 64,
	    .src6 = "2001:db8:1::1" },
	{ "client: NA from afar", C, "na", .want = TUN_DROP_ND_NOT_PEER },
	{ "client: redirect from peer", C, "redirect", .want_len = 80,
	    .src6 = "2001:db8:1::1" },
	{ "client: redirect from afar", C, "redirect",
	    .want = TUN_DROP_ND_NOT_PEER },
	{ "client: ICMPv6 132 from afar", C, "icmp132", .want_len = 48 },
	{ "client: ICMPv6 138 from afar", C, "icmp138", .want_len = 48 },
	{ "client: echo from afar", C, "echo", .want_len = 56 },
	{ "client: ICMPv6 cut to 2 bytes", C, "icmp_short",
	    .want = TUN_DROP_BAD_EXTHDR },
	/* extension-header chains */
	{ "HBH + DstOpts + NS from peer", C, "hbh_dst_ns", .want_len = 80,
	    .src6 = "2001:db8:1::1" },
	{ "HBH + DstOpts + NS from afar", C, "hbh_dst_ns",
	    .want = TUN_DROP_ND_NOT_PEER },
	{ "HBH + DstOpts + NS hop limit 64", C, "hbh_dst_ns",
	    .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1", .hlim = 64 },
	{ "DstOpts running past the end", C, "hbh_dst_past",
	    .want = TUN_DROP_BAD_EXTHDR },
	{ "HBH not first", C, "dst_hbh", .want = TUN_DROP_BAD_EXTHDR },
	{ "8 extension headers", C, "chain8", .want_len = 124 },
	{ "9 extension headers", C, "chain9", .want = TUN_DROP_BAD_EXTHDR },
	{ "fragmented NS", C, "frag_ns", .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1" },
	{ "atomic-fragment NS", C, "atomic_ns", .want = TUN_DROP_ND_BAD,
	    .src6 = "2001:db8:1::1" },
	{ "non-first fragment", C, "frag_tail", .want_len = 68 },
	{ "AH + TCP", C, "ah_tcp", .want_len = 84 },
	{ "ESP", C, "esp", .want_len = 64 },
	/* broker */
	{ "broker: tcp from the client", B, "tcp", .want_len = 60 },
	{ "broker: src in a route", B, "tcp", .want_len = 60,
	    .src6 = "2001:db8:2::5" },
	{ "broker: src in tunnel prefix", B, "tcp", .want_len = 60,
	    .src6 = "2001:db8:1::7" },
	{ "broker: src elsewhere", B, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "2001:db8:ffff::9" },
	{ "broker: src our address", B, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "2001:db8:1::1" },
	{ "broker: src our link-local", B, "tcp", .want = TUN_DROP_SRC_SPOOF,
	    .src6 = "fe80::cb00:7101" },
	{ "broker: src client link-local", B, "tcp", .want_len = 60,
	    .src6 = "fe80::a00:c", .dst6 = "fe80::cb00:7101" },
	{ "broker: src ::1", B, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "::1" },
	{ "broker: src multicast", B, "tcp", .want = TUN_DROP_SRC_MARTIAN,
	    .src6 = "ff02::1" },
	{ "broker: dst ours", B, "tcp", .want_len = 60,
	    .dst6 = "2001:db8:1::1" },
	{ "broker: dst ULA", B, "tcp", .want_len = 60, .dst6 = "fd00::1" },
	{ "broker: dst ff02::1", B, "echo", .want_len = 56, .dst6 = "ff02::1" },
	{ "broker: dst ff05::1:3", B, "udp", .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "ff05::1:3" },
	{ "broker: dst ff0e::1", B, "udp", .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "ff0e::1" },
	{ "broker: dst other link-local", B, "tcp",
	    .want = TUN_DROP_DST_NOT_OURS,
	    .dst6 = "fe80::99" },
	{ "broker: dst IPv4-mapped", B, "tcp", .want = TUN_DROP_DST_MARTIAN,
	    .dst6 = "::ffff:1.2.3.4" },
	{ "broker: RS from client link-local", B, "rs", .want_len = 48,
	    .src6 = "fe80::a00:c", .dst6 = "ff02::2" },
	{ "broker: NS from client", B, "ns", .want_len = 64,
	    .dst6 = "ff02::1:ff00:1" },
	{ "broker: NS from client link-local", B, "ns", .want_len = 64,
	    .src6 = "fe80::a00:c", .dst6 = "ff02::1:ff00:1" },
	{ "broker: NS from a route", B, "ns", .want = TUN_DROP_ND_NOT_PEER,
	    .src6 = "2001:db8:2::5", .dst6 = "2001:db8:1::1" },
	{ "broker: RA hop limit 64", B, "ra", .want = TUN_DROP_ND_BAD,
	    .src6 = "fe80::a00:c", .dst6 = "ff02::1", .hlim = 64 },
	{ "broker: outer source is ours", B, "tcp", .want = TUN_DROP_NOT_REMOTE,
	    .src4 = "203.0.113.1" },
	{ "broker: outer destination private", B, "tcp",
	    .want = TUN_DROP_NOT_LOCAL,
	    .dst4 = "10.0.0.12" },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

static void
test_rows(void)
{
	const struct row *r;
	struct tun_pkt p;
	size_t i, n, want_off;
	uint8_t *m;
	int rc;

	for (i = 0; i < NROWS; i++) {
		r = &rows[i];
		n = mkpkt(scratch, r);
		m = dup_exact(scratch, n);
		rc = tun_decap(ctx(r->role), &p, m, n);
		if (r->want == NONE) {
			want_off = r->want_off ? r->want_off : 20;
			if (!ok(rc == 0 && p.drop == NONE &&
			    p.off == want_off && p.len == r->want_len,
			    "%s: accepted at %zu+%zu", r->name, want_off,
			    r->want_len))
				diag("rc %d drop %s off %zu len %zu", rc,
				    tun_drop_name(p.drop), p.off, p.len);
		} else {
			if (!ok(rc == -1 && p.drop == r->want, "%s: %s",
			    r->name, tun_drop_name(r->want)))
				diag("rc %d drop %s", rc,
				    tun_drop_name(p.drop));
		}
		free(m);
	}
}

/*
 * Every prefix of every row's datagram, each in a block of its own size:
 * none may be accepted, and the prefixes of a good datagram are "short".
 */
static void
test_truncations(void)
{
	const struct row *r;
	struct tun_pkt p;
	size_t i, n, k, step, bad;
	uint8_t *m;

	for (i = 0; i < NROWS; i++) {
		r = &rows[i];
		n = mkpkt(scratch, r);
		/* 65535 bytes squared is too slow: header region in full. */
		step = n > 10000 ? 997 : 1;
		bad = 0;
		for (k = 0; k < n; k += k < 200 ? 1 : step) {
			m = dup_exact(scratch, k);
			if (tun_decap(ctx(r->role), &p, m, k) == 0 ||
			    (r->want == NONE && p.drop != TUN_DROP_SHORT)) {
				if (bad++ == 0)
					diag("%s cut to %zu: %s", r->name, k,
					    tun_drop_name(p.drop));
			}
			free(m);
		}
		ok(bad == 0, "%s: every truncation refused", r->name);
	}
}

/*
 * Truncations with both length fields rewritten to match, so the inner
 * checks and the extension-header walk run on cut packets: whatever the
 * verdict, an accepted packet must lie inside what was given.
 */
static void
test_consistent_truncations(void)
{
	const struct row *r;
	struct tun_pkt p;
	size_t i, n, k, ihl, bad;
	uint8_t *m;

	for (i = 0; i < NROWS; i++) {
		r = &rows[i];
		if (r->want != NONE || r->want_len > 10000)
			continue;
		n = mkpkt(scratch, r);
		ihl = (size_t)(scratch[0] & 0x0f) * 4;
		bad = 0;
		for (k = ihl; k < n; k++) {
			m = dup_exact(scratch, k);
			tun_wr16(m + 2, (uint16_t)k);
			if (k >= ihl + TUN_IP6_HLEN)
				tun_wr16(m + ihl + 4,
				    (uint16_t)(k - ihl - TUN_IP6_HLEN));
			if (tun_decap(ctx(r->role), &p, m, k) == 0 &&
			    (p.off + p.len > k || p.l4off > p.len))
				bad++;
			free(m);
		}
		ok(bad == 0, "%s: consistent truncations stay in bounds",
		    r->name);
	}
}

static const struct row *
row_named(const char *name)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strcmp(rows[i].name, name) == 0)
			return (&rows[i]);
	diag("no row %s", name);
	abort();
}

static void
test_decap_details(void)
{
	struct tun_pkt p;
	size_t n;

	n = mkpkt(scratch, row_named("trailing bytes trimmed"));
	tun_decap(&cx_client, &p, scratch, n);
	is_int((long long)p.trailing, 3, "trailing: 3 bytes counted");
	is_int((long long)(p.off + p.len + p.trailing), (long long)n,
	    "trailing: off + len + trailing covers the datagram");

	n = mkpkt(scratch, row_named("HBH + DstOpts + NS from peer"));
	tun_decap(&cx_client, &p, scratch, n);
	ok(p.proto == TUN_PROTO_ICMP6 && p.l4off == 56 &&
	    p.icmp6_type == TUN_ICMP6_NS && !p.frag,
	    "chain: NS found at 56 behind HBH and DstOpts");

	n = mkpkt(scratch, row_named("non-first fragment"));
	tun_decap(&cx_client, &p, scratch, n);
	ok(p.proto == TUN_PROTO_FRAG && p.frag && p.l4off == 40,
	    "non-first fragment: stops at the Fragment header");

	n = mkpkt(scratch, row_named("AH + TCP"));
	tun_decap(&cx_client, &p, scratch, n);
	ok(p.proto == 6 && p.l4off == 64, "AH: length in 4-byte units");

	n = mkpkt(scratch, row_named("inner 65515"));
	ok(n == TUN_IP4_MAX, "inner 65515 fills a 65535-byte datagram");
}

static void
test_names(void)
{
	char all[512] = "";
	int i;

	for (i = 0; i < TUN_DROP_MAX; i++) {
		strcat(all, tun_drop_name((enum tun_drop)i));
		strcat(all, i + 1 < TUN_DROP_MAX ? " " : "");
	}
	is_str(all, "none short bad_outer bad_proto fragment not_remote "
	    "not_local bad_version bad_len jumbo src_martian dst_martian "
	    "src_spoof dst_not_ours bad_exthdr nd_not_peer nd_bad",
	    "drop names are stable");
	is_str(tun_drop_name(TUN_DROP_MAX), "unknown", "name past the end");
	is_str(tun_drop_name((enum tun_drop)-1), "unknown", "negative name");
}

static void
test_ctx(void)
{
	struct conf_tunnel ct;
	struct conf_cidr rt, many[TUN_ROUTES_MAX + 1];
	struct tun_ctx cx;
	uint8_t want[16];
	char err[128];
	int rc;

	a6(want, "fe80::a00:c");
	ok(memcmp(cx_client.lladdr, want, 16) == 0,
	    "client link-local fe80::a00:c from 10.0.0.12 (RFC 4213 3.7)");
	a6(want, "fe80::cb00:7101");
	ok(memcmp(cx_broker.lladdr, want, 16) == 0,
	    "broker link-local fe80::cb00:7101 from 203.0.113.1");
	a6(want, "ff02::1:ff00:2");
	ok(memcmp(cx_client.snm[0], want, 16) == 0, "solicited-node of addr");
	a6(want, "ff02::1:ff00:c");
	ok(memcmp(cx_client.snm[1], want, 16) == 0,
	    "solicited-node of link-local");
	ok(cx_client.nroutes == 1 && cx_client.routes[0].plen == 64 &&
	    cx_client.ttl == 255, "routes and ttl copied");

#define BAD_CTX(what, stmt) do {					\
	conf_base(&ct, &rt, C);						\
	stmt;								\
	err[0] = '\0';							\
	rc = tun_ctx_init(&cx, &ct, err, sizeof(err));			\
	ok(rc == -1 && err[0] != '\0', "ctx refused: %s (%s)", what, err); \
} while (0)
	BAD_CTX("remote 0.0.0.0", ct.remote.s_addr = 0);
	BAD_CTX("local 0.0.0.0", ct.local.s_addr = 0);
	BAD_CTX("plen 129", ct.plen = 129);
	BAD_CTX("multicast address", a6(ct.address.s6_addr, "ff02::1"));
	BAD_CTX("unspecified peer", a6(ct.peer.s6_addr, "::"));
	BAD_CTX("peer is us", a6(ct.peer.s6_addr, "2001:db8:1::2"));
	BAD_CTX("ttl 0", ct.ttl = 0);
	BAD_CTX("ttl 256", ct.ttl = 256);
	BAD_CTX("IPv4 route", rt.family = AF_INET);
	BAD_CTX("route plen 129", rt.plen = 129);
	BAD_CTX("routes NULL", ct.routes = NULL);
	BAD_CTX("role 7", ct.role = (enum conf_tunnel_role)7);
	memset(many, 0, sizeof(many));
	BAD_CTX("33 routes", ct.routes = many;
	    ct.nroutes = TUN_ROUTES_MAX + 1);
#undef BAD_CTX
	conf_base(&ct, &rt, C);
	ct.remote.s_addr = 0;
	ok(tun_ctx_init(&cx, &ct, NULL, 0) == -1, "no error buffer is fine");
}

static void
test_prefix(void)
{
	uint8_t a[16], p[16];

	a6(a, "2001:db8:1:0:8000::1");
	a6(p, "2001:db8:1::");
	ok(tun_in_prefix(a, p, 0), "/0 holds everything");
	ok(tun_in_prefix(a, p, 64), "/64 holds it");
	ok(!tun_in_prefix(a, p, 65), "/65 stops at the 65th bit");
	ok(tun_in_prefix(a, a, 128) && !tun_in_prefix(a, p, 128),
	    "/128 is one address");
	ok(tun_in_prefix(a, a, 200), "plen past 128 counts as 128");
}

static void
test_cksum(void)
{
	static const uint8_t rfc1071[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7
	};
	static const uint8_t odd[] = { 0x01 };

	is_int(tun_cksum(rfc1071, sizeof(rfc1071)), 0x220d,
	    "RFC 1071 example");
	is_int(tun_cksum(odd, 1), 0xfeff, "odd byte padded with zero");
	is_int(tun_cksum(x_encap_client, 20), 0, "scapy IPv4 header verifies");
	is_int(tun_cksum6(x_echo_req + 8, x_echo_req + 24, TUN_PROTO_ICMP6,
	    x_echo_req + 40, sizeof(x_echo_req) - 40), 0,
	    "scapy ICMPv6 echo verifies with the pseudo-header");
	is_int(tun_cksum6(x_ptb + 8, x_ptb + 24, TUN_PROTO_ICMP6, x_ptb + 40,
	    sizeof(x_ptb) - 40), 0, "scapy ICMPv6 PTB verifies");
	is_int(tun_cksum(x_fragneeded + 20, sizeof(x_fragneeded) - 20), 0,
	    "scapy ICMPv4 verifies");
}

static void
test_encap(void)
{
	uint8_t hdr[TUN_OUTER_LEN], pkt[200];
	struct tun_pkt p;
	struct row r = { "nat", B, "tcp", .want_len = 60 };
	size_t ilen;

	ok(tun_encap_hdr(&cx_client, hdr, 1280, 0xbeef, 0) == 0 &&
	    memcmp(hdr, x_encap_client, 20) == 0,
	    "encap: client header, DF clear, bytes exact");
	ok(tun_encap_hdr(&cx_broker, hdr, 60, 1, TUN_DF) == 0 &&
	    memcmp(hdr, x_encap_broker_df, 20) == 0,
	    "encap: broker header, DF set, ttl 64, bytes exact");
	ok(tun_encap_hdr(&cx_client, hdr, TUN_INNER_MAX, 7, 0) == 0 &&
	    tun_rd16(hdr + 2) == 65535 && tun_cksum(hdr, 20) == 0,
	    "encap: largest inner packet");
	ok(tun_encap_hdr(&cx_client, hdr, TUN_INNER_MAX + 1, 7, 0) == -1,
	    "encap: one byte more is refused");

	/* Broker to client through the NAT, which rewrites the destination. */
	r.dst6 = "2001:db8:1::2";
	r.src6 = "2001:db8:ffff::1";
	ilen = mkinner(pkt + 20, &r);
	tun_encap_hdr(&cx_broker, pkt, ilen, 9, 0);
	a4(pkt + 16, "10.0.0.12");
	ok(tun_decap(&cx_client, &p, pkt, 20 + ilen) == 0 && p.len == ilen,
	    "encap: broker's datagram, NATed, decaps at the client");
}

static void
test_echo(void)
{
	uint8_t buf[128], rep[TUN_ECHO_LEN], pkt[200];
	uint64_t rtt = 0, now = 0x0102030405060708ULL;
	uint16_t seq = 0;
	struct tun_stats st;
	struct tun_pkt p;
	size_t k, bad;
	uint8_t *m;

	ok(tun_echo_req(&cx_client, buf, sizeof(buf), 0x1234, 7, now) ==
	    TUN_ECHO_LEN && memcmp(buf, x_echo_req, TUN_ECHO_LEN) == 0,
	    "echo request: bytes and checksum exact");
	ok(tun_echo_req(&cx_client, buf, TUN_ECHO_LEN - 1, 1, 1, now) == -1,
	    "echo request: small buffer refused");

	/* The peer's reply: addresses swapped, type 129, new checksum. */
	memcpy(rep, x_echo_req, TUN_ECHO_LEN);
	memcpy(rep + 8, x_echo_req + 24, 16);
	memcpy(rep + 24, x_echo_req + 8, 16);
	rep[40] = TUN_ICMP6_ECHO_REP;
	tun_wr16(rep + 42, 0);
	tun_wr16(rep + 42, tun_cksum6(rep + 8, rep + 24, TUN_PROTO_ICMP6,
	    rep + 40, TUN_ECHO_LEN - 40));
	ok(tun_echo_rtt(&cx_client, rep, TUN_ECHO_LEN, 0x1234, now + 12345,
	    &seq, &rtt) == 0 && seq == 7 && rtt == 12345,
	    "echo reply: seq 7, RTT 12345 ns");

	tun_encap_hdr(&cx_broker, pkt, TUN_ECHO_LEN, 1, 0);
	memcpy(pkt + 12, cx_client.remote, 4);
	memcpy(pkt + 16, cx_client.local, 4);
	memcpy(pkt + 20, rep, TUN_ECHO_LEN);
	ok(tun_decap(&cx_client, &p, pkt, 20 + TUN_ECHO_LEN) == 0 &&
	    p.icmp6_type == TUN_ICMP6_ECHO_REP,
	    "echo reply: passes decap at the client");

	memset(&st, 0, sizeof(st));
	tun_stats_echo_tx(&st);
	tun_stats_echo_rx(&st, rtt);
	ok(st.echo_tx == 1 && st.echo_rx == 1 && st.echo_rtt_ns == 12345,
	    "echo: counters keep the last RTT");

	ok(tun_echo_rtt(&cx_client, rep, TUN_ECHO_LEN, 0x1235, now + 1, &seq,
	    &rtt) == -1, "echo reply: other identifier ignored");
	ok(tun_echo_rtt(&cx_client, rep, TUN_ECHO_LEN, 0x1234, now - 1, &seq,
	    &rtt) == -1, "echo reply: from the future ignored");
	ok(tun_echo_rtt(&cx_client, x_echo_req, TUN_ECHO_LEN, 0x1234, now + 1,
	    &seq, &rtt) == -1, "echo request is not a reply");
	ok(tun_echo_rtt(&cx_broker, rep, TUN_ECHO_LEN, 0x1234, now + 1, &seq,
	    &rtt) == -1, "echo reply: not from the broker's peer");
	memcpy(buf, rep, TUN_ECHO_LEN);
	buf[63] ^= 1;
	ok(tun_echo_rtt(&cx_client, buf, TUN_ECHO_LEN, 0x1234, now + 1, &seq,
	    &rtt) == -1, "echo reply: bad checksum ignored");
	bad = 0;
	for (k = 0; k < TUN_ECHO_LEN; k++) {
		m = dup_exact(rep, k);
		if (tun_echo_rtt(&cx_client, m, k, 0x1234, now + 1, &seq,
		    &rtt) != -1)
			bad++;
		free(m);
	}
	ok(bad == 0, "echo reply: every truncation ignored");
}

/* The inner packet of a row, as decap would hand it on. */
static size_t
inner_of(const char *name, uint8_t *out)
{
	const struct row *r = row_named(name);

	return (mkinner(out, r));
}

static void
test_nd(void)
{
	uint8_t ns[200], na[200], want[16];
	size_t n, k, bad;
	uint8_t *m;

	n = inner_of("client: NS from peer", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == TUN_NA_LEN &&
	    memcmp(na, x_na_client, TUN_NA_LEN) == 0,
	    "NA for NS from peer: bytes exact (S set, R and O clear)");
	n = inner_of("broker: NS from client link-local", ns);
	ok(tun_nd_answer(&cx_broker, ns, n, na, sizeof(na)) == TUN_NA_LEN &&
	    memcmp(na, x_na_broker, TUN_NA_LEN) == 0,
	    "NA from broker to a link-local: bytes exact (R and S set)");
	n = inner_of("client: NS from link-local", ns);
	a6(want, "fe80::a00:c");
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == TUN_NA_LEN &&
	    memcmp(na + 8, want, 16) == 0 && memcmp(na + 48, want, 16) == 0 &&
	    tun_cksum6(na + 8, na + 24, 58, na + 40, 24) == 0,
	    "NA for our link-local comes from it");
	n = inner_of("client: NS with nonce", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == TUN_NA_LEN,
	    "NS with a nonce option answered");
	n = inner_of("HBH + DstOpts + NS from peer", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == TUN_NA_LEN,
	    "NS behind extension headers answered");

	n = inner_of("client: NS from peer", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, TUN_NA_LEN - 1) == -1,
	    "NA: small buffer refused");
	ns[7] = 64;
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
	    "NS with hop limit 64 not answered");
	ns[7] = 255;
	ns[63] ^= 1;
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
	    "NS with bad checksum not answered");
	ns[63] ^= 1;

	n = inner_of("client: NS from afar", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
	    "NS from afar not answered");
	n = inner_of("client: NA from peer", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
	    "NA is not an NS");
	n = inner_of("fragmented NS", ns);
	ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
	    "fragmented NS not answered");
	{
		static const struct row rr[] = {
			{ "opt0", C, "ns_opt0",
			    .src6 = "2001:db8:1::1" },
			{ "optpast", C, "ns_optpast",
			    .src6 = "2001:db8:1::1" },
			{ "other", C, "ns_other",
			    .src6 = "2001:db8:1::1" },
			{ "lltarget", C, "ns_ll",
			    .src6 = "2001:db8:1::1" },
		};

		n = mkinner(ns, &rr[0]);
		ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
		    "NS with a zero-length option not answered");
		n = mkinner(ns, &rr[1]);
		ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
		    "NS with an option past the end not answered");
		n = mkinner(ns, &rr[2]);
		ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
		    "NS for someone else not answered");
		n = mkinner(ns, &rr[3]);
		ok(tun_nd_answer(&cx_client, ns, n, na, sizeof(na)) == -1,
		    "NS sent to an address other than its target ignored");
	}

	n = inner_of("client: NS from peer", ns);
	bad = 0;
	for (k = 0; k < n; k++) {
		m = dup_exact(ns, k);
		if (tun_nd_answer(&cx_client, m, k, na, sizeof(na)) != -1)
			bad++;
		free(m);
	}
	ok(bad == 0, "NS: every truncation not answered");
}

static void
test_ptb(void)
{
	static uint8_t big[9000], out[2000];
	uint8_t pkt[200];
	struct row r = { "big", C, "big:9000", .want = NONE };
	size_t n;
	int len;

	len = tun_ptb_build(&cx_client, out, sizeof(out), x_ptb_offending,
	    sizeof(x_ptb_offending), 1280);
	ok(len == (int)sizeof(x_ptb) && memcmp(out, x_ptb, sizeof(x_ptb)) == 0,
	    "PTB for 100 bytes: bytes and checksum exact");
	ok(tun_ptb_build(&cx_client, out, sizeof(x_ptb) - 1, x_ptb_offending,
	    sizeof(x_ptb_offending), 1280) == -1, "PTB: small buffer refused");

	n = mkinner(big, &r);
	len = tun_ptb_build(&cx_client, out, sizeof(out), big, n, 1400);
	ok(len == 1280 && out[40] == TUN_ICMP6_PTB &&
	    tun_rd32(out + 44) == 1400 && tun_rd16(out + 4) == 1240 &&
	    memcmp(out + 48, big, 1232) == 0 &&
	    tun_cksum6(out + 8, out + 24, 58, out + 40, 1240) == 0,
	    "PTB for 9000 bytes: capped at 1280, quotes the first 1232");
	r.kind = "big:1500";
	n = mkinner(big, &r);
	ok(tun_ptb_build(&cx_client, out, sizeof(out), big, n, 1480) == 1280,
	    "PTB for 1500 bytes: capped at 1280");
	ok(tun_ptb_build(&cx_client, out, sizeof(out), big, n, 1279) == -1,
	    "PTB below the IPv6 minimum MTU refused");
	ok(tun_ptb_build(&cx_client, out, sizeof(out), big, 39, 1280) == -1,
	    "PTB for a 39-byte packet refused");

	memcpy(pkt, x_ptb_offending, 100);
	a6(pkt + 8, "ff02::1");
	ok(tun_ptb_build(&cx_client, out, sizeof(out), pkt, 100, 1280) == -1,
	    "no PTB to a multicast source");
	a6(pkt + 8, "::");
	ok(tun_ptb_build(&cx_client, out, sizeof(out), pkt, 100, 1280) == -1,
	    "no PTB to the unspecified source");
	memcpy(pkt, x_ptb_offending, 100);
	pkt[6] = TUN_PROTO_ICMP6;
	pkt[40] = 1;
	ok(tun_ptb_build(&cx_client, out, sizeof(out), pkt, 100, 1280) == -1,
	    "no PTB about an ICMPv6 error");
	pkt[40] = TUN_ICMP6_ECHO_REQ;
	ok(tun_ptb_build(&cx_client, out, sizeof(out), pkt, 100, 1280) == 148,
	    "PTB about an echo request");
}

/* Recomputes the ICMPv4 checksum of a copy of x_fragneeded. */
static void
fix_icmp4(uint8_t *p)
{
	tun_wr16(p + 22, 0);
	tun_wr16(p + 22, tun_cksum(p + 20, sizeof(x_fragneeded) - 20));
}

static void
test_icmp4(void)
{
	uint8_t p[sizeof(x_fragneeded)];
	uint32_t mtu = 0;
	size_t k, bad;
	uint8_t *m;

	ok(tun_icmp4_mtu(&cx_client, x_fragneeded, sizeof(p), &mtu) == 0 &&
	    mtu == 1400, "frag needed: next-hop MTU 1400");
	ok(tun_icmp4_mtu(&cx_broker, x_fragneeded, sizeof(p), &mtu) == -1,
	    "frag needed: not about the broker's packets");

	memcpy(p, x_fragneeded, sizeof(p));
	tun_wr16(p + 26, 0);
	fix_icmp4(p);
	ok(tun_icmp4_mtu(&cx_client, p, sizeof(p), &mtu) == 0 && mtu == 1492,
	    "frag needed without MTU: plateau below 1500 is 1492");
	tun_wr16(p + 26, 60);
	fix_icmp4(p);
	ok(tun_icmp4_mtu(&cx_client, p, sizeof(p), &mtu) == -1,
	    "frag needed: MTU 60 below the IPv4 minimum");

#define BAD_ICMP4(what, stmt) do {					\
	memcpy(p, x_fragneeded, sizeof(p));				\
	stmt;								\
	fix_icmp4(p);							\
	ok(tun_icmp4_mtu(&cx_client, p, sizeof(p), &mtu) == -1,		\
	    "frag needed refused: %s", what);				\
} while (0)
	BAD_ICMP4("code 3", p[21] = 3);
	BAD_ICMP4("time exceeded", p[20] = 11);
	BAD_ICMP4("quotes protocol 6", p[28 + 9] = 6);
	BAD_ICMP4("quotes another source", p[28 + 15] = 13);
	BAD_ICMP4("quotes another destination", p[28 + 19] = 2);
	BAD_ICMP4("quotes IPv6", p[28] = 0x65);
#undef BAD_ICMP4
	memcpy(p, x_fragneeded, sizeof(p));
	p[30] ^= 0x80;
	ok(tun_icmp4_mtu(&cx_client, p, sizeof(p), &mtu) == -1,
	    "frag needed refused: bad checksum");
	memcpy(p, x_fragneeded, sizeof(p));
	p[9] = 6;
	ok(tun_icmp4_mtu(&cx_client, p, sizeof(p), &mtu) == -1,
	    "frag needed refused: outer protocol 6");

	bad = 0;
	for (k = 0; k < sizeof(p); k++) {
		m = dup_exact(x_fragneeded, k);
		if (tun_icmp4_mtu(&cx_client, m, k, &mtu) != -1)
			bad++;
		free(m);
	}
	ok(bad == 0, "frag needed: every truncation refused");
}

/*
 * The MLDv2 report Linux sends when a device joins ff02::2: Hop-by-Hop
 * with Router Alert, then ICMPv6 type 143 (as captured off a tunnel).
 */
static size_t
mkmld(uint8_t *p, const char *dst, uint8_t type, bool hbh)
{
	static const uint8_t ra[8] = { 58, 0, 0x05, 0x02, 0, 0, 0x01, 0 };
	size_t off = 40, len;

	memset(p, 0, 40 + 8 + 28);
	p[0] = 0x60;
	p[6] = hbh ? 0 : 58;
	p[7] = 1;
	a6(p + 8, "fe80::c633:6401");
	a6(p + 24, dst);
	if (hbh) {
		memcpy(p + off, ra, sizeof(ra));
		off += sizeof(ra);
	}
	p[off] = type;
	p[off + 7] = 1;			/* one group record */
	p[off + 8] = 4;			/* CHANGE_TO_EXCLUDE */
	a6(p + off + 12, "ff02::2");
	len = off + 28;
	tun_wr16(p + 4, (uint16_t)(len - 40));
	return (len);
}

static void
test_mld(void)
{
	uint8_t *m;
	size_t n, k, bad;

	n = mkmld(scratch, "ff02::16", 143, true);
	ok(tun_mld(scratch, n), "mld: v2 report to ff02::16 with Router Alert");
	n = mkmld(scratch, "ff02::2", 131, false);
	ok(tun_mld(scratch, n), "mld: v1 report, no Hop-by-Hop");
	n = mkmld(scratch, "ff02::1", 130, true);
	ok(tun_mld(scratch, n), "mld: query");
	n = mkmld(scratch, "ff02::2", 132, true);
	ok(tun_mld(scratch, n), "mld: done");
	n = mkmld(scratch, "2001:db8:1::1", 143, true);
	ok(!tun_mld(scratch, n), "mld: not to a group: not MLD to keep out");
	n = mkmld(scratch, "ff02::16", 128, true);
	ok(!tun_mld(scratch, n), "mld: an echo request to a group is not MLD");
	n = mkmld(scratch, "ff02::16", 133, true);
	ok(!tun_mld(scratch, n), "mld: nor is a Router Solicitation");
	n = mkmld(scratch, "ff02::16", 143, true);
	scratch[0] = 0x45;
	ok(!tun_mld(scratch, n), "mld: not IPv6");

	n = mkmld(scratch, "ff02::16", 143, true);
	bad = 0;
	for (k = 0; k < 49; k++) {
		m = dup_exact(scratch, k);
		if (tun_mld(m, k))
			bad++;
		free(m);
	}
	ok(bad == 0, "mld: cut before the ICMPv6 type: never MLD, no overread");
}

static void
test_stats(void)
{
	struct tun_stats st, copy;
	struct tun_pkt p;
	size_t n;

	memset(&st, 0, sizeof(st));
	n = mkpkt(scratch, row_named("trailing bytes trimmed"));
	tun_decap(&cx_client, &p, scratch, n);
	tun_stats_rx(&st, &p);
	n = mkpkt(scratch, row_named("client: src in a route"));
	tun_decap(&cx_client, &p, scratch, n);
	tun_stats_rx(&st, &p);
	tun_stats_rx(&st, &p);
	tun_stats_tx(&st, 1280);
	tun_stats_read(&copy, &st);
	ok(copy.rx_pkts == 1 && copy.rx_bytes == 60 && copy.rx_trailing == 1,
	    "stats: accepted packet and its trimmed bytes counted");
	ok(copy.drops[TUN_DROP_SRC_SPOOF] == 2 && copy.drops[NONE] == 0,
	    "stats: drops counted by reason");
	ok(copy.tx_pkts == 1 && copy.tx_bytes == 1280, "stats: tx counted");
}

int
main(void)
{
	mkctx();
	test_names();
	test_ctx();
	test_prefix();
	test_rows();
	test_decap_details();
	test_truncations();
	test_consistent_truncations();
	test_cksum();
	test_encap();
	test_echo();
	test_nd();
	test_ptb();
	test_icmp4();
	test_mld();
	test_stats();
	return (done_testing());
}
