/*
 * mode: tcp — a byte relay between a client and one backend address.
 *
 * The relay reads into the worker's scratch buffer and writes at once to the
 * other side.  Only what the other side cannot take right now is copied into
 * a buffer of the session's own (at most `buffer` bytes per direction), and
 * reading from that side stops until it has drained.  So an idle session
 * holds no buffer at all, a fast path never allocates, and a slow or stalled
 * peer costs at most `buffer` bytes per direction.
 *
 * This is deliberately not libevent's bufferevent: in libevent 2.1 every
 * bufferevent read is capped at 4 KiB and every write toggles EPOLLOUT, which
 * cost three times haproxy's CPU per byte.  Here a steady transfer is one
 * epoll_wait, one recv of up to PX_SCRATCH_LEN and one send.
 *
 * Half-close: a FIN from one side is passed on as shutdown(SHUT_WR) to the
 * other once everything before it is written; the session ends when both
 * directions are shut, on an error, or when no byte moved either way for
 * client_idle.
 *
 * A listener with `tls:` terminates TLS on the client side through the
 * I/O layer of tls.c: reads decrypt into the same scratch buffer and
 * writes encrypt from it, so TLS adds no buffer of the session's own.  The
 * handshake happens in the first client read (or in the first write of a
 * backend that speaks first) and must end within client_header.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log/log.h"
#include "proxy/proxy.h"

enum { PX_CLI = 0, PX_SRV = 1 };

struct px_tcp;

static int	px_tcp_connect(struct px_tcp *);
static int	px_tcp_next(struct px_tcp *, int);
static void	px_tcp_read(evutil_socket_t, short, void *);
static void	px_tcp_write(evutil_socket_t, short, void *);

#define PX_TCP_READS_MAX	4	/* reads per wake-up, for fairness */

/* Bytes read from side `from` on their way to the other side. */
struct px_dir {
	char		*buf;		/* owned; NULL when none is pending */
	size_t		 head;		/* pending bytes are buf[head..tail) */
	size_t		 tail;
	uint64_t	 bytes;		/* read from `from` in all */
	bool		 eof;		/* FIN received from `from` */
	bool		 shut;		/* FIN passed on to the other side */
};

struct px_tcp {
	struct px_sess		 s;		/* first: the shared part */
	int			 fd[2];		/* owned; [PX_CLI], [PX_SRV] */
	struct event		*rev[2];	/* in this allocation */
	struct event		*wev[2];	/* in this allocation */
	struct event		*idle;		/* in this allocation */
	bool			 assigned;	/* the events are set up */
	const struct conf_sockaddr *srv_addr;	/* borrowed from s.gen */
	struct px_server	*sv;		/* borrowed from s.gen; counted
						   in its inflight */
	struct px_server	*next;		/* borrowed; to try next */
	struct px_server	*tried[PX_TRIES_MAX];	/* connects failed */
	int			 ntried;
	uint64_t		 last;		/* ms, last byte either way */
	bool			 connected;
	struct px_dir		 dir[2];	/* [i]: read from side i */
	struct timespec		 begin;		/* CLOCK_REALTIME, accepted */
	int64_t			 connect_us;	/* -1 until connected */
	const char		*end;		/* access log %^xe; NULL = from
						   the close reason */
	struct ssl_st		*ssl;		/* owned; client side; NULL =
						   plain TCP */
	uint8_t			 blk;		/* PX_IO_* of the client side */
	uint64_t		 start;		/* ms, accepted */
};

static const char *const px_side_name[2] = { "client", "backend" };

/* The access log's one word for how a session ended (%^xe). */
static const char *
px_tcp_end_word(const struct px_tcp *t, const char *why)
{
	static const struct {
		const char *why, *word;
	} words[] = {
		{ "done", "ok" }, { "idle timeout", "idle_timeout" },
		{ "connect failed", "srv_connect_failed" },
		{ "shutdown timeout", "shutdown" },
	};
	size_t i;

	if (t->end != NULL)
		return (t->end);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(why, words[i].why) == 0)
			return (words[i].word);
	return ("error");
}

static void
px_tcp_log(struct px_tcp *t, const char *why)
{
	struct alog_rec	r;
	const char	*end = px_tcp_end_word(t, why);

	if (t->s.gen->alogs == NULL)
		return;
	alog_rec_init(&r);
	r.begin = t->begin;
	r.bytes_in = (int64_t)t->dir[PX_CLI].bytes;
	r.bytes_out = (int64_t)t->dir[PX_SRV].bytes;
	if (t->srv_addr != NULL)
		r.srv = (const struct sockaddr *)&t->srv_addr->ss;
	r.srv_connect_us = t->connect_us;
	r.end_reason.p = end;
	r.end_reason.len = strlen(end);
	px_tls_info(t->ssl, &r.tls_proto, &r.tls_cipher, &r.tls_sni);
	px_alog_emit(&t->s, &r);
}

void
px_tcp_close(struct px_sess *s, const char *why)
{
	struct px_tcp	*t = (struct px_tcp *)s;
	int		 i;

	px_tcp_log(t, why);
	px_st_add(s->st, s->wk->idx, PX_SL_IN, t->dir[PX_CLI].bytes);
	px_st_add(s->st, s->wk->idx, PX_SL_OUT, t->dir[PX_SRV].bytes);
	if (t->sv != NULL && t->connected) {
		px_st_add(t->sv->st, s->wk->idx, PX_SS_IN,
		    t->dir[PX_SRV].bytes);
		px_st_add(t->sv->st, s->wk->idx, PX_SS_OUT,
		    t->dir[PX_CLI].bytes);
	}
	if (px_log_enabled(CONF_LOG_DEBUG))
		px_log(CONF_LOG_DEBUG, "%s: %s -> %s: closed (%s), %llu bytes "
		    "up, %llu down", s->ln->name, px_sess_peer(s),
		    t->srv_addr ? t->srv_addr->text : "-", why,
		    (unsigned long long)t->dir[PX_CLI].bytes,
		    (unsigned long long)t->dir[PX_SRV].bytes);
	for (i = 0; i < 2; i++) {
		if (t->assigned) {
			event_del(t->rev[i]);
			event_del(t->wev[i]);
		}
		if (t->fd[i] != -1)
			close(t->fd[i]);
		free(t->dir[i].buf);
	}
	if (t->assigned)
		event_del(t->idle);
	if (t->sv != NULL)
		px_server_release(t->sv);
	px_tls_free_ssl(t->ssl);
	px_sess_fini(s);
	free(t);
}

/* Logs a failure of side i (errno e) at info and ends the session. */
static void
px_tcp_fail(struct px_tcp *t, int i, int e)
{
	char why[192], reason[160];

	t->end = i == PX_CLI ?
	    (e == ECONNRESET ? "cli_reset" : e == ETIMEDOUT ? "cli_timeout" :
	    e == EPIPE ? "cli_closed" : "cli_error") :
	    (e == ECONNRESET ? "srv_reset" : e == ETIMEDOUT ? "srv_timeout" :
	    e == EPIPE ? "srv_closed" : "srv_error");
	if (e == EPROTO && !px_tls_done(t->ssl))
		px_st_add(t->s.st, t->s.wk->idx, PX_SL_TLSFAIL, 1);
	if (e == EPROTO)
		snprintf(why, sizeof(why), "client TLS %s: %s",
		    px_tls_done(t->ssl) ? "error" : "handshake failed",
		    px_io_why(t->ssl, e, reason, sizeof(reason)));
	else
		snprintf(why, sizeof(why), "%s %s", px_side_name[i],
		    strerror(e));
	px_log(CONF_LOG_INFO, "%s: %s -> %s: %s", t->s.ln->name,
	    px_sess_peer(&t->s), t->srv_addr->text, why);
	px_tcp_close(&t->s, why);
}

/*
 * Passes side i's FIN on to the other side.  Returns 1 when that ended the
 * session (t is gone), else 0.
 */
static int
px_tcp_shut(struct px_tcp *t, int i)
{
	struct px_dir	*d = &t->dir[i];
	int		 o = !i;

	d->shut = true;
	if (px_io_shut(t->fd[o], o == PX_CLI ? t->ssl : NULL) == -1 &&
	    errno != ENOTCONN) {
		px_tcp_fail(t, o, errno);
		return (1);
	}
	if (t->dir[o].shut) {
		px_tcp_close(&t->s, "done");
		return (1);
	}
	return (0);
}

static ssize_t
px_tcp_send(struct px_tcp *t, int o, const void *buf, size_t len)
{
	return (px_io_send(t->fd[o], o == PX_CLI ? t->ssl : NULL, &t->blk,
	    buf, len));
}

/*
 * A write to side o must wait.  A TLS write that waits for the client to
 * send (a handshake still going) waits on the read event, whose handler
 * flushes first; anything else on the write event.
 */
static void
px_tcp_wait_write(struct px_tcp *t, int o)
{
	if (o == PX_CLI && (t->blk & PX_IO_WWANTR))
		event_add(t->rev[PX_CLI], NULL);
	else
		event_add(t->wev[o], NULL);
}

/* Reading side i goes on; bytes OpenSSL holds raise no socket event. */
static void
px_tcp_resume(struct px_tcp *t, int i)
{
	event_add(t->rev[i], NULL);
	if (i == PX_CLI && px_tls_pending(t->ssl))
		event_active(t->rev[i], EV_READ, 1);
}

/*
 * Writes what direction i holds to the other side.  Returns -1 when the
 * session ended, 0 when all was written, 1 when some is left (the write
 * event is then armed and reading side i stops).
 */
static int
px_tcp_flush(struct px_tcp *t, int i)
{
	struct px_dir	*d = &t->dir[i];
	int		 o = !i;

	while (d->head < d->tail) {
		ssize_t n = px_tcp_send(t, o, d->buf + d->head,
		    d->tail - d->head);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_del(t->rev[i]);
			px_tcp_wait_write(t, o);
			return (1);
		}
		if (n == -1) {
			px_tcp_fail(t, o, errno);
			return (-1);
		}
		d->head += (size_t)n;
	}
	free(d->buf);
	d->buf = NULL;
	d->head = d->tail = 0;
	return (0);
}

/* Keeps bytes the other side could not take yet; -1 if out of memory. */
static int
px_tcp_keep(struct px_tcp *t, int i, const char *p, size_t len)
{
	struct px_dir *d = &t->dir[i];

	if (d->buf == NULL &&
	    (d->buf = malloc((size_t)t->s.ln->buffer)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: %s: out of memory", t->s.ln->name,
		    px_sess_peer(&t->s));
		px_tcp_close(&t->s, "out of memory");
		return (-1);
	}
	memcpy(d->buf + d->tail, p, len);
	d->tail += len;
	return (0);
}

/* Side i sent its FIN; pass it on once nothing is pending. */
static void
px_tcp_eof(struct px_tcp *t, int i)
{
	struct px_dir *d = &t->dir[i];

	d->eof = true;
	event_del(t->rev[i]);
	if (d->buf == NULL && (i == PX_SRV || t->connected))
		(void)px_tcp_shut(t, i);
}

/* Reads side i and passes it on; -1 when the session ended. */
static int
px_tcp_pull(struct px_tcp *t, int i)
{
	int		 o = !i;
	struct px_dir	*d = &t->dir[i];
	char		*scratch = t->s.wk->scratch;
	size_t		 max = (size_t)t->s.ln->buffer;
	int		 round;

	if (max > t->s.wk->scratch_len)
		max = t->s.wk->scratch_len;
	for (round = 0; round < PX_TCP_READS_MAX; round++) {
		ssize_t n = px_io_recv(t->fd[i], i == PX_CLI ? t->ssl : NULL,
		    &t->blk, scratch, max), w = 0;

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				if (i == PX_CLI && (t->blk & PX_IO_RWANTW))
					event_add(t->wev[PX_CLI], NULL);
				return (0);
			}
			px_tcp_fail(t, i, errno);
			return (-1);
		}
		if (n == 0) {
			px_tcp_eof(t, i);
			return (0);
		}
		if (i == PX_CLI && d->bytes == 0 &&
		    px_accept_sniff(&t->s, scratch, (size_t)n)) {
			t->end = "cli_error";
			px_tcp_close(&t->s, "PROXY header refused");
			return (-1);
		}
		d->bytes += (uint64_t)n;
		t->last = px_now_ms();
		if (o == PX_CLI || t->connected) {
			w = px_tcp_send(t, o, scratch, (size_t)n);
			if (w == -1 && errno != EAGAIN && errno != EINTR) {
				px_tcp_fail(t, o, errno);
				return (-1);
			}
			if (w == -1)
				w = 0;
		}
		if (w < n) {
			if (px_tcp_keep(t, i, scratch + w, (size_t)(n - w)) ==
			    -1)
				return (-1);
			event_del(t->rev[i]);
			if (o == PX_CLI || t->connected)
				px_tcp_wait_write(t, o);
			return (0);
		}
		/* The socket is most likely empty; a TLS read ends at the
		 * end of a record instead. */
		if ((size_t)n < max && (i == PX_SRV || t->ssl == NULL))
			return (0);
	}
	if (i == PX_CLI && px_tls_pending(t->ssl))
		event_active(t->rev[i], EV_READ, 1);
	return (0);
}

static void
px_tcp_read(evutil_socket_t fd, short what, void *arg)
{
	struct px_tcp	*t = arg;
	int		 i = fd == t->fd[PX_SRV] ? PX_SRV : PX_CLI;
	struct px_dir	*sd = &t->dir[PX_SRV];

	/* A TLS write to the client that waited for its bytes goes first. */
	if (i == PX_CLI && (t->blk & PX_IO_WWANTR) && sd->buf != NULL) {
		int r = px_tcp_flush(t, PX_SRV);

		if (r == -1)
			return;
		if (r == 0) {
			if (sd->eof) {
				if (px_tcp_shut(t, PX_SRV) == 1)
					return;
			} else
				px_tcp_resume(t, PX_SRV);
		}
	}
	/* Woken for the write only: this side's own reading is paused. */
	if (i == PX_CLI && (t->dir[PX_CLI].buf != NULL ||
	    t->dir[PX_CLI].eof)) {
		if (!(t->blk & PX_IO_WWANTR))
			event_del(t->rev[PX_CLI]);
		return;
	}
	(void)px_tcp_pull(t, i);
}

/*
 * Connects to a server picked for this session; one whose connect fails at
 * once is followed by the next (px_tcp_next).  -1 when the session ended.
 */
static int
px_tcp_connect(struct px_tcp *t)
{
	const struct px_backend	*pb;
	struct px_worker	*wk = t->s.wk;
	struct timeval		 tv;

	pb = px_gen_backend(t->s.gen, t->s.ln->backend);
	for (;;) {
		if (t->sv != NULL)
			px_server_release(t->sv);
		t->sv = t->next;
		t->next = NULL;
		if (t->sv == NULL)
			t->sv = px_balance_pick(wk, pb,
			    (const struct sockaddr *)&t->s.cli_addr, NULL, 0);
		if (t->sv == NULL) {
			px_log(CONF_LOG_INFO, "%s: %s: backend %s: no server "
			    "is up; closing", t->s.ln->name,
			    px_sess_peer(&t->s), pb->conf->name);
			t->end = "srv_unavailable";
			px_tcp_close(&t->s, "no server");
			return (-1);
		}
		px_server_take(t->sv);
		t->srv_addr = &t->sv->addr;
		px_st_add(t->sv->st, wk->idx, PX_SS_REQS, 1);
		px_st_add(t->sv->st, wk->idx, PX_SS_CONNS, 1);
		if (t->ntried < PX_TRIES_MAX)
			t->tried[t->ntried++] = t->sv;
		t->fd[PX_SRV] = socket(t->srv_addr->ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (t->fd[PX_SRV] == -1 || px_sock_tune(t->fd[PX_SRV]) == -1) {
			px_log(CONF_LOG_ERR, "%s: %s -> %s: socket: %s",
			    t->s.ln->name, px_sess_peer(&t->s),
			    t->srv_addr->text, strerror(errno));
			px_tcp_close(&t->s, "setup failed");
			return (-1);
		}
		event_del(t->rev[PX_SRV]);
		event_del(t->wev[PX_SRV]);
		event_assign(t->rev[PX_SRV], wk->base, t->fd[PX_SRV],
		    EV_READ | EV_PERSIST, px_tcp_read, t);
		event_assign(t->wev[PX_SRV], wk->base, t->fd[PX_SRV],
		    EV_WRITE | EV_PERSIST, px_tcp_write, t);
		if (connect(t->fd[PX_SRV],
		    (const struct sockaddr *)&t->srv_addr->ss,
		    t->srv_addr->len) == -1 && errno != EINPROGRESS) {
			if (px_tcp_next(t, errno) == 0)
				continue;
			return (-1);
		}
		/* Writable means connected; the timeout is the connect's. */
		tv = px_ms_tv(t->s.ln->backend->connect_timeout);
		event_add(t->wev[PX_SRV], &tv);
		return (0);
	}
}

/*
 * The connect to t->sv failed with e: logs it, counts it against the
 * server, and returns 0 when another server may be tried (retries), or
 * -1 after ending the session.
 */
static int
px_tcp_next(struct px_tcp *t, int e)
{
	const struct conf_backend	*b = t->s.ln->backend;
	const char			*why = e == ETIMEDOUT ? "timed out" :
					    strerror(e);

	event_del(t->wev[PX_SRV]);
	close(t->fd[PX_SRV]);
	t->fd[PX_SRV] = -1;
	px_server_connect_done(t->sv, t->s.wk->idx, e, why);
	if (t->ntried <= b->retries && (t->next = px_balance_pick(t->s.wk,
	    px_gen_backend(t->s.gen, b), (const struct sockaddr *)&t->s.cli_addr,
	    t->tried, (size_t)t->ntried)) != NULL) {
		px_log(CONF_LOG_INFO, "%s: %s -> %s: connect failed: %s; "
		    "trying %s (attempt %d of at most %d)", t->s.ln->name,
		    px_sess_peer(&t->s), t->srv_addr->text, why,
		    t->next->addr.text, t->ntried + 1, b->retries + 1);
		px_server_retried(t->sv, t->s.wk->idx);
		return (0);
	}
	px_warnx("%s: %s -> %s: connect failed: %s", t->s.ln->name,
	    px_sess_peer(&t->s), t->srv_addr->text, why);
	t->end = e == ETIMEDOUT ? "srv_timeout" : e == ECONNREFUSED ?
	    "srv_refused" : "srv_connect_failed";
	px_tcp_close(&t->s, "connect failed");
	return (-1);
}

/* Connect finished (or failed, or timed out). */
static void
px_tcp_connected(struct px_tcp *t, short what)
{
	uint8_t		pp[PX_PP_OUT_MAX];
	size_t		pplen;
	ssize_t		w;
	int		e = 0;
	socklen_t	len = sizeof(e);

	if (what & EV_TIMEOUT)
		e = ETIMEDOUT;
	else if (getsockopt(t->fd[PX_SRV], SOL_SOCKET, SO_ERROR, &e, &len) ==
	    -1)
		e = errno;
	if (e != 0) {
		if (px_tcp_next(t, e) == 0)
			(void)px_tcp_connect(t);
		return;
	}
	px_server_connect_done(t->sv, t->s.wk->idx, 0, NULL);
	/*
	 * The backend's PROXY header goes before any byte of the client.  A
	 * socket just connected takes these few bytes at once.
	 */
	if ((pplen = px_sess_pp(&t->s, t->fd[PX_CLI], pp)) > 0 &&
	    (w = send(t->fd[PX_SRV], pp, pplen, MSG_NOSIGNAL)) !=
	    (ssize_t)pplen) {
		px_log(CONF_LOG_INFO, "%s: %s -> %s: PROXY header not sent: %s",
		    t->s.ln->name, px_sess_peer(&t->s), t->srv_addr->text,
		    w == -1 ? strerror(errno) : "short write");
		t->end = "srv_error";
		px_tcp_close(&t->s, "PROXY header not sent");
		return;
	}
	t->connected = true;
	if (t->s.gen->alogs != NULL) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		t->connect_us = ((int64_t)now.tv_sec - t->begin.tv_sec) *
		    1000000 + (now.tv_nsec - t->begin.tv_nsec) / 1000;
	}
	event_del(t->wev[PX_SRV]);
	event_add(t->rev[PX_SRV], NULL);
	if (px_tcp_flush(t, PX_CLI) != 0)
		return;
	if (t->dir[PX_CLI].eof)
		(void)px_tcp_shut(t, PX_CLI);
	else
		px_tcp_resume(t, PX_CLI);
}

static void
px_tcp_write(evutil_socket_t fd, short what, void *arg)
{
	struct px_tcp	*t = arg;
	int		 o = fd == t->fd[PX_SRV] ? PX_SRV : PX_CLI, i = !o;

	if (o == PX_SRV && !t->connected) {
		px_tcp_connected(t, what);
		return;
	}
	/* A TLS read from the client that had to write first goes on. */
	if (o == PX_CLI && (t->blk & PX_IO_RWANTW)) {
		if (t->dir[PX_CLI].buf == NULL && !t->dir[PX_CLI].eof &&
		    px_tcp_pull(t, PX_CLI) == -1)
			return;
		if (t->dir[i].buf == NULL) {
			if (!(t->blk & PX_IO_RWANTW))
				event_del(t->wev[o]);
			return;
		}
	}
	if (px_tcp_flush(t, i) != 0)
		return;
	event_del(t->wev[o]);
	if (t->dir[i].eof)
		(void)px_tcp_shut(t, i);
	else
		px_tcp_resume(t, i);
}

static void
px_tcp_idle(evutil_socket_t fd, short what, void *arg)
{
	struct px_tcp	*t = arg;
	uint64_t	 idle = t->s.ln->client_idle, since, now;
	uint64_t	 hs = t->s.ln->client_header;
	struct timeval	 tv;

	now = px_now_ms();
	if (!px_tls_done(t->ssl)) {
		if (now - t->start >= hs) {
			px_log(CONF_LOG_INFO, "%s: %s: no TLS handshake within "
			    "%llu ms", t->s.ln->name, px_sess_peer(&t->s),
			    (unsigned long long)hs);
			t->end = "cli_timeout";
			px_tcp_close(&t->s, "handshake timeout");
			return;
		}
		if (idle > hs - (now - t->start))
			idle = hs - (now - t->start);
		tv = px_ms_tv(idle);
		evtimer_add(t->idle, &tv);
		return;
	}
	since = now - t->last;
	if (since >= idle) {
		px_log(CONF_LOG_INFO, "%s: %s -> %s: idle timeout",
		    t->s.ln->name, px_sess_peer(&t->s), t->srv_addr->text);
		px_tcp_close(&t->s, "idle timeout");
		return;
	}
	tv = px_ms_tv(idle - since);
	evtimer_add(t->idle, &tv);
}

void
px_tcp_start(struct px_worker *wk, const struct px_lbind *lb,
    struct px_conn *c)
{
	struct px_tcp		*t;
	struct timeval		 tv;
	size_t			 evsz = event_get_struct_event_size();
	char			*evmem;
	int			 i, fd = c->fd;

	/* The session and its five events in one allocation. */
	if ((t = calloc(1, sizeof(*t) + 5 * evsz)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: out of memory", lb->ln->name);
		px_conn_close(c);
		return;
	}
	px_sess_init(&t->s, PX_SESS_TCP, wk, lb, c);
	t->fd[PX_CLI] = fd;
	t->fd[PX_SRV] = -1;
	t->connect_us = -1;
	clock_gettime(CLOCK_REALTIME, &t->begin);
	t->last = t->start = px_now_ms();
	if (lb->ln->tls != NULL &&
	    (t->ssl = px_tls_accept(t->s.gen, lb->ln, fd)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: %s: TLS setup failed", lb->ln->name,
		    px_sess_peer(&t->s));
		px_tcp_close(&t->s, "setup failed");
		return;
	}
	evmem = (char *)(t + 1);
	for (i = 0; i < 2; i++) {
		t->rev[i] = (struct event *)(evmem + (size_t)(2 * i) * evsz);
		t->wev[i] = (struct event *)(evmem +
		    (size_t)(2 * i + 1) * evsz);
		event_assign(t->rev[i], wk->base, t->fd[i],
		    EV_READ | EV_PERSIST, px_tcp_read, t);
		event_assign(t->wev[i], wk->base, t->fd[i],
		    EV_WRITE | EV_PERSIST, px_tcp_write, t);
	}
	t->idle = (struct event *)(evmem + 4 * evsz);
	evtimer_assign(t->idle, wk->base, px_tcp_idle, t);
	t->assigned = true;
	/* Until the handshake is done, client_header bounds it. */
	tv = px_ms_tv(t->ssl != NULL && lb->ln->client_header <
	    lb->ln->client_idle ? lb->ln->client_header : lb->ln->client_idle);
	evtimer_add(t->idle, &tv);

	px_st_add(px_gen_backend(t->s.gen, lb->ln->backend)->st, wk->idx,
	    PX_SB_REQS, 1);
	if (px_tcp_connect(t) == -1)
		return;
	event_add(t->rev[PX_CLI], NULL);
}
