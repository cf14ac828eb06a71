/*
 * LogFormat compiler: format text -> struct alog_fmt, the program that
 * render.c writes lines with and parse.c reads them back with.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log/log_int.h"

/* Parameter rules, checked once here so render and parse never fail. */
enum dparam {
	P_NONE = 0,	/* no {param} allowed */
	P_NAME,		/* {NAME} required */
	P_OPT,		/* checked by the directive's own case */
};

struct dirdef {
	const char	*name;		/* after '%': "a", "^xb" */
	uint8_t		 id;
	uint8_t		 param;		/* enum dparam */
	uint8_t		 pclass;	/* enum alog_pclass */
};

static const struct dirdef dirs[] = {
	{ "a",   ALOG_D_UA_IP,		P_OPT,  ALOG_PC_TOKEN },
	{ "A",   ALOG_D_LOCAL_IP,	P_NONE, ALOG_PC_TOKEN },
	{ "B",   ALOG_D_BODY,		P_NONE, ALOG_PC_NUM },
	{ "b",   ALOG_D_BODY_CLF,	P_NONE, ALOG_PC_NUM },
	{ "C",   ALOG_D_COOKIE,		P_NAME, ALOG_PC_TEXT },
	{ "D",   ALOG_D_DURATION_US,	P_NONE, ALOG_PC_NUM },
	{ "e",   ALOG_D_ENV,		P_NAME, ALOG_PC_TEXT },
	{ "f",   ALOG_D_FILENAME,	P_NONE, ALOG_PC_TEXT },
	{ "h",   ALOG_D_HOST,		P_OPT,  ALOG_PC_TOKEN },
	{ "H",   ALOG_D_PROTO,		P_NONE, ALOG_PC_TOKEN },
	{ "i",   ALOG_D_REQ_HDR,	P_NAME, ALOG_PC_TEXT },
	{ "I",   ALOG_D_BYTES_IN,	P_NONE, ALOG_PC_NUM },
	{ "k",   ALOG_D_KEEPALIVES,	P_NONE, ALOG_PC_NUM },
	{ "l",   ALOG_D_LOGNAME,	P_NONE, ALOG_PC_TEXT },
	{ "L",   ALOG_D_LOG_ID,		P_NONE, ALOG_PC_TEXT },
	{ "m",   ALOG_D_METHOD,		P_NONE, ALOG_PC_TOKEN },
	{ "n",   ALOG_D_NOTE,		P_NAME, ALOG_PC_TEXT },
	{ "o",   ALOG_D_RESP_HDR,	P_NAME, ALOG_PC_TEXT },
	{ "O",   ALOG_D_BYTES_OUT,	P_NONE, ALOG_PC_NUM },
	{ "p",   ALOG_D_PORT,		P_OPT,  ALOG_PC_NUM },
	{ "P",   ALOG_D_PID,		P_OPT,  ALOG_PC_NUM },
	{ "q",   ALOG_D_QUERY,		P_NONE, ALOG_PC_TEXT },
	{ "r",   ALOG_D_REQLINE,	P_NONE, ALOG_PC_TEXT },
	{ "R",   ALOG_D_HANDLER,	P_NONE, ALOG_PC_TEXT },
	{ "s",   ALOG_D_STATUS,		P_NONE, ALOG_PC_NUM },
	{ "S",   ALOG_D_BYTES_ALL,	P_NONE, ALOG_PC_NUM },
	{ "t",   ALOG_D_TIME,		P_OPT,  ALOG_PC_TIME },
	{ "T",   ALOG_D_DURATION,	P_OPT,  ALOG_PC_NUM },
	{ "u",   ALOG_D_USER,		P_NONE, ALOG_PC_TEXT },
	{ "U",   ALOG_D_PATH,		P_NONE, ALOG_PC_TEXT },
	{ "v",   ALOG_D_SERVER,		P_NONE, ALOG_PC_TEXT },
	{ "V",   ALOG_D_SERVER_NAME,	P_NONE, ALOG_PC_TEXT },
	{ "x",   ALOG_D_SSL_VAR,	P_NAME, ALOG_PC_TEXT },
	{ "X",   ALOG_D_CONN,		P_NONE, ALOG_PC_TOKEN },
	{ "^ti", ALOG_D_TRAILER_IN,	P_NAME, ALOG_PC_TEXT },
	{ "^to", ALOG_D_TRAILER_OUT,	P_NAME, ALOG_PC_TEXT },
	{ "^FB", ALOG_D_TTFB,		P_NONE, ALOG_PC_NUM },
	{ "^xb", ALOG_D_SRV_ADDR,	P_OPT,  ALOG_PC_TOKEN },
	{ "^xc", ALOG_D_SRV_CONNECT,	P_OPT,  ALOG_PC_NUM },
	{ "^xe", ALOG_D_END,		P_NONE, ALOG_PC_TEXT },
	{ "^xf", ALOG_D_SRV_FIRST,	P_OPT,  ALOG_PC_NUM },
	{ "^xl", ALOG_D_LISTENER,	P_NONE, ALOG_PC_TEXT },
	{ "^xn", ALOG_D_BACKEND,	P_NONE, ALOG_PC_TEXT },
};

static const struct {
	const char	*name;
	const char	*fmt;
} named[] = {
	{ "common", "%h %l %u %t \"%r\" %>s %b" },
	{ "combined", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" "
	    "\"%{User-agent}i\"" },
	{ "vhost_combined", "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" "
	    "\"%{User-Agent}i\"" },
	{ "referer", "%{Referer}i -> %U" },
	{ "agent", "%{User-agent}i" },
};

/* Working state of one compile; the program is built in place. */
struct comp {
	struct alog_fmt	*f;
	const char	*s;		/* the format */
	size_t		 textlen;
	size_t		 ncond;		/* statuses used in f->cond */
	char		*err;
	size_t		 errlen;
};

static void	comp_err(struct comp *, size_t col, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static void
comp_err(struct comp *c, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->errlen == 0)
		return;
	n = snprintf(c->err, c->errlen, "col %zu: ", col);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
}

const char *
alog_fmt_named(const char *name)
{
	size_t i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(name, named[i].name) == 0)
			return (named[i].fmt);
	return (NULL);
}

/*
 * Appends literal bytes, merging with the previous item when it is a
 * literal too: the parser then sees each run of text as one terminator.
 */
static void
lit_add(struct comp *c, const char *p, size_t n)
{
	struct alog_fmt *f = c->f;
	struct alog_item *it;

	it = f->nitem > 0 ? &f->item[f->nitem - 1] : NULL;
	if (it == NULL || it->id != ALOG_D_LIT ||
	    it->off + it->len != c->textlen) {
		it = &f->item[f->nitem++];
		memset(it, 0, sizeof(*it));
		it->id = ALOG_D_LIT;
		it->off = (uint32_t)c->textlen;
	}
	memcpy(f->text + c->textlen, p, n);
	c->textlen += n;
	it->len += (uint32_t)n;
}

/*
 * Literal text from s[*i] up to the next '%' directive.  Returns 0, or -1
 * with the error set.
 */
static int
comp_lit(struct comp *c, size_t *i)
{
	const unsigned char *s = (const unsigned char *)c->s;
	char ch;

	while (s[*i] != '\0') {
		if (s[*i] == '%') {
			if (s[*i + 1] != '%')
				return (0);
			lit_add(c, "%", 1);
			*i += 2;
			continue;
		}
		if (s[*i] == '\\') {
			switch (s[*i + 1]) {
			case 't':
				ch = '\t';
				break;
			case '\\':
				ch = '\\';
				break;
			case '"':
				ch = '"';
				break;
			case 'n':
			case 'r':
				comp_err(c, *i + 1, "line break in format");
				return (-1);
			default:
				ch = 0;
				break;
			}
			if (ch != 0) {
				lit_add(c, &ch, 1);
				*i += 2;
				continue;
			}
		} else if (s[*i] == '\n' || s[*i] == '\r') {
			comp_err(c, *i + 1, "line break in format");
			return (-1);
		} else if ((s[*i] < 0x20 && s[*i] != '\t') || s[*i] == 0x7f) {
			comp_err(c, *i + 1, "control byte 0x%02x in format",
			    s[*i]);
			return (-1);
		}
		lit_add(c, (const char *)&s[*i], 1);
		(*i)++;
	}
	return (0);
}

/* Writes a directive name for a message, escaping odd bytes. */
static void
dname(const char *p, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;
	int w;

	for (i = 0; i < n && p[i] != '\0' && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch > 0x20 && ch < 0x7f)
			buf[o++] = (char)ch;
		else {
			w = snprintf(buf + o, len - o, "\\x%02x", ch);
			if (w > 0)
				o += (size_t)w;
		}
	}
	buf[o] = '\0';
}

static bool
is(const char *param, const char *word)
{
	return (strcasecmp(param, word) == 0);
}

/*
 * Checks the {param} of a directive and sets id, sub and flags from it.
 * param is "" when there was none.  Returns 0 or -1 with the error set.
 */
static int
comp_param(struct comp *c, const struct dirdef *d, struct alog_item *it,
    const char *param, bool has, size_t col)
{
	const char *t;

	/* Apache reads an empty {} as no parameter. */
	has = has && param[0] != '\0';
	switch (d->param) {
	case P_NONE:
		if (!has)
			return (0);
		comp_err(c, col, "%%%s takes no {parameter}", d->name);
		return (-1);
	case P_NAME:
		if (param[0] == '\0') {
			comp_err(c, col, "%%%s needs a {name}", d->name);
			return (-1);
		}
		/* mod_ssl's names; any other variable is written "-". */
		if (it->id == ALOG_D_SSL_VAR)
			it->sub = is(param, "SSL_PROTOCOL") ?
			    ALOG_SSL_PROTOCOL : is(param, "SSL_CIPHER") ?
			    ALOG_SSL_CIPHER : is(param, "SSL_TLS_SNI") ?
			    ALOG_SSL_SNI : ALOG_SSL_OTHER;
		return (0);
	}
	switch (it->id) {
	case ALOG_D_UA_IP:
	case ALOG_D_HOST:
		if (!has)
			return (0);
		if (strcmp(param, "c") == 0) {
			it->flags |= ALOG_IF_C;
			it->id = it->id == ALOG_D_UA_IP ? ALOG_D_PEER_IP :
			    ALOG_D_PEER_HOST;
			return (0);
		}
		break;
	case ALOG_D_PORT:
		if (!has || is(param, "canonical"))
			it->sub = ALOG_PORT_CANONICAL;
		else if (is(param, "local"))
			it->sub = ALOG_PORT_LOCAL;
		else if (is(param, "remote"))
			it->sub = ALOG_PORT_REMOTE;
		else
			break;
		return (0);
	case ALOG_D_PID:
		if (!has || is(param, "pid"))
			it->sub = ALOG_PID_PID;
		else if (is(param, "tid"))
			it->sub = ALOG_PID_TID;
		else if (is(param, "hextid")) {
			it->sub = ALOG_PID_HEXTID;
			it->pclass = ALOG_PC_TOKEN;
		} else
			break;
		return (0);
	case ALOG_D_DURATION:
	case ALOG_D_SRV_CONNECT:
	case ALOG_D_SRV_FIRST:
		if (!has)
			it->sub = it->id == ALOG_D_DURATION ? ALOG_UNIT_S :
			    ALOG_UNIT_US;
		else if (is(param, "s"))
			it->sub = ALOG_UNIT_S;
		else if (is(param, "ms"))
			it->sub = ALOG_UNIT_MS;
		else if (is(param, "us"))
			it->sub = ALOG_UNIT_US;
		else
			break;
		return (0);
	case ALOG_D_SRV_ADDR:
		if (!has)
			it->sub = ALOG_ADDR_HOSTPORT;
		else if (is(param, "ip"))
			it->sub = ALOG_ADDR_IP;
		else if (is(param, "port")) {
			it->sub = ALOG_ADDR_PORT;
			it->pclass = ALOG_PC_NUM;
		} else
			break;
		return (0);
	case ALOG_D_TIME:
		/* Apache's rules: prefix first, then one whole keyword. */
		t = param;
		if (strncmp(t, "begin:", 6) == 0) {
			it->flags |= ALOG_IF_PREFIX;
			t += 6;
		} else if (strncmp(t, "end:", 4) == 0) {
			it->flags |= ALOG_IF_END;
			t += 4;
		}
		it->pclass = ALOG_PC_NUM;
		if (t[0] == '\0') {
			it->sub = ALOG_TIME_CLF;
			it->pclass = ALOG_PC_TIME;
		} else if (strcmp(t, "sec") == 0)
			it->sub = ALOG_TIME_SEC;
		else if (strcmp(t, "msec") == 0)
			it->sub = ALOG_TIME_MSEC;
		else if (strcmp(t, "usec") == 0)
			it->sub = ALOG_TIME_USEC;
		else if (strcmp(t, "msec_frac") == 0)
			it->sub = ALOG_TIME_MSEC_FRAC;
		else if (strcmp(t, "usec_frac") == 0)
			it->sub = ALOG_TIME_USEC_FRAC;
		else {
			it->sub = ALOG_TIME_STRF;
			it->pclass = ALOG_PC_TEXT;
		}
		return (0);
	default:
		break;
	}
	comp_err(c, col, "%%%s: bad parameter {%s}", d->name, param);
	return (-1);
}

/*
 * The status list of a condition at s[*i] (a digit).  Returns 0 or -1 with
 * the error set.
 */
static int
comp_cond(struct comp *c, struct alog_item *it, size_t *i)
{
	const char *s = c->s;
	struct alog_fmt *f = c->f;
	size_t j;
	int v;

	if (it->ncond > 0) {
		comp_err(c, *i + 1, "bad condition: second status list");
		return (-1);
	}
	for (;;) {
		for (j = 0, v = 0; s[*i + j] >= '0' && s[*i + j] <= '9'; j++)
			if (j < 4)
				v = v * 10 + (s[*i + j] - '0');
		if (j != 3 || v < 100) {
			comp_err(c, *i + 1, "bad condition: status must be "
			    "3 digits, 100-999");
			return (-1);
		}
		if (it->ncond >= ALOG_COND_MAX) {
			comp_err(c, *i + 1, "bad condition: more than %d "
			    "statuses", ALOG_COND_MAX);
			return (-1);
		}
		if (it->ncond == 0)
			it->cond = (uint16_t)c->ncond;
		f->cond[c->ncond++] = (uint16_t)v;
		it->ncond++;
		*i += 3;
		if (s[*i] != ',')
			return (0);
		(*i)++;
	}
}

/*
 * One directive starting at s[*i] == '%'.  Returns 0 or -1 with the error
 * set.
 */
static int
comp_dir(struct comp *c, size_t *i)
{
	struct alog_fmt *f = c->f;
	const char *s = c->s;
	const struct dirdef *d = NULL;
	struct alog_item *it;
	const char *param = "", *close;
	size_t col = *i + 1, pcol = 0, bang = 0, k, n;
	bool has = false;

	it = &f->item[f->nitem];
	memset(it, 0, sizeof(*it));
	(*i)++;
	for (;;) {
		switch (s[*i]) {
		case '\0':
			comp_err(c, col, "%% without a directive at end of "
			    "format");
			return (-1);
		case '!':
			if (bang != 0 || it->ncond > 0) {
				comp_err(c, *i + 1, "bad condition: misplaced "
				    "'!'");
				return (-1);
			}
			bang = *i + 1;
			it->flags |= ALOG_IF_NEGATE;
			(*i)++;
			continue;
		case '<':
			it->flags |= ALOG_IF_ORIG;
			it->flags &= ~ALOG_IF_FINAL;
			(*i)++;
			continue;
		case '>':
			it->flags |= ALOG_IF_FINAL;
			it->flags &= ~ALOG_IF_ORIG;
			(*i)++;
			continue;
		case '{':
			if (has) {
				comp_err(c, *i + 1, "second {parameter}");
				return (-1);
			}
			if ((close = strchr(s + *i, '}')) == NULL) {
				comp_err(c, *i + 1, "unterminated {");
				return (-1);
			}
			n = (size_t)(close - (s + *i + 1));
			if (n > ALOG_PARAM_MAX) {
				comp_err(c, *i + 1, "{parameter} longer than "
				    "%d bytes", ALOG_PARAM_MAX);
				return (-1);
			}
			pcol = *i + 1;
			has = true;
			param = f->text + c->textlen;
			memcpy(f->text + c->textlen, s + *i + 1, n);
			f->text[c->textlen + n] = '\0';
			it->off = (uint32_t)c->textlen;
			it->len = (uint32_t)n;
			c->textlen += n + 1;
			*i += n + 2;
			continue;
		default:
			break;
		}
		if (s[*i] >= '0' && s[*i] <= '9') {
			if (comp_cond(c, it, i) == -1)
				return (-1);
			continue;
		}
		break;
	}
	if (bang != 0 && it->ncond == 0) {
		comp_err(c, bang, "bad condition: '!' without statuses");
		return (-1);
	}
	n = s[*i] == '^' ? 3 : 1;
	for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++)
		if (strncmp(s + *i, dirs[k].name, n) == 0 &&
		    dirs[k].name[n] == '\0') {
			d = &dirs[k];
			break;
		}
	if (d == NULL) {
		char name[32];

		dname(s + *i, n, name, sizeof(name));
		comp_err(c, col, "unknown directive %%%s", name);
		return (-1);
	}
	*i += n;
	it->id = d->id;
	it->pclass = d->pclass;
	if (it->id == ALOG_D_STATUS && (it->flags & ALOG_IF_FINAL))
		it->id = ALOG_D_STATUS_FINAL;
	if (comp_param(c, d, it, param, has, has ? pcol : col) == -1)
		return (-1);
	f->fitem[f->nfield++] = (uint32_t)f->nitem++;
	return (0);
}

/*
 * A field directly followed by another field can be split only if its own
 * shape ends it, or the next one is %q, which starts at a '?'.
 */
static bool
comp_parsable(const struct alog_fmt *f)
{
	size_t k;

	for (k = 0; k + 1 < f->nitem; k++) {
		if (f->item[k].id == ALOG_D_LIT ||
		    f->item[k + 1].id == ALOG_D_LIT)
			continue;
		if (f->item[k].pclass == ALOG_PC_NUM ||
		    f->item[k].pclass == ALOG_PC_TIME)
			continue;
		if (f->item[k + 1].id == ALOG_D_QUERY &&
		    f->item[k].id != ALOG_D_QUERY)
			continue;
		return (false);
	}
	return (true);
}

struct alog_fmt *
alog_fmt_compile(const char *fmt, char *err, size_t errlen)
{
	struct comp c;
	struct alog_fmt *f;
	const char *nf;
	size_t len, i;

	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (fmt == NULL || fmt[0] == '\0') {
		comp_err(&c, 1, "empty format");
		return (NULL);
	}
	if ((nf = alog_fmt_named(fmt)) != NULL)
		fmt = nf;
	len = strlen(fmt);
	if (len > ALOG_FMT_MAX) {
		comp_err(&c, ALOG_FMT_MAX + 1, "format longer than %d bytes",
		    ALOG_FMT_MAX);
		return (NULL);
	}
	/*
	 * Sized for the worst case so compiling never reallocates: each byte
	 * is at most one item, one status or one text byte plus a NUL.
	 */
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->item = calloc(len + 1, sizeof(*f->item))) == NULL ||
	    (f->cond = calloc(len + 1, sizeof(*f->cond))) == NULL ||
	    (f->text = malloc(2 * len + 2)) == NULL ||
	    (f->fitem = calloc(len + 1, sizeof(*f->fitem))) == NULL ||
	    (f->src = strdup(fmt)) == NULL) {
		comp_err(&c, 1, "out of memory");
		alog_fmt_free(f);
		return (NULL);
	}
	c.f = f;
	c.s = fmt;
	i = 0;
	while (fmt[i] != '\0') {
		if (comp_lit(&c, &i) == -1 ||
		    (fmt[i] == '%' && comp_dir(&c, &i) == -1)) {
			alog_fmt_free(f);
			return (NULL);
		}
	}
	f->parsable = comp_parsable(f);
	return (f);
}

void
alog_fmt_free(struct alog_fmt *f)
{
	if (f == NULL)
		return;
	free(f->item);
	free(f->cond);
	free(f->text);
	free(f->src);
	free(f->fitem);
	free(f);
}

const char *
alog_fmt_text(const struct alog_fmt *f)
{
	return (f->src);
}

size_t
alog_fmt_nfields(const struct alog_fmt *f)
{
	return (f->nfield);
}

bool
alog_fmt_parsable(const struct alog_fmt *f)
{
	return (f->parsable);
}

int
alog_fmt_find(const struct alog_fmt *f, enum alog_dir id, const char *param)
{
	size_t k;
	int n = 0;

	for (k = 0; k < f->nitem; k++) {
		const struct alog_item *it = &f->item[k];

		if (it->id == ALOG_D_LIT)
			continue;
		if (it->id == id && (param == NULL ||
		    (it->len > 0 && strcasecmp(f->text + it->off,
		    param) == 0) || (it->len == 0 && param[0] == '\0')))
			return (n);
		n++;
	}
	return (-1);
}

void
alog_rec_init(struct alog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->bytes_in = -1;
	r->bytes_out = -1;
	r->srv_connect_us = -1;
	r->srv_first_us = -1;
}
