/*
 * From accept(2) to a session: the listener's ACL, a PROXY header when the
 * listener takes one, the per-source limits, then the mode's session.
 *
 * Order and what a refusal looks like:
 *   1. A source in trust_forwarded_from on an accept_proxy listener must
 *      send a PROXY header first (within client_header); the header's
 *      address then stands for the client everywhere, and the ACL below
 *      is checked against it.  A missing, malformed or slow header closes
 *      the connection.
 *   2. Otherwise the ACL is checked against the socket's peer before any
 *      byte is read, and a denied connection is closed at once.
 *   3. A source denied on the address of its PROXY header is closed in
 *      mode tcp; mode http answers every request with 403, since the
 *      proxy in front expects an HTTP answer.
 *   4. limits.conn_per_source closes a connection over the limit (both
 *      modes); limits.request_rate counts connections in mode tcp (closed
 *      over the rate) and requests in mode http (429, see http.c).
 * Every refusal is counted in the listener's counters and logged through
 * px_refuse_log.  A source not trusted on an accept_proxy listener is
 * served as a direct client, but one whose first bytes are a PROXY header
 * is refused (tcp.c, http.c).
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/proxy.h"

/* A connection from a trusted source whose PROXY header is being read. */
struct px_ppw {
	struct px_sess		 s;		/* first: the shared part */
	struct px_lset		*lset;		/* counted: lb lives in it */
	const struct px_lbind	*lb;
	int			 fd;		/* owned */
	struct event		*ev;		/* in this allocation */
	uint64_t		 deadline;	/* ms: the whole header by */
	union px_sockaddr	 real;		/* the socket's peer */
	size_t			 have;
	uint8_t			 buf[PX_PP_MAX];
};

void
px_conn_close(struct px_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->lim != NULL) {
		px_lim_release(c->lim, c->slot);
		px_limtab_unref(c->lim);
	}
	c->lim = NULL;
	c->slot = NULL;
}

/* Per-source limits, then the session.  Takes over c. */
static void
px_admit(struct px_worker *wk, const struct px_lbind *lb, struct px_conn *c)
{
	const struct conf_listener	*ln = lb->ln;
	const struct sockaddr		*sa = (const struct sockaddr *)&c->cli;
	struct px_st			*st = px_gen_lst(c->gen, ln);
	struct px_src			 k;
	char				 peer[PX_PEERSTRLEN];
	uint64_t			 wait;
	int				 r;

	if (c->deny != 0 && ln->mode != CONF_MODE_HTTP) {
		px_st_add(st, wk->idx, PX_SL_ACL, 1);
		px_refuse_log(wk, sa, "%s: %s: denied by the ACL; closed",
		    ln->name, conf_addr_fmt(sa, true, peer, sizeof(peer)));
		px_conn_close(c);
		return;
	}
	if (lb->lim != NULL) {
		px_src_key(sa, ln->source_prefix, &k);
		if ((r = px_lim_conn(lb->lim, &k, ln->conn_per_source,
		    &c->slot)) != 0) {
			px_st_add(st, wk->idx, PX_SL_CONNLIM, 1);
			px_refuse_log(wk, sa, "%s: %s: %s; closed", ln->name,
			    conf_addr_fmt(sa, true, peer, sizeof(peer)),
			    r == -1 ? "over conn_per_source" :
			    "source table full");
			px_conn_close(c);
			return;
		}
		c->lim = px_limtab_ref(lb->lim);
		if (ln->mode != CONF_MODE_HTTP && ln->rate_count > 0 &&
		    (wait = px_lim_rate(c->lim, c->slot, ln->rate_count,
		    ln->rate_period)) > 0) {
			px_st_add(st, wk->idx, PX_SL_RATE, 1);
			px_refuse_log(wk, sa, "%s: %s: over request_rate; "
			    "closed (next in %llu ms)", ln->name,
			    conf_addr_fmt(sa, true, peer, sizeof(peer)),
			    (unsigned long long)wait);
			px_conn_close(c);
			return;
		}
	}
	if (ln->mode == CONF_MODE_HTTP)
		px_http_start(wk, lb, c);
	else if (ln->backend->builtin == CONF_BUILTIN_STATUS)
		px_status_start(wk, lb, c);
	else
		px_tcp_start(wk, lb, c);
}

void
px_ppw_close(struct px_sess *s, const char *why)
{
	struct px_ppw *w = (struct px_ppw *)s;

	if (px_log_enabled(CONF_LOG_DEBUG))
		px_log(CONF_LOG_DEBUG, "%s: %s: closed before a session (%s)",
		    s->ln->name, px_sess_peer(s), why);
	event_del(w->ev);
	if (w->fd != -1)
		close(w->fd);
	px_sess_fini(s);
	px_lset_unref(w->lset);
	free(w);
}

/* Refuses a connection of a trusted source for its header. */
static void
px_ppw_refuse(struct px_ppw *w, const char *why)
{
	char peer[PX_PEERSTRLEN];

	px_st_add(w->s.st, w->s.wk->idx, PX_SL_PROXY, 1);
	px_refuse_log(w->s.wk, (const struct sockaddr *)&w->real,
	    "%s: %s: PROXY header refused: %s; closed", w->s.ln->name,
	    conf_addr_fmt((const struct sockaddr *)&w->real, true, peer,
	    sizeof(peer)), why);
	px_ppw_close(&w->s, "PROXY header refused");
}

/* The header is in; the connection goes on as its client. */
static void
px_ppw_done(struct px_ppw *w, const struct px_pp *pp)
{
	struct px_worker	*wk = w->s.wk;
	struct px_lset		*lset = w->lset;
	const struct px_lbind	*lb = w->lb;
	struct px_conn		 c;

	memset(&c, 0, sizeof(c));
	c.fd = w->fd;
	c.gen = lset->gen;
	c.cli = w->real;
	if (!pp->local) {
		/* IPv4 or IPv6 only: they fit. */
		memcpy(&c.cli, &pp->src, sizeof(c.cli));
		memcpy(&c.loc, &pp->dst, sizeof(c.loc));
	}
	if (!px_acl_pass(lb->ln, (const struct sockaddr *)&c.cli))
		c.deny = 403;
	w->fd = -1;
	/* The listener set stays alive until the session holds its gen. */
	px_lset_ref(lset);
	px_ppw_close(&w->s, "PROXY header read");
	px_admit(wk, lb, &c);
	px_lset_unref(lset);
}

static void
px_ppw_event(evutil_socket_t fd, short what, void *arg)
{
	struct px_ppw	*w = arg;
	struct px_pp	 pp;
	struct timeval	 tv;
	uint64_t	 now;
	ssize_t		 n;
	int		 r;

	if (what & EV_TIMEOUT) {
		px_ppw_refuse(w, w->have == 0 ? "none within client_header" :
		    "incomplete within client_header");
		return;
	}
	/*
	 * Peek, and take only the header's own bytes: what follows belongs
	 * to the session.  While the parser needs more, every byte so far
	 * is the header's, so taking them all keeps the socket from staying
	 * readable for nothing.
	 */
	n = recv(w->fd, w->buf + w->have, sizeof(w->buf) - w->have, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		px_ppw_refuse(w, n == 0 ? (w->have == 0 ? "closed without "
		    "one" : "closed inside it") : strerror(errno));
		return;
	}
	r = px_pp_parse(&pp, w->buf, w->have + (size_t)n);
	if (r < 0) {
		px_ppw_refuse(w, pp.err);
		return;
	}
	if (r == 0 && w->have + (size_t)n >= sizeof(w->buf)) {
		px_ppw_refuse(w, "too long");
		return;
	}
	if (r > 0 && (size_t)r <= w->have) {
		px_ppw_refuse(w, "inconsistent length");
		return;
	}
	n = r > 0 ? (ssize_t)((size_t)r - w->have) : n;
	if (recv(w->fd, w->buf + w->have, (size_t)n, 0) != n) {
		px_ppw_refuse(w, "short read");
		return;
	}
	w->have += (size_t)n;
	if (r > 0) {
		px_ppw_done(w, &pp);
		return;
	}
	/* The time limit is for the whole header, not between bytes. */
	if ((now = px_now_ms()) >= w->deadline) {
		px_ppw_refuse(w, "incomplete within client_header");
		return;
	}
	tv = px_ms_tv(w->deadline - now);
	event_add(w->ev, &tv);
}

static void
px_ppw_start(struct px_wlisten *wl, struct px_conn *c)
{
	struct px_worker	*wk = wl->wk;
	struct px_ppw		*w;
	struct timeval		 tv = px_ms_tv(wl->lb->ln->client_header);

	if ((w = calloc(1, sizeof(*w) + event_get_struct_event_size())) ==
	    NULL) {
		px_log(CONF_LOG_ERR, "%s: out of memory", wl->lb->ln->name);
		px_conn_close(c);
		return;
	}
	px_sess_init(&w->s, PX_SESS_PROXYHDR, wk, wl->lb, c);
	w->lset = px_lset_ref(wk->lset);
	w->lb = wl->lb;
	w->fd = c->fd;
	w->real = c->cli;
	w->ev = (struct event *)(w + 1);
	w->deadline = px_now_ms() + wl->lb->ln->client_header;
	event_assign(w->ev, wk->base, w->fd, EV_READ | EV_PERSIST,
	    px_ppw_event, w);
	event_add(w->ev, &tv);
}

void
px_accept(struct px_wlisten *wl, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	const struct conf_listener	*ln = wl->lb->ln;
	struct px_conn			 c;
	struct px_st			*st;
	char				 peer[PX_PEERSTRLEN];

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.gen = wl->wk->lset->gen;
	st = px_gen_lst(c.gen, ln);
	px_st_add(st, wl->wk->idx, PX_SL_CONNS, 1);
	if (salen > sizeof(c.cli))
		salen = sizeof(c.cli);
	memcpy(&c.cli, sa, salen);
	if (ln->accept_proxy && px_cidr_any(ln->trust, ln->ntrust, sa)) {
		px_ppw_start(wl, &c);
		return;
	}
	if (!px_acl_pass(ln, sa)) {
		px_st_add(st, wl->wk->idx, PX_SL_ACL, 1);
		px_refuse_log(wl->wk, sa, "%s: %s: denied by the ACL; closed",
		    ln->name, conf_addr_fmt(sa, true, peer, sizeof(peer)));
		close(fd);
		return;
	}
	px_admit(wl->wk, wl->lb, &c);
}

size_t
px_sess_pp(struct px_sess *s, int fd, uint8_t *buf)
{
	enum conf_send_proxy	 v = s->ln->backend->send_proxy;
	int			 n;

	if (v == CONF_PROXY_OFF)
		return (0);
	n = px_pp_build(v, (const struct sockaddr *)&s->cli_addr,
	    px_sess_local(s, fd), buf, PX_PP_OUT_MAX);
	return (n > 0 ? (size_t)n : 0);
}

/*
 * A first read of an untrusted source on an accept_proxy listener:
 * true (after counting and logging) if it starts like a PROXY header.
 */
bool
px_accept_sniff(struct px_sess *s, const void *buf, size_t len)
{
	if (!s->ln->accept_proxy || !px_pp_sniff(buf, len))
		return (false);
	px_st_add(s->st, s->wk->idx, PX_SL_PROXY, 1);
	px_refuse_log(s->wk, (const struct sockaddr *)&s->cli_addr,
	    "%s: %s: PROXY header from a source not trusted for one; "
	    "closed", s->ln->name, px_sess_peer(s));
	return (true);
}
