/*
 * Micro-benchmark of the receive path's packet checks: tun_decap on one
 * datagram over and over, client role, for a 1400-byte and a 64-byte inner
 * TCP packet.  No checksum is computed on this path, so the figure bounds
 * what decapsulation costs per packet before the write to the TUN device.
 *
 *	make bench-build && ./build/bench/tun_decap [seconds]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
setup(struct tun_ctx *cx)
{
	struct conf_tunnel ct;
	struct conf_cidr rt;
	char err[128];

	memset(&ct, 0, sizeof(ct));
	memset(&rt, 0, sizeof(rt));
	ct.role = CONF_TUN_CLIENT;
	inet_pton(AF_INET, "10.0.0.12", &ct.local);
	inet_pton(AF_INET, "203.0.113.1", &ct.remote);
	inet_pton(AF_INET6, "2001:db8:1::2", &ct.address);
	inet_pton(AF_INET6, "2001:db8:1::1", &ct.peer);
	ct.plen = 64;
	ct.ttl = 255;
	rt.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:2::", rt.addr);
	rt.plen = 64;
	ct.routes = &rt;
	ct.nroutes = 1;
	if (tun_ctx_init(cx, &ct, err, sizeof(err)) == -1) {
		fprintf(stderr, "tun_decap bench: %s\n", err);
		exit(1);
	}
}

/* An Internet host's TCP segment to us, inside the broker's datagram. */
static size_t
mkpkt(const struct tun_ctx *cx, uint8_t *buf, size_t inner)
{
	uint8_t *ip6 = buf + TUN_OUTER_LEN;

	memset(buf, 0, TUN_OUTER_LEN + inner);
	tun_encap_hdr(cx, buf, inner, 1, 0);
	memcpy(buf + 12, cx->remote, 4);
	memcpy(buf + 16, cx->local, 4);
	ip6[0] = 0x60;
	tun_wr16(ip6 + 4, (uint16_t)(inner - TUN_IP6_HLEN));
	ip6[6] = 6;
	ip6[7] = 57;
	inet_pton(AF_INET6, "2001:db8:ffff::1", ip6 + 8);
	memcpy(ip6 + 24, cx->addr, 16);
	ip6[TUN_IP6_HLEN + 12] = 0x50;
	return (TUN_OUTER_LEN + inner);
}

static void
run(const struct tun_ctx *cx, size_t inner, double secs)
{
	static uint8_t buf[TUN_IP4_MAX];
	volatile size_t sink = 0;
	struct tun_pkt p;
	double t0, t;
	size_t len;
	unsigned long n = 0, i;

	len = mkpkt(cx, buf, inner);
	if (tun_decap(cx, &p, buf, len) == -1) {
		fprintf(stderr, "tun_decap bench: sample dropped: %s\n",
		    tun_drop_name(p.drop));
		exit(1);
	}
	t0 = now_s();
	do {
		for (i = 0; i < 100000; i++) {
			tun_decap(cx, &p, buf, len);
			sink += p.len;
		}
		n += i;
		t = now_s() - t0;
	} while (t < secs);
	printf("inner %5zu bytes: %.1f M packets/s, %.1f ns/packet, "
	    "%.2f Gbit/s of inner data\n", inner, (double)n / t / 1e6,
	    t / (double)n * 1e9, (double)n * (double)inner * 8 / t / 1e9);
	(void)sink;
}

int
main(int argc, char **argv)
{
	struct tun_ctx cx;
	double secs = argc > 1 ? atof(argv[1]) : 2.0;

	setup(&cx);
	run(&cx, 1400, secs);
	run(&cx, 64, secs);
	return (0);
}
