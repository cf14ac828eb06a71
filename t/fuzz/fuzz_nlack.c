/*
 * fuzz_nlack: arbitrary bytes as a datagram a NETLINK_ROUTE socket returns,
 * through tun_nl_ack, which looks for the answer to one request and the
 * kernel's extended message in it.  The kernel is trusted, but a parser
 * that walks lengths it reads must never be the one to overrun.  The input
 * is copied into an aligned buffer of exactly its length (rounded up to the
 * alignment: the socket fills whole messages), and asked for the sequence
 * number of its first message and for another one.  Traps when a result
 * breaks what tun_nl_ack promises.
 */
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fz_ack(const void *buf, size_t len, uint32_t seq)
{
	char msg[32];
	int r, error = -1;

	memset(msg, 'x', sizeof(msg));
	r = tun_nl_ack(buf, len, seq, &error, msg, sizeof(msg));
	if (r < -1 || r > 1 || memchr(msg, '\0', sizeof(msg)) == NULL)
		__builtin_trap();
	if (r == 1 && error < 0)
		__builtin_trap();
	if (r == 1 && error == 0 && msg[0] != '\0')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint32_t *buf, seq = 0;

	if ((buf = malloc(len / 4 * 4 + 4)) == NULL)
		return (0);
	memcpy(buf, data, len);
	if (len >= 12)
		memcpy(&seq, data + 8, 4);
	fz_ack(buf, len, seq);
	fz_ack(buf, len, seq + 1);
	free(buf);
	return (0);
}
