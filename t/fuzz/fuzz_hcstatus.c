/*
 * fuzz_hcstatus: arbitrary bytes as the start of an HTTP health check's
 * response.  The verdict must be one of the three, must not depend on how
 * the bytes arrived once a line end is in, and a pass must really be a
 * 2xx or 3xx status line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	buf[PX_HC_BUF], why[128];
	size_t	len = size < PX_HC_BUF - 1 ? size : PX_HC_BUF - 1, i;
	int	r, re;

	memcpy(buf, data, len);
	r = px_health_status(buf, len, false, why, sizeof(why));
	re = px_health_status(buf, len, true, why, sizeof(why));
	CHECK(r >= -1 && r <= 1 && re >= 0 && re <= 1);
	CHECK(r == -1 || r == re);
	if (re == 1)
		CHECK(len >= 12 && memcmp(buf, "HTTP/1.", 7) == 0 &&
		    (buf[9] == '2' || buf[9] == '3'));
	/* Fed a byte at a time, the first verdict is the same. */
	for (i = 1; i <= len; i++) {
		int ri = px_health_status(buf, i, false, why, sizeof(why));

		if (ri != -1) {
			CHECK(ri == re || memchr(buf, '\n', i) != NULL);
			break;
		}
	}
	return (0);
}
