/*
 * mode: http — HTTP/1.x from a client to one backend connection at a time.
 *
 * A session reads one request head, rewrites it (its own version, hop-by-hop
 * fields dropped, one normalised Content-Length, origin-form target, the
 * client address added), streams the body on as it was framed, then reads
 * the response head, rewrites it the same way and streams the response
 * body.  Only then is the next request read: pipelined requests wait in the
 * input buffer (or the kernel), so answers go out in order by construction.
 *
 * I/O is the same kind as mode tcp (events on the sockets, recv/send, the
 * session's own buffers) rather than bufferevents, for the reasons given at
 * the top of tcp.c.  Every buffer is bounded: a body moves only while the
 * other side's output holds less than `buffer` bytes, and a side is not read
 * while its input buffer is full, so a 10 GiB body costs what a 10 KiB one
 * does.
 *
 * One state machine, driven level-style: every event only records what
 * happened (bytes read, EOF, writable), then px_http_run() moves whatever
 * can move and recomputes which events and which deadline are wanted.
 *
 * A backend connection both ends keep alive goes back to the worker's
 * pool (pool.c) after its response, for the next request to the same
 * server from any client.  A request sent on such a reused connection
 * that the backend closes before any response byte is sent once more on
 * a fresh connection, if it is idempotent and has no body (its head is
 * kept for that): the backend may have timed the connection out just as
 * the request went.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log/log.h"
#include "proxy/h1.h"
#include "proxy/proxy.h"

enum { PX_CLI = 0, PX_SRV = 1 };

#define PX_HTTP_RESP_HEAD_MAX	(64 * 1024)	/* response heads we take */
#define PX_HTTP_RESP_HDR_MAX	256		/* response header fields */
#define PX_HTTP_LINGER_MS	2000	/* reading after our last response */
#define PX_HTTP_READS_MAX	4	/* reads per wake-up, for fairness */

enum px_http_phase {
	PX_HP_HEAD = 0,		/* reading a request head */
	PX_HP_REQ,		/* a request is being forwarded and answered */
	PX_HP_CLOSING,		/* last response queued; flush, then close */
	PX_HP_TUNNEL,		/* after a 101: bytes both ways, no HTTP */
};

enum px_http_srv {
	PX_HS_NONE = 0,		/* no backend connection */
	PX_HS_CONNECTING,
	PX_HS_READY,
};

/* Bytes read from a peer: unconsumed ones are p[off..len). */
struct px_hin {
	char		*p;		/* owned */
	size_t		 off;
	size_t		 len;
	size_t		 cap;
};

/* Bytes waiting to be sent to a peer: p[off..len). */
struct px_hout {
	char		*p;		/* owned; grows for heads only */
	size_t		 off;
	size_t		 len;
	size_t		 cap;
};

struct px_http {
	struct px_sess		 s;		/* first: the shared part */
	int			 fd[2];		/* [PX_CLI] owned; [PX_SRV]
						   that of bc */
	struct event		*rev[2];	/* [PX_CLI] in this allocation,
						   [PX_SRV] bc's */
	struct event		*wev[2];	/* [PX_CLI] w's, [PX_SRV] bc's */
	struct px_bconn		*bc;		/* owned; the backend conn */
	struct ssl_st		*ssl[2];	/* [PX_CLI] owned, [PX_SRV] bc's;
						   NULL = plain TCP */
	uint8_t			 blk[2];	/* PX_IO_* of side i */
	struct event		*tmo;		/* in this allocation */
	bool			 assigned[2];	/* rev[i], wev[i] set up */
	bool			 eof[2];	/* FIN read from side i */
	struct px_hin		 in[2];		/* read from side i */
	struct px_hout		 out[2];	/* to be sent to side i */

	enum px_http_phase	 phase;
	enum px_http_srv	 srv;
	const struct conf_sockaddr *srv_addr;	/* borrowed from s.gen */
	struct px_server	*sv;		/* borrowed from s.gen */
	bool			 sv_busy;	/* counted in sv's inflight */
	bool			 srv_wdead;	/* backend stopped reading */
	bool			 srv_keep;	/* backend conn reusable */
	bool			 cli_keep;	/* client conn continues */
	bool			 resp_head;	/* response head parsed */
	bool			 resp_sent;	/* a final head went out */
	bool			 dechunk;	/* 1.0 client, chunked reply */
	bool			 shut;		/* our FIN went to the client */
	bool			 srv_reused;	/* taken from the pool */
	bool			 stopping;	/* no request after this one */
	bool			 retried;	/* request sent twice */
	bool			 be_req;	/* the exchange is counted in
						   the backend's counters */
	bool			 tshut[2];	/* TUNNEL: FIN sent to side i */
	unsigned		 nreq;		/* requests started */

	uint64_t		 t_head;	/* ms: this head's first byte */
	uint64_t		 t_conn;	/* ms: connect started */
	uint64_t		 t_sent;	/* ms: request complete */
	uint64_t		 t_cli;		/* ms: client body progress */
	uint64_t		 t_io;		/* ms: last byte either way */
	uint64_t		 t_close;	/* ms: entered PX_HP_CLOSING */

	/*
	 * What only an exchange in progress needs lives in a work area
	 * (w), taken from the worker when a request's first byte arrives
	 * and given back when the connection goes idle: the parsers and their
	 * field arrays, the input buffers (in[i].p), the output buffers
	 * (out[i].p) and the access-log copies.  An idle keep-alive session
	 * holds none of it.
	 */
	struct px_hwork		*w;		/* owned; NULL when idle */
	struct px_h1		*req;		/* &w->req */
	struct px_h1		*resp;		/* &w->resp */

	bool			 lg_want;	/* the listener logs */
	bool			 lg_on;		/* a line is owed (w is set) */
	char			 fail_hdr[48];	/* extra field of px_http_fail */
};

#define PX_HTTP_HOST_MAX	256	/* %V bytes logged */
#define PX_HTTP_WORK_CACHE	64	/* idle work areas kept per worker */

struct px_hwork {
	struct px_hwork		*next;		/* in the worker's cache */
	size_t			 maplen;	/* the whole area's mapping */
	struct event		*wev;		/* in the mapping: the client's
						   write event */
	struct px_h1		 req;
	struct px_h1		 resp;
	struct px_h1_hdr	*req_hdr;	/* in the mapping; nreq_hdr */
	size_t			 nreq_hdr;
	struct alog_hdr		*lg_hdr;	/* in the mapping; nlg_hdr */
	size_t			 nlg_hdr;
	char			*in[2];		/* in the mapping; incap[i] */
	size_t			 incap[2];
	char			*out[2];	/* owned; outcap[i] */
	size_t			 outcap[2];
	char			*rhead;		/* owned; head to send again */
	size_t			 rhead_len;
	size_t			 rhead_cap;
	struct px_server	*tried[PX_TRIES_MAX];	/* servers this request
						   tried to connect to */
	int			 ntried;

	/*
	 * The access-log line of the exchange in progress.  The request head
	 * is overwritten by its own body as that streams, and the response
	 * head is cut from its buffer once parsed, so both are copied when
	 * parsed (only if the listener logs) and the line reads the copies.
	 */
	bool			 lg_parsed;	/* request head parsed */
	int			 lg_status;	/* our own answer; 0 = none */
	int			 lg_orig;	/* backend's status; 0 = none */
	int64_t			 lg_body;	/* our answer's body; -1 */
	int64_t			 lg_in;		/* request bytes read */
	int64_t			 lg_out;	/* bytes sent to the client */
	int64_t			 lg_k;		/* requests before this one */
	int64_t			 lg_conn_us;	/* new backend conn; -1 */
	int64_t			 lg_first_us;	/* first response byte; -1 */
	uint64_t		 lg_req_us;	/* monotonic: head parsed */
	uint64_t		 lg_conn_t0;	/* monotonic: connect() */
	const char		*lg_end;	/* %^xe word, if known */
	struct timespec		 lg_begin;
	char			*lg_req;	/* owned; request head copy */
	size_t			 lg_req_cap;
	char			*lg_resp;	/* owned; response head copy */
	size_t			 lg_resp_len;
	size_t			 lg_resp_cap;

	struct px_h1_hdr	 resp_hdr[PX_HTTP_RESP_HDR_MAX];
};

static void	px_http_run(struct px_http *);
static int	px_http_connfail(struct px_http *, int);
static int	px_http_stats(struct px_http *);
static void	px_http_trim_arm(struct px_worker *);
static void	px_http_read(evutil_socket_t, short, void *);
static void	px_http_write(evutil_socket_t, short, void *);

static const char *
px_http_reason(int status)
{
	switch (status) {
	case 400: return ("Bad Request");
	case 403: return ("Forbidden");
	case 408: return ("Request Timeout");
	case 413: return ("Content Too Large");
	case 414: return ("URI Too Long");
	case 429: return ("Too Many Requests");
	case 431: return ("Request Header Fields Too Large");
	case 501: return ("Not Implemented");
	case 502: return ("Bad Gateway");
	case 503: return ("Service Unavailable");
	case 504: return ("Gateway Timeout");
	case 505: return ("HTTP Version Not Supported");
	}
	return ("Error");
}

static void
px_http_srv_drop(struct px_http *h)
{
	px_bconn_close(h->bc);
	h->bc = NULL;
	h->fd[PX_SRV] = -1;
	h->ssl[PX_SRV] = NULL;
	h->blk[PX_SRV] = 0;
	h->rev[PX_SRV] = h->wev[PX_SRV] = NULL;
	h->assigned[PX_SRV] = false;
	h->srv = PX_HS_NONE;
	if (h->sv_busy)
		px_server_release(h->sv);
	h->sv_busy = false;
	h->eof[PX_SRV] = false;
	h->srv_wdead = false;
	h->in[PX_SRV].off = h->in[PX_SRV].len = 0;
	h->out[PX_SRV].off = h->out[PX_SRV].len = 0;
}

/* Takes h->bc's socket and events as the backend side. */
static void
px_http_attach(struct px_http *h)
{
	h->fd[PX_SRV] = h->bc->fd;
	h->ssl[PX_SRV] = h->bc->ssl;
	h->blk[PX_SRV] = 0;
	h->rev[PX_SRV] = h->bc->rev;
	h->wev[PX_SRV] = h->bc->wev;
	h->assigned[PX_SRV] = true;
}

/* Copies n bytes of a head into *dst, growing it; -1 out of memory. */
static int
px_http_lg_copy(char **dst, size_t *cap, const char *p, size_t n)
{
	char *np;

	if (n > *cap) {
		if ((np = realloc(*dst, n)) == NULL)
			return (-1);
		*dst = np;
		*cap = n;
	}
	memcpy(*dst, p, n);
	return (0);
}

/* The first bytes of a head arrived: a line is owed from now on. */
static void
px_http_lg_start(struct px_http *h)
{
	if (h->lg_on)
		return;
	h->lg_on = true;
	h->w->lg_parsed = false;
	h->w->lg_status = h->w->lg_orig = 0;
	h->w->lg_body = -1;
	h->w->lg_in = h->w->lg_out = 0;
	h->w->lg_k = h->nreq;
	h->w->lg_conn_us = h->w->lg_first_us = -1;
	h->w->lg_resp_len = 0;
	h->w->lg_end = NULL;
	clock_gettime(CLOCK_REALTIME, &h->w->lg_begin);
}

/* A span of a head copy as a log string. */
static struct alog_str
px_http_lg_str(const char *buf, struct px_h1_span sp)
{
	struct alog_str s;

	s.p = buf + sp.off;
	s.len = sp.len;
	return (s);
}

/* The first line of a head, without its CR LF; at most max bytes. */
static struct alog_str
px_http_lg_line(const char *p, size_t len, size_t max)
{
	struct alog_str	s;
	size_t		i;

	for (i = 0; i < len && i < max && p[i] != '\r' && p[i] != '\n'; i++)
		;
	s.p = p;
	s.len = i;
	return (s);
}

/* %V: the Host (or target authority) host, lowercased, port dropped. */
static void
px_http_lg_host(struct px_http *h, struct alog_rec *r, char *host)
{
	struct alog_str	a = px_http_lg_str(h->w->lg_req, h->req->authority);
	const char	*e;
	size_t		 i;

	if (a.len == 0)
		return;
	if (a.p[0] == '[') {
		if ((e = memchr(a.p, ']', a.len)) != NULL)
			a.len = (size_t)(e - a.p) + 1;
	} else if ((e = memchr(a.p, ':', a.len)) != NULL)
		a.len = (size_t)(e - a.p);
	if (a.len > PX_HTTP_HOST_MAX)
		a.len = PX_HTTP_HOST_MAX;
	for (i = 0; i < a.len; i++)
		host[i] = (char)(a.p[i] >= 'A' && a.p[i] <= 'Z' ?
		    a.p[i] + 32 : a.p[i]);
	r->host.p = host;
	r->host.len = a.len;
}

/* The request fields of the record, from the parsed head's copy. */
static void
px_http_lg_req(struct px_http *h, struct alog_rec *r, char *host)
{
	const struct px_h1	*q = h->req;
	const char		*buf = h->w->lg_req, *qm;
	struct alog_str		 line;
	size_t			 i, end;

	r->method = px_http_lg_str(buf, q->method);
	r->target = px_http_lg_str(buf, q->target);
	line = px_http_lg_line(buf + q->method.off, q->head_len -
	    q->method.off, q->head_len);
	r->reqline = line;
	end = q->target.off + q->target.len + 1;
	if (end < q->method.off + line.len) {
		r->proto.p = buf + end;
		r->proto.len = q->method.off + line.len - end;
	}
	if (q->form == PX_H1_FORM_ORIGIN || q->form == PX_H1_FORM_ABSOLUTE) {
		r->path = px_http_lg_str(buf, q->path);
		if ((qm = memchr(r->path.p, '?', r->path.len)) != NULL) {
			r->query.p = qm + 1;
			r->query.len = r->path.len - (size_t)(qm - r->path.p) -
			    1;
			r->path.len = (size_t)(qm - r->path.p);
		}
		/* An absolute-form target without a path means "/". */
		if (r->path.len == 0) {
			r->path.p = "/";
			r->path.len = 1;
		}
	}
	for (i = 0; i < q->nhdr; i++) {
		h->w->lg_hdr[i].name = buf + q->hdr[i].name.off;
		h->w->lg_hdr[i].namelen = q->hdr[i].name.len;
		h->w->lg_hdr[i].value = buf + q->hdr[i].value.off;
		h->w->lg_hdr[i].valuelen = q->hdr[i].value.len;
	}
	r->req_hdr = h->w->lg_hdr;
	r->nreq_hdr = q->nhdr;
	px_http_lg_host(h, r, host);
}

/* Counts an exchange that ends, where its access-log line is written. */
static void
px_http_count(struct px_http *h)
{
	struct px_st	*st = h->s.st;
	int		 wi = h->s.wk->idx, status;

	status = h->w->lg_status != 0 ? h->w->lg_status : h->w->lg_orig;
	px_st_add(st, wi, PX_SL_REQS, 1);
	px_st_add(st, wi, PX_SL_IN, h->w->lg_parsed ?
	    (uint64_t)h->w->lg_in : (uint64_t)h->in[PX_CLI].len);
	px_st_add(st, wi, PX_SL_OUT, (uint64_t)h->w->lg_out);
	if (status >= 100 && status < 600)
		px_st_add(st, wi, PX_SL_RESP + (unsigned)(status / 100 - 1), 1);
	if (!h->be_req)
		return;
	h->be_req = false;
	st = px_gen_backend(h->s.gen, h->s.ln->backend)->st;
	px_st_add(st, wi, PX_SB_REQS, 1);
	if (status >= 100 && status < 600)
		px_st_add(st, wi, PX_SB_RESP + (unsigned)(status / 100 - 1), 1);
}

/*
 * Writes the line owed for the exchange, if any: once per request, when
 * its answer is sent or the exchange ends otherwise.  conn is %X; end the
 * %^xe word when the exchange did not set one itself.
 */
static void
px_http_log(struct px_http *h, enum alog_conn conn, const char *end)
{
	struct alog_rec		 r;
	struct alog_hdr		*rh;
	const struct px_h1	*p = h->resp;
	char			 host[PX_HTTP_HOST_MAX];
	size_t			 i;

	if (!h->lg_on)
		return;
	h->lg_on = false;
	px_http_count(h);
	if (!h->lg_want)
		return;
	alog_rec_init(&r);
	r.begin = h->w->lg_begin;
	r.keepalives = h->w->lg_k;
	r.conn = conn;
	r.server.p = h->s.ln->name;
	r.server.len = strlen(h->s.ln->name);
	r.bytes_out = h->w->lg_out;
	if (h->w->lg_parsed) {
		px_http_lg_req(h, &r, host);
		r.bytes_in = h->w->lg_in;
	} else {
		/* As Apache: the raw first line of what could not parse. */
		r.reqline = px_http_lg_line(h->in[PX_CLI].p,
		    h->in[PX_CLI].len, (size_t)h->s.ln->uri_length + 64);
		r.bytes_in = (int64_t)h->in[PX_CLI].len;
	}
	r.status = h->w->lg_status != 0 ? h->w->lg_status : h->w->lg_orig;
	if (h->w->lg_orig != 0 && h->w->lg_orig != r.status)
		r.status_orig = h->w->lg_orig;
	if (h->w->lg_body >= 0)
		r.body_bytes = h->w->lg_body;
	else if (h->w->lg_status == 0 && h->w->lg_resp_len > 0)
		r.body_bytes = (int64_t)p->body_bytes;
	if (h->w->lg_status == 0 && h->w->lg_resp_len > 0) {
		rh = h->w->lg_hdr + h->s.ln->header_count;
		for (i = 0; i < p->nhdr; i++) {
			rh[i].name = h->w->lg_resp + p->hdr[i].name.off;
			rh[i].namelen = p->hdr[i].name.len;
			rh[i].value = h->w->lg_resp + p->hdr[i].value.off;
			rh[i].valuelen = p->hdr[i].value.len;
		}
		r.resp_hdr = rh;
		r.nresp_hdr = p->nhdr;
	}
	if (h->w->lg_parsed && h->srv_addr != NULL &&
	    h->s.ln->backend->builtin == CONF_BUILTIN_NONE)
		r.srv = (const struct sockaddr *)&h->srv_addr->ss;
	r.srv_connect_us = h->w->lg_conn_us;
	r.srv_first_us = h->w->lg_first_us;
	if (h->w->lg_end != NULL)
		end = h->w->lg_end;
	r.end_reason.p = end;
	r.end_reason.len = strlen(end);
	px_tls_info(h->ssl[PX_CLI], &r.tls_proto, &r.tls_cipher, &r.tls_sni);
	px_alog_emit(&h->s, &r);
}

/* The %^xe word for a session closed for why. */
static const char *
px_http_end_word(const char *why)
{
	static const struct {
		const char *why, *word;
	} words[] = {
		{ "tunnel done", "ok" }, { "done", "cli_closed" },
		{ "client closed", "cli_closed" },
		{ "client done", "cli_closed" },
		{ "client error", "cli_error" },
		{ "response stalled", "srv_timeout" },
		{ "bad response body", "srv_error" },
		{ "tunnel idle", "idle_timeout" },
		{ "shutdown", "shutdown" },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(why, words[i].why) == 0)
			return (words[i].word);
	return ("error");
}

static size_t
px_http_pages(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return ((n + pg - 1) / pg * pg);
}

/*
 * A work area is one mapping: the struct, the client's write event, the
 * field arrays, then the two input buffers on their own pages, each
 * followed by an inaccessible guard page.  Mapped rather than allocated so
 * that a trimmed area gives all its pages back to the system (only what it
 * touched was ever resident), and guarded because a sanitizer sees no
 * bounds inside a mapping.
 */
static struct px_hwork *
px_http_work_new(size_t nreq, size_t nlg, size_t cap0, size_t cap1)
{
	struct px_hwork	*w;
	size_t		 head, l0, l1, len, pg = px_http_pages(1);
	char		*m;

	head = sizeof(*w) + event_get_struct_event_size();
	head = (head + 15) & ~(size_t)15;
	head = px_http_pages(head + nreq * sizeof(struct px_h1_hdr) +
	    nlg * sizeof(struct alog_hdr));
	l0 = px_http_pages(cap0);
	l1 = px_http_pages(cap1);
	len = head + l0 + pg + l1 + pg;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return (NULL);
	if (mprotect(m + head + l0, pg, PROT_NONE) == -1 ||
	    mprotect(m + len - pg, pg, PROT_NONE) == -1) {
		munmap(m, len);
		return (NULL);
	}
	w = (struct px_hwork *)(void *)m;	/* zeroed by the kernel */
	w->maplen = len;
	w->wev = (struct event *)(void *)(w + 1);
	w->req_hdr = (struct px_h1_hdr *)(void *)(m +
	    ((sizeof(*w) + event_get_struct_event_size() + 15) &
	    ~(size_t)15));
	w->nreq_hdr = nreq;
	w->lg_hdr = nlg > 0 ? (struct alog_hdr *)(void *)(w->req_hdr +
	    nreq) : NULL;
	w->nlg_hdr = nlg;
	w->in[0] = m + head;
	w->in[1] = m + head + l0 + pg;
	w->incap[0] = l0;
	w->incap[1] = l1;
	return (w);
}

static void
px_http_work_free(struct px_hwork *w)
{
	int i;

	for (i = 0; i < 2; i++)
		free(w->out[i]);
	free(w->lg_req);
	free(w->lg_resp);
	free(w->rhead);
	munmap(w, w->maplen);
}

/*
 * Gives h a work area, from the worker's cache if it has one, sized for
 * its listener.  -1 when out of memory.
 */
static int
px_http_work_get(struct px_http *h)
{
	const struct conf_listener *ln = h->s.ln;
	struct px_worker	*wk = h->s.wk;
	struct px_h1_limits	 lim;
	struct px_hwork		*w;
	size_t			 nreq = (size_t)ln->header_count, nlg;
	int			 i;

	nlg = h->lg_want ? nreq + PX_HTTP_RESP_HDR_MAX : 0;
	if ((w = wk->hwork) != NULL) {
		wk->hwork = w->next;
		if (--wk->nhwork < wk->hwork_low)
			wk->hwork_low = wk->nhwork;
		/* Made for a listener with smaller limits: replaced. */
		if (w->nreq_hdr < nreq || w->nlg_hdr < nlg ||
		    w->incap[0] < h->in[0].cap || w->incap[1] < h->in[1].cap) {
			px_http_work_free(w);
			w = NULL;
		}
	}
	if (w == NULL && (w = px_http_work_new(nreq, nlg, h->in[0].cap,
	    h->in[1].cap)) == NULL)
		return (-1);
	h->w = w;
	h->req = &w->req;
	h->resp = &w->resp;
	for (i = 0; i < 2; i++) {
		h->in[i].p = w->in[i];
		h->out[i].p = w->out[i];
		h->out[i].cap = w->outcap[i];
	}
	w->rhead_len = 0;
	h->wev[PX_CLI] = w->wev;
	event_assign(h->wev[PX_CLI], wk->base, h->fd[PX_CLI],
	    EV_WRITE | EV_PERSIST, px_http_write, h);

	px_h1_limits_default(&lim);
	lim.head_max = (size_t)ln->header_size;
	lim.uri_max = (size_t)ln->uri_length;
	lim.hdr_count_max = nreq;
	lim.body_max = ln->body_size;
	px_h1_init(h->req, PX_H1_REQ, &lim, w->req_hdr, nreq);
	px_h1_limits_default(&lim);
	lim.head_max = PX_HTTP_RESP_HEAD_MAX;
	lim.hdr_count_max = PX_HTTP_RESP_HDR_MAX;
	px_h1_init(h->resp, PX_H1_RESP, &lim, w->resp_hdr,
	    PX_HTTP_RESP_HDR_MAX);
	return (0);
}

/*
 * Takes h's work area back (what grew in it stays with it) into the
 * worker's cache, or frees it when the cache is full.  Only when nothing
 * is buffered either way.
 */
static void
px_http_work_put(struct px_http *h)
{
	struct px_worker	*wk = h->s.wk;
	struct px_hwork		*w = h->w;
	int			 i;

	if (w == NULL)
		return;
	for (i = 0; i < 2; i++) {
		w->out[i] = h->out[i].p;
		w->outcap[i] = h->out[i].cap;
		h->in[i].p = h->out[i].p = NULL;
		h->in[i].off = h->in[i].len = 0;
		h->out[i].off = h->out[i].len = h->out[i].cap = 0;
	}
	event_del(h->wev[PX_CLI]);
	h->wev[PX_CLI] = NULL;
	h->req = h->resp = NULL;
	h->w = NULL;
	if (wk->nhwork >= PX_HTTP_WORK_CACHE) {
		px_http_work_free(w);
		return;
	}
	w->next = wk->hwork;
	wk->hwork = w;
	wk->nhwork++;
	px_http_trim_arm(wk);
}

/*
 * Once a second, the work areas that stayed in the cache the whole second
 * (its low-water mark) are freed: after a burst, a worker's idle
 * connections cost only their sessions again.
 */
static void
px_http_trim(evutil_socket_t fd, short what, void *arg)
{
	struct px_worker	*wk = arg;
	struct px_hwork		*w;

	for (; wk->hwork_low > 0 && (w = wk->hwork) != NULL;
	    wk->hwork_low--) {
		wk->hwork = w->next;
		wk->nhwork--;
		px_http_work_free(w);
	}
	wk->hwork_low = wk->nhwork;
	px_http_trim_arm(wk);
}

static void
px_http_trim_arm(struct px_worker *wk)
{
	struct timeval tv = { 1, 0 };

	if (wk->nhwork == 0)
		return;
	if (wk->hwork_trim == NULL) {
		wk->hwork_trim = evtimer_new(wk->base, px_http_trim, wk);
		if (wk->hwork_trim == NULL)
			return;
	}
	if (!evtimer_pending(wk->hwork_trim, NULL)) {
		wk->hwork_low = wk->nhwork;
		evtimer_add(wk->hwork_trim, &tv);
	}
}

void
px_http_worker_fini(struct px_worker *wk)
{
	struct px_hwork *w;

	while ((w = wk->hwork) != NULL) {
		wk->hwork = w->next;
		px_http_work_free(w);
	}
	wk->nhwork = wk->hwork_low = 0;
	if (wk->hwork_trim != NULL)
		event_free(wk->hwork_trim);
	wk->hwork_trim = NULL;
}

void
px_http_close(struct px_sess *s, const char *why)
{
	struct px_http	*h = (struct px_http *)s;

	/* A relayed upgrade ends well when both sides are done. */
	px_http_log(h, h->phase == PX_HP_TUNNEL && strcmp(why, "tunnel done")
	    == 0 ? ALOG_CONN_CLOSE : ALOG_CONN_ABORTED, px_http_end_word(why));

	if (px_log_enabled(CONF_LOG_DEBUG))
		px_log(CONF_LOG_DEBUG, "%s: %s: http closed (%s), %u requests",
		    s->ln->name, px_sess_peer(s), why, h->nreq);
	px_http_srv_drop(h);
	px_http_work_put(h);
	if (h->assigned[PX_CLI])
		event_del(h->rev[PX_CLI]);
	if (h->tmo != NULL)
		event_del(h->tmo);
	px_tls_free_ssl(h->ssl[PX_CLI]);
	if (h->fd[PX_CLI] != -1)
		close(h->fd[PX_CLI]);
	px_sess_fini(s);
	free(h);
}

void
px_http_stop(struct px_sess *s)
{
	struct px_http *h = (struct px_http *)s;

	h->stopping = true;
	if (h->phase == PX_HP_HEAD && h->in[PX_CLI].len == 0)
		px_http_close(s, "shutdown");
}

/* Makes room for n more bytes in o; -1 when out of memory. */
static int
px_hout_room(struct px_hout *o, size_t n)
{
	char	*np;
	size_t	 cap;

	if (o->off == o->len)
		o->off = o->len = 0;
	if (o->len + n <= o->cap)
		return (0);
	if (o->off > 0) {
		memmove(o->p, o->p + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
		if (o->len + n <= o->cap)
			return (0);
	}
	for (cap = o->cap ? o->cap : 4096; cap < o->len + n; cap *= 2)
		;
	if ((np = realloc(o->p, cap)) == NULL)
		return (-1);
	o->p = np;
	o->cap = cap;
	return (0);
}

static int
px_hout_add(struct px_hout *o, const void *p, size_t n)
{
	if (n == 0)
		return (0);
	if (px_hout_room(o, n) == -1)
		return (-1);
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return (0);
}

static int
px_hout_str(struct px_hout *o, const char *s)
{
	return (px_hout_add(o, s, strlen(s)));
}

static size_t
px_hout_pending(const struct px_hout *o)
{
	return (o->len - o->off);
}

/* Puts n bytes before what o holds; -1 when out of memory. */
static int
px_hout_prepend(struct px_hout *o, const void *p, size_t n)
{
	size_t pending = px_hout_pending(o);

	if (px_hout_room(o, n) == -1)
		return (-1);
	memmove(o->p + o->off + n, o->p + o->off, pending);
	memcpy(o->p + o->off, p, n);
	o->len += n;
	return (0);
}

/* "name: value\r\n" with both taken from a head buffer. */
static int
px_hout_field(struct px_hout *o, const char *buf, const struct px_h1_hdr *f)
{
	if (px_hout_add(o, buf + f->name.off, f->name.len) == -1 ||
	    px_hout_add(o, ": ", 2) == -1 ||
	    px_hout_add(o, buf + f->value.off, f->value.len) == -1 ||
	    px_hout_add(o, "\r\n", 2) == -1)
		return (-1);
	return (0);
}

static bool
px_http_name_is(const char *buf, const struct px_h1_hdr *f, const char *name)
{
	size_t n = strlen(name);

	return (f->name.len == n &&
	    strncasecmp(buf + f->name.off, name, n) == 0);
}

/*
 * The session cannot go on: with no final response sent yet, the client
 * gets `status` with Connection: close; once one has started, the
 * connection is simply closed.  One info line says why.  Returns -1 when
 * the session is gone, 0 when the error response is queued.
 */
static int
px_http_fail(struct px_http *h, int status, const char *why)
{
	char		 head[512], body[128];
	const char	*end;
	int		 blen;

	/* The %^xe word: whose fault, from the status we would answer. */
	end = status == 408 ? "cli_timeout" : status == 502 ? "srv_error" :
	    status == 503 ? "srv_unavailable" : status == 504 ?
	    "srv_timeout" : status == 403 ? "denied" : status == 429 ?
	    "rate_limited" : "bad_request";
	if (h->resp_sent || h->phase == PX_HP_CLOSING || h->shut) {
		px_log(CONF_LOG_INFO, "%s: %s: %s; response cut short",
		    h->s.ln->name, px_sess_peer(&h->s), why);
		if (h->w->lg_end == NULL)
			h->w->lg_end = end;
		px_http_close(&h->s, why);
		return (-1);
	}
	px_st_add(h->s.st, h->s.wk->idx, PX_SL_ERRORS, 1);
	/* Refusals (403, 429) have their own rate-limited line. */
	if (status != 403 && status != 429)
		px_log(CONF_LOG_INFO, "%s: %s: %d %s", h->s.ln->name,
		    px_sess_peer(&h->s), status, why);
	px_http_lg_start(h);
	h->w->lg_status = status;
	h->w->lg_body = 0;
	if (h->w->lg_end == NULL)
		h->w->lg_end = end;
	px_http_srv_drop(h);
	blen = snprintf(body, sizeof(body), "%d %s\n", status,
	    px_http_reason(status));
	(void)snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Server: v6front/%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "Cache-Control: no-store\r\n%s"
	    "Connection: close\r\n\r\n", status, px_http_reason(status),
	    V6F_VERSION, blen, h->fail_hdr);
	h->fail_hdr[0] = '\0';
	if (px_hout_str(&h->out[PX_CLI], head) == -1 ||
	    (h->req->meth != PX_H1_M_HEAD &&
	    px_hout_add(&h->out[PX_CLI], body, (size_t)blen) == -1)) {
		px_http_close(&h->s, "out of memory");
		return (-1);
	}
	if (h->req->meth != PX_H1_M_HEAD)
		h->w->lg_body = blen;
	h->resp_sent = true;
	h->phase = PX_HP_CLOSING;
	h->t_close = px_now_ms();
	return (0);
}

/* Whether the client address may speak for others (trust_forwarded_from). */
static bool
px_http_trusted(const struct px_http *h)
{
	size_t i;

	for (i = 0; i < h->s.ln->ntrust; i++)
		if (conf_cidr_match(&h->s.ln->trust[i],
		    (const struct sockaddr *)&h->s.cli_addr))
			return (true);
	return (false);
}

/*
 * Appends "Name: v1, v2, ..." joining every field called name in the
 * request (only when trusted) and then ours (when non-NULL).  Returns 1 when
 * a field was written, 0 when there was nothing to write, -1 out of memory.
 */
static int
px_http_add_joined(struct px_http *h, struct px_hout *o, const char *name,
    bool trusted, const char *ours)
{
	const char	*buf = h->in[PX_CLI].p;
	size_t		 i;
	bool		 any = false;

	for (i = 0; trusted && i < h->req->nhdr; i++) {
		const struct px_h1_hdr *f = &h->req->hdr[i];

		if (!px_http_name_is(buf, f, name))
			continue;
		if ((any ? px_hout_add(o, ", ", 2) : (px_hout_str(o, name) |
		    px_hout_add(o, ": ", 2))) == -1 ||
		    px_hout_add(o, buf + f->value.off, f->value.len) == -1)
			return (-1);
		any = true;
	}
	if (ours != NULL) {
		if ((any ? px_hout_add(o, ", ", 2) : (px_hout_str(o, name) |
		    px_hout_add(o, ": ", 2))) == -1 ||
		    px_hout_str(o, ours) == -1)
			return (-1);
		any = true;
	}
	if (any && px_hout_add(o, "\r\n", 2) == -1)
		return (-1);
	return (any ? 1 : 0);
}

/*
 * The client-address fields as they go to the backend.  From a trusted
 * source the incoming X-Forwarded-For and Forwarded are kept and appended
 * to, and X-Real-IP and X-Forwarded-Proto kept if sent; from anyone else
 * all four are dropped, so a client cannot pass a forged address on.
 */
static int
px_http_add_forwarded(struct px_http *h, struct px_hout *o)
{
	const struct conf_listener *ln = h->s.ln;
	char	 addr[CONF_ADDRSTRLEN], fwd[CONF_ADDRSTRLEN + 32];
	bool	 trusted = px_http_trusted(h);
	int	 r;

	conf_addr_fmt((const struct sockaddr *)&h->s.cli_addr, false, addr,
	    sizeof(addr));
	/* RFC 7239 section 6: a port or an IPv6 address needs quotes. */
	(void)snprintf(fwd, sizeof(fwd), "for=\"%s\";proto=%s",
	    px_sess_peer(&h->s), h->ssl[PX_CLI] != NULL ? "https" : "http");
	if (px_http_add_joined(h, o, "X-Forwarded-For", trusted,
	    ln->fwd_xff ? addr : NULL) == -1 ||
	    px_http_add_joined(h, o, "Forwarded", trusted,
	    ln->fwd_rfc7239 ? fwd : NULL) == -1)
		return (-1);
	if ((r = px_http_add_joined(h, o, "X-Real-IP", trusted, NULL)) == -1)
		return (-1);
	if (r == 0 && ln->fwd_xrip && (px_hout_str(o, "X-Real-IP: ") == -1 ||
	    px_hout_str(o, addr) == -1 || px_hout_add(o, "\r\n", 2) == -1))
		return (-1);
	if ((r = px_http_add_joined(h, o, "X-Forwarded-Proto", trusted,
	    NULL)) == -1)
		return (-1);
	if (r == 0 && ln->fwd_xfp && px_hout_str(o, h->ssl[PX_CLI] != NULL ?
	    "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n") ==
	    -1)
		return (-1);
	return (0);
}

static bool
px_http_is_fwd_field(const char *buf, const struct px_h1_hdr *f)
{
	return (px_http_name_is(buf, f, "X-Forwarded-For") ||
	    px_http_name_is(buf, f, "Forwarded") ||
	    px_http_name_is(buf, f, "X-Real-IP") ||
	    px_http_name_is(buf, f, "X-Forwarded-Proto"));
}

/* Fields that never go on, in either direction. */
static bool
px_http_drop_field(const struct px_h1_hdr *f)
{
	return (f->hop || f->kind == PX_H1_H_TRAILER ||
	    f->kind == PX_H1_H_CONTENT_LENGTH);
}

/* The request head as the backend gets it, into o. */
static int
px_http_req_build(struct px_http *h, struct px_hout *o)
{
	const struct px_h1	*r = h->req;
	const char		*buf = h->in[PX_CLI].p;
	char			 cl[48];
	size_t			 i;

	if (px_hout_add(o, buf + r->method.off, r->method.len) == -1 ||
	    px_hout_add(o, " ", 1) == -1)
		return (-1);
	if (r->form == PX_H1_FORM_ABSOLUTE) {
		/* RFC 9112 section 3.2.2: origin-form to an origin server. */
		if ((r->path.len == 0 || buf[r->path.off] == '?') &&
		    px_hout_add(o, "/", 1) == -1)
			return (-1);
		if (px_hout_add(o, buf + r->path.off, r->path.len) == -1)
			return (-1);
	} else if (px_hout_add(o, buf + r->target.off, r->target.len) == -1)
		return (-1);
	/* Host first, from the authority when the target carried one. */
	if (px_hout_str(o, " HTTP/1.1\r\nHost: ") == -1 ||
	    px_hout_add(o, buf + r->authority.off, r->authority.len) == -1 ||
	    px_hout_add(o, "\r\n", 2) == -1)
		return (-1);
	for (i = 0; i < r->nhdr; i++) {
		const struct px_h1_hdr *f = &r->hdr[i];

		/* Upgrade is hop-by-hop, but an upgrade asks the next hop. */
		if (f->kind == PX_H1_H_UPGRADE && r->upgrade) {
			if (px_hout_field(o, buf, f) == -1)
				return (-1);
			continue;
		}
		if (px_http_drop_field(f) || f->kind == PX_H1_H_HOST ||
		    px_http_is_fwd_field(buf, f))
			continue;
		if (px_hout_field(o, buf, f) == -1)
			return (-1);
	}
	if (r->upgrade && px_hout_str(o, "Connection: Upgrade\r\n") == -1)
		return (-1);
	if (r->framing == PX_H1_BODY_LENGTH) {
		(void)snprintf(cl, sizeof(cl), "Content-Length: %llu\r\n",
		    (unsigned long long)r->clen);
		if (px_hout_str(o, cl) == -1)
			return (-1);
	}
	if (px_http_add_forwarded(h, o) == -1 || px_hout_add(o, "\r\n", 2) ==
	    -1)
		return (-1);
	return (0);
}

/* The response head as the client gets it, into o. */
static int
px_http_resp_build(struct px_http *h, struct px_hout *o, bool final)
{
	const struct px_h1	*r = h->resp;
	const char		*buf = h->in[PX_SRV].p;
	char			 line[64];
	size_t			 i;
	bool			 cl_done = false;

	(void)snprintf(line, sizeof(line), "HTTP/1.1 %d ", r->status);
	if (px_hout_str(o, line) == -1 ||
	    px_hout_add(o, buf + r->reason.off, r->reason.len) == -1 ||
	    px_hout_add(o, "\r\n", 2) == -1)
		return (-1);
	for (i = 0; i < r->nhdr; i++) {
		const struct px_h1_hdr *f = &r->hdr[i];

		/*
		 * HEAD and 304 carry a Content-Length without a body; 1xx
		 * and 204 must not carry one at all (RFC 9110 8.6).
		 */
		if (f->kind == PX_H1_H_CONTENT_LENGTH &&
		    (r->status < 200 || r->status == 204))
			continue;
		if (f->kind == PX_H1_H_CONTENT_LENGTH && !cl_done &&
		    r->framing != PX_H1_BODY_CHUNKED) {
			(void)snprintf(line, sizeof(line),
			    "Content-Length: %llu\r\n",
			    (unsigned long long)r->clen);
			if (px_hout_str(o, line) == -1)
				return (-1);
			cl_done = true;
			continue;
		}
		if (f->kind == PX_H1_H_UPGRADE && r->status == 101) {
			if (px_hout_field(o, buf, f) == -1)
				return (-1);
			continue;
		}
		if (px_http_drop_field(f) || (h->dechunk &&
		    f->kind == PX_H1_H_TRANSFER_ENCODING))
			continue;
		if (px_hout_field(o, buf, f) == -1)
			return (-1);
	}
	if (r->status == 101)
		return (px_hout_str(o, "Connection: Upgrade\r\n\r\n"));
	if (final && !h->cli_keep &&
	    px_hout_str(o, "Connection: close\r\n") == -1)
		return (-1);
	if (final && h->cli_keep && h->req->version == 10 &&
	    px_hout_str(o, "Connection: keep-alive\r\n") == -1)
		return (-1);
	return (px_hout_add(o, "\r\n", 2));
}

/*
 * Queues the whole answer of a builtin backend: the status line, the
 * fields every builtin sends, extra (whole header lines, or ""), and the
 * body unless the request was HEAD; the exchange's log fields follow.  A
 * builtin reads no request body, so a request that has one ends the
 * connection after the answer.  Returns -1 when out of memory.
 */
static int
px_http_builtin_reply(struct px_http *h, int status, const char *reason,
    const char *type, const char *extra, const char *body, size_t blen)
{
	const struct px_h1	*q = h->req;
	char			 head[512];

	h->cli_keep = q->keep_alive && q->framing == PX_H1_BODY_NONE;
	(void)snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Server: v6front/%s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n%s%s\r\n", status, reason,
	    V6F_VERSION, type, blen, extra,
	    !h->cli_keep ? "Connection: close\r\n" : q->version == 10 ?
	    "Connection: keep-alive\r\n" : "");
	if (px_hout_str(&h->out[PX_CLI], head) == -1 ||
	    (q->meth != PX_H1_M_HEAD &&
	    px_hout_add(&h->out[PX_CLI], body, blen) == -1))
		return (-1);
	h->resp_sent = true;
	h->w->lg_status = status;
	h->w->lg_body = q->meth != PX_H1_M_HEAD ? (int64_t)blen : 0;
	h->w->lg_end = "ok";
	return (0);
}

/*
 * The answer of `builtin: status` on an http listener: what the session
 * saw and the X-Forwarded-For it would have sent on.
 */
static int
px_http_status(struct px_http *h)
{
	const char	*buf = h->in[PX_CLI].p;
	struct px_hout	 xff = { NULL, 0, 0, 0 };
	struct sockaddr_storage loc;
	socklen_t	 loclen = sizeof(loc);
	char		 srv[PX_PEERSTRLEN], addr[CONF_ADDRSTRLEN];
	char		 body[1024];
	bool		 trusted = px_http_trusted(h);
	size_t		 i;
	int		 blen;

	if (getsockname(h->fd[PX_CLI], (struct sockaddr *)&loc, &loclen) == -1)
		memset(&loc, 0, sizeof(loc));
	conf_addr_fmt((const struct sockaddr *)&loc, true, srv, sizeof(srv));
	conf_addr_fmt((const struct sockaddr *)&h->s.cli_addr, false, addr,
	    sizeof(addr));
	for (i = 0; trusted && i < h->req->nhdr; i++) {
		const struct px_h1_hdr *f = &h->req->hdr[i];

		if (!px_http_name_is(buf, f, "X-Forwarded-For"))
			continue;
		if (px_hout_add(&xff, buf + f->value.off, f->value.len) == -1 ||
		    px_hout_add(&xff, ", ", 2) == -1)
			goto nomem;
	}
	if ((h->s.ln->fwd_xff ? px_hout_str(&xff, addr) :
	    px_hout_str(&xff, "(not sent)")) == -1 ||
	    px_hout_add(&xff, "", 1) == -1)
		goto nomem;
	blen = snprintf(body, sizeof(body),
	    "v6front %s status\n"
	    "client: %s (%s)\n"
	    "server: %s (listener %s)\n"
	    "x-forwarded-for: %.400s\n",
	    V6F_VERSION, px_sess_peer(&h->s),
	    strchr(px_sess_peer(&h->s), '[') != NULL ? "IPv6" : "IPv4", srv,
	    h->s.ln->name, xff.p);
	free(xff.p);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		blen = (int)sizeof(body) - 1;
	return (px_http_builtin_reply(h, 200, "OK",
	    "text/plain; charset=utf-8", "", body, (size_t)blen));
 nomem:
	free(xff.p);
	return (-1);
}

/*
 * The answer of `builtin: stats`: GET or HEAD /metrics (Prometheus text
 * format 0.0.4) or /stats (JSON), from the worker's current generation.
 */
static int
px_http_stats(struct px_http *h)
{
	const struct px_h1	*q = h->req;
	const struct px_gen	*g = h->s.wk->lset != NULL ?
				    h->s.wk->lset->gen : h->s.gen;
	const char		*p = "", *qm, *type, *reason, *allow = "";
	struct px_stbuf		 b = { NULL, 0, 0, false };
	size_t			 plen = 0;
	int			 status = 200, which = -1, r;

	if (q->form == PX_H1_FORM_ORIGIN || q->form == PX_H1_FORM_ABSOLUTE) {
		p = h->in[PX_CLI].p + q->path.off;
		plen = q->path.len;
		if ((qm = memchr(p, '?', plen)) != NULL)
			plen = (size_t)(qm - p);
	}
	if (plen == 8 && memcmp(p, "/metrics", 8) == 0)
		which = 1;
	else if (plen == 6 && memcmp(p, "/stats", 6) == 0)
		which = 0;
	if (which == -1) {
		status = 404;
		px_stbuf_printf(&b, "404 Not Found\n");
	} else if (q->meth != PX_H1_M_GET && q->meth != PX_H1_M_HEAD) {
		status = 405;
		allow = "Allow: GET, HEAD\r\n";
		px_stbuf_printf(&b, "405 Method Not Allowed\n");
	} else
		px_stats_render(&b, g, which == 1);
	if (b.oom) {
		free(b.p);
		return (-1);
	}
	reason = status == 200 ? "OK" : status == 404 ? "Not Found" :
	    "Method Not Allowed";
	type = status != 200 ? "text/plain; charset=utf-8" : which == 1 ?
	    "text/plain; version=0.0.4; charset=utf-8" : "application/json";
	r = px_http_builtin_reply(h, status, reason, type, allow, b.p, b.len);
	free(b.p);
	return (r);
}

/*
 * A new backend connection of a send_proxy backend starts with the PROXY
 * header, before the request already queued.  Such a connection speaks for
 * this client only, so it is never parked in the shared pool
 * (px_http_done).  With TLS the header goes in clear before the handshake
 * instead (px_http_pp_clear).  -1 when the session is gone.
 */
static int
px_http_pp(struct px_http *h)
{
	uint8_t	 pp[PX_PP_OUT_MAX];
	size_t	 n;

	if (h->ssl[PX_SRV] != NULL ||
	    (n = px_sess_pp(&h->s, h->fd[PX_CLI], pp)) == 0)
		return (0);
	if (px_hout_prepend(&h->out[PX_SRV], pp, n) == -1) {
		px_http_close(&h->s, "out of memory");
		return (-1);
	}
	return (0);
}

/*
 * Opens a backend connection.  Returns -1 when the session is gone, else 0
 * (also after queueing an error answer: the phase says which).
 */
static int
px_http_connect(struct px_http *h, bool fresh)
{
	const struct px_backend *pb;
	char	 why[160];
	int	 fd;

	pb = px_gen_backend(h->s.gen, h->s.ln->backend);
	if (!fresh) {
		h->sv = px_balance_pick(h->s.wk, pb,
		    (const struct sockaddr *)&h->s.cli_addr, NULL, 0);
		if (h->sv == NULL) {
			(void)snprintf(why, sizeof(why), "backend %s: no "
			    "server is up", pb->conf->name);
			return (px_http_fail(h, 503, why));
		}
		h->srv_addr = &h->sv->addr;
	}
	px_server_take(h->sv);
	h->sv_busy = true;
	h->srv_reused = false;
	px_st_add(h->sv->st, h->s.wk->idx, PX_SS_REQS, 1);
	if (!fresh && (h->bc = px_pool_get(h->s.wk, h->sv, h)) != NULL) {
		px_http_attach(h);
		h->srv = PX_HS_READY;
		h->srv_reused = true;
		return (0);
	}
	fd = socket(h->srv_addr->ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || px_sock_tune(fd) == -1) {
		px_log(CONF_LOG_ERR, "%s: %s -> %s: socket: %s",
		    h->s.ln->name, px_sess_peer(&h->s), h->srv_addr->text,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (px_http_fail(h, 503, "no socket for the backend"));
	}
	if ((h->bc = px_bconn_new(h->s.wk, fd, h->sv, px_http_read,
	    px_http_write, h)) == NULL) {
		close(fd);
		return (px_http_fail(h, 503, "out of memory"));
	}
	if (h->s.ln->backend->tls != NULL && (h->bc->ssl =
	    px_tls_connect(h->s.gen, h->s.ln->backend,
	    h->s.ln->backend->tls->sni != NULL ?
	    h->s.ln->backend->tls->sni : h->sv->cs->host, fd)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: %s -> %s: TLS setup failed",
		    h->s.ln->name, px_sess_peer(&h->s), h->srv_addr->text);
		return (px_http_fail(h, 503, "no TLS state for the backend"));
	}
	px_http_attach(h);
	if (px_http_pp(h) == -1)
		return (-1);
	h->t_conn = px_now_ms();
	h->w->lg_conn_t0 = px_now_us();
	if (h->w->ntried < PX_TRIES_MAX)
		h->w->tried[h->w->ntried++] = h->sv;
	px_st_add(h->sv->st, h->s.wk->idx, PX_SS_CONNS, 1);
	if (connect(fd, (const struct sockaddr *)&h->srv_addr->ss,
	    h->srv_addr->len) == -1 && errno != EINPROGRESS)
		return (px_http_connfail(h, errno));
	h->srv = PX_HS_CONNECTING;
	return (0);
}

/*
 * A connect failed with e, so the backend saw no byte of the request:
 * whatever its method, it goes to another server while `retries` allow,
 * else the client gets 502 (504 after a timeout).  -1: session gone.
 */
static int
px_http_connfail(struct px_http *h, int e)
{
	const struct conf_backend	*b = h->s.ln->backend;
	struct px_hout			*o = &h->out[PX_SRV];
	size_t				 off = o->off, len = o->len;
	const char			*what = e == ETIMEDOUT ? "timed out" :
					    strerror(e);
	char				 why[160];
	struct px_server		*next;

	px_server_connect_done(h->sv, h->s.wk->idx, e, what);
	(void)snprintf(why, sizeof(why), "connect %s: %s", h->srv_addr->text,
	    what);
	if (h->w->ntried <= b->retries && (next = px_balance_pick(h->s.wk,
	    px_gen_backend(h->s.gen, b), (const struct sockaddr *)&h->s.cli_addr,
	    h->w->tried, (size_t)h->w->ntried)) != NULL) {
		px_log(CONF_LOG_INFO, "%s: %s: %s; trying %s (attempt %d of "
		    "at most %d)", h->s.ln->name, px_sess_peer(&h->s), why,
		    next->addr.text, h->w->ntried + 1, b->retries + 1);
		px_server_retried(h->sv, h->s.wk->idx);
		/* What waits for the backend stays: none of it went. */
		px_http_srv_drop(h);
		o->off = off;
		o->len = len;
		h->sv = next;
		h->srv_addr = &next->addr;
		return (px_http_connect(h, true));
	}
	if (e == ECONNREFUSED)
		h->w->lg_end = "srv_refused";
	return (px_http_fail(h, e == ETIMEDOUT ? 504 : 502, why));
}

/* RFC 9110 section 9.2.2. */
static bool
px_http_idempotent(const struct px_http *h)
{
	switch (h->req->meth) {
	case PX_H1_M_GET:
	case PX_H1_M_HEAD:
	case PX_H1_M_PUT:
	case PX_H1_M_DELETE:
	case PX_H1_M_OPTIONS:
	case PX_H1_M_TRACE:
		return (true);
	default:
		return (false);
	}
}

static int	px_http_retry(struct px_http *);
static int	px_http_tls_fail(struct px_http *, int);

/*
 * A source denied on the address of its PROXY header gets 403, one over
 * limits.request_rate 429 with Retry-After (accept.c has the rules).
 * Returns 0 to go on, 1 when an answer is queued, -1 when the session is
 * gone.
 */
static int
px_http_admit(struct px_http *h)
{
	const struct conf_listener	*ln = h->s.ln;
	uint64_t			 wait;

	if (h->s.deny != 0) {
		px_st_add(h->s.st, h->s.wk->idx, PX_SL_ACL, 1);
		px_refuse_log(h->s.wk, (const struct sockaddr *)&h->s.cli_addr,
		    "%s: %s: denied by the ACL; 403", ln->name,
		    px_sess_peer(&h->s));
		return (px_http_fail(h, 403, "denied by the ACL") == -1 ?
		    -1 : 1);
	}
	if (ln->rate_count == 0 || h->s.slot == NULL ||
	    (wait = px_lim_rate(h->s.lim, h->s.slot, ln->rate_count,
	    ln->rate_period)) == 0)
		return (0);
	px_st_add(h->s.st, h->s.wk->idx, PX_SL_RATE, 1);
	px_refuse_log(h->s.wk, (const struct sockaddr *)&h->s.cli_addr,
	    "%s: %s: over request_rate; 429 (next in %llu ms)", ln->name,
	    px_sess_peer(&h->s), (unsigned long long)wait);
	(void)snprintf(h->fail_hdr, sizeof(h->fail_hdr),
	    "Retry-After: %llu\r\n", (unsigned long long)(wait + 999) / 1000);
	return (px_http_fail(h, 429, "over request_rate") == -1 ? -1 : 1);
}

/* A request head was parsed; sets up its forwarding.  -1: session gone. */
static int
px_http_req_start(struct px_http *h, size_t hlen)
{
	struct px_hin	*in = &h->in[PX_CLI];
	int		 rc;

	px_http_lg_start(h);
	h->w->lg_parsed = true;
	h->w->lg_in = (int64_t)hlen;
	h->w->lg_req_us = px_now_us();
	if (h->lg_want && px_http_lg_copy(&h->w->lg_req, &h->w->lg_req_cap,
	    in->p, hlen) == -1) {
		px_http_close(&h->s, "out of memory");
		return (-1);
	}
	h->nreq++;
	h->phase = PX_HP_REQ;
	h->resp_head = h->resp_sent = h->dechunk = false;
	h->srv_keep = false;
	h->cli_keep = h->req->keep_alive;
	h->t_sent = 0;
	px_h1_reset(h->resp);
	px_h1_resp_for(h->resp, h->req->meth);
	if ((rc = px_http_admit(h)) != 0) {
		in->off = hlen;
		return (rc == -1 ? -1 : 0);
	}
	if (h->s.ln->backend->builtin == CONF_BUILTIN_STATUS) {
		rc = px_http_status(h);
	} else if (h->s.ln->backend->builtin == CONF_BUILTIN_STATS) {
		rc = px_http_stats(h);
	} else {
		h->be_req = true;
		if (h->srv == PX_HS_READY && h->eof[PX_SRV])
			px_http_srv_drop(h);
		rc = px_http_req_build(h, &h->out[PX_SRV]);
	}
	if (rc == -1) {
		px_http_close(&h->s, "out of memory");
		return (-1);
	}
	in->off = hlen;
	if (h->s.ln->backend->builtin != CONF_BUILTIN_NONE) {
		if (!h->cli_keep) {
			h->phase = PX_HP_CLOSING;
			h->t_close = px_now_ms();
		}
		return (0);
	}
	if (h->req->done)
		h->t_sent = px_now_ms();
	h->retried = false;
	h->w->rhead_len = 0;
	h->w->ntried = 0;
	if (h->req->framing == PX_H1_BODY_NONE && px_http_idempotent(h)) {
		struct px_hout	*o = &h->out[PX_SRV];
		size_t		 n = px_hout_pending(o);
		char		*np;

		if (n > h->w->rhead_cap &&
		    (np = realloc(h->w->rhead, n)) != NULL) {
			h->w->rhead = np;
			h->w->rhead_cap = n;
		}
		if (n <= h->w->rhead_cap) {
			h->w->rhead_len = n;
			memcpy(h->w->rhead, o->p + o->off, n);
		}
	}
	if (h->srv == PX_HS_NONE && px_http_connect(h, false) == -1)
		return (-1);
	return (0);
}

/*
 * The reused backend connection closed before answering: sends the kept
 * head once more on a fresh connection.  Returns 1 if it did (or failed
 * and said so; -1 if the session is gone), 0 when a retry is not allowed.
 */
static int
px_http_retry(struct px_http *h)
{
	if (!h->srv_reused || h->retried || h->w->rhead_len == 0 ||
	    h->resp_head || h->in[PX_SRV].len > 0)
		return (0);
	px_log(CONF_LOG_INFO, "%s: %s: %s closed a reused connection before "
	    "answering; sending again on a new one", h->s.ln->name,
	    px_sess_peer(&h->s), h->srv_addr->text);
	px_server_retried(h->sv, h->s.wk->idx);
	px_http_srv_drop(h);
	h->retried = true;
	if (px_hout_add(&h->out[PX_SRV], h->w->rhead, h->w->rhead_len) == -1) {
		px_http_close(&h->s, "out of memory");
		return (-1);
	}
	h->t_sent = px_now_ms();
	return (px_http_connect(h, true) == -1 ? -1 : 1);
}

/* Moves body bytes of message st from in to out, as far as out has room. */
static int
px_http_body(struct px_http *h, struct px_h1 *st, struct px_hin *in,
    struct px_hout *o, bool dechunk, bool *moved)
{
	size_t	 room, n, doff, dlen, lim = (size_t)h->s.ln->buffer;
	int	 c;

	while (!st->done && in->off < in->len && px_hout_pending(o) < lim) {
		room = lim - px_hout_pending(o);
		n = in->len - in->off;
		if (n > room)
			n = room;
		if ((c = px_h1_parse_body(st, in->p + in->off, n, &doff,
		    &dlen)) < 0)
			return (-1);
		if (c == 0)
			break;
		if (dechunk ? px_hout_add(o, in->p + in->off + doff, dlen) :
		    px_hout_add(o, in->p + in->off, (size_t)c))
			return (-2);
		in->off += (size_t)c;
		if (st == h->req)
			h->w->lg_in += c;
		*moved = true;
	}
	if (in->off == in->len)
		in->off = in->len = 0;
	return (0);
}

/*
 * Sends what out[i] holds.  Returns -1 when the session is gone, else 0
 * (the rest waits for the write event).
 */
static int
px_http_flush(struct px_http *h, int i, bool *moved)
{
	struct px_hout	*o = &h->out[i];
	char		 why[160];
	int		 r;

	while (o->off < o->len) {
		ssize_t n = px_io_send(h->fd[i], h->ssl[i], &h->blk[i],
		    o->p + o->off, o->len - o->off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n == -1 && errno == EPROTO)
			return (px_http_tls_fail(h, i));
		if (n == -1 && (i == PX_CLI || h->phase == PX_HP_TUNNEL)) {
			px_log(CONF_LOG_INFO, "%s: %s: %s %s",
			    h->s.ln->name, px_sess_peer(&h->s),
			    i == PX_CLI ? "client" : "backend",
			    strerror(errno));
			px_http_close(&h->s, "client error");
			return (-1);
		}
		if (n == -1) {
			/*
			 * A backend may answer early and stop reading (a 413
			 * before the body): keep reading its response.
			 */
			if ((r = px_http_retry(h)) != 0)
				return (r == -1 ? -1 : 0);
			if (h->resp_head || h->in[PX_SRV].len > 0) {
				h->srv_wdead = true;
				h->cli_keep = false;
				o->off = o->len = 0;
				return (0);
			}
			(void)snprintf(why, sizeof(why), "send to %s: %s",
			    h->srv_addr->text, strerror(errno));
			return (px_http_fail(h, 502, why));
		}
		o->off += (size_t)n;
		if (i == PX_CLI)
			h->w->lg_out += n;
		else
			px_st_add(h->sv->st, h->s.wk->idx, PX_SS_OUT,
			    (uint64_t)n);
		h->t_io = px_now_ms();
		/* A slow backend holding the upload is not an idle client. */
		if (i == PX_SRV)
			h->t_cli = h->t_io;
		*moved = true;
	}
	o->off = o->len = 0;
	return (0);
}

/* Reading a request head from in[PX_CLI].  -1: session gone. */
static int
px_http_head(struct px_http *h, bool *moved)
{
	struct px_hin	*in = &h->in[PX_CLI];
	int		 r;

	if (in->len == 0) {
		if (h->eof[PX_CLI]) {
			px_http_close(&h->s, "client done");
			return (-1);
		}
		return (0);
	}
	if (h->nreq == 0 && px_accept_sniff(&h->s, in->p, in->len)) {
		px_http_close(&h->s, "PROXY header refused");
		return (-1);
	}
	px_http_lg_start(h);
	if ((r = px_h1_parse_head(h->req, in->p, in->len)) < 0)
		return (px_http_fail(h, h->req->err_status, h->req->err_reason));
	if (r == 0) {
		if (h->eof[PX_CLI]) {
			px_log(CONF_LOG_INFO, "%s: %s: client closed inside "
			    "the request head", h->s.ln->name,
			    px_sess_peer(&h->s));
			px_http_close(&h->s, "client closed");
			return (-1);
		}
		return (0);
	}
	*moved = true;
	return (px_http_req_start(h, (size_t)r));
}

/* The response side of a request in progress.  -1: session gone. */
static int
px_http_resp(struct px_http *h, bool *moved)
{
	struct px_hin	*in = &h->in[PX_SRV];
	char		 why[160];
	int		 r;

	while (!h->resp_head && in->len > 0) {
		if ((r = px_h1_parse_head(h->resp, in->p, in->len)) < 0) {
			(void)snprintf(why, sizeof(why), "%s: %s",
			    h->srv_addr->text, h->resp->err_reason);
			return (px_http_fail(h, 502, why));
		}
		if (r == 0)
			break;
		*moved = true;
		if (!h->resp->interim) {
			h->w->lg_orig = h->resp->status;
			if (h->lg_want && px_http_lg_copy(&h->w->lg_resp,
			    &h->w->lg_resp_cap, in->p, (size_t)r) == -1)
				goto nomem;
			h->w->lg_resp_len = (size_t)r;
		}
		if (h->resp->status == 101 && !h->req->upgrade) {
			(void)snprintf(why, sizeof(why), "%s: 101 to a request "
			    "that did not ask to upgrade", h->srv_addr->text);
			return (px_http_fail(h, 502, why));
		}
		if (h->resp->status == 101) {
			if (!h->req->done) {
				(void)snprintf(why, sizeof(why), "%s: 101 "
				    "before the request body ended",
				    h->srv_addr->text);
				return (px_http_fail(h, 502, why));
			}
			if (px_http_resp_build(h, &h->out[PX_CLI], true) == -1)
				goto nomem;
			h->resp_sent = true;
			memmove(in->p, in->p + r, in->len - (size_t)r);
			in->len -= (size_t)r;
			/* What the client sent after the request is the new
			 * protocol's already. */
			h->phase = PX_HP_TUNNEL;
			return (0);
		}
		if (h->resp->interim) {
			/* 1.0 clients do not expect 1xx (RFC 9110 15.2). */
			if (h->req->version == 11 &&
			    px_http_resp_build(h, &h->out[PX_CLI], false) == -1)
				goto nomem;
		} else {
			h->resp_head = true;
			h->dechunk = h->req->version == 10 &&
			    h->resp->framing == PX_H1_BODY_CHUNKED;
			if (!h->req->done || h->dechunk || h->srv_wdead ||
			    h->resp->framing == PX_H1_BODY_UNTIL_CLOSE)
				h->cli_keep = false;
			if (px_http_resp_build(h, &h->out[PX_CLI], true) == -1)
				goto nomem;
			h->resp_sent = true;
		}
		memmove(in->p, in->p + r, in->len - (size_t)r);
		in->len -= (size_t)r;
		if (h->resp->interim)
			px_h1_reset(h->resp);
	}
	if (h->resp_head && !h->resp->done) {
		r = px_http_body(h, h->resp, in, &h->out[PX_CLI], h->dechunk,
		    moved);
		if (r == -2)
			goto nomem;
		if (r == -1) {
			px_log(CONF_LOG_INFO, "%s: %s: %s: bad response body: "
			    "%s", h->s.ln->name, px_sess_peer(&h->s),
			    h->srv_addr->text, h->resp->err_reason);
			px_http_close(&h->s, "bad response body");
			return (-1);
		}
	}
	if (h->eof[PX_SRV] && !h->resp->done) {
		if ((r = px_http_retry(h)) != 0)
			return (r == -1 ? -1 : 0);
		if (h->resp_head && px_h1_eof(h->resp) == 0) {
			h->cli_keep = false;
			return (0);
		}
		(void)snprintf(why, sizeof(why), "%s closed %s",
		    h->srv_addr->text, h->resp_head ? "inside the response "
		    "body" : in->len > 0 ? "inside the response head" :
		    "before responding");
		return (px_http_fail(h, 502, why));
	}
	return (0);
 nomem:
	px_http_close(&h->s, "out of memory");
	return (-1);
}

/*
 * A request and its response are complete: the next one, or the end.
 * -1 when the session is gone.
 */
static int
px_http_done(struct px_http *h)
{
	struct px_hin *sin = &h->in[PX_SRV], *cin = &h->in[PX_CLI];
	bool asked = !h->req->keep_alive && h->req->done;

	if (!h->req->done || h->stopping)
		h->cli_keep = false;
	px_http_log(h, h->cli_keep ? ALOG_CONN_KEEPALIVE : ALOG_CONN_CLOSE,
	    "ok");
	/* Pipelined bytes move to the front, where the next head starts. */
	if (cin->off > 0) {
		memmove(cin->p, cin->p + cin->off, cin->len - cin->off);
		cin->len -= cin->off;
		cin->off = 0;
	}
	h->srv_keep = h->resp->keep_alive && !h->srv_wdead && h->req->done &&
	    h->resp->framing != PX_H1_BODY_UNTIL_CLOSE && sin->len == 0 &&
	    !h->eof[PX_SRV] && !px_tls_pending(h->ssl[PX_SRV]) &&
	    h->s.ln->backend->send_proxy == CONF_PROXY_OFF;
	px_h1_reset(h->req);
	if (h->srv_keep) {
		struct px_bconn *bc = h->bc;

		h->bc = NULL;
		px_http_srv_drop(h);
		px_pool_put(h->s.wk, h->s.gen, h->s.ln->backend, bc);
	} else
		px_http_srv_drop(h);
	/*
	 * The client asked to close, sent all of its request and nothing
	 * after it: nothing can be in flight that a close would answer with
	 * a reset, so the connection closes now, without the half-close and
	 * the wait for the client's FIN that an answer the client did not
	 * expect gets (as nginx closes without lingering in this case).  TLS
	 * still says close_notify on the lingering path.
	 */
	if (!h->cli_keep && asked && cin->len == 0 &&
	    h->ssl[PX_CLI] == NULL) {
		px_http_close(&h->s, "closed");
		return (-1);
	}
	if (!h->cli_keep) {
		h->phase = PX_HP_CLOSING;
		h->t_close = px_now_ms();
		return (0);
	}
	h->phase = PX_HP_HEAD;
	h->t_head = px_now_ms();
	/* Idle until the next request: the work area goes back. */
	if (cin->len == 0)
		px_http_work_put(h);
	return (0);
}

/* Turns an event on or off as needed. */
static void
px_http_want(struct event *ev, bool on)
{
	bool pending = event_pending(ev, EV_READ | EV_WRITE, NULL) != 0;

	if (on && !pending)
		event_add(ev, NULL);
	else if (!on && pending)
		event_del(ev);
}

/* When the current phase times out (ms, monotonic); 0 for never. */
static uint64_t
px_http_deadline(const struct px_http *h, int *what)
{
	const struct conf_listener *ln = h->s.ln;
	uint64_t d = UINT64_MAX, t;

#define PX_HTTP_MIN(v, w) do {						\
	t = (v);							\
	if (t < d) {							\
		d = t;							\
		*what = (w);						\
	}								\
} while (0)
	switch (h->phase) {
	case PX_HP_HEAD:
		if (h->in[PX_CLI].len == 0 && h->nreq > 0)
			PX_HTTP_MIN(h->t_head + ln->client_idle, 0);
		else
			PX_HTTP_MIN(h->t_head + ln->client_header, 1);
		break;
	case PX_HP_REQ:
		if (h->srv == PX_HS_CONNECTING)
			PX_HTTP_MIN(h->t_conn + ln->backend->connect_timeout,
			    2);
		if (!h->req->done)
			PX_HTTP_MIN(h->t_cli + ln->client_body, 3);
		else if (!h->resp_head)
			PX_HTTP_MIN(h->t_sent +
			    ln->backend->response_timeout, 4);
		else
			PX_HTTP_MIN(h->t_io + ln->backend->response_timeout,
			    5);
		break;
	case PX_HP_CLOSING:
		PX_HTTP_MIN(h->t_close + PX_HTTP_LINGER_MS, 6);
		break;
	case PX_HP_TUNNEL:
		PX_HTTP_MIN(h->t_io + ln->client_idle, 7);
		break;
	}
#undef PX_HTTP_MIN
	return (d);
}

static void
px_http_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct px_http	*h = arg;
	char		 why[160];
	int		 what = -1;
	uint64_t	 d = px_http_deadline(h, &what), now = px_now_ms();

	if (now < d) {
		px_http_run(h);
		return;
	}
	switch (what) {
	case 0:
		px_http_close(&h->s, "keep-alive idle");
		return;
	case 1:
		if (h->in[PX_CLI].len == 0) {
			px_log(CONF_LOG_INFO, "%s: %s: no %s within %llu ms",
			    h->s.ln->name, px_sess_peer(&h->s),
			    px_tls_done(h->ssl[PX_CLI]) ? "request" :
			    "TLS handshake",
			    (unsigned long long)h->s.ln->client_header);
			px_http_close(&h->s, "header timeout");
			return;
		}
		if (px_http_fail(h, 408, "request head timeout") == -1)
			return;
		break;
	case 2:
		if (px_http_connfail(h, ETIMEDOUT) == -1)
			return;
		break;
	case 3:
		if (px_http_fail(h, 408, "request body timeout") == -1)
			return;
		break;
	case 4:
		(void)snprintf(why, sizeof(why), "%s: no response within %llu "
		    "ms", h->srv_addr->text,
		    (unsigned long long)h->s.ln->backend->response_timeout);
		if (px_http_fail(h, 504, why) == -1)
			return;
		break;
	case 5:
		px_log(CONF_LOG_INFO, "%s: %s: %s: response stalled",
		    h->s.ln->name, px_sess_peer(&h->s), h->srv_addr->text);
		px_http_close(&h->s, "response stalled");
		return;
	case 7:
		px_log(CONF_LOG_INFO, "%s: %s: upgraded connection idle",
		    h->s.ln->name, px_sess_peer(&h->s));
		px_http_close(&h->s, "tunnel idle");
		return;
	default:
		px_http_close(&h->s, "linger done");
		return;
	}
	px_http_run(h);
}

/*
 * TLS to a send_proxy backend: the header is written on the connection
 * just established, before the handshake's first byte.  A new socket
 * takes these few bytes at once.  Returns 0 when sent (or none is due),
 * -1 when the session is gone, 1 when an error answer is queued.
 */
static int
px_http_pp_clear(struct px_http *h)
{
	uint8_t	 pp[PX_PP_OUT_MAX];
	char	 why[160];
	size_t	 n;
	ssize_t	 w;

	if (h->ssl[PX_SRV] == NULL ||
	    (n = px_sess_pp(&h->s, h->fd[PX_CLI], pp)) == 0)
		return (0);
	if ((w = send(h->fd[PX_SRV], pp, n, MSG_NOSIGNAL)) == (ssize_t)n)
		return (0);
	(void)snprintf(why, sizeof(why), "PROXY header to %s: %s",
	    h->srv_addr->text, w == -1 ? strerror(errno) : "short write");
	return (px_http_fail(h, 502, why) == -1 ? -1 : 1);
}

static void
px_http_connected(struct px_http *h)
{
	int		e = 0;
	socklen_t	len = sizeof(e);

	if (getsockopt(h->fd[PX_SRV], SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		if (px_http_connfail(h, e) == -1)
			return;
	} else if ((e = px_http_pp_clear(h)) != 0) {
		if (e == -1)
			return;
	} else {
		px_server_connect_done(h->sv, h->s.wk->idx, 0, NULL);
		h->srv = PX_HS_READY;
		h->w->lg_conn_us = (int64_t)(px_now_us() - h->w->lg_conn_t0);
	}
	px_http_run(h);
}

/*
 * A TLS failure on side i: the client's ends the session, a backend's
 * fails the request with 502.  Returns -1 when the session is gone.
 */
static int
px_http_tls_fail(struct px_http *h, int i)
{
	char	reason[160], why[256];

	(void)px_io_why(h->ssl[i], EPROTO, reason, sizeof(reason));
	if (i == PX_CLI && !px_tls_done(h->ssl[i]))
		px_st_add(h->s.st, h->s.wk->idx, PX_SL_TLSFAIL, 1);
	if (i == PX_CLI) {
		px_log(CONF_LOG_INFO, "%s: %s: TLS %s: %s", h->s.ln->name,
		    px_sess_peer(&h->s), px_tls_done(h->ssl[i]) ? "error" :
		    "handshake failed", reason);
		px_http_close(&h->s, "client error");
		return (-1);
	}
	(void)snprintf(why, sizeof(why), "TLS with %s: %s", h->srv_addr->text,
	    reason);
	return (px_http_fail(h, 502, why));
}

/* Reads what side i has into in[i]; -1 when the session is gone. */
static int
px_http_recv(struct px_http *h, int i)
{
	struct px_hin	*in = &h->in[i];
	int		 round;

	if (in->off > 0 && in->off == in->len)
		in->off = in->len = 0;
	for (round = 0; round < PX_HTTP_READS_MAX && in->len < in->cap;
	    round++) {
		size_t	room = in->cap - in->len;
		ssize_t	n = px_io_recv(h->fd[i], h->ssl[i], &h->blk[i],
		    in->p + in->len, room);

		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return (0);
		if (n == -1 && errno == EPROTO)
			return (px_http_tls_fail(h, i));
		if (n == -1) {
			if (i == PX_SRV && (h->phase == PX_HP_REQ ||
			    h->phase == PX_HP_TUNNEL)) {
				h->eof[i] = true;
				return (0);
			}
			if (i == PX_SRV) {
				px_http_srv_drop(h);
				return (0);
			}
			px_log(CONF_LOG_INFO, "%s: %s: client %s%s",
			    h->s.ln->name, px_sess_peer(&h->s),
			    px_tls_done(h->ssl[PX_CLI]) ? "" :
			    "closed the TLS handshake: ", strerror(errno));
			px_http_close(&h->s, "client error");
			return (-1);
		}
		if (n == 0) {
			h->eof[i] = true;
			return (0);
		}
		in->len += (size_t)n;
		h->t_io = px_now_ms();
		if (i == PX_SRV)
			px_st_add(h->sv->st, h->s.wk->idx, PX_SS_IN,
			    (uint64_t)n);
		if (i == PX_SRV && h->phase == PX_HP_REQ &&
		    h->w->lg_first_us < 0)
			h->w->lg_first_us = (int64_t)(px_now_us() -
			    h->w->lg_req_us);
		if (i == PX_CLI) {
			h->t_cli = h->t_io;
			if (h->phase == PX_HP_HEAD && in->len == (size_t)n &&
			    in->off == 0)
				h->t_head = h->t_io;
		}
		/* A short read emptied the socket: asking again would only
		 * cost an EAGAIN.  TLS reads stop at a record's end. */
		if ((size_t)n < room && h->ssl[i] == NULL)
			break;
	}
	return (0);
}

static void
px_http_read(evutil_socket_t fd, short ev, void *arg)
{
	struct px_http	*h = arg;
	int		 i = fd == h->fd[PX_CLI] ? PX_CLI : PX_SRV;

	if (i == PX_SRV && h->phase != PX_HP_REQ && h->phase != PX_HP_TUNNEL) {
		/* An idle kept-alive backend closed or spoke out of turn. */
		px_http_srv_drop(h);
		px_http_run(h);
		return;
	}
	if (i == PX_CLI && h->phase == PX_HP_CLOSING && !h->shut) {
		/* Only a TLS write waiting to read wakes us here. */
		px_http_run(h);
		return;
	}
	if (i == PX_CLI && h->phase == PX_HP_CLOSING) {
		/* Our answer is sent; the rest of the request is dropped. */
		ssize_t n = recv(fd, h->s.wk->scratch, h->s.wk->scratch_len, 0);

		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			px_http_close(&h->s, "done");
		return;
	}
	if (h->w == NULL && px_http_work_get(h) == -1) {
		px_log(CONF_LOG_ERR, "%s: %s: out of memory", h->s.ln->name,
		    px_sess_peer(&h->s));
		px_http_close(&h->s, "out of memory");
		return;
	}
	if (px_http_recv(h, i) == -1)
		return;
	px_http_run(h);
}

static void
px_http_write(evutil_socket_t fd, short ev, void *arg)
{
	struct px_http	*h = arg;
	int		 i = fd == h->fd[PX_CLI] ? PX_CLI : PX_SRV;

	if (i == PX_SRV && h->srv == PX_HS_CONNECTING) {
		px_http_connected(h);
		return;
	}
	/* A TLS read that had to write first goes on now. */
	if ((h->blk[i] & PX_IO_RWANTW) && (i == PX_CLI ? h->phase !=
	    PX_HP_CLOSING : h->phase == PX_HP_REQ || h->phase ==
	    PX_HP_TUNNEL)) {
		if (h->w == NULL && px_http_work_get(h) == -1) {
			px_log(CONF_LOG_ERR, "%s: %s: out of memory",
			    h->s.ln->name, px_sess_peer(&h->s));
			px_http_close(&h->s, "out of memory");
			return;
		}
		if (px_http_recv(h, i) == -1)
			return;
	}
	px_http_run(h);
}

/* Which events and which deadline the state asks for. */
static void
px_http_arm(struct px_http *h)
{
	struct px_hin	*cin = &h->in[PX_CLI], *sin = &h->in[PX_SRV];
	size_t		 lim = (size_t)h->s.ln->buffer;
	struct timeval	 tv;
	uint64_t	 d, now;
	int		 what = -1;
	bool		 rc = false, rs = false;

	switch (h->phase) {
	case PX_HP_HEAD:
		rc = !h->eof[PX_CLI] && cin->len < cin->cap;
		rs = h->srv == PX_HS_READY;
		break;
	case PX_HP_REQ:
		/*
		 * Once the request is complete the client stays watched: a
		 * pipelined request waits in cin, and the event is not
		 * switched off and on around every exchange (two epoll_ctl).
		 */
		rc = !h->eof[PX_CLI] && cin->len < cin->cap &&
		    (h->req->done || px_hout_pending(&h->out[PX_SRV]) < lim);
		rs = h->srv == PX_HS_READY && !h->eof[PX_SRV] &&
		    !h->resp->done && sin->len < sin->cap &&
		    px_hout_pending(&h->out[PX_CLI]) < lim;
		break;
	case PX_HP_CLOSING:
		rc = h->shut;
		break;
	case PX_HP_TUNNEL:
		rc = !h->eof[PX_CLI] && cin->len < cin->cap &&
		    px_hout_pending(&h->out[PX_SRV]) < lim;
		rs = !h->eof[PX_SRV] && sin->len < sin->cap &&
		    px_hout_pending(&h->out[PX_CLI]) < lim;
		break;
	}
	px_http_want(h->rev[PX_CLI], rc || (h->blk[PX_CLI] & PX_IO_WWANTR));
	if (h->wev[PX_CLI] != NULL)
		px_http_want(h->wev[PX_CLI],
		    px_hout_pending(&h->out[PX_CLI]) > 0 ||
		    (h->blk[PX_CLI] & PX_IO_RWANTW));
	else if (h->blk[PX_CLI] & PX_IO_RWANTW)
		/* No write event without a work area: the read path takes
		 * one and retries the TLS read, which then waits on it. */
		event_active(h->rev[PX_CLI], EV_READ, 1);
	/* Bytes OpenSSL already read from the socket raise no event. */
	if (rc && h->phase != PX_HP_CLOSING && px_tls_pending(h->ssl[PX_CLI]))
		event_active(h->rev[PX_CLI], EV_READ, 1);
	if (h->assigned[PX_SRV]) {
		rs = rs && h->srv == PX_HS_READY;
		px_http_want(h->rev[PX_SRV], rs ||
		    (h->blk[PX_SRV] & PX_IO_WWANTR));
		px_http_want(h->wev[PX_SRV], h->srv == PX_HS_CONNECTING ||
		    (h->srv == PX_HS_READY &&
		    (px_hout_pending(&h->out[PX_SRV]) > 0 ||
		    (h->blk[PX_SRV] & PX_IO_RWANTW))));
		if (rs && px_tls_pending(h->ssl[PX_SRV]))
			event_active(h->rev[PX_SRV], EV_READ, 1);
	}
	d = px_http_deadline(h, &what);
	now = px_now_ms();
	tv = px_ms_tv(d > now ? d - now : 0);
	evtimer_add(h->tmo, &tv);
}

/*
 * After a 101: relays bytes both ways through the session's buffers and
 * passes each FIN on once everything before it is written.  Returns -1
 * when the session is gone.
 */
static int
px_http_tunnel(struct px_http *h, bool *moved)
{
	size_t	 lim = (size_t)h->s.ln->buffer, n;
	int	 i, o;

	for (i = 0; i < 2; i++) {
		struct px_hin *in = &h->in[i];

		o = !i;
		n = in->len - in->off;
		if (n > 0 && px_hout_pending(&h->out[o]) < lim) {
			if (px_hout_add(&h->out[o], in->p + in->off, n) == -1) {
				px_http_close(&h->s, "out of memory");
				return (-1);
			}
			in->off = in->len = 0;
			/* %I and the stats count the client's side, as %O
			 * counts what went back. */
			if (i == PX_CLI)
				h->w->lg_in += (int64_t)n;
			*moved = true;
		}
		if (px_http_flush(h, o, moved) == -1)
			return (-1);
		if (h->eof[i] && in->len == 0 && !h->tshut[o] &&
		    px_hout_pending(&h->out[o]) == 0) {
			h->tshut[o] = true;
			if (px_io_shut(h->fd[o], h->ssl[o]) == -1 ||
			    h->tshut[i]) {
				px_http_close(&h->s, "tunnel done");
				return (-1);
			}
		}
	}
	return (0);
}

static void
px_http_run(struct px_http *h)
{
	bool moved;
	int r;

	do {
		moved = false;
		switch (h->phase) {
		case PX_HP_HEAD:
			if (px_http_head(h, &moved) == -1)
				return;
			break;
		case PX_HP_REQ:
			if (!h->req->done) {
				r = px_http_body(h, h->req, &h->in[PX_CLI],
				    &h->out[PX_SRV], false, &moved);
				if (r == -2) {
					px_http_close(&h->s, "out of memory");
					return;
				}
				if (r == -1) {
					(void)px_http_fail(h,
					    h->req->err_status,
					    h->req->err_reason);
					break;
				}
				if (h->srv_wdead)
					h->out[PX_SRV].off =
					    h->out[PX_SRV].len = 0;
				if (h->req->done)
					h->t_sent = px_now_ms();
				else if (h->eof[PX_CLI] &&
				    h->in[PX_CLI].len == 0) {
					px_log(CONF_LOG_INFO, "%s: %s: client "
					    "closed inside the request body",
					    h->s.ln->name, px_sess_peer(&h->s));
					px_http_close(&h->s, "client closed");
					return;
				}
			}
			if (h->srv == PX_HS_READY && !h->srv_wdead &&
			    px_http_flush(h, PX_SRV, &moved) == -1)
				return;
			if (h->phase != PX_HP_REQ)
				break;
			if (h->s.ln->backend->builtin == CONF_BUILTIN_NONE &&
			    px_http_resp(h, &moved) == -1)
				return;
			if (h->phase != PX_HP_REQ)
				break;
			if (px_http_flush(h, PX_CLI, &moved) == -1)
				return;
			/* An early answer ends the exchange too; the
			 * connection then closes (px_http_done). */
			if ((h->resp->done ||
			    h->s.ln->backend->builtin != CONF_BUILTIN_NONE) &&
			    px_hout_pending(&h->out[PX_CLI]) == 0) {
				if (px_http_done(h) == -1)
					return;
				moved = true;
			}
			break;
		case PX_HP_TUNNEL:
			if (px_http_tunnel(h, &moved) == -1)
				return;
			break;
		case PX_HP_CLOSING:
			if (px_http_flush(h, PX_CLI, &moved) == -1)
				return;
			if (px_hout_pending(&h->out[PX_CLI]) == 0 && !h->shut) {
				/* Our own answer is out: its line is due. */
				px_http_log(h, ALOG_CONN_CLOSE, "ok");
				/*
				 * Half-close and read on until the client's
				 * FIN, so a client still sending does not get
				 * its answer destroyed by a reset.
				 */
				if (px_io_shut(h->fd[PX_CLI], h->ssl[PX_CLI]) ==
				    -1) {
					px_http_close(&h->s, "done");
					return;
				}
				h->shut = true;
				if (h->eof[PX_CLI]) {
					px_http_close(&h->s, "done");
					return;
				}
			}
			break;
		}
	} while (moved);
	px_http_arm(h);
}

void
px_http_start(struct px_worker *wk, const struct px_lbind *lb,
    struct px_conn *c)
{
	const struct conf_listener *ln = lb->ln;
	struct px_http		*h;
	size_t			 evsz = event_get_struct_event_size();
	char			*evmem;
	int			 fd = c->fd;

	if ((h = calloc(1, sizeof(*h) + 2 * evsz)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: out of memory", ln->name);
		px_conn_close(c);
		return;
	}
	px_sess_init(&h->s, PX_SESS_HTTP, wk, lb, c);
	h->fd[PX_CLI] = fd;
	h->fd[PX_SRV] = -1;
	evmem = (char *)(h + 1);
	h->rev[PX_CLI] = (struct event *)evmem;
	h->tmo = (struct event *)(evmem + evsz);
	evtimer_assign(h->tmo, wk->base, px_http_timeout, h);
	event_assign(h->rev[PX_CLI], wk->base, fd, EV_READ | EV_PERSIST,
	    px_http_read, h);
	h->assigned[PX_CLI] = true;
	if (ln->tls != NULL &&
	    (h->ssl[PX_CLI] = px_tls_accept(h->s.gen, ln, fd)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: %s: TLS setup failed", ln->name,
		    px_sess_peer(&h->s));
		px_http_close(&h->s, "setup failed");
		return;
	}

	/* A head one byte over the limit must reach the parser to fail. */
	h->in[PX_CLI].cap = (size_t)ln->header_size + 1;
	if (h->in[PX_CLI].cap < (size_t)ln->buffer)
		h->in[PX_CLI].cap = (size_t)ln->buffer;
	h->in[PX_SRV].cap = PX_HTTP_RESP_HEAD_MAX + 1;
	if (h->in[PX_SRV].cap < (size_t)ln->buffer)
		h->in[PX_SRV].cap = (size_t)ln->buffer;
	h->lg_want = px_alog_wanted(&h->s);
	h->t_head = h->t_cli = h->t_io = px_now_ms();
	px_http_run(h);
}
