/*
 * Backend connections of http sessions, and the worker's pool of idle ones.
 *
 * A backend connection (struct px_bconn) owns its socket and its two
 * events for its whole life.  A session that finished a response on a
 * connection both ends keep alive parks it in the worker's idle list, and
 * the next request for the same server from any client takes it instead of
 * paying a connect (and, to an ELB, a new TCP handshake across the
 * network).  Moving between a session and the list only changes whom the
 * events call: the socket stays registered with epoll, so a request on a
 * pooled connection costs no epoll_ctl.
 *
 * A parked connection is watched for reading: a backend sends nothing
 * unasked, so any byte or a FIN means it is closing and it is dropped at
 * once rather than handed to a request.  Its read event carries the idle
 * timeout while parked.  A parked entry holds a reference to the
 * generation it was parked under, so its server address stays valid; only
 * a session of the same generation takes it, and a reload leaves old
 * entries to expire.
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/proxy.h"

static void
px_bconn_free(struct px_bconn *bc)
{
	event_del(bc->rev);
	event_del(bc->wev);
	px_tls_free_ssl(bc->ssl);
	close(bc->fd);
	free(bc);
}

/* Drops a parked connection. */
static void
px_pool_drop(struct px_bconn *bc)
{
	TAILQ_REMOVE(&bc->wk->idle, bc, entry);
	bc->wk->nidle--;
	px_gen_unref(bc->gen);
	px_bconn_free(bc);
}

static void
px_bconn_read(evutil_socket_t fd, short what, void *arg)
{
	struct px_bconn *bc = arg;

	if (bc->owner == NULL)
		px_pool_drop(bc);	/* spoke, closed or timed out */
	else
		bc->on_read(fd, what, bc->owner);
}

static void
px_bconn_write(evutil_socket_t fd, short what, void *arg)
{
	struct px_bconn *bc = arg;

	if (bc->owner != NULL)
		bc->on_write(fd, what, bc->owner);
}

struct px_bconn *
px_bconn_new(struct px_worker *wk, int fd, const struct conf_sockaddr *addr,
    event_callback_fn on_read, event_callback_fn on_write, void *owner)
{
	struct px_bconn	*bc;
	size_t		 evsz = event_get_struct_event_size();

	if ((bc = calloc(1, sizeof(*bc) + 2 * evsz)) == NULL)
		return (NULL);
	bc->wk = wk;
	bc->fd = fd;
	bc->addr = addr;
	bc->on_read = on_read;
	bc->on_write = on_write;
	bc->owner = owner;
	bc->rev = (struct event *)(bc + 1);
	bc->wev = (struct event *)((char *)(bc + 1) + evsz);
	event_assign(bc->rev, wk->base, fd, EV_READ | EV_PERSIST,
	    px_bconn_read, bc);
	event_assign(bc->wev, wk->base, fd, EV_WRITE | EV_PERSIST,
	    px_bconn_write, bc);
	return (bc);
}

void
px_bconn_close(struct px_bconn *bc)
{
	if (bc != NULL)
		px_bconn_free(bc);
}

void
px_pool_put(struct px_worker *wk, struct px_gen *gen,
    const struct conf_backend *b, struct px_bconn *bc)
{
	struct px_bconn	*pi, *oldest = NULL;
	struct timeval	 tv = px_ms_tv(b->pool_idle_timeout);
	int		 n = 0;

	if (b->pool_max_idle == 0) {
		px_bconn_free(bc);
		return;
	}
	/* Counting this server's entries only matters once it could be full. */
	if (wk->nidle >= (size_t)b->pool_max_idle) {
		for (pi = TAILQ_LAST(&wk->idle, px_bconnlist); pi != NULL;
		    pi = TAILQ_PREV(pi, px_bconnlist, entry))
			if (pi->addr == bc->addr) {
				oldest = pi;
				n++;
			}
		/* Full: the oldest is the likeliest to be closed. */
		if (n >= b->pool_max_idle)
			px_pool_drop(oldest);
	}
	/*
	 * The read event stays registered (it is re-added only if the session
	 * had paused it); adding it again only sets its idle timeout.
	 */
	event_del(bc->wev);
	if (event_add(bc->rev, &tv) == -1) {
		px_bconn_free(bc);
		return;
	}
	bc->owner = NULL;
	bc->gen = px_gen_ref(gen);
	TAILQ_INSERT_TAIL(&wk->idle, bc, entry);
	wk->nidle++;
}

struct px_bconn *
px_pool_get(struct px_worker *wk, const struct px_gen *gen,
    const struct conf_sockaddr *addr, void *owner)
{
	struct px_bconn *bc;

	/* The newest: the one least likely to be timed out by the server. */
	for (bc = TAILQ_LAST(&wk->idle, px_bconnlist); bc != NULL;
	    bc = TAILQ_PREV(bc, px_bconnlist, entry))
		if (bc->addr == addr && bc->gen == gen)
			break;
	if (bc == NULL)
		return (NULL);
	TAILQ_REMOVE(&wk->idle, bc, entry);
	wk->nidle--;
	event_remove_timer(bc->rev);
	px_gen_unref(bc->gen);
	bc->gen = NULL;
	bc->owner = owner;
	return (bc);
}

void
px_pool_flush(struct px_worker *wk)
{
	struct px_bconn *bc;

	while ((bc = TAILQ_FIRST(&wk->idle)) != NULL)
		px_pool_drop(bc);
}
