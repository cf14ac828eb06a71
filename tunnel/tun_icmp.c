/*
 * Checksums and the ICMP messages the tunnel data plane sends or reads on
 * its own: echo to the peer (liveness, RTT), Packet Too Big (dynamic PMTU
 * mode), ICMPv4 Fragmentation Needed about our outer packets, and the
 * Neighbour Advertisement a userspace ND responder sends.
 */
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

uint64_t
tun_sum(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, ca = 0, cb = 0, w[4];
	uint32_t x;

	/*
	 * 64-bit words in the machine's byte order, their carries counted
	 * apart, in two sums that do not wait on each other.  That works
	 * because 2^16 is 1 modulo 0xffff: a 64-bit word adds what its four
	 * 16-bit words add and a carry out of bit 63 adds 1; and a one's
	 * complement sum of byte-swapped words is the sum byte-swapped (RFC
	 * 1071 2 B).  It sums every TCP segment into and out of the tunnel.
	 */
	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		a += w[0];
		ca += a < w[0];
		b += w[1];
		cb += b < w[1];
		a += w[2];
		ca += a < w[2];
		b += w[3];
		cb += b < w[3];
		p += sizeof(w);
		len -= sizeof(w);
	}
	a = (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) +
	    ca + cb;
	while (len >= 4) {
		memcpy(&x, p, 4);
		a += x;
		p += 4;
		len -= 4;
	}
	while (a >> 16)
		a = (a & 0xffff) + (a >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	a = (a >> 8 | a << 8) & 0xffff;
#endif
	sum += a;
	while (len >= 2) {
		sum += (uint64_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len > 0)
		sum += (uint64_t)p[0] << 8;
	return (sum);
}

uint16_t
tun_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ((uint16_t)~sum);
}

uint16_t
tun_cksum(const uint8_t *p, size_t len)
{
	return (tun_fold(tun_sum(0, p, len)));
}

uint16_t
tun_cksum6(const uint8_t *src, const uint8_t *dst, uint8_t nh,
    const uint8_t *msg, size_t len)
{
	uint64_t sum;

	sum = tun_sum(0, src, 16);
	sum = tun_sum(sum, dst, 16);
	sum += (uint64_t)(len >> 16) + (len & 0xffff);
	sum += nh;
	return (tun_fold(tun_sum(sum, msg, len)));
}

/* Fixed IPv6 header: no traffic class, no flow label. */
static void
tun_ip6_hdr(uint8_t *p, size_t plen, uint8_t nh, uint8_t hlim,
    const uint8_t *src, const uint8_t *dst)
{
	p[0] = 0x60;
	p[1] = p[2] = p[3] = 0;
	tun_wr16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = hlim;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

/*
 * The common front of the ICMPv6 readers: an IPv6 packet whose payload
 * length fits in len, whose chain leads, unfragmented, to an ICMPv6 message
 * of at least min bytes with a correct checksum.  Returns the message and
 * its length in *mlen, or NULL.
 */
static const uint8_t *
tun_icmp6_msg(const uint8_t *pkt, size_t len, size_t min, size_t *mlen)
{
	struct tun_l4 l4;
	size_t plen;

	if (len < TUN_IP6_HLEN || (pkt[0] >> 4) != 6)
		return (NULL);
	plen = tun_rd16(pkt + 4);
	if (plen > len - TUN_IP6_HLEN)
		return (NULL);
	len = TUN_IP6_HLEN + plen;
	if (tun_l4_find(pkt, len, &l4) == -1 || l4.frag ||
	    l4.proto != TUN_PROTO_ICMP6 || len - l4.off < min)
		return (NULL);
	*mlen = len - l4.off;
	if (tun_cksum6(pkt + 8, pkt + 24, TUN_PROTO_ICMP6, pkt + l4.off,
	    *mlen) != 0)
		return (NULL);
	return (pkt + l4.off);
}

int
tun_echo_req(const struct tun_ctx *cx, uint8_t *buf, size_t buflen,
    uint16_t id, uint16_t seq, uint64_t now_ns)
{
	uint8_t *icmp = buf + TUN_IP6_HLEN;

	if (buflen < TUN_ECHO_LEN)
		return (-1);
	tun_ip6_hdr(buf, TUN_ECHO_LEN - TUN_IP6_HLEN, TUN_PROTO_ICMP6, 64,
	    cx->addr, cx->peer);
	icmp[0] = TUN_ICMP6_ECHO_REQ;
	icmp[1] = 0;
	tun_wr16(icmp + 2, 0);
	tun_wr16(icmp + 4, id);
	tun_wr16(icmp + 6, seq);
	/*
	 * The send time travels in the request and comes back in the reply,
	 * so the RTT needs no table of requests in flight.
	 */
	memcpy(icmp + 8, TUN_ECHO_TAG, 8);
	tun_wr64(icmp + 16, now_ns);
	tun_wr16(icmp + 2, tun_cksum6(cx->addr, cx->peer, TUN_PROTO_ICMP6,
	    icmp, TUN_ECHO_LEN - TUN_IP6_HLEN));
	return (TUN_ECHO_LEN);
}

int
tun_echo_rtt(const struct tun_ctx *cx, const uint8_t *pkt, size_t len,
    uint16_t id, uint64_t now_ns, uint16_t *seq, uint64_t *rtt_ns)
{
	const uint8_t *icmp;
	size_t mlen;
	uint64_t sent;

	if ((icmp = tun_icmp6_msg(pkt, len, 24, &mlen)) == NULL)
		return (-1);
	if (icmp[0] != TUN_ICMP6_ECHO_REP || icmp[1] != 0 ||
	    tun_rd16(icmp + 4) != id ||
	    memcmp(icmp + 8, TUN_ECHO_TAG, 8) != 0)
		return (-1);
	if (memcmp(pkt + 8, cx->peer, 16) != 0 ||
	    memcmp(pkt + 24, cx->addr, 16) != 0)
		return (-1);
	sent = tun_rd64(icmp + 16);
	if (sent > now_ns)
		return (-1);
	*seq = tun_rd16(icmp + 6);
	*rtt_ns = now_ns - sent;
	return (0);
}

int
tun_ptb_build(const struct tun_ctx *cx, uint8_t *buf, size_t buflen,
    const uint8_t *pkt, size_t len, uint32_t mtu)
{
	struct tun_l4 l4;
	size_t quote, total;
	uint8_t *icmp;

	if (mtu < TUN_IPV6_MIN_MTU)
		return (-1);
	if (len < TUN_IP6_HLEN || (pkt[0] >> 4) != 6)
		return (-1);
	/* RFC 4443 2.4 (e.6): the source must name one node to answer. */
	if (tun_a6_unspec(pkt + 8) || tun_a6_multicast(pkt + 8))
		return (-1);
	/*
	 * RFC 4443 2.4 (e.1): never an error about an error.  A chain we
	 * cannot read might hide one, so it gets no answer either.
	 */
	if (tun_l4_find(pkt, len, &l4) == -1)
		return (-1);
	if (l4.proto == TUN_PROTO_ICMP6 &&
	    (len - l4.off < 1 || pkt[l4.off] < 128))
		return (-1);
	/* RFC 4443 2.4 (c): as much of the packet as fits in 1280 bytes. */
	quote = len;
	if (quote > TUN_IPV6_MIN_MTU - TUN_IP6_HLEN - 8)
		quote = TUN_IPV6_MIN_MTU - TUN_IP6_HLEN - 8;
	total = TUN_IP6_HLEN + 8 + quote;
	if (buflen < total)
		return (-1);
	tun_ip6_hdr(buf, total - TUN_IP6_HLEN, TUN_PROTO_ICMP6, 64, cx->addr,
	    pkt + 8);
	icmp = buf + TUN_IP6_HLEN;
	icmp[0] = TUN_ICMP6_PTB;
	icmp[1] = 0;
	tun_wr16(icmp + 2, 0);
	tun_wr32(icmp + 4, mtu);
	memcpy(icmp + 8, pkt, quote);
	tun_wr16(icmp + 2, tun_cksum6(buf + 8, buf + 24, TUN_PROTO_ICMP6, icmp,
	    total - TUN_IP6_HLEN));
	return ((int)total);
}

/*
 * RFC 1191 7: the MTUs in common use, for routers that report none.  The
 * first one below the size that did not fit is the best guess.
 */
static uint32_t
tun_plateau(uint32_t too_big)
{
	static const uint16_t plateaus[] = {
		32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68
	};
	size_t i;

	for (i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < too_big)
			return (plateaus[i]);
	return (0);
}

int
tun_icmp4_mtu(const struct tun_ctx *cx, const uint8_t *buf, size_t len,
    uint32_t *mtu)
{
	const uint8_t *icmp, *q;
	size_t ihl, tot, ilen;
	uint32_t m;

	if (len < TUN_IP4_HLEN || (buf[0] >> 4) != 4)
		return (-1);
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = tun_rd16(buf + 2);
	if (ihl < TUN_IP4_HLEN || tot < ihl || tot > len)
		return (-1);
	if (buf[9] != TUN_PROTO_ICMP4 || (tun_rd16(buf + 6) & 0x3fff) != 0)
		return (-1);
	icmp = buf + ihl;
	ilen = tot - ihl;
	/* ICMP header, then at least the quoted IPv4 header. */
	if (ilen < 8 + TUN_IP4_HLEN)
		return (-1);
	if (icmp[0] != 3 || icmp[1] != 4 || tun_cksum(icmp, ilen) != 0)
		return (-1);
	q = icmp + 8;
	/*
	 * Only the quoted addresses and protocol tie the message to our
	 * tunnel: anyone can send ICMP, and believing a forged one would
	 * shrink our MTU.  With 1:1 NAT the NAT rewrites the quoted header
	 * back to our private address (RFC 5508), so local is what we see.
	 */
	if ((q[0] >> 4) != 4 || (q[0] & 0x0f) < 5 || q[9] != TUN_PROTO_IPV6 ||
	    memcmp(q + 12, cx->local, 4) != 0 ||
	    memcmp(q + 16, cx->remote, 4) != 0)
		return (-1);
	m = tun_rd16(icmp + 6);
	if (m == 0)
		m = tun_plateau(tun_rd16(q + 2));
	/* RFC 791: every IPv4 link carries 68 bytes. */
	if (m < 68)
		return (-1);
	*mtu = m;
	return (0);
}

bool
tun_mld(const uint8_t *pkt, size_t len)
{
	struct tun_l4 l4;
	uint8_t type;

	if (len < TUN_IP6_HLEN || (pkt[0] >> 4) != 6 ||
	    !tun_a6_multicast(pkt + 24))
		return (false);
	if (tun_l4_find(pkt, len, &l4) == -1 || l4.proto != TUN_PROTO_ICMP6 ||
	    len - l4.off < 1)
		return (false);
	type = pkt[l4.off];
	return (type == TUN_ICMP6_MLD_QUERY || type == TUN_ICMP6_MLD_REPORT ||
	    type == TUN_ICMP6_MLD_DONE || type == TUN_ICMP6_MLD2_REPORT);
}

int
tun_nd_answer(const struct tun_ctx *cx, const uint8_t *pkt, size_t len,
    uint8_t *buf, size_t buflen)
{
	const uint8_t *icmp, *target, *opt, *end, *src, *dst;
	uint8_t snm[16];
	size_t mlen;
	uint8_t *na;

	if (buflen < TUN_NA_LEN)
		return (-1);
	if ((icmp = tun_icmp6_msg(pkt, len, 24, &mlen)) == NULL)
		return (-1);
	if (icmp[0] != TUN_ICMP6_NS || icmp[1] != 0 || pkt[7] != 255)
		return (-1);
	src = pkt + 8;
	dst = pkt + 24;
	target = icmp + 8;
	if (memcmp(target, cx->addr, 16) != 0 &&
	    memcmp(target, cx->lladdr, 16) != 0)
		return (-1);
	/*
	 * A DAD probe (source ::) for our own address means the other end is
	 * misconfigured with it; tun_decap drops those before they get here,
	 * and defending the address on a two-node link would settle nothing.
	 */
	if (!tun_a6_linklocal(src) && memcmp(src, cx->peer, 16) != 0)
		return (-1);
	/* Unicast to the target (NUD), or its solicited-node group. */
	tun_solicited_node(snm, target);
	if (memcmp(dst, target, 16) != 0 && memcmp(dst, snm, 16) != 0)
		return (-1);
	/* RFC 4861 7.1.1: every option has a non-zero length. */
	opt = icmp + 24;
	end = icmp + mlen;
	while (opt < end) {
		if (end - opt < 2 || opt[1] == 0 ||
		    (size_t)(end - opt) < (size_t)opt[1] * 8)
			return (-1);
		opt += (size_t)opt[1] * 8;
	}

	/*
	 * The NA comes from the target to whoever asked.  Solicited is set.
	 * Override stays clear and no Target Link-Layer Address option goes
	 * with it: 6in4 has no link-layer address, so there is nothing in the
	 * peer's cache to override (the kernel does the same for a unicast
	 * NS).  Router is set on the broker end, which forwards for the client.
	 */
	tun_ip6_hdr(buf, TUN_NA_LEN - TUN_IP6_HLEN, TUN_PROTO_ICMP6, 255,
	    target, src);
	na = buf + TUN_IP6_HLEN;
	na[0] = TUN_ICMP6_NA;
	na[1] = 0;
	tun_wr16(na + 2, 0);
	na[4] = (uint8_t)((cx->role == CONF_TUN_BROKER ? 0x80 : 0) | 0x40);
	na[5] = na[6] = na[7] = 0;
	memcpy(na + 8, target, 16);
	tun_wr16(na + 2, tun_cksum6(buf + 8, buf + 24, TUN_PROTO_ICMP6, na,
	    TUN_NA_LEN - TUN_IP6_HLEN));
	return (TUN_NA_LEN);
}
