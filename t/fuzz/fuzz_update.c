/*
 * fuzz_update: arbitrary bytes as a tunnel broker's answer, through
 * tun_update_parse.  The answer comes from the network, and its text ends
 * up in a log line: the input is copied into a buffer of exactly its
 * length (no NUL after it), and the result must keep what the parser
 * promises: a known result, a NUL-terminated text of printable ASCII.
 */
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tun_upd_resp r;
	char *buf;
	size_t i, n;
	int rc;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return (0);
	memcpy(buf, data, len);
	rc = tun_update_parse(buf, len, &r);
	free(buf);
	if (rc != 0 && rc != -1)
		__builtin_trap();
	if (rc == -1 && r.result != TUN_UPD_MALFORMED)
		__builtin_trap();
	if (r.result < TUN_UPD_GOOD || r.result > TUN_UPD_FAIL)
		__builtin_trap();
	if ((n = strnlen(r.text, sizeof(r.text))) == sizeof(r.text))
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (r.text[i] < 0x20 || r.text[i] > 0x7e)
			__builtin_trap();
	return (0);
}
