/*
 * TLS, OpenSSL 3: the contexts of a generation (one per listener
 * certificate, one per backend with `tls:`) and the I/O layer sessions read
 * and write through, so a session's own event loop drives TLS exactly as
 * it drives plain sockets.
 *
 * Contexts are built with the generation, in the main thread, and never
 * change afterwards: a SIGHUP builds new ones from the files, and
 * connections made before keep theirs (an SSL holds a reference to its
 * context).  A file that does not load fails the generation, so a reload
 * with a bad certificate leaves the old one serving.
 *
 * I/O: px_io_recv and px_io_send are recv and send when there is no SSL.
 * With one, a call that cannot go on says so with EAGAIN, and records in
 * its blk byte when it waits for the other direction (a read that must
 * write, a handshake write that must read first); the session arms events
 * from that.  The handshake needs no call of its own: the first read of an
 * accepted connection, or the first write to a backend, performs it.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log/log.h"
#include "proxy/proxy.h"

/* One certificate of a listener and the context that serves it. */
struct px_tls_cert {
	SSL_CTX		*ctx;		/* owned */
	X509		*x509;		/* borrowed from ctx: the leaf */
};

struct px_tls_srv {
	struct px_tls_cert *c;		/* owned; n >= 1 for a TLS listener */
	size_t		 n;
};

struct px_tls {
	struct px_tls_srv *srv;		/* owned; per listener */
	SSL_CTX		**cli;		/* owned; per backend, NULL = plain */
	size_t		 nsrv;
	size_t		 ncli;
};

/*
 * TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites keep
 * OpenSSL's defaults, which are all of that kind.
 */
#define PX_TLS_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20"

static const unsigned char px_tls_alpn[] = "\x08http/1.1";

/* The reason of the last OpenSSL error, or what; clears the queue. */
static const char *
px_tls_reason(const char *what)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return (r != NULL ? r : what);
}

static int
px_tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *o;

	/* RFC 7301 section 3.2: no protocol in common is a fatal alert. */
	if (SSL_select_next_proto(&o, outlen, px_tls_alpn,
	    sizeof(px_tls_alpn) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return (SSL_TLSEXT_ERR_ALERT_FATAL);
	*out = o;
	return (SSL_TLSEXT_ERR_OK);
}

/* Serves the first certificate whose names match the client's SNI. */
static int
px_tls_sni_cb(SSL *ssl, int *alert, void *arg)
{
	const struct px_tls_srv	*ts = arg;
	const char		*name;
	size_t			 i;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL)
		return (SSL_TLSEXT_ERR_OK);
	for (i = 0; i < ts->n; i++)
		if (X509_check_host(ts->c[i].x509, name, 0,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1)
			break;
	/* No match: the first certificate, the one already in place. */
	if (i > 0 && i < ts->n &&
	    SSL_set_SSL_CTX(ssl, ts->c[i].ctx) == NULL)
		return (SSL_TLSEXT_ERR_ALERT_FATAL);
	return (SSL_TLSEXT_ERR_OK);
}

/* Checks that a file can be opened, so its error names the real cause. */
static int
px_tls_readable(const char *ln, const char *what, const char *path,
    char *err, size_t errlen)
{
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "listener %s: tls %s %s: %s", ln, what,
		    path, strerror(errno));
		return (-1);
	}
	fclose(f);
	return (0);
}

/* The context of one listener certificate; -1 + err. */
static int
px_tls_cert_load(struct px_tls_cert *c, const struct conf_listener *ln,
    const struct conf_tls_cert *cc, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (px_tls_readable(ln->name, "cert", cc->cert, err, errlen) == -1 ||
	    px_tls_readable(ln->name, "key", cc->key, err, errlen) == -1)
		return (-1);
	if ((ctx = c->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "listener %s: tls: %s", ln->name,
		    px_tls_reason("out of memory"));
		return (-1);
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Idle keep-alive connections hold no OpenSSL buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_cipher_list(ctx, PX_TLS_CIPHERS) != 1) {
		snprintf(err, errlen, "listener %s: tls ciphers: %s", ln->name,
		    px_tls_reason("none usable"));
		return (-1);
	}
	/* A tcp listener relays whatever protocol: it takes no part in
	 * ALPN. */
	if (ln->mode == CONF_MODE_HTTP)
		SSL_CTX_set_alpn_select_cb(ctx, px_tls_alpn_cb, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cc->cert) != 1) {
		snprintf(err, errlen, "listener %s: tls cert %s: %s", ln->name,
		    cc->cert, px_tls_reason("no certificate"));
		return (-1);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cc->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			snprintf(err, errlen, "listener %s: tls key %s does not "
			    "match cert %s", ln->name, cc->key, cc->cert);
		} else
			snprintf(err, errlen, "listener %s: tls key %s: %s",
			    ln->name, cc->key, px_tls_reason("no private key"));
		return (-1);
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "listener %s: tls key %s does not match "
		    "cert %s", ln->name, cc->key, cc->cert);
		return (-1);
	}
	c->x509 = SSL_CTX_get0_certificate(ctx);
	return (0);
}

/* The client context of a backend with tls; -1 + err. */
static SSL_CTX *
px_tls_cli_ctx(const struct conf_backend *b, char *err, size_t errlen)
{
	const struct conf_tls_client *t = b->tls;
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "backend %s: tls: %s", b->name,
		    px_tls_reason("out of memory"));
		return (NULL);
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	if (t->ca_file != NULL) {
		FILE *f;

		if ((f = fopen(t->ca_file, "r")) == NULL) {
			snprintf(err, errlen, "backend %s: tls ca_file %s: %s",
			    b->name, t->ca_file, strerror(errno));
			SSL_CTX_free(ctx);
			return (NULL);
		}
		fclose(f);
		if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) !=
		    1) {
			snprintf(err, errlen, "backend %s: tls ca_file %s: %s",
			    b->name, t->ca_file,
			    px_tls_reason("no certificates"));
			SSL_CTX_free(ctx);
			return (NULL);
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "backend %s: tls: no system CA store; "
		    "set ca_file", b->name);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

static void
px_tls_free(struct px_tls *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsrv; i++) {
		for (j = 0; j < t->srv[i].n; j++)
			SSL_CTX_free(t->srv[i].c[j].ctx);
		free(t->srv[i].c);
	}
	for (i = 0; i < t->ncli; i++)
		SSL_CTX_free(t->cli[i]);
	free(t->srv);
	free(t->cli);
	free(t);
}

/* Every context of cfg; NULL + err (or NULL and err "" when none is). */
static struct px_tls *
px_tls_build(const struct config *cfg, bool warn, char *err, size_t errlen)
{
	struct px_tls	*t;
	size_t		 i, j;
	bool		 any = false;

	err[0] = '\0';
	for (i = 0; i < cfg->nlisteners; i++)
		any |= cfg->listeners[i].tls != NULL;
	for (i = 0; i < cfg->nbackends; i++)
		any |= cfg->backends[i].tls != NULL;
	if (!any)
		return (NULL);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (cfg->nlisteners > 0 &&
	    (t->srv = calloc(cfg->nlisteners, sizeof(*t->srv))) == NULL) ||
	    (cfg->nbackends > 0 &&
	    (t->cli = calloc(cfg->nbackends, sizeof(*t->cli))) == NULL))
		goto nomem;
	t->nsrv = cfg->nlisteners;
	t->ncli = cfg->nbackends;
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct conf_listener *ln = &cfg->listeners[i];
		struct px_tls_srv *ts = &t->srv[i];

		if (ln->tls == NULL)
			continue;
		if ((ts->c = calloc(ln->tls->ncerts, sizeof(*ts->c))) == NULL)
			goto nomem;
		ts->n = ln->tls->ncerts;
		for (j = 0; j < ts->n; j++)
			if (px_tls_cert_load(&ts->c[j], ln,
			    &ln->tls->certs[j], err, errlen) == -1)
				goto fail;
		SSL_CTX_set_tlsext_servername_callback(ts->c[0].ctx,
		    px_tls_sni_cb);
		SSL_CTX_set_tlsext_servername_arg(ts->c[0].ctx, ts);
	}
	for (i = 0; i < cfg->nbackends; i++) {
		const struct conf_backend *b = &cfg->backends[i];

		if (b->tls == NULL)
			continue;
		if ((t->cli[i] = px_tls_cli_ctx(b, err, errlen)) == NULL)
			goto fail;
		if (warn && !b->tls->verify)
			px_warnx("backend %s: tls verify: false, server "
			    "certificates are not checked", b->name);
	}
	return (t);
 nomem:
	snprintf(err, errlen, "tls: out of memory");
 fail:
	px_tls_free(t);
	return (NULL);
}

int
px_tls_gen_open(struct px_gen *g, char *err, size_t errlen)
{
	g->tls = px_tls_build(g->cfg, true, err, errlen);
	return (g->tls == NULL && err[0] != '\0' ? -1 : 0);
}

void
px_tls_gen_free(struct px_gen *g)
{
	px_tls_free(g->tls);
	g->tls = NULL;
}

int
px_tls_check(const struct config *cfg, char *err, size_t errlen)
{
	struct px_tls *t = px_tls_build(cfg, false, err, errlen);

	px_tls_free(t);
	return (t == NULL && err[0] != '\0' ? -1 : 0);
}

SSL *
px_tls_accept(const struct px_gen *g, const struct conf_listener *ln, int fd)
{
	const struct px_tls_srv	*ts;
	SSL			*ssl;

	ts = &g->tls->srv[ln - g->cfg->listeners];
	if ((ssl = SSL_new(ts->c[0].ctx)) == NULL)
		return (NULL);
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return (NULL);
	}
	SSL_set_accept_state(ssl);
	return (ssl);
}

const char *
px_tls_host(const struct conf_backend *b, const struct conf_sockaddr *addr)
{
	size_t	i;
	const char *name = NULL;

	if (b->tls->sni != NULL)
		return (b->tls->sni);
	for (i = 0; i < b->nservers; i++) {
		const struct conf_server *s = &b->servers[i];

		if (s->literal && s->addr.len == addr->len &&
		    memcmp(&s->addr.ss, &addr->ss, addr->len) == 0)
			return (s->host);
		if (!s->literal && name == NULL)
			name = s->host;
	}
	return (name != NULL ? name : b->servers[0].host);
}

SSL *
px_tls_connect(const struct px_gen *g, const struct conf_backend *b,
    const char *host, int fd)
{
	SSL		*ssl;
	struct in6_addr	 a;
	bool		 ip;

	if ((ssl = SSL_new(g->tls->cli[b - g->cfg->backends])) == NULL)
		return (NULL);
	if (SSL_set_fd(ssl, fd) != 1)
		goto fail;
	SSL_set_connect_state(ssl);
	ip = inet_pton(AF_INET, host, &a) == 1 ||
	    inet_pton(AF_INET6, host, &a) == 1;
	/* RFC 6066 section 3: no IP literal in SNI. */
	if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
		goto fail;
	if (b->tls->verify && (ip ? X509_VERIFY_PARAM_set1_ip_asc(
	    SSL_get0_param(ssl), host) != 1 : SSL_set1_host(ssl, host) != 1))
		goto fail;
	return (ssl);
 fail:
	ERR_clear_error();
	SSL_free(ssl);
	return (NULL);
}

void
px_tls_info(SSL *ssl, struct alog_str *proto, struct alog_str *cipher,
    struct alog_str *sni)
{
	const char *s;

	if (ssl == NULL || !SSL_is_init_finished(ssl))
		return;
	/* Static strings of OpenSSL, or the session's: no copies needed. */
	if ((s = SSL_get_version(ssl)) != NULL) {
		proto->p = s;
		proto->len = strlen(s);
	}
	if ((s = SSL_get_cipher_name(ssl)) != NULL) {
		cipher->p = s;
		cipher->len = strlen(s);
	}
	if ((s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) != NULL) {
		sni->p = s;
		sni->len = strlen(s);
	}
}

bool
px_tls_done(SSL *ssl)
{
	return (ssl == NULL || SSL_is_init_finished(ssl));
}

bool
px_tls_pending(SSL *ssl)
{
	/*
	 * Decrypted bytes only: SSL_has_pending() also counts part of a
	 * record, for which the socket will signal the rest.
	 */
	return (ssl != NULL && SSL_pending(ssl) > 0);
}

void
px_tls_free_ssl(SSL *ssl)
{
	SSL_free(ssl);
}

/*
 * Maps the result of a failed SSL call to errno, noting in blk which way
 * it waits.  Returns -1, or 0 for a clean end of stream.
 */
static ssize_t
px_io_err(SSL *ssl, int rc, uint8_t *blk, uint8_t wait_other, bool rd)
{
	int e = SSL_get_error(ssl, rc);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		if (!rd)
			*blk |= wait_other;
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_WANT_WRITE:
		if (rd)
			*blk |= wait_other;
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_ZERO_RETURN:
		if (rd)
			return (0);
		errno = EPIPE;
		return (-1);
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || errno == EAGAIN)
			errno = ECONNRESET;
		return (-1);
	default:
		errno = EPROTO;
		return (-1);
	}
}

ssize_t
px_io_recv(int fd, SSL *ssl, uint8_t *blk, void *buf, size_t len)
{
	size_t	n;
	int	rc;

	if (ssl == NULL)
		return (recv(fd, buf, len, 0));
	*blk &= (uint8_t)~PX_IO_RWANTW;
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_read_ex(ssl, buf, len, &n)) == 1)
		return ((ssize_t)n);
	return (px_io_err(ssl, rc, blk, PX_IO_RWANTW, true));
}

ssize_t
px_io_send(int fd, SSL *ssl, uint8_t *blk, const void *buf, size_t len)
{
	size_t	n;
	int	rc;

	if (ssl == NULL)
		return (send(fd, buf, len, MSG_NOSIGNAL));
	*blk &= (uint8_t)~PX_IO_WWANTR;
	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_write_ex(ssl, buf, len, &n)) == 1)
		return ((ssize_t)n);
	return (px_io_err(ssl, rc, blk, PX_IO_WWANTR, false));
}

int
px_tls_handshake(SSL *ssl, bool *rd)
{
	int	rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_do_handshake(ssl)) == 1)
		return (0);
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*rd = true;
		errno = EAGAIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		*rd = false;
		errno = EAGAIN;
		break;
	case SSL_ERROR_SYSCALL:
		/* A peer that closes during the handshake: no errno. */
		if (errno == 0 || errno == EAGAIN)
			errno = ECONNRESET;
		break;
	default:
		errno = EPROTO;
		break;
	}
	return (-1);
}

int
px_io_shut(int fd, SSL *ssl)
{
	/* close_notify goes out if it can; the FIN is what matters. */
	if (ssl != NULL && SSL_is_init_finished(ssl)) {
		ERR_clear_error();
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
	}
	return (shutdown(fd, SHUT_WR));
}

const char *
px_io_why(SSL *ssl, int e, char *buf, size_t len)
{
	long v;

	if (ssl == NULL || e != EPROTO) {
		snprintf(buf, len, "%s", strerror(e));
		return (buf);
	}
	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK) {
		ERR_clear_error();
		snprintf(buf, len, "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	} else
		snprintf(buf, len, "%s", px_tls_reason("protocol error"));
	return (buf);
}
