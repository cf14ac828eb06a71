/*
 * fuzz_h1: arbitrary bytes through the HTTP/1.x parser, as a request and as
 * a response, then through the body parser.
 *
 * Each message is fed three ways -- whole, split in two at a point taken
 * from the input, and byte by byte -- and the three results must agree to
 * the last field: a parser whose answer depends on how TCP cut the bytes
 * would let two readers of one stream disagree about where a message ends.
 * Successful heads are also checked for what the proxy relies on: spans
 * inside the head, names that are tokens, values with no control byte but
 * HTAB and no whitespace at either end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/h1.h"

#define HDRS	128

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct outcome {
	int		 rc;
	int		 status;
	const char	*reason;
	size_t		 consumed;	/* head + body bytes */
	uint64_t	 data;		/* body data bytes */
	uint32_t	 sum;		/* of the body data */
	bool		 done;
	int		 eof;
};

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static bool
is_tchar(unsigned char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* What every successful head must satisfy. */
static void
check_head(const struct px_h1 *st, const uint8_t *b, size_t len)
{
	size_t i, k;

	CHECK(st->head_len >= 4 && st->head_len <= len);
	CHECK(memcmp(b + st->head_len - 4, "\r\n\r\n", 4) == 0);
	CHECK(st->nhdr <= st->lim.hdr_count_max && st->nhdr <= HDRS);
	CHECK(st->version == 10 || st->version == 11);
	for (i = 0; i < st->nhdr; i++) {
		const struct px_h1_hdr *h = &st->hdr[i];

		CHECK(h->name.len > 0);
		CHECK((size_t)h->name.off + h->name.len < st->head_len);
		CHECK((size_t)h->value.off + h->value.len < st->head_len);
		CHECK(b[h->name.off + h->name.len] == ':');
		for (k = 0; k < h->name.len; k++)
			CHECK(is_tchar(b[h->name.off + k]));
		for (k = 0; k < h->value.len; k++)
			CHECK(b[h->value.off + k] == '\t' ||
			    (b[h->value.off + k] >= 0x20 &&
			    b[h->value.off + k] != 0x7f));
		if (h->value.len > 0) {
			CHECK(b[h->value.off] != ' ' &&
			    b[h->value.off] != '\t');
			CHECK(b[h->value.off + h->value.len - 1] != ' ' &&
			    b[h->value.off + h->value.len - 1] != '\t');
		}
	}
	if (st->mode == PX_H1_REQ) {
		CHECK(st->target.len > 0 && st->method.len > 0);
		CHECK((size_t)st->target.off + st->target.len < st->head_len);
		CHECK(st->target.len <= st->lim.uri_max);
		CHECK(st->form != PX_H1_FORM_AUTHORITY || st->lim.connect);
		CHECK(st->version == 10 || st->nhost == 1);
		CHECK(!(st->cl_seen && st->te_seen));
	} else {
		CHECK(st->status >= 100 && st->status <= 599);
		CHECK(st->framing != PX_H1_BODY_CHUNKED || st->te_last);
	}
	CHECK(st->head_len <= st->lim.head_max);
}

/*
 * Body bytes in pieces of step (0: all at once), then EOF if the input
 * ends before the message does.  Returns the body bytes consumed.
 */
static size_t
body(struct px_h1 *st, const uint8_t *b, size_t len, size_t step,
    struct outcome *o)
{
	size_t	 off = 0, doff, dlen, k;

	while (off < len && !st->done) {
		size_t	 piece = step == 0 || len - off < step ?
		    len - off : step;
		int	 r = px_h1_parse_body(st, (const char *)b + off, piece,
		    &doff, &dlen);

		if (r < 0) {
			o->rc = -1;
			return (off);
		}
		if (r == 0)
			break;
		CHECK((size_t)r <= piece && doff + dlen <= (size_t)r);
		for (k = 0; k < dlen; k++)
			o->sum = o->sum * 31 + b[off + doff + k];
		o->data += dlen;
		off += (size_t)r;
	}
	if (!st->done)
		o->eof = px_h1_eof(st);
	return (off);
}

/*
 * A head fed one way: 0 whole, 1 split at k, 2 byte by byte.  The split
 * copies the first part to a buffer of its exact size, so a read past what
 * was passed shows under ASan.
 */
static int
head(struct px_h1 *st, const uint8_t *b, size_t len, int how, size_t k)
{
	int rc = 0;

	if (how == 1 && k < len) {
		uint8_t *part = malloc(k ? k : 1);

		memcpy(part, b, k);
		rc = px_h1_parse_head(st, (const char *)part, k);
		free(part);
	}
	if (how == 2) {
		size_t i;

		for (i = 1; i < len && rc == 0; i++)
			rc = px_h1_parse_head(st, (const char *)b, i);
	}
	if (rc == 0)
		rc = px_h1_parse_head(st, (const char *)b, len);
	return (rc);
}

/*
 * The messages in the input, one after the other on one connection (up to
 * 4, as with keep-alive or pipelining), each fed one way.
 */
static void
one(const struct px_h1_limits *lim, enum px_h1_mode mode,
    enum px_h1_meth req, const uint8_t *b, size_t len, int how, size_t k,
    struct px_h1 *st, struct px_h1_hdr *hdr, struct outcome *o)
{
	size_t	 off = 0;
	int	 n;

	memset(o, 0, sizeof(*o));
	px_h1_init(st, mode, lim, hdr, HDRS);
	px_h1_resp_for(st, req);
	for (n = 0; n < 4; n++) {
		int rc;

		if (n > 0)
			px_h1_reset(st);
		rc = head(st, b + off, len - off, how, k % (len - off + 1));
		o->rc = rc;
		if (rc == 0)
			o->eof = px_h1_eof(st);
		if (rc <= 0)
			break;
		check_head(st, b + off, len - off);
		off += (size_t)rc;
		off += body(st, b + off, len - off, how == 2 ? 1 :
		    how == 1 ? k % 7 + 1 : 0, o);
		if (o->rc < 0 || !st->done || off == len)
			break;
	}
	o->consumed = off;
	o->status = st->err_status;
	o->reason = st->err_reason;
	CHECK((o->status == 0) == (o->reason == NULL));
}

static void
same(const struct px_h1 *a, const struct px_h1 *b,
    const struct outcome *oa, const struct outcome *ob)
{
	CHECK(oa->rc == ob->rc && oa->status == ob->status &&
	    oa->reason == ob->reason);
	/* How far a failing body got depends on the pieces; not the rest. */
	CHECK(oa->status != 0 || (oa->consumed == ob->consumed &&
	    oa->data == ob->data && oa->sum == ob->sum &&
	    oa->done == ob->done && oa->eof == ob->eof));
	if (oa->rc <= 0)
		return;
	CHECK(a->head_len == b->head_len && a->version == b->version &&
	    a->meth == b->meth && a->form == b->form &&
	    a->status == b->status && a->nhdr == b->nhdr &&
	    a->framing == b->framing && a->clen == b->clen &&
	    a->keep_alive == b->keep_alive && a->upgrade == b->upgrade &&
	    a->expect_continue == b->expect_continue &&
	    a->interim == b->interim && a->te_other == b->te_other &&
	    a->host == b->host &&
	    memcmp(&a->target, &b->target, sizeof(a->target)) == 0 &&
	    memcmp(&a->authority, &b->authority, sizeof(a->authority)) == 0 &&
	    memcmp(&a->path, &b->path, sizeof(a->path)) == 0 &&
	    memcmp(&a->reason, &b->reason, sizeof(a->reason)) == 0 &&
	    memcmp(a->hdr, b->hdr, a->nhdr * sizeof(*a->hdr)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct px_h1_hdr	 hdr[3][HDRS];
	static const enum px_h1_meth meths[] = { PX_H1_M_GET, PX_H1_M_HEAD,
	    PX_H1_M_CONNECT };
	struct px_h1_limits	 lim;
	struct px_h1		 st[3];
	struct outcome		 o[3];
	uint32_t		 sum = 0;
	size_t			 i, k;
	int			 mode, how;

	/* Everything else comes from the bytes, so seeds stay plain HTTP. */
	for (i = 0; i < len; i++)
		sum = sum * 131 + data[i];
	k = len ? sum % (len + 1) : 0;
	px_h1_limits_default(&lim);
	if (sum & 0x100) {
		/* Small limits, so the fuzzer reaches every limit check. */
		lim.head_max = 256;
		lim.uri_max = 64;
		lim.hdr_count_max = 8;
		lim.chunk_ext_max = 16;
		lim.trailer_max = 32;
		lim.body_max = 100;
		lim.connect = true;
	}
	for (mode = PX_H1_REQ; mode <= PX_H1_RESP; mode++) {
		for (how = 0; how < 3; how++)
			one(&lim, (enum px_h1_mode)mode, meths[(sum >> 9) % 3],
			    data, len, how, k, &st[how], hdr[how], &o[how]);
		same(&st[0], &st[1], &o[0], &o[1]);
		same(&st[0], &st[2], &o[0], &o[2]);
	}
	return (0);
}
