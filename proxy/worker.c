/*
 * Worker threads.  Each owns an event_base, one SO_REUSEPORT socket per
 * listener address, and its sessions; nothing on the request path takes a
 * lock.  The main thread talks to a worker only through px_worker_swap and
 * px_worker_cmd, which post to a mutex-guarded mailbox and wake the worker
 * through an eventfd.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "proxy/proxy.h"

#define PX_ACCEPT_PAUSE_MS	100	/* after EMFILE and friends */

static void
px_worker_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	px_accept(arg, fd, sa, (socklen_t)salen);
}

static void
px_worker_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct px_wlisten *wl = arg;

	evconnlistener_enable(wl->evl);
}

/*
 * Out of descriptors or memory: the socket stays readable, so retrying at
 * once would spin.  Pause this listener briefly; the kernel keeps queueing.
 */
static void
px_worker_accept_error(struct evconnlistener *evl, void *arg)
{
	struct px_wlisten	*wl = arg;
	struct timeval		 tv = px_ms_tv(PX_ACCEPT_PAUSE_MS);
	int			 e = EVUTIL_SOCKET_ERROR();

	errno = e;
	if (!evtimer_pending(wl->retry, NULL))
		px_log(CONF_LOG_ERR, "listener %s: accept on %s: %s; pausing "
		    "%d ms", wl->lb->ln->name, wl->lb->ls->addr.text,
		    strerror(e), PX_ACCEPT_PAUSE_MS);
	evconnlistener_disable(evl);
	evtimer_add(wl->retry, &tv);
}

static void
px_worker_unlisten(struct px_worker *wk)
{
	size_t i;

	if (wk->lset == NULL)
		return;
	for (i = 0; i < wk->lset->n; i++) {
		if (wk->wl[i].evl != NULL)
			evconnlistener_free(wk->wl[i].evl);
		if (wk->wl[i].retry != NULL)
			event_free(wk->wl[i].retry);
	}
	free(wk->wl);
	wk->wl = NULL;
	px_lset_unref(wk->lset);
	wk->lset = NULL;
}

/* Serves lset from now on (takes over the caller's reference). */
static void
px_worker_listen(struct px_worker *wk, struct px_lset *ls)
{
	struct px_wlisten	*wl;
	unsigned		*rr;
	size_t			 i, nb = ls->gen->cfg->nbackends;

	wl = calloc(ls->n ? ls->n : 1, sizeof(*wl));
	rr = calloc(nb ? nb : 1, sizeof(*rr));
	if (wl == NULL || rr == NULL) {
		px_log(CONF_LOG_ERR, "worker %d: out of memory; keeping "
		    "generation %u", wk->idx, wk->lset ? wk->lset->gen->id : 0);
		free(wl);
		free(rr);
		px_lset_unref(ls);
		return;
	}
	px_worker_unlisten(wk);
	free(wk->rr);
	wk->rr = rr;
	wk->nrr = nb;
	for (i = 0; i < ls->n; i++) {
		wl[i].wk = wk;
		wl[i].lb = &ls->b[i];
		wl[i].retry = evtimer_new(wk->base, px_worker_accept_retry,
		    &wl[i]);
		wl[i].evl = evconnlistener_new(wk->base, px_worker_accept,
		    &wl[i], LEV_OPT_CLOSE_ON_EXEC, 0, ls->b[i].ls->fd[wk->idx]);
		if (wl[i].evl == NULL || wl[i].retry == NULL) {
			px_log(CONF_LOG_ERR, "worker %d: cannot listen on %s",
			    wk->idx, ls->b[i].ls->addr.text);
			continue;
		}
		evconnlistener_set_error_cb(wl[i].evl, px_worker_accept_error);
	}
	wk->wl = wl;
	wk->lset = ls;
}

static void
px_worker_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct px_worker	*wk = arg;
	struct px_lset		*next;
	uint64_t		 v;
	int			 cmd;

	if (read(wk->ctl_fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		px_warn("worker %d: control channel", wk->idx);
	pthread_mutex_lock(&wk->mtx);
	cmd = wk->cmd;
	next = wk->next_lset;
	wk->cmd = 0;
	wk->next_lset = NULL;
	pthread_mutex_unlock(&wk->mtx);

	if ((cmd & PX_WK_SWAP) && !wk->stopping)
		px_worker_listen(wk, next);
	else
		px_lset_unref(next);
	if (cmd & PX_WK_SWEEP) {
		px_pool_sweep(wk);
		/* Not inside a pick: replaced server sets may go. */
		__atomic_store_n(&wk->qs, px_backend_epoch(),
		    __ATOMIC_RELEASE);
	}
	if (cmd & (PX_WK_STOP | PX_WK_ABORT)) {
		struct px_sess *s, *nx;

		wk->stopping = true;
		px_worker_unlisten(wk);
		/* Kept-alive HTTP clients would hold the exit for nothing. */
		for (s = TAILQ_FIRST(&wk->sessions); s != NULL; s = nx) {
			nx = TAILQ_NEXT(s, entry);
			if (s->kind == PX_SESS_HTTP)
				px_http_stop(s);
			else if (s->kind == PX_SESS_PROXYHDR)
				px_ppw_close(s, "shutdown");
		}
	}
	if (cmd & PX_WK_ABORT) {
		struct px_sess *s;

		while ((s = TAILQ_FIRST(&wk->sessions)) != NULL)
			px_sess_close(s, "shutdown timeout");
	}
	if (wk->stopping && wk->nsessions == 0)
		event_base_loopexit(wk->base, NULL);
}

struct px_worker *
px_worker_new(int idx, char *err, size_t errlen)
{
	struct px_worker	*wk;
	struct event_config	*ec;

	if ((wk = calloc(1, sizeof(*wk))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	wk->idx = idx;
	wk->ctl_fd = -1;
	wk->done_fd = -1;
	TAILQ_INIT(&wk->sessions);
	TAILQ_INIT(&wk->idle);
	pthread_mutex_init(&wk->mtx, NULL);
	/* One thread per base: libevent's own locking would be pure cost. */
	if ((ec = event_config_new()) != NULL) {
		event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
		/*
		 * Queue epoll changes until the next epoll_wait: an event
		 * deleted and added again in one pass costs no syscall.
		 */
		event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		wk->base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (wk->base == NULL) {
		snprintf(err, errlen, "worker %d: cannot create event base",
		    idx);
		goto fail;
	}
	wk->scratch_len = PX_SCRATCH_LEN;
	if ((wk->scratch = malloc(wk->scratch_len)) == NULL ||
	    (wk->rlog = px_rlog_new()) == NULL) {
		snprintf(err, errlen, "worker %d: out of memory", idx);
		goto fail;
	}
	if ((wk->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "worker %d: eventfd: %s", idx,
		    strerror(errno));
		goto fail;
	}
	wk->ctl_ev = event_new(wk->base, wk->ctl_fd, EV_READ | EV_PERSIST,
	    px_worker_ctl, wk);
	if (wk->ctl_ev == NULL || event_add(wk->ctl_ev, NULL) == -1) {
		snprintf(err, errlen, "worker %d: cannot add control event",
		    idx);
		goto fail;
	}
	return (wk);
 fail:
	if (wk->ctl_ev != NULL)
		event_free(wk->ctl_ev);
	if (wk->ctl_fd != -1)
		close(wk->ctl_fd);
	if (wk->base != NULL)
		event_base_free(wk->base);
	pthread_mutex_destroy(&wk->mtx);
	free(wk->scratch);
	free(wk->rlog);
	free(wk);
	return (NULL);
}

static void *
px_worker_main(void *arg)
{
	struct px_worker	*wk = arg;
	struct px_sess		*s;

	event_base_dispatch(wk->base);
	px_worker_unlisten(wk);
	while ((s = TAILQ_FIRST(&wk->sessions)) != NULL)
		px_sess_close(s, "worker exit");
	px_pool_flush(wk);
	px_http_worker_fini(wk);
	/* It picks no server any more. */
	__atomic_store_n(&wk->qs, UINT64_MAX, __ATOMIC_RELEASE);
	if (wk->done_fd != -1 && write(wk->done_fd, "x", 1) == -1)
		px_warn("worker %d: exit notice", wk->idx);
	return (NULL);
}

int
px_worker_start(struct px_worker *wk, struct px_lset *ls)
{
	int rc;

	px_worker_listen(wk, px_lset_ref(ls));
	if ((rc = pthread_create(&wk->thr, NULL, px_worker_main, wk)) != 0) {
		errno = rc;
		return (-1);
	}
	return (0);
}

static void
px_worker_post(struct px_worker *wk)
{
	uint64_t one = 1;

	if (write(wk->ctl_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		px_warn("worker %d: control channel", wk->idx);
}

void
px_worker_swap(struct px_worker *wk, struct px_lset *ls)
{
	struct px_lset *old;

	pthread_mutex_lock(&wk->mtx);
	old = wk->next_lset;
	wk->next_lset = px_lset_ref(ls);
	wk->cmd |= PX_WK_SWAP;
	pthread_mutex_unlock(&wk->mtx);
	px_lset_unref(old);
	px_worker_post(wk);
}

void
px_worker_cmd(struct px_worker *wk, int cmd)
{
	pthread_mutex_lock(&wk->mtx);
	wk->cmd |= cmd;
	pthread_mutex_unlock(&wk->mtx);
	px_worker_post(wk);
}

void
px_worker_free(struct px_worker *wk)
{
	if (wk == NULL)
		return;
	pthread_join(wk->thr, NULL);
	px_lset_unref(wk->next_lset);
	event_free(wk->ctl_ev);
	close(wk->ctl_fd);
	event_base_free(wk->base);
	pthread_mutex_destroy(&wk->mtx);
	free(wk->rr);
	free(wk->scratch);
	free(wk->rlog);
	free(wk);
}

void
px_sess_init(struct px_sess *s, enum px_sess_kind kind, struct px_worker *wk,
    const struct px_lbind *lb, struct px_conn *c)
{
	s->kind = kind;
	s->wk = wk;
	s->gen = px_gen_ref(c->gen);
	s->ln = lb->ln;
	s->cli_addr = c->cli;
	s->loc_addr = c->loc;
	s->loc_known = c->loc.sa.sa_family != 0;
	s->fd = c->fd;
	s->deny = c->deny;
	s->lim = c->lim;
	s->slot = c->slot;
	c->lim = NULL;
	c->slot = NULL;
	s->st = px_gen_lst(c->gen, lb->ln);
	px_st_add(s->st, wk->idx, PX_SL_OPEN, 1);
	s->peer[0] = '\0';
	TAILQ_INSERT_TAIL(&wk->sessions, s, entry);
	wk->nsessions++;
}

const char *
px_sess_peer(struct px_sess *s)
{
	/* Formatted on first use: most sessions never log a line. */
	if (s->peer[0] == '\0')
		conf_addr_fmt(&s->cli_addr.sa, true,
		    s->peer, sizeof(s->peer));
	return (s->peer);
}

const struct sockaddr *
px_sess_local(struct px_sess *s, int fd)
{
	socklen_t len = sizeof(s->loc_addr);

	if (!s->loc_known) {
		if (getsockname(fd, &s->loc_addr.sa, &len) == -1)
			return (NULL);
		s->loc_known = true;
	}
	return (&s->loc_addr.sa);
}

void
px_sess_fini(struct px_sess *s)
{
	struct px_worker *wk = s->wk;

	TAILQ_REMOVE(&wk->sessions, s, entry);
	wk->nsessions--;
	/* Before the gen, which holds the block, may go. */
	px_st_add(s->st, wk->idx, PX_SL_OPEN, UINT64_MAX);
	px_gen_unref(s->gen);
	s->gen = NULL;
	if (s->lim != NULL) {
		px_lim_release(s->lim, s->slot);
		px_limtab_unref(s->lim);
		s->lim = NULL;
		s->slot = NULL;
	}
	if (wk->stopping && wk->nsessions == 0)
		event_base_loopexit(wk->base, NULL);
}

void
px_sess_close(struct px_sess *s, const char *why)
{
	switch (s->kind) {
	case PX_SESS_TCP:
		px_tcp_close(s, why);
		break;
	case PX_SESS_STATUS:
		px_status_close(s, why);
		break;
	case PX_SESS_HTTP:
		px_http_close(s, why);
		break;
	case PX_SESS_PROXYHDR:
		px_ppw_close(s, why);
		break;
	}
}
