/*
 * proxy: the daemon itself.  main, CLI, signals, workers, listeners, sessions.
 * Nothing outside proxy/ includes this header; it is the contract between
 * the files of the module.
 */
#ifndef V6F_PROXY_H
#define V6F_PROXY_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

#include "conf/conf.h"

struct event_base;
struct event;
struct evconnlistener;
struct bufferevent;

#define PX_PEERSTRLEN	CONF_ADDRSTRLEN	/* "[2001:db8::1]:51234" */
#define PX_WORKERS_MAX	1024

/* ---- daemon log (log.c): stderr, one write(2) per line, thread-safe ---- */

/* Sets the most verbose level printed (CONF_LOG_*). */
void	px_log_set_level(enum conf_log_level);

/* True if a message at this level would be printed. */
bool	px_log_enabled(enum conf_log_level);

/* Prints "TIMESTAMP level: message" when level is enabled. */
void	px_log(enum conf_log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* px_log at CONF_LOG_WARNING with ": strerror(errno)" appended. */
void	px_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* px_log at CONF_LOG_WARNING. */
void	px_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- backend servers (backend.c, dns.c, balance.c, health.c) ---- */

/*
 * One address a backend forwards to: a literal server, or one A record of
 * a named one.  Lives as long as its generation (a name that loses an
 * address and gets it back reuses the object).  Workers read the atomic
 * fields without locks; the main thread alone runs DNS and active checks.
 */
struct px_hc;
struct px_backend;
struct px_gen;
struct px_worker;

struct px_server {
	struct conf_sockaddr	 addr;
	const struct conf_server *cs;	/* borrowed: the entry it came from */
	struct px_backend	*pb;	/* borrowed: its backend */
	unsigned		 weight;	/* 0-256 */
	uint64_t		 hkey;	/* hash of the address, for source */
	int			 up;	/* atomic: picked only when up */
	int			 draining;	/* atomic: left the DNS answer */
	unsigned		 inflight;	/* atomic: sessions using it */
	unsigned		 fails;	/* atomic: connect failures in a row */
	struct px_st		*st;	/* counted ref: its counters */
	/* Main thread only. */
	struct px_hc		*hc;	/* owned; active check state */
	bool			 seen_up;	/* state of the last check */
	int			 hc_ok;	/* checks in a row that passed */
	int			 hc_bad;	/* ... that failed */
	struct px_server	*next;	/* every server of the backend */
};

/*
 * What workers pick from: the servers in the current DNS answer (and the
 * literal ones).  Replaced, never changed: a worker loads the pointer with
 * acquire and uses it only inside one px_balance_pick.  A replaced set is
 * freed once every worker has passed its control event since (quiescent
 * state: the main thread posts PX_WK_SWEEP with every replacement), or
 * with its generation.
 */
struct px_srvset {
	struct px_server	**srv;	/* owned array; servers borrowed */
	size_t			  n;
	struct px_srvset	 *prev;	/* an older set, not yet freed */
	uint64_t		  epoch;	/* replaced in this epoch */
};

struct px_dnsname;

/* One backend of a generation and its servers. */
struct px_backend {
	const struct conf_backend *conf;	/* borrowed from gen->cfg */
	struct px_srvset	*set;	/* atomic; owned with its prevs */
	struct px_server	*all;	/* owned list; appended to with
					   release, so readers other than
					   main walk it with acquire loads */
	struct px_st		*st;	/* counted ref: its counters */
	size_t			 idx;	/* in gen->backends */
	const struct px_gen	*gen;	/* borrowed: its generation */
	struct px_dnsname	**names;	/* owned; one per named server */
	size_t			 nnames;
	struct event_base	*base;	/* main's, while started; else NULL */
};

/* The backend's current server set (acquire load). */
const struct px_srvset *px_backend_set(const struct px_backend *);

/*
 * Resolves every named server of every backend of g (the config's
 * `resolvers:`, else /etc/resolv.conf), blocking; fills the first sets.
 * -1 + err naming the backend and host that did not resolve.
 */
int	px_backend_init(struct px_gen *g, char *err, size_t errlen);

/* Frees what px_backend_init made (from px_gen_unref, any thread). */
void	px_backend_free(struct px_gen *g);

/*
 * Main thread: starts re-resolution and health checks of g on base.
 * swept() runs after a set was replaced: every worker then drops its idle
 * connections to servers gone or down and calls px_backend_quiesce.
 * quiet() returns the lowest epoch every running worker has passed.  -1 +
 * err.
 */
int	px_backend_start(struct px_gen *g, struct event_base *base,
	    void (*swept)(void), uint64_t (*quiet)(void), char *err,
	    size_t errlen);

/* The epoch of the latest set replacement (any thread). */
uint64_t px_backend_epoch(void);

/* Main thread: stops what px_backend_start started (before the gen goes). */
void	px_backend_stop(struct px_gen *g);

/*
 * The IPv4 addresses that /etc/hosts text (len bytes) gives name (case
 * insensitive), at most max of them into out; returns how many.
 */
int	px_hosts_find(const char *buf, size_t len, const char *name,
	    struct in_addr *out, int max);

/* Main thread, at exit: frees the resolver (pending lookups fail). */
void	px_dns_shutdown(struct event_base *);

#define PX_HC_BUF	256	/* response bytes an HTTP check reads */

/*
 * Judges the start of an HTTP check's response (len < PX_HC_BUF bytes):
 * 1 a 2xx or 3xx status line, 0 anything else (why says what), -1 when
 * more bytes are needed (not at eof, no line end yet).
 */
int	px_health_status(const char *buf, size_t len, bool eof, char *why,
	    size_t whylen);

/* Main thread: active checks of a server start (again), or stop. */
void	px_health_start(struct px_server *, struct event_base *);
void	px_health_stop(struct px_server *);

/* Replaces a backend's set with its servers not draining (main thread). */
int	px_backend_publish(struct px_backend *);

/* Logs and marks a server up or down; returns true if it changed. */
bool	px_server_set_up(struct px_server *, bool up, const char *why);

/* Connect attempts a session remembers (retries is at most 10). */
#define PX_TRIES_MAX	11

/* A session starts or stops using a server (least_conn counts these). */
void	px_server_take(struct px_server *);
void	px_server_release(struct px_server *);

/*
 * The outcome of a connect from real traffic on worker wi: e 0 resets the
 * failure count; an errno is counted (in the server's and its backend's
 * stats, ETIMEDOUT as a timeout too) and towards health.max_fails, which
 * marks the server down until active checks bring it back.  why is e in
 * words, for that log line.
 */
void	px_server_connect_done(struct px_server *, int wi, int e,
	    const char *why);

/* Counts, on worker wi, that what failed on sv is tried again. */
void	px_server_retried(struct px_server *, int wi);

/*
 * Picks a server for a new backend connection per the backend's balance,
 * skipping the ntried in tried.  NULL when no other server is up.
 */
struct px_server *px_balance_pick(struct px_worker *,
		    const struct px_backend *, const struct sockaddr *cli,
		    struct px_server *const *tried, size_t ntried);

/* 64-bit hash of bytes (seeded), for source hashing. */
uint64_t px_hash64(const void *, size_t, uint64_t seed);

/*
 * The source-hash key of a client: the IPv4 address (IPv4-mapped IPv6
 * counts as IPv4) or the IPv6 address masked to prefix bits.
 */
uint64_t px_balance_source_key(const struct sockaddr *, int prefix);

/*
 * Rendezvous (HRW) choice: the index among n servers (hkey[i], weight[i])
 * with the best weighted score for key; -1 if every weight is 0.  Removing
 * one server moves only the keys that were on it.
 */
ssize_t	px_balance_hrw(uint64_t key, const uint64_t *hkey,
	    const unsigned *weight, size_t n);

/* ---- generations (gen.c) ---- */

/*
 * A generation: one loaded config plus what was resolved for it.  Sessions
 * hold a reference, so a reload never pulls a config from under a session.
 */
struct px_alog;
struct px_tls;

struct px_gen {
	const struct config	*cfg;		/* counted ref */
	struct px_backend	*backends;	/* owned; as cfg->backends */
	struct px_alog		*alogs;		/* owned; as cfg->listeners;
						   NULL = none */
	struct px_tls		*tls;		/* owned; NULL = no tls: */
	struct px_streg		*reg;		/* borrowed: outlives gens */
	struct px_st		**lst;		/* owned array of counted refs;
						   as cfg->listeners */
	unsigned		 id;		/* 1 at start, +1 per reload */
	unsigned		 refs;
};

/*
 * Resolves every backend of cfg (takes its own ref) and gets the counters
 * of every listener, backend and server from reg; NULL + err on failure.
 */
struct px_gen	*px_gen_new(const struct config *cfg, unsigned id,
		    struct px_streg *reg, char *err, size_t errlen);

/* Takes a reference; returns its argument. */
struct px_gen	*px_gen_ref(struct px_gen *);

/* Drops a reference; frees the generation at zero.  NULL is ignored. */
void	px_gen_unref(struct px_gen *);

/* The resolved backend of a listener in this generation. */
const struct px_backend *px_gen_backend(const struct px_gen *,
		    const struct conf_backend *);

/* ---- listening sockets (listen.c) ---- */

/*
 * One bound address, as one SO_REUSEPORT socket per worker.  Shared between
 * the main thread and the workers by reference count; the sockets close when
 * the last reference goes, so a listener kept across a reload never closes.
 */
struct px_lsock {
	struct conf_sockaddr	 addr;
	bool			 v6only;
	int			 backlog;
	int			*fd;		/* nfd: one per worker */
	int			 nfd;
	unsigned		 refs;
};

/* Binds nfd sockets for a listener address; NULL + err (errno kept). */
struct px_lsock	*px_lsock_open(const struct conf_listener *,
		    const struct conf_sockaddr *, int nfd, char *err,
		    size_t errlen);

/*
 * Whether an open socket set can serve this listener bind: 1 yes (a new
 * backlog is applied to it), 0 another address, -1 + err when the address is
 * the same but the change needs new sockets (v6only).
 */
int	px_lsock_reuse(struct px_lsock *, const struct conf_listener *,
	    const struct conf_sockaddr *, char *err, size_t errlen);

/* Takes a reference (thread-safe); returns its argument. */
struct px_lsock	*px_lsock_ref(struct px_lsock *);

/* Drops a reference; closes the sockets at zero.  NULL is ignored. */
void	px_lsock_unref(struct px_lsock *);

/*
 * What a worker listens on: for each listener bind of a generation, the
 * socket set and the listener config it serves.
 */
struct px_limtab;

struct px_lbind {
	struct px_lsock			*ls;	/* counted ref */
	const struct conf_listener	*ln;	/* borrowed from the gen */
	struct px_limtab		*lim;	/* counted ref; NULL when the
						   listener has no per-source
						   limits; shared by its binds
						   and kept across reloads */
};

struct px_lset {
	struct px_gen	*gen;		/* counted ref */
	struct px_lbind	*b;		/* owned */
	size_t		 n;
	unsigned	 refs;
};

/* Takes a reference; returns its argument. */
struct px_lset	*px_lset_ref(struct px_lset *);

/* Drops a reference; releases the sockets and the gen at zero. */
void	px_lset_unref(struct px_lset *);

/*
 * Builds the listener set for gen, reusing sockets of old (may be NULL)
 * whose address and options did not change.  NULL + err on a bind failure,
 * with nothing of old closed.
 */
struct px_lset	*px_lset_build(struct px_gen *gen, const struct px_lset *old,
		    int nworkers, char *err, size_t errlen);

/* ---- workers (worker.c) ---- */

struct px_sess;
TAILQ_HEAD(px_sesslist, px_sess);
struct px_rlog;
struct px_bconn;
struct px_hwork;
TAILQ_HEAD(px_bconnlist, px_bconn);

struct px_wlisten {
	struct px_worker		*wk;	/* borrowed */
	struct evconnlistener		*evl;	/* owned */
	const struct px_lbind		*lb;	/* borrowed from wk->lset */
	struct event			*retry;	/* owned; after EMFILE */
};

struct px_worker {
	int			 idx;
	pthread_t		 thr;
	struct event_base	*base;		/* owned */
	struct event		*ctl_ev;	/* owned */
	int			 ctl_fd;	/* eventfd, owned */
	int			 done_fd;	/* borrowed; written at exit */

	pthread_mutex_t		 mtx;		/* guards the next two */
	struct px_lset		*next_lset;	/* handed over by main */
	int			 cmd;		/* PX_WK_* bits */

	struct px_lset		*lset;		/* counted; NULL once stopped */
	struct px_wlisten	*wl;		/* owned; lset->n entries */
	struct px_sesslist	 sessions;
	size_t			 nsessions;
	bool			 stopping;
	unsigned		*rr;		/* owned; per backend */
	size_t			 nrr;
	char			*scratch;	/* owned; relays read into it */
	size_t			 scratch_len;
	struct px_bconnlist	 idle;		/* http: parked backend conns */
	size_t			 nidle;		/* entries in idle */
	uint64_t		 qs;		/* atomic: server-set epoch it
						   has passed (backend.c) */
	struct px_hwork		*hwork;		/* owned; http work areas */
	unsigned		 nhwork;	/* in hwork */
	unsigned		 hwork_low;	/* fewest in hwork this second */
	struct event		*hwork_trim;	/* owned; frees unused ones */
	struct px_rlog		*rlog;		/* owned; refusal log limiter */
};

/*
 * The largest single read of a relay.  Measured with iperf3 through one
 * worker (bench/tcp.sh): 64 KiB reads and sends cost twice the CPU per byte
 * of 16 or 32 KiB ones, most of it in the kernel's send path.
 */
#define PX_SCRATCH_LEN	(32 * 1024)

#define PX_WK_SWAP	0x1	/* take next_lset */
#define PX_WK_STOP	0x2	/* stop accepting; exit when idle */
#define PX_WK_ABORT	0x4	/* close every session now and exit */
#define PX_WK_SWEEP	0x8	/* drop idle conns of servers gone or down */

/* Creates worker idx (its base and control channel); NULL + err. */
struct px_worker *px_worker_new(int idx, char *err, size_t errlen);

/* Starts the worker's thread on lset (takes a ref); -1 on failure. */
int	px_worker_start(struct px_worker *, struct px_lset *);

/* From another thread: hand over a new listener set (takes a ref). */
void	px_worker_swap(struct px_worker *, struct px_lset *);

/* From another thread: post PX_WK_STOP or PX_WK_ABORT. */
void	px_worker_cmd(struct px_worker *, int cmd);

/* Joins the thread and frees the worker. */
void	px_worker_free(struct px_worker *);


/* ---- sessions (tcp.c, status.c) ---- */

enum px_sess_kind {
	PX_SESS_TCP,
	PX_SESS_STATUS,
	PX_SESS_HTTP,
	PX_SESS_PROXYHDR,	/* reading a PROXY header (accept.c) */
};

/* An IPv4 or IPv6 socket address, in the room it needs. */
union px_sockaddr {
	struct sockaddr		 sa;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
};

struct px_lim;

/*
 * An accepted connection on its way to a session: the addresses it is
 * known by (a PROXY header's once one was read) and what admission took.
 */
struct px_conn {
	int			 fd;		/* owned until a start takes it */
	struct px_gen		*gen;		/* borrowed: the lbind's gen */
	union px_sockaddr	 cli;		/* the client */
	union px_sockaddr	 loc;		/* what it connected to;
						   family 0 = ask the socket */
	struct px_limtab	*lim;		/* counted ref or NULL */
	struct px_lim		*slot;		/* held in lim, or NULL */
	int			 deny;		/* http: answer this status to
						   every request (403) */
};

/* What every session kind shares; the first member of each session struct. */
struct px_sess {
	TAILQ_ENTRY(px_sess)	 entry;
	enum px_sess_kind	 kind;
	struct px_worker	*wk;		/* borrowed */
	struct px_gen		*gen;		/* counted ref */
	const struct conf_listener *ln;	/* borrowed from gen */
	union px_sockaddr	 cli_addr;	/* a PROXY header's, if any */
	union px_sockaddr	 loc_addr;	/* valid if loc_known */
	bool			 loc_known;
	int			 fd;		/* the client socket, borrowed
						   (owned by the session kind) */
	int			 deny;		/* http: 403 every request */
	struct px_limtab	*lim;		/* counted ref or NULL */
	struct px_lim		*slot;		/* a connection counted in lim */
	struct px_st		*st;		/* borrowed from gen: the
						   listener's counters */
	char			 peer[PX_PEERSTRLEN];	/* use px_sess_peer() */
};

/* Starts a TCP relay for an accepted connection (takes c's fd and slot). */
void	px_tcp_start(struct px_worker *, const struct px_lbind *,
	    struct px_conn *);

/* Starts the built-in status responder (takes c's fd and slot). */
void	px_status_start(struct px_worker *, const struct px_lbind *,
	    struct px_conn *);

/* Starts an HTTP session, mode http (takes c's fd and slot). */
void	px_http_start(struct px_worker *, const struct px_lbind *,
	    struct px_conn *);

/*
 * Fills the shared part of a new session from c (taking over its limit
 * slot) and links it into the worker.
 */
void	px_sess_init(struct px_sess *, enum px_sess_kind, struct px_worker *,
	    const struct px_lbind *, struct px_conn *);

/* The client's "[v6]:port" text, formatted on first use. */
const char *px_sess_peer(struct px_sess *);

/*
 * The address the client connected to (fd is the client socket, asked
 * on first use); NULL if the socket cannot say.
 */
const struct sockaddr *px_sess_local(struct px_sess *, int fd);

/* Unlinks a session from its worker and drops its gen; lets a stopping
 * worker exit when it was the last. */
void	px_sess_fini(struct px_sess *);

/* Ends any session, whatever its kind or state. */
void	px_sess_close(struct px_sess *, const char *why);

/* Closes a TCP session (tcp.c). */
void	px_tcp_close(struct px_sess *, const char *why);

/*
 * The worker is stopping: an HTTP session between requests closes now, one
 * in a request closes after its response (http.c).
 */
void	px_http_stop(struct px_sess *);

/* Frees the worker's cache of idle HTTP work areas (http.c). */
void	px_http_worker_fini(struct px_worker *);

/* Closes an HTTP session (http.c). */
void	px_http_close(struct px_sess *, const char *why);

/* Closes a status session (status.c). */
void	px_status_close(struct px_sess *, const char *why);

/* ---- accepting (accept.c) ---- */

/*
 * A connection was accepted on wl: checks the ACL, reads a PROXY header
 * when the listener takes one from this source, applies the per-source
 * limits and starts the listener's session (owns fd from now on).
 */
void	px_accept(struct px_wlisten *wl, int fd, const struct sockaddr *,
	    socklen_t);

/*
 * The first bytes read from a client not trusted for PROXY headers: true
 * (counted and logged) if they start one on an accept_proxy listener, and
 * the caller then closes the session.
 */
bool	px_accept_sniff(struct px_sess *, const void *buf, size_t len);

/* Closes what a connection holds (fd, limit slot) when no session took it. */
void	px_conn_close(struct px_conn *);

/* Closes a session still reading its PROXY header. */
void	px_ppw_close(struct px_sess *, const char *why);

/*
 * The PROXY header towards the backend for this session, if its backend
 * sends one (fd: the client socket): its length in buf (PX_PP_OUT_MAX),
 * 0 when none is due.
 */
size_t	px_sess_pp(struct px_sess *, int fd, uint8_t *buf);

/* ---- the PROXY protocol (proxyproto.c) ---- */

#define PX_PP_V1_MAX	107	/* a version 1 line with its CRLF */
#define PX_PP_MAX	1024	/* the longest version 2 header taken */
#define PX_PP_OUT_MAX	108	/* what px_pp_build writes at most */

/* A parsed header. */
struct px_pp {
	int			 version;	/* 1 or 2 */
	bool			 local;		/* LOCAL, UNKNOWN, not TCP:
						   keep the socket's own */
	struct sockaddr_storage	 src;		/* unless local */
	struct sockaddr_storage	 dst;
	const char		*err;		/* why, after an error */
};

/*
 * Parses a header at the start of buf: >0 its length (pp filled), 0 when
 * more bytes are needed (every byte so far belongs to the header), <0 when
 * it is not a valid header (pp->err says why).
 */
int	px_pp_parse(struct px_pp *pp, const uint8_t *buf, size_t len);

/* True if buf could be the start of a PROXY header (either version). */
bool	px_pp_sniff(const uint8_t *buf, size_t len);

/*
 * Writes the header of a connection from src to dst (either NULL or of
 * another family: UNKNOWN) into buf.  IPv4 and IPv4-mapped addresses go
 * as IPv4.  Returns its length, -1 if buflen is too small.
 */
int	px_pp_build(enum conf_send_proxy, const struct sockaddr *src,
	    const struct sockaddr *dst, uint8_t *buf, size_t buflen);

/* ---- ACLs, per-source limits, refusals (acl.c) ---- */

/* True if addr is in one of n prefixes (IPv4-mapped matches IPv4). */
bool	px_cidr_any(const struct conf_cidr *, size_t n,
	    const struct sockaddr *addr);

/* True if the listener's allow and deny lists let addr in. */
bool	px_acl_pass(const struct conf_listener *, const struct sockaddr *);

/* A source as limits count it: an IPv4 address or an IPv6 prefix. */
struct px_src {
	uint8_t	b[17];		/* 4 or 6, then the masked address */
};

/* The source of addr with IPv6 cut to plen bits. */
void	px_src_key(const struct sockaddr *addr, int plen, struct px_src *);

/* A per-listener table of sources (thread-safe, bounded). */
struct px_limtab *px_limtab_new(void);

/* Takes a reference (thread-safe); returns its argument. */
struct px_limtab *px_limtab_ref(struct px_limtab *);

/* Drops a reference; frees the table at zero.  NULL is ignored. */
void	px_limtab_unref(struct px_limtab *);

/* How many sources the table holds, at most (its size cap). */
#define PX_LIM_SOURCES_MAX	65536

/*
 * Counts a connection of src against max (0: no limit).  0: counted, *out
 * is the slot to release; -1: src has max already; -2: the table is full
 * of sources with open connections.
 */
int	px_lim_conn(struct px_limtab *, const struct px_src *, int max,
	    struct px_lim **out);

/* Releases a slot of px_lim_conn.  NULL is ignored. */
void	px_lim_release(struct px_limtab *, struct px_lim *);

/*
 * Counts one event (an http request, a tcp connection) of a slot against
 * count per period_ms.  0 when allowed, else the ms until one would be.
 */
uint64_t px_lim_rate(struct px_limtab *, struct px_lim *, uint64_t count,
	    uint64_t period_ms);

/* A refusal log limiter for one worker; NULL if out of memory. */
struct px_rlog	*px_rlog_new(void);

/*
 * Logs a refusal of a connection or request from addr at info, at most
 * one line per source per second and a few lines per second in all; what
 * is held back is counted and said on the next line that goes out.
 */
void	px_refuse_log(struct px_worker *, const struct sockaddr *addr,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- backend connections of http sessions and their pool (pool.c) ---- */

/*
 * One backend connection: its socket and its read and write events, which
 * call on_read/on_write with owner while a session holds it.  The events
 * stay registered while the connection moves between sessions and the
 * worker's idle list.
 */
struct ssl_st;

struct px_bconn {
	TAILQ_ENTRY(px_bconn)	 entry;		/* wk->idle, while parked */
	struct px_worker	*wk;		/* borrowed */
	struct px_gen		*gen;		/* counted ref while parked */
	struct px_server	*sv;		/* borrowed from the holder's
						   gen */
	const struct conf_sockaddr *addr;	/* &sv->addr */
	int			 fd;		/* owned */
	struct ssl_st		*ssl;		/* owned; NULL = plain TCP;
						   parks and resumes with it */
	void			*owner;		/* the session; NULL parked */
	event_callback_fn	 on_read;
	event_callback_fn	 on_write;
	struct event		*rev;		/* in this allocation */
	struct event		*wev;		/* in this allocation */
};

/*
 * Wraps a connected (or connecting) socket to server sv held by owner; the
 * events are set up, not added.  NULL when out of memory (fd stays the
 * caller's).
 */
struct px_bconn *px_bconn_new(struct px_worker *, int fd,
	    struct px_server *sv, event_callback_fn on_read,
	    event_callback_fn on_write, void *owner);

/* Closes a connection its holder will not park.  NULL is ignored. */
void	px_bconn_close(struct px_bconn *);

/*
 * Parks a connection that finished a response and may take another
 * request (the pool owns it from now on).  It is closed when the backend
 * closes it or sends anything, after the backend's pool idle_timeout, or
 * when the server already has pool max_idle parked in this worker.
 */
void	px_pool_put(struct px_worker *, struct px_gen *,
	    const struct conf_backend *, struct px_bconn *);

/*
 * A parked connection to server sv, now held by owner; or NULL.  Closes
 * the ones it passes whose server is draining or down.
 */
struct px_bconn *px_pool_get(struct px_worker *, const struct px_server *sv,
	    void *owner);

/* Closes the parked connections whose server is draining or down. */
void	px_pool_sweep(struct px_worker *);

/* Closes every parked connection of the worker. */
void	px_pool_flush(struct px_worker *);

/* ---- access logs (alog.c) ---- */

struct alog_out;
struct alog_fmt;
struct alog_rec;

/* The default format of mode tcp listeners (README: access logs). */
#define PX_TCP_LOG_FORMAT \
	"%h %{remote}p %^xl %^xb %t %I %O %{ms}T %^xe"

/* Every access-log output of the process, by path or syslog target. */
struct px_alogreg {
	struct alog_out	**out;		/* owned */
	size_t		  n;
};

/* What one listener of a generation logs to, and how. */
struct px_alog {
	struct alog_out	*out;		/* borrowed from the registry; NULL =
					   no access log */
	struct alog_fmt	*fmt;		/* owned; NULL = json */
	int		 anon_v6;	/* client prefix bits kept */
	int		 anon_v4;
	bool		 need_local;	/* the format shows %A or %p */
};

/*
 * Compiles every listener's access-log format; -1 with the first error in
 * err as "file:line:col: listeners[0].access_log.format: col N: why".
 */
int	px_alog_check(const struct config *, char *err, size_t errlen);

/* Fills g->alogs, opening outputs new to reg; -1 + err. */
int	px_alog_gen_open(struct px_gen *g, struct px_alogreg *reg, int nslot,
	    char *err, size_t errlen);

/* Frees g->alogs (from px_gen_unref). */
void	px_alog_gen_free(struct px_gen *g);

/*
 * True if the session's listener writes an access log, so the session
 * keeps what its line needs (copies of heads) only then.
 */
bool	px_alog_wanted(const struct px_sess *);

/*
 * Writes the session's access-log line, if its listener has one.  The
 * caller fills what only it knows (times, bytes, backend server, end);
 * this adds the client (masked as configured), listener and backend.
 * Uses the worker's scratch buffer.
 */
void	px_alog_emit(struct px_sess *, const struct alog_rec *);

/* SIGUSR1: every output reopens. */
void	px_alog_reopen(struct px_alogreg *);

/* Logs what the outputs have to say (drops, recovery); once a second. */
void	px_alog_report(struct px_alogreg *);

/* Flushes and closes every output (after the workers stopped). */
void	px_alog_close_all(struct px_alogreg *);

/* ---- the tunnel (tun.c) ---- */

struct tun;

/*
 * Brings up and starts the tunnel of the config, logging it; its events
 * go to the log from now on.  NULL after logging why at crit.
 */
struct tun	*px_tun_open(const struct conf_tunnel *);

/* Logs every tunnel counter on one line (SIGUSR2); t may be NULL. */
void	px_tun_report(const struct tun *);

/* ---- TLS (tls.c) ---- */

struct alog_str;

/*
 * Builds g->tls: every listener certificate and backend client context of
 * g->cfg (logs a warning for each backend with verify: false).  -1 + err
 * naming the listener or backend and the file.
 */
int	px_tls_gen_open(struct px_gen *g, char *err, size_t errlen);

/* Frees g->tls (from px_gen_unref); connections keep their contexts. */
void	px_tls_gen_free(struct px_gen *g);

/* Loads every certificate and CA file of cfg and frees them (-t). */
int	px_tls_check(const struct config *, char *err, size_t errlen);

/* A server-side SSL on an accepted socket of a TLS listener; NULL. */
struct ssl_st *px_tls_accept(const struct px_gen *,
		    const struct conf_listener *, int fd);

/*
 * A client-side SSL to a backend server with tls, sending host as SNI and
 * checking the certificate against it (as an address for an IP literal).
 * NULL when out of memory.
 */
struct ssl_st *px_tls_connect(const struct px_gen *,
		    const struct conf_backend *, const char *host, int fd);

/* The name a backend's server at addr is known by: sni, else its host. */
const char *px_tls_host(const struct conf_backend *,
		    const struct conf_sockaddr *addr);

/* Fills the access log's protocol, cipher and SNI of a finished handshake. */
void	px_tls_info(struct ssl_st *, struct alog_str *proto,
	    struct alog_str *cipher, struct alog_str *sni);

/* True when there is no SSL or its handshake is complete. */
bool	px_tls_done(struct ssl_st *);

/* True when OpenSSL holds read bytes the socket will not signal again. */
bool	px_tls_pending(struct ssl_st *);

/* SSL_free; NULL is ignored. */
void	px_tls_free_ssl(struct ssl_st *);

/*
 * Drives a client handshake (health checks): 0 done; -1 with errno EAGAIN
 * (wait for the socket to be readable if *rd, else writable), EPROTO (see
 * px_io_why) or the socket's error.
 */
int	px_tls_handshake(struct ssl_st *, bool *rd);

#define PX_IO_RWANTW	0x1	/* a read waits for the socket to be writable */
#define PX_IO_WWANTR	0x2	/* a write waits for it to be readable */

/*
 * recv(2) and send(2) with ssl NULL; else SSL_read_ex/SSL_write_ex.  Both
 * return bytes moved, 0 at the end of the stream (recv), or -1 with errno:
 * EAGAIN (wait for the socket; blk has PX_IO_* set when the wait is for
 * the other direction), EPROTO (a TLS failure, explained by px_io_why) or
 * the socket's error.
 */
ssize_t	px_io_recv(int fd, struct ssl_st *ssl, uint8_t *blk, void *buf,
	    size_t len);
ssize_t	px_io_send(int fd, struct ssl_st *ssl, uint8_t *blk,
	    const void *buf, size_t len);

/* Sends close_notify (TLS, best effort) then shutdown(SHUT_WR). */
int	px_io_shut(int fd, struct ssl_st *ssl);

/*
 * The reason for errno e after px_io_recv/px_io_send failed, into buf; for
 * EPROTO the TLS reason (verify result or OpenSSL's).  Call it before any
 * other TLS call of the thread.  Returns buf.
 */
const char *px_io_why(struct ssl_st *ssl, int e, char *buf, size_t len);

/* ---- counters and the stats responder (stats.c) ---- */

/*
 * Counters of one listener, backend or server, kept across reloads by
 * name.  Each worker writes only its own slot (a cache line or more of
 * its own) with relaxed atomic loads and stores, no locked instruction;
 * readers on any thread sum the slots.
 */
enum px_st_kind {
	PX_ST_LISTENER = 0,
	PX_ST_BACKEND,
	PX_ST_SERVER,
};

/* Response classes: [0] 1xx ... [4] 5xx. */
#define PX_ST_CLASSES	5

/* Listener counters. */
enum {
	PX_SL_CONNS = 0,	/* connections accepted */
	PX_SL_OPEN,		/* +1 at session start, -1 at its end */
	PX_SL_REQS,		/* http requests (access-log lines) */
	PX_SL_RESP,		/* + class: responses sent, by class */
	PX_SL_IN = PX_SL_RESP + PX_ST_CLASSES,	/* bytes from clients */
	PX_SL_OUT,		/* bytes to clients */
	PX_SL_ACL,		/* refused: allow/deny */
	PX_SL_CONNLIM,		/* refused: conn_per_source, table full */
	PX_SL_RATE,		/* refused: request_rate */
	PX_SL_PROXY,		/* refused: PROXY header refused or missing */
	PX_SL_TLSFAIL,		/* client TLS handshakes failed */
	PX_SL_ERRORS,		/* error answers of v6front's own (http) */
	PX_SL_N
};

/* Backend counters. */
enum {
	PX_SB_REQS = 0,		/* requests (http) or connections (tcp) */
	PX_SB_RESP,		/* + class: responses to those requests */
	PX_SB_CONNFAIL = PX_SB_RESP + PX_ST_CLASSES,	/* connects failed */
	PX_SB_CONNTMO,		/* ... of which timed out */
	PX_SB_RETRIES,		/* attempts again on another connection */
	PX_SB_N
};

/* Server counters. */
enum {
	PX_SS_CONNS = 0,	/* connections opened to it */
	PX_SS_REQS,		/* requests (http) or sessions (tcp) sent */
	PX_SS_CONNFAIL,		/* connects to it failed */
	PX_SS_RETRIES,		/* ... and were tried again elsewhere */
	PX_SS_IN,		/* bytes read from it */
	PX_SS_OUT,		/* bytes sent to it */
	PX_SS_N
};

#define PX_ST_STRIDE	16	/* counters per slot: two cache lines */
_Static_assert(PX_SL_N <= PX_ST_STRIDE && PX_SB_N <= PX_ST_STRIDE &&
    PX_SS_N <= PX_ST_STRIDE, "a kind of counters outgrew its slot");

struct px_st {
	struct px_st	*next;		/* in the registry */
	enum px_st_kind	 kind;
	char		 name[CONF_NAME_MAX];	/* listener or backend */
	char		 addr[CONF_ADDRSTRLEN];	/* server: "1.2.3.4:80" */
	unsigned	 refs;		/* under the registry's lock */
	int64_t		 changed;	/* atomic: unix seconds of the last
					   up/down change (servers) */
	uint64_t	*c;		/* owned, 64-byte aligned: slot w
					   is c[w * PX_ST_STRIDE ...] */
};

/* Every counter block of the process, and what the process reports. */
struct tun;

struct px_streg {
	pthread_mutex_t	 mtx;		/* guards list and refs */
	struct px_st	*list;
	int		 nslot;		/* one per worker */
	int64_t		 start;		/* unix seconds at start */
	int		 nworkers;
	unsigned	 gen;		/* atomic: generation serving */
	int64_t		 loaded;	/* atomic: unix seconds it loaded */
	struct tun	*tun;		/* borrowed; set before the workers
					   start, cleared after they end */
};

/* Sets up an empty registry for nworkers workers; -1 if out of memory. */
int	px_streg_init(struct px_streg *, int nworkers);

/* Frees what is left (every generation is gone). */
void	px_streg_fini(struct px_streg *);

/*
 * The counters of a listener or backend called name, or of server addr of
 * backend name: the existing block with a new reference, else a new one.
 * Any thread; NULL if out of memory.
 */
struct px_st *px_st_get(struct px_streg *, enum px_st_kind,
		    const char *name, const char *addr);

/* Drops a reference of px_st_get; frees at zero.  NULL is ignored. */
void	px_st_put(struct px_streg *, struct px_st *);

/* Adds n to counter i of slot w (the caller's own slot only). */
static inline void
px_st_add(struct px_st *st, int w, unsigned i, uint64_t n)
{
	uint64_t *p = &st->c[(size_t)w * PX_ST_STRIDE + i];

	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

/* Counter i summed over the nslot slots; any thread. */
uint64_t px_st_sum(const struct px_st *, int nslot, unsigned i);

/* The listener counters of ln in gen g. */
struct px_st *px_gen_lst(const struct px_gen *g,
		    const struct conf_listener *ln);

/* A growing text buffer; oom is set (and the text cut) on a failure. */
struct px_stbuf {
	char	*p;		/* owned */
	size_t	 len;
	size_t	 cap;
	bool	 oom;
};

/* Appends formatted text. */
void	px_stbuf_printf(struct px_stbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Writes every counter of g's listeners, backends and servers, the
 * process and the tunnel: Prometheus text format 0.0.4 when prom, else
 * JSON.  Any thread holding a reference to g.
 */
void	px_stats_render(struct px_stbuf *, const struct px_gen *g, bool prom);

/* ---- misc (util.c) ---- */

/* Milliseconds on the monotonic clock. */
uint64_t px_now_ms(void);

/* Microseconds on the monotonic clock. */
uint64_t px_now_us(void);

/* Converts milliseconds to a struct timeval. */
struct timeval px_ms_tv(uint64_t ms);

/* Sets TCP_NODELAY on a new outgoing TCP socket (accepted ones inherit it). */
int	px_sock_tune(int fd);

#endif
