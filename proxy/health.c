/*
 * Active health checks, run by the main thread's event loop (never by a
 * worker).  Every `health.every` each server of a backend with `health:`
 * gets a TCP connect within `health.timeout`; with `health.path` the
 * check goes on with "GET path HTTP/1.1" and passes on a 2xx or 3xx
 * status line.  A backend with `tls:` is checked over TLS: the handshake,
 * with the certificate verified as for real traffic, is part of the
 * check, then the HTTP request if there is one.  `fall` failures in a row mark an up server down, `rise`
 * successes in a row bring a down one up, whatever took it down (these
 * checks, or connect failures of real traffic: health.max_fails).
 * A server that left its DNS answer is not checked until it comes back.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/proxy.h"


struct px_hc {
	struct px_server	*sv;	/* borrowed */
	struct event		*timer;	/* owned */
	struct event		*io;	/* owned; while a check runs */
	int			 fd;	/* owned; -1 between checks */
	bool			 connected;
	struct ssl_st		*ssl;	/* owned; TLS backends, while a check runs */
	uint8_t			 blk;	/* PX_IO_* of the last px_io_* call */
	char			*req;	/* owned; the HTTP check, or NULL */
	size_t			 reqlen;
	size_t			 sent;
	char			 buf[PX_HC_BUF];
	size_t			 len;
	uint64_t		 deadline;	/* ms, monotonic */
};

static void	px_hc_io(evutil_socket_t, short, void *);

static void
px_hc_end_io(struct px_hc *hc)
{
	if (hc->io != NULL)
		event_free(hc->io);
	hc->io = NULL;
	px_tls_free_ssl(hc->ssl);
	hc->ssl = NULL;
	if (hc->fd != -1)
		close(hc->fd);
	hc->fd = -1;
}

/* A check ended: counts it, maybe flips the server, plans the next. */
static void
px_hc_done(struct px_hc *hc, bool ok, const char *why)
{
	struct px_server		*sv = hc->sv;
	const struct conf_health	*h = &sv->pb->conf->health;
	struct timeval			 tv = px_ms_tv(h->every);
	bool				 up;
	char				 msg[160];

	px_hc_end_io(hc);
	up = __atomic_load_n(&sv->up, __ATOMIC_RELAXED) != 0;
	if (up != sv->seen_up)		/* passive checks took it down */
		sv->hc_ok = sv->hc_bad = 0;
	if (ok) {
		sv->hc_bad = 0;
		if (sv->hc_ok < h->rise)
			sv->hc_ok++;
		if (!up && sv->hc_ok >= h->rise) {
			(void)snprintf(msg, sizeof(msg), "%d health check%s "
			    "passed", sv->hc_ok, sv->hc_ok == 1 ? "" : "s");
			(void)px_server_set_up(sv, true, msg);
			__atomic_store_n(&sv->fails, 0, __ATOMIC_RELAXED);
		}
	} else {
		sv->hc_ok = 0;
		if (sv->hc_bad < h->fall)
			sv->hc_bad++;
		if (up && sv->hc_bad >= h->fall) {
			(void)snprintf(msg, sizeof(msg), "%d health check%s "
			    "failed, last: %s", sv->hc_bad,
			    sv->hc_bad == 1 ? "" : "s", why);
			(void)px_server_set_up(sv, false, msg);
		} else if (up)
			px_log(CONF_LOG_INFO, "backend %s: server %s: health "
			    "check failed: %s", sv->pb->conf->name,
			    sv->addr.text, why);
	}
	sv->seen_up = __atomic_load_n(&sv->up, __ATOMIC_RELAXED) != 0;
	evtimer_add(hc->timer, &tv);
}

int
px_health_status(const char *buf, size_t len, bool eof, char *why,
    size_t whylen)
{
	const char	*eol;
	int		 st;

	if ((eol = memchr(buf, '\n', len)) == NULL) {
		if (!eof && len < PX_HC_BUF - 1)
			return (-1);
		(void)snprintf(why, whylen, "no HTTP status line");
		return (0);
	}
	if (eol - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9') {
		(void)snprintf(why, whylen, "no HTTP status line");
		return (0);
	}
	st = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (st >= 200 && st < 400)
		return (1);
	(void)snprintf(why, whylen, "HTTP status %d", st);
	return (0);
}

static void
px_hc_arm(struct px_hc *hc, short what)
{
	uint64_t	now = px_now_ms();
	struct timeval	tv = px_ms_tv(hc->deadline > now ?
			    hc->deadline - now : 0);

	event_del(hc->io);
	event_assign(hc->io, event_get_base(hc->timer), hc->fd, what,
	    px_hc_io, hc);
	event_add(hc->io, &tv);
}

/* A failed I/O call of a check: errno says why. */
static void
px_hc_fail(struct px_hc *hc, const char *what)
{
	char	why[128], e[96];

	(void)snprintf(why, sizeof(why), "%s: %s", what,
	    px_io_why(hc->ssl, errno, e, sizeof(e)));
	px_hc_done(hc, false, why);
}

static void
px_hc_io(evutil_socket_t fd, short what, void *arg)
{
	struct px_hc		*hc = arg;
	const struct px_backend	*pb = hc->sv->pb;
	char			 why[128];
	socklen_t		 len = sizeof(int);
	ssize_t			 n;
	int			 e = 0, r;
	bool			 rd;

	if (what & EV_TIMEOUT) {
		px_hc_done(hc, false, !hc->connected ? "connect timed out" :
		    hc->ssl != NULL && !px_tls_done(hc->ssl) ?
		    "TLS handshake timed out" : "no answer in time");
		return;
	}
	if (!hc->connected) {
		if (getsockopt(hc->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e != 0) {
			errno = e;
			px_hc_fail(hc, "connect");
			return;
		}
		hc->connected = true;
		if (pb->conf->tls != NULL && (hc->ssl = px_tls_connect(pb->gen,
		    pb->conf, px_tls_host(pb->conf, &hc->sv->addr),
		    hc->fd)) == NULL) {
			px_hc_done(hc, false, "out of memory");
			return;
		}
	}
	if (hc->ssl != NULL && !px_tls_done(hc->ssl)) {
		if (px_tls_handshake(hc->ssl, &rd) == -1) {
			if (errno == EAGAIN)
				px_hc_arm(hc, rd ? EV_READ : EV_WRITE);
			else
				px_hc_fail(hc, "TLS handshake");
			return;
		}
	}
	if (hc->req == NULL) {
		px_hc_done(hc, true, NULL);
		return;
	}
	while (hc->sent < hc->reqlen) {
		n = px_io_send(hc->fd, hc->ssl, &hc->blk, hc->req + hc->sent,
		    hc->reqlen - hc->sent);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			px_hc_arm(hc, hc->blk & PX_IO_WWANTR ? EV_READ :
			    EV_WRITE);
			return;
		}
		if (n == -1) {
			px_hc_fail(hc, "send");
			return;
		}
		hc->sent += (size_t)n;
	}
	for (;;) {
		n = px_io_recv(hc->fd, hc->ssl, &hc->blk, hc->buf + hc->len,
		    sizeof(hc->buf) - 1 - hc->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			/* Not persistent: wait again, or the check hangs. */
			px_hc_arm(hc, hc->blk & PX_IO_RWANTW ? EV_WRITE :
			    EV_READ);
			return;
		}
		if (n == -1) {
			px_hc_fail(hc, "recv");
			return;
		}
		hc->len += (size_t)n;
		if ((r = px_health_status(hc->buf, hc->len, n == 0, why,
		    sizeof(why))) != -1) {
			px_hc_done(hc, r == 1, why);
			return;
		}
	}
}

static void
px_hc_tick(evutil_socket_t fd, short what, void *arg)
{
	struct px_hc		*hc = arg;
	struct px_server	*sv = hc->sv;
	char			 why[128];

	if (__atomic_load_n(&sv->draining, __ATOMIC_RELAXED))
		return;		/* px_health_start resumes it */
	hc->connected = false;
	hc->sent = hc->len = 0;
	hc->blk = 0;
	hc->deadline = px_now_ms() + sv->pb->conf->health.timeout;
	hc->fd = socket(sv->addr.ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (hc->fd == -1) {
		(void)snprintf(why, sizeof(why), "socket: %s",
		    strerror(errno));
		px_hc_done(hc, false, why);
		return;
	}
	if ((hc->io = event_new(event_get_base(hc->timer), hc->fd, EV_WRITE,
	    px_hc_io, hc)) == NULL) {
		px_hc_done(hc, false, "out of memory");
		return;
	}
	if (connect(hc->fd, (const struct sockaddr *)&sv->addr.ss,
	    sv->addr.len) == -1 && errno != EINPROGRESS) {
		(void)snprintf(why, sizeof(why), "connect: %s",
		    strerror(errno));
		px_hc_done(hc, false, why);
		return;
	}
	px_hc_arm(hc, EV_WRITE);
}

/* The request of an HTTP check; -1 if out of memory. */
static int
px_hc_req(struct px_hc *hc)
{
	const struct px_server	*sv = hc->sv;
	const struct conf_server *cs = sv->cs;
	char			 host[300], port[8] = "";
	int			 n;

	if (cs->literal && strchr(cs->host, ':') != NULL)
		(void)snprintf(host, sizeof(host), "[%s]", cs->host);
	else
		(void)snprintf(host, sizeof(host), "%s", cs->host);
	if (cs->port != (sv->pb->conf->tls != NULL ? 443 : 80))
		(void)snprintf(port, sizeof(port), ":%u", cs->port);
	n = asprintf(&hc->req, "GET %s HTTP/1.1\r\nHost: %s%s\r\n"
	    "User-Agent: v6front-health\r\nConnection: close\r\n\r\n",
	    sv->pb->conf->health.path, host, port);
	if (n == -1) {
		hc->req = NULL;
		return (-1);
	}
	hc->reqlen = (size_t)n;
	return (0);
}

void
px_health_start(struct px_server *sv, struct event_base *base)
{
	struct px_hc	*hc = sv->hc;
	struct timeval	 tv = { 0, 0 };

	if (hc == NULL) {
		if ((hc = calloc(1, sizeof(*hc))) == NULL)
			goto nomem;
		hc->sv = sv;
		hc->fd = -1;
		if ((hc->timer = evtimer_new(base, px_hc_tick, hc)) == NULL ||
		    (sv->pb->conf->health.path != NULL &&
		    px_hc_req(hc) == -1)) {
			if (hc->timer != NULL)
				event_free(hc->timer);
			free(hc);
			goto nomem;
		}
		sv->hc = hc;
	}
	if (hc->io == NULL && !evtimer_pending(hc->timer, NULL))
		evtimer_add(hc->timer, &tv);
	return;
 nomem:
	px_log(CONF_LOG_ERR, "backend %s: server %s: out of memory; not "
	    "checked", sv->pb->conf->name, sv->addr.text);
}

void
px_health_stop(struct px_server *sv)
{
	struct px_hc *hc = sv->hc;

	if (hc == NULL)
		return;
	px_hc_end_io(hc);
	event_free(hc->timer);
	free(hc->req);
	free(hc);
	sv->hc = NULL;
}
