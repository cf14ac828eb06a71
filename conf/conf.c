/*
 * conf_load and friends: reading the file, collecting messages, the
 * reference count, freeing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_int.h"

static void	conf_msg_add(struct conf_cx *, const char *, unsigned,
		    unsigned, const char *, va_list)
		    __attribute__((format(printf, 5, 0)));

static void
conf_msg_add(struct conf_cx *cx, const char *path, unsigned line,
    unsigned col, const char *fmt, va_list ap)
{
	struct conf_msg *m;
	char text[1024];
	size_t need;
	char *s;

	/* One slot stays free for the "too many errors" line. */
	if (cx->nmsgs >= CONF_ERRS_MAX - 1) {
		cx->full = true;
		return;
	}
	if (cx->nmsgs == cx->capmsgs) {
		size_t cap = cx->capmsgs == 0 ? 8 : cx->capmsgs * 2;

		if ((m = reallocarray(cx->msgs, cap, sizeof(*m))) == NULL) {
			cx->oom = true;
			return;
		}
		cx->msgs = m;
		cx->capmsgs = cap;
	}
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	need = strlen(cx->name) + strlen(path) + strlen(text) + 32;
	if ((s = malloc(need)) == NULL) {
		cx->oom = true;
		return;
	}
	if (line == 0)
		(void)snprintf(s, need, "%s: %s", cx->name, text);
	else
		(void)snprintf(s, need, "%s:%u:%u: %s%s%s", cx->name, line, col,
		    path, path[0] != '\0' ? ": " : "", text);
	m = &cx->msgs[cx->nmsgs++];
	m->line = line;
	m->col = col;
	m->seq = cx->seq++;
	m->text = s;
}

/* Records an error at node n, under the walker's current key path. */
void
conf_err(struct conf_cx *cx, const struct conf_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_msg_add(cx, cx->path, n->line, n->col, fmt, ap);
	va_end(ap);
}

/* Records an error at an explicit place; line 0 means the whole file. */
void
conf_err_at(struct conf_cx *cx, const char *path, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_msg_add(cx, path, line, col, fmt, ap);
	va_end(ap);
}

static void	conf_err_file(struct conf_cx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
conf_err_file(struct conf_cx *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_msg_add(cx, "", 0, 0, fmt, ap);
	va_end(ap);
}

/* Returns a + b + c in new memory, or NULL. */
static char *
conf_strcat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s;

	if ((s = malloc(la + lb + lc + 1)) == NULL)
		return (NULL);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return (s);
}

static int
conf_msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	if (x->col != y->col)
		return (x->col < y->col ? -1 : 1);
	if (x->seq != y->seq)
		return (x->seq < y->seq ? -1 : 1);
	return (0);
}

/*
 * Hands the messages over to errs in file order (the walker finds some
 * late: a dangling backend name only once every backend is known).
 * Returns the number of errors; cx keeps no messages afterwards.
 */
static size_t
conf_cx_finish(struct conf_cx *cx, struct conf_errs *errs)
{
	size_t i, n, total;
	char **msg;

	if (cx->nmsgs > 1)
		qsort(cx->msgs, cx->nmsgs, sizeof(*cx->msgs), conf_msg_cmp);
	n = cx->nmsgs + (cx->full ? 1 : 0) + (cx->oom ? 1 : 0);
	total = n;
	if (errs != NULL && n > 0 &&
	    (msg = reallocarray(errs->msg, errs->n + n, sizeof(*msg))) !=
	    NULL) {
		errs->msg = msg;
		for (i = 0; i < cx->nmsgs; i++) {
			msg[errs->n++] = cx->msgs[i].text;
			cx->msgs[i].text = NULL;
		}
		if (cx->full) {
			char buf[64];

			(void)snprintf(buf, sizeof(buf), "too many errors; "
			    "stopped after %d", CONF_ERRS_MAX - 1);
			msg[errs->n] = conf_strcat3(cx->name, ": ", buf);
			if (msg[errs->n] != NULL)
				errs->n++;
		}
		if (cx->oom && (msg[errs->n] = conf_strcat3(cx->name, ": ",
		    "out of memory")) != NULL)
			errs->n++;
	}
	for (i = 0; i < cx->nmsgs; i++)
		free(cx->msgs[i].text);
	free(cx->msgs);
	cx->msgs = NULL;
	cx->nmsgs = cx->capmsgs = 0;
	return (total);
}

void
conf_errs_free(struct conf_errs *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

static void
conf_backend_free(struct conf_backend *b)
{
	size_t i;

	free(b->name);
	for (i = 0; i < b->nservers; i++)
		free(b->servers[i].host);
	free(b->servers);
	free(b->health.path);
	if (b->tls != NULL) {
		free(b->tls->ca_file);
		free(b->tls->sni);
		free(b->tls);
	}
}

static void
conf_tls_server_free(struct conf_tls_server *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncerts; i++) {
		free(t->certs[i].cert);
		free(t->certs[i].key);
	}
	free(t->certs);
	free(t);
}

void
conf_alog_free(struct conf_alog *a)
{
	if (a == NULL)
		return;
	free(a->path);
	free(a->syslog);
	free(a->format);
	free(a->format_where);
	free(a);
}

/* Frees a config whatever state the walker left it in. */
void
conf_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->user);
	if (cfg->tunnel != NULL) {
		free(cfg->tunnel->routes);
		conf_update_free(cfg->tunnel->update);
	}
	free(cfg->tunnel);
	for (i = 0; i < cfg->nlisteners; i++) {
		free(cfg->listeners[i].name);
		free(cfg->listeners[i].bind);
		free(cfg->listeners[i].trust);
		free(cfg->listeners[i].allow);
		free(cfg->listeners[i].deny);
		conf_alog_free(cfg->listeners[i].access_log);
		conf_tls_server_free(cfg->listeners[i].tls);
	}
	conf_alog_free(cfg->access_log);
	free(cfg->listeners);
	for (i = 0; i < cfg->nbackends; i++)
		conf_backend_free(&cfg->backends[i]);
	free(cfg->backends);
	free(cfg->resolvers);
	free(cfg);
}

struct config *
conf_load_mem(const char *name, const void *buf, size_t len,
    struct conf_errs *errs)
{
	struct conf_cx cx;
	struct conf_node *root;
	struct config *cfg;

	memset(&cx, 0, sizeof(cx));
	cx.name = name != NULL ? name : "(config)";
	if (len > CONF_FILE_MAX) {
		conf_err_file(&cx, "larger than 1 MiB");
		conf_cx_finish(&cx, errs);
		return (NULL);
	}
	if ((cx.cfg = calloc(1, sizeof(*cx.cfg))) == NULL ||
	    (cx.cfg->path = strdup(cx.name)) == NULL) {
		cx.oom = true;
		goto done;
	}
	cx.cfg->refs = 1;
	if ((root = conf_tree_parse(&cx, buf, len)) != NULL) {
		conf_walk(&cx, root);
		conf_node_free(root);
	}
done:
	free(cx.lx);
	free(cx.binds);
	cfg = cx.cfg;
	if (cx.nmsgs > 0 || cx.full || cx.oom) {
		conf_free(cfg);
		cfg = NULL;
	}
	conf_cx_finish(&cx, errs);
	return (cfg);
}

struct config *
conf_load(const char *path, struct conf_errs *errs)
{
	struct conf_cx cx;
	struct config *cfg;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	int fd;

	memset(&cx, 0, sizeof(cx));
	cx.name = path != NULL ? path : "(config)";
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		conf_err_file(&cx, "cannot open: %s",
		    strerror(path == NULL ? EINVAL : errno));
		conf_cx_finish(&cx, errs);
		return (NULL);
	}
	/* Read one byte past the limit, to tell "too large" from "fits". */
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 16384 : cap * 2;
			if (cap > CONF_FILE_MAX + 1)
				cap = CONF_FILE_MAX + 1;
			if (len == cap)
				break;
			if ((nb = realloc(buf, cap)) == NULL) {
				cx.oom = true;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			conf_err_file(&cx, "cannot read: %s", strerror(errno));
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	(void)close(fd);
	if (len > CONF_FILE_MAX)
		conf_err_file(&cx, "larger than 1 MiB");
	if (cx.nmsgs > 0 || cx.oom) {
		free(buf);
		conf_cx_finish(&cx, errs);
		return (NULL);
	}
	cfg = conf_load_mem(path, buf, len, errs);
	free(buf);
	return (cfg);
}

const struct config *
conf_ref(const struct config *cfg)
{
	/* The count is the one field that changes after loading. */
	if (cfg != NULL)
		__atomic_add_fetch(&((struct config *)(uintptr_t)cfg)->refs, 1,
		    __ATOMIC_RELAXED);
	return (cfg);
}

void
conf_unref(const struct config *cfg)
{
	struct config *c = (struct config *)(uintptr_t)cfg;

	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		conf_free(c);
}

const struct conf_backend *
conf_backend_find(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < cfg->nbackends; i++)
		if (cfg->backends[i].name != NULL &&
		    strcmp(cfg->backends[i].name, name) == 0)
			return (&cfg->backends[i]);
	return (NULL);
}

void
conf_update_free(struct conf_tunnel_update *u)
{
	if (u == NULL)
		return;
	free(u->url);
	free(u->host);
	free(u->target);
	free(u->username);
	free(u->password_file);
	free(u->ca_file);
	free(u);
}

static bool
conf_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static bool
conf_update_equal(const struct conf_tunnel_update *a,
    const struct conf_tunnel_update *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (conf_str_equal(a->url, b->url) &&
	    conf_str_equal(a->username, b->username) &&
	    conf_str_equal(a->password_file, b->password_file) &&
	    conf_str_equal(a->ca_file, b->ca_file) &&
	    a->has_myip == b->has_myip &&
	    a->myip.s_addr == b->myip.s_addr &&
	    a->interval == b->interval && a->retry == b->retry);
}

/*
 * Field by field, never memcmp over the struct: padding and the routes
 * pointer differ between two loads of the same file.
 */
bool
conf_tunnel_equal(const struct conf_tunnel *a, const struct conf_tunnel *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return (a == b);
	if (a->role != b->role || strcmp(a->interface, b->interface) != 0 ||
	    a->local.s_addr != b->local.s_addr ||
	    a->remote.s_addr != b->remote.s_addr ||
	    memcmp(&a->address, &b->address, sizeof(a->address)) != 0 ||
	    a->plen != b->plen ||
	    memcmp(&a->peer, &b->peer, sizeof(a->peer)) != 0 ||
	    a->mtu != b->mtu || a->pmtu_dynamic != b->pmtu_dynamic ||
	    a->ttl != b->ttl || a->default_route != b->default_route ||
	    a->echo_interval != b->echo_interval || a->nroutes != b->nroutes)
		return (false);
	for (i = 0; i < a->nroutes; i++)
		if (a->routes[i].family != b->routes[i].family ||
		    a->routes[i].plen != b->routes[i].plen ||
		    memcmp(a->routes[i].addr, b->routes[i].addr, 16) != 0)
			return (false);
	return (conf_update_equal(a->update, b->update));
}
