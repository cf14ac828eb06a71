/*
 * TUN offloads (tunnel/tun_gso.c): a TCP super-packet as the kernel hands
 * it over (partial checksum, one header for 64 KiB) cut into segments that
 * each verify and together carry the payload in order, with the flags
 * where TCP wants them; partial checksums completed; what cannot be cut
 * refused; and the word-at-a-time checksum against a plain one.  The way
 * out: segments gathered into one, and what the receiving kernel's GRO
 * made recognised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#define TCP_HLEN	32	/* with the timestamps option */
#define SEQ0		0xfffff000u	/* wraps inside the packet */

static uint8_t pkt[65536], seg[2048], seen[65536];
static uint8_t segs[8][2048], whole[65536];

/* The RFC 1071 sum, two bytes at a time. */
static uint64_t
slow_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (; len >= 2; p += 2, len -= 2)
		s += (uint64_t)p[0] << 8 | p[1];
	if (len > 0)
		s += (uint64_t)p[0] << 8;
	return (s);
}

/* The pseudo-header's sum alone, as the kernel leaves it in the field. */
static uint16_t
pseudo(const uint8_t *ip6, size_t l4len, uint8_t nh)
{
	uint64_t s = tun_sum(0, ip6 + 8, 32) + l4len + nh;

	return ((uint16_t)~tun_fold(s));
}

/* IPv6 + TCP (flags fl) + pay bytes of pattern; returns the length. */
static size_t
mk_tcp(size_t pay, uint8_t fl)
{
	size_t i, len = 40 + TCP_HLEN + pay;

	memset(pkt, 0, 40 + TCP_HLEN);
	pkt[0] = 0x60;
	tun_wr16(pkt + 4, (uint16_t)(len - 40));
	pkt[6] = 6;
	pkt[7] = 64;
	pkt[8] = 0x20; pkt[9] = 0x01; pkt[10] = 0x0d; pkt[11] = 0xb8;
	pkt[23] = 2;
	pkt[24] = 0x20; pkt[25] = 0x01; pkt[26] = 0x0d; pkt[27] = 0xb8;
	pkt[39] = 0x64;
	tun_wr16(pkt + 40, 80);
	tun_wr16(pkt + 42, 4711);
	tun_wr32(pkt + 44, SEQ0);
	tun_wr32(pkt + 48, 12345);
	pkt[52] = (TCP_HLEN / 4) << 4;
	pkt[53] = fl;
	tun_wr16(pkt + 54, 65000);
	pkt[60] = 1; pkt[61] = 1; pkt[62] = 8; pkt[63] = 10;	/* NOP NOP TS */
	tun_wr32(pkt + 64, 777);
	tun_wr32(pkt + 68, 888);
	for (i = 0; i < pay; i++)
		pkt[40 + TCP_HLEN + i] = (uint8_t)(i * 7 + (i >> 8));
	tun_wr16(pkt + 56, pseudo(pkt, len - 40, 6));
	return (len);
}

static void
test_cut(size_t pay, size_t mss, uint8_t fl, const char *name)
{
	struct tun_gso g;
	size_t len = mk_tcp(pay, fl), got = 0, want;
	unsigned nseg = 0, bad_sum = 0, bad_seq = 0, bad_fl = 0, bad_hdr = 0;
	char last_fl[8] = "", want_fl[8];
	int n;

	want = pay == 0 ? 1 : (pay + mss - 1) / mss;
	ok(tun_gso_init(&g, pkt, len, mss) == 0, "%s: init", name);
	while ((n = tun_gso_next(&g, seg, sizeof(seg))) > 0) {
		size_t sp = (size_t)n - 40 - TCP_HLEN;
		bool first = nseg == 0, last = got + sp == pay;
		uint8_t f = seg[53];

		if (tun_cksum6(seg + 8, seg + 24, 6, seg + 40,
		    (size_t)n - 40) != 0)
			bad_sum++;
		if (tun_rd32(seg + 44) != (uint32_t)(SEQ0 + got))
			bad_seq++;
		if (tun_rd16(seg + 4) != n - 40 || memcmp(seg, pkt, 4) != 0 ||
		    memcmp(seg + 6, pkt + 6, 34) != 0 ||
		    memcmp(seg + 60, pkt + 60, TCP_HLEN - 20) != 0)
			bad_hdr++;
		if (((f & 0x09) != 0) != (last && (fl & 0x09) != 0) ||
		    ((f & 0x80) != 0) != (first && (fl & 0x80) != 0) ||
		    (f & 0x10) != (fl & 0x10))
			bad_fl++;
		if (sp > mss || (!last && sp != mss))
			bad_hdr++;
		(void)snprintf(last_fl, sizeof(last_fl), "%02x", f);
		memcpy(seen + got, seg + 40 + TCP_HLEN, sp);
		got += sp;
		nseg++;
	}
	is_int(n, 0, "ends with 0");
	is_int(nseg, (long long)want, name);
	is_int(got, pay, "every payload byte once");
	ok(memcmp(seen, pkt + 40 + TCP_HLEN, pay) == 0, "in order");
	is_int(bad_sum, 0, "every segment's checksum verifies");
	is_int(bad_seq, 0, "sequence numbers advance by the payload");
	is_int(bad_hdr, 0, "headers copied, lengths right");
	is_int(bad_fl, 0, "FIN/PSH on the last only, CWR on the first only");
	(void)snprintf(want_fl, sizeof(want_fl), "%02x", want == 1 ? fl :
	    fl & 0x7f);
	is_str(last_fl, want_fl, "the last segment's flags");
	is_int(tun_gso_next(&g, seg, sizeof(seg)), 0, "and stays done");
}

static void
test_refuse(void)
{
	struct tun_gso g;
	size_t len = mk_tcp(3000, 0x10);

	ok(tun_gso_init(&g, pkt, len - 1, 1400) == -1,
	    "refused: payload length disagrees");
	ok(tun_gso_init(&g, pkt, len, 0) == -1, "refused: mss 0");
	pkt[52] = 0x40;
	ok(tun_gso_init(&g, pkt, len, 1400) == -1, "refused: data offset 16");
	pkt[52] = 0xf0;
	ok(tun_gso_init(&g, pkt, 40 + 40, 1400) == -1,
	    "refused: TCP header past the end");
	mk_tcp(3000, 0x10);
	pkt[6] = 17;
	ok(tun_gso_init(&g, pkt, len, 1400) == -1, "refused: UDP");
	is_int(tun_gso_next(&g, seg, sizeof(seg)), 0, "a refused one yields "
	    "nothing");
	pkt[6] = 6;
	pkt[0] = 0x45;
	ok(tun_gso_init(&g, pkt, len, 1400) == -1, "refused: IPv4");
	mk_tcp(3000, 0x10);
	ok(tun_gso_init(&g, pkt, len, 1400) == 0, "a good one");
	is_int(tun_gso_next(&g, seg, 100), -1, "a small buffer: -1");
}

static void
test_csum(void)
{
	size_t len = mk_tcp(1000, 0x18);

	ok(tun_csum_complete(pkt, len, 40, 16) == 0, "completed");
	is_int(tun_cksum6(pkt + 8, pkt + 24, 6, pkt + 40, len - 40), 0,
	    "the completed TCP checksum verifies");
	mk_tcp(1001, 0x18);
	ok(tun_csum_complete(pkt, len + 1, 40, 16) == 0, "odd length");
	is_int(tun_cksum6(pkt + 8, pkt + 24, 6, pkt + 40, len + 1 - 40), 0,
	    "verifies");
	ok(tun_csum_complete(pkt, 100, 100, 0) == -1, "start at the end");
	ok(tun_csum_complete(pkt, 100, 40, 59) == -1, "field past the end");
	ok(tun_csum_complete(pkt, 100, 40, 58) == 0, "field at the end");
}

static void
test_sum(void)
{
	static uint8_t b[3000];
	size_t i, off, len;
	unsigned bad = 0;

	srand(7);
	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)rand();
	memset(b + 100, 0xff, 200);
	for (off = 0; off < 9; off++)
		for (len = 0; len < 2990; len += 1 + len / 3)
			if (tun_fold(tun_sum(0, b + off, len)) !=
			    tun_fold(slow_sum(b + off, len)))
				bad++;
	is_int(bad, 0, "the 8-byte sum folds like the 2-byte one");
}

/*
 * Cuts a super-packet into segments, gathers them back as the data plane
 * does, and checks that what it would write is the super-packet again.
 */
static void
test_gro(void)
{
	struct tun_gso g;
	uint8_t vnet[TUN_VNET_LEN];
	size_t len = mk_tcp(5 * 1000 + 300, 0x18), hlen, total, lens[8];
	uint16_t v;
	unsigned i, n = 0;
	int r;

	ok(tun_gso_init(&g, pkt, len, 1000) == 0, "gro: cut first");
	while (n < 8 && (r = tun_gso_next(&g, segs[n], 2048)) > 0)
		lens[n++] = (size_t)r;
	is_int(n, 6, "gro: six segments");
	hlen = tun_gro_ok(segs[0], lens[0]);
	is_int(hlen, 40 + TCP_HLEN, "gro: the first may start a run");
	total = lens[0];
	for (i = 1; i < n; i++) {
		ok(tun_gro_ok(segs[i], lens[i]) == hlen, "gro: %u may join", i);
		ok(tun_gro_match(segs[0], segs[i], hlen,
		    SEQ0 + (uint32_t)(total - hlen)), "gro: %u continues", i);
		total += lens[i] - hlen;
	}
	ok(!tun_gro_match(segs[0], segs[2], hlen, SEQ0 + 1000),
	    "gro: out of order: no");
	memcpy(whole, segs[0], lens[0]);
	for (i = 1, total = lens[0]; i < n; i++) {
		memcpy(whole + total, segs[i] + hlen, lens[i] - hlen);
		total += lens[i] - hlen;
	}
	is_int(total, len, "gro: as long as the super-packet");
	tun_gro_finish(whole, hlen, total, true, 1000, vnet);
	is_int(vnet[0], TUN_VNET_NEEDS_CSUM, "gro: partial checksum");
	is_int(vnet[1], TUN_VNET_GSO_TCPV6, "gro: TCPv6 segments");
	memcpy(&v, vnet + 4, 2);
	is_int(v, 1000, "gro: gso_size");
	memcpy(&v, vnet + 2, 2);
	is_int(v, (long long)hlen, "gro: hdr_len");
	ok(memcmp(whole, pkt, len) == 0, "gro: byte for byte the "
	    "super-packet, PSH and pseudo-header sum included");

	/* What may not start or join. */
	memcpy(whole, segs[1], lens[1]);
	whole[100] ^= 1;
	is_int(tun_gro_ok(whole, lens[1]), 0, "gro: a bad checksum: no");
	memcpy(whole, segs[1], lens[1]);
	whole[40 + 13] |= 0x02;
	is_int(tun_gro_ok(whole, lens[1]), 0, "gro: SYN: no");
	is_int(tun_gro_ok(segs[1], hlen), 0, "gro: no payload: no");
	is_int(tun_gro_ok(segs[1], lens[1] - 1), 0, "gro: length off: no");
	memcpy(whole, segs[1], lens[1]);
	whole[40 + 9] ^= 1;	/* the ACK number */
	ok(!tun_gro_match(segs[0], whole, hlen, SEQ0 + 1000),
	    "gro: another ACK number: no");
	memcpy(whole, segs[1], lens[1]);
	whole[1] ^= 0x30;	/* ECN CE */
	ok(!tun_gro_match(segs[0], whole, hlen, SEQ0 + 1000),
	    "gro: another traffic class: no");
}

/*
 * A super-packet as the receiving kernel's GRO leaves it (mk_tcp builds
 * just that: lengths of the whole, the pseudo-header's sum in the field)
 * is recognised; a segment with a real checksum, a corrupted field, or
 * one whose lengths disagree is not.
 */
static void
test_kgro(void)
{
	size_t len = mk_tcp(20000, 0x18);

	is_int(tun_gro_ok(pkt, len), 0, "kgro: its checksum does not verify");
	is_int(tun_kgro_ok(pkt, len), 40 + TCP_HLEN, "kgro: recognised");
	len = mk_tcp(20000, 0x19);
	is_int(tun_kgro_ok(pkt, len), 40 + TCP_HLEN, "kgro: with FIN too");
	pkt[56] ^= 0x01;
	is_int(tun_kgro_ok(pkt, len), 0, "kgro: another sum in the field: no");
	len = mk_tcp(20000, 0x18);
	tun_wr16(pkt + 4, (uint16_t)(len - 40 - 2));
	is_int(tun_kgro_ok(pkt, len - 2), 0,
	    "kgro: the sum of another length: no");
	len = mk_tcp(20000, 0x18);
	is_int(tun_kgro_ok(pkt, len - 1), 0, "kgro: lengths disagree: no");
	len = mk_tcp(0, 0x10);
	is_int(tun_kgro_ok(pkt, len), 0, "kgro: no payload: no");
	len = mk_tcp(20000, 0x18);
	pkt[6] = 17;
	is_int(tun_kgro_ok(pkt, len), 0, "kgro: not TCP: no");
	len = mk_tcp(1000, 0x18);
	ok(tun_csum_complete(pkt, len, 40, 16) == 0 &&
	    tun_gro_ok(pkt, len) == 40 + TCP_HLEN,
	    "kgro: completed, the checksum verifies");
	is_int(tun_kgro_ok(pkt, len), 0, "kgro: and it is an ordinary "
	    "segment");
}

/* An IPv6/UDP datagram of pay bytes (pattern from seed) into buf. */
static size_t
mk_udp(uint8_t *buf, size_t pay, unsigned seed)
{
	size_t i, len = 48 + pay;

	memset(buf, 0, 48);
	buf[0] = 0x60;
	tun_wr16(buf + 4, (uint16_t)(len - 40));
	buf[6] = 17;
	buf[7] = 64;
	buf[8] = 0x20; buf[9] = 0x01; buf[10] = 0x0d; buf[11] = 0xb8;
	buf[23] = 2;
	buf[24] = 0x20; buf[25] = 0x01; buf[26] = 0x0d; buf[27] = 0xb8;
	buf[39] = 0x64;
	tun_wr16(buf + 40, 5001);
	tun_wr16(buf + 42, 9100);
	tun_wr16(buf + 44, (uint16_t)(len - 40));
	for (i = 0; i < pay; i++)
		buf[48 + i] = (uint8_t)(seed * 31 + i);
	tun_wr16(buf + 46, tun_cksum6(buf + 8, buf + 24, 17, buf + 40,
	    len - 40));
	return (len);
}

static void
test_ugro(void)
{
	static uint8_t a[256], b[256];
	uint8_t vnet[TUN_VNET_LEN];
	size_t la = mk_udp(a, 64, 1), lb = mk_udp(b, 64, 2), total;
	uint16_t v;

	is_int(tun_ugro_ok(a, la), 48, "ugro: a datagram may start a run");
	is_int(tun_ugro_ok(b, lb), 48, "ugro: and another join");
	ok(tun_ugro_match(a, b), "ugro: same flow");
	b[43] ^= 1;
	ok(!tun_ugro_match(a, b), "ugro: another port: no");
	b[43] ^= 1;
	b[1] ^= 0x30;
	ok(!tun_ugro_match(a, b), "ugro: another traffic class: no");
	b[1] ^= 0x30;
	b[60] ^= 1;
	is_int(tun_ugro_ok(b, lb), 0, "ugro: a bad checksum: no");
	b[60] ^= 1;
	tun_wr16(b + 46, 0);
	is_int(tun_ugro_ok(b, lb), 0, "ugro: no checksum: no");
	mk_udp(b, 64, 2);
	tun_wr16(b + 44, 60);
	is_int(tun_ugro_ok(b, lb), 0, "ugro: UDP length disagrees: no");
	is_int(tun_ugro_ok(a, 48), 0, "ugro: no payload: no");
	a[6] = 6;
	is_int(tun_ugro_ok(a, la), 0, "ugro: TCP: no");
	mk_udp(a, 64, 1);
	mk_udp(b, 64, 2);
	total = la + 64;
	tun_ugro_finish(a, total, 64, vnet);
	is_int(tun_rd16(a + 4), (long long)(total - 40), "ugro: IPv6 length");
	is_int(tun_rd16(a + 44), (long long)(total - 40), "ugro: UDP length");
	is_int(vnet[1], TUN_VNET_GSO_UDP_L4, "ugro: UDP segments");
	memcpy(&v, vnet + 4, 2);
	is_int(v, 64, "ugro: gso_size");
	memcpy(&v, vnet + 8, 2);
	is_int(v, 6, "ugro: csum_offset");
	/* The kernel's completion over the whole makes it verify. */
	memcpy(whole, a, la);
	memcpy(whole + la, b + 48, 64);
	ok(tun_csum_complete(whole, total, 40, 6) == 0 &&
	    tun_cksum6(whole + 8, whole + 24, 17, whole + 40, total - 40) == 0,
	    "ugro: the pseudo-header sum completes into a valid checksum");
}

int
main(void)
{
	test_cut(65000 - 72, 1408, 0x18, "64 KiB, PSH");
	test_cut(3 * 1400, 1400, 0x19 | 0x80, "exact multiple, FIN CWR");
	test_cut(100, 1400, 0x10, "smaller than one segment");
	test_cut(0, 1400, 0x11, "headers only (a FIN)");
	test_cut(5000, 1, 0x10, "mss 1");
	test_refuse();
	test_csum();
	test_sum();
	test_gro();
	test_kgro();
	test_ugro();
	return (done_testing());
}
