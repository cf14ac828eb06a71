/*
 * conf: the YAML configuration file -> one validated, immutable, reference-
 * counted struct config.  Uses libyaml and nothing else of ours.  Never
 * prints: every problem becomes a "file:line:col: key.path: message" string
 * in a struct conf_errs the caller supplies.
 *
 * Units everywhere: durations in milliseconds, sizes in bytes.
 */
#ifndef V6F_CONF_H
#define V6F_CONF_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_ERRS_MAX	100	/* conf_load stops collecting after this */
#define CONF_ADDRSTRLEN	64	/* "[ffff:...:ffff]:65535" + NUL, rounded up */
#define CONF_NAME_MAX	64	/* listener and backend names */

/* Every error message conf_load found, in file order.  Owned by the caller. */
struct conf_errs {
	char	**msg;		/* each "file:line:col: path: text", owned */
	size_t	  n;
};

/* Frees the messages and resets the list; safe on an empty list. */
void	conf_errs_free(struct conf_errs *);

/* Daemon log levels, most severe first (syslog order). */
enum conf_log_level {
	CONF_LOG_CRIT = 2,
	CONF_LOG_ERR = 3,
	CONF_LOG_WARNING = 4,
	CONF_LOG_NOTICE = 5,
	CONF_LOG_INFO = 6,
	CONF_LOG_DEBUG = 7,
};

/* An IPv4 or IPv6 prefix; bits past plen are zero. */
struct conf_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; 4 bytes used for v4 */
	uint8_t		plen;		/* 0-32 or 0-128 */
};

/* A socket address we bind, with its canonical text form. */
struct conf_sockaddr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			text[CONF_ADDRSTRLEN];	/* "[2001:db8::1]:80" */
};

enum conf_mode {
	CONF_MODE_TCP = 0,
	CONF_MODE_HTTP,
};

enum conf_builtin {
	CONF_BUILTIN_NONE = 0,
	CONF_BUILTIN_STATUS,		/* answers with the address it saw */
	CONF_BUILTIN_STATS,		/* counters: Prometheus text, JSON */
};

/* `send_proxy:` of a backend: the PROXY protocol header sent first. */
enum conf_send_proxy {
	CONF_PROXY_OFF = 0,
	CONF_PROXY_V1,			/* text line */
	CONF_PROXY_V2,			/* binary header */
};

/*
 * One backend server as written: an IP literal or a DNS name, and a port.
 * A name stands for every A record it resolves to, each with this weight.
 */
struct conf_server {
	char		*host;		/* no brackets; owned by the config */
	uint16_t	 port;
	bool		 literal;	/* host is an IP literal: addr is set */
	struct conf_sockaddr addr;	/* valid only when literal */
	unsigned	 weight;	/* 0-256, default 1; 0 = never picked */
};

enum conf_balance {
	CONF_BALANCE_RR = 0,		/* round_robin (weighted) */
	CONF_BALANCE_LEASTCONN,		/* least_conn: fewest in flight/weight */
	CONF_BALANCE_SOURCE,		/* source: client prefix, HRW hashing */
};

/*
 * `health:` of a backend.  Present = active checks (a TCP connect, or an
 * HTTP GET of path expecting 2xx/3xx) every `every`; max_fails > 0 adds
 * passive checks: that many connect failures in a row from real traffic
 * mark a server down until active checks succeed rise times.
 */
struct conf_health {
	bool		 on;		/* the section is present */
	uint64_t	 every;		/* ms between checks; default 5s */
	uint64_t	 timeout;	/* ms per check; default 2s */
	int		 rise;		/* successes to come up; default 2 */
	int		 fall;		/* failures to go down; default 3 */
	char		*path;		/* HTTP check target; NULL = TCP */
	int		 max_fails;	/* passive; 0 = off (default) */
};

/*
 * `tls:` of a backend: connections to its servers speak TLS.  The server
 * name sent (SNI) and checked against the certificate is sni, or else the
 * host of each server as written (an IP literal is checked as an address
 * and sends no SNI).
 */
struct conf_tls_client {
	bool		 verify;	/* default true */
	char		*ca_file;	/* NULL: the system CA store */
	char		*sni;		/* NULL: each server's host */
};

/* One certificate of a TLS listener: a PEM chain (leaf first) and its key. */
struct conf_tls_cert {
	char		*cert;		/* file paths as written */
	char		*key;
};

/*
 * `tls:` of a listener: TLS is terminated here.  The certificate whose
 * names match the client's SNI is served, certs[0] when none does.
 */
struct conf_tls_server {
	struct conf_tls_cert *certs;	/* ncerts >= 1 */
	size_t		 ncerts;
};

struct conf_backend {
	char		*name;
	enum conf_builtin builtin;	/* NONE: forward to servers */
	struct conf_server *servers;	/* nservers >= 1 unless builtin */
	size_t		 nservers;
	uint64_t	 connect_timeout;	/* ms, default 5s */
	uint64_t	 response_timeout;	/* ms, http: request sent to first
						   response byte; default 30s */
	int		 pool_max_idle;	/* http: idle connections kept per
					   server per worker; default 8 */
	uint64_t	 pool_idle_timeout;	/* ms; default 30s */
	uint64_t	 resolve_every;	/* ms between DNS lookups of names;
					   default 30s (a shorter TTL wins) */
	enum conf_balance balance;	/* default round_robin */
	int		 source_prefix;	/* IPv6 bits hashed by source; 64 */
	int		 retries;	/* more servers tried after a failed
					   connect; default 2 */
	struct conf_health health;
	enum conf_send_proxy send_proxy;	/* default off */
	struct conf_tls_client *tls;	/* owned; NULL = plain TCP */
};

/*
 * `access_log:` of a listener, or the top-level default.  Either a file
 * (path) or a syslog target; format is as written (a named format, "json",
 * or a LogFormat string), or NULL for the mode's default.  conf does not
 * compile formats: proxy does, and reports errors after format_where.
 */
struct conf_alog {
	char		*path;		/* NULL with syslog */
	char		*syslog;	/* target text as written, or NULL */
	struct sockaddr_storage syslog_ss;	/* AF_UNIX or UDP address */
	socklen_t	 syslog_len;
	char		*format;	/* NULL = the mode's default */
	char		*format_where;	/* "file:line:col: key.path" of format */
	int		 anon_v6;	/* prefix bits kept; 128 = all */
	int		 anon_v4;	/* prefix bits kept; 32 = all */
};

struct conf_listener {
	char		*name;
	struct conf_sockaddr *bind;	/* nbind >= 1 */
	size_t		 nbind;
	enum conf_mode	 mode;
	const struct conf_backend *backend;	/* into config.backends */
	bool		 v6only;	/* IPV6_V6ONLY on [::]-style binds; default true */
	bool		 freebind;	/* IP_FREEBIND; default false */
	int		 backlog;	/* listen(2) backlog; default 511 */
	uint64_t	 buffer;	/* bytes buffered per direction; default 64k */
	uint64_t	 client_idle;	/* ms; tcp: no byte either way; default 10m;
					   http: keep-alive idle; default 60s */
	/* mode http only (the defaults are set for tcp listeners too). */
	uint64_t	 client_header;	/* ms to send a whole head; default 10s */
	uint64_t	 client_body;	/* ms without a request body byte; 60s */
	uint64_t	 header_size;	/* request head bytes; default 64k */
	uint64_t	 header_count;	/* request header fields; default 100 */
	uint64_t	 uri_length;	/* request-target bytes; default 8k */
	uint64_t	 body_size;	/* request body bytes, 0 = any; default 0 */
	bool		 fwd_xff;	/* X-Forwarded-For; default true */
	bool		 fwd_xfp;	/* X-Forwarded-Proto; default true */
	bool		 fwd_xrip;	/* X-Real-IP; default true */
	bool		 fwd_rfc7239;	/* Forwarded; default false */
	struct conf_cidr *trust;	/* trust_forwarded_from; owned */
	size_t		 ntrust;
	bool		 accept_proxy;	/* PROXY header from trust sources */
	struct conf_cidr *allow;	/* owned; nallow == 0: everyone */
	size_t		 nallow;
	struct conf_cidr *deny;		/* owned; wins over allow */
	size_t		 ndeny;
	/* Per source: an IPv4 address, or an IPv6 /source_prefix. */
	int		 conn_per_source;	/* concurrent; 0 = no limit */
	uint64_t	 rate_count;	/* request_rate N; 0 = no limit */
	uint64_t	 rate_period;	/* ms, request_rate PERIOD */
	int		 source_prefix;	/* IPv6 bits, 1-128; default 64 */
	struct conf_alog *access_log;	/* owned; NULL = no access log */
	struct conf_tls_server *tls;	/* owned; NULL = plain TCP */
};

enum conf_tunnel_role {
	CONF_TUN_CLIENT = 0,		/* the host behind the tunnel (default) */
	CONF_TUN_BROKER,		/* the broker's end: routes `routes` in */
};

/*
 * `tunnel.update`: how to tell the broker our current public IPv4 (an
 * HTTPS GET with basic auth, the dyndns-style "nic/update" protocol).
 * The password is not here: password_file is read when the daemon starts.
 */
struct conf_tunnel_update {
	char		*url;		/* as written */
	char		*host;		/* from url; no brackets */
	uint16_t	 port;		/* from url; default 443 */
	char		*target;	/* from url: "/nic/update?hostname=1" */
	char		*username;
	char		*password_file;
	char		*ca_file;	/* NULL: the system CA store */
	bool		 has_myip;	/* myip set: sent as &myip= */
	struct in_addr	 myip;
	uint64_t	 interval;	/* ms; default 10m, at least 1m */
	uint64_t	 retry;		/* ms, first wait after a failure,
					   doubled up to interval; default
					   30s, at least 1s */
};

/*
 * The `tunnel:` section: our end of a 6in4 tunnel (or the broker's end).
 * In both roles `routes` are the prefixes that belong to the client side.
 */
struct conf_tunnel {
	enum conf_tunnel_role role;	/* `role: client|broker` */
	char		 interface[16];	/* default "he-ipv6" */
	struct in_addr	 local;		/* IPv4 we send from */
	struct in_addr	 remote;	/* IPv4 of the other end */
	struct in6_addr	 address;	/* our tunnel address ... */
	uint8_t		 plen;		/* ... and its prefix length */
	struct in6_addr	 peer;		/* the other end's tunnel address */
	int		 mtu;		/* 1280-1480, default 1480 */
	bool		 pmtu_dynamic;	/* `pmtu: fixed|dynamic`, default
					   fixed (false) */
	int		 ttl;		/* 1-255, default 255 */
	bool		 default_route;	/* ::/0 via peer; default false */
	struct conf_cidr *routes;	/* extra IPv6 prefixes into the tunnel */
	size_t		 nroutes;
	uint64_t	 echo_interval;	/* ms between echoes to peer; 0 = off,
					   default 30s */
	struct conf_tunnel_update *update;	/* NULL when absent */
};

/*
 * True if two tunnel sections describe the same tunnel, field by field
 * (routes in order).  Two NULLs are equal; NULL and a section are not.
 */
bool	conf_tunnel_equal(const struct conf_tunnel *,
	    const struct conf_tunnel *);

/*
 * The whole configuration.  Immutable after conf_load; shared between threads
 * by reference count (conf_ref/conf_unref).  Every pointer inside is owned by
 * the config and lives as long as it does.
 */
struct config {
	char		*path;		/* the file it came from */
	int		 workers;	/* 0 = auto (one per CPU) */
	char		*user;		/* drop to this user; NULL = stay */
	enum conf_log_level log_level;	/* default info */
	uint64_t	 shutdown_timeout;	/* ms, default 30s */
	struct conf_tunnel *tunnel;	/* NULL when absent */
	struct conf_alog *access_log;	/* default for listeners; may be NULL */
	struct conf_listener *listeners;
	size_t		 nlisteners;
	struct conf_backend *backends;
	size_t		 nbackends;
	struct conf_sockaddr *resolvers;	/* DNS servers; NULL = the
						   system's resolv.conf */
	size_t		 nresolvers;
	unsigned	 refs;		/* private: use conf_ref/conf_unref */
};

/*
 * Loads and validates a file.  Returns a config holding one reference, or
 * NULL after adding every error found to errs (if errs is not NULL).
 */
struct config	*conf_load(const char *path, struct conf_errs *errs);

/* Same as conf_load for a buffer; name is used in messages. */
struct config	*conf_load_mem(const char *name, const void *buf, size_t len,
		    struct conf_errs *errs);

/* Takes one more reference (thread-safe); returns its argument. */
const struct config *conf_ref(const struct config *);

/* Drops one reference; frees everything at zero.  NULL is ignored. */
void	conf_unref(const struct config *);

/* Finds a backend by name; NULL if there is none. */
const struct conf_backend *conf_backend_find(const struct config *,
		    const char *name);

/*
 * The value parsers conf_load uses, public for tests and other modules.  Each
 * takes a NUL-terminated string, returns 0 and sets *out, or returns -1 and
 * writes what was expected into err (errlen bytes, NUL-terminated).
 */

/* Unsigned decimal, digits only, no sign or space, value <= max. */
int	conf_parse_uint(const char *s, uint64_t max, uint64_t *out,
	    char *err, size_t errlen);

/* "250ms", "5s", "10m", "1h", "2d"; a unit is required; result in ms. */
int	conf_parse_duration(const char *s, uint64_t *ms, char *err,
	    size_t errlen);

/* "512", "64k", "10m", "1g" (powers of 1024, either case); result in bytes. */
int	conf_parse_size(const char *s, uint64_t *bytes, char *err,
	    size_t errlen);

/*
 * "[v6]:port", "v4:port" or "host:port" (port 1-65535).  host gets the host
 * without brackets (hostlen bytes).  *literal says whether it is an IP
 * literal, in which case *sa is filled (sa may be NULL).
 */
int	conf_parse_hostport(const char *s, char *host, size_t hostlen,
	    uint16_t *port, bool *literal, struct conf_sockaddr *sa,
	    char *err, size_t errlen);

/*
 * "https://host[:port][/path][?query]" as tunnel.update.url takes it:
 * host (hostlen bytes, no brackets), port (default 443) and the request
 * target ("/path?query", "/" when absent; targetlen bytes).  Refuses
 * other schemes, user:password@, spaces, controls, '#' and non-ASCII.
 */
int	conf_parse_https_url(const char *s, char *host, size_t hostlen,
	    uint16_t *port, char *target, size_t targetlen, char *err,
	    size_t errlen);

/* "2001:db8::/32" or "192.0.2.0/24"; host bits must be zero. */
int	conf_parse_cidr(const char *s, struct conf_cidr *out, char *err,
	    size_t errlen);

/* True if addr (AF_INET or AF_INET6 sockaddr) lies inside cidr. */
bool	conf_cidr_match(const struct conf_cidr *, const struct sockaddr *);

/*
 * Formats a sockaddr as "[v6]:port" or "v4:port" (port omitted when
 * with_port is false; brackets then too).  IPv6 is written in RFC 5952 form;
 * an IPv4-mapped IPv6 address is written as plain IPv4.  Returns buf.
 */
char	*conf_addr_fmt(const struct sockaddr *, bool with_port, char *buf,
	    size_t len);

#endif
