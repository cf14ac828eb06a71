/*
 * conf: value parsers, a full config, defaults, and one row per kind of
 * error with the exact first message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "t/tap.h"

#define ERRLEN	256

static void
test_uint(void)
{
	static const struct {
		const char	*in;
		uint64_t	 max;
		int		 rc;
		uint64_t	 out;
		const char	*err;
	} rows[] = {
		{ "0", 10, 0, 0, NULL },
		{ "10", 10, 0, 10, NULL },
		{ "11", 10, -1, 0, "number larger than 10" },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX, NULL },
		{ "18446744073709551616", UINT64_MAX, -1, 0,
		    "number larger than 18446744073709551615" },
		{ "99999999999999999999999", UINT64_MAX, -1, 0,
		    "number larger than 18446744073709551615" },
		{ "", 10, -1, 0, "expected a number" },
		{ "-1", 10, -1, 0, "expected a number" },
		{ "+1", 10, -1, 0, "expected a number" },
		{ " 1", 10, -1, 0, "expected a number" },
		{ "1 ", 10, -1, 0, "expected a number" },
		{ "0x10", 100, -1, 0, "expected a number" },
		{ "1e3", 10000, -1, 0, "expected a number" },
		{ "010", 100, -1, 0, "expected a number without leading zeros" },
	};
	char err[ERRLEN], name[128];
	uint64_t out;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = 0;
		err[0] = '\0';
		rc = conf_parse_uint(rows[i].in, rows[i].max, &out, err,
		    sizeof(err));
		(void)snprintf(name, sizeof(name), "uint \"%s\"", rows[i].in);
		if (rows[i].rc == 0)
			ok(rc == 0 && out == rows[i].out, "%s = %llu", name,
			    (unsigned long long)out);
		else
			ok(rc == -1 && strcmp(err, rows[i].err) == 0,
			    "%s: %s", name, err);
	}
	ok(conf_parse_uint(NULL, 1, &out, NULL, 0) == -1, "uint NULL, no err");
}

static void
test_duration(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		uint64_t	 ms;
		const char	*err;
	} rows[] = {
		{ "0ms", 0, 0, NULL },
		{ "250ms", 0, 250, NULL },
		{ "5s", 0, 5000, NULL },
		{ "10m", 0, 600000, NULL },
		{ "1h", 0, 3600000, NULL },
		{ "2d", 0, 172800000, NULL },
		{ "100d", 0, 8640000000ULL, NULL },
		{ "2400h", 0, 8640000000ULL, NULL },
		{ "05s", 0, 5000, NULL },
		{ "101d", -1, 0, "duration longer than 100d" },
		{ "8640000001ms", -1, 0, "duration longer than 100d" },
		{ "99999999999999999999999999s", -1, 0,
		    "duration longer than 100d" },
		{ "5", -1, 0, "duration needs a unit: ms, s, m, h, d" },
		{ "", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "s", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "5 s", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "5S", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "5sec", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "1h30m", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "-5s", -1, 0, "expected a duration like 250ms, 5s, 10m" },
		{ "1.5s", -1, 0, "expected a duration like 250ms, 5s, 10m" },
	};
	char err[ERRLEN];
	uint64_t ms;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ms = 12345;
		err[0] = '\0';
		rc = conf_parse_duration(rows[i].in, &ms, err, sizeof(err));
		if (rows[i].rc == 0)
			ok(rc == 0 && ms == rows[i].ms, "duration \"%s\" = %llu",
			    rows[i].in, (unsigned long long)ms);
		else
			ok(rc == -1 && strcmp(err, rows[i].err) == 0 &&
			    ms == 12345, "duration \"%s\": %s", rows[i].in, err);
	}
}

static void
test_size(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		uint64_t	 bytes;
		const char	*err;
	} rows[] = {
		{ "0", 0, 0, NULL },
		{ "512", 0, 512, NULL },
		{ "64k", 0, 65536, NULL },
		{ "64K", 0, 65536, NULL },
		{ "10m", 0, 10485760, NULL },
		{ "10M", 0, 10485760, NULL },
		{ "1g", 0, 1073741824, NULL },
		{ "1G", 0, 1073741824, NULL },
		{ "17179869183g", 0, 17179869183ULL << 30, NULL },
		{ "17179869184g", -1, 0, "size too large" },
		{ "18446744073709551615", 0, UINT64_MAX, NULL },
		{ "18446744073709551616", -1, 0, "size too large" },
		{ "", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
		{ "k", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
		{ "64kb", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
		{ "64t", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
		{ "1.5m", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
		{ "-1", -1, 0, "expected a size like 512, 64k, 10m, 1g" },
	};
	char err[ERRLEN];
	uint64_t b;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b = 1;
		err[0] = '\0';
		rc = conf_parse_size(rows[i].in, &b, err, sizeof(err));
		if (rows[i].rc == 0)
			ok(rc == 0 && b == rows[i].bytes, "size \"%s\" = %llu",
			    rows[i].in, (unsigned long long)b);
		else
			ok(rc == -1 && strcmp(err, rows[i].err) == 0,
			    "size \"%s\": %s", rows[i].in, err);
	}
}

static void
test_hostport(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*host;
		uint16_t	 port;
		bool		 literal;
		const char	*text;	/* or the error */
	} rows[] = {
		{ "[::1]:8080", 0, "::1", 8080, true, "[::1]:8080" },
		{ "[::]:80", 0, "::", 80, true, "[::]:80" },
		{ "0.0.0.0:80", 0, "0.0.0.0", 80, true, "0.0.0.0:80" },
		{ "127.0.0.1:65535", 0, "127.0.0.1", 65535, true,
		    "127.0.0.1:65535" },
		{ "[2001:DB8:0:0:1:0:0:1]:1", 0, "2001:DB8:0:0:1:0:0:1", 1,
		    true, "[2001:db8::1:0:0:1]:1" },
		{ "[::ffff:192.0.2.1]:80", 0, "::ffff:192.0.2.1", 80, true,
		    "192.0.2.1:80" },
		{ "example.com:80", 0, "example.com", 80, false, "" },
		{ "example.com.:80", 0, "example.com.", 80, false, "" },
		{ "localhost:22", 0, "localhost", 22, false, "" },
		{ "my-elb-1234.ap-northeast-1.elb.amazonaws.com:443", 0,
		    "my-elb-1234.ap-northeast-1.elb.amazonaws.com", 443, false,
		    "" },
		{ "a1.b-2.c3:1", 0, "a1.b-2.c3", 1, false, "" },
		{ "[::1]:70000", -1, NULL, 0, false,
		    "port 70000 not in 1-65535" },
		{ "[::1]:0", -1, NULL, 0, false, "port 0 not in 1-65535" },
		{ "1.2.3.4:99999999999999999999999", -1, NULL, 0, false,
		    "port 99999999999999999999999 not in 1-65535" },
		{ "1.2.3.4:080", -1, NULL, 0, false,
		    "expected a number without leading zeros" },
		{ "1.2.3.4:http", -1, NULL, 0, false,
		    "expected a number 1-65535" },
		{ "1.2.3.4:", -1, NULL, 0, false,
		    "missing port; expected [ipv6]:port, ipv4:port or host:port" },
		{ "1.2.3.4", -1, NULL, 0, false,
		    "expected [ipv6]:port, ipv4:port or host:port" },
		{ ":80", -1, NULL, 0, false,
		    "expected [ipv6]:port, ipv4:port or host:port" },
		{ "[::1]", -1, NULL, 0, false,
		    "expected [ipv6]:port, ipv4:port or host:port" },
		{ "[::1]80", -1, NULL, 0, false,
		    "expected [ipv6]:port, ipv4:port or host:port" },
		{ "[]:80", -1, NULL, 0, false, "bad IPv6 address \"\"" },
		{ "[1.2.3.4]:80", -1, NULL, 0, false,
		    "bad IPv6 address \"1.2.3.4\"" },
		{ "[fe80::1%eth0]:80", -1, NULL, 0, false,
		    "bad IPv6 address \"fe80::1%eth0\"" },
		{ "2001:db8::1:80", -1, NULL, 0, false,
		    "IPv6 addresses need brackets, like [2001:db8::1]:80" },
		{ "-a.example:80", -1, NULL, 0, false,
		    "bad host name \"-a.example\": label starts or ends with "
		    "'-'" },
		{ "a-.example:80", -1, NULL, 0, false,
		    "bad host name \"a-.example\": label starts or ends with "
		    "'-'" },
		{ "a..example:80", -1, NULL, 0, false,
		    "bad host name \"a..example\": empty label" },
		{ ".:80", -1, NULL, 0, false,
		    "bad host name \".\": empty label" },
		{ "a_b.example:80", -1, NULL, 0, false,
		    "bad host name \"a_b.example\": only letters, digits, '-' "
		    "and '.' allowed" },
		{ "10.0.0.300:80", -1, NULL, 0, false,
		    "bad host name \"10.0.0.300\": not an IPv4 address or a "
		    "host name" },
		{ "1.2.3:80", -1, NULL, 0, false,
		    "bad host name \"1.2.3\": not an IPv4 address or a host "
		    "name" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaa.example:80", -1, NULL, 0, false,
		    "bad host name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaa...\": label longer than 63 characters" },
	};
	char host[256], err[ERRLEN];
	struct conf_sockaddr sa;
	uint16_t port;
	size_t i;
	bool lit;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&sa, 0, sizeof(sa));
		err[0] = host[0] = '\0';
		port = 0;
		lit = false;
		rc = conf_parse_hostport(rows[i].in, host, sizeof(host), &port,
		    &lit, &sa, err, sizeof(err));
		if (rows[i].rc == 0)
			ok(rc == 0 && strcmp(host, rows[i].host) == 0 &&
			    port == rows[i].port && lit == rows[i].literal &&
			    strcmp(sa.text, rows[i].text) == 0,
			    "hostport \"%s\": host %s port %u text %s",
			    rows[i].in, host, port, sa.text);
		else
			ok(rc == -1 && strcmp(err, rows[i].text) == 0,
			    "hostport \"%s\": %s", rows[i].in, err);
	}

	/* The length limits of a DNS name. */
	{
		char name[300], in[320];

		memset(name, 'a', sizeof(name));
		/* 4 labels of 63 + 3 dots = 255; cut to exactly 253. */
		name[63] = name[127] = name[191] = '.';
		name[253] = '\0';
		(void)snprintf(in, sizeof(in), "%s:1", name);
		rc = conf_parse_hostport(in, host, sizeof(host), &port, &lit,
		    NULL, err, sizeof(err));
		ok(rc == 0 && strcmp(host, name) == 0 && !lit,
		    "253-byte host name");
		name[253] = 'a';
		name[254] = '\0';
		(void)snprintf(in, sizeof(in), "%s:1", name);
		rc = conf_parse_hostport(in, host, sizeof(host), &port, &lit,
		    NULL, err, sizeof(err));
		ok(rc == -1 && strstr(err, ": longer than 253 characters") !=
		    NULL, "254-byte host name: %s", err);
		rc = conf_parse_hostport("example.com:1", host, 5, &port, &lit,
		    NULL, err, sizeof(err));
		ok(rc == -1 && strcmp(err, "host too long") == 0,
		    "small host buffer: %s", err);
	}
	/* Control bytes in the input are escaped in the message. */
	rc = conf_parse_hostport("a\x1b[31m\"b:1", host, sizeof(host), &port,
	    &lit, NULL, err, sizeof(err));
	is_str(err, "bad host name \"a\\x1b[31m\\x22b\": only letters, "
	    "digits, '-' and '.' allowed", "escapes in messages");
}

static void
test_cidr(void)
{
	static const struct {
		const char	*in;
		int		 family;
		unsigned	 plen;
		const char	*addr;	/* or the error */
	} rows[] = {
		{ "2001:db8::/32", AF_INET6, 32, "2001:db8::" },
		{ "::/0", AF_INET6, 0, "::" },
		{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1" },
		{ "192.0.2.0/24", AF_INET, 24, "192.0.2.0" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
		{ "10.1.2.3/32", AF_INET, 32, "10.1.2.3" },
		{ "2001:db8::1/32", 0, 0,
		    "host bits set; did you mean 2001:db8::/32?" },
		{ "2001:db8:1:2:3:4:5:6/63", 0, 0,
		    "host bits set; did you mean 2001:db8:1:2::/63?" },
		{ "192.0.2.1/24", 0, 0,
		    "host bits set; did you mean 192.0.2.0/24?" },
		{ "10.255.0.0/9", 0, 0,
		    "host bits set; did you mean 10.128.0.0/9?" },
		{ "192.0.2.0/33", 0, 0, "prefix length 33 not in 0-32" },
		{ "2001:db8::/129", 0, 0, "prefix length 129 not in 0-128" },
		{ "2001:db8::/", 0, 0, "expected a number 0-128" },
		{ "2001:db8::", 0, 0,
		    "expected a prefix like 2001:db8::/32 or 192.0.2.0/24" },
		{ "/32", 0, 0,
		    "expected a prefix like 2001:db8::/32 or 192.0.2.0/24" },
		{ "example.com/24", 0, 0,
		    "expected a prefix like 2001:db8::/32 or 192.0.2.0/24" },
		{ "192.0.2.0/024", 0, 0,
		    "expected a number without leading zeros" },
	};
	struct conf_cidr c;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	char err[ERRLEN], a[CONF_ADDRSTRLEN];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&c, 0, sizeof(c));
		err[0] = a[0] = '\0';
		rc = conf_parse_cidr(rows[i].in, &c, err, sizeof(err));
		if (rows[i].family == 0) {
			ok(rc == -1 && strcmp(err, rows[i].addr) == 0,
			    "cidr \"%s\": %s", rows[i].in, err);
			continue;
		}
		if (c.family == AF_INET6) {
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			memcpy(&sin6.sin6_addr, c.addr, 16);
			conf_addr_fmt((struct sockaddr *)&sin6, false, a,
			    sizeof(a));
		} else {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			memcpy(&sin.sin_addr, c.addr, 4);
			conf_addr_fmt((struct sockaddr *)&sin, false, a,
			    sizeof(a));
		}
		ok(rc == 0 && c.family == rows[i].family &&
		    c.plen == rows[i].plen && strcmp(a, rows[i].addr) == 0,
		    "cidr \"%s\" = %s/%u", rows[i].in, a, c.plen);
	}
}

static void
sa6(struct sockaddr_in6 *sin6, const char *addr, unsigned port)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
		abort();
}

static void
sa4(struct sockaddr_in *sin, const char *addr, unsigned port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		abort();
}

static void
test_cidr_match(void)
{
	static const struct {
		const char	*cidr;
		const char	*addr;
		bool		 match;
	} rows[] = {
		{ "2001:db8::/32", "2001:db8::1", true },
		{ "2001:db8::/32", "2001:db8:ffff:ffff::1", true },
		{ "2001:db8::/32", "2001:db9::1", false },
		{ "2001:db8:8000::/33", "2001:db8:8000::1", true },
		{ "2001:db8:8000::/33", "2001:db8:7fff::1", false },
		{ "::/0", "2001:db8::1", true },
		{ "::/0", "::ffff:192.0.2.1", true },
		{ "::/0", "192.0.2.1", true },
		{ "2001:db8::1/128", "2001:db8::1", true },
		{ "2001:db8::1/128", "2001:db8::2", false },
		{ "192.0.2.0/24", "192.0.2.200", true },
		{ "192.0.2.0/24", "192.0.3.1", false },
		{ "192.0.2.0/24", "::ffff:192.0.2.7", true },
		{ "192.0.2.0/24", "::ffff:192.0.3.7", false },
		{ "192.0.2.0/24", "::192.0.2.7", false },
		{ "192.0.2.0/24", "2001:db8::1", false },
		{ "10.128.0.0/9", "10.200.1.1", true },
		{ "10.128.0.0/9", "10.127.1.1", false },
		{ "0.0.0.0/0", "203.0.113.9", true },
		{ "0.0.0.0/0", "2001:db8::1", false },
		{ "::ffff:0:0/96", "198.51.100.1", true },
		{ "2001:db8::/32", "198.51.100.1", false },
	};
	struct conf_cidr c;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	const struct sockaddr *sa;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (conf_parse_cidr(rows[i].cidr, &c, NULL, 0) == -1)
			abort();
		if (strchr(rows[i].addr, ':') != NULL) {
			sa6(&sin6, rows[i].addr, 1);
			sa = (struct sockaddr *)&sin6;
		} else {
			sa4(&sin, rows[i].addr, 1);
			sa = (struct sockaddr *)&sin;
		}
		ok(conf_cidr_match(&c, sa) == rows[i].match, "%s %s %s",
		    rows[i].addr, rows[i].match ? "in" : "not in",
		    rows[i].cidr);
	}
	ok(!conf_cidr_match(&c, NULL), "cidr_match NULL sockaddr");
	ok(!conf_cidr_match(NULL, sa), "cidr_match NULL cidr");
}

static void
test_addr_fmt(void)
{
	static const struct {
		const char	*in;
		unsigned	 port;
		const char	*with;
		const char	*bare;
	} rows[] = {
		{ "2001:db8:0:0:1:0:0:1", 80, "[2001:db8::1:0:0:1]:80",
		    "2001:db8::1:0:0:1" },
		{ "2001:db8::1", 80, "[2001:db8::1]:80", "2001:db8::1" },
		{ "2001:DB8::AB", 1, "[2001:db8::ab]:1", "2001:db8::ab" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", 443,
		    "[2001:db8::1]:443", "2001:db8::1" },
		{ "::ffff:192.0.2.1", 8080, "192.0.2.1:8080", "192.0.2.1" },
		{ "2001:0:0:1::1", 22, "[2001:0:0:1::1]:22",
		    "2001:0:0:1::1" },
		{ "2001:db8:0:1:1:1:1:1", 22, "[2001:db8:0:1:1:1:1:1]:22",
		    "2001:db8:0:1:1:1:1:1" },
		{ "1:0:0:2:0:0:0:3", 22, "[1:0:0:2::3]:22", "1:0:0:2::3" },
		{ "::", 80, "[::]:80", "::" },
		{ "::1", 65535, "[::1]:65535", "::1" },
		{ "1::", 1, "[1::]:1", "1::" },
		{ "::1.2.3.4", 1, "[::102:304]:1", "::102:304" },
		{ "fe80::1:2", 1, "[fe80::1:2]:1", "fe80::1:2" },
		{ "1:2:3:4:5:6:7:8", 1, "[1:2:3:4:5:6:7:8]:1",
		    "1:2:3:4:5:6:7:8" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "192.0.2.1", 80, "192.0.2.1:80", "192.0.2.1" },
		{ "0.0.0.0", 1, "0.0.0.0:1", "0.0.0.0" },
	};
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	const struct sockaddr *sa;
	char buf[CONF_ADDRSTRLEN], small[8];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strchr(rows[i].in, ':') != NULL) {
			sa6(&sin6, rows[i].in, rows[i].port);
			sa = (struct sockaddr *)&sin6;
		} else {
			sa4(&sin, rows[i].in, rows[i].port);
			sa = (struct sockaddr *)&sin;
		}
		is_str(conf_addr_fmt(sa, true, buf, sizeof(buf)),
		    rows[i].with, rows[i].in);
		is_str(conf_addr_fmt(sa, false, buf, sizeof(buf)),
		    rows[i].bare, rows[i].in);
	}
	sa6(&sin6, "2001:db8::1", 80);
	is_str(conf_addr_fmt((struct sockaddr *)&sin6, true, small,
	    sizeof(small)), "[2001:d", "truncated to the buffer");
}

static struct config *
load(const char *yaml, struct conf_errs *errs)
{
	return (conf_load_mem("t.yaml", yaml, strlen(yaml), errs));
}

static const char full_yaml[] =
    "workers: 4\n"
    "user: v6front\n"
    "log_level: debug\n"
    "shutdown_timeout: 45s\n"
    "tunnel:\n"
    "  role: broker\n"
    "  interface: tun-6in4.0\n"
    "  local: 10.0.0.12\n"
    "  remote: 203.0.113.1\n"
    "  address: 2001:db8:1::2/64\n"
    "  peer: 2001:db8:1::1\n"
    "  mtu: 1400\n"
    "  pmtu: dynamic\n"
    "  ttl: 64\n"
    "  default_route: true\n"
    "  routes: [2001:db8:2::/64, \"2001:db8:3::/48\"]\n"
    "  echo_interval: 2500ms\n"
    "listeners:\n"
    "  - name: web\n"
    "    bind: [\"[2001:db8:1::2]:80\", '192.0.2.10:80']\n"
    "    mode: tcp\n"
    "    backend: elb\n"
    "    v6only: false\n"
    "    freebind: true\n"
    "    backlog: 1024\n"
    "    buffer: 256k\n"
    "    timeouts: { client_idle: 90s }\n"
    "  - name: ssh\n"
    "    bind: \"[::]:22\"\n"
    "    backend:\n"
    "      servers: [\"127.0.0.1:22\"]\n"
    "      timeouts: { connect: 250ms }\n"
    "backends:\n"
    "  elb:\n"
    "    servers:\n"
    "      - my-elb-1234.ap-northeast-1.elb.amazonaws.com:80\n"
    "      - \"[2001:DB8:0:0:1:0:0:1]:8080\"\n"
    "      - 198.51.100.7:8080\n"
    "    timeouts:\n"
    "      connect: 3s\n"
    "  status:\n"
    "    builtin: status\n";

static void
test_full(void)
{
	struct conf_errs errs = { NULL, 0 };
	const struct conf_tunnel *t;
	const struct conf_listener *l;
	const struct conf_backend *b;
	struct config *cfg;
	char a[INET6_ADDRSTRLEN];

	cfg = load(full_yaml, &errs);
	if (!ok(cfg != NULL && errs.n == 0, "full config loads")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	is_str(cfg->path, "t.yaml", "path");
	is_int(cfg->workers, 4, "workers");
	is_str(cfg->user, "v6front", "user");
	is_int(cfg->log_level, CONF_LOG_DEBUG, "log_level");
	is_int((long long)cfg->shutdown_timeout, 45000, "shutdown_timeout");

	t = cfg->tunnel;
	ok(t != NULL, "tunnel");
	is_int(t->role, CONF_TUN_BROKER, "tunnel.role");
	ok(t->pmtu_dynamic, "tunnel.pmtu dynamic");
	is_str(t->interface, "tun-6in4.0", "tunnel.interface");
	is_str(inet_ntop(AF_INET, &t->local, a, sizeof(a)), "10.0.0.12",
	    "tunnel.local");
	is_str(inet_ntop(AF_INET, &t->remote, a, sizeof(a)), "203.0.113.1",
	    "tunnel.remote");
	is_str(inet_ntop(AF_INET6, &t->address, a, sizeof(a)),
	    "2001:db8:1::2", "tunnel.address");
	is_int(t->plen, 64, "tunnel.address plen");
	is_str(inet_ntop(AF_INET6, &t->peer, a, sizeof(a)), "2001:db8:1::1",
	    "tunnel.peer");
	is_int(t->mtu, 1400, "tunnel.mtu");
	is_int(t->ttl, 64, "tunnel.ttl");
	ok(t->default_route, "tunnel.default_route");
	is_int((long long)t->nroutes, 2, "tunnel.routes");
	is_int(t->routes[0].family, AF_INET6, "routes[0] family");
	is_str(inet_ntop(AF_INET6, t->routes[0].addr, a, sizeof(a)),
	    "2001:db8:2::", "routes[0]");
	is_int(t->routes[0].plen, 64, "routes[0] plen");
	is_str(inet_ntop(AF_INET6, t->routes[1].addr, a, sizeof(a)),
	    "2001:db8:3::", "routes[1]");
	is_int(t->routes[1].plen, 48, "routes[1] plen");
	is_int((long long)t->echo_interval, 2500, "tunnel.echo_interval");

	is_int((long long)cfg->nlisteners, 2, "2 listeners");
	l = &cfg->listeners[0];
	is_str(l->name, "web", "listeners[0].name");
	is_int((long long)l->nbind, 2, "listeners[0] 2 binds");
	is_str(l->bind[0].text, "[2001:db8:1::2]:80", "bind[0]");
	is_int(l->bind[0].ss.ss_family, AF_INET6, "bind[0] family");
	is_int(l->bind[0].len, sizeof(struct sockaddr_in6), "bind[0] len");
	is_str(l->bind[1].text, "192.0.2.10:80", "bind[1]");
	is_int(l->bind[1].ss.ss_family, AF_INET, "bind[1] family");
	is_int(l->bind[1].len, sizeof(struct sockaddr_in), "bind[1] len");
	is_int(l->mode, CONF_MODE_TCP, "mode");
	ok(l->backend == conf_backend_find(cfg, "elb"), "backend elb");
	ok(!l->v6only, "v6only false");
	ok(l->freebind, "freebind true");
	is_int(l->backlog, 1024, "backlog");
	is_int((long long)l->buffer, 256 * 1024, "buffer");
	is_int((long long)l->client_idle, 90000, "client_idle");

	l = &cfg->listeners[1];
	is_str(l->name, "ssh", "listeners[1].name");
	is_int((long long)l->nbind, 1, "listeners[1] 1 bind");
	is_str(l->bind[0].text, "[::]:22", "listeners[1].bind[0]");
	ok(l->v6only, "v6only default true");
	ok(l->backend != NULL && l->backend == conf_backend_find(cfg, "ssh"),
	    "inline backend found by the listener's name");
	b = l->backend;
	is_int((long long)b->nservers, 1, "inline backend: 1 server");
	is_str(b->servers[0].host, "127.0.0.1", "inline server host");
	is_int(b->servers[0].port, 22, "inline server port");
	ok(b->servers[0].literal, "inline server literal");
	is_str(b->servers[0].addr.text, "127.0.0.1:22", "inline server addr");
	is_int((long long)b->connect_timeout, 250, "inline connect timeout");
	is_int(b->builtin, CONF_BUILTIN_NONE, "inline builtin none");

	is_int((long long)cfg->nbackends, 3, "3 backends");
	b = conf_backend_find(cfg, "elb");
	ok(b == &cfg->backends[0], "named backends first, in file order");
	is_int((long long)b->nservers, 3, "elb: 3 servers");
	is_str(b->servers[0].host,
	    "my-elb-1234.ap-northeast-1.elb.amazonaws.com", "elb server 0");
	is_int(b->servers[0].port, 80, "elb server 0 port");
	ok(!b->servers[0].literal, "elb server 0 is a name");
	is_str(b->servers[1].host, "2001:DB8:0:0:1:0:0:1", "elb server 1");
	ok(b->servers[1].literal, "elb server 1 literal");
	is_str(b->servers[1].addr.text, "[2001:db8::1:0:0:1]:8080",
	    "elb server 1 addr");
	is_str(b->servers[2].addr.text, "198.51.100.7:8080",
	    "elb server 2 addr");
	is_int((long long)b->connect_timeout, 3000, "elb connect");
	b = conf_backend_find(cfg, "status");
	ok(b == &cfg->backends[1], "status backend");
	is_int(b->builtin, CONF_BUILTIN_STATUS, "builtin status");
	is_int((long long)b->nservers, 0, "builtin: no servers");
	ok(b->servers == NULL, "builtin: servers NULL");
	is_int((long long)b->connect_timeout, 5000, "connect default");
	ok(conf_backend_find(cfg, "nope") == NULL, "find: no such backend");
	ok(conf_backend_find(cfg, NULL) == NULL, "find: NULL name");
	ok(conf_backend_find(NULL, "elb") == NULL, "find: NULL config");

	ok(conf_ref(cfg) == cfg, "conf_ref returns its argument");
	is_int(cfg->refs, 2, "two references");
	conf_unref(cfg);
	is_int(cfg->refs, 1, "one reference");
	conf_unref(cfg);
	conf_unref(NULL);
	ok(conf_ref(NULL) == NULL, "conf_ref(NULL)");
}

static void
test_http(void)
{
	struct conf_errs errs = { NULL, 0 };
	const struct conf_listener *l;
	struct config *cfg;

	cfg = load("listeners:\n"
	    "  - name: web\n"
	    "    bind: \"[::1]:80\"\n"
	    "    mode: http\n"
	    "    backend: { servers: [\"127.0.0.1:2\"],\n"
	    "      timeouts: { connect: 2s, response: 45s },\n"
	    "      pool: { max_idle: 0, idle_timeout: 5s } }\n"
	    "    timeouts: { client_header: 5s, client_idle: 30s,\n"
	    "      client_body: 20s }\n"
	    "    limits: { header_size: 32k, header_count: 50,\n"
	    "      uri_length: 4k, body_size: 10m }\n"
	    "    forwarded: { x_forwarded_for: false, x_forwarded_proto: false,"
	    "\n      x_real_ip: false, forwarded: true }\n"
	    "    trust_forwarded_from: [10.0.0.0/8, \"2001:db8::/32\"]\n"
	    "    accept_proxy: true\n"
	    "    allow: [\"2001:db8::/32\", 192.0.2.0/24]\n"
	    "    deny: [\"2001:db8:bad::/48\"]\n"
	    "  - name: web2\n"
	    "    bind: \"[::1]:81\"\n"
	    "    mode: http\n"
	    "    backend: { servers: [\"127.0.0.1:2\"] }\n", &errs);
	if (!ok(cfg != NULL, "http listeners load")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	l = &cfg->listeners[0];
	is_int(l->mode, CONF_MODE_HTTP, "mode http");
	is_int((long long)l->client_header, 5000, "client_header");
	is_int((long long)l->client_idle, 30000, "client_idle");
	is_int((long long)l->client_body, 20000, "client_body");
	is_int((long long)l->header_size, 32768, "header_size");
	is_int((long long)l->header_count, 50, "header_count");
	is_int((long long)l->uri_length, 4096, "uri_length");
	is_int((long long)l->body_size, 10 << 20, "body_size");
	ok(!l->fwd_xff && !l->fwd_xfp && !l->fwd_xrip && l->fwd_rfc7239,
	    "forwarded switches");
	is_int((long long)l->ntrust, 2, "two trusted prefixes");
	is_int(l->trust[1].family, AF_INET6, "trust[1] IPv6");
	is_int(l->trust[1].plen, 32, "trust[1] /32");
	ok(l->accept_proxy, "accept_proxy");
	is_int((long long)l->nallow, 2, "two allowed prefixes");
	is_int(l->allow[1].family, AF_INET, "allow[1] IPv4");
	is_int((long long)l->ndeny, 1, "one denied prefix");
	is_int(l->deny[0].plen, 48, "deny[0] /48");
	is_int((long long)l->backend->connect_timeout, 2000, "connect");
	is_int((long long)l->backend->response_timeout, 45000, "response");
	is_int(l->backend->pool_max_idle, 0, "pool max_idle");
	is_int((long long)l->backend->pool_idle_timeout, 5000,
	    "pool idle_timeout");

	l = &cfg->listeners[1];
	is_int((long long)l->client_header, 10000, "client_header default 10s");
	is_int((long long)l->client_idle, 60000, "http client_idle default 60s");
	is_int((long long)l->client_body, 60000, "client_body default 60s");
	is_int((long long)l->header_size, 65536, "header_size default 64k");
	is_int((long long)l->header_count, 100, "header_count default 100");
	is_int((long long)l->uri_length, 8192, "uri_length default 8k");
	is_int((long long)l->body_size, 0, "body_size default 0 (any)");
	ok(l->fwd_xff && l->fwd_xfp && l->fwd_xrip && !l->fwd_rfc7239,
	    "forwarded defaults: XFF, XFP, X-Real-IP on, Forwarded off");
	is_int((long long)l->ntrust, 0, "trust nobody by default");
	is_int((long long)l->backend->response_timeout, 30000,
	    "response default 30s");
	is_int(l->backend->pool_max_idle, 128, "pool max_idle default 128");
	is_int((long long)l->backend->pool_idle_timeout, 30000,
	    "pool idle_timeout default 30s");
	ok(!l->accept_proxy && l->nallow == 0 && l->ndeny == 0,
	    "no accept_proxy, allow or deny by default");
	ok(l->conn_per_source == 0 && l->rate_count == 0 &&
	    l->source_prefix == 64, "no per-source limits, /64 by default");
	is_int(l->backend->send_proxy, CONF_PROXY_OFF, "send_proxy default off");
	conf_unref(cfg);
	conf_errs_free(&errs);
}

/* PROXY protocol, ACLs and per-source limits on a tcp listener. */
static void
test_sources(void)
{
	struct conf_errs errs = { NULL, 0 };
	const struct conf_listener *l;
	struct config *cfg;

	cfg = load("listeners:\n"
	    "  - name: ssh\n"
	    "    bind: \"[::1]:22\"\n"
	    "    backend: { servers: [\"127.0.0.1:2\"], send_proxy: v2 }\n"
	    "    accept_proxy: true\n"
	    "    trust_forwarded_from: [127.0.0.1/32]\n"
	    "    deny: [\"::ffff:0:0/96\"]\n"
	    "    limits: { conn_per_source: 4, request_rate: 10/s,\n"
	    "      source_prefix: 56 }\n"
	    "  - name: b\n"
	    "    bind: \"[::1]:23\"\n"
	    "    backend: { servers: [\"127.0.0.1:2\"], send_proxy: v1 }\n"
	    "    limits: { request_rate: 100/10m }\n", &errs);
	if (!ok(cfg != NULL, "tcp listeners with sources keys load")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	l = &cfg->listeners[0];
	is_int(l->backend->send_proxy, CONF_PROXY_V2, "send_proxy v2");
	ok(l->accept_proxy && l->ntrust == 1, "accept_proxy with a trust list");
	is_int((long long)l->ndeny, 1, "deny list");
	is_int(l->conn_per_source, 4, "conn_per_source");
	is_int((long long)l->rate_count, 10, "request_rate count");
	is_int((long long)l->rate_period, 1000, "request_rate 10/s period");
	is_int(l->source_prefix, 56, "source_prefix");
	l = &cfg->listeners[1];
	is_int(l->backend->send_proxy, CONF_PROXY_V1, "send_proxy v1");
	is_int((long long)l->rate_count, 100, "request_rate 100/10m count");
	is_int((long long)l->rate_period, 600000, "request_rate 10m period");
	conf_unref(cfg);
	conf_errs_free(&errs);
}

static void
test_defaults(void)
{
	struct conf_errs errs = { NULL, 0 };
	const struct conf_listener *l;
	const struct conf_tunnel *t;
	struct config *cfg;
	char a[INET6_ADDRSTRLEN];

	cfg = load("listeners:\n"
	    "  - name: a\n"
	    "    bind: 127.0.0.1:1\n"
	    "    backend: { servers: [\"127.0.0.1:2\"] }\n", &errs);
	if (!ok(cfg != NULL, "minimal listener config")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	is_int(cfg->workers, 0, "workers default auto");
	ok(cfg->user == NULL, "user default none");
	is_int(cfg->log_level, CONF_LOG_INFO, "log_level default info");
	is_int((long long)cfg->shutdown_timeout, 30000, "shutdown default 30s");
	ok(cfg->tunnel == NULL, "no tunnel");
	l = &cfg->listeners[0];
	is_int(l->mode, CONF_MODE_TCP, "mode default tcp");
	ok(l->v6only, "v6only default true");
	ok(!l->freebind, "freebind default false");
	is_int(l->backlog, 511, "backlog default 511");
	is_int((long long)l->buffer, 65536, "buffer default 64k");
	is_int((long long)l->client_idle, 600000, "client_idle default 10m");
	is_int((long long)l->backend->connect_timeout, 5000,
	    "connect default 5s");
	is_str(l->backend->name, "a", "inline backend named after listener");
	is_int((long long)cfg->nbackends, 1, "one backend");
	conf_unref(cfg);

	cfg = load("tunnel:\n"
	    "  local: 10.0.0.1\n"
	    "  remote: 10.0.0.2\n"
	    "  address: 2001:db8::2/64\n"
	    "  peer: 2001:db8::1\n", &errs);
	if (!ok(cfg != NULL, "minimal tunnel config")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	t = cfg->tunnel;
	is_int(t->role, CONF_TUN_CLIENT, "role default client");
	is_str(t->interface, "he-ipv6", "interface default he-ipv6");
	is_int(t->mtu, 1480, "mtu default 1480");
	ok(!t->pmtu_dynamic, "pmtu default fixed");
	is_int(t->ttl, 255, "ttl default 255");
	is_int((long long)t->echo_interval, 30000,
	    "echo_interval default 30s");
	ok(!t->default_route, "default_route default false");
	is_int((long long)t->nroutes, 0, "no routes");
	ok(t->routes == NULL, "routes NULL");
	is_str(inet_ntop(AF_INET6, &t->address, a, sizeof(a)), "2001:db8::2",
	    "address keeps its host part");
	is_int((long long)cfg->nlisteners, 0, "no listeners");
	ok(cfg->listeners == NULL, "listeners NULL");
	is_int((long long)cfg->nbackends, 0, "no backends");
	conf_unref(cfg);

	cfg = load("tunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '::1/128', peer: '::2', echo_interval: 0s}\n", &errs);
	ok(cfg != NULL && cfg->tunnel->echo_interval == 0,
	    "echo_interval 0s: echoes off");
	conf_unref(cfg);

	cfg = load("tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: '::1/128'\n  peer: '::2'\n  update:\n"
	    "    url: https://broker.example/nic/update?hostname=123456\n"
	    "    username: alice\n    password_file: /etc/v6front/broker.key\n",
	    &errs);
	if (ok(cfg != NULL && cfg->tunnel->update != NULL, "tunnel.update")) {
		const struct conf_tunnel_update *u = cfg->tunnel->update;

		is_str(u->host, "broker.example", "update: host");
		is_int(u->port, 443, "update: port default 443");
		is_str(u->target, "/nic/update?hostname=123456",
		    "update: target");
		is_str(u->username, "alice", "update: username");
		is_str(u->password_file, "/etc/v6front/broker.key",
		    "update: password_file");
		ok(u->ca_file == NULL, "update: ca_file default NULL");
		ok(!u->has_myip, "update: no myip");
		is_int((long long)u->interval, 600000,
		    "update: interval default 10m");
		is_int((long long)u->retry, 30000, "update: retry default 30s");
	}
	conf_unref(cfg);
	cfg = load("tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: '::1/128'\n  peer: '::2'\n  update:\n"
	    "    url: 'https://127.0.0.1:8443?h=1'\n"
	    "    username: a\n    password_file: p\n    interval: 1m\n"
	    "    retry: 1s\n    myip: 203.0.113.7\n    ca_file: ca.pem\n",
	    &errs);
	if (ok(cfg != NULL && cfg->tunnel->update != NULL,
	    "tunnel.update, every key")) {
		const struct conf_tunnel_update *u = cfg->tunnel->update;

		is_str(u->host, "127.0.0.1", "update: literal host");
		is_int(u->port, 8443, "update: port");
		is_str(u->target, "/?h=1", "update: no path: /");
		is_str(u->ca_file, "ca.pem", "update: ca_file");
		ok(u->has_myip && u->myip.s_addr == htonl(0xcb007107),
		    "update: myip");
		is_int((long long)u->interval, 60000, "update: interval");
		is_int((long long)u->retry, 1000, "update: retry");
	}
	conf_unref(cfg);
	cfg = load("tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: '::1/128'\n  peer: '::2'\n  update:\n"
	    "    url: 'https://[2001:db8::5]'\n"
	    "    username: a\n    password_file: p\n", &errs);
	ok(cfg != NULL && strcmp(cfg->tunnel->update->host, "2001:db8::5") ==
	    0 && strcmp(cfg->tunnel->update->target, "/") == 0 &&
	    cfg->tunnel->update->port == 443, "update: [v6] host, no path");
	conf_unref(cfg);

	cfg = load("workers: auto\nworkers_x: 1\n", NULL);
	ok(cfg == NULL, "NULL errs: still fails");
	cfg = load("workers: 1024\ntunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '::1/128', peer: '::2', routes: []}\n", &errs);
	ok(cfg != NULL && cfg->workers == 1024 && cfg->tunnel->nroutes == 0,
	    "flow tunnel, workers 1024, empty routes");
	conf_unref(cfg);
	is_int((long long)errs.n, 0, "no errors collected");
	conf_errs_free(&errs);
}

/* One invalid file: the first message exactly, and how many (0: any). */
struct bad {
	const char	*yaml;
	const char	*first;
	size_t		 n;
};

static const struct bad bad_rows[] = {
	/* syntax */
	{ "workers: [1\n", "t.yaml:2:1: syntax error: did not find "
	    "expected ',' or ']' (while parsing a flow sequence)", 1 },
	{ "a: b\n c: d\n", "t.yaml:2:3: syntax error: mapping values are "
	    "not allowed in this context", 1 },
	{ "listeners:\n\t- name: a\n", "t.yaml:2:1: syntax error: found "
	    "character that cannot start any token (while scanning for the "
	    "next token)", 1 },
	{ "workers: \"1\n", "t.yaml:2:1: syntax error: found unexpected end "
	    "of stream (while scanning a quoted scalar)", 1 },
	{ "user: \xff\n", "t.yaml:1:7: syntax error: invalid leading UTF-8 "
	    "octet", 1 },
	{ "a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document is "
	    "supported", 1 },
	/* empty and pointless files */
	{ "", "t.yaml:1:1: empty file", 1 },
	{ "# only a comment\n\n", "t.yaml:1:1: empty file", 1 },
	{ "{}\n", "t.yaml:1:1: nothing to do: no listeners and no tunnel", 1 },
	{ "workers: 2\n", "t.yaml:1:1: nothing to do: no listeners and no "
	    "tunnel", 1 },
	{ "---\n", "t.yaml:2:1: expected a mapping", 1 },
	{ "- a\n- b\n", "t.yaml:1:1: expected a mapping", 1 },
	{ "hello\n", "t.yaml:1:1: expected a mapping", 1 },
	/* unknown keys, at each level */
	{ "workerz: 1\ntunnel: {}\n", "t.yaml:1:1: workerz: unknown key; "
	    "expected one of workers, user, log_level, shutdown_timeout, "
	    "tunnel, listeners, backends, access_log, resolvers", 0 },
	{ "listeners:\n  - name: a\n    bnid: \"[::1]:1\"\n",
	    "t.yaml:2:5: listeners[0]: missing required key \"bind\"", 3 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: b\n"
	    "    bnid: 1\n", "t.yaml:4:14: listeners[0].backend: no backend "
	    "named \"b\"", 2 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    bnid: 1\n",
	    "t.yaml:5:5: listeners[0].bnid: unknown key; expected one of "
	    "name, bind, mode, backend, v6only, freebind, backlog, buffer, "
	    "timeouts, limits, forwarded, trust_forwarded_from, access_log, "
	    "accept_proxy, allow, deny, tls", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    timeouts: {client_header: 1s}\n",
	    "t.yaml:5:15: listeners[0].timeouts: client_header and client_body "
	    "need mode: http", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    timeouts: {client_hdr: 1s}\n",
	    "t.yaml:6:16: listeners[0].timeouts.client_hdr: unknown key; "
	    "expected one of client_idle, client_header, client_body", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  updat: {url: x}\n", "t.yaml:6:3: tunnel.updat: unknown key; "
	    "expected one of role, interface, local, remote, address, peer, "
	    "mtu, pmtu, ttl, default_route, routes, echo_interval, update", 1 },
	/* tunnel.update */
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: ~, username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: expected "
	    "an https:// URL", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: x}\n", "t.yaml:6:11: tunnel.update: "
	    "missing required key \"username\"", 3 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: http://b/u, username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: expected "
	    "an https:// URL, like https://broker.example/nic/update?"
	    "hostname=1", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://a:b@h/u', username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: no user "
	    "name or password in the URL: use username and password_file", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h:0/u', username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: port 0 "
	    "not in 1-65535", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https:///u', username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: URL has "
	    "no host", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: \"https://h/u?a=b c\", username: a, "
	    "password_file: /p}\n", "t.yaml:6:17: tunnel.update.url: URL has "
	    "a space, control, '#' or non-ASCII byte at offset 15", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h/', username: 'a:b', "
	    "password_file: /p}\n", "t.yaml:6:41: tunnel.update.username: "
	    "expected a user name without ':' or control characters", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h/', username: a, "
	    "password_file: /p, interval: 30s}\n", "t.yaml:6:73: "
	    "tunnel.update.interval: expected at least 1m", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h/', username: a, "
	    "password_file: /p, retry: 10ms}\n", "t.yaml:6:70: "
	    "tunnel.update.retry: expected at least 1s", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h/', username: a, "
	    "password_file: /p, myip: '::1'}\n", "t.yaml:6:69: "
	    "tunnel.update.myip: expected an IPv4 address like 192.0.2.1", 1 },
	{ "tunnel:\n  local: 1.1.1.1\n  remote: 2.2.2.2\n"
	    "  address: 2001:db8::2/64\n  peer: 2001:db8::1\n"
	    "  update: {url: 'https://h/', username: a, "
	    "password_file: [a]}\n", "t.yaml:6:59: "
	    "tunnel.update.password_file: expected a string", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    balance: rr\n", "t.yaml:5:14: backends.b.balance: expected "
	    "one of round_robin, least_conn, source", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    health: {every: 1s, rize: 2}\n", "t.yaml:5:25: "
	    "backends.b.health.rize: unknown key; expected one of every, "
	    "timeout, rise, fall, path, max_fails", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    health: {path: health}\n", "t.yaml:5:20: "
	    "backends.b.health.path: expected a path like /health (at most "
	    "1024 bytes)", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    source_prefix: 129\n", "t.yaml:5:20: "
	    "backends.b.source_prefix: source_prefix 129 not in 0-128", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [{address: \"a:1\", "
	    "weight: 257}]\n", "t.yaml:4:40: backends.b.servers[0].weight: "
	    "weight 257 not in 0-256", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [{weight: 2}]\n",
	    "t.yaml:4:15: backends.b.servers[0]: missing required key "
	    "\"address\"", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nresolvers: [\"dns.example:53\"]\n",
	    "t.yaml:2:13: resolvers[0]: expected [ipv6]:port or ipv4:port", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    balanse: rr\n", "t.yaml:5:5: backends.b.balanse: unknown key; "
	    "expected one of servers, builtin, timeouts, pool, resolve_every, "
	    "balance, source_prefix, retries, health, send_proxy, tls", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    timeouts: {first_byte: 1s}\n", "t.yaml:5:16: "
	    "backends.b.timeouts.first_byte: unknown key; expected one of "
	    "connect, response", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {servers: [\"127.0.0.1:1\"], pool: {max_idle: -1}}\n",
	    "t.yaml:5:58: listeners[0].backend.pool.max_idle: expected a number "
	    "0-10000", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {servers: [\"127.0.0.1:1\"], pool: {max: 1}}\n",
	    "t.yaml:5:48: listeners[0].backend.pool.max: unknown key; expected "
	    "one of max_idle, idle_timeout", 1 },
	{ "\"\": 1\ntunnel: {}\n", "t.yaml:1:1: \"\": unknown key; expected "
	    "one of workers, user, log_level, shutdown_timeout, tunnel, "
	    "listeners, backends, access_log, resolvers", 5 },
	/* duplicate keys */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    bind: \"[::1]:2\"\n    backend: {builtin: status}\n",
	    "t.yaml:4:5: listeners[0].bind: duplicate key \"bind\" (first at "
	    "3:5)", 1 },
	{ "workers: 1\nworkers: 2\ntunnel: {}\n", "t.yaml:2:1: workers: "
	    "duplicate key \"workers\" (first at 1:1)", 0 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b: {builtin: status}\n"
	    "  b: {builtin: status}\n", "t.yaml:4:3: backends.b: duplicate "
	    "key \"b\" (first at 3:3)", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, local: 3.3.3.3, "
	    "address: '::1/128', peer: '::2'}\n", "t.yaml:1:43: tunnel.local: "
	    "duplicate key \"local\" (first at 1:10)", 1 },
	/* wrong node types */
	{ "listeners: {a: 1}\n", "t.yaml:1:12: listeners: expected a "
	    "sequence", 1 },
	{ "tunnel: [1]\n", "t.yaml:1:9: tunnel: expected a mapping", 1 },
	{ "tunnel:\n", "t.yaml:1:8: tunnel: expected a mapping", 1 },
	{ "user: [root]\ntunnel: ~\n", "t.yaml:1:7: user: expected a string",
	    2 },
	{ "listeners:\n  - a\n", "t.yaml:2:5: listeners[0]: expected a "
	    "mapping", 1 },
	{ "listeners:\n  - name: [a]\n    bind: {x: 1}\n    backend: [b]\n",
	    "t.yaml:2:11: listeners[0].name: expected a string", 3 },
	{ "listeners:\n  - name: a\n    bind: {x: 1}\n    backend: [b]\n",
	    "t.yaml:3:11: listeners[0].bind: expected a string or a sequence "
	    "of strings", 2 },
	{ "listeners:\n  - name: a\n    bind: [[\"[::1]:1\"]]\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:12: "
	    "listeners[0].bind[0]: expected a string", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: [b]\n",
	    "t.yaml:4:14: listeners[0].backend: expected a backend name or a "
	    "mapping", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend:\n",
	    "t.yaml:4:13: listeners[0].backend: expected a backend name or a "
	    "mapping", 1 },
	{ "backends: [a]\ntunnel: {}\n", "t.yaml:1:11: backends: expected a "
	    "mapping", 0 },
	{ "backends:\n  b: {servers: \"a:1\"}\ntunnel: {}\n", "t.yaml:2:16: "
	    "backends.b.servers: expected a sequence", 0 },
	{ "backends:\n  [x]: {builtin: status}\ntunnel: {}\n", "t.yaml:2:3: "
	    "backends: expected a string", 0 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', routes: 2001:db8::/32}\n", "t.yaml:1:84: "
	    "tunnel.routes: expected a sequence", 1 },
	/* missing required keys */
	{ "listeners:\n  - bind: \"[::1]:1\"\n    backend: b\n",
	    "t.yaml:2:5: listeners[0]: missing required key \"name\"", 2 },
	{ "listeners:\n  - { name: a, bind: \"[::1]:1\" }\n",
	    "t.yaml:2:5: listeners[0]: missing required key \"backend\"", 1 },
	{ "tunnel:\n  remote: 2.2.2.2\n  address: 2001:db8::2/64\n"
	    "  peer: 2001:db8::1\n", "t.yaml:2:3: tunnel: missing required "
	    "key \"local\"", 1 },
	{ "tunnel: {local: 1.1.1.1}\n", "t.yaml:1:9: tunnel: missing "
	    "required key \"remote\"", 3 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: {}\n",
	    "t.yaml:4:14: listeners[0].backend: missing required key "
	    "\"servers\" or \"builtin\"", 1 },
	/* dangling backend, backend clashes */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: x\n"
	    "backends:\n  y: {builtin: status}\n", "t.yaml:4:14: "
	    "listeners[0].backend: no backend named \"x\"", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: b\n"
	    "  - name: b\n    bind: \"[::1]:2\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:14: "
	    "listeners[0].backend: no backend named \"b\"", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\nbackends:\n"
	    "  a: {builtin: status}\n", "t.yaml:4:14: listeners[0].backend: "
	    "an inline backend takes the listener's name, and backends.a "
	    "exists", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {servers: [\"a:1\"], builtin: status}\n",
	    "t.yaml:4:14: listeners[0].backend: servers and builtin exclude "
	    "each other", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: proxy}\n", "t.yaml:4:24: "
	    "listeners[0].backend.builtin: expected status or stats", 1 },
	/* builtin: stats serves HTTP */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: stats}\n", "t.yaml:4:14: "
	    "listeners[0].backend: builtin: stats needs mode: http", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    mode: tcp\n    backend: s\nbackends:\n  s: {builtin: stats}\n",
	    "t.yaml:5:14: listeners[0].backend: builtin: stats needs mode: "
	    "http", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: stats}\n", NULL, 0 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {servers: []}\n", "t.yaml:4:24: "
	    "listeners[0].backend.servers: expected at least one server", 1 },
	/* listeners */
	{ "listeners: []\n", "t.yaml:1:12: listeners: expected at least one "
	    "listener", 1 },
	{ "listeners:\n  - name: a\n    bind: []\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:11: "
	    "listeners[0].bind: expected at least one address", 1 },
	{ "listeners:\n  - name: a b\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:2:11: "
	    "listeners[0].name: expected a name of 1-63 characters from A-Z "
	    "a-z 0-9 _ . -", 1 },
	{ "listeners:\n  - name: \"\"\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:2:11: "
	    "listeners[0].name: expected a name of 1-63 characters from A-Z "
	    "a-z 0-9 _ . -", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n"
	    "  - name: a\n    bind: \"[::1]:2\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:5:11: "
	    "listeners[1].name: name \"a\" already used by listeners[0] at "
	    "2:11", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:70000\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:11: "
	    "listeners[0].bind[0]: port 70000 not in 1-65535", 1 },
	{ "listeners:\n  - name: a\n    bind: [\"[::1]:1\", \"[::1]:0\"]\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:23: "
	    "listeners[0].bind[1]: port 0 not in 1-65535", 1 },
	{ "listeners:\n  - name: a\n    bind: \"localhost:80\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:11: "
	    "listeners[0].bind[0]: expected [ipv6]:port or ipv4:port", 1 },
	{ "listeners:\n  - name: a\n    bind: \"::1:80\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:11: "
	    "listeners[0].bind[0]: IPv6 addresses need brackets, like "
	    "[2001:db8::1]:80", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::ffff:127.0.0.1]:80\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:11: "
	    "listeners[0].bind[0]: IPv4-mapped address; write it as "
	    "127.0.0.1:80", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: htp\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:11: "
	    "listeners[0].mode: expected tcp or http", 1 },
	/* tls */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    tls: {cert: /c}\n"
	    "    timeouts: {client_body: 1s}\n",
	    "t.yaml:5:10: listeners[0].tls: expected cert and key, or certs",
	    2 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    tls: {cert: /c}\n",
	    "t.yaml:6:10: listeners[0].tls: expected cert and key, or certs",
	    1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n"
	    "    tls: {cert: /c, key: /k, certs: []}\n",
	    "t.yaml:6:37: listeners[0].tls.certs: certs and cert/key exclude "
	    "each other", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    tls: {certs: []}\n",
	    "t.yaml:6:18: listeners[0].tls.certs: expected at least one "
	    "certificate", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    tls: {certs: [{cert: /c}]}\n",
	    "t.yaml:6:19: listeners[0].tls.certs[0]: missing required key "
	    "\"key\"", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    tls: {cert: /c, key: /k, "
	    "ca: /x}\n", "t.yaml:6:30: listeners[0].tls.ca: unknown key; "
	    "expected one of cert, key, certs", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    tls: {cert: '', key: /k}\n",
	    "t.yaml:6:17: listeners[0].tls.cert: expected a file path", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: b\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    tls: {verify: yes}\n", "t.yaml:9:19: backends.b.tls.verify: "
	    "expected true or false", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: b\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    tls: {cafile: /x}\n", "t.yaml:9:11: backends.b.tls.cafile: "
	    "unknown key; expected one of verify, ca_file, sni", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: b\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    tls: {sni: \"a b\"}\n", "t.yaml:9:16: backends.b.tls.sni: "
	    "expected a DNS name like www.example.com", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status, tls: {}}\n", "t.yaml:5:37: "
	    "listeners[0].backend.tls: needs servers, not builtin", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: b\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    tls: {}\n", "t.yaml:4:14: listeners[0].backend: backend b has "
	    "tls, which needs mode: http", 1 },
	/* mode http keys */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {header_size: 8k}\n",
	    "t.yaml:5:27: listeners[0].limits.header_size: needs mode: http",
	    1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n"
	    "    trust_forwarded_from: [10.0.0.0/8]\n",
	    "t.yaml:5:27: listeners[0].trust_forwarded_from: needs mode: http "
	    "or accept_proxy", 1 },
	/* PROXY protocol, ACLs, per-source limits */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    accept_proxy: yes\n",
	    "t.yaml:5:19: listeners[0].accept_proxy: expected true or false",
	    1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {servers: [\"127.0.0.1:1\"], send_proxy: v3}\n",
	    "t.yaml:4:53: listeners[0].backend.send_proxy: expected one of off, "
	    "v1, v2", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    allow: [\"2001:db8::1/32\"]\n",
	    "t.yaml:5:13: listeners[0].allow[0]: host bits set; did you mean "
	    "2001:db8::/32?", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    deny: 10.0.0.0/8\n",
	    "t.yaml:5:11: listeners[0].deny: expected a sequence", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    deny: [nowhere]\n",
	    "t.yaml:5:12: listeners[0].deny[0]: expected a prefix like "
	    "2001:db8::/32 or 192.0.2.0/24", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {conn_per_source: 0}\n",
	    "t.yaml:5:31: listeners[0].limits.conn_per_source: conn_per_source "
	    "0 not in 1-1000000", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {source_prefix: 129}\n",
	    "t.yaml:5:29: listeners[0].limits.source_prefix: source_prefix 129 "
	    "not in 1-128", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {request_rate: 100}\n",
	    "t.yaml:5:28: listeners[0].limits.request_rate: expected a rate like "
	    "100/10s", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {request_rate: 0/1s}\n",
	    "t.yaml:5:28: listeners[0].limits.request_rate: expected a rate like "
	    "100/10s: count not in 1-1000000", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {request_rate: 5/100ms}\n",
	    "t.yaml:5:28: listeners[0].limits.request_rate: expected a rate like "
	    "100/10s: period not in 1s-1d", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backend: {builtin: status}\n    limits: {request_rate: 5/1x}\n",
	    "t.yaml:5:28: listeners[0].limits.request_rate: expected a rate like "
	    "100/10s: expected a duration like 250ms, 5s, 10m", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    limits: {header_size: 512}\n",
	    "t.yaml:6:27: listeners[0].limits.header_size: header_size 512 not "
	    "in 1024-16777216 bytes", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    limits: {header_count: 0}\n",
	    "t.yaml:6:28: listeners[0].limits.header_count: header_count 0 "
	    "not in 1-10000", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    limits: {uri_length: 2m}\n",
	    "t.yaml:6:26: listeners[0].limits.uri_length: uri_length 2m not in "
	    "16-1048576 bytes", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    limits: {body_size: lots}\n",
	    "t.yaml:6:25: listeners[0].limits.body_size: expected a size like "
	    "512, 64k, 10m, 1g", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    limits: {header_lines: 5}\n",
	    "t.yaml:6:14: listeners[0].limits.header_lines: unknown key; "
	    "expected one of header_size, header_count, uri_length, body_size, "
	    "conn_per_source, request_rate, source_prefix", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    forwarded: {x_real_ip: yes}\n",
	    "t.yaml:6:28: listeners[0].forwarded.x_real_ip: expected true or "
	    "false", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n    forwarded: {via: true}\n",
	    "t.yaml:6:17: listeners[0].forwarded.via: unknown key; expected "
	    "one of x_forwarded_for, x_forwarded_proto, x_real_ip, forwarded",
	    1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n"
	    "    trust_forwarded_from: [10.0.0.1/8]\n",
	    "t.yaml:6:28: listeners[0].trust_forwarded_from[0]: host bits set; "
	    "did you mean 10.0.0.0/8?", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {builtin: status}\n"
	    "    trust_forwarded_from: 10.0.0.0/8\n",
	    "t.yaml:6:27: listeners[0].trust_forwarded_from: expected a "
	    "sequence", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    mode: http\n"
	    "    backend: {servers: [\"127.0.0.1:1\"], timeouts: {response: 0s}}\n",
	    "t.yaml:5:62: listeners[0].backend.timeouts.response: duration "
	    "must be longer than 0", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    v6only: yes\n"
	    "    freebind: \"true\"\n    backend: {builtin: status}\n",
	    "t.yaml:4:13: listeners[0].v6only: expected true or false", 2 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backlog: 0\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:14: "
	    "listeners[0].backlog: backlog 0 not in 1-65535", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    backlog: \"100\"\n    backend: {builtin: status}\n",
	    "t.yaml:4:14: listeners[0].backlog: expected a number 1-65535, "
	    "not a quoted string", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backlog: -1\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:14: "
	    "listeners[0].backlog: expected a number 1-65535", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    buffer: 1k\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:13: "
	    "listeners[0].buffer: buffer 1k not in 4k-64m", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    buffer: 65m\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:13: "
	    "listeners[0].buffer: buffer 65m not in 4k-64m", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    buffer: 64kb\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:13: "
	    "listeners[0].buffer: expected a size like 512, 64k, 10m, 1g", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    timeouts:\n      client_idle: 10\n"
	    "    backend: {builtin: status}\n", "t.yaml:5:20: "
	    "listeners[0].timeouts.client_idle: duration needs a unit: ms, s, "
	    "m, h, d", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    timeouts: {client_idle: 0s}\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:29: "
	    "listeners[0].timeouts.client_idle: duration must be longer than "
	    "0", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    timeouts: {client_idle: soon}\n"
	    "    backend: {builtin: status}\n", "t.yaml:4:29: "
	    "listeners[0].timeouts.client_idle: expected a duration like "
	    "250ms, 5s, 10m", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n"
	    "    timeouts: 5s\n    backend: {builtin: status}\n",
	    "t.yaml:4:15: listeners[0].timeouts: expected a mapping", 1 },
	/* duplicate addresses */
	{ "listeners:\n  - name: a\n    bind: \"[::1]:8080\"\n"
	    "    backend: {builtin: status}\n"
	    "  - name: b\n    bind: [\"127.0.0.1:1\", \"[0:0::1]:8080\"]\n"
	    "    backend: {builtin: status}\n", "t.yaml:6:27: "
	    "listeners[1].bind[1]: [::1]:8080 already bound by "
	    "listeners[0].bind[0] at 3:11", 1 },
	{ "listeners:\n  - name: a\n    bind: [\"0.0.0.0:80\", \"0.0.0.0:80\"]\n"
	    "    backend: {builtin: status}\n", "t.yaml:3:26: "
	    "listeners[0].bind[1]: 0.0.0.0:80 already bound by "
	    "listeners[0].bind[0] at 3:12", 1 },
	{ "listeners:\n  - name: a\n    bind: \"0.0.0.0:80\"\n"
	    "    backend: {builtin: status}\n"
	    "  - name: b\n    bind: \"[::]:80\"\n    v6only: false\n"
	    "    backend: {builtin: status}\n", "t.yaml:6:11: "
	    "listeners[1].bind[0]: [::]:80 with v6only false also binds "
	    "0.0.0.0:80, already bound by listeners[0].bind[0] at 3:11", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::]:80\"\n    v6only: false\n"
	    "    backend: {builtin: status}\n"
	    "  - name: b\n    bind: \"0.0.0.0:80\"\n"
	    "    backend: {builtin: status}\n", "t.yaml:7:11: "
	    "listeners[1].bind[0]: 0.0.0.0:80 already bound by "
	    "listeners[0].bind[0] at 3:11 ([::]:80 with v6only false)", 1 },
	{ "listeners:\n  - name: a\n    bind: \"[::]:80\"\n"
	    "    backend: {builtin: status}\n"
	    "  - name: b\n    bind: [\"0.0.0.0:80\", \"[::]:81\", "
	    "\"0.0.0.0:81\"]\n    backend: {builtin: status}\n", NULL, 0 },
	{ "listeners:\n  - name: a\n    bind: \"[::]:80\"\n    v6only: false\n"
	    "    backend: {builtin: status}\n"
	    "  - name: b\n    bind: \"[::]:80\"\n    v6only: false\n"
	    "    backend: {builtin: status}\n", "t.yaml:7:11: "
	    "listeners[1].bind[0]: [::]:80 already bound by "
	    "listeners[0].bind[0] at 3:11", 1 },
	/* backends */
	{ "backends:\n  \"a b\": {builtin: status}\ntunnel: {}\n",
	    "t.yaml:2:3: backends.a b: expected a backend name of 1-63 "
	    "characters from A-Z a-z 0-9 _ . -", 0 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers:\n"
	    "      - \"a_b.example:80\"\n      - \"b.example:80\"\n"
	    "      - \"-c.example:80\"\n", "t.yaml:5:9: backends.b.servers[0]: "
	    "bad host name \"a_b.example\": only letters, digits, '-' and '.' "
	    "allowed", 2 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  elb:\n    servers: [\"a:1\", \"b:2\", "
	    "\"c\"]\n", "t.yaml:4:29: backends.elb.servers[2]: expected "
	    "[ipv6]:port, ipv4:port or host:port", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbackends:\n  b:\n    servers: [\"a:1\"]\n"
	    "    timeouts: {connect: 101d}\n", "t.yaml:5:25: "
	    "backends.b.timeouts.connect: duration longer than 100d", 1 },
	/* tunnel values */
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', mtu: 1500}\n", "t.yaml:1:81: tunnel.mtu: mtu 1500 "
	    "not in 1280-1480", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', ttl: 0}\n", "t.yaml:1:81: tunnel.ttl: ttl 0 "
	    "not in 1-255", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', role: server}\n", "t.yaml:1:82: tunnel.role: "
	    "expected client or broker", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', pmtu: auto}\n", "t.yaml:1:82: tunnel.pmtu: "
	    "expected fixed or dynamic", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', interface: he-ipv6-tunnel01}\n", "t.yaml:1:87: "
	    "tunnel.interface: expected an interface name of 1-15 characters "
	    "from A-Z a-z 0-9 _ . -", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', interface: ..}\n", "t.yaml:1:87: "
	    "tunnel.interface: expected an interface name of 1-15 characters "
	    "from A-Z a-z 0-9 _ . -", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2001:db8::1, address: '::1/128', "
	    "peer: '::2'}\n", "t.yaml:1:34: tunnel.remote: expected an IPv4 "
	    "address like 192.0.2.1", 1 },
	{ "tunnel: {local: tunnel.example, remote: 2.2.2.2, "
	    "address: '::1/128', peer: '::2'}\n", "t.yaml:1:17: tunnel.local: "
	    "expected an IPv4 address like 192.0.2.1", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1', "
	    "peer: '::2'}\n", "t.yaml:1:52: tunnel.address: expected an IPv6 "
	    "address with prefix length, like 2001:db8:1::2/64", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/0', "
	    "peer: '::2'}\n", "t.yaml:1:52: tunnel.address: prefix length 0 "
	    "not in 1-128", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/129', "
	    "peer: '::2'}\n", "t.yaml:1:52: tunnel.address: prefix length 129 "
	    "not in 1-128", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '1.2.3.4/24', "
	    "peer: '::2'}\n", "t.yaml:1:52: tunnel.address: expected an IPv6 "
	    "address with prefix length, like 2001:db8:1::2/64", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/64', "
	    "peer: '0::1'}\n", "t.yaml:1:68: tunnel.peer: peer must differ "
	    "from address", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/64', "
	    "peer: '::1/64'}\n", "t.yaml:1:68: tunnel.peer: expected an IPv6 "
	    "address like 2001:db8:1::1", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', default_route: 1}\n", "t.yaml:1:91: "
	    "tunnel.default_route: expected true or false", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', routes: [2001:db8::1/48]}\n", "t.yaml:1:85: "
	    "tunnel.routes[0]: host bits set; did you mean 2001:db8::/48?", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', routes: ['::/0', 10.0.0.0/8, '::/200']}\n",
	    "t.yaml:1:93: tunnel.routes[1]: expected an IPv6 prefix, like "
	    "2001:db8:2::/64", 2 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', echo_interval: 50ms}\n", "t.yaml:1:91: "
	    "tunnel.echo_interval: expected 0s (off) or at least 100ms", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', echo_interval: 0}\n", "t.yaml:1:91: "
	    "tunnel.echo_interval: duration needs a unit: ms, s, m, h, d", 1 },
	{ "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2', echo_interval: [1s]}\n", "t.yaml:1:91: "
	    "tunnel.echo_interval: expected a duration like 250ms, 5s, 10m",
	    1 },
	/* top-level values */
	{ "workers: 0\ntunnel: {}\n", "t.yaml:1:10: workers: workers 0 not in "
	    "1-1024", 0 },
	{ "workers: 1025\ntunnel: {}\n", "t.yaml:1:10: workers: workers 1025 "
	    "not in 1-1024", 0 },
	{ "workers: many\ntunnel: {}\n", "t.yaml:1:10: workers: expected auto "
	    "or a number 1-1024", 0 },
	{ "workers: \"4\"\ntunnel: {}\n", "t.yaml:1:10: workers: expected "
	    "auto or a number 1-1024", 0 },
	{ "workers: 99999999999999999999999\ntunnel: {}\n", "t.yaml:1:10: "
	    "workers: workers 99999999999999999999999 not in 1-1024", 0 },
	{ "user: \"\"\ntunnel: {}\n", "t.yaml:1:7: user: expected a user name "
	    "of 1-32 characters", 0 },
	{ "user: abcdefghijklmnopqrstuvwxyz0123456\ntunnel: {}\n",
	    "t.yaml:1:7: user: expected a user name of 1-32 characters", 0 },
	{ "user: \"a\\0b\"\ntunnel: {}\n", "t.yaml:1:7: user: NUL byte in "
	    "string", 0 },
	{ "log_level: loud\ntunnel: {}\n", "t.yaml:1:12: log_level: expected "
	    "one of crit, err, warning, notice, info, debug", 0 },
	{ "shutdown_timeout: 30\ntunnel: {}\n", "t.yaml:1:19: "
	    "shutdown_timeout: duration needs a unit: ms, s, m, h, d", 0 },
	/* anchors, aliases, tags */
	{ "backends:\n  b: &x {builtin: status}\n  c: *x\ntunnel: {}\n",
	    "t.yaml:2:6: backends.b: anchors and aliases are not supported",
	    0 },
	{ "a: &a [x]\nb: [*a, *a, *a]\n", "t.yaml:1:1: a: unknown key; "
	    "expected one of workers, user, log_level, shutdown_timeout, "
	    "tunnel, listeners, backends, access_log, resolvers", 3 },
	{ "listeners:\n  - name: a\n    bind: \"[::1]:1\"\n    backend: *b\n",
	    "t.yaml:4:14: listeners[0].backend: anchors and aliases are not "
	    "supported", 1 },
	{ "workers: !!int 4\ntunnel: {}\n", "t.yaml:1:10: workers: tags are "
	    "not supported", 0 },
	{ "? [a]\n: b\ntunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '::1/128', peer: '::2'}\n", "t.yaml:1:3: expected a "
	    "string", 1 },
	{ "*a : 1\n", "t.yaml:1:1: anchors and aliases are not supported", 2 },
	/* nesting */
	{ "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    "t.yaml:1:35: nested deeper than 32 levels", 1 },
	{ "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    "t.yaml:1:1: a: unknown key; expected one of workers, user, "
	    "log_level, shutdown_timeout, tunnel, listeners, backends, access_log, "
	    "resolvers", 2 },
};

static void
test_bad(void)
{
	struct conf_errs errs;
	struct config *cfg;
	size_t i, j;

	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		cfg = load(bad_rows[i].yaml, &errs);
		if (bad_rows[i].first == NULL) {
			ok(cfg != NULL && errs.n == 0, "row %zu: valid", i);
			for (j = 0; j < errs.n; j++)
				diag("%s", errs.msg[j]);
			conf_unref(cfg);
			conf_errs_free(&errs);
			continue;
		}
		ok(cfg == NULL, "row %zu: rejected", i);
		is_str(errs.n > 0 ? errs.msg[0] : NULL, bad_rows[i].first,
		    bad_rows[i].first);
		if (bad_rows[i].n != 0 && !is_int((long long)errs.n,
		    (long long)bad_rows[i].n, "  error count"))
			for (j = 0; j < errs.n; j++)
				diag("%s", errs.msg[j]);
		conf_unref(cfg);
		conf_errs_free(&errs);
	}
}

/* Every error found, in file order, and errs appended to, not replaced. */
static void
test_many(void)
{
	static const char tunnel[] = "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '::1/128', peer: '::2'}\n";
	struct conf_errs errs = { NULL, 0 };
	struct config *cfg;
	char *yaml, *p;
	size_t i;

	ok(load("workers: 0\nlog_level: x\nbogus: 1\n", &errs) == NULL,
	    "four errors");
	is_int((long long)errs.n, 4, "four messages");
	is_str(errs.msg[0], "t.yaml:1:1: nothing to do: no listeners and no "
	    "tunnel", "first in file order (found last)");
	is_str(errs.msg[1], "t.yaml:1:10: workers: workers 0 not in 1-1024",
	    "second in file order");
	is_str(errs.msg[3], "t.yaml:3:1: bogus: unknown key; expected one of "
	    "workers, user, log_level, shutdown_timeout, tunnel, listeners, "
	    "backends, access_log, resolvers", "last in file order");
	ok(load("{}", &errs) == NULL, "a second load");
	is_int((long long)errs.n, 5, "appends to errs");
	conf_errs_free(&errs);
	is_int((long long)errs.n, 0, "conf_errs_free resets n");
	ok(errs.msg == NULL, "conf_errs_free resets msg");
	conf_errs_free(&errs);
	conf_errs_free(NULL);

	/* 150 unknown keys: stops at CONF_ERRS_MAX with a last word. */
	if ((yaml = malloc(150 * 16)) == NULL)
		abort();
	for (p = yaml, i = 0; i < 150; i++)
		p += sprintf(p, "k%zu: 1\n", i);
	ok(load(yaml, &errs) == NULL, "150 errors");
	is_int((long long)errs.n, CONF_ERRS_MAX, "capped at CONF_ERRS_MAX");
	is_str(errs.msg[CONF_ERRS_MAX - 1], "t.yaml: too many errors; "
	    "stopped after 99", "last message says so");
	free(yaml);
	conf_errs_free(&errs);

	/* Over 1 MiB: refused before parsing. */
	if ((yaml = malloc(1024 * 1024 + 2)) == NULL)
		abort();
	memset(yaml, '#', 1024 * 1024 + 1);
	yaml[1024 * 1024 + 1] = '\0';
	ok(load(yaml, &errs) == NULL, "1 MiB + 1 refused");
	is_str(errs.n > 0 ? errs.msg[0] : NULL, "t.yaml: larger than 1 MiB",
	    "too large message");
	conf_errs_free(&errs);
	memcpy(yaml, tunnel, strlen(tunnel));
	yaml[1024 * 1024] = '\0';
	cfg = load(yaml, &errs);
	ok(cfg != NULL && errs.n == 0, "exactly 1 MiB is loaded");
	conf_unref(cfg);
	free(yaml);
	conf_errs_free(&errs);

	ok(conf_load_mem("t.yaml", NULL, 0, &errs) == NULL, "NULL buffer");
	is_str(errs.n > 0 ? errs.msg[0] : NULL, "t.yaml:1:1: empty file",
	    "NULL buffer is an empty file");
	conf_errs_free(&errs);
}

static void
test_files(void)
{
	struct conf_errs errs = { NULL, 0 };
	struct config *cfg;
	char path[] = "/tmp/v6f-conf-XXXXXX", want[256];
	const char *yaml = "workers: 2\nlisteners:\n  - name: x\n"
	    "    bind: \"[::1]:9\"\n    backend: {builtin: status}\n";
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	fputs(yaml, f);
	fclose(f);
	cfg = conf_load(path, &errs);
	ok(cfg != NULL && errs.n == 0, "conf_load from a file");
	if (cfg != NULL) {
		is_str(cfg->path, path, "path kept");
		is_int(cfg->workers, 2, "workers read from file");
		is_str(cfg->listeners[0].bind[0].text, "[::1]:9", "bind");
	}
	conf_unref(cfg);

	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("tunnel: {local: 1.1.1.1, remote: 2.2.2.2, address: '::1/128', "
	    "peer: '::2'}\nbind: x\n", f);
	fclose(f);
	ok(conf_load(path, &errs) == NULL, "bad file");
	(void)snprintf(want, sizeof(want), "%s:2:1: bind: unknown key; "
	    "expected one of workers, user, log_level, shutdown_timeout, "
	    "tunnel, listeners, backends, access_log, resolvers", path);
	is_str(errs.n > 0 ? errs.msg[0] : NULL, want, "named by its path");
	conf_errs_free(&errs);
	unlink(path);

	ok(conf_load(path, &errs) == NULL, "missing file");
	(void)snprintf(want, sizeof(want), "%s: cannot open: %s", path,
	    strerror(ENOENT));
	is_str(errs.n > 0 ? errs.msg[0] : NULL, want, "cannot open message");
	is_int((long long)errs.n, 1, "one message");
	conf_errs_free(&errs);

	ok(conf_load("/", &errs) == NULL, "a directory");
	(void)snprintf(want, sizeof(want), "/: cannot read: %s",
	    strerror(EISDIR));
	is_str(errs.n > 0 ? errs.msg[0] : NULL, want, "cannot read message");
	conf_errs_free(&errs);
}

/* A reload compares tunnel sections: every field counts, routes in order. */
static void
test_tunnel_equal(void)
{
	static const char base[] = "tunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '2001:db8:1::2/64', peer: '2001:db8:1::1', "
	    "routes: ['2001:db8:2::/64', '2001:db8:3::/64']";
	static const struct {
		const char	*extra;
		bool		 same;
	} rows[] = {
		{ "", true },
		{ ", mtu: 1480, ttl: 255, echo_interval: 30s, role: client", true },
		{ ", pmtu: fixed", true },
		{ ", pmtu: dynamic", false },
		{ ", mtu: 1400", false },
		{ ", ttl: 64", false },
		{ ", echo_interval: 1s", false },
		{ ", default_route: true", false },
		{ ", role: broker", false },
		{ ", interface: tun0", false },
	};
	struct config *a, *b;
	char yaml[512];
	size_t i;

	(void)snprintf(yaml, sizeof(yaml), "%s}\n", base);
	a = load(yaml, NULL);
	if (!ok(a != NULL, "tunnel_equal: base loads"))
		return;
	ok(conf_tunnel_equal(NULL, NULL), "tunnel_equal: NULL, NULL");
	ok(!conf_tunnel_equal(a->tunnel, NULL), "tunnel_equal: one NULL");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), "%s%s}\n", base,
		    rows[i].extra);
		b = load(yaml, NULL);
		ok(b != NULL && conf_tunnel_equal(a->tunnel, b->tunnel) ==
		    rows[i].same, "tunnel_equal \"%s\": %s", rows[i].extra,
		    rows[i].same ? "same" : "differs");
		conf_unref(b);
	}
	b = load("tunnel: {local: 1.1.1.1, remote: 2.2.2.2, "
	    "address: '2001:db8:1::2/64', peer: '2001:db8:1::1', "
	    "routes: ['2001:db8:3::/64', '2001:db8:2::/64']}\n", NULL);
	ok(b != NULL && !conf_tunnel_equal(a->tunnel, b->tunnel),
	    "tunnel_equal: routes in another order differ");
	conf_unref(b);
	b = load("tunnel: {local: 1.1.1.3, remote: 2.2.2.2, "
	    "address: '2001:db8:1::2/64', peer: '2001:db8:1::1', "
	    "routes: ['2001:db8:2::/64', '2001:db8:3::/64']}\n", NULL);
	ok(b != NULL && !conf_tunnel_equal(a->tunnel, b->tunnel),
	    "tunnel_equal: local differs");
	conf_unref(b);
	conf_unref(a);
}

static void
test_examples(void)
{
	static const char *files[] = {
		"conf/examples/demo.yaml", "conf/examples/tcp.yaml",
	};
	struct conf_errs errs = { NULL, 0 };
	struct config *cfg;
	size_t i, j;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cfg = conf_load(files[i], &errs);
		ok(cfg != NULL, "%s is valid", files[i]);
		for (j = 0; j < errs.n; j++)
			diag("%s", errs.msg[j]);
		conf_errs_free(&errs);
		if (cfg == NULL)
			continue;
		if (i == 0) {
			is_int((long long)cfg->nlisteners, 2, "demo: 2 listeners");
			is_str(cfg->listeners[0].bind[0].text, "[::1]:8080",
			    "demo: front");
			is_str(cfg->listeners[0].backend->name, "status-v4",
			    "demo: front -> status-v4");
			is_str(cfg->listeners[0].backend->servers[0].addr.text,
			    "127.0.0.1:8081", "demo: to the status listener");
			is_int(cfg->listeners[1].backend->builtin,
			    CONF_BUILTIN_STATUS, "demo: status builtin");
		} else {
			ok(cfg->tunnel != NULL, "tcp: has a tunnel");
			ok(cfg->listeners[0].freebind, "tcp: freebind");
		}
		conf_unref(cfg);
	}
}

/* access_log: the default, per listener, off, syslog, format position. */
static void
test_access_log(void)
{
	struct conf_errs	 errs = { NULL, 0 };
	struct config		*cfg;
	const struct conf_alog	*a;

	cfg = load("access_log: /var/log/a.log\n"
	    "listeners:\n"
	    "  - name: a\n    bind: \"[::1]:1\"\n    backend: b\n"
	    "  - name: b\n    bind: \"[::1]:2\"\n    backend: b\n"
	    "    access_log:\n      path: /var/log/b.log\n"
	    "      format: \"%h %^xe\"\n"
	    "      anonymize: { ipv4: 16 }\n"
	    "  - name: c\n    bind: \"[::1]:3\"\n    backend: b\n"
	    "    access_log: off\n"
	    "  - name: d\n    bind: \"[::1]:4\"\n    backend: b\n"
	    "    access_log: { syslog: \"udp://[::1]:514\", format: json }\n"
	    "backends:\n  b: { servers: [\"127.0.0.1:1\"] }\n", &errs);
	if (!ok(cfg != NULL, "access_log config loads")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	a = cfg->listeners[0].access_log;
	ok(a != NULL && a != cfg->access_log, "a: a copy of the default");
	is_str(a ? a->path : NULL, "/var/log/a.log", "a: default path");
	ok(a != NULL && a->format == NULL && a->anon_v6 == 128 &&
	    a->anon_v4 == 32, "a: default format, no anonymize");
	a = cfg->listeners[1].access_log;
	is_str(a ? a->path : NULL, "/var/log/b.log", "b: own path");
	is_str(a ? a->format : NULL, "%h %^xe", "b: format as written");
	is_str(a ? a->format_where : NULL,
	    "t.yaml:11:15: listeners[1].access_log.format",
	    "b: where the format was written");
	ok(a != NULL && a->anon_v6 == 48 && a->anon_v4 == 16,
	    "b: anonymize ipv4 16, ipv6 default 48");
	ok(cfg->listeners[2].access_log == NULL, "c: off despite the default");
	a = cfg->listeners[3].access_log;
	ok(a != NULL && a->path == NULL && a->syslog_ss.ss_family == AF_INET6 &&
	    a->syslog_len == sizeof(struct sockaddr_in6), "d: syslog udp");
	is_str(a ? a->format : NULL, "json", "d: json");
	conf_unref(cfg);
}

static void
test_backend_keys(void)
{
	struct conf_errs	 errs = { NULL, 0 };
	struct config		*cfg;
	const struct conf_backend *b;

	cfg = load("resolvers: [\"127.0.0.1:5353\", \"[::1]:53\"]\n"
	    "listeners:\n"
	    "  - name: a\n    bind: \"[::1]:1\"\n    backend: b\n"
	    "  - name: c\n    bind: \"[::1]:2\"\n    backend: d\n"
	    "backends:\n"
	    "  b:\n"
	    "    servers: [\"127.0.0.1:1\", {address: \"be.test:80\", "
	    "weight: 3}, {address: \"127.0.0.2:2\", weight: 0}]\n"
	    "    resolve_every: 5s\n    balance: source\n"
	    "    source_prefix: 56\n    retries: 0\n"
	    "    health: {every: 1s, timeout: 500ms, rise: 1, fall: 2, "
	    "path: /health?x=1, max_fails: 4}\n"
	    "  d: { servers: [\"127.0.0.1:1\"] }\n", &errs);
	if (!ok(cfg != NULL, "backend keys load")) {
		if (errs.n > 0)
			diag("%s", errs.msg[0]);
		conf_errs_free(&errs);
		return;
	}
	ok(cfg->nresolvers == 2 && strcmp(cfg->resolvers[0].text,
	    "127.0.0.1:5353") == 0 && strcmp(cfg->resolvers[1].text,
	    "[::1]:53") == 0, "resolvers");
	b = &cfg->backends[0];
	ok(b->nservers == 3 && b->servers[0].weight == 1 &&
	    b->servers[1].weight == 3 && !b->servers[1].literal &&
	    strcmp(b->servers[1].host, "be.test") == 0 &&
	    b->servers[1].port == 80 && b->servers[2].weight == 0,
	    "servers: string and map forms, weights");
	ok(b->resolve_every == 5000 && b->balance == CONF_BALANCE_SOURCE &&
	    b->source_prefix == 56 && b->retries == 0, "balance keys");
	ok(b->health.on && b->health.every == 1000 &&
	    b->health.timeout == 500 && b->health.rise == 1 &&
	    b->health.fall == 2 && b->health.max_fails == 4 &&
	    b->health.path != NULL && strcmp(b->health.path, "/health?x=1") ==
	    0, "health");
	b = &cfg->backends[1];
	ok(b->resolve_every == 30000 && b->balance == CONF_BALANCE_RR &&
	    b->source_prefix == 64 && b->retries == 2 && !b->health.on &&
	    b->health.every == 5000 && b->health.timeout == 2000 &&
	    b->health.rise == 2 && b->health.fall == 3 &&
	    b->health.max_fails == 0 && b->health.path == NULL,
	    "backend defaults");
	conf_unref(cfg);
}

int
main(void)
{
	test_uint();
	test_duration();
	test_size();
	test_hostport();
	test_cidr();
	test_cidr_match();
	test_addr_fmt();
	test_full();
	test_defaults();
	test_http();
	test_sources();
	test_bad();
	test_many();
	test_files();
	test_tunnel_equal();
	test_examples();
	test_access_log();
	test_backend_keys();
	return (done_testing());
}
