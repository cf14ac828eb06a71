/*
 * h1parse: how long px_h1_parse_head takes for one typical browser request
 * head (about 500 bytes, 11 fields), whole, and fed in two halves.
 *
 *	cc -O2 -I. -o h1parse bench/h1parse.c proxy/h1.c && ./h1parse [N]
 *
 * Prints nanoseconds per head, the best of 5 rounds of N/5 heads (other
 * load on the machine only ever adds time).  The parser is pure, so this
 * measures nothing but the parser: no syscalls, no allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/h1.h"

static const char req[] =
    "GET /articles/2024/ipv6-transition.html?utm_source=feed&page=2 "
    "HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
    "Firefox/121.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
    "image/avif,image/webp,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.example.com/articles/\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=3f2a9c1e7b5d4a6f; theme=dark; consent=1\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "\r\n";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec);
}

/* Parses the head n times, in one call or two; returns ns per head. */
static double
bench(long n, int calls)
{
	struct px_h1_hdr	 hdr[100];
	struct px_h1		 st;
	double			 t0;
	long			 i;
	size_t			 len = sizeof(req) - 1;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		px_h1_init(&st, PX_H1_REQ, NULL, hdr, 100);
		if ((calls == 2 && px_h1_parse_head(&st, req, len / 2) != 0) ||
		    px_h1_parse_head(&st, req, len) != (int)len) {
			fprintf(stderr, "h1parse: %s\n",
			    st.err_reason ? st.err_reason : "wrong length");
			exit(1);
		}
	}
	return ((now_ns() - t0) / (double)n);
}

static double
best(long n, int calls)
{
	double	 min = 0;
	int	 i;

	for (i = 0; i < 5; i++) {
		double t = bench(n / 5 + 1, calls);

		if (i == 0 || t < min)
			min = t;
	}
	return (min);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;

	if (n <= 0)
		n = 1;
	(void)bench(n / 10 + 1, 1);
	printf("head %zu bytes, %ld runs\n", sizeof(req) - 1, n);
	printf("whole:      %.1f ns per head\n", best(n, 1));
	printf("two halves: %.1f ns per head\n", best(n, 2));
	return (0);
}
