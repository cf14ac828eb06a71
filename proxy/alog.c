/*
 * Access logs: which output and format each listener of a generation uses,
 * and the one line per session.
 *
 * Outputs (files, syslog targets) live in a registry owned by main, keyed
 * by path or target, for the life of the process: a reload that names the
 * same file keeps its writer thread and buffers, and sessions of an older
 * generation can still write after the reload.  Formats are compiled per
 * generation, so each session renders with the format it started under.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "proxy/proxy.h"

/* The format of a listener's access log, or the default for its mode. */
static const char *
px_alog_fmt_text(const struct conf_listener *ln)
{
	if (ln->access_log->format != NULL)
		return (ln->access_log->format);
	return (ln->mode == CONF_MODE_TCP ? PX_TCP_LOG_FORMAT : "combined");
}

/* Compiles a listener's format; json gives NULL with no error. */
static int
px_alog_compile(const struct conf_listener *ln, struct alog_fmt **fmt,
    char *err, size_t errlen)
{
	const char	*text = px_alog_fmt_text(ln);
	char		 e[256];

	*fmt = NULL;
	if (strcmp(text, "json") == 0)
		return (0);
	if ((*fmt = alog_fmt_compile(text, e, sizeof(e))) != NULL)
		return (0);
	if (ln->access_log->format_where != NULL)
		snprintf(err, errlen, "%s: %s", ln->access_log->format_where, e);
	else
		snprintf(err, errlen, "listener %s: access log format: %s",
		    ln->name, e);
	return (-1);
}

int
px_alog_check(const struct config *cfg, char *err, size_t errlen)
{
	struct alog_fmt	*fmt;
	size_t		 i;

	for (i = 0; i < cfg->nlisteners; i++) {
		if (cfg->listeners[i].access_log == NULL)
			continue;
		if (px_alog_compile(&cfg->listeners[i], &fmt, err, errlen) ==
		    -1)
			return (-1);
		alog_fmt_free(fmt);
	}
	return (0);
}

/* The registry's output for a listener's target, opened when new. */
static struct alog_out *
px_alog_out(struct px_alogreg *reg, const struct conf_alog *a, int nslot,
    char *err, size_t errlen)
{
	const char	*name = a->path != NULL ? a->path : a->syslog;
	struct alog_out	*o, **n;
	size_t		 i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(alog_out_name(reg->out[i]), name) == 0)
			return (reg->out[i]);
	if ((n = reallocarray(reg->out, reg->n + 1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "access log %s: out of memory", name);
		return (NULL);
	}
	reg->out = n;
	if (a->path != NULL)
		o = alog_open_file(a->path, nslot, err, errlen);
	else
		o = alog_open_syslog(a->syslog, (const struct sockaddr *)
		    &a->syslog_ss, a->syslog_len, nslot, err, errlen);
	if (o == NULL)
		return (NULL);
	reg->out[reg->n++] = o;
	return (o);
}

int
px_alog_gen_open(struct px_gen *g, struct px_alogreg *reg, int nslot,
    char *err, size_t errlen)
{
	const struct config	*cfg = g->cfg;
	char			 e[512];
	size_t			 i;

	if (cfg->nlisteners == 0)
		return (0);
	if ((g->alogs = calloc(cfg->nlisteners, sizeof(*g->alogs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct conf_listener	*ln = &cfg->listeners[i];
		struct px_alog			*pa = &g->alogs[i];

		if (ln->access_log == NULL)
			continue;
		if (px_alog_compile(ln, &pa->fmt, err, errlen) == -1)
			return (-1);
		if ((pa->out = px_alog_out(reg, ln->access_log, nslot, e,
		    sizeof(e))) == NULL) {
			snprintf(err, errlen, "listener %s: access log %s",
			    ln->name, e);
			return (-1);
		}
		/* JSON lines carry no local address. */
		pa->need_local = pa->fmt != NULL &&
		    (alog_fmt_find(pa->fmt, ALOG_D_LOCAL_IP, NULL) >= 0 ||
		    alog_fmt_find(pa->fmt, ALOG_D_PORT, NULL) >= 0);
		pa->anon_v6 = ln->access_log->anon_v6;
		pa->anon_v4 = ln->access_log->anon_v4;
	}
	return (0);
}

void
px_alog_gen_free(struct px_gen *g)
{
	size_t i;

	if (g->alogs == NULL)
		return;
	for (i = 0; i < g->cfg->nlisteners; i++)
		alog_fmt_free(g->alogs[i].fmt);
	free(g->alogs);
	g->alogs = NULL;
}

bool
px_alog_wanted(const struct px_sess *s)
{
	return (s->gen->alogs != NULL &&
	    s->gen->alogs[s->ln - s->gen->cfg->listeners].out != NULL);
}

void
px_alog_emit(struct px_sess *s, const struct alog_rec *rec)
{
	const struct px_alog	*pa;
	struct alog_rec		 rr = *rec, *r = &rr;
	union px_sockaddr	 cli;
	socklen_t		 slen = sizeof(s->loc_addr);
	size_t			 len;
	int			 n;

	if (s->gen->alogs == NULL)
		return;
	pa = &s->gen->alogs[s->ln - s->gen->cfg->listeners];
	if (pa->out == NULL)
		return;
	/* The local address is asked for once, and only if a line shows it. */
	if (pa->need_local && !s->loc_known && s->fd != -1 &&
	    getsockname(s->fd, &s->loc_addr.sa, &slen) == 0)
		s->loc_known = true;
	/* Masked before rendering, so no output form sees the full address. */
	cli = s->cli_addr;
	if (pa->anon_v6 < 128 || pa->anon_v4 < 32)
		alog_addr_mask((struct sockaddr *)&cli, pa->anon_v6,
		    pa->anon_v4);
	r->cli = (const struct sockaddr *)&cli;
	r->local = s->loc_known ? &s->loc_addr.sa : NULL;
	r->listener.p = s->ln->name;
	r->listener.len = strlen(s->ln->name);
	r->backend.p = s->ln->backend->name;
	r->backend.len = strlen(s->ln->backend->name);
	clock_gettime(CLOCK_REALTIME, &r->end);
	/*
	 * A closing session's relay is done with the worker's scratch buffer;
	 * it is the largest buffer at hand and costs nothing per line.
	 */
	len = s->wk->scratch_len < ALOG_LINE_MAX ? s->wk->scratch_len :
	    ALOG_LINE_MAX;
	if (pa->fmt != NULL)
		n = alog_fmt_render(pa->fmt, r, s->wk->scratch, len);
	else
		n = alog_json_render(r, s->wk->scratch, len);
	if (n < 0) {
		px_log(CONF_LOG_WARNING, "%s: %s: access log line longer than "
		    "%zu bytes; not written", s->ln->name, s->peer, len);
		return;
	}
	(void)alog_write(pa->out, s->wk->idx, s->wk->scratch, (size_t)n);
}

void
px_alog_reopen(struct px_alogreg *reg)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		alog_reopen(reg->out[i]);
}

void
px_alog_report(struct px_alogreg *reg)
{
	char	msg[512];
	size_t	i;
	int	level;

	for (i = 0; i < reg->n; i++)
		if ((level = alog_report(reg->out[i], msg, sizeof(msg))) != 0)
			px_log((enum conf_log_level)level, "%s", msg);
}

void
px_alog_close_all(struct px_alogreg *reg)
{
	size_t i;

	/* The last lines may meet a full disk too: say so before exit. */
	for (i = 0; i < reg->n; i++)
		alog_stop(reg->out[i]);
	px_alog_report(reg);
	for (i = 0; i < reg->n; i++)
		alog_close(reg->out[i]);
	free(reg->out);
	reg->out = NULL;
	reg->n = 0;
}
