/*
 * format: json — one JSON object per record for log shippers, and the
 * client-address masking every output form applies.
 *
 * Strings follow RFC 8259.  Bytes >= 0x80 are written as \u00XX of the byte
 * whatever they would decode to: a peer can send any bytes, and a line must
 * be valid JSON (valid UTF-8 included) no matter what; a reader recovers the
 * raw bytes by taking each \u00XX as one byte, as with Apache's \xhh.
 */
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

struct jout {
	char	*p;
	size_t	 len;
	size_t	 n;
	bool	 over;
};

static void
jput(struct jout *o, const char *s, size_t len)
{
	if (o->over || len > o->len - o->n) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, len);
	o->n += len;
}

static void
jputs(struct jout *o, const char *s)
{
	jput(o, s, strlen(s));
}

static void
jstr(struct jout *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i;

	jput(o, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char q[2] = { '\\', (char)c };

			jput(o, q, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			jput(o, e, 6);
		} else
			jput(o, (const char *)&s[i], 1);
	}
	jput(o, "\"", 1);
}

/* "key":"value" for a borrowed string; absent strings are left out. */
static void
jkv_str(struct jout *o, const char *key, struct alog_str v)
{
	if (v.p == NULL)
		return;
	jputs(o, ",\"");
	jputs(o, key);
	jputs(o, "\":");
	jstr(o, v.p, v.len);
}

static void
jkv_int(struct jout *o, const char *key, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), ",\"%s\":%" PRId64, key, v);
	jputs(o, b);
}

static void
jkv_addr(struct jout *o, const char *key, const char *pkey,
    const struct sockaddr *sa)
{
	char b[ALOG_ADDRSTRLEN];
	int port;

	if (sa == NULL || alog_addr_fmt(sa, false, b, sizeof(b)) == -1)
		return;
	jputs(o, ",\"");
	jputs(o, key);
	jputs(o, "\":");
	jstr(o, b, strlen(b));
	if (pkey == NULL)
		return;
	if (sa->sa_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	else
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	jkv_int(o, pkey, port);
}

int
alog_json_render(const struct alog_rec *r, char *buf, size_t len)
{
	struct jout	o = { buf, len, 0, false };
	struct tm	tm;
	char		b[64], sb[ALOG_ADDRSTRLEN];
	int64_t		us;

	gmtime_r(&r->begin.tv_sec, &tm);
	snprintf(b, sizeof(b), "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d."
	    "%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, r->begin.tv_nsec / 1000000);
	jputs(&o, b);
	jkv_addr(&o, "client", "client_port", r->ua != NULL ? r->ua : r->cli);
	if (r->ua != NULL)
		jkv_addr(&o, "peer", NULL, r->cli);
	jkv_str(&o, "listener", r->listener);
	jkv_str(&o, "backend", r->backend);
	if (r->srv != NULL &&
	    alog_addr_fmt(r->srv, true, sb, sizeof(sb)) != -1) {
		jputs(&o, ",\"server\":");
		jstr(&o, sb, strlen(sb));
	}
	jkv_str(&o, "method", r->method);
	jkv_str(&o, "uri", r->target);
	jkv_str(&o, "protocol", r->proto);
	if (r->status > 0)
		jkv_int(&o, "status", r->status);
	if (r->bytes_in >= 0)
		jkv_int(&o, "bytes_in", r->bytes_in);
	if (r->bytes_out >= 0)
		jkv_int(&o, "bytes_out", r->bytes_out);
	us = ((int64_t)r->end.tv_sec - (int64_t)r->begin.tv_sec) * 1000000 +
	    (r->end.tv_nsec - r->begin.tv_nsec) / 1000;
	jkv_int(&o, "duration_ms", us < 0 ? 0 : us / 1000);
	if (r->srv_connect_us >= 0)
		jkv_int(&o, "connect_us", r->srv_connect_us);
	jkv_str(&o, "end", r->end_reason);
	jkv_str(&o, "tls_protocol", r->tls_proto);
	jkv_str(&o, "tls_cipher", r->tls_cipher);
	jkv_str(&o, "tls_sni", r->tls_sni);
	jput(&o, "}", 1);
	return (o.over ? -1 : (int)o.n);
}

void
alog_addr_mask(struct sockaddr *sa, int v6bits, int v4bits)
{
	uint8_t	*a;
	int	 bits, i;

	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)sa;

		a = s6->sin6_addr.s6_addr;
		/* An IPv4-mapped address is an IPv4 client. */
		bits = IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) ? 96 + v4bits :
		    v6bits;
		s6->sin6_scope_id = 0;
		for (i = 0; i < 16; i++, bits -= 8)
			if (bits <= 0)
				a[i] = 0;
			else if (bits < 8)
				a[i] &= (uint8_t)(0xff << (8 - bits));
	} else if (sa->sa_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)sa;

		a = (uint8_t *)&s4->sin_addr;
		for (i = 0, bits = v4bits; i < 4; i++, bits -= 8)
			if (bits <= 0)
				a[i] = 0;
			else if (bits < 8)
				a[i] &= (uint8_t)(0xff << (8 - bits));
	}
}
