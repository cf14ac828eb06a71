/*
 * fuzz_proxyproto: arbitrary bytes through the PROXY protocol parser.
 *
 * The input is parsed whole and then in every prefix: a prefix shorter
 * than a header found must ask for more, and a refused input must not be
 * accepted from any of its prefixes, so how TCP cuts the bytes never
 * changes the answer.  A header found is checked for what the accept path
 * relies on (its length within the bounds, addresses of a known family)
 * and built again from its addresses, which must parse back to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family == AF_INET && b->ss_family == AF_INET)
		return (memcmp(a, b, sizeof(struct sockaddr_in)) == 0);
	if (a->ss_family == AF_INET6 && b->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return (memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		    x->sin6_port == y->sin6_port);
	}
	return (false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct px_pp	 pp, pq;
	uint8_t		 out[PX_PP_OUT_MAX], *copy;
	size_t		 i;
	int		 r, rp, n, v;

	/* An exact-size copy, so a read past the end shows under ASan. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		return (0);
	memcpy(copy, data, len);
	r = px_pp_parse(&pp, copy, len);
	CHECK(r <= (int)len && r <= PX_PP_MAX);
	CHECK(r >= 0 || pp.err != NULL);
	for (i = 0; i < len && (r <= 0 || i < (size_t)r); i++) {
		rp = px_pp_parse(&pq, copy, i);
		CHECK(r > 0 ? rp == 0 : rp <= 0);
	}
	if (r > 0) {
		CHECK(pp.version == 1 || pp.version == 2);
		CHECK(pp.version != 1 || r <= PX_PP_V1_MAX);
		CHECK(pp.local || ((pp.src.ss_family == AF_INET ||
		    pp.src.ss_family == AF_INET6) &&
		    pp.src.ss_family == pp.dst.ss_family));
		for (v = CONF_PROXY_V1; !pp.local && v <= CONF_PROXY_V2; v++) {
			n = px_pp_build((enum conf_send_proxy)v,
			    (const struct sockaddr *)&pp.src,
			    (const struct sockaddr *)&pp.dst, out, sizeof(out));
			CHECK(n > 0 && px_pp_parse(&pq, out, (size_t)n) == n);
			/* IPv4-mapped IPv6 goes out as IPv4: compare those
			 * only when the family stays. */
			if (pq.src.ss_family == pp.src.ss_family)
				CHECK(same_addr(&pp.src, &pq.src) &&
				    same_addr(&pp.dst, &pq.dst));
		}
	}
	(void)px_pp_sniff(copy, len);
	free(copy);
	return (0);
}
