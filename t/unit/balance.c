/*
 * Unit tests for the pure parts of backend balancing (proxy/balance.c):
 * the source-hash key (IPv6 prefix masking, IPv4-mapped as IPv4) and
 * weighted rendezvous hashing (stable, proportional, minimal movement).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy/proxy.h"
#include "t/tap.h"

static uint64_t
key6(const char *a, int prefix)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s.sin6_addr);
	s.sin6_port = htons(1234);
	return (px_balance_source_key((struct sockaddr *)&s, prefix));
}

static uint64_t
key4(const char *a, int port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, a, &s.sin_addr);
	s.sin_port = htons((uint16_t)port);
	return (px_balance_source_key((struct sockaddr *)&s, 64));
}

static void
test_key(void)
{
	char	buf[CONF_ADDRSTRLEN];
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s.sin6_addr);
	is_str(conf_addr_fmt((struct sockaddr *)&s, false, buf, sizeof(buf)),
	    "192.0.2.1", "the mapped address of these tests");
	ok(key6("2001:db8:1:2::1", 64) == key6("2001:db8:1:2:a:b:c:d", 64),
	    "one /64: one key");
	ok(key6("2001:db8:1:2::1", 64) != key6("2001:db8:1:3::1", 64),
	    "another /64: another key");
	ok(key6("2001:db8:1:2::1", 48) == key6("2001:db8:1:3::1", 48),
	    "prefix 48: the /48 decides");
	ok(key6("2001:db8:1:2::1", 128) != key6("2001:db8:1:2::2", 128),
	    "prefix 128: every address");
	ok(key6("2001:db8:1:2::1", 60) == key6("2001:db8:1:f::1", 60) &&
	    key6("2001:db8:1:2::1", 60) != key6("2001:db8:1:12::1", 60),
	    "prefix 60: a bit boundary inside a byte");
	ok(key4("192.0.2.1", 1) == key4("192.0.2.1", 2),
	    "IPv4: the port does not count");
	ok(key4("192.0.2.1", 1) != key4("192.0.2.2", 1),
	    "IPv4: every address");
	ok(key6("::ffff:192.0.2.1", 64) == key4("192.0.2.1", 1),
	    "IPv4-mapped IPv6 counts as IPv4");
	ok(key6("::ffff:192.0.2.1", 64) != key6("::ffff:192.0.2.2", 64),
	    "IPv4-mapped: not masked to a /64");
}

#define NS	5
#define NK	20000

static void
test_hrw(void)
{
	uint64_t	hk[NS];
	unsigned	w[NS] = { 1, 1, 1, 1, 1 }, w2[NS], cnt[NS] = { 0 };
	ssize_t		pick[NK];
	size_t		i, moved = 0, wrong = 0;
	int		stable = 1;

	for (i = 0; i < NS; i++)
		hk[i] = px_hash64(&i, sizeof(i), 7);
	for (i = 0; i < NK; i++) {
		pick[i] = px_balance_hrw(px_hash64(&i, sizeof(i), 1), hk, w,
		    NS);
		if (pick[i] != px_balance_hrw(px_hash64(&i, sizeof(i), 1), hk,
		    w, NS))
			stable = 0;
		cnt[pick[i]]++;
	}
	ok(stable, "the same key picks the same server");
	for (i = 0; i < NS; i++)
		ok(cnt[i] > NK / NS * 8 / 10 && cnt[i] < NK / NS * 12 / 10,
		    "equal weights: server %zu has %u of %d keys", i, cnt[i],
		    NK);
	/* Server 2 goes away (weight 0 = not eligible). */
	memcpy(w2, w, sizeof(w2));
	w2[2] = 0;
	for (i = 0; i < NK; i++) {
		ssize_t p = px_balance_hrw(px_hash64(&i, sizeof(i), 1), hk, w2,
		    NS);

		if (p == 2)
			wrong++;
		if (pick[i] != 2 && p != pick[i])
			moved++;
	}
	is_int((long long)wrong, 0, "a removed server gets no key");
	ok(moved == 0, "only the removed server's keys move (%zu moved)",
	    moved);
	/* Weights 3:1. */
	{
		unsigned ww[2] = { 3, 1 }, c2[2] = { 0, 0 };

		for (i = 0; i < NK; i++)
			c2[px_balance_hrw(px_hash64(&i, sizeof(i), 1), hk, ww,
			    2)]++;
		ok(c2[0] > NK * 70 / 100 && c2[0] < NK * 80 / 100,
		    "weights 3:1 -> %u:%u", c2[0], c2[1]);
	}
	{
		unsigned wz[2] = { 0, 0 };

		is_int(px_balance_hrw(1, hk, wz, 2), -1, "all weights 0: none");
	}
}

static void
test_hosts(void)
{
	static const char h[] = "# comment\n127.0.0.1 localhost\n"
	    "::1 localhost ip6-localhost\n"
	    "192.0.2.1\tbe.test be  # be2\n192.0.2.2 BE.TEST\r\n"
	    "300.1.1.1 bad\n10.0.0.1 x y z";
	struct in_addr	out[4];
	char		a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int		n;

	n = px_hosts_find(h, sizeof(h) - 1, "localhost", out, 4);
	is_int(n, 1, "hosts: localhost, IPv4 only");
	n = px_hosts_find(h, sizeof(h) - 1, "be.test", out, 4);
	inet_ntop(AF_INET, &out[0], a, sizeof(a));
	inet_ntop(AF_INET, &out[1], b, sizeof(b));
	ok(n == 2 && strcmp(a, "192.0.2.1") == 0 &&
	    strcmp(b, "192.0.2.2") == 0, "hosts: two lines, any case");
	is_int(px_hosts_find(h, sizeof(h) - 1, "be2", out, 4), 0,
	    "hosts: not in a comment");
	is_int(px_hosts_find(h, sizeof(h) - 1, "bad", out, 4), 0,
	    "hosts: not a bad address");
	is_int(px_hosts_find(h, sizeof(h) - 1, "z", out, 4), 1,
	    "hosts: last line without a newline");
	is_int(px_hosts_find(h, sizeof(h) - 1, "be.test", out, 1), 1,
	    "hosts: at most max");
}

int
main(void)
{
	test_hosts();
	test_key();
	test_hrw();
	return (done_testing());
}
