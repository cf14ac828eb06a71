/*
 * v6front: main, command line, signals, start-up, reload and shutdown.
 *
 * The main thread loads the config, brings up the tunnel, binds every
 * listener, starts the workers and then only handles signals: it never
 * touches a session.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log/log.h"
#include "proxy/proxy.h"
#include "tunnel/tunnel.h"

#define PX_DEFAULT_CONF	"/etc/v6front/v6front.yaml"

/* The process state: the one global. */
static struct {
	const char		*path;
	struct event_base	*base;
	struct px_worker	**wk;
	int			 nwk;
	int			 nexited;
	int			 done_pipe[2];
	struct event		*done_ev;
	struct event		*drain_ev;
	struct px_lset		*lset;	/* what the workers serve now */
	unsigned		 gen_id;
	bool			 stopping;
	struct tun		*tun;	/* owned; NULL without a tunnel */
	const struct config	*tun_cfg;	/* counted ref: the config the
						   tunnel was opened with */
	struct px_alogreg	 alogs;		/* access-log outputs */
	struct px_streg		 reg;		/* every counter block */
	bool			 reg_on;	/* reg is set up */
	struct event		*alog_ev;	/* reports their drops */
} px;

static void
px_usage(FILE *f)
{
	fprintf(f,
	    "usage: v6front [-t] [-c file]\n"
	    "       v6front logstat [options] file...  (logstat -h: options)\n"
	    "       v6front -V | -h\n"
	    "  -c file  configuration (default " PX_DEFAULT_CONF ")\n"
	    "  -t       check the configuration and exit (0 good, 1 bad)\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help\n"
	    "signals: HUP reload, TERM/INT drain and stop, USR1 reopen logs,\n"
	    "         USR2 log the tunnel counters\n");
}

/* Loads a config, printing every error; NULL if it is invalid. */
static struct config *
px_load(const char *path, bool at_start)
{
	struct conf_errs	 errs = { NULL, 0 };
	struct config		*cfg;
	char			 err[1024];
	size_t			 i;

	if ((cfg = conf_load(path, &errs)) != NULL) {
		/* conf keeps log/ out; formats are compiled here. */
		if (px_alog_check(cfg, err, sizeof(err)) == 0)
			return (cfg);
		if (at_start)
			fprintf(stderr, "%s\n", err);
		else
			px_log(CONF_LOG_ERR, "%s", err);
		conf_unref(cfg);
		return (NULL);
	}
	for (i = 0; i < errs.n; i++) {
		if (at_start)
			fprintf(stderr, "%s\n", errs.msg[i]);
		else
			px_log(CONF_LOG_ERR, "%s", errs.msg[i]);
	}
	if (errs.n == 0) {
		if (at_start)
			fprintf(stderr, "%s: invalid configuration\n", path);
		else
			px_log(CONF_LOG_ERR, "%s: invalid configuration", path);
	}
	conf_errs_free(&errs);
	return (NULL);
}

static int
px_nworkers(const struct config *cfg)
{
	long n;

	if (cfg->workers > 0)
		return (cfg->workers);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n < 1 ? 1 : n > PX_WORKERS_MAX ? PX_WORKERS_MAX : (int)n);
}

/* Each session holds two descriptors: take what the hard limit allows. */
static void
px_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			px_warn("setrlimit RLIMIT_NOFILE");
	}
}

static int
px_drop_privileges(const char *user)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		px_log(CONF_LOG_CRIT, "user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
		return (-1);
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		px_log(CONF_LOG_CRIT, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static void
px_log_listeners(const struct px_lset *ls)
{
	const struct px_gen	*g = ls->gen;
	size_t			 i;

	for (i = 0; i < ls->n; i++) {
		const struct conf_listener	*ln = ls->b[i].ln;
		const struct px_backend		*pb;
		const struct px_srvset		*set;
		const char			*mode;

		pb = px_gen_backend(g, ln->backend);
		set = px_backend_set(pb);
		mode = ln->mode == CONF_MODE_HTTP ? "http" : "tcp";
		if (ln->backend->builtin == CONF_BUILTIN_STATUS)
			px_log(CONF_LOG_INFO, "listening on %s (listener %s, "
			    "%s, built-in status)", ls->b[i].ls->addr.text,
			    ln->name, mode);
		else
			px_log(CONF_LOG_INFO, "listening on %s (listener %s, "
			    "%s -> backend %s: %s%s)", ls->b[i].ls->addr.text,
			    ln->name, mode, ln->backend->name,
			    set->n > 0 ? set->srv[0]->addr.text : "-",
			    set->n > 1 ? " and more" : "");
	}
}

/*
 * A server set was replaced: every worker closes its idle connections to
 * servers gone or down, and says it passed the replacement.
 */
static void
px_sweep(void)
{
	int i;

	for (i = 0; i < px.nwk && px.wk != NULL; i++)
		px_worker_cmd(px.wk[i], PX_WK_SWEEP);
}

/* The lowest server-set epoch every worker has passed. */
static uint64_t
px_quiet(void)
{
	uint64_t	q = UINT64_MAX, v;
	int		i;

	if (px.wk == NULL)
		return (0);
	for (i = 0; i < px.nwk; i++) {
		if (px.wk[i] == NULL)
			return (0);
		v = __atomic_load_n(&px.wk[i]->qs, __ATOMIC_ACQUIRE);
		if (v < q)
			q = v;
	}
	return (q);
}

static void
px_reload(void)
{
	struct config	*cfg;
	struct px_gen	*g;
	struct px_lset	*ls;
	char		 err[512];
	int		 i;

	px_log(CONF_LOG_NOTICE, "SIGHUP: reloading %s", px.path);
	if ((cfg = px_load(px.path, false)) == NULL) {
		px_log(CONF_LOG_ERR, "reload failed; still serving generation "
		    "%u", px.gen_id);
		return;
	}
	if (px_nworkers(cfg) != px.nwk)
		px_warnx("reload: the number of workers changes only on "
		    "restart; keeping %d", px.nwk);
	/*
	 * Tearing the tunnel down would cut every session that came through
	 * it, and the listeners bound to its address with them.
	 */
	if (!conf_tunnel_equal(cfg->tunnel, px.tun_cfg != NULL ?
	    px.tun_cfg->tunnel : NULL))
		px_warnx("reload: tunnel changes need a restart; keeping the "
		    "running tunnel%s", px.tun != NULL ? "" : " (none)");
	g = px_gen_new(cfg, px.gen_id + 1, &px.reg, err, sizeof(err));
	conf_unref(cfg);
	if (g != NULL && px_alog_gen_open(g, &px.alogs, px.nwk, err,
	    sizeof(err)) == -1) {
		px_gen_unref(g);
		g = NULL;
	}
	if (g == NULL) {
		px_log(CONF_LOG_ERR, "%s; reload failed, still serving "
		    "generation %u", err, px.gen_id);
		return;
	}
	ls = px_lset_build(g, px.lset, px.nwk, err, sizeof(err));
	px_gen_unref(g);
	if (ls == NULL) {
		px_log(CONF_LOG_ERR, "%s; reload failed, still serving "
		    "generation %u", err, px.gen_id);
		return;
	}
	if (px_backend_start(ls->gen, px.base, px_sweep, px_quiet, err,
	    sizeof(err)) == -1) {
		px_backend_stop(ls->gen);
		px_lset_unref(ls);
		px_log(CONF_LOG_ERR, "%s; reload failed, still serving "
		    "generation %u", err, px.gen_id);
		return;
	}
	for (i = 0; i < px.nwk; i++)
		px_worker_swap(px.wk[i], ls);
	px_backend_stop(px.lset->gen);
	px_lset_unref(px.lset);
	px.lset = ls;
	px.gen_id++;
	__atomic_store_n(&px.reg.gen, px.gen_id, __ATOMIC_RELAXED);
	__atomic_store_n(&px.reg.loaded, (int64_t)time(NULL), __ATOMIC_RELAXED);
	px_log_set_level(ls->gen->cfg->log_level);
	px_log_listeners(ls);
	px_log(CONF_LOG_NOTICE, "reloaded %s: generation %u, %zu listener "
	    "addresses", px.path, px.gen_id, ls->n);
}

static void
px_abort_sessions(evutil_socket_t fd, short what, void *arg)
{
	int i;

	px_log(CONF_LOG_NOTICE, "shutdown timeout: closing the remaining "
	    "sessions");
	for (i = 0; i < px.nwk; i++)
		px_worker_cmd(px.wk[i], PX_WK_ABORT);
}

static void
px_shutdown(int sig)
{
	struct timeval	tv;
	int		i;

	if (px.stopping) {
		px_log(CONF_LOG_NOTICE, "%s again: closing every session now",
		    strsignal(sig));
		px_abort_sessions(-1, 0, NULL);
		return;
	}
	px.stopping = true;
	px_log(CONF_LOG_NOTICE, "%s: no longer accepting; draining sessions "
	    "for up to %llu ms", strsignal(sig),
	    (unsigned long long)px.lset->gen->cfg->shutdown_timeout);
	tv = px_ms_tv(px.lset->gen->cfg->shutdown_timeout);
	px.drain_ev = evtimer_new(px.base, px_abort_sessions, NULL);
	if (px.drain_ev != NULL)
		evtimer_add(px.drain_ev, &tv);
	for (i = 0; i < px.nwk; i++)
		px_worker_cmd(px.wk[i], PX_WK_STOP);
	/* The sockets close once every worker has let go of them too. */
	px_backend_stop(px.lset->gen);
	px_lset_unref(px.lset);
	px.lset = NULL;
}

static void
px_signal(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGHUP:
		if (!px.stopping)
			px_reload();
		break;
	case SIGUSR1:
		px_log(CONF_LOG_NOTICE, "SIGUSR1: reopening log files");
		px_alog_reopen(&px.alogs);
		break;
	case SIGUSR2:
		px_tun_report(px.tun);
		break;
	case SIGTERM:
	case SIGINT:
		px_shutdown((int)sig);
		break;
	}
}

static void
px_alog_tick(evutil_socket_t fd, short what, void *arg)
{
	px_alog_report(&px.alogs);
}

static void
px_worker_done(evutil_socket_t fd, short what, void *arg)
{
	char	buf[64];
	ssize_t	n;

	if ((n = read(fd, buf, sizeof(buf))) > 0)
		px.nexited += (int)n;
	if (px.nexited >= px.nwk)
		event_base_loopexit(px.base, NULL);
}

/* Starts every worker with the signals left to the main thread. */
static int
px_start_workers(void)
{
	sigset_t	all, old;
	char		err[256];
	int		i, rc = 0;

	if ((px.wk = calloc((size_t)px.nwk, sizeof(*px.wk))) == NULL) {
		px_log(CONF_LOG_CRIT, "out of memory");
		return (-1);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < px.nwk && rc == 0; i++) {
		if ((px.wk[i] = px_worker_new(i, err, sizeof(err))) == NULL) {
			px_log(CONF_LOG_CRIT, "%s", err);
			rc = -1;
			break;
		}
		px.wk[i]->done_fd = px.done_pipe[1];
		if (px_worker_start(px.wk[i], px.lset) == -1) {
			px_log(CONF_LOG_CRIT, "worker %d: %s", i,
			    strerror(errno));
			rc = -1;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (rc);
}

/* Stops the tunnel: its device, addresses and routes go with it. */
static void
px_tun_stop(void)
{
	px.reg.tun = NULL;
	tun_close(px.tun);
	px.tun = NULL;
	conf_unref(px.tun_cfg);
	px.tun_cfg = NULL;
}

static int
px_run(struct config *cfg)
{
	static const int	 sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGTERM,
				    SIGINT };
	struct event		*sev[5];
	struct px_gen		*g;
	char			 err[512];
	size_t			 i;

	px_log_set_level(cfg->log_level);
	/* A broker-only daemon has a tunnel and nothing to listen on. */
	if (cfg->nlisteners == 0 && cfg->tunnel == NULL) {
		px_log(CONF_LOG_CRIT, "%s: no listeners and no tunnel",
		    px.path);
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	px_raise_nofile();
	px.nwk = px_nworkers(cfg);
	px.gen_id = 1;
	if (px_streg_init(&px.reg, px.nwk) == -1) {
		px_log(CONF_LOG_CRIT, "out of memory");
		return (1);
	}
	px.reg_on = true;
	px.reg.gen = px.gen_id;
	if ((g = px_gen_new(cfg, px.gen_id, &px.reg, err, sizeof(err))) ==
	    NULL) {
		px_log(CONF_LOG_CRIT, "%s", err);
		return (1);
	}
	/* Before dropping privileges: log files are often root's. */
	if (px_alog_gen_open(g, &px.alogs, px.nwk, err, sizeof(err)) == -1) {
		px_log(CONF_LOG_CRIT, "%s", err);
		px_gen_unref(g);
		px_alog_close_all(&px.alogs);
		return (1);
	}
	/*
	 * The tunnel first: its address must exist before the listeners
	 * bind it, and it needs root, which `user:` gives up below.
	 */
	if (cfg->tunnel != NULL) {
		if ((px.tun = px_tun_open(cfg->tunnel)) == NULL) {
			px_gen_unref(g);
			return (1);
		}
		px.tun_cfg = conf_ref(cfg);
		/* The workers, which serve the stats, start later. */
		px.reg.tun = px.tun;
	}
	px.lset = px_lset_build(g, NULL, px.nwk, err, sizeof(err));
	px_gen_unref(g);
	if (px.lset == NULL) {
		px_log(CONF_LOG_CRIT, "%s", err);
		px_tun_stop();
		return (1);
	}
	if (cfg->user != NULL && px_drop_privileges(cfg->user) == -1) {
		px_tun_stop();
		return (1);
	}
	if ((px.base = event_base_new()) == NULL ||
	    pipe2(px.done_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		px_log(CONF_LOG_CRIT, "cannot set up the main loop");
		px_tun_stop();
		return (1);
	}
	px.done_ev = event_new(px.base, px.done_pipe[0], EV_READ | EV_PERSIST,
	    px_worker_done, NULL);
	event_add(px.done_ev, NULL);
	for (i = 0; i < 5; i++) {
		sev[i] = evsignal_new(px.base, sigs[i], px_signal, NULL);
		evsignal_add(sev[i], NULL);
	}
	if (px.alogs.n > 0) {
		struct timeval tv = px_ms_tv(1000);

		px.alog_ev = event_new(px.base, -1, EV_PERSIST, px_alog_tick,
		    NULL);
		if (px.alog_ev != NULL)
			event_add(px.alog_ev, &tv);
	}
	if (px_backend_start(px.lset->gen, px.base, px_sweep, px_quiet, err,
	    sizeof(err)) == -1) {
		px_log(CONF_LOG_CRIT, "%s", err);
		px_tun_stop();
		return (1);
	}
	if (px_start_workers() == -1) {
		px_tun_stop();
		return (1);
	}
	px_log_listeners(px.lset);
	px_log(CONF_LOG_NOTICE, "v6front %s ready: %zu listener addresses, %d "
	    "worker%s, pid %ld", V6F_VERSION, px.lset->n, px.nwk,
	    px.nwk == 1 ? "" : "s", (long)getpid());

	event_base_dispatch(px.base);

	for (i = 0; i < (size_t)px.nwk; i++)
		px_worker_free(px.wk[i]);
	free(px.wk);
	px.wk = NULL;
	if (px.lset != NULL)
		px_backend_stop(px.lset->gen);
	px_lset_unref(px.lset);
	px_dns_shutdown(px.base);
	/* Every session has written its line: flush them all. */
	px_alog_close_all(&px.alogs);
	if (px.alog_ev != NULL)
		event_free(px.alog_ev);
	/* Sessions through the tunnel have drained: now it may go. */
	px_tun_stop();
	for (i = 0; i < 5; i++)
		event_free(sev[i]);
	event_free(px.done_ev);
	if (px.drain_ev != NULL)
		event_free(px.drain_ev);
	event_base_free(px.base);
	close(px.done_pipe[0]);
	close(px.done_pipe[1]);
	px_log(CONF_LOG_NOTICE, "stopped");
	return (0);
}

int
main(int argc, char *argv[])
{
	struct config	*cfg;
	bool		 check = false;
	int		 ch, rc;

	if (argc > 1 && strcmp(argv[1], "logstat") == 0)
		return (logstat_main(argc - 1, argv + 1));
	px.path = PX_DEFAULT_CONF;
	while ((ch = getopt(argc, argv, "c:thV")) != -1) {
		switch (ch) {
		case 'c':
			px.path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'V':
			printf("v6front %s\n", V6F_VERSION);
			return (0);
		case 'h':
			px_usage(stdout);
			return (0);
		default:
			px_usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		px_usage(stderr);
		return (2);
	}
	if ((cfg = px_load(px.path, true)) == NULL)
		return (1);
	if (check) {
		char err[1024];

		if (px_tls_check(cfg, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", px.path, err);
			conf_unref(cfg);
			return (1);
		}
		printf("%s: configuration ok\n", px.path);
		conf_unref(cfg);
		return (0);
	}
	rc = px_run(cfg);
	conf_unref(cfg);
	if (px.reg_on)
		px_streg_fini(&px.reg);
	return (rc);
}
