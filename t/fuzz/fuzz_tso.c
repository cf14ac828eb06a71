/*
 * fuzz_tso: arbitrary bytes as one read from an IFF_VNET_HDR TUN device:
 * the virtio-net header, then a packet.  The header's gso_size cuts the
 * packet with tun_gso_init/tun_gso_next, and its checksum fields go to
 * tun_csum_complete, as the data plane does; the packet also goes to the
 * coalescing checks, as if it came out of the tunnel.  Beyond the sanitizers, the
 * target traps when a segment breaks what tun_gso_next promises: bounded
 * by the buffer, its payload length field right, its checksum verifying,
 * the payloads adding up to the packet's.
 */
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t fz_pkt[65536], fz_seg[2048];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tun_vnet vh;
	struct tun_gso g;
	uint8_t vnet[TUN_VNET_LEN];
	size_t len, hlen, total = 0;
	int n;

	if (size < TUN_VNET_LEN || size - TUN_VNET_LEN > sizeof(fz_pkt))
		return (0);
	tun_vnet_read(&vh, data);
	len = size - TUN_VNET_LEN;
	memcpy(fz_pkt, data + TUN_VNET_LEN, len);
	if (tun_gso_init(&g, fz_pkt, len, vh.gso_size) == 0) {
		while ((n = tun_gso_next(&g, fz_seg, sizeof(fz_seg))) > 0) {
			if ((size_t)n > sizeof(fz_seg) || n < 40 ||
			    (size_t)tun_rd16(fz_seg + 4) != (size_t)n - 40 ||
			    (size_t)n < g.hlen)
				__builtin_trap();
			if (tun_cksum6(fz_seg + 8, fz_seg + 24, 6,
			    fz_seg + g.l4off, (size_t)n - g.l4off) != 0)
				__builtin_trap();
			total += (size_t)n - g.hlen;
		}
		if (n == 0 && total != len - g.hlen)
			__builtin_trap();
	}
	memcpy(fz_pkt, data + TUN_VNET_LEN, len);
	hlen = tun_gro_ok(fz_pkt, len);
	if (hlen != 0) {
		if (hlen < 60 || hlen >= len)
			__builtin_trap();
		(void)tun_gro_match(fz_pkt, fz_pkt, hlen, 0);
		tun_gro_finish(fz_pkt, hlen, len, true, vh.gso_size, vnet);
	}
	memcpy(fz_pkt, data + TUN_VNET_LEN, len);
	hlen = tun_ugro_ok(fz_pkt, len);
	if (hlen != 0) {
		if (hlen != 48 || hlen >= len)
			__builtin_trap();
		(void)tun_ugro_match(fz_pkt, fz_pkt);
		tun_ugro_finish(fz_pkt, len, vh.gso_size, vnet);
	}
	memcpy(fz_pkt, data + TUN_VNET_LEN, len);
	hlen = tun_kgro_ok(fz_pkt, len);
	if (hlen != 0) {
		if (hlen < 60 || hlen >= len)
			__builtin_trap();
		tun_gro_finish(fz_pkt, hlen, len, false, vh.gso_size, vnet);
	}
	memcpy(fz_pkt, data + TUN_VNET_LEN, len);
	(void)tun_csum_complete(fz_pkt, len, vh.csum_start, vh.csum_offset);
	return (0);
}
