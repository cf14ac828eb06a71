/*
 * The built-in status responder (`backend: { builtin: status }`): a tiny
 * HTTP/1.x server that answers every request with the address it saw the
 * client connect from.  It lets a fresh install prove, with nothing else
 * running, that an IPv6 client reaches an IPv4 service through v6front.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "proxy/proxy.h"

#define PX_STATUS_HEAD_MAX	8192	/* request head we accept */
#define PX_STATUS_TIMEOUT_MS	10000	/* to send the head, or to go away */

struct px_status {
	struct px_sess		 s;	/* first: the shared part */
	struct bufferevent	*bev;	/* owned */
	bool			 replied;
	uint64_t		 in;	/* bytes taken from the client */
	uint64_t		 out;	/* bytes queued for it */
};

void
px_status_close(struct px_sess *s, const char *why)
{
	struct px_status *st = (struct px_status *)s;

	if (px_log_enabled(CONF_LOG_DEBUG))
		px_log(CONF_LOG_DEBUG, "%s: %s: status closed (%s)",
		    s->ln->name, px_sess_peer(s), why);
	if (st->bev != NULL) {
		/* Read but not looked at counts; queued but unsent does not. */
		st->in += evbuffer_get_length(bufferevent_get_input(st->bev));
		st->out -= evbuffer_get_length(
		    bufferevent_get_output(st->bev));
		bufferevent_free(st->bev);
	}
	px_st_add(s->st, s->wk->idx, PX_SL_IN, st->in);
	px_st_add(s->st, s->wk->idx, PX_SL_OUT, st->out);
	px_sess_fini(s);
	free(st);
}

/* Queues a complete response with Connection: close. */
static void
px_status_reply(struct px_status *st, int code, const char *reason,
    bool head_only, const char *body)
{
	struct evbuffer *out = bufferevent_get_output(st->bev);
	size_t before = evbuffer_get_length(out);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Server: v6front/%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n\r\n", code, reason, V6F_VERSION,
	    strlen(body));
	if (!head_only)
		evbuffer_add(out, body, strlen(body));
	st->out += evbuffer_get_length(out) - before;
	st->replied = true;
	/* Half-close once written, then wait for the client's FIN (below). */
	bufferevent_setwatermark(st->bev, EV_WRITE, 0, 0);
}

/* Checks "METHOD SP TARGET SP HTTP/1.x"; returns 1 for HEAD, 0, or -1. */
static int
px_status_reqline(const char *line, size_t len)
{
	const char	*sp1, *sp2;
	size_t		 i;

	if ((sp1 = memchr(line, ' ', len)) == NULL || sp1 == line)
		return (-1);
	for (i = 0; line + i < sp1; i++)
		if (line[i] < 'A' || line[i] > 'Z')
			return (-1);
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (sp2 == NULL || sp2 == sp1 + 1 ||
	    (size_t)(line + len - (sp2 + 1)) != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return (-1);
	return (sp1 - line == 4 && memcmp(line, "HEAD", 4) == 0);
}

static void
px_status_read(struct bufferevent *bev, void *arg)
{
	struct px_status	*st = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 end, eol;
	struct sockaddr_storage	 loc;
	socklen_t		 loclen = sizeof(loc);
	char			 line[PX_STATUS_HEAD_MAX], body[512];
	char			 cli[PX_PEERSTRLEN], srv[PX_PEERSTRLEN];
	size_t			 n;
	int			 head;

	if (st->replied) {
		st->in += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) >= PX_STATUS_HEAD_MAX) {
			px_log(CONF_LOG_INFO, "%s: %s: status: request head "
			    "too large", st->s.ln->name, px_sess_peer(&st->s));
			px_status_reply(st, 431, "Request Header Fields Too "
			    "Large", false, "request head too large\n");
		}
		return;
	}
	eol = evbuffer_search(in, "\r\n", 2, NULL);
	if ((n = (size_t)eol.pos) >= sizeof(line)) {
		px_status_reply(st, 414, "URI Too Long", false,
		    "request line too long\n");
		return;
	}
	st->in += evbuffer_get_length(in);
	evbuffer_remove(in, line, n);
	evbuffer_drain(in, evbuffer_get_length(in));
	if ((head = px_status_reqline(line, n)) == -1) {
		px_log(CONF_LOG_INFO, "%s: %s: status: malformed request "
		    "line", st->s.ln->name, px_sess_peer(&st->s));
		px_status_reply(st, 400, "Bad Request", false,
		    "malformed request line\n");
		return;
	}
	if (getsockname(bufferevent_getfd(bev), (struct sockaddr *)&loc,
	    &loclen) == -1)
		memset(&loc, 0, sizeof(loc));
	conf_addr_fmt((const struct sockaddr *)&st->s.cli_addr, true, cli,
	    sizeof(cli));
	conf_addr_fmt((const struct sockaddr *)&loc, true, srv, sizeof(srv));
	snprintf(body, sizeof(body),
	    "v6front %s status\n"
	    "client: %s (%s)\n"
	    "server: %s (listener %s)\n",
	    V6F_VERSION, cli,
	    strchr(cli, '[') != NULL ? "IPv6" : "IPv4", srv, st->s.ln->name);
	px_status_reply(st, 200, "OK", head == 1, body);
}

static void
px_status_write(struct bufferevent *bev, void *arg)
{
	struct px_status *st = arg;

	/*
	 * Response written: send our FIN but keep reading until the client's,
	 * so a client still sending does not get its answer cut by a reset.
	 */
	if (st->replied && shutdown(bufferevent_getfd(bev), SHUT_WR) == -1)
		px_status_close(&st->s, "shutdown failed");
}

static void
px_status_event(struct bufferevent *bev, short what, void *arg)
{
	struct px_status *st = arg;

	px_status_close(&st->s, (what & BEV_EVENT_TIMEOUT) ? "timeout" :
	    (what & BEV_EVENT_EOF) ? "done" : "error");
}

void
px_status_start(struct px_worker *wk, const struct px_lbind *lb,
    struct px_conn *c)
{
	struct px_status	*st;
	struct timeval		 tv = px_ms_tv(PX_STATUS_TIMEOUT_MS);
	int			 fd = c->fd;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		px_log(CONF_LOG_ERR, "%s: out of memory", lb->ln->name);
		px_conn_close(c);
		return;
	}
	px_sess_init(&st->s, PX_SESS_STATUS, wk, lb, c);
	if ((st->bev = bufferevent_socket_new(wk->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		px_warn("%s: %s: status", lb->ln->name, px_sess_peer(&st->s));
		close(fd);
		px_status_close(&st->s, "setup failed");
		return;
	}
	bufferevent_setcb(st->bev, px_status_read, px_status_write,
	    px_status_event, st);
	bufferevent_setwatermark(st->bev, EV_READ, 0, PX_STATUS_HEAD_MAX);
	bufferevent_set_timeouts(st->bev, &tv, &tv);
	bufferevent_enable(st->bev, EV_READ);
}
