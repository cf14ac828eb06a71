/*
 * What the TUN device hands over with IFF_VNET_HDR and TUNSETOFFLOAD: a
 * virtio-net header before every packet, partial checksums, and TCP
 * super-packets up to 64 KiB that the kernel's TCP built for a device
 * claiming TSO.  One read then carries what would otherwise take dozens;
 * this file turns each into the MTU-sized packets with full checksums
 * that go into the tunnel.  The other way, consecutive segments of one
 * TCP stream, or datagrams of one UDP flow, out of the tunnel are written
 * to the TUN as one super-packet (what GRO does in a NIC driver).  Pure functions over buffers, like
 * tun_pkt.c.
 */
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#define TUN_PROTO_TCP	6
#define TUN_PROTO_UDP	17
#define TUN_UDP_HLEN	8
#define TUN_TCP_HLEN	20
#define TUN_TCP_FIN	0x01
#define TUN_TCP_PSH	0x08
#define TUN_TCP_ACK	0x10
#define TUN_TCP_CWR	0x80

void
tun_vnet_read(struct tun_vnet *vh, const uint8_t *p)
{
	/* Host byte order: a TUN device without TUNSETVNETLE/BE. */
	vh->flags = p[0];
	vh->gso_type = p[1];
	memcpy(&vh->hdr_len, p + 2, 2);
	memcpy(&vh->gso_size, p + 4, 2);
	memcpy(&vh->csum_start, p + 6, 2);
	memcpy(&vh->csum_offset, p + 8, 2);
}

int
tun_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t off)
{
	uint16_t c;

	if (start >= len || off > len - start || len - start - off < 2)
		return (-1);
	/* The field holds the pseudo-header's sum: sum over it too. */
	c = tun_fold(tun_sum(0, pkt + start, len - start));
	tun_wr16(pkt + start + off, c);
	return (0);
}

int
tun_gso_init(struct tun_gso *g, const uint8_t *pkt, size_t len, size_t mss)
{
	struct tun_l4 l4;
	size_t thl;

	memset(g, 0, sizeof(*g));
	if (mss == 0 || len < TUN_IP6_HLEN || (pkt[0] >> 4) != 6 ||
	    TUN_IP6_HLEN + (size_t)tun_rd16(pkt + 4) != len)
		return (-1);
	if (tun_l4_find(pkt, len, &l4) == -1 || l4.frag ||
	    l4.proto != TUN_PROTO_TCP || len - l4.off < TUN_TCP_HLEN)
		return (-1);
	thl = (size_t)(pkt[l4.off + 12] >> 4) * 4;
	if (thl < TUN_TCP_HLEN || thl > len - l4.off)
		return (-1);
	g->pkt = pkt;
	g->len = len;
	g->l4off = l4.off;
	g->hlen = l4.off + thl;
	g->mss = mss;
	g->next = g->hlen;
	return (0);
}

int
tun_gso_next(struct tun_gso *g, uint8_t *buf, size_t buflen)
{
	size_t pay, seglen;
	uint8_t *tcp, fl;
	uint64_t sum;
	bool first, last;

	if (g->pkt == NULL || (g->next >= g->len && g->next > g->hlen))
		return (0);
	pay = g->len - g->next;
	if (pay > g->mss)
		pay = g->mss;
	seglen = g->hlen + pay;
	if (seglen > buflen)
		return (-1);
	first = g->next == g->hlen;
	last = g->next + pay >= g->len;
	memcpy(buf, g->pkt, g->hlen);
	memcpy(buf + g->hlen, g->pkt + g->next, pay);
	tun_wr16(buf + 4, (uint16_t)(seglen - TUN_IP6_HLEN));
	tcp = buf + g->l4off;
	tun_wr32(tcp + 4, tun_rd32(tcp + 4) + (uint32_t)(g->next - g->hlen));
	fl = tcp[13];
	if (!last)
		fl &= (uint8_t)~(TUN_TCP_FIN | TUN_TCP_PSH);
	if (!first)
		fl &= (uint8_t)~TUN_TCP_CWR;
	tcp[13] = fl;
	tun_wr16(tcp + 16, 0);
	/* Upper-layer length: everything after the extension headers. */
	sum = tun_sum(0, buf + 8, 32);
	sum += (uint64_t)(seglen - g->l4off) + TUN_PROTO_TCP;
	tun_wr16(tcp + 16, tun_fold(tun_sum(sum, tcp, seglen - g->l4off)));
	g->next += pay;
	if (g->next == g->hlen)		/* mark a header-only one done */
		g->next = g->len + 1;
	return ((int)seglen);
}

/*
 * The length of the headers of a TCP segment with data right after a
 * plain IPv6 header, its length the whole of len; 0 for anything else.
 */
static size_t
tun_tcp6_hlen(const uint8_t *pkt, size_t len)
{
	size_t thl;

	if (len < TUN_IP6_HLEN + TUN_TCP_HLEN || (pkt[0] >> 4) != 6 ||
	    pkt[6] != TUN_PROTO_TCP ||
	    TUN_IP6_HLEN + (size_t)tun_rd16(pkt + 4) != len)
		return (0);
	thl = (size_t)(pkt[TUN_IP6_HLEN + 12] >> 4) * 4;
	if (thl < TUN_TCP_HLEN || TUN_IP6_HLEN + thl >= len)
		return (0);
	return (TUN_IP6_HLEN + thl);
}

size_t
tun_gro_ok(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if ((hlen = tun_tcp6_hlen(pkt, len)) == 0)
		return (0);
	/* Only the middle of a bulk transfer: ACK, perhaps PSH at its end. */
	if ((pkt[TUN_IP6_HLEN + 13] & (uint8_t)~TUN_TCP_PSH) != TUN_TCP_ACK ||
	    (pkt[TUN_IP6_HLEN + 12] & 0x0f) != 0)
		return (0);
	/* Merged, its checksum is recomputed: a bad one must not vanish. */
	if (tun_cksum6(pkt + 8, pkt + 24, TUN_PROTO_TCP, pkt + TUN_IP6_HLEN,
	    len - TUN_IP6_HLEN) != 0)
		return (0);
	return (hlen);
}

bool
tun_gro_match(const uint8_t *first, const uint8_t *pkt, size_t hlen,
    uint32_t seq)
{
	const uint8_t *a = first + TUN_IP6_HLEN, *b = pkt + TUN_IP6_HLEN;

	/* Version, class, flow label; hop limit and addresses; TCP. */
	return (memcmp(first, pkt, 4) == 0 &&
	    memcmp(first + 6, pkt + 6, 34) == 0 &&
	    tun_rd32(b + 4) == seq &&
	    memcmp(a, b, 4) == 0 && memcmp(a + 8, b + 8, 5) == 0 &&
	    memcmp(a + 14, b + 14, 2) == 0 &&
	    memcmp(a + 18, b + 18, hlen - TUN_IP6_HLEN - 18) == 0);
}

void
tun_gro_finish(uint8_t *first, size_t hlen, size_t total, bool psh,
    uint16_t mss, uint8_t *vnet)
{
	uint8_t *tcp = first + TUN_IP6_HLEN;
	uint64_t sum;
	uint16_t v;

	tun_wr16(first + 4, (uint16_t)(total - TUN_IP6_HLEN));
	if (psh)
		tcp[13] |= TUN_TCP_PSH;
	/* The pseudo-header's sum, left for the kernel to complete. */
	sum = tun_sum(0, first + 8, 32);
	sum += (uint64_t)(total - TUN_IP6_HLEN) + TUN_PROTO_TCP;
	tun_wr16(tcp + 16, (uint16_t)~tun_fold(sum));
	memset(vnet, 0, TUN_VNET_LEN);
	vnet[0] = TUN_VNET_NEEDS_CSUM;
	vnet[1] = TUN_VNET_GSO_TCPV6;
	v = (uint16_t)hlen;
	memcpy(vnet + 2, &v, 2);
	memcpy(vnet + 4, &mss, 2);
	v = TUN_IP6_HLEN;
	memcpy(vnet + 6, &v, 2);
	v = 16;
	memcpy(vnet + 8, &v, 2);
}

size_t
tun_ugro_ok(const uint8_t *pkt, size_t len)
{
	if (len <= TUN_IP6_HLEN + TUN_UDP_HLEN || (pkt[0] >> 4) != 6 ||
	    pkt[6] != TUN_PROTO_UDP ||
	    TUN_IP6_HLEN + (size_t)tun_rd16(pkt + 4) != len ||
	    tun_rd16(pkt + TUN_IP6_HLEN + 4) != len - TUN_IP6_HLEN)
		return (0);
	/* Zero is no checksum at all, which IPv6 does not allow. */
	if (tun_rd16(pkt + TUN_IP6_HLEN + 6) == 0 ||
	    tun_cksum6(pkt + 8, pkt + 24, TUN_PROTO_UDP, pkt + TUN_IP6_HLEN,
	    len - TUN_IP6_HLEN) != 0)
		return (0);
	return (TUN_IP6_HLEN + TUN_UDP_HLEN);
}

bool
tun_ugro_match(const uint8_t *first, const uint8_t *pkt)
{
	return (memcmp(first, pkt, 4) == 0 &&
	    memcmp(first + 6, pkt + 6, 34) == 0 &&
	    memcmp(first + TUN_IP6_HLEN, pkt + TUN_IP6_HLEN, 4) == 0);
}

void
tun_ugro_finish(uint8_t *first, size_t total, uint16_t size, uint8_t *vnet)
{
	uint8_t *udp = first + TUN_IP6_HLEN;
	uint64_t sum;
	uint16_t v;

	tun_wr16(first + 4, (uint16_t)(total - TUN_IP6_HLEN));
	tun_wr16(udp + 4, (uint16_t)(total - TUN_IP6_HLEN));
	sum = tun_sum(0, first + 8, 32);
	sum += (uint64_t)(total - TUN_IP6_HLEN) + TUN_PROTO_UDP;
	tun_wr16(udp + 6, (uint16_t)~tun_fold(sum));
	memset(vnet, 0, TUN_VNET_LEN);
	vnet[0] = TUN_VNET_NEEDS_CSUM;
	vnet[1] = TUN_VNET_GSO_UDP_L4;
	v = TUN_IP6_HLEN + TUN_UDP_HLEN;
	memcpy(vnet + 2, &v, 2);
	memcpy(vnet + 4, &size, 2);
	v = TUN_IP6_HLEN;
	memcpy(vnet + 6, &v, 2);
	v = 6;
	memcpy(vnet + 8, &v, 2);
}

size_t
tun_kgro_ok(const uint8_t *pkt, size_t len)
{
	uint16_t want, got;
	uint64_t sum;
	size_t hlen;

	if ((hlen = tun_tcp6_hlen(pkt, len)) == 0)
		return (0);
	/*
	 * What tcp6_gro_complete leaves in the field: the pseudo-header's
	 * sum for the whole length, folded, not complemented (0 and 0xffff
	 * are the same number there).
	 */
	sum = tun_sum(0, pkt + 8, 32);
	sum += (uint64_t)(len - TUN_IP6_HLEN) + TUN_PROTO_TCP;
	want = (uint16_t)~tun_fold(sum);
	got = tun_rd16(pkt + TUN_IP6_HLEN + 16);
	if (got != want && !((got == 0 || got == 0xffff) &&
	    (want == 0 || want == 0xffff)))
		return (0);
	return (hlen);
}
