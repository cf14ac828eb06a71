/*
 * Idle backend connections of http sessions, per worker: a session that
 * finished a response on a connection both ends keep alive parks it here,
 * and the next request for the same server takes it instead of paying a
 * connect (and, to an ELB, a new TCP handshake across the network).
 *
 * A parked connection is watched for reading: a backend sends nothing
 * unasked, so any byte or a FIN means it is closing and it is dropped at
 * once rather than handed to a request.  Each entry holds a reference to
 * its generation, so its server address stays valid; a reload leaves old
 * entries to expire.  A TLS connection parks with its SSL, which goes
 * on with the next request as it was.
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "proxy/proxy.h"

struct px_idle {
	TAILQ_ENTRY(px_idle)	 entry;
	struct px_worker	*wk;	/* borrowed */
	struct px_gen		*gen;	/* counted ref */
	const struct conf_sockaddr *addr;	/* borrowed from gen */
	int			 fd;	/* owned */
	struct ssl_st		*ssl;	/* owned; NULL = plain TCP */
	struct event		*ev;	/* owned */
};

static void
px_pool_drop(struct px_idle *pi)
{
	TAILQ_REMOVE(&pi->wk->idle, pi, entry);
	event_free(pi->ev);
	px_tls_free_ssl(pi->ssl);
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
    const struct conf_backend *b, const struct conf_sockaddr *addr, int fd,
    struct ssl_st *ssl)
{
	struct px_idle	*pi, *oldest = NULL;
	struct timeval	 tv = px_ms_tv(b->pool_idle_timeout);
	int		 n = 0;

	for (pi = TAILQ_LAST(&wk->idle, px_idlelist); pi != NULL;
	    pi = TAILQ_PREV(pi, px_idlelist, entry))
		if (pi->addr == addr) {
			oldest = pi;
			n++;
		}
	if (b->pool_max_idle == 0) {
		px_tls_free_ssl(ssl);
		close(fd);
		return;
	}
	/* Full: the oldest is the likeliest to be closed by the server. */
	if (n >= b->pool_max_idle)
		px_pool_drop(oldest);
	if ((pi = calloc(1, sizeof(*pi))) == NULL) {
		px_tls_free_ssl(ssl);
		close(fd);
		return;
	}
	pi->wk = wk;
	pi->addr = addr;
	pi->fd = fd;
	pi->ssl = ssl;
	pi->ev = event_new(wk->base, fd, EV_READ, px_pool_event, pi);
	if (pi->ev == NULL || event_add(pi->ev, &tv) == -1) {
		if (pi->ev != NULL)
			event_free(pi->ev);
		px_tls_free_ssl(ssl);
		close(fd);
		free(pi);
		return;
	}
	pi->gen = px_gen_ref(gen);
	TAILQ_INSERT_TAIL(&wk->idle, pi, entry);
}

int
px_pool_get(struct px_worker *wk, const struct px_gen *gen,
    const struct conf_sockaddr *addr, struct ssl_st **ssl)
{
	struct px_idle	*pi, *hit = NULL;
	int		 fd;

	/* The newest: the one least likely to be timed out by the server. */
	for (pi = TAILQ_FIRST(&wk->idle); pi != NULL;
	    pi = TAILQ_NEXT(pi, entry))
		if (pi->addr == addr && pi->gen == gen)
			hit = pi;
	if ((pi = hit) == NULL)
		return (-1);
	fd = pi->fd;
	*ssl = pi->ssl;
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
