/*
 * Render and parse speed of the combined format, in lines per second.
 * Not part of the suite: logstat's target is about a million parsed lines
 * a second on one core, and rendering runs once per proxied request.
 *
 *	cc -std=c11 -O2 -I. -D_GNU_SOURCE -o /tmp/bench-logformat \
 *	    bench/logformat.c log/fmt.c log/parse.c log/render.c
 *	/tmp/bench-logformat
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

#define H(n, v)	{ n, sizeof(n) - 1, v, sizeof(v) - 1 }
#define N	3000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
main(void)
{
	static const struct alog_hdr hdr[] = {
		H("Host", "www.example.com"),
		H("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
		    "Gecko/20100101 Firefox/120.0"),
		H("Accept", "text/html,application/xhtml+xml"),
		H("Accept-Language", "en-US,en;q=0.5"),
		H("Referer", "https://www.example.com/search?q=ipv6+tunnel"),
		H("Cookie", "session=0123456789abcdef"),
	};
	struct sockaddr_in6 cli;
	struct alog_field fld[16];
	struct alog_rec r;
	struct alog_fmt *f;
	char err[128], line[1024];
	double t0, t1;
	long sum = 0;
	int i, n = 0;

	setenv("TZ", "MST7", 1);
	tzset();
	memset(&cli, 0, sizeof(cli));
	cli.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:85a3::8a2e:370:7334", &cli.sin6_addr);
	alog_rec_init(&r);
	r.cli = (struct sockaddr *)&cli;
	r.begin.tv_sec = 971211336;
	r.end = r.begin;
	r.reqline.p = "GET /images/logo.png?v=3 HTTP/1.1";
	r.reqline.len = strlen(r.reqline.p);
	r.status = 200;
	r.body_bytes = 48213;
	r.req_hdr = hdr;
	r.nreq_hdr = sizeof(hdr) / sizeof(hdr[0]);
	if ((f = alog_fmt_compile("combined", err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}

	t0 = now();
	for (i = 0; i < N; i++) {
		/* A new second every 1000 lines, like a busy server. */
		r.begin.tv_sec = 971211336 + i / 1000;
		n = alog_fmt_render(f, &r, line, sizeof(line));
		sum += n;
	}
	t1 = now();
	printf("render combined: %.0f lines/s (%d bytes/line)\n",
	    N / (t1 - t0), n);
	printf("  %.*s\n", n, line);

	t0 = now();
	for (i = 0; i < N; i++)
		sum += alog_fmt_parse(f, line, (size_t)n, fld, 16);
	t1 = now();
	printf("parse combined: %.0f lines/s\n", N / (t1 - t0));

	t0 = now();
	for (i = 0; i < N; i++) {
		int64_t epoch;
		uint8_t a[16];

		sum += alog_fmt_parse(f, line, (size_t)n, fld, 16);
		sum += alog_time_parse(fld[3].p, fld[3].len, &epoch, NULL);
		sum += alog_addr_parse(fld[0].p, fld[0].len, a, NULL);
	}
	t1 = now();
	printf("parse + time + address: %.0f lines/s\n", N / (t1 - t0));
	/*
	 * A hostile line: many quote-space pairs in the referer and a bad
	 * end, so the parser spends its whole retry budget before failing.
	 */
	n = snprintf(line, sizeof(line), "::1 - - [10/Oct/2000:13:55:36 "
	    "-0700] \"GET / HTTP/1.1\" 200 5 \"");
	for (i = 0; i < 150; i++)
		line[n++] = i % 2 ? ' ' : '"';
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\" \"x");
	t0 = now();
	for (i = 0; i < N / 10; i++)
		sum += alog_fmt_parse(f, line, (size_t)n, fld, 16);
	t1 = now();
	printf("parse hostile %d-byte line (fails): %.0f lines/s\n", n,
	    N / 10 / (t1 - t0));
	alog_fmt_free(f);
	return (sum == 0);
}
