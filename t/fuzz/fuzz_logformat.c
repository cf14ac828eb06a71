/*
 * Fuzz target: compile an arbitrary LogFormat.  When it compiles, render a
 * fixed record full of hostile bytes with it, check the line holds no raw
 * CR, LF or NUL, that a short buffer gives -1 or the same line, and parse
 * the line back (the parser must not crash on it, whatever it returns).
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define S(x)	{ x, sizeof(x) - 1 }

static const struct alog_hdr req_hdr[] = {
	{ "Host", 4, "www.example.com", 15 },
	{ "User-Agent", 10, "Mozilla/5.0 \"x\"\r\n\\\x80\xff\x7f", 22 },
	{ "Referer", 7, "http://a/?\n[x] \"y\"", 18 },
	{ "Cookie", 6, " a=1; session = s\x01v ;b=", 23 },
	{ "cookie", 6, "c=3", 3 },
	{ "X-Nul", 5, "a\0b", 3 },
};

static const struct alog_hdr resp_hdr[] = {
	{ "Content-Type", 12, "text/html ; charset=utf-8", 25 },
	{ "Set-Cookie", 10, "a=1", 3 },
	{ "set-cookie", 10, "b=2", 3 },
};

static void
rec_fill(struct alog_rec *r, struct sockaddr_in6 *cli, struct sockaddr_in *loc,
    struct sockaddr_in *srv)
{
	alog_rec_init(r);
	memset(cli, 0, sizeof(*cli));
	cli->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &cli->sin6_addr);
	cli->sin6_port = htons(51234);
	memset(loc, 0, sizeof(*loc));
	loc->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &loc->sin_addr);
	loc->sin_port = htons(80);
	*srv = *loc;
	srv->sin_port = htons(8080);
	r->cli = (const struct sockaddr *)cli;
	r->local = (const struct sockaddr *)loc;
	r->srv = (const struct sockaddr *)srv;
	r->begin.tv_sec = 971211336;
	r->begin.tv_nsec = 123456789;
	r->end.tv_sec = 971211338;
	r->end.tv_nsec = 5000;
	r->method = (struct alog_str)S("GET");
	r->target = (struct alog_str)S("/a b?\"q\"=\r\n");
	r->proto = (struct alog_str)S("HTTP/1.1");
	r->status = 404;
	r->status_orig = 302;
	r->body_bytes = 0;
	r->bytes_in = 321;
	r->bytes_out = 123;
	r->keepalives = 2;
	r->conn = ALOG_CONN_KEEPALIVE;
	r->server = (struct alog_str)S("v6front");
	r->user = (struct alog_str)S("us\"er");
	r->pid = 4242;
	r->tid = 0xdeadbeef;
	r->req_hdr = req_hdr;
	r->nreq_hdr = sizeof(req_hdr) / sizeof(req_hdr[0]);
	r->resp_hdr = resp_hdr;
	r->nresp_hdr = sizeof(resp_hdr) / sizeof(resp_hdr[0]);
	r->listener = (struct alog_str)S("web");
	r->backend = (struct alog_str)S("elb");
	r->srv_connect_us = 1500;
	r->end_reason = (struct alog_str)S("ok");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char big[65536], small[64];
	struct alog_field fld[ALOG_FMT_MAX];
	struct sockaddr_in6 cli;
	struct sockaddr_in loc, srv;
	struct alog_rec r;
	struct alog_fmt *f;
	char err[256], *s;
	int n, m;

	if ((s = malloc(len + 1)) == NULL)
		return (0);
	memcpy(s, data, len);
	s[len] = '\0';
	f = alog_fmt_compile(s, err, sizeof(err));
	free(s);
	if (f == NULL) {
		if (err[0] == '\0')
			abort();
		return (0);
	}
	rec_fill(&r, &cli, &loc, &srv);
	n = alog_fmt_render(f, &r, big, sizeof(big));
	if (n >= 0) {
		if (memchr(big, '\n', (size_t)n) != NULL ||
		    memchr(big, '\r', (size_t)n) != NULL ||
		    memchr(big, '\0', (size_t)n) != NULL)
			abort();
		m = alog_fmt_render(f, &r, small, sizeof(small));
		if (m != -1 && (m != n || memcmp(small, big, (size_t)n) != 0))
			abort();
		(void)alog_fmt_parse(f, big, (size_t)n, fld,
		    sizeof(fld) / sizeof(fld[0]));
	}
	alog_fmt_free(f);
	return (0);
}
