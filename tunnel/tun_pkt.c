/*
 * 6in4 decapsulation and its safety checks, encapsulation header, counters.
 * Everything here is a pure function of its arguments: no I/O, no globals.
 */
#include <stdio.h>
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

static const char *const tun_drop_names[TUN_DROP_MAX] = {
	[TUN_DROP_NONE] = "none",
	[TUN_DROP_SHORT] = "short",
	[TUN_DROP_BAD_OUTER] = "bad_outer",
	[TUN_DROP_BAD_PROTO] = "bad_proto",
	[TUN_DROP_FRAGMENT] = "fragment",
	[TUN_DROP_NOT_REMOTE] = "not_remote",
	[TUN_DROP_NOT_LOCAL] = "not_local",
	[TUN_DROP_BAD_VERSION] = "bad_version",
	[TUN_DROP_BAD_LEN] = "bad_len",
	[TUN_DROP_JUMBO] = "jumbo",
	[TUN_DROP_SRC_MARTIAN] = "src_martian",
	[TUN_DROP_DST_MARTIAN] = "dst_martian",
	[TUN_DROP_SRC_SPOOF] = "src_spoof",
	[TUN_DROP_DST_NOT_OURS] = "dst_not_ours",
	[TUN_DROP_BAD_EXTHDR] = "bad_exthdr",
	[TUN_DROP_ND_NOT_PEER] = "nd_not_peer",
	[TUN_DROP_ND_BAD] = "nd_bad",
};

/* ff02::1 and ff02::2: the groups every node and every router joins. */
static const uint8_t tun_all_nodes[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
};
static const uint8_t tun_all_routers[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
};

const char *
tun_drop_name(enum tun_drop d)
{
	if ((unsigned)d >= TUN_DROP_MAX)
		return ("unknown");
	return (tun_drop_names[d]);
}

bool
tun_a6_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return (memcmp(a, zero, 16) == 0);
}

bool
tun_a6_loopback(const uint8_t *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return (memcmp(a, one, 16) == 0);
}

bool
tun_a6_multicast(const uint8_t *a)
{
	return (a[0] == 0xff);
}

bool
tun_a6_linklocal(const uint8_t *a)
{
	return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

bool
tun_a6_v4compat(const uint8_t *a)
{
	static const uint8_t zero[12];

	return (memcmp(a, zero, 12) == 0);
}

bool
tun_a6_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return (memcmp(a, pfx, 12) == 0);
}

/*
 * RFC 3964 5.1: a 6to4 address (2002:V4ADDR::/48) built on an IPv4 address
 * that no 6to4 router can own (this-network, private, loopback, link-local,
 * multicast, reserved, broadcast) can only be forged.
 */
bool
tun_a6_6to4_martian(const uint8_t *a)
{
	const uint8_t *v4 = a + 2;

	if (a[0] != 0x20 || a[1] != 0x02)
		return (false);
	return (v4[0] == 0 || v4[0] == 10 || v4[0] == 127 ||
	    (v4[0] == 169 && v4[1] == 254) ||
	    (v4[0] == 172 && (v4[1] & 0xf0) == 16) ||
	    (v4[0] == 192 && v4[1] == 168) ||
	    v4[0] >= 224);
}

bool
tun_in_prefix(const uint8_t *a, const uint8_t *pfx, unsigned plen)
{
	unsigned full, rest;
	uint8_t mask;

	if (plen > 128)
		plen = 128;
	full = plen / 8;
	rest = plen % 8;
	if (memcmp(a, pfx, full) != 0)
		return (false);
	if (rest == 0)
		return (true);
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a[full] & mask) == (pfx[full] & mask));
}

bool
tun_in_routes(const struct tun_ctx *cx, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < cx->nroutes; i++)
		if (tun_in_prefix(a, cx->routes[i].addr, cx->routes[i].plen))
			return (true);
	return (false);
}

/* ff02::1:ffXX:XXXX for the low 24 bits of a (RFC 4291 2.7.1). */
void
tun_solicited_node(uint8_t *snm, const uint8_t *a)
{
	static const uint8_t pfx[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff
	};

	memcpy(snm, pfx, sizeof(pfx));
	memcpy(snm + 13, a + 13, 3);
}

static int
tun_ctx_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return (-1);
}

int
tun_ctx_init(struct tun_ctx *cx, const struct conf_tunnel *ct, char *err,
    size_t errlen)
{
	size_t i;

	memset(cx, 0, sizeof(*cx));
	if (ct->role != CONF_TUN_CLIENT && ct->role != CONF_TUN_BROKER)
		return (tun_ctx_err(err, errlen,
		    "role is neither client nor broker"));
	/*
	 * The remote is the only source we take protocol 41 from, and the
	 * local address names our link-local and the outer destination we
	 * accept: neither may be left open.
	 */
	if (ct->remote.s_addr == 0)
		return (tun_ctx_err(err, errlen,
		    "remote IPv4 address is 0.0.0.0"));
	if (ct->local.s_addr == 0)
		return (tun_ctx_err(err, errlen,
		    "local IPv4 address is 0.0.0.0"));
	if (ct->plen > 128)
		return (tun_ctx_err(err, errlen, "prefix length past 128"));
	if (tun_a6_unspec(ct->address.s6_addr) ||
	    tun_a6_multicast(ct->address.s6_addr))
		return (tun_ctx_err(err, errlen,
		    "tunnel address is unspecified or multicast"));
	if (tun_a6_unspec(ct->peer.s6_addr) ||
	    tun_a6_multicast(ct->peer.s6_addr))
		return (tun_ctx_err(err, errlen,
		    "peer address is unspecified or multicast"));
	if (memcmp(ct->address.s6_addr, ct->peer.s6_addr, 16) == 0)
		return (tun_ctx_err(err, errlen, "peer address is our own"));
	if (ct->ttl < 1 || ct->ttl > 255)
		return (tun_ctx_err(err, errlen, "ttl not in 1-255"));
	if (ct->nroutes > TUN_ROUTES_MAX)
		return (tun_ctx_err(err, errlen, "too many routes"));
	if (ct->nroutes > 0 && ct->routes == NULL)
		return (tun_ctx_err(err, errlen, "routes missing"));
	for (i = 0; i < ct->nroutes; i++) {
		if (ct->routes[i].family != AF_INET6)
			return (tun_ctx_err(err, errlen, "route is not IPv6"));
		if (ct->routes[i].plen > 128)
			return (tun_ctx_err(err, errlen,
			    "route prefix length past 128"));
		memcpy(cx->routes[i].addr, ct->routes[i].addr, 16);
		cx->routes[i].plen = ct->routes[i].plen;
	}
	cx->nroutes = ct->nroutes;
	cx->role = ct->role;
	memcpy(cx->local, &ct->local.s_addr, 4);
	memcpy(cx->remote, &ct->remote.s_addr, 4);
	memcpy(cx->addr, ct->address.s6_addr, 16);
	cx->plen = ct->plen;
	memcpy(cx->peer, ct->peer.s6_addr, 16);
	cx->ttl = (uint8_t)ct->ttl;

	/*
	 * RFC 4213 3.7: the interface identifier of a configured tunnel may
	 * be the 32-bit IPv4 address of the underlying interface, zero-padded
	 * on the left to 64 bits (the u bit stays 0: not globally unique).
	 * Both ends have different IPv4 addresses, so the two link-locals
	 * differ without any negotiation.
	 */
	cx->lladdr[0] = 0xfe;
	cx->lladdr[1] = 0x80;
	memcpy(cx->lladdr + 12, cx->local, 4);
	tun_solicited_node(cx->snm[0], cx->addr);
	tun_solicited_node(cx->snm[1], cx->lladdr);
	return (0);
}

/*
 * Walks the chain generically: each header names the next one in its first
 * byte.  Every read is preceded by a bound check against len, and the loop
 * stops after TUN_EXTHDR_MAX headers, so a hostile chain costs at most that
 * many steps.
 */
int
tun_l4_find(const uint8_t *ip6, size_t len, struct tun_l4 *l4)
{
	size_t off = TUN_IP6_HLEN, hl;
	uint8_t nh;
	unsigned n;

	memset(l4, 0, sizeof(*l4));
	if (len < TUN_IP6_HLEN)
		return (-1);
	nh = ip6[6];
	for (n = 0;; n++) {
		switch (nh) {
		case 0:		/* Hop-by-Hop: RFC 8200 4.1, first or never */
			if (n != 0)
				return (-1);
			/* FALLTHROUGH */
		case 43:	/* Routing */
		case 60:	/* Destination Options */
		case 135:	/* Mobility */
		case 139:	/* HIP */
		case 140:	/* Shim6 */
			if (len - off < 2)
				return (-1);
			hl = ((size_t)ip6[off + 1] + 1) * 8;
			break;
		case 51:	/* AH counts 4-byte words, minus 2 */
			if (len - off < 2)
				return (-1);
			hl = ((size_t)ip6[off + 1] + 2) * 4;
			break;
		case TUN_PROTO_FRAG:
			if (len - off < 8)
				return (-1);
			l4->frag = true;
			/*
			 * Only the first fragment holds the upper-layer
			 * header (RFC 7112); past it the chain ends here.
			 */
			if ((tun_rd16(ip6 + off + 2) & 0xfff8) != 0) {
				l4->proto = TUN_PROTO_FRAG;
				l4->off = off;
				return (0);
			}
			hl = 8;
			break;
		default:	/* upper layer, ESP or No Next Header */
			l4->proto = nh;
			l4->off = off;
			return (0);
		}
		if (n == TUN_EXTHDR_MAX || hl > len - off)
			return (-1);
		nh = ip6[off];
		off += hl;
	}
}

static int
tun_drop(struct tun_pkt *out, enum tun_drop why)
{
	out->drop = why;
	return (-1);
}

static enum tun_drop
tun_check_src(const struct tun_ctx *cx, const uint8_t *src)
{
	bool inside;

	/*
	 * RFC 4213 3.6 and RFC 3964 5: no node on the other side of a tunnel
	 * can legitimately send from these.
	 */
	if (tun_a6_unspec(src) || tun_a6_loopback(src) ||
	    tun_a6_multicast(src) || tun_a6_v4compat(src) ||
	    tun_a6_v4mapped(src) || tun_a6_6to4_martian(src))
		return (TUN_DROP_SRC_MARTIAN);
	if (memcmp(src, cx->addr, 16) == 0 || memcmp(src, cx->lladdr, 16) == 0)
		return (TUN_DROP_SRC_SPOOF);
	/* The link is point to point: any other link-local is the peer's. */
	if (tun_a6_linklocal(src) || memcmp(src, cx->peer, 16) == 0)
		return (TUN_DROP_NONE);
	inside = tun_in_prefix(src, cx->addr, cx->plen) ||
	    tun_in_routes(cx, src);
	/*
	 * The client's prefixes live behind the client, so the broker only
	 * takes them from the tunnel and the client never does: anything else
	 * is someone using the tunnel to forge our own addresses.
	 */
	if (cx->role == CONF_TUN_CLIENT)
		return (inside ? TUN_DROP_SRC_SPOOF : TUN_DROP_NONE);
	return (inside ? TUN_DROP_NONE : TUN_DROP_SRC_SPOOF);
}

static enum tun_drop
tun_check_dst(const struct tun_ctx *cx, const uint8_t *dst)
{
	if (tun_a6_unspec(dst) || tun_a6_loopback(dst) ||
	    tun_a6_v4compat(dst) || tun_a6_v4mapped(dst))
		return (TUN_DROP_DST_MARTIAN);
	/* Only the groups ND and RS need on a link with two nodes. */
	if (tun_a6_multicast(dst)) {
		if (memcmp(dst, tun_all_nodes, 16) == 0 ||
		    memcmp(dst, tun_all_routers, 16) == 0 ||
		    memcmp(dst, cx->snm[0], 16) == 0 ||
		    memcmp(dst, cx->snm[1], 16) == 0)
			return (TUN_DROP_NONE);
		return (TUN_DROP_DST_NOT_OURS);
	}
	if (memcmp(dst, cx->addr, 16) == 0 || memcmp(dst, cx->lladdr, 16) == 0)
		return (TUN_DROP_NONE);
	if (tun_a6_linklocal(dst))
		return (TUN_DROP_DST_NOT_OURS);
	/* A client only takes what is routed to it; a broker forwards. */
	if (cx->role == CONF_TUN_CLIENT && !tun_in_routes(cx, dst))
		return (TUN_DROP_DST_NOT_OURS);
	return (TUN_DROP_NONE);
}

/*
 * ND and router discovery messages steer our routing and neighbour state,
 * so beyond the address checks they must come from the other end of the
 * link (its tunnel address or a link-local) and must not have crossed a
 * router (RFC 4861 6.1, 7.1: hop limit 255, code 0), nor come in fragments
 * (RFC 6980).
 */
static enum tun_drop
tun_check_l4(const struct tun_ctx *cx, const uint8_t *ip6, struct tun_pkt *out)
{
	struct tun_l4 l4;
	const uint8_t *icmp;
	const uint8_t *src = ip6 + 8;

	if (tun_l4_find(ip6, out->len, &l4) == -1)
		return (TUN_DROP_BAD_EXTHDR);
	out->proto = l4.proto;
	out->l4off = l4.off;
	out->frag = l4.frag;
	if (l4.proto != TUN_PROTO_ICMP6)
		return (TUN_DROP_NONE);
	if (out->len - l4.off < 4)
		return (TUN_DROP_BAD_EXTHDR);
	icmp = ip6 + l4.off;
	out->icmp6_type = icmp[0];
	if (icmp[0] < TUN_ICMP6_RS || icmp[0] > TUN_ICMP6_REDIRECT)
		return (TUN_DROP_NONE);
	if (!tun_a6_linklocal(src) && memcmp(src, cx->peer, 16) != 0)
		return (TUN_DROP_ND_NOT_PEER);
	if (ip6[7] != 255 || icmp[1] != 0 || l4.frag)
		return (TUN_DROP_ND_BAD);
	return (TUN_DROP_NONE);
}

int
tun_decap(const struct tun_ctx *cx, struct tun_pkt *out, const uint8_t *buf,
    size_t len)
{
	const uint8_t *ip6;
	size_t ihl, tot, ilen, plen;
	enum tun_drop why;

	memset(out, 0, sizeof(*out));
	if (len < TUN_IP4_HLEN)
		return (tun_drop(out, TUN_DROP_SHORT));
	if ((buf[0] >> 4) != 4)
		return (tun_drop(out, TUN_DROP_BAD_OUTER));
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	if (ihl < TUN_IP4_HLEN)
		return (tun_drop(out, TUN_DROP_BAD_OUTER));
	if (ihl > len)
		return (tun_drop(out, TUN_DROP_SHORT));
	tot = tun_rd16(buf + 2);
	if (tot < ihl)
		return (tun_drop(out, TUN_DROP_BAD_OUTER));
	/* Fewer bytes than the header announces: the read was cut short. */
	if (tot > len)
		return (tun_drop(out, TUN_DROP_SHORT));
	/*
	 * The kernel trims a datagram to its total length before a raw
	 * socket sees it, so extra bytes mean the header lies.
	 */
	if (tot < len)
		return (tun_drop(out, TUN_DROP_BAD_OUTER));
	if (buf[9] != TUN_PROTO_IPV6)
		return (tun_drop(out, TUN_DROP_BAD_PROTO));
	/*
	 * Raw sockets get datagrams after reassembly; a fragment here means
	 * something bypassed it and the payload is not a whole packet.
	 */
	if ((tun_rd16(buf + 6) & 0x3fff) != 0)
		return (tun_drop(out, TUN_DROP_FRAGMENT));
	/* RFC 4213 3.6: protocol 41 only from the configured remote. */
	if (memcmp(buf + 12, cx->remote, 4) != 0)
		return (tun_drop(out, TUN_DROP_NOT_REMOTE));
	if (memcmp(buf + 16, cx->local, 4) != 0)
		return (tun_drop(out, TUN_DROP_NOT_LOCAL));

	ip6 = buf + ihl;
	ilen = tot - ihl;
	if (ilen < TUN_IP6_HLEN)
		return (tun_drop(out, TUN_DROP_SHORT));
	if ((ip6[0] >> 4) != 6)
		return (tun_drop(out, TUN_DROP_BAD_VERSION));
	plen = tun_rd16(ip6 + 4);
	/*
	 * Payload length 0 with anything to follow is a jumbogram (RFC 2675),
	 * which cannot fit in an IPv4 datagram; only a bare header with No
	 * Next Header may be that short.
	 */
	if (plen == 0 && ip6[6] != TUN_PROTO_NONE)
		return (tun_drop(out, TUN_DROP_JUMBO));
	if (plen > ilen - TUN_IP6_HLEN)
		return (tun_drop(out, TUN_DROP_BAD_LEN));
	/*
	 * Bytes past the payload length are not part of the packet (RFC 8200
	 * 3): the IPv6 stack would drop them anyway, so trim and count rather
	 * than lose the packet.
	 */
	out->off = ihl;
	out->len = TUN_IP6_HLEN + plen;
	out->trailing = ilen - out->len;

	if ((why = tun_check_src(cx, ip6 + 8)) != TUN_DROP_NONE)
		return (tun_drop(out, why));
	if ((why = tun_check_dst(cx, ip6 + 24)) != TUN_DROP_NONE)
		return (tun_drop(out, why));
	if ((why = tun_check_l4(cx, ip6, out)) != TUN_DROP_NONE)
		return (tun_drop(out, why));
	return (0);
}

int
tun_encap_hdr(const struct tun_ctx *cx, uint8_t *hdr, size_t inner_len,
    uint16_t id, int flags)
{
	if (inner_len > TUN_INNER_MAX)
		return (-1);
	hdr[0] = 0x45;		/* version 4, no options */
	/*
	 * TOS 0 (RFC 4213 3.5): copying the inner traffic class would need
	 * the ECN rules of RFC 6040 at both ends.
	 */
	hdr[1] = 0;
	tun_wr16(hdr + 2, (uint16_t)(inner_len + TUN_OUTER_LEN));
	tun_wr16(hdr + 4, id);
	tun_wr16(hdr + 6, (flags & TUN_DF) ? 0x4000 : 0);
	hdr[8] = cx->ttl;
	hdr[9] = TUN_PROTO_IPV6;
	tun_wr16(hdr + 10, 0);
	memcpy(hdr + 12, cx->local, 4);
	memcpy(hdr + 16, cx->remote, 4);
	tun_wr16(hdr + 10, tun_cksum(hdr, TUN_OUTER_LEN));
	return (0);
}

void
tun_stats_rx(struct tun_stats *st, const struct tun_pkt *p)
{
	if (p->drop != TUN_DROP_NONE) {
		if ((unsigned)p->drop < TUN_DROP_MAX)
			tun_stat_add(&st->drops[p->drop], 1);
		return;
	}
	tun_stat_add(&st->rx_pkts, 1);
	tun_stat_add(&st->rx_bytes, p->len);
	if (p->trailing > 0)
		tun_stat_add(&st->rx_trailing, 1);
}

void
tun_stats_tx(struct tun_stats *st, size_t len)
{
	tun_stat_add(&st->tx_pkts, 1);
	tun_stat_add(&st->tx_bytes, len);
}

void
tun_stats_echo_tx(struct tun_stats *st)
{
	tun_stat_add(&st->echo_tx, 1);
}

void
tun_stats_echo_rx(struct tun_stats *st, uint64_t rtt_ns)
{
	tun_stat_add(&st->echo_rx, 1);
	__atomic_store_n(&st->echo_rtt_ns, rtt_ns, __ATOMIC_RELAXED);
}

void
tun_stats_read(struct tun_stats *dst, const struct tun_stats *src)
{
	size_t i;

	dst->rx_pkts = __atomic_load_n(&src->rx_pkts, __ATOMIC_RELAXED);
	dst->rx_bytes = __atomic_load_n(&src->rx_bytes, __ATOMIC_RELAXED);
	dst->rx_trailing = __atomic_load_n(&src->rx_trailing,
	    __ATOMIC_RELAXED);
	dst->tx_pkts = __atomic_load_n(&src->tx_pkts, __ATOMIC_RELAXED);
	dst->tx_bytes = __atomic_load_n(&src->tx_bytes, __ATOMIC_RELAXED);
	dst->echo_tx = __atomic_load_n(&src->echo_tx, __ATOMIC_RELAXED);
	dst->echo_rx = __atomic_load_n(&src->echo_rx, __ATOMIC_RELAXED);
	dst->echo_rtt_ns = __atomic_load_n(&src->echo_rtt_ns,
	    __ATOMIC_RELAXED);
	dst->nd_answered = __atomic_load_n(&src->nd_answered,
	    __ATOMIC_RELAXED);
	dst->rx_errors = __atomic_load_n(&src->rx_errors, __ATOMIC_RELAXED);
	dst->tx_errors = __atomic_load_n(&src->tx_errors, __ATOMIC_RELAXED);
	dst->tx_mld = __atomic_load_n(&src->tx_mld, __ATOMIC_RELAXED);
	dst->rx_overflow = __atomic_load_n(&src->rx_overflow,
	    __ATOMIC_RELAXED);
	dst->tx_gso = __atomic_load_n(&src->tx_gso, __ATOMIC_RELAXED);
	dst->ptb_sent = __atomic_load_n(&src->ptb_sent, __ATOMIC_RELAXED);
	dst->rx_gro = __atomic_load_n(&src->rx_gro, __ATOMIC_RELAXED);
	dst->rx_kgro = __atomic_load_n(&src->rx_kgro, __ATOMIC_RELAXED);
	dst->mtu = __atomic_load_n(&src->mtu, __ATOMIC_RELAXED);
	dst->frag_needed = __atomic_load_n(&src->frag_needed,
	    __ATOMIC_RELAXED);
	for (i = 0; i < TUN_DROP_MAX; i++)
		dst->drops[i] = __atomic_load_n(&src->drops[i],
		    __ATOMIC_RELAXED);
}
