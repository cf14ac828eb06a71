/*
 * proxy/h1: the HTTP/1.x parser, from tables of raw messages and the outcome
 * each must have.  Every row runs twice, the message fed whole and byte by
 * byte, and must come out the same both ways: an incremental parser that
 * answers differently depending on how TCP cut the bytes is a smuggling
 * bug of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/h1.h"
#include "t/tap.h"

#define HDRS	128
#define OUTLEN	512

struct row {
	const char		*name;
	enum px_h1_mode		 mode;
	enum px_h1_meth		 req;	/* RESP: the method answered */
	const char		*msg;
	size_t			 len;
	const char		*want;	/* summary, or "!STATUS reason-part" */
	const struct px_h1_limits *lim;	/* NULL: defaults */
};

#define M(s)	(s), sizeof(s) - 1
#define RQ(name, msg, want)	{ name, PX_H1_REQ, 0, M(msg), want, NULL }
#define RQL(name, lim, msg, want) { name, PX_H1_REQ, 0, M(msg), want, lim }
#define RS(name, meth, msg, want) \
	{ name, PX_H1_RESP, PX_H1_M_##meth, M(msg), want, NULL }

#define H11	" HTTP/1.1\r\nHost: a\r\n"

static struct px_h1_limits lim_small, lim_connect, lim_body;

static const char *const forms[] = { "origin", "absolute", "authority",
    "asterisk" };

/* Appends to out (a NUL-terminated string of outlen bytes). */
static void
app(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
app(char *out, size_t outlen, const char *fmt, ...)
{
	size_t	 n = strlen(out);
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(out + n, outlen - n, fmt, ap);
	va_end(ap);
}

/* One line that says everything the row checks about a parsed message. */
static void
summary(const struct px_h1 *st, const char *buf, const char *body,
    size_t rest, bool eof, char *out, size_t outlen)
{
	out[0] = '\0';
	if (st->mode == PX_H1_REQ)
		app(out, outlen, "%.*s %.*s %s", (int)st->method.len,
		    buf + st->method.off, (int)st->target.len,
		    buf + st->target.off, forms[st->form]);
	else
		app(out, outlen, "%d%s%.*s", st->status,
		    st->reason.len ? " " : "", (int)st->reason.len,
		    buf + st->reason.off);
	app(out, outlen, " %s", st->version == 10 ? "1.0" : "1.1");
	switch (st->framing) {
	case PX_H1_BODY_NONE:
		app(out, outlen, " none");
		break;
	case PX_H1_BODY_LENGTH:
		app(out, outlen, " len=%llu", (unsigned long long)st->clen);
		break;
	case PX_H1_BODY_CHUNKED:
		app(out, outlen, " chunked");
		break;
	case PX_H1_BODY_UNTIL_CLOSE:
		app(out, outlen, " close");
		break;
	case PX_H1_BODY_TUNNEL:
		app(out, outlen, " tunnel");
		break;
	}
	if (st->keep_alive)
		app(out, outlen, " ka");
	if (st->upgrade)
		app(out, outlen, " up");
	if (st->expect_continue)
		app(out, outlen, " 100");
	if (st->interim)
		app(out, outlen, " interim");
	if (st->te_other)
		app(out, outlen, " te+");
	if (*body != '\0')
		app(out, outlen, " body=%s", body);
	if (eof)
		app(out, outlen, " eof");
	if (rest > 0)
		app(out, outlen, " rest=%zu", rest);
}

/*
 * Parses one message fed in pieces of step bytes (0: all at once), then
 * its body, then tells the parser about EOF if the message is not done.
 * Writes the summary or "!STATUS reason" into out.
 */
static void
run(const struct px_h1_limits *lim, enum px_h1_mode mode,
    enum px_h1_meth req, const char *msg, size_t len, size_t step,
    char *out, size_t outlen)
{
	struct px_h1_hdr	 hdr[HDRS];
	struct px_h1		 st;
	char			*buf, body[256];
	size_t			 k, off, piece, doff, dlen, blen = 0;
	bool			 eof = false;
	int			 rc = 0, r;

	buf = malloc(len ? len : 1);
	memcpy(buf, msg, len);
	body[0] = '\0';
	px_h1_init(&st, mode, lim, hdr, HDRS);
	px_h1_resp_for(&st, req);
	if (step == 0)
		rc = px_h1_parse_head(&st, buf, len);
	else
		for (k = step < len ? step : len; rc == 0; k += step) {
			rc = px_h1_parse_head(&st, buf, k < len ? k : len);
			if (k >= len)
				break;
		}
	if (rc == 0) {
		if (px_h1_eof(&st) == 0)
			snprintf(out, outlen, "!0 eof before the head ended");
		goto err;
	}
	if (rc < 0)
		goto err;
	off = (size_t)rc;
	while (off < len && !st.done) {
		piece = step == 0 || len - off < step ? len - off : step;
		while (piece > 0) {
			r = px_h1_parse_body(&st, buf + off, piece, &doff,
			    &dlen);
			if (r < 0)
				goto err;
			if (r == 0)
				break;
			if (doff + dlen > (size_t)r || (size_t)r > piece)
				snprintf(body, sizeof(body), "BAD RANGE");
			else if (blen + dlen < sizeof(body)) {
				memcpy(body + blen, buf + off + doff, dlen);
				body[blen += dlen] = '\0';
			}
			off += (size_t)r;
			piece -= (size_t)r;
		}
	}
	if (!st.done) {
		if (px_h1_eof(&st) == -1)
			goto err;
		eof = true;
	}
	summary(&st, buf, body, len - off, eof, out, outlen);
	free(buf);
	return;
err:
	if (st.err_status != 0)
		snprintf(out, outlen, "!%d %s", st.err_status, st.err_reason);
	free(buf);
}

/* want "!STATUS part" matches any reason containing part. */
static int
check(const char *got, const char *want, const char *name)
{
	const char	*gs, *ws;
	int		 pass;

	if (want[0] != '!')
		return (is_str(got, want, name));
	gs = strchr(got, ' ');
	ws = strchr(want, ' ');
	pass = got[0] == '!' && gs != NULL && ws != NULL &&
	    gs - got == ws - want &&
	    strncmp(got, want, (size_t)(gs - got)) == 0 &&
	    strstr(gs + 1, ws + 1) != NULL;
	ok(pass, "%s", name);
	if (!pass) {
		diag("     got: '%s'", got);
		diag("expected: '%s'", want);
	}
	return (pass);
}

/* Runs a message whole and byte by byte; both must give want. */
static void
both(const char *name, const struct px_h1_limits *lim, enum px_h1_mode mode,
    enum px_h1_meth req, const char *msg, size_t len, const char *want)
{
	char	 got[OUTLEN], tname[160];
	size_t	 steps[] = { 0, 1 };
	size_t	 i;

	for (i = 0; i < 2; i++) {
		got[0] = '\0';
		run(lim, mode, req, msg, len, steps[i], got, sizeof(got));
		snprintf(tname, sizeof(tname), "%s %s: %s",
		    mode == PX_H1_REQ ? "req" : "resp", name,
		    i == 0 ? "whole" : "byte by byte");
		check(got, want, tname);
	}
}

static const struct row rows[] = {
	/* Plain requests. */
	RQ("GET", "GET /" H11 "\r\n", "GET / origin 1.1 none ka"),
	RQ("1.0 without Host", "GET / HTTP/1.0\r\n\r\n",
	    "GET / origin 1.0 none"),
	RQ("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	    "GET / origin 1.0 none ka"),
	RQ("1.1 close", "GET /" H11 "Connection: close\r\n\r\n",
	    "GET / origin 1.1 none"),
	RQ("close wins", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n"
	    "\r\n", "GET / origin 1.0 none"),
	RQ("query", "GET /a/b?c=d&e=%2F;f:@!$'()*+,~" H11 "\r\n",
	    "GET /a/b?c=d&e=%2F;f:@!$'()*+,~ origin 1.1 none ka"),
	RQ("unknown method", "PURGE /x" H11 "\r\n",
	    "PURGE /x origin 1.1 none ka"),
	RQ("lower-case method is another method", "get /" H11 "\r\n",
	    "get / origin 1.1 none ka"),
	RQ("HTTP/1.2 is 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("HTTP/1.2 needs Host", "GET / HTTP/1.2\r\n\r\n", "!400 no Host"),
	RQ("empty lines before", "\r\n\r\nGET /" H11 "\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("4 empty lines", "\r\n\r\n\r\n\r\nGET /" H11 "\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("5 empty lines", "\r\n\r\n\r\n\r\n\r\nGET /" H11 "\r\n",
	    "!400 too many empty lines"),
	RQ("bare LF empty line", "\nGET /" H11 "\r\n", "!400 bare LF"),
	RQ("field values", "GET /" H11 "X-A: \t a\tb \t\r\nX-B:\r\n"
	    "X-C: \x80\xff\r\n\r\n", "GET / origin 1.1 none ka"),
	RQ("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("Host with port", "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("Host IPv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n",
	    "GET / origin 1.1 none ka"),
	RQ("pipelined", "GET /1" H11 "\r\nGET /2" H11 "\r\n",
	    "GET /1 origin 1.1 none ka rest=28"),

	/* Request-target forms. */
	RQ("absolute-form", "GET http://example.com:8080/p?q" H11 "\r\n",
	    "GET http://example.com:8080/p?q absolute 1.1 none ka"),
	RQ("absolute-form no path", "GET http://example.com" H11 "\r\n",
	    "GET http://example.com absolute 1.1 none ka"),
	RQ("absolute-form https upper", "GET HTTPS://EX/" H11 "\r\n",
	    "GET HTTPS://EX/ absolute 1.1 none ka"),
	RQ("absolute-form IPv6", "GET http://[2001:db8::1]/" H11 "\r\n",
	    "GET http://[2001:db8::1]/ absolute 1.1 none ka"),
	RQ("absolute-form still needs Host", "GET http://a/ HTTP/1.1\r\n\r\n",
	    "!400 no Host"),
	RQ("absolute-form ftp", "GET ftp://a/" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("absolute-form userinfo", "GET http://u:p@a/" H11 "\r\n",
	    "!400 userinfo"),
	RQ("absolute-form no host", "GET http:///x" H11 "\r\n",
	    "!400 bad host in request-target"),
	RQ("absolute-form bad port", "GET http://a:123456/" H11 "\r\n",
	    "!400 bad host in request-target"),
	RQ("absolute-form bad IPv6", "GET http://[zz::1]/" H11 "\r\n",
	    "!400 bad host in request-target"),
	RQ("absolute-form zone", "GET http://[fe80::1%25eth0]/" H11 "\r\n",
	    "!400 bad host in request-target"),
	RQ("asterisk-form", "OPTIONS *" H11 "\r\n",
	    "OPTIONS * asterisk 1.1 none ka"),
	RQ("asterisk-form GET", "GET *" H11 "\r\n", "!400 asterisk-form"),
	RQ("authority-form GET", "GET a.example:443" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("CONNECT refused", "CONNECT a.example:443" H11 "\r\n",
	    "!501 CONNECT not allowed"),
	RQL("CONNECT allowed", &lim_connect, "CONNECT a.example:443" H11
	    "\r\n", "CONNECT a.example:443 authority 1.1 none ka"),
	RQL("CONNECT without port", &lim_connect, "CONNECT a.example" H11
	    "\r\n", "!400 CONNECT without host:port"),
	RQL("CONNECT origin-form", &lim_connect, "CONNECT /" H11 "\r\n",
	    "!400 CONNECT without host:port"),
	RQL("CONNECT with a body", &lim_connect, "CONNECT a:1" H11
	    "Content-Length: 0\r\n\r\n", "!400 CONNECT with a body"),
	RQ("target with fragment", "GET /a#b" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target with quote", "GET /a\"b" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target with <>", "GET /<a>" H11 "\r\n", "!400 bad request-target"),
	RQ("target with obs-text", "GET /\xc3\xa9" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target with bad escape", "GET /a%zz" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target with short escape", "GET /a%2" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target with [ in path", "GET /[a]" H11 "\r\n",
	    "!400 bad request-target"),
	RQ("target relative", "GET a/b" H11 "\r\n", "!400 bad request-target"),

	/* Request line. */
	RQ("tab in request line", "GET\t/" H11 "\r\n", "!400 bad method"),
	RQ("two spaces", "GET  /" H11 "\r\n", "!400 bad request line"),
	RQ("space in target", "GET /a b" H11 "\r\n", "!400 bad request line"),
	RQ("trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
	    "!400 bad request line"),
	RQ("leading space", " GET /" H11 "\r\n", "!400 bad method"),
	RQ("no version (HTTP/0.9)", "GET /\r\n\r\n", "!400 no HTTP version"),
	RQ("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", "!505 not supported"),
	RQ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
	    "!505 not supported"),
	RQ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	    "!400 asterisk-form without OPTIONS"),
	RQ("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", "!400 bad HTTP version"),
	RQ("HTTP/1", "GET / HTTP/1\r\n\r\n", "!400 bad HTTP version"),
	RQ("http/1.1", "GET / http/1.1\r\nHost: a\r\n\r\n",
	    "!400 bad HTTP version"),
	RQ("HTTP/1.1x", "GET / HTTP/1.1x\r\n\r\n", "!400 bad HTTP version"),
	RQ("bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n",
	    "!400 bare LF"),
	RQ("CR without LF in request line", "GET / HTTP/1.1\rHost: a\r\n\r\n",
	    "!400 CR without LF"),
	RQ("NUL in method", "G\0T /" H11 "\r\n", "!400 bad method"),
	RQ("NUL in target", "GET /\0" H11 "\r\n", "!400 bad request-target"),

	/* Field lines. */
	RQ("no Host", "GET / HTTP/1.1\r\n\r\n", "!400 no Host"),
	RQ("two Hosts", "GET /" H11 "Host: a\r\n\r\n",
	    "!400 several Host fields"),
	RQ("two Hosts, other case", "GET /" H11 "hOST: b\r\n\r\n",
	    "!400 several Host fields"),
	RQ("two Hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
	    "!400 several Host fields"),
	RQ("Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n",
	    "!400 bad Host"),
	RQ("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
	    "!400 bad Host"),
	RQ("Host bad port", "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n",
	    "!400 bad Host"),
	RQ("Host port too big", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n",
	    "!400 bad Host"),
	RQ("Host open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
	    "!400 bad Host"),
	RQ("space before colon", "GET /" H11 "Transfer-Encoding : chunked\r\n"
	    "\r\n0\r\n\r\n", "!400 whitespace before colon"),
	RQ("tab before colon", "GET /" H11 "Content-Length\t: 1\r\n\r\nx",
	    "!400 whitespace before colon"),
	RQ("space in name", "GET /" H11 "X Y: 1\r\n\r\n",
	    "!400 whitespace before colon"),
	RQ("non-tchar in name", "GET /" H11 "X@Y: 1\r\n\r\n",
	    "!400 bad field name"),
	RQ("obs-text in name", "GET /" H11 "X\xc3\xa9: 1\r\n\r\n",
	    "!400 bad field name"),
	RQ("empty name", "GET /" H11 ": 1\r\n\r\n", "!400 bad field name"),
	RQ("no colon", "GET /" H11 "Foo\r\n\r\n", "!400 bad field name"),
	RQ("NUL in name", "GET /" H11 "X\0Y: 1\r\n\r\n", "!400 bad field name"),
	RQ("obs-fold", "GET /" H11 "X-A: 1\r\n 2\r\n\r\n",
	    "!400 obsolete line folding"),
	RQ("obs-fold with tab", "GET /" H11 "X-A: 1\r\n\t2\r\n\r\n",
	    "!400 obsolete line folding"),
	RQ("obs-fold of TE", "POST /" H11 "Transfer-Encoding:\r\n chunked\r\n"
	    "\r\n0\r\n\r\n", "!400 obsolete line folding"),
	RQ("space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
	    "!400 whitespace before first field"),
	RQ("bare LF ends a field", "GET /" H11 "X-A: 1\n\r\n", "!400 bare LF"),
	RQ("bare LF ends the head", "GET /" H11 "\n", "!400 bare LF"),
	RQ("bare LF everywhere", "GET / HTTP/1.1\nHost: a\n\n",
	    "!400 bare LF"),
	RQ("CR inside a value", "GET /" H11 "X-A: 1\r2\r\n\r\n",
	    "!400 CR in field value"),
	RQ("CR ends the head", "GET /" H11 "\rX", "!400 CR without LF"),
	RQ("NUL in value", "GET /" H11 "X-A: 1\0002\r\n\r\n",
	    "!400 NUL in field value"),
	RQ("VT in value", "GET /" H11 "X-A: 1\v2\r\n\r\n",
	    "!400 control character"),
	RQ("DEL in value", "GET /" H11 "X-A: 1\x7f\r\n\r\n",
	    "!400 control character"),
	RQ("Connection with parameter", "GET /" H11 "Connection: close;x=1\r\n"
	    "\r\n", "!400 bad Connection"),
	RQ("17 Connection options", "GET /" H11 "Connection: a,b,c,d,e,f,g,h,"
	    "i,j,k,l,m,n,o,p,q\r\n\r\n", "!400 too many Connection options"),
	RQ("16 Connection options", "GET /" H11 "Connection: a,b,c,d,e,f,g,h,"
	    "i,j,k,l,m,n,o,p,close\r\n\r\n", "GET / origin 1.1 none"),
	RQ("Expect: 100-continue", "PUT /f" H11 "Expect: 100-Continue\r\n"
	    "Content-Length: 2\r\n\r\nhi", "PUT /f origin 1.1 len=2 ka 100 "
	    "body=hi"),
	RQ("Expect ignored in 1.0", "PUT /f HTTP/1.0\r\nExpect: 100-continue"
	    "\r\nContent-Length: 2\r\n\r\nhi", "PUT /f origin 1.0 len=2 "
	    "body=hi"),
	RQ("other expectation", "PUT /f" H11 "Expect: x=1\r\n\r\n",
	    "PUT /f origin 1.1 none ka"),
	RQ("upgrade", "GET /ws" H11 "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n\r\n", "GET /ws origin 1.1 none ka up"),
	RQ("Upgrade without Connection", "GET /ws" H11 "Upgrade: h2c\r\n\r\n",
	    "GET /ws origin 1.1 none ka"),
	RQ("upgrade ignored in 1.0", "GET /ws HTTP/1.0\r\nConnection: upgrade"
	    "\r\nUpgrade: websocket\r\n\r\n", "GET /ws origin 1.0 none"),
	RQ("bad Upgrade", "GET /ws" H11 "Upgrade: a/b/c\r\n\r\n",
	    "!400 bad Upgrade"),

	/* Content-Length. */
	RQ("CL", "POST /" H11 "Content-Length: 5\r\n\r\nhello",
	    "POST / origin 1.1 len=5 ka body=hello"),
	RQ("CL 0", "POST /" H11 "Content-Length: 0\r\n\r\n",
	    "POST / origin 1.1 len=0 ka"),
	RQ("CL leading zeros", "POST /" H11 "Content-Length: 002\r\n\r\nhi",
	    "POST / origin 1.1 len=2 ka body=hi"),
	RQ("CL OWS", "POST /" H11 "Content-Length: \t2 \r\n\r\nhi",
	    "POST / origin 1.1 len=2 ka body=hi"),
	RQ("CL then the next request", "POST /" H11 "Content-Length: 2\r\n\r\n"
	    "hiGET /", "POST / origin 1.1 len=2 ka body=hi rest=5"),
	RQ("CL: 1,1", "POST /" H11 "Content-Length: 1,1\r\n\r\nx",
	    "POST / origin 1.1 len=1 ka body=x"),
	RQ("CL: 1 , 1", "POST /" H11 "Content-Length: 1 , 1\r\n\r\nx",
	    "POST / origin 1.1 len=1 ka body=x"),
	RQ("CL twice, same", "POST /" H11 "Content-Length: 1\r\n"
	    "content-length: 1\r\n\r\nx", "POST / origin 1.1 len=1 ka body=x"),
	RQ("CL: 1,2", "POST /" H11 "Content-Length: 1,2\r\n\r\nx",
	    "!400 Content-Length values differ"),
	RQ("CL twice, differing", "POST /" H11 "Content-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nxx", "!400 Content-Length values differ"),
	RQ("CL 1 vs 01 same number", "POST /" H11 "Content-Length: 1\r\n"
	    "Content-Length: 01\r\n\r\nx", "POST / origin 1.1 len=1 ka body=x"),
	RQ("CL +1", "POST /" H11 "Content-Length: +1\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL -1", "POST /" H11 "Content-Length: -1\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL 1 2", "POST /" H11 "Content-Length: 1 2\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL hex", "POST /" H11 "Content-Length: 0x1\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL 1.0", "POST /" H11 "Content-Length: 1.0\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL quoted", "POST /" H11 "Content-Length: \"1\"\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL empty", "POST /" H11 "Content-Length:\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL 1,,1", "POST /" H11 "Content-Length: 1,,1\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL 1,", "POST /" H11 "Content-Length: 1,\r\n\r\nx",
	    "!400 bad Content-Length"),
	RQ("CL max", "POST /" H11 "Content-Length: 9223372036854775807\r\n\r\n",
	    "!400 closed inside the body"),
	RQ("CL overflow", "POST /" H11 "Content-Length: 9223372036854775808\r\n"
	    "\r\n", "!400 Content-Length too large"),
	RQ("CL huge", "POST /" H11 "Content-Length: 99999999999999999999999"
	    "\r\n\r\n", "!400 Content-Length too large"),
	RQ("CL body cut short", "POST /" H11 "Content-Length: 5\r\n\r\nhel",
	    "!400 closed inside the body"),
	RQL("CL over body_max", &lim_body, "POST /" H11 "Content-Length: 11"
	    "\r\n\r\nhello world", "!413 body larger than limit"),
	RQL("CL at body_max", &lim_body, "POST /" H11 "Content-Length: 10"
	    "\r\n\r\nhelloworld", "POST / origin 1.1 len=10 ka "
	    "body=helloworld"),

	/* Transfer-Encoding and its smuggling patterns. */
	RQ("chunked", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\n", "POST / origin 1.1 chunked ka "
	    "body=hello"),
	RQ("chunked, hex sizes", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\na\r\n0123456789\r\nB\r\nabcdefghijk\r\n000\r\n\r\n",
	    "POST / origin 1.1 chunked ka body=0123456789abcdefghijk"),
	RQ("chunked, then the next request", "POST /" H11
	    "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /",
	    "POST / origin 1.1 chunked ka body=x rest=5"),
	RQ("Chunked upper case", "POST /" H11 "Transfer-Encoding: CHUNKED\r\n"
	    "\r\n0\r\n\r\n", "POST / origin 1.1 chunked ka"),
	RQ("gzip, chunked", "POST /" H11 "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n0\r\n\r\n", "POST / origin 1.1 chunked ka te+"),
	RQ("gzip then chunked, two fields", "POST /" H11 "Transfer-Encoding: "
	    "gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "POST / origin 1.1 chunked ka te+"),
	RQ("coding with parameters", "POST /" H11 "Transfer-Encoding: "
	    "x;a=1;b=\"2,3\" , chunked\r\n\r\n0\r\n\r\n",
	    "POST / origin 1.1 chunked ka te+"),
	RQ("empty list elements", "POST /" H11 "Transfer-Encoding: ,chunked,"
	    "\r\n\r\n0\r\n\r\n", "POST / origin 1.1 chunked ka"),
	RQ("CL + TE", "POST /" H11 "Content-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "!400 Transfer-Encoding with Content-Length"),
	RQ("TE + CL", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n0\r\n\r\n",
	    "!400 Transfer-Encoding with Content-Length"),
	RQ("TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\n", "!400 Transfer-Encoding in HTTP/1.0"),
	RQ("chunked, identity", "POST /" H11 "Transfer-Encoding: chunked, "
	    "identity\r\n\r\n0\r\n\r\n", "!501 not ending in chunked"),
	RQ("chunked, gzip", "POST /" H11 "Transfer-Encoding: chunked, gzip\r\n"
	    "\r\n0\r\n\r\n", "!501 not ending in chunked"),
	RQ("chunked then gzip, two fields", "POST /" H11 "Transfer-Encoding: "
	    "chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
	    "!501 not ending in chunked"),
	RQ("identity", "POST /" H11 "Transfer-Encoding: identity\r\n\r\n",
	    "!501 not ending in chunked"),
	RQ("gzip", "POST /" H11 "Transfer-Encoding: gzip\r\n\r\n",
	    "!501 not ending in chunked"),
	RQ("xchunked", "POST /" H11 "Transfer-Encoding: xchunked\r\n\r\n"
	    "0\r\n\r\n", "!501 not ending in chunked"),
	RQ("chunkedx", "POST /" H11 "Transfer-Encoding: chunkedx\r\n\r\n"
	    "0\r\n\r\n", "!501 not ending in chunked"),
	RQ("chunked twice", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "!400 chunked applied twice"),
	RQ("chunked, chunked", "POST /" H11 "Transfer-Encoding: chunked, "
	    "chunked\r\n\r\n0\r\n\r\n", "!400 chunked applied twice"),
	RQ("chunked;x=1", "POST /" H11 "Transfer-Encoding: chunked;x=1\r\n\r\n"
	    "0\r\n\r\n", "!400 parameters on chunked"),
	RQ("chunked;", "POST /" H11 "Transfer-Encoding: chunked;\r\n\r\n"
	    "0\r\n\r\n", "!400 parameters on chunked"),
	RQ("quoted chunked", "POST /" H11 "Transfer-Encoding: \"chunked\"\r\n"
	    "\r\n0\r\n\r\n", "!400 bad Transfer-Encoding"),
	RQ("chunked with space inside", "POST /" H11 "Transfer-Encoding: "
	    "chun ked\r\n\r\n", "!400 bad Transfer-Encoding"),
	RQ("TE empty", "POST /" H11 "Transfer-Encoding:\r\n\r\n",
	    "!400 empty Transfer-Encoding"),
	RQ("TE only commas", "POST /" H11 "Transfer-Encoding: , ,\r\n\r\n",
	    "!400 empty Transfer-Encoding"),
	RQ("TE with VT", "POST /" H11 "Transfer-Encoding:\vchunked\r\n\r\n",
	    "!400 control character"),
	RQ("TE with NUL", "POST /" H11 "Transfer-Encoding: chunked\0\r\n\r\n",
	    "!400 NUL in field value"),
	RQ("Transfer_Encoding is another field", "POST /" H11
	    "Transfer_Encoding: chunked\r\n\r\n", "POST / origin 1.1 none ka"),

	/* Chunked bodies. */
	RQ("chunk extensions", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;a;b=c;d=\"q\\\"s;,\"\r\nhello\r\n0;e\r\n\r\n",
	    "POST / origin 1.1 chunked ka body=hello"),
	RQ("chunk extension BWS", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5 ; a = b ;c\t=\t\"d\"\r\nhello\r\n0\r\n\r\n",
	    "POST / origin 1.1 chunked ka body=hello"),
	RQ("space before CRLF", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5 \r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext space before CRLF", "POST /" H11 "Transfer-Encoding: chunked"
	    "\r\n\r\n5;a=b \r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext without name", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;=b\r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext without value", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5;a=\r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext open quote", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;a=\"b\r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext two names", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;a b\r\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext bare LF", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;a\nhello\r\n0\r\n\r\n", "!400 bad chunk extension"),
	RQ("ext too long", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "1;a=0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890123456789012345"
	    "67890123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345678901234567890123"
	    "\r\nx\r\n0\r\n\r\n", "!400 chunk extension too long"),
	RQ("ext at the limit", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "1;a=0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890123456789012345"
	    "67890123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890123456789012"
	    "\r\nx\r\n0\r\n\r\n", "POST / origin 1.1 chunked ka body=x"),
	RQ("size 16 digits", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0000000000000001\r\nx\r\n0\r\n\r\n",
	    "POST / origin 1.1 chunked ka body=x"),
	RQ("size 17 digits", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "00000000000000001\r\nx\r\n0\r\n\r\n", "!400 chunk size too long"),
	RQ("size 2^63", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "8000000000000000\r\nx", "!400 chunk size too large"),
	RQ("size 2^64 - 1", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffff\r\nx", "!400 chunk size too large"),
	RQ("size 2^68", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "100000000000000000\r\nx", "!400 chunk size too"),
	RQ("size 2^63 - 1", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "7fffffffffffffff\r\nx", "!400 closed inside the body"),
	RQ("size missing", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "\r\nx\r\n0\r\n\r\n", "!400 bad chunk size"),
	RQ("size with sign", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "+1\r\nx\r\n0\r\n\r\n", "!400 bad chunk size"),
	RQ("size 0x", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0x1\r\nx\r\n0\r\n\r\n", "!400 bad chunk size"),
	RQ("size bare LF", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "1\nx\r\n0\r\n\r\n", "!400 bare LF"),
	RQ("size CR without LF", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n1\rx\r\n0\r\n\r\n", "!400 CR without LF"),
	RQ("data longer than size", "POST /" H11
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
	    "!400 no CRLF after chunk data"),
	RQ("data without CRLF", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello0\r\n\r\n", "!400 no CRLF after chunk data"),
	RQ("data then bare LF", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\n0\r\n\r\n", "!400 no CRLF after chunk data"),
	RQ("data then CR CR", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\r\r0\r\n\r\n", "!400 no CRLF after chunk data"),
	RQ("last chunk without final CRLF", "POST /" H11 "Transfer-Encoding: "
	    "chunked\r\n\r\n0\r\n", "!400 closed inside the body"),
	RQ("last chunk, bare LF", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n0\r\n\n", "!400 bare LF"),
	RQ("trailers", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "1\r\nx\r\n0\r\nX-Sum: abc\r\nX-B:\t\r\n\r\n",
	    "POST / origin 1.1 chunked ka body=x"),
	RQ("trailer obs-fold", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0\r\nX-Sum: a\r\n b\r\n\r\n", "!400 obsolete line folding"),
	RQ("trailer Content-Length", "POST /" H11 "Transfer-Encoding: chunked"
	    "\r\n\r\n0\r\nContent-Length: 5\r\n\r\n",
	    "!400 framing field in trailer"),
	RQ("trailer Transfer-Encoding", "POST /" H11 "Transfer-Encoding: "
	    "chunked\r\n\r\n0\r\ntransfer-encoding: chunked\r\n\r\n",
	    "!400 framing field in trailer"),
	RQ("trailer Host", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0\r\nHOST: b\r\n\r\n", "!400 framing field in trailer"),
	RQ("trailer long name", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n0\r\nX-Content-Length-Is-Not-Framing: 5\r\n\r\n",
	    "POST / origin 1.1 chunked ka"),
	RQ("trailer space before colon", "POST /" H11 "Transfer-Encoding: "
	    "chunked\r\n\r\n0\r\nX-A : 1\r\n\r\n",
	    "!400 whitespace before colon"),
	RQ("trailer bad name", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n0\r\n(a): 1\r\n\r\n", "!400 bad trailer field"),
	RQ("trailer without colon", "POST /" H11 "Transfer-Encoding: chunked"
	    "\r\n\r\n0\r\nX-A\r\n\r\n", "!400 bad trailer field"),
	RQ("trailer NUL", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0\r\nX-A: \0\r\n\r\n", "!400 NUL in field value"),
	RQ("trailer bare LF", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "0\r\nX-A: 1\n\r\n", "!400 bare LF"),
	RQ("trailer CR inside", "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n0\r\nX-A: 1\r2\r\n\r\n", "!400 CR in field value"),
	RQL("trailer too large", &lim_small, "POST /" H11 "Transfer-Encoding: "
	    "chunked\r\n\r\n0\r\nX-A: 0123456789\r\n\r\n",
	    "!431 trailer section too large"),
	RQL("trailer at the limit", &lim_small, "POST /" H11
	    "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: 012345678\r\n\r\n",
	    "POST / origin 1.1 chunked ka"),
	RQL("chunked over body_max", &lim_body, "POST /" H11
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
	    "0\r\n\r\n", "!413 body larger than limit"),
	RQL("chunked at body_max", &lim_body, "POST /" H11
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n"
	    "0\r\n\r\n", "POST / origin 1.1 chunked ka body=helloworld"),

	/* Limits. */
	RQL("URI over the limit", &lim_small, "GET /0123456789abcdef" H11
	    "\r\n", "!414 request-target too long"),
	RQL("URI at the limit", &lim_small, "GET /0123456789abcde" H11 "\r\n",
	    "GET /0123456789abcde origin 1.1 none ka"),
	RQL("URI over the limit, no end yet", &lim_small,
	    "GET /0123456789abcdef", "!414 request-target too long"),
	RQL("too many fields", &lim_small, "GET /" H11 "A: 1\r\nB: 2\r\n"
	    "C: 3\r\n\r\n", "!431 too many header fields"),
	RQL("fields at the limit", &lim_small, "GET /" H11 "A: 1\r\nB: 2\r\n"
	    "\r\n", "GET / origin 1.1 none ka"),
	RQL("head over the limit", &lim_small, "GET /" H11 "X-Long: "
	    "0123456789012345678901234567\r\n\r\n",
	    "!431 header section too large"),
	RQL("head at the limit", &lim_small, "GET /" H11 "X-Long: "
	    "012345678901234567890123456\r\n\r\n",
	    "GET / origin 1.1 none ka"),
	RQL("head over the limit, cut short", &lim_small, "GET /" H11
	    "X-Long: 0123456789012345678901234567890123456789",
	    "!431 header section too large"),
	RQ("head cut short", "GET /" H11, "!400 closed inside the head"),
	RQ("nothing", "", "!0 eof before the head ended"),

	/* Responses. */
	RS("200 CL", GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	    "200 OK 1.1 len=5 ka body=hello"),
	RS("200 CL then the next", GET, "HTTP/1.1 200 OK\r\nContent-Length: 1"
	    "\r\n\r\nxHTTP/1.1", "200 OK 1.1 len=1 ka body=x rest=8"),
	RS("200 chunked", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
	    "200 OK 1.1 chunked ka body=hello"),
	RS("200 until close", GET, "HTTP/1.1 200 OK\r\n\r\nhello",
	    "200 OK 1.1 close body=hello eof"),
	RS("200 1.0 until close", GET, "HTTP/1.0 200 OK\r\n\r\nhello",
	    "200 OK 1.0 close body=hello eof"),
	RS("200 1.0 keep-alive", GET, "HTTP/1.0 200 OK\r\nConnection: "
	    "keep-alive\r\nContent-Length: 2\r\n\r\nhi",
	    "200 OK 1.0 len=2 ka body=hi"),
	RS("200 close", GET, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: 2\r\n\r\nhi", "200 OK 1.1 len=2 body=hi"),
	RS("200 gzip: until close", GET, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: gzip\r\n\r\nzz", "200 OK 1.1 close te+ body=zz "
	    "eof"),
	RS("200 chunked, gzip: until close", GET, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\nzz",
	    "200 OK 1.1 close te+ body=zz eof"),
	RS("200 gzip, chunked", GET, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
	    "200 OK 1.1 chunked ka te+ body=zz"),
	RS("204", GET, "HTTP/1.1 204 No Content\r\n\r\n",
	    "204 No Content 1.1 none ka"),
	RS("204 with CL", GET, "HTTP/1.1 204 No Content\r\nContent-Length: 5"
	    "\r\n\r\n", "204 No Content 1.1 none ka"),
	RS("304 with TE", GET, "HTTP/1.1 304 Not Modified\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "304 Not Modified 1.1 none ka"),
	RS("HEAD", HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
	    "200 OK 1.1 none ka"),
	RS("HEAD chunked", HEAD, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n", "200 OK 1.1 none ka"),
	RS("HEAD without CL", HEAD, "HTTP/1.1 404 Not Found\r\n\r\n",
	    "404 Not Found 1.1 none ka"),
	RS("100", GET, "HTTP/1.1 100 Continue\r\n\r\n",
	    "100 Continue 1.1 none ka interim"),
	RS("103", GET, "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n",
	    "103 Early Hints 1.1 none ka interim"),
	RS("101", GET, "HTTP/1.1 101 Switching Protocols\r\nConnection: "
	    "Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00",
	    "101 Switching Protocols 1.1 tunnel up body=\x81 eof"),
	RS("CONNECT 200", CONNECT, "HTTP/1.1 200 OK\r\n\r\nraw",
	    "200 OK 1.1 tunnel body=raw eof"),
	RS("CONNECT 407", CONNECT, "HTTP/1.1 407 Auth\r\nContent-Length: 1"
	    "\r\n\r\nx", "407 Auth 1.1 len=1 ka body=x"),
	RS("no reason", GET, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	    "200 1.1 len=0 ka"),
	RS("empty reason", GET, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
	    "200 1.1 len=0 ka"),
	RS("reason with obs-text and tab", GET, "HTTP/1.1 200 \xc3\xa9\tok\r\n"
	    "Content-Length: 0\r\n\r\n", "200 \xc3\xa9\tok 1.1 len=0 ka"),
	RS("HTTP/1.2", GET, "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
	    "200 OK 1.1 len=0 ka"),
	RS("TE + CL", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n0\r\n\r\n",
	    "!502 Transfer-Encoding with Content-Length"),
	RS("TE in 1.0", GET, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n0\r\n\r\n", "!502 Transfer-Encoding in HTTP/1.0"),
	RS("CL differing", GET, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nxx", "!502 Content-Length values differ"),
	RS("CL bad", GET, "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx",
	    "!502 bad Content-Length"),
	RS("chunked cut short", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5\r\nhel", "!502 closed inside the body"),
	RS("CL cut short", GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
	    "hel", "!502 closed inside the body"),
	RS("bad chunk", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nz\r\n", "!502 bad chunk size"),
	RS("status 2 digits", GET, "HTTP/1.1 20 OK\r\n\r\n",
	    "!502 bad status code"),
	RS("status 4 digits", GET, "HTTP/1.1 2000 OK\r\n\r\n",
	    "!502 bad status code"),
	RS("status 099", GET, "HTTP/1.1 099 x\r\n\r\n", "!502 bad status code"),
	RS("status 600", GET, "HTTP/1.1 600 x\r\n\r\n", "!502 bad status code"),
	RS("status letters", GET, "HTTP/1.1 abc\r\n\r\n",
	    "!502 bad status code"),
	RS("two spaces", GET, "HTTP/1.1  200 OK\r\n\r\n",
	    "!502 bad status code"),
	RS("HTTP/2.0", GET, "HTTP/2.0 200 OK\r\n\r\n", "!502 not supported"),
	RS("HTTP/2", GET, "HTTP/2 200 OK\r\n\r\n", "!502 bad HTTP version"),
	RS("http/1.1", GET, "http/1.1 200 OK\r\n\r\n", "!502 bad HTTP version"),
	RS("no status", GET, "HTTP/1.1\r\n\r\n", "!502 bad status line"),
	RS("leading CRLF", GET, "\r\nHTTP/1.1 200 OK\r\n\r\n",
	    "!502 bad status line"),
	RS("bare LF", GET, "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	    "!502 bad reason phrase"),
	RS("NUL in reason", GET, "HTTP/1.1 200 O\0K\r\n\r\n",
	    "!502 bad reason phrase"),
	RS("obs-fold", GET, "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n",
	    "!502 obsolete line folding"),
	RS("space before colon", GET, "HTTP/1.1 200 OK\r\nContent-Length : 0"
	    "\r\n\r\n", "!502 whitespace before colon"),
	RS("head cut short", GET, "HTTP/1.1 200 OK\r\n",
	    "!502 closed inside the head"),
};

static void
test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		both(rows[i].name, rows[i].lim, rows[i].mode, rows[i].req,
		    rows[i].msg, rows[i].len, rows[i].want);
}

/* Messages too big to write out: made at run time, still run both ways. */
static void
test_big(void)
{
	char	*m, want[OUTLEN];
	size_t	 n, i;

	m = malloc(200000);
	/* A head of exactly 64 KiB passes; one byte more is a 431. */
	n = (size_t)sprintf(m, "GET /" H11 "X-Big: ");
	memset(m + n, 'x', 65536 - n - 4);
	memcpy(m + 65536 - 4, "\r\n\r\n", 4);
	both("head of 64 KiB", NULL, PX_H1_REQ, 0, m, 65536,
	    "GET / origin 1.1 none ka");
	memmove(m + n + 1, m + n, 65536 - n);
	both("head of 64 KiB + 1", NULL, PX_H1_REQ, 0, m, 65537,
	    "!431 header section too large");

	/* A target of 8 KiB passes; one byte more is a 414. */
	memcpy(m, "GET /", 5);
	memset(m + 5, 'a', 8191);
	n = 5 + 8191;
	n += (size_t)sprintf(m + n, H11 "\r\n");
	/* The summary is cut at OUTLEN - 1 bytes, inside the target. */
	snprintf(want, sizeof(want), "%.*s", (int)(sizeof(want) - 1), m);
	both("target of 8 KiB", NULL, PX_H1_REQ, 0, m, n, want);
	memcpy(m, "GET /", 5);
	memset(m + 5, 'a', 8192);
	n = 5 + 8192;
	n += (size_t)sprintf(m + n, H11 "\r\n");
	both("target of 8 KiB + 1", NULL, PX_H1_REQ, 0, m, n,
	    "!414 request-target too long");

	/* 100 fields pass (Host is one of them), 101 are a 431. */
	n = (size_t)sprintf(m, "GET /" H11);
	for (i = 1; i < 100; i++)
		n += (size_t)sprintf(m + n, "X-%zu: %zu\r\n", i, i);
	n += (size_t)sprintf(m + n, "\r\n");
	both("100 fields", NULL, PX_H1_REQ, 0, m, n,
	    "GET / origin 1.1 none ka");
	n -= 2;
	n += (size_t)sprintf(m + n, "X-Last: 1\r\n\r\n");
	both("101 fields", NULL, PX_H1_REQ, 0, m, n,
	    "!431 too many header fields");

	/* 100 one-byte chunks. */
	n = (size_t)sprintf(m, "POST /" H11 "Transfer-Encoding: chunked\r\n"
	    "\r\n");
	i = (size_t)sprintf(want, "POST / origin 1.1 chunked ka body=");
	for (; i < 34 + 100; i++) {
		want[i] = (char)('a' + (int)i % 26);
		n += (size_t)sprintf(m + n, "1\r\n%c\r\n", want[i]);
	}
	want[i] = '\0';
	n += (size_t)sprintf(m + n, "0\r\n\r\n");
	both("100 chunks", NULL, PX_H1_REQ, 0, m, n, want);
	free(m);
}

/*
 * Field values are scanned 8 bytes at a time; every byte class must be
 * caught at every position in a word, and the good ones let through.
 */
static void
test_value_bytes(void)
{
	static const struct {
		unsigned char	 c;
		const char	*want;
	} bytes[] = {
		{ '\0', "!400 NUL in field value" },
		{ '\v', "!400 control character" },
		{ 0x01, "!400 control character" },
		{ 0x1f, "!400 control character" },
		{ 0x7f, "!400 control character" },
		{ '\n', "!400 bare LF" },
		{ '\r', "!400 CR in field value" },
		{ '\t', "GET / origin 1.1 none ka" },
		{ ' ', "GET / origin 1.1 none ka" },
		{ '~', "GET / origin 1.1 none ka" },
		{ 0x80, "GET / origin 1.1 none ka" },
		{ 0xff, "GET / origin 1.1 none ka" },
	};
	char	 m[128], name[64], want[64];
	size_t	 i, off, n, v;

	for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++)
		for (off = 0; off < 16; off++) {
			n = (size_t)sprintf(m, "GET /" H11 "X-V: ");
			v = n;
			memset(m + n, 'v', 24);
			m[v + off] = (char)bytes[i].c;
			n += 24;
			n += (size_t)sprintf(m + n, "\r\n\r\n");
			snprintf(name, sizeof(name), "value byte 0x%02x at %zu",
			    bytes[i].c, off);
			both(name, NULL, PX_H1_REQ, 0, m, n, bytes[i].want);
		}
	for (off = 0; off < 16; off++) {
		n = (size_t)sprintf(m, "HTTP/1.1 200 ");
		memset(m + n, 'r', 20);
		m[n + off] = 0x7f;
		n += 20;
		n += (size_t)sprintf(m + n, "\r\nContent-Length: 0\r\n\r\n");
		snprintf(name, sizeof(name), "reason DEL at %zu", off);
		both(name, NULL, PX_H1_RESP, PX_H1_M_GET, m, n,
		    "!502 bad reason phrase");
		m[13 + off] = '\t';
		snprintf(want, sizeof(want), "200 %.20s 1.1 len=0 ka", m + 13);
		snprintf(name, sizeof(name), "reason HTAB at %zu", off);
		both(name, NULL, PX_H1_RESP, PX_H1_M_GET, m, n, want);
	}
}

/* The field array: names, trimmed values, kinds and hop-by-hop marks. */
static void
test_fields(void)
{
	static const char msg[] = "GET /p?q HTTP/1.1\r\n"
	    "Host:  Example.COM:81 \r\n"
	    "X-A:\t v a l \t\r\n"
	    "Connection: keep-alive, X-A, Content-Length, foo, Host\r\n"
	    "Keep-Alive: 5\r\n"
	    "X-Empty:\r\n"
	    "Content-Length: 0\r\n"
	    "TE: trailers\r\n"
	    "FOO: 1\r\n"
	    "Proxy-Connection: x\r\n"
	    "Upgrade: h2c\r\n"
	    "Trailer: X-Sum\r\n"
	    "Expect: 100-continue\r\n"
	    "Transfer-Encoding-X: 1\r\n"
	    "\r\n";
	static const struct {
		const char	*name, *value;
		int		 kind;
		bool		 hop;
	} want[] = {
		{ "Host", "Example.COM:81", PX_H1_H_HOST, false },
		{ "X-A", "v a l", PX_H1_H_OTHER, true },
		{ "Connection", "keep-alive, X-A, Content-Length, foo, Host",
		    PX_H1_H_CONNECTION, true },
		{ "Keep-Alive", "5", PX_H1_H_KEEP_ALIVE, true },
		{ "X-Empty", "", PX_H1_H_OTHER, false },
		{ "Content-Length", "0", PX_H1_H_CONTENT_LENGTH, false },
		{ "TE", "trailers", PX_H1_H_TE, true },
		{ "FOO", "1", PX_H1_H_OTHER, true },
		{ "Proxy-Connection", "x", PX_H1_H_PROXY_CONNECTION, true },
		{ "Upgrade", "h2c", PX_H1_H_UPGRADE, true },
		{ "Trailer", "X-Sum", PX_H1_H_TRAILER, false },
		{ "Expect", "100-continue", PX_H1_H_EXPECT, false },
		{ "Transfer-Encoding-X", "1", PX_H1_H_OTHER, false },
	};
	struct px_h1_hdr	 hdr[HDRS];
	struct px_h1		 st;
	char			 a[256], b[256], name[64];
	size_t			 i;
	int			 rc;

	px_h1_init(&st, PX_H1_REQ, NULL, hdr, HDRS);
	rc = px_h1_parse_head(&st, msg, sizeof(msg) - 1);
	is_int(rc, (long long)sizeof(msg) - 1, "fields: head length");
	is_int((long long)st.nhdr, sizeof(want) / sizeof(want[0]),
	    "fields: count");
	for (i = 0; i < st.nhdr && i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(a, sizeof(a), "%.*s", (int)hdr[i].name.len,
		    msg + hdr[i].name.off);
		snprintf(b, sizeof(b), "%.*s", (int)hdr[i].value.len,
		    msg + hdr[i].value.off);
		snprintf(name, sizeof(name), "fields: %zu name", i);
		is_str(a, want[i].name, name);
		snprintf(name, sizeof(name), "fields: %s value", want[i].name);
		is_str(b, want[i].value, name);
		snprintf(name, sizeof(name), "fields: %s kind", want[i].name);
		is_int(hdr[i].kind, want[i].kind, name);
		snprintf(name, sizeof(name), "fields: %s hop", want[i].name);
		is_int(hdr[i].hop, want[i].hop, name);
	}
	is_int(st.host, 0, "fields: Host index");
	snprintf(a, sizeof(a), "%.*s", (int)st.authority.len,
	    msg + st.authority.off);
	is_str(a, "Example.COM:81", "fields: authority from Host");
	snprintf(a, sizeof(a), "%.*s", (int)st.path.len, msg + st.path.off);
	is_str(a, "/p?q", "fields: path");
	is_int(st.meth, PX_H1_M_GET, "fields: method GET");
	ok(st.keep_alive && !st.upgrade && st.expect_continue,
	    "fields: keep-alive, no upgrade (no Connection: upgrade), 100");
	is_int(st.framing, PX_H1_BODY_LENGTH, "fields: CL 0 is a length");
	ok(st.done, "fields: CL 0 is done at once");
}

/* absolute-form gives the authority and path the proxy forwards. */
static void
test_absolute(void)
{
	static const struct {
		const char	*msg, *auth, *path;
		int		 form;
	} rows2[] = {
		{ "GET http://a.example:8080/x?y HTTP/1.1\r\nHost: b\r\n\r\n",
		    "a.example:8080", "/x?y", PX_H1_FORM_ABSOLUTE },
		{ "GET http://a.example HTTP/1.1\r\nHost: b\r\n\r\n",
		    "a.example", "", PX_H1_FORM_ABSOLUTE },
		{ "GET https://a?q HTTP/1.1\r\nHost: b\r\n\r\n",
		    "a", "?q", PX_H1_FORM_ABSOLUTE },
		{ "OPTIONS * HTTP/1.1\r\nHost: b\r\n\r\n", "b", "*",
		    PX_H1_FORM_ASTERISK },
		{ "CONNECT [::1]:443 HTTP/1.1\r\nHost: b\r\n\r\n",
		    "[::1]:443", "", PX_H1_FORM_AUTHORITY },
		{ "GET / HTTP/1.0\r\n\r\n", "", "/", PX_H1_FORM_ORIGIN },
	};
	struct px_h1_limits	 lim;
	struct px_h1_hdr	 hdr[4];
	struct px_h1		 st;
	char			 a[128];
	size_t			 i;

	px_h1_limits_default(&lim);
	lim.connect = true;
	for (i = 0; i < sizeof(rows2) / sizeof(rows2[0]); i++) {
		int rc;

		px_h1_init(&st, PX_H1_REQ, &lim, hdr, 4);
		rc = px_h1_parse_head(&st, rows2[i].msg, strlen(rows2[i].msg));
		ok(rc > 0 && (int)st.form == rows2[i].form,
		    "target %zu: form", i);
		snprintf(a, sizeof(a), "%.*s", (int)st.authority.len,
		    rows2[i].msg + st.authority.off);
		is_str(a, rows2[i].auth, "target: authority");
		snprintf(a, sizeof(a), "%.*s", (int)st.path.len,
		    rows2[i].msg + st.path.off);
		is_str(a, rows2[i].path, "target: path");
	}
}

/*
 * One connection, several messages: reset keeps limits and mode, the body
 * parser stops at the end of each message, and a 1xx is followed by the
 * real response for the same (HEAD) request.
 */
static void
test_reuse(void)
{
	static const char req[] = "POST /a HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n0\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
	struct px_h1_hdr	 hdr[4];
	struct px_h1		 st;
	size_t			 off, doff, dlen;
	int			 rc;

	px_h1_init(&st, PX_H1_REQ, NULL, hdr, 4);
	rc = px_h1_parse_head(&st, req, sizeof(req) - 1);
	ok(rc > 0 && st.framing == PX_H1_BODY_CHUNKED, "reuse: first head");
	off = (size_t)rc;
	rc = px_h1_parse_body(&st, req + off, sizeof(req) - 1 - off, &doff,
	    &dlen);
	ok(rc == 6 && doff == 3 && dlen == 3 &&
	    memcmp(req + off + doff, "abc", 3) == 0,
	    "reuse: framing then one data run");
	off += (size_t)rc;
	rc = px_h1_parse_body(&st, req + off, sizeof(req) - 1 - off, &doff,
	    &dlen);
	ok(rc == 7 && dlen == 0 && st.done, "reuse: CRLF, last chunk, done");
	off += (size_t)rc;
	rc = px_h1_parse_body(&st, req + off, sizeof(req) - 1 - off, &doff,
	    &dlen);
	ok(rc == 0, "reuse: nothing more is body");
	is_int((long long)st.body_bytes, 3, "reuse: body bytes");
	px_h1_reset(&st);
	rc = px_h1_parse_head(&st, req + off, sizeof(req) - 1 - off);
	ok(rc == (int)(sizeof(req) - 1 - off) && st.meth == PX_H1_M_GET &&
	    st.done && st.hdr == hdr, "reuse: second head");
	is_int(px_h1_parse_head(&st, req + off, 3), rc,
	    "reuse: done head stays done");
	is_int(px_h1_eof(&st), 0, "reuse: EOF after a complete message");
	px_h1_reset(&st);
	is_int(px_h1_eof(&st), 0, "reuse: EOF between messages");

	px_h1_init(&st, PX_H1_RESP, NULL, hdr, 4);
	px_h1_resp_for(&st, PX_H1_M_HEAD);
	rc = px_h1_parse_head(&st, resp, sizeof(resp) - 1);
	ok(rc == 25 && st.interim && st.status == 100 && st.done,
	    "reuse: 100 Continue");
	px_h1_reset(&st);
	rc = px_h1_parse_head(&st, resp + 25, sizeof(resp) - 1 - 25);
	ok(rc > 0 && st.status == 200 && st.framing == PX_H1_BODY_NONE &&
	    st.clen == 9 && st.done, "reuse: HEAD kept across reset");
}

/* Small things: errors stick, limits clamp, method names. */
static void
test_misc(void)
{
	struct px_h1_limits	 lim;
	struct px_h1_hdr	 hdr[2];
	struct px_h1		 st;
	size_t			 doff, dlen;

	px_h1_init(&st, PX_H1_REQ, NULL, hdr, 2);
	is_int((long long)st.lim.head_max, 65536, "misc: default head_max");
	is_int((long long)st.lim.uri_max, 8192, "misc: default uri_max");
	is_int((long long)st.lim.hdr_count_max, 100,
	    "misc: default hdr_count_max");
	ok(px_h1_parse_head(&st, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n"
	    "C: 3\r\n\r\n", 35) == -1 && st.err_status == 431,
	    "misc: hdr_cap bounds the field count");
	is_int(px_h1_parse_head(&st, "GET", 3), -1, "misc: errors stick");
	is_int(px_h1_parse_body(&st, "x", 1, &doff, &dlen), -1,
	    "misc: errors stick in the body");
	is_int(px_h1_eof(&st), -1, "misc: errors stick at EOF");

	px_h1_init(&st, PX_H1_REQ, NULL, NULL, 0);
	ok(px_h1_parse_head(&st, "GET / HTTP/1.0\r\n\r\n", 18) == 18,
	    "misc: no field array, no fields");
	is_int(px_h1_parse_body(&st, "x", 1, &doff, &dlen), 0,
	    "misc: no body after a GET");

	px_h1_limits_default(&lim);
	lim.head_max = SIZE_MAX;
	px_h1_init(&st, PX_H1_REQ, &lim, hdr, 2);
	is_int((long long)st.lim.head_max, PX_H1_HEAD_CAP,
	    "misc: head_max clamped");

	is_int(px_h1_meth_of("GET", 3), PX_H1_M_GET, "misc: GET");
	is_int(px_h1_meth_of("CONNECT", 7), PX_H1_M_CONNECT, "misc: CONNECT");
	is_int(px_h1_meth_of("OPTIONS", 7), PX_H1_M_OPTIONS, "misc: OPTIONS");
	is_int(px_h1_meth_of("get", 3), PX_H1_M_OTHER, "misc: get");
	is_int(px_h1_meth_of("GETS", 4), PX_H1_M_OTHER, "misc: GETS");
}

int
main(void)
{
	px_h1_limits_default(&lim_small);
	lim_small.uri_max = 16;
	lim_small.hdr_count_max = 3;
	lim_small.head_max = 64;
	lim_small.trailer_max = 16;
	px_h1_limits_default(&lim_connect);
	lim_connect.connect = true;
	px_h1_limits_default(&lim_body);
	lim_body.body_max = 10;

	test_rows();
	test_big();
	test_value_bytes();
	test_fields();
	test_absolute();
	test_reuse();
	test_misc();
	return (done_testing());
}
