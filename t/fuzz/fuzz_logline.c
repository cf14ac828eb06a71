/*
 * Fuzz target: parse arbitrary bytes as one log line, with the combined
 * format and with a custom one that has adjacent fields (%U%q, two
 * numbers), strftime time and extensions; then unescape every field and
 * run the time and address parsers on the fields that hold them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CUSTOM	"%a %{c}a:%{remote}p [%{%d/%b/%Y:%H:%M:%S}t.%{msec_frac}t] " \
		"\"%m %U%q %H\" %>s %B %D %k %X \"%{Cookie}i\" %^xb %^xn " \
		"%{ms}^xc %^xe %{sec}t%{usec_frac}t %t"

static void
check(const struct alog_fmt *f, const char *line, size_t len)
{
	struct alog_field fld[64];
	static char out[65536];
	uint8_t addr[16];
	uint16_t port;
	int64_t epoch;
	int32_t off;
	int n, i, u;

	n = alog_fmt_parse(f, line, len, fld, 64);
	if (n < 0) {
		(void)alog_perr_str(n);
		return;
	}
	if ((size_t)n != alog_fmt_nfields(f))
		abort();
	for (i = 0; i < n; i++) {
		if (fld[i].p < line || fld[i].p + fld[i].len > line + len)
			abort();
		u = alog_field_unescape(fld[i].p, fld[i].len, out,
		    sizeof(out));
		if (u < 0 || (size_t)u > fld[i].len)
			abort();
		switch (fld[i].id) {
		case ALOG_D_TIME:
			(void)alog_time_parse(fld[i].p, fld[i].len, &epoch,
			    &off);
			break;
		case ALOG_D_HOST:
		case ALOG_D_UA_IP:
		case ALOG_D_PEER_IP:
		case ALOG_D_SRV_ADDR:
			(void)alog_addr_parse(fld[i].p, fld[i].len, addr,
			    &port);
			break;
		default:
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct alog_fmt *comb, *cust;
	const char *line = (const char *)data;
	uint8_t addr[16];
	uint16_t port;
	int64_t epoch;
	int32_t off;
	char err[128];

	if (comb == NULL) {
		comb = alog_fmt_compile("combined", err, sizeof(err));
		cust = alog_fmt_compile(CUSTOM, err, sizeof(err));
		if (comb == NULL || cust == NULL)
			abort();
	}
	check(comb, line, len);
	check(cust, line, len);
	(void)alog_time_parse(line, len, &epoch, &off);
	(void)alog_addr_parse(line, len, addr, &port);
	return (0);
}
