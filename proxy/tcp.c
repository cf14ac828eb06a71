/*
 * mode: tcp — a byte relay between a client and one backend address.
 *
 * Flow control: each side reads at most `buffer` bytes ahead of what the
 * other side has written.  When the other side's output passes that mark,
 * reading stops; it resumes once the output drains to half of it.  So a slow
 * or stalled peer costs at most 2 x buffer per session, never more.
 *
 * Half-close: a FIN from one side is passed on as shutdown(SHUT_WR) to the
 * other once everything before it has been written; the session ends when
 * both directions are shut, on an error, or when no byte moved either way
 * for client_idle.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "proxy/proxy.h"

enum { PX_CLI = 0, PX_SRV = 1 };

struct px_tcp {
	struct px_sess		 s;		/* first: the shared part */
	struct bufferevent	*bev[2];	/* owned; [PX_CLI], [PX_SRV] */
	struct event		*idle;		/* owned */
	const struct conf_sockaddr *srv_addr;	/* borrowed from s.gen */
	uint64_t		 last;		/* ms, last byte either way */
	uint64_t		 bytes[2];	/* read from each side */
	bool			 connected;
	bool			 eof[2];	/* FIN received from side */
	bool			 shut[2];	/* FIN sent to side */
};

static const char *const px_side_name[2] = { "client", "backend" };

static uint64_t
px_tcp_clock(void)
{
	struct timespec ts;

	/* Coarse is enough for an idle timer and costs no syscall. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static int
px_tcp_side(const struct px_tcp *t, const struct bufferevent *bev)
{
	return (bev == t->bev[PX_SRV] ? PX_SRV : PX_CLI);
}

void
px_tcp_close(struct px_sess *s, const char *why)
{
	struct px_tcp *t = (struct px_tcp *)s;

	if (px_log_enabled(CONF_LOG_DEBUG))
		px_log(CONF_LOG_DEBUG, "%s: %s -> %s: closed (%s), %llu bytes "
		    "up, %llu down", s->ln->name, s->peer,
		    t->srv_addr ? t->srv_addr->text : "-", why,
		    (unsigned long long)t->bytes[PX_CLI],
		    (unsigned long long)t->bytes[PX_SRV]);
	if (t->bev[PX_CLI] != NULL)
		bufferevent_free(t->bev[PX_CLI]);
	if (t->bev[PX_SRV] != NULL)
		bufferevent_free(t->bev[PX_SRV]);
	if (t->idle != NULL)
		event_free(t->idle);
	px_sess_fini(s);
	free(t);
}

/* Sends our FIN to side i; ends the session once both ways are shut. */
static void
px_tcp_shut(struct px_tcp *t, int i)
{
	if (!t->shut[i]) {
		t->shut[i] = true;
		if (shutdown(bufferevent_getfd(t->bev[i]), SHUT_WR) == -1 &&
		    errno != ENOTCONN) {
			px_tcp_close(&t->s, "shutdown failed");
			return;
		}
	}
	if (t->shut[PX_CLI] && t->shut[PX_SRV])
		px_tcp_close(&t->s, "done");
}

/* Side i sent a FIN: pass it on to the other side once its output drained. */
static void
px_tcp_eof(struct px_tcp *t, int i)
{
	int o = !i;

	t->eof[i] = true;
	if (o == PX_SRV && !t->connected)
		return;		/* the connect handler finishes this */
	if (evbuffer_get_length(bufferevent_get_output(t->bev[o])) == 0)
		px_tcp_shut(t, o);
	else
		bufferevent_setwatermark(t->bev[o], EV_WRITE, 0, 0);
}

static void
px_tcp_read(struct bufferevent *bev, void *arg)
{
	struct px_tcp	*t = arg;
	int		 i = px_tcp_side(t, bev), o = !i;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer	*out = bufferevent_get_output(t->bev[o]);
	size_t		 max = (size_t)t->s.ln->buffer;

	t->bytes[i] += evbuffer_get_length(in);
	t->last = px_tcp_clock();
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= max) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(t->bev[o], EV_WRITE, max / 2, 0);
	}
}

/* Side i's output drained to its low-water mark. */
static void
px_tcp_write(struct bufferevent *bev, void *arg)
{
	struct px_tcp	*t = arg;
	int		 i = px_tcp_side(t, bev), o = !i;

	if (t->eof[o]) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			px_tcp_shut(t, i);
		return;
	}
	if (!(bufferevent_get_enabled(t->bev[o]) & EV_READ)) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(t->bev[o], EV_READ);
	}
}

static void
px_tcp_connected(struct px_tcp *t)
{
	struct bufferevent *srv = t->bev[PX_SRV];

	t->connected = true;
	bufferevent_set_timeouts(srv, NULL, NULL);
	bufferevent_enable(srv, EV_READ);
	if (t->eof[PX_CLI])
		px_tcp_eof(t, PX_CLI);
}

static void
px_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct px_tcp	*t = arg;
	int		 i = px_tcp_side(t, bev);
	int		 e = EVUTIL_SOCKET_ERROR();
	char		 why[96];

	if (i == PX_SRV && !t->connected) {
		if (what & BEV_EVENT_CONNECTED) {
			px_tcp_connected(t);
			return;
		}
		px_warnx("%s: %s -> %s: connect failed: %s", t->s.ln->name,
		    t->s.peer, t->srv_addr->text, (what & BEV_EVENT_TIMEOUT) ?
		    "timed out" : e ? strerror(e) : "connection closed");
		px_tcp_close(&t->s, "connect failed");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		px_tcp_eof(t, i);
		return;
	}
	snprintf(why, sizeof(why), "%s %s", px_side_name[i],
	    e ? strerror(e) : "error");
	px_log(CONF_LOG_INFO, "%s: %s -> %s: %s", t->s.ln->name, t->s.peer,
	    t->srv_addr->text, why);
	px_tcp_close(&t->s, why);
}

static void
px_tcp_idle(evutil_socket_t fd, short what, void *arg)
{
	struct px_tcp	*t = arg;
	uint64_t	 idle = t->s.ln->client_idle, since;
	struct timeval	 tv;

	since = px_tcp_clock() - t->last;
	if (since >= idle) {
		px_log(CONF_LOG_INFO, "%s: %s -> %s: idle timeout",
		    t->s.ln->name, t->s.peer, t->srv_addr->text);
		px_tcp_close(&t->s, "idle timeout");
		return;
	}
	tv = px_ms_tv(idle - since);
	evtimer_add(t->idle, &tv);
}

void
px_tcp_start(struct px_worker *wk, const struct px_lbind *lb, int fd,
    const struct sockaddr *sa, socklen_t salen)
{
	struct px_tcp		*t;
	const struct px_backend	*pb;
	struct timeval		 tv;
	size_t			 max = (size_t)lb->ln->buffer;
	int			 sfd = -1, i;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		px_log(CONF_LOG_ERR, "%s: out of memory", lb->ln->name);
		close(fd);
		return;
	}
	px_sess_init(&t->s, PX_SESS_TCP, wk, lb, fd, sa, salen);
	pb = px_gen_backend(t->s.gen, lb->ln->backend);
	t->srv_addr = px_worker_pick(wk, t->s.gen, pb);
	t->last = px_tcp_clock();

	if (px_sock_tune(fd) == -1 ||
	    (t->bev[PX_CLI] = bufferevent_socket_new(wk->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		px_warn("%s: %s: accept", lb->ln->name, t->s.peer);
		close(fd);
		px_tcp_close(&t->s, "setup failed");
		return;
	}
	sfd = socket(t->srv_addr->ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sfd == -1 || px_sock_tune(sfd) == -1 ||
	    (t->bev[PX_SRV] = bufferevent_socket_new(wk->base, sfd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		px_log(CONF_LOG_ERR, "%s: %s -> %s: socket: %s", lb->ln->name,
		    t->s.peer, t->srv_addr->text, strerror(errno));
		if (sfd != -1)
			close(sfd);
		px_tcp_close(&t->s, "setup failed");
		return;
	}
	for (i = 0; i < 2; i++) {
		bufferevent_setcb(t->bev[i], px_tcp_read, px_tcp_write,
		    px_tcp_event, t);
		bufferevent_setwatermark(t->bev[i], EV_READ, 0, max);
		/* Fewer, larger reads and writes: less CPU per byte. */
		bufferevent_set_max_single_read(t->bev[i], max);
		bufferevent_set_max_single_write(t->bev[i], max);
	}
	if ((t->idle = evtimer_new(wk->base, px_tcp_idle, t)) == NULL) {
		px_tcp_close(&t->s, "setup failed");
		return;
	}
	tv = px_ms_tv(lb->ln->client_idle);
	evtimer_add(t->idle, &tv);

	/*
	 * We connect ourselves so an immediate failure is reported with its
	 * real errno; libevent then waits for the connect to finish, and a
	 * write timeout while connecting is its connect timeout.
	 */
	if (connect(sfd, (const struct sockaddr *)&t->srv_addr->ss,
	    t->srv_addr->len) == -1 && errno != EINPROGRESS) {
		px_warn("%s: %s -> %s: connect failed", lb->ln->name,
		    t->s.peer, t->srv_addr->text);
		px_tcp_close(&t->s, "connect failed");
		return;
	}
	tv = px_ms_tv(lb->ln->backend->connect_timeout);
	bufferevent_set_timeouts(t->bev[PX_SRV], NULL, &tv);
	if (bufferevent_socket_connect(t->bev[PX_SRV], NULL, 0) == -1) {
		px_warn("%s: %s -> %s: connect failed", lb->ln->name,
		    t->s.peer, t->srv_addr->text);
		px_tcp_close(&t->s, "connect failed");
		return;
	}
	bufferevent_enable(t->bev[PX_CLI], EV_READ);
}
