/*
 * Idle backend connections of http sessions, per worker: a session that
 * finished a response on a connection both ends keep alive parks it here,
 * and the next request for the same server takes it instead of paying a
 * connect (and, to an ELB, a new TCP handshake across the network).
 *
 * A parked connection is watched for reading: a backend sends nothing
 * unasked, so any byte or a FIN means it is closing and it is dropped at
 * once rather than handed to a request.  Entries are keyed by the server
 * object; each holds a reference to its generation, so the server stays
 * valid; a reload leaves old entries to expire.  Connections to a server
 * that is draining (it left its DNS answer) or down are closed rather
 * than reused (px_pool_sweep, run when a server starts draining).
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/proxy.h"

struct px_idle {
	TAILQ_ENTRY(px_idle)	 entry;
	struct px_worker	*wk;	/* borrowed */
	struct px_gen		*gen;	/* counted ref */
	struct px_server	*sv;	/* borrowed from gen */
	int			 fd;	/* owned */
	struct event		*ev;	/* owned */
};

static void
px_pool_drop(struct px_idle *pi)
{
	TAILQ_REMOVE(&pi->wk->idle, pi, entry);
	event_free(pi->ev);
	close(pi->fd);
	px_gen_unref(pi->gen);
	free(pi);
}

static void
px_pool_event(evutil_socket_t fd, short what, void *arg)
{
	px_pool_drop(arg);
}

void
px_pool_put(struct px_worker *wk, struct px_gen *gen,
    const struct conf_backend *b, struct px_server *sv, int fd)
{
	struct px_idle	*pi, *oldest = NULL;
	struct timeval	 tv = px_ms_tv(b->pool_idle_timeout);
	int		 n = 0;

	for (pi = TAILQ_LAST(&wk->idle, px_idlelist); pi != NULL;
	    pi = TAILQ_PREV(pi, px_idlelist, entry))
		if (pi->sv == sv) {
			oldest = pi;
			n++;
		}
	if (b->pool_max_idle == 0) {
		close(fd);
		return;
	}
	/* Full: the oldest is the likeliest to be closed by the server. */
	if (n >= b->pool_max_idle)
		px_pool_drop(oldest);
	if ((pi = calloc(1, sizeof(*pi))) == NULL) {
		close(fd);
		return;
	}
	pi->wk = wk;
	pi->sv = sv;
	pi->fd = fd;
	pi->ev = event_new(wk->base, fd, EV_READ, px_pool_event, pi);
	if (pi->ev == NULL || event_add(pi->ev, &tv) == -1) {
		if (pi->ev != NULL)
			event_free(pi->ev);
		close(fd);
		free(pi);
		return;
	}
	pi->gen = px_gen_ref(gen);
	TAILQ_INSERT_TAIL(&wk->idle, pi, entry);
}

/* A parked connection that must not take another request. */
static bool
px_pool_stale(const struct px_idle *pi)
{
	return (__atomic_load_n(&pi->sv->draining, __ATOMIC_RELAXED) ||
	    !__atomic_load_n(&pi->sv->up, __ATOMIC_RELAXED));
}

int
px_pool_get(struct px_worker *wk, const struct px_server *sv)
{
	struct px_idle	*pi, *nx, *hit = NULL;
	int		 fd;

	/* The newest: the one least likely to be timed out by the server. */
	for (pi = TAILQ_FIRST(&wk->idle); pi != NULL; pi = nx) {
		nx = TAILQ_NEXT(pi, entry);
		if (pi->sv != sv)
			continue;
		if (px_pool_stale(pi))
			px_pool_drop(pi);
		else
			hit = pi;
	}
	if ((pi = hit) == NULL)
		return (-1);
	fd = pi->fd;
	pi->fd = -1;
	TAILQ_REMOVE(&wk->idle, pi, entry);
	event_free(pi->ev);
	px_gen_unref(pi->gen);
	free(pi);
	return (fd);
}

void
px_pool_flush(struct px_worker *wk)
{
	struct px_idle *pi;

	while ((pi = TAILQ_FIRST(&wk->idle)) != NULL)
		px_pool_drop(pi);
}

void
px_pool_sweep(struct px_worker *wk)
{
	struct px_idle *pi, *nx;

	for (pi = TAILQ_FIRST(&wk->idle); pi != NULL; pi = nx) {
		nx = TAILQ_NEXT(pi, entry);
		if (px_pool_stale(pi))
			px_pool_drop(pi);
	}
}
