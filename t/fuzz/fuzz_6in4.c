/*
 * fuzz_6in4: arbitrary bytes as a datagram from the raw protocol-41 socket.
 * Each input goes through tun_decap for both roles twice: as it is, and
 * with its outer addresses set to that role's remote and local, so that
 * mutations reach the inner checks without first having to guess the
 * endpoints.  What decap accepts goes on to the ND answerer, the echo
 * reader, the PTB builder and the MLD classifier; the raw bytes also go to
 * the ICMPv4 Fragmentation Needed parser, and to the MLD classifier as a
 * packet read from the TUN.  Beyond the sanitizers, the target traps
 * when a result breaks what the header promises.
 */
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tun_ctx fz_cx[2];
static int fz_ready;

/* 2001:db8:NET::LAST */
static void
fz_addr6(uint8_t *a, uint8_t net, uint8_t last)
{
	static const uint8_t pfx[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(a, 0, 16);
	memcpy(a, pfx, 4);
	a[5] = net;
	a[15] = last;
}

/* The endpoints of the unit tests, so seeds serve both. */
static void
fz_setup(void)
{
	static const uint8_t v4[3][4] = {
		{ 10, 0, 0, 12 }, { 203, 0, 113, 1 }, { 198, 51, 100, 7 }
	};
	struct conf_tunnel ct;
	struct conf_cidr rt;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&ct, 0, sizeof(ct));
		memset(&rt, 0, sizeof(rt));
		rt.family = AF_INET6;
		fz_addr6(rt.addr, 2, 0);
		rt.plen = 64;
		ct.routes = &rt;
		ct.nroutes = 1;
		ct.ttl = 64;
		ct.plen = 64;
		ct.role = i == 0 ? CONF_TUN_CLIENT : CONF_TUN_BROKER;
		memcpy(&ct.local, v4[i], 4);
		memcpy(&ct.remote, v4[i + 1], 4);
		fz_addr6(ct.address.s6_addr, 1, i == 0 ? 2 : 1);
		fz_addr6(ct.peer.s6_addr, 1, i == 0 ? 1 : 2);
		if (tun_ctx_init(&fz_cx[i], &ct, NULL, 0) == -1)
			__builtin_trap();
	}
	fz_ready = 1;
}

static void
fz_inner(const struct tun_ctx *cx, const uint8_t *ip6, size_t len)
{
	static uint8_t out[2048];
	uint64_t rtt;
	uint16_t seq;
	int n;

	n = tun_nd_answer(cx, ip6, len, out, sizeof(out));
	if (n != -1 && (n != TUN_NA_LEN || tun_cksum6(out + 8, out + 24,
	    TUN_PROTO_ICMP6, out + 40, TUN_NA_LEN - 40) != 0))
		__builtin_trap();
	if (tun_echo_rtt(cx, ip6, len, 0, UINT64_MAX / 2, &seq, &rtt) == 0 &&
	    rtt > UINT64_MAX / 2)
		__builtin_trap();
	n = tun_ptb_build(cx, out, sizeof(out), ip6, len, 1280);
	if (n != -1 && (n > TUN_IPV6_MIN_MTU || tun_cksum6(out + 8, out + 24,
	    TUN_PROTO_ICMP6, out + 40, (size_t)n - 40) != 0))
		__builtin_trap();
	if (tun_mld(ip6, len) && ip6[24] != 0xff)
		__builtin_trap();
}

static void
fz_decap(const struct tun_ctx *cx, const uint8_t *buf, size_t len)
{
	struct tun_pkt p;

	if (tun_decap(cx, &p, buf, len) == -1) {
		if (p.drop == TUN_DROP_NONE || p.drop >= TUN_DROP_MAX)
			__builtin_trap();
		return;
	}
	if (p.drop != TUN_DROP_NONE || p.off + p.len + p.trailing != len ||
	    p.len < 40 || p.l4off > p.len)
		__builtin_trap();
	fz_inner(cx, buf + p.off, p.len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t copy[TUN_IP4_MAX];
	uint32_t mtu;
	int i;

	if (!fz_ready)
		fz_setup();
	if (tun_mld(data, len) && (len < 41 || data[24] != 0xff))
		__builtin_trap();
	for (i = 0; i < 2; i++) {
		fz_decap(&fz_cx[i], data, len);
		if (tun_icmp4_mtu(&fz_cx[i], data, len, &mtu) == 0 && mtu < 68)
			__builtin_trap();
		if (len < TUN_IP4_HLEN || len > sizeof(copy))
			continue;
		memcpy(copy, data, len);
		memcpy(copy + 12, fz_cx[i].remote, 4);
		memcpy(copy + 16, fz_cx[i].local, 4);
		fz_decap(&fz_cx[i], copy, len);
	}
	return (0);
}
