/*
 * Fuzz target: arbitrary bytes through the whole logstat line path.  The
 * first byte picks the format (combined, common, vhost_combined, or a
 * custom one with %a, %m, %U%q, %B and a seconds time) and whether
 * addresses are anonymized, and whether the rest is counted as one block
 * (alog_ls_lines, as logstat reads files) or line by line (alog_ls_line):
 * parse, address normalisation, every table.  Then all three reports are written to /dev/null, so the
 * escaping of whatever the lines held is exercised too.  And the input
 * taken as one IPv6 address must read as inet_pton reads it: the address
 * parser has a fast path of its own for the plain form.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const formats[] = {
	"combined",
	"common",
	"vhost_combined",
	"%a %{c}a \"%m %U%q %H\" %>s %B %{sec}t \"%{User-Agent}i\"",
};

/* alog_addr_parse agrees with inet_pton on text with two colons or more. */
static void
addr_check(const char *s, size_t n)
{
	char b[64];
	uint8_t a1[16], a2[16];
	int r, e;

	if (n >= sizeof(b) || memchr(s, '\0', n) != NULL ||
	    memchr(s, '[', n) != NULL || memchr(s, '%', n) != NULL)
		return;
	memcpy(b, s, n);
	b[n] = '\0';
	if (strchr(b, ':') == NULL || strchr(b, ':') == strrchr(b, ':'))
		return;
	r = alog_addr_parse(s, n, a1, NULL);
	if (inet_pton(AF_INET6, b, a2) != 1)
		e = -1;
	else
		e = IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)
		    (const void *)a2) ? AF_INET : AF_INET6;
	if (r != e || (e != -1 && memcmp(a1, a2, 16) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *null;
	struct alog_ls_opts o;
	struct alog_ls *ls;
	const char *p, *end, *nl;
	char err[256];

	if (len == 0)
		return (0);
	addr_check((const char *)data + 1, len - 1);
	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.format = formats[data[0] & 3];
	o.pfx6[0] = 64;
	o.pfx6[1] = 48;
	o.pfx6[2] = 128;
	o.npfx6 = 3;
	o.pfx4[0] = 24;
	o.pfx4[1] = 32;
	o.npfx4 = 2;
	o.anon6 = data[0] & 4 ? 48 : 128;
	o.anon4 = data[0] & 4 ? 16 : 32;
	o.top = data[0] & 8 ? 2 : 10;
	if ((ls = alog_ls_new(&o, err, sizeof(err))) == NULL)
		abort();
	if (alog_ls_file(ls, "fuzz") == -1)
		abort();
	p = (const char *)data + 1;
	end = (const char *)data + len;
	if (data[0] & 16)
		alog_ls_lines(ls, p, (size_t)(end - p));
	else
		while (p < end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			nl = nl != NULL ? nl + 1 : end;
			alog_ls_line(ls, p, (size_t)(nl - p));
			p = nl;
		}
	if (alog_ls_report(ls, ALOG_LS_TEXT, null) == -1 ||
	    alog_ls_report(ls, ALOG_LS_JSON, null) == -1 ||
	    alog_ls_report(ls, ALOG_LS_HTML, null) == -1)
		abort();
	alog_ls_free(ls);
	return (0);
}
