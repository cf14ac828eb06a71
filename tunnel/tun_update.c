/*
 * Broker endpoint update (tunnel.update): an HTTPS GET with basic auth
 * that tells the tunnel broker our current public IPv4, the dyndns-style
 * "nic/update" protocol tunnel brokers speak.  It runs on its own thread,
 * at start and every interval, sooner after a failure; the outcome of each
 * try reaches the owner as a TUN_EV_UPDATE event.  Like the rest of the
 * tunnel it never prints.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tunnel/tun_int.h"

#define TUN_UPD_CONNECT_MS	10000	/* connect, per address */
#define TUN_UPD_IO_MS		10000	/* handshake, request and answer */
#define TUN_UPD_PASS_MAX	256	/* longest password read */

static const char *const tun_upd_names[] = {
	[TUN_UPD_GOOD] = "good",
	[TUN_UPD_NOCHG] = "nochg",
	[TUN_UPD_BADAUTH] = "badauth",
	[TUN_UPD_NOHOST] = "nohost",
	[TUN_UPD_ABUSE] = "abuse",
	[TUN_UPD_BROKER] = "error",
	[TUN_UPD_OTHER] = "other",
	[TUN_UPD_HTTP] = "http",
	[TUN_UPD_MALFORMED] = "malformed",
	[TUN_UPD_FAIL] = "fail",
};

const char *
tun_upd_result_name(int r)
{
	if (r < TUN_UPD_GOOD || r > TUN_UPD_FAIL)
		return ("unknown");
	return (tun_upd_names[r]);
}

static int
tun_upd_bad(struct tun_upd_resp *out, const char *why)
{
	out->result = TUN_UPD_MALFORMED;
	(void)snprintf(out->text, sizeof(out->text), "%s", why);
	return (-1);
}

/* True if the body's first word is w (followed by nothing or a space). */
static bool
tun_upd_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	return (strncmp(text, w, n) == 0 &&
	    (text[n] == '\0' || text[n] == ' '));
}

int
tun_update_parse(const char *resp, size_t len, struct tun_upd_resp *out)
{
	const char *p, *end = resp + len, *body;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (len > TUN_UPD_RESP_MAX)
		return (tun_upd_bad(out, "answer longer than 16384 bytes"));
	if (len < 12 || memcmp(resp, "HTTP/1.", 7) != 0 ||
	    resp[7] < '0' || resp[7] > '9' || resp[8] != ' ')
		return (tun_upd_bad(out, "not an HTTP/1 response"));
	for (i = 9; i < 12; i++)
		if (resp[i] < '0' || resp[i] > '9')
			return (tun_upd_bad(out, "bad HTTP status"));
	if (len > 12 && resp[12] != ' ' && resp[12] != '\r' &&
	    resp[12] != '\n')
		return (tun_upd_bad(out, "bad HTTP status"));
	out->status = (resp[9] - '0') * 100 + (resp[10] - '0') * 10 +
	    (resp[11] - '0');
	/* Bare LF line ends are wrong but harmless to accept here. */
	body = NULL;
	for (p = resp; p + 1 < end; p++) {
		if (p[0] == '\n' && p[1] == '\n') {
			body = p + 2;
			break;
		}
		if (p + 3 < end && memcmp(p, "\r\n\r\n", 4) == 0) {
			body = p + 4;
			break;
		}
	}
	if (body == NULL) {
		out->status = 0;
		return (tun_upd_bad(out, "no end of the HTTP header"));
	}
	while (body < end && (*body == ' ' || *body == '\t' || *body == '\r' ||
	    *body == '\n'))
		body++;
	/* The text lands in a log line: only printable ASCII goes there. */
	for (n = 0; body < end && *body != '\r' && *body != '\n' &&
	    n + 1 < sizeof(out->text); body++)
		out->text[n++] = (*body >= 0x20 && *body < 0x7f) ? *body : '?';
	while (n > 0 && out->text[n - 1] == ' ')
		n--;
	out->text[n] = '\0';
	if (tun_upd_word(out->text, "good"))
		out->result = TUN_UPD_GOOD;
	else if (tun_upd_word(out->text, "nochg"))
		out->result = TUN_UPD_NOCHG;
	else if (tun_upd_word(out->text, "badauth"))
		out->result = TUN_UPD_BADAUTH;
	else if (tun_upd_word(out->text, "nohost"))
		out->result = TUN_UPD_NOHOST;
	else if (tun_upd_word(out->text, "abuse"))
		out->result = TUN_UPD_ABUSE;
	else if (strncmp(out->text, "-ERROR", 6) == 0)
		out->result = TUN_UPD_BROKER;
	else if (out->status == 401 || out->status == 403)
		out->result = TUN_UPD_BADAUTH;
	else if (out->status == 200)
		out->result = TUN_UPD_OTHER;
	else
		out->result = TUN_UPD_HTTP;
	/* A known word under an error status is still an error. */
	if (out->status != 200 && (out->result == TUN_UPD_GOOD ||
	    out->result == TUN_UPD_NOCHG))
		out->result = TUN_UPD_HTTP;
	return (0);
}

/* ---- the updater thread ---- */

struct tun_update {
	char		 ifname[IFNAMSIZ];
	char		 host[256];	/* to resolve, verify and send as SNI */
	char		 port[8];
	bool		 host_ip;	/* host is an IPv4/IPv6 literal */
	char		*req;		/* the whole request; holds the
					   credentials: cleansed at free */
	size_t		 reqlen;
	SSL_CTX		*ctx;
	uint64_t	 interval_ms;
	uint64_t	 retry_ms;
	int		 wake_fd;	/* eventfd: stop */
	int		 stop;		/* atomic */
	pthread_t	 thr;
	bool		 started;
	tun_event_fn	*ev_fn;
	void		*ev_arg;
};

static int
tun_upd_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tun_upd_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/*
 * The password is a secret the daemon starts with: refuse a file others
 * may read, as ssh does with keys, before the password is ever used.
 */
static int
tun_upd_password(const char *path, char *pw, size_t pwlen, char *err,
    size_t errlen)
{
	struct stat sb;
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return (tun_upd_err(err, errlen, "password_file %s: %s", path,
		    strerror(errno)));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return (tun_upd_err(err, errlen, "password_file %s: not a "
		    "regular file", path));
	}
	if (sb.st_mode & 077) {
		close(fd);
		return (tun_upd_err(err, errlen, "password_file %s: readable "
		    "by group or others (mode %04o); chmod 600 it", path,
		    (unsigned)(sb.st_mode & 07777)));
	}
	n = read(fd, pw, pwlen - 1);
	close(fd);
	if (n < 0)
		return (tun_upd_err(err, errlen, "password_file %s: %s", path,
		    strerror(errno)));
	pw[n] = '\0';
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';
	if (len == 0)
		return (tun_upd_err(err, errlen, "password_file %s: the first "
		    "line is empty", path));
	if (len == pwlen - 1)
		return (tun_upd_err(err, errlen, "password_file %s: the "
		    "password is longer than %zu bytes", path, pwlen - 2));
	return (0);
}

/* The request, with basic auth built from user and pw. */
static int
tun_upd_build(struct tun_update *u, const struct conf_tunnel_update *cu,
    const char *pw, char *err, size_t errlen)
{
	char creds[TUN_UPD_PASS_MAX + 256], b64[((sizeof(creds) + 2) / 3) * 4
	    + 1], myip[INET_ADDRSTRLEN + 8], hosthdr[300];
	int clen, rlen;
	size_t cap;

	clen = snprintf(creds, sizeof(creds), "%s:%s", cu->username, pw);
	if (clen < 0 || (size_t)clen >= sizeof(creds)) {
		OPENSSL_cleanse(creds, sizeof(creds));
		return (tun_upd_err(err, errlen, "username too long"));
	}
	(void)EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)creds,
	    clen);
	OPENSSL_cleanse(creds, sizeof(creds));
	myip[0] = '\0';
	if (cu->has_myip) {
		char a[INET_ADDRSTRLEN];

		(void)inet_ntop(AF_INET, &cu->myip, a, sizeof(a));
		(void)snprintf(myip, sizeof(myip), "%cmyip=%s",
		    strchr(cu->target, '?') != NULL ? '&' : '?', a);
	}
	(void)snprintf(hosthdr, sizeof(hosthdr), "%s%s%s", strchr(cu->host,
	    ':') != NULL ? "[" : "", cu->host, strchr(cu->host, ':') != NULL ?
	    "]" : "");
	if (cu->port != 443)
		(void)snprintf(hosthdr + strlen(hosthdr), sizeof(hosthdr) -
		    strlen(hosthdr), ":%u", cu->port);
	/*
	 * HTTP/1.0: the answer then ends where the connection does, never
	 * chunked, which keeps the parser small.
	 */
	cap = strlen(cu->target) + strlen(myip) + strlen(hosthdr) +
	    strlen(b64) + 200;
	if ((u->req = malloc(cap)) == NULL) {
		OPENSSL_cleanse(b64, sizeof(b64));
		return (tun_upd_err(err, errlen, "out of memory"));
	}
	rlen = snprintf(u->req, cap, "GET %s%s HTTP/1.0\r\nHost: %s\r\n"
	    "Authorization: Basic %s\r\nUser-Agent: v6front/%s\r\n"
	    "Connection: close\r\n\r\n", cu->target, myip, hosthdr, b64,
	    V6F_VERSION);
	OPENSSL_cleanse(b64, sizeof(b64));
	u->reqlen = rlen > 0 ? (size_t)rlen : 0;
	return (0);
}

static int
tun_upd_ctx(struct tun_update *u, const struct conf_tunnel_update *cu,
    char *err, size_t errlen)
{
	unsigned long e;
	char es[256];

	if ((u->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return (tun_upd_err(err, errlen, "TLS context: out of memory"));
	(void)SSL_CTX_set_min_proto_version(u->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(u->ctx, SSL_VERIFY_PEER, NULL);
	if (cu->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(u->ctx, cu->ca_file, NULL) !=
		    1) {
			e = ERR_get_error();
			ERR_error_string_n(e, es, sizeof(es));
			ERR_clear_error();
			return (tun_upd_err(err, errlen, "ca_file %s: %s",
			    cu->ca_file, es));
		}
	} else if (SSL_CTX_set_default_verify_paths(u->ctx) != 1) {
		ERR_clear_error();
		return (tun_upd_err(err, errlen, "no system CA store; set "
		    "ca_file"));
	}
	return (0);
}

int
tun_update_new(struct tun_update **up, const struct conf_tunnel_update *cu,
    const char *ifname, char *err, size_t errlen)
{
	struct tun_update *u;
	char pw[TUN_UPD_PASS_MAX + 2];
	struct in6_addr a6;
	int r;

	*up = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (tun_upd_err(err, errlen, "out of memory"));
	u->wake_fd = -1;
	(void)snprintf(u->ifname, sizeof(u->ifname), "%s", ifname);
	(void)snprintf(u->host, sizeof(u->host), "%s", cu->host);
	(void)snprintf(u->port, sizeof(u->port), "%u", cu->port);
	u->host_ip = inet_pton(AF_INET6, cu->host, &a6) == 1 ||
	    inet_pton(AF_INET, cu->host, &a6) == 1;
	u->interval_ms = cu->interval;
	u->retry_ms = cu->retry;
	r = tun_upd_password(cu->password_file, pw, sizeof(pw), err, errlen);
	if (r == 0)
		r = tun_upd_build(u, cu, pw, err, errlen);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (r == -1 || tun_upd_ctx(u, cu, err, errlen) == -1)
		goto fail;
	if ((u->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		tun_upd_err(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	*up = u;
	return (0);
 fail:
	tun_update_free(u);
	return (-1);
}

/*
 * Waits for fd to be ready for ev (fd -1: just the time) until deadline.
 * Returns 1 ready, 0 at the deadline, -1 when asked to stop.
 */
static int
tun_upd_poll(struct tun_update *u, int fd, short ev, uint64_t deadline)
{
	struct pollfd pfd[2];
	uint64_t now;
	int n, ms;

	for (;;) {
		if (__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE))
			return (-1);
		if ((now = tun_now_ns()) >= deadline)
			return (0);
		ms = (int)((deadline - now + 999999) / 1000000);
		pfd[0].fd = u->wake_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = ev;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, fd == -1 ? 1 : 2, ms);
		if (n == -1 && errno != EINTR)
			return (-1);
		if (pfd[0].revents != 0)
			return (-1);
		if (fd != -1 && pfd[1].revents != 0)
			return (1);
	}
}

/*
 * IPv4 only: the broker learns our public address from where the request
 * comes from when myip is not set, so it must not go out over IPv6.
 */
static int
tun_upd_connect(struct tun_update *u, char *msg, size_t msglen)
{
	struct addrinfo hints, *res, *ai;
	char a[INET_ADDRSTRLEN];
	socklen_t sl;
	int fd = -1, r, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(u->host, u->port, &hints, &res)) != 0)
		return (tun_upd_err(msg, msglen, "resolve %s: %s", u->host,
		    gai_strerror(r)));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		r = 0;
		(void)inet_ntop(AF_INET, &((struct sockaddr_in *)
		    (void *)ai->ai_addr)->sin_addr, a, sizeof(a));
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			e = errno;
			break;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = tun_upd_poll(u, fd, POLLOUT, tun_now_ns() +
			    (uint64_t)TUN_UPD_CONNECT_MS * 1000000);
			sl = sizeof(e);
			if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
			    &sl) == 0 && e == 0)
				break;
			if (r == 0)
				e = ETIMEDOUT;
			else if (r == -1)
				e = ECANCELED;
		} else
			e = errno;
		close(fd);
		fd = -1;
		if (r == -1)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return (tun_upd_err(msg, msglen, "connect %s:%s: %s",
		    ai != NULL ? a : u->host, u->port, strerror(e)));
	return (fd);
}

/* Why the TLS call that got rc failed, into msg. */
static void
tun_upd_tls_err(SSL *ssl, int rc, const char *what, char *msg, size_t msglen)
{
	unsigned long e;
	long v;
	char es[160];

	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK) {
		(void)snprintf(msg, msglen, "TLS: certificate verify failed "
		    "(%s)", X509_verify_cert_error_string(v));
		return;
	}
	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, es, sizeof(es));
		(void)snprintf(msg, msglen, "TLS %s: %s", what, es);
	} else if (SSL_get_error(ssl, rc) == SSL_ERROR_SYSCALL && errno != 0)
		(void)snprintf(msg, msglen, "TLS %s: %s", what,
		    strerror(errno));
	else
		(void)snprintf(msg, msglen, "TLS %s: connection closed",
		    what);
}

/*
 * Drives one non-blocking TLS call to completion.  op: 0 handshake,
 * 1 write, 2 read.  Returns what the call returned, or -2 at the deadline
 * or on stop.
 */
static int
tun_upd_tls(struct tun_update *u, SSL *ssl, int fd, int op, void *buf,
    size_t len, uint64_t deadline)
{
	int rc, e, r;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if (op == 0)
			rc = SSL_connect(ssl);
		else if (op == 1)
			rc = SSL_write(ssl, buf, (int)len);
		else
			rc = SSL_read(ssl, buf, (int)len);
		if (rc > 0)
			return (rc);
		e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_WANT_READ)
			r = tun_upd_poll(u, fd, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = tun_upd_poll(u, fd, POLLOUT, deadline);
		else
			return (rc);
		if (r != 1)
			return (-2);
	}
}

/* One update: connect, TLS, request, answer.  Fills r. */
static void
tun_upd_once(struct tun_update *u, struct tun_upd_resp *r, char *buf)
{
	uint64_t deadline;
	size_t got = 0;
	SSL *ssl = NULL;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	r->result = TUN_UPD_FAIL;
	if ((fd = tun_upd_connect(u, r->text, sizeof(r->text))) == -1)
		return;
	deadline = tun_now_ns() + (uint64_t)TUN_UPD_IO_MS * 1000000;
	if ((ssl = SSL_new(u->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		(void)snprintf(r->text, sizeof(r->text), "TLS: out of memory");
		goto done;
	}
	/* RFC 6066: no SNI for an address; it is checked as an IP SAN. */
	if (u->host_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    u->host) != 1)
			goto oom;
	} else if (SSL_set_tlsext_host_name(ssl, u->host) != 1 ||
	    SSL_set1_host(ssl, u->host) != 1)
		goto oom;
	if ((rc = tun_upd_tls(u, ssl, fd, 0, NULL, 0, deadline)) != 1) {
		if (rc == -2)
			(void)snprintf(r->text, sizeof(r->text), "TLS "
			    "handshake: timeout");
		else
			tun_upd_tls_err(ssl, rc, "handshake", r->text,
			    sizeof(r->text));
		goto done;
	}
	if ((rc = tun_upd_tls(u, ssl, fd, 1, u->req, u->reqlen, deadline)) <
	    (int)u->reqlen) {
		if (rc == -2)
			(void)snprintf(r->text, sizeof(r->text), "sending the "
			    "request: timeout");
		else
			tun_upd_tls_err(ssl, rc, "write", r->text,
			    sizeof(r->text));
		goto done;
	}
	/* One byte past the cap tells an oversized answer from a full one. */
	while (got <= TUN_UPD_RESP_MAX) {
		rc = tun_upd_tls(u, ssl, fd, 2, buf + got,
		    TUN_UPD_RESP_MAX + 1 - got, deadline);
		if (rc == -2) {
			(void)snprintf(r->text, sizeof(r->text), "reading the "
			    "answer: timeout");
			goto done;
		}
		if (rc <= 0)
			break;
		got += (size_t)rc;
	}
	/*
	 * A broker that closes without close_notify still answered: the
	 * HTTP/1.0 body ends with the connection either way.
	 */
	if (got == 0) {
		tun_upd_tls_err(ssl, rc, "read", r->text, sizeof(r->text));
		goto done;
	}
	(void)tun_update_parse(buf, got, r);
	(void)SSL_shutdown(ssl);
	goto done;
 oom:
	(void)snprintf(r->text, sizeof(r->text), "TLS: out of memory");
 done:
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
}

static void *
tun_upd_main(void *arg)
{
	struct tun_update *u = arg;
	struct tun_upd_resp r;
	struct tun_event ev;
	uint64_t wait_ms, next = 0;
	unsigned fails = 0;
	char *buf;

	if ((buf = malloc(TUN_UPD_RESP_MAX + 1)) == NULL)
		return (NULL);
	while (tun_upd_poll(u, -1, 0, next) == 0) {
		tun_upd_once(u, &r, buf);
		/*
		 * Success and "abuse" wait the whole interval: hurrying an
		 * abuse block only prolongs it.  Other failures back off,
		 * doubling from retry, so a broken setup never hammers the
		 * broker.
		 */
		if (r.result == TUN_UPD_GOOD || r.result == TUN_UPD_NOCHG ||
		    r.result == TUN_UPD_ABUSE) {
			fails = 0;
			wait_ms = u->interval_ms;
		} else {
			wait_ms = u->retry_ms << (fails < 20 ? fails : 20);
			if (wait_ms > u->interval_ms)
				wait_ms = u->interval_ms;
			fails++;
		}
		if (u->ev_fn != NULL &&
		    !__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = TUN_EV_UPDATE;
			ev.ifname = u->ifname;
			ev.upd = (int)r.result;
			ev.status = r.status;
			ev.msg = r.text;
			ev.next_ms = wait_ms;
			u->ev_fn(&ev, u->ev_arg);
		}
		next = tun_now_ns() + wait_ms * 1000000;
	}
	free(buf);
	return (NULL);
}

int
tun_update_start(struct tun_update *u, tun_event_fn *fn, void *arg,
    char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	u->ev_fn = fn;
	u->ev_arg = arg;
	/* Signals belong to the daemon's main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&u->thr, NULL, tun_upd_main, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return (tun_upd_err(err, errlen, "update thread: %s",
		    strerror(rc)));
	u->started = true;
	return (0);
}

void
tun_update_free(struct tun_update *u)
{
	uint64_t one = 1;

	if (u == NULL)
		return;
	if (u->started) {
		__atomic_store_n(&u->stop, 1, __ATOMIC_RELEASE);
		while (write(u->wake_fd, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
		pthread_join(u->thr, NULL);
	}
	if (u->wake_fd != -1)
		close(u->wake_fd);
	SSL_CTX_free(u->ctx);
	if (u->req != NULL) {
		OPENSSL_cleanse(u->req, u->reqlen);
		free(u->req);
	}
	free(u);
}
