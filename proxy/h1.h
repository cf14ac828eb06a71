/*
 * h1: a strict, incremental HTTP/1.x message parser (RFC 9110, RFC 9112).
 * Private to proxy/.  Pure: bytes and a state struct in, no I/O, no
 * allocation, no locale.
 *
 * Two layers.  px_h1_parse_head() reads the start line and the header
 * section out of a contiguous buffer that the caller keeps for as long as it
 * uses the results: every span below is an offset into that buffer.  The
 * head is bounded (head_max), so holding it is cheap; the body never is, so
 * px_h1_parse_body() walks it as it streams by and tells data from chunk
 * framing, which lets the proxy pass a chunked body on unchanged while every
 * byte of its framing is checked.
 *
 * Anything a peer gets wrong ends in an error that carries the status the
 * proxy answers with (err_status; always 502 when parsing a response) and a
 * short reason for the daemon log (err_reason).  After an error the
 * connection cannot be trusted to be in sync and must be closed.
 */
#ifndef V6F_PROXY_H1_H
#define V6F_PROXY_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PX_H1_HEAD_CAP	(16U << 20)	/* head_max is clamped to this */
#define PX_H1_EMPTY_MAX	4	/* empty lines ignored before a request line */
#define PX_H1_CONN_OPT_MAX 16	/* Connection options naming other fields */

/* Limits; px_h1_limits_default() gives the safe defaults in brackets. */
struct px_h1_limits {
	size_t		 head_max;	/* whole head in bytes [64 KiB]; 431 */
	size_t		 uri_max;	/* request-target bytes [8 KiB]; 414 */
	size_t		 hdr_count_max;	/* header fields [100]; 431 */
	size_t		 chunk_ext_max;	/* chunk-ext per line [256]; 400 */
	size_t		 trailer_max;	/* trailer section bytes [8 KiB]; 431 */
	uint64_t	 body_max;	/* body bytes, 0 = no limit [0]; 413 */
	bool		 connect;	/* accept CONNECT [false]; else 501 */
};

enum px_h1_mode {
	PX_H1_REQ = 0,
	PX_H1_RESP,
};

/* Methods the proxy treats specially; method names are case-sensitive. */
enum px_h1_meth {
	PX_H1_M_OTHER = 0,
	PX_H1_M_GET,
	PX_H1_M_HEAD,
	PX_H1_M_POST,
	PX_H1_M_PUT,
	PX_H1_M_DELETE,
	PX_H1_M_CONNECT,
	PX_H1_M_OPTIONS,
	PX_H1_M_TRACE,
	PX_H1_M_PATCH,
};

/* Request-target forms (RFC 9112 section 3.2). */
enum px_h1_form {
	PX_H1_FORM_ORIGIN = 0,	/* "/path?query" */
	PX_H1_FORM_ABSOLUTE,	/* "http://host:port/path?query" */
	PX_H1_FORM_AUTHORITY,	/* "host:port", CONNECT only */
	PX_H1_FORM_ASTERISK,	/* "*", OPTIONS only */
};

/* How the body of the message is delimited (RFC 9112 section 6.3). */
enum px_h1_framing {
	PX_H1_BODY_NONE = 0,	/* no body at all */
	PX_H1_BODY_LENGTH,	/* exactly clen bytes */
	PX_H1_BODY_CHUNKED,	/* ends after the last chunk and trailers */
	PX_H1_BODY_UNTIL_CLOSE,	/* responses: all until the server's FIN */
	PX_H1_BODY_TUNNEL,	/* responses: 101, 2xx to CONNECT; raw bytes */
};

/* Header fields the parser itself reads or that proxies must not forward. */
enum px_h1_hkind {
	PX_H1_H_OTHER = 0,
	PX_H1_H_CONTENT_LENGTH,
	PX_H1_H_TRANSFER_ENCODING,
	PX_H1_H_HOST,
	PX_H1_H_CONNECTION,
	PX_H1_H_EXPECT,
	PX_H1_H_UPGRADE,
	PX_H1_H_KEEP_ALIVE,
	PX_H1_H_PROXY_CONNECTION,
	PX_H1_H_TE,
	PX_H1_H_TRAILER,
};

/* Bytes [off, off + len) of the caller's head buffer. */
struct px_h1_span {
	uint32_t	 off;
	uint32_t	 len;
};

/*
 * One field line.  hop marks what the proxy must not pass on: Connection,
 * Keep-Alive, Proxy-Connection, TE, Upgrade, and every field a Connection
 * option names except Content-Length and Host.  Content-Length and
 * Transfer-Encoding are not marked: the body goes on exactly as it was
 * framed, so its framing fields go on with it.
 */
struct px_h1_hdr {
	struct px_h1_span name;		/* a token, case as sent */
	struct px_h1_span value;	/* without leading and trailing OWS */
	uint8_t		 kind;		/* enum px_h1_hkind */
	bool		 hop;
};

/*
 * Parser state and results.  Fields above "private" are read-only for the
 * caller; the head results are valid once px_h1_parse_head() returned > 0.
 */
struct px_h1 {
	/* Set by px_h1_init and px_h1_resp_for; px_h1_reset keeps them. */
	struct px_h1_limits lim;
	enum px_h1_mode	 mode;
	struct px_h1_hdr *hdr;		/* borrowed; hdr_cap entries */
	size_t		 hdr_cap;
	enum px_h1_meth	 req_meth;	/* RESP: method of the request */

	/* The head. */
	size_t		 head_len;	/* bytes, with leading empty lines */
	int		 version;	/* 10 or 11 (1.2 to 1.9 count as 11) */
	struct px_h1_span method;	/* REQ */
	enum px_h1_meth	 meth;		/* REQ */
	struct px_h1_span target;	/* REQ: the request-target as sent */
	enum px_h1_form	 form;		/* REQ */
	struct px_h1_span authority;	/* REQ: host[:port] of an absolute- or
					   authority-form target, else the
					   Host value (empty if none) */
	struct px_h1_span path;		/* REQ: origin-form part of the target;
					   empty or starting with '?' for an
					   absolute-form target without path */
	int		 status;	/* RESP: 100-599 */
	struct px_h1_span reason;	/* RESP: reason phrase, may be empty */
	size_t		 nhdr;		/* fields in hdr[] */
	int		 host;		/* REQ: index of Host in hdr[], or -1 */

	/* What the head means for the body and the connection. */
	enum px_h1_framing framing;
	uint64_t	 clen;		/* the Content-Length, if any */
	bool		 keep_alive;	/* another message may follow */
	bool		 upgrade;	/* REQ: Upgrade + Connection: upgrade in
					   1.1; RESP: 101 Switching Protocols */
	bool		 expect_continue; /* REQ: 1.1, Expect: 100-continue */
	bool		 interim;	/* RESP: 1xx but 101: a head follows */
	bool		 te_other;	/* codings besides chunked listed */

	/* The body. */
	bool		 done;		/* message complete (head and body) */
	uint64_t	 body_bytes;	/* data bytes seen, framing excluded */

	/* The error, once a parse function returned < 0. */
	int		 err_status;	/* 400, 413, 414, 431, 501, 502, 505 */
	const char	*err_reason;	/* static string */

	/* private */
	uint32_t	 pos;		/* next head byte to look at */
	uint32_t	 tok;		/* start of the token being read */
	uint32_t	 vstart;	/* start of the value being read */
	uint32_t	 nlen;		/* length of the name being read */
	size_t		 hdr_max;	/* min(hdr_count_max, hdr_cap) */
	uint8_t		 hstate;
	uint8_t		 empties;
	uint8_t		 nhost;
	bool		 cl_seen;
	bool		 te_seen;	/* a Transfer-Encoding field was sent */
	bool		 te_chunked;	/* chunked is among the codings */
	bool		 te_last;	/* ... and is the last one so far */
	uint32_t	 te_n;		/* codings listed */
	bool		 conn_close;
	bool		 conn_ka;
	bool		 conn_upgrade;
	bool		 upgrade_seen;
	uint8_t		 nconn_opt;
	struct px_h1_span conn_opt[PX_H1_CONN_OPT_MAX];

	uint8_t		 cstate;	/* chunked body */
	uint8_t		 cdigits;
	uint64_t	 csize;
	uint64_t	 left;		/* of the chunk or Content-Length */
	size_t		 cext;		/* extension bytes on this chunk line */
	size_t		 ctrl;		/* trailer section bytes */
	uint8_t		 tnlen;
	char		 tname[20];	/* trailer field name, if short */
};

/* Fills in the safe defaults. */
void	px_h1_limits_default(struct px_h1_limits *);

/*
 * Prepares st for the first message of a connection.  lim NULL means the
 * defaults; hdr is the caller's array for the fields of one head (at most
 * min(hdr_count_max, hdr_cap) are accepted).
 */
void	px_h1_init(struct px_h1 *st, enum px_h1_mode,
	    const struct px_h1_limits *lim, struct px_h1_hdr *hdr,
	    size_t hdr_cap);

/*
 * RESP: names the method of the request being answered, before parsing its
 * response (HEAD responses have no body; 2xx to CONNECT opens a tunnel).
 * Kept across px_h1_reset, so the heads after a 1xx need no second call.
 */
void	px_h1_resp_for(struct px_h1 *, enum px_h1_meth);

/* Forgets the last message, keeping limits, mode, hdr and req_meth. */
void	px_h1_reset(struct px_h1 *);

/*
 * Parses the head at the start of buf.  Each call passes the same bytes
 * again plus any new ones (len never shrinks); scanning resumes where the
 * last call stopped, so feeding a head byte by byte costs O(len).  Returns
 * the head length (> 0; the body or the next message starts at buf + ret),
 * 0 when more bytes are needed, or -1 with err_status and err_reason set.
 */
int	px_h1_parse_head(struct px_h1 *, const char *buf, size_t len);

/*
 * After the head: consumes body bytes from buf (only the new ones; nothing
 * is kept).  Returns the number of bytes of buf that belong to the body
 * (> 0), 0 when len is 0 or the message is already done, or -1 with the
 * error set.  Of the consumed bytes, [*data_off, *data_off + *data_len) is
 * content; the rest is chunk framing.  One call yields at most one data
 * run, so callers loop until it returns 0.  Sets done at the end of the
 * message; whatever follows in buf is the next message.
 */
int	px_h1_parse_body(struct px_h1 *, const char *buf, size_t len,
	    size_t *data_off, size_t *data_len);

/*
 * The peer closed the connection.  Returns 0 if that ends the message
 * cleanly (read-until-close, tunnel, already done) or came before its first
 * byte; -1 with the error set if the message was cut short.
 */
int	px_h1_eof(struct px_h1 *);

/* The enum for a method name (case-sensitive), PX_H1_M_OTHER if unknown. */
enum px_h1_meth px_h1_meth_of(const char *name, size_t len);

#endif
