/*
 * Listening sockets.  Each listener address is bound once per worker with
 * SO_REUSEPORT, so the kernel spreads connections over the workers and no
 * lock or shared accept queue sits on the accept path.  Socket sets are
 * reference-counted: a reload that keeps an address keeps its sockets, and
 * with them every connection waiting in their accept queues.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy.h"

/* Creates one socket for addr with the listener's options; -1 + err. */
static int
px_lsock_socket(const struct conf_listener *ln, const struct conf_sockaddr *a,
    bool reuseport, char *err, size_t errlen)
{
	const char	*what;
	int		 fd, one = 1, v6only = ln->v6only;
	int		 fam = a->ss.ss_family;

	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		what = "socket";
		goto fail;
	}
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof(v6only)) == -1)
		goto fail;
	/*
	 * The tunnel address may come up after we start; IP_FREEBIND lets
	 * the listener exist before the address does (it applies to IPv6
	 * sockets too).
	 */
	if (ln->freebind &&
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) == -1)
		goto fail;
	/* Accepted sockets inherit TCP_NODELAY: one syscall less each. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	what = "bind";
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	what = "listen";
	if (reuseport && listen(fd, ln->backlog) == -1)
		goto fail;
	return (fd);
 fail:
	snprintf(err, errlen, "listener %s: %s %s: %s", ln->name, what,
	    a->text, strerror(errno));
	if (fd != -1)
		close(fd);
	return (-1);
}

struct px_lsock *
px_lsock_open(const struct conf_listener *ln, const struct conf_sockaddr *a,
    int nfd, char *err, size_t errlen)
{
	struct px_lsock	*ls;
	int		 probe, i;

	/*
	 * SO_REUSEPORT would let us share a port with another process of the
	 * same user and silently split its traffic.  A plain bind first
	 * makes "address in use" mean what an operator expects.
	 */
	if ((probe = px_lsock_socket(ln, a, false, err, errlen)) == -1)
		return (NULL);
	close(probe);

	if ((ls = calloc(1, sizeof(*ls))) == NULL ||
	    (ls->fd = calloc((size_t)nfd, sizeof(int))) == NULL) {
		free(ls);
		snprintf(err, errlen, "listener %s: out of memory", ln->name);
		return (NULL);
	}
	ls->addr = *a;
	ls->v6only = ln->v6only;
	ls->backlog = ln->backlog;
	ls->refs = 1;
	for (i = 0; i < nfd; i++)
		ls->fd[i] = -1;
	ls->nfd = nfd;
	for (i = 0; i < nfd; i++) {
		ls->fd[i] = px_lsock_socket(ln, a, true, err, errlen);
		if (ls->fd[i] == -1) {
			px_lsock_unref(ls);
			return (NULL);
		}
	}
	return (ls);
}

/*
 * Whether a socket set bound for one listener can serve another bind of a
 * new generation.  Returns 1 (reuse it), 0 (another address), or -1 with err
 * when the address is the same but the change cannot apply to a bound
 * socket.  A new backlog is applied on the spot: listen(2) again changes it.
 */
int
px_lsock_reuse(struct px_lsock *ls, const struct conf_listener *ln,
    const struct conf_sockaddr *a, char *err, size_t errlen)
{
	if (ls->addr.len != a->len || memcmp(&ls->addr.ss, &a->ss, a->len) != 0)
		return (0);
	if (a->ss.ss_family == AF_INET6 && ls->v6only != ln->v6only) {
		snprintf(err, errlen, "listener %s: %s: a new v6only setting "
		    "needs a restart", ln->name, a->text);
		return (-1);
	}
	if (ls->backlog != ln->backlog) {
		for (int i = 0; i < ls->nfd; i++)
			if (listen(ls->fd[i], ln->backlog) == -1) {
				snprintf(err, errlen, "listener %s: listen %s: "
				    "%s", ln->name, a->text, strerror(errno));
				return (-1);
			}
		ls->backlog = ln->backlog;
	}
	return (1);
}

struct px_lsock *
px_lsock_ref(struct px_lsock *ls)
{
	__atomic_add_fetch(&ls->refs, 1, __ATOMIC_RELAXED);
	return (ls);
}

void
px_lsock_unref(struct px_lsock *ls)
{
	int i;

	if (ls == NULL ||
	    __atomic_sub_fetch(&ls->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < ls->nfd; i++)
		if (ls->fd[i] != -1)
			close(ls->fd[i]);
	free(ls->fd);
	free(ls);
}

struct px_lset *
px_lset_ref(struct px_lset *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return (s);
}

void
px_lset_unref(struct px_lset *s)
{
	size_t i;

	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < s->n; i++) {
		px_lsock_unref(s->b[i].ls);
		px_limtab_unref(s->b[i].lim);
	}
	free(s->b);
	px_gen_unref(s->gen);
	free(s);
}

/*
 * The source table of a new bind: the one its listener already has (an
 * earlier bind, or the same listener name in the old set, so a reload
 * keeps counting the connections already open), else a new one.
 */
static int
px_lset_lim(struct px_lset *s, const struct px_lset *old, struct px_lbind *lb)
{
	const struct conf_listener *ln = lb->ln;
	size_t k;

	if (ln->conn_per_source == 0 && ln->rate_count == 0)
		return (0);
	for (k = 0; k + 1 < s->n; k++)
		if (s->b[k].ln == ln && s->b[k].lim != NULL) {
			lb->lim = px_limtab_ref(s->b[k].lim);
			return (0);
		}
	for (k = 0; old != NULL && k < old->n; k++)
		if (old->b[k].lim != NULL &&
		    strcmp(old->b[k].ln->name, ln->name) == 0) {
			lb->lim = px_limtab_ref(old->b[k].lim);
			return (0);
		}
	return ((lb->lim = px_limtab_new()) == NULL ? -1 : 0);
}

struct px_lset *
px_lset_build(struct px_gen *gen, const struct px_lset *old, int nworkers,
    char *err, size_t errlen)
{
	const struct config	*cfg = gen->cfg;
	struct px_lset		*s;
	size_t			 i, j, k, n = 0;
	int			 r;

	for (i = 0; i < cfg->nlisteners; i++)
		n += cfg->listeners[i].nbind;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (n > 0 && (s->b = calloc(n, sizeof(*s->b))) == NULL)) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	s->refs = 1;
	s->gen = px_gen_ref(gen);
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct conf_listener *ln = &cfg->listeners[i];

		for (j = 0; j < ln->nbind; j++) {
			struct px_lbind *lb = &s->b[s->n];

			lb->ln = ln;
			for (k = 0, r = 0; old != NULL && k < old->n; k++)
				if ((r = px_lsock_reuse(old->b[k].ls, ln,
				    &ln->bind[j], err, errlen)) != 0)
					break;
			if (r == 1)
				lb->ls = px_lsock_ref(old->b[k].ls);
			if (r == -1 || (r == 0 && (lb->ls = px_lsock_open(ln,
			    &ln->bind[j], nworkers, err, errlen)) == NULL)) {
				px_lset_unref(s);
				return (NULL);
			}
			s->n++;
			if (px_lset_lim(s, old, lb) == -1) {
				snprintf(err, errlen, "listener %s: out of "
				    "memory", ln->name);
				px_lset_unref(s);
				return (NULL);
			}
		}
	}
	return (s);
}
