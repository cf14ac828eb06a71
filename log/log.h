/*
 * log: access log lines in Apache 2.4 LogFormat syntax.
 *
 * One compiled program (struct alog_fmt) serves both directions: the proxy
 * renders a record into a line, and logstat parses a line back into spans.
 * Nothing in log/ prints; errors go into a buffer the caller supplies.
 *
 * FORMAT SYNTAX
 *
 * A format is literal text with directives.  A directive is
 *
 *	% [!] [status,status...] [<|>] [{param}] [<|>] letter
 *
 * "letter" is one character, or three for the two-character "^" names
 * (%^ti, %^xb).  The modifiers may come in any order, as in Apache.
 *
 * Literal text is copied as is, except these backslash escapes, which Apache
 * documents for LogFormat: "\t" is a tab, "\\" a backslash, and "\"" a quote
 * (so a LogFormat line pasted with its config quoting still works).  "\n",
 * "\r" and raw control bytes other than tab are rejected: a record is
 * exactly one line.  Any other "\c" is kept verbatim.
 *
 * A format that is exactly the name of a named format (below) compiles that
 * format, as Apache's CustomLog does with nicknames.
 *
 * DIRECTIVES (Apache 2.4 mod_log_config and mod_logio)
 *
 *	%%		a percent sign
 *	%a		client IP: the "useragent" address (rec.ua, else rec.cli)
 *	%{c}a		peer IP of the TCP connection (rec.cli)
 *	%A		local IP (rec.local)
 *	%B		response body bytes; 0 when none
 *	%b		response body bytes; "-" when none (CLF)
 *	%{NAME}C	value of cookie NAME in the Cookie request header(s);
 *			names match case-insensitively, blanks around the name
 *			and value are dropped, an empty value does not match
 *	%D		time taken to serve the request, microseconds
 *	%h		remote host: the client IP, never a DNS name (as
 *			Apache with HostnameLookups Off)
 *	%{c}h		peer IP of the TCP connection
 *	%H		request protocol ("HTTP/1.1")
 *	%{NAME}i	request header NAME (case-insensitive); repeated
 *			headers are joined with ", " as Apache merges them
 *	%I		bytes received, request line and headers included
 *	%k		keepalive requests before this one on the connection
 *	%l		remote logname: always "-" (no identd)
 *	%m		request method
 *	%{NAME}o	response header NAME, repeated ones joined with ", ";
 *			Content-Type is written without its ";" parameters,
 *			as Apache does
 *	%O		bytes sent, headers included
 *	%p		canonical port of the server: the local port
 *	%{canonical|local|remote}p  canonical or local port of the server,
 *			or the client's port (case-insensitive)
 *	%P		process ID (rec.pid)
 *	%{pid|tid|hextid}P  process ID, thread ID in decimal, in hex
 *	%q		query string with its "?", or empty when there is none
 *	%r		first line of the request
 *	%s, %<s		status of the original request (rec.status_orig)
 *	%>s		final status (rec.status)
 *	%S		bytes received and sent (%I + %O)
 *	%t		time the request began, "[10/Oct/2000:13:55:36 -0700]",
 *			local time, English month names whatever the locale
 *	%{FORMAT}t	the time in strftime(3) FORMAT, local time.  A
 *			"begin:" prefix (default) takes the begin time, "end:"
 *			the end time.  FORMAT may instead be exactly one of
 *			sec, msec, usec (since the Epoch), msec_frac,
 *			usec_frac (the fraction of the second, 3 or 6 digits);
 *			these do not combine with other text.  An empty
 *			FORMAT after the prefix is the %t form.  The strftime
 *			output is escaped like any value.
 *	%T		time taken to serve the request, whole seconds
 *	%{UNIT}T	the same in UNIT: s, ms or us (case-insensitive)
 *	%u		remote user; "-" when none, "\"\"" when empty
 *	%U		URL path without the query string
 *	%v		canonical server name (rec.server: the config name)
 *	%V		server name from the request (rec.host: the Host header
 *			host), else rec.server
 *	%X		connection status at the end: "X" aborted, "+" kept
 *			alive, "-" closed
 *
 * Apache directives accepted so that logs written by Apache can be read
 * back; v6front has no value for them and writes "-":
 *	%{NAME}e %f %L %{NAME}n %R %{NAME}^ti %{NAME}^to %^FB %{NAME}x
 *
 * Conditions: "%400,501{User-agent}i" writes the header only when the final
 * status is 400 or 501, else "-"; "%!200,304{Referer}i" writes it only when
 * the final status is neither.  Each status has three digits.
 *
 * EXTENSIONS (proxy data)
 *
 * Apache names two-character directives after "^" and uses only "^ti",
 * "^to" and "^FB".  v6front's own directives are "^x" plus one letter, a
 * namespace Apache does not assign, so a v6front format never means
 * something else to Apache (which rejects them as unknown):
 *
 *	%^xb		backend server address and port, "192.0.2.7:80" or
 *			"[2001:db8::7]:80"
 *	%{ip}^xb	the backend server address alone
 *	%{port}^xb	the backend server port alone
 *	%^xc		time to connect to the backend, microseconds
 *	%{UNIT}^xc	the same in UNIT: s, ms or us
 *	%^xe		how the session ended: a short word from the proxy,
 *			such as ok, cli_reset, srv_refused, timeout
 *	%^xf		time from the request to the first byte of the
 *			backend's response, microseconds (%{UNIT}^xf too)
 *	%^xl		listener name
 *	%^xn		backend name
 *
 * Anything a record does not have is written "-".
 *
 * ESCAPING
 *
 * Every value that comes from the peer or the config is escaped exactly as
 * Apache 2.4 does (ap_escape_logitem): backspace, LF, CR, tab and VT become
 * \b \n \r \t \v; '"' and '\' get a backslash; other control bytes, DEL and
 * bytes >= 0x80 become \xhh (lowercase hex).  A NUL byte, which cannot occur
 * in Apache's C strings, becomes \x00.  So a rendered line never holds a raw
 * CR, LF or NUL, and a value never ends a quoted field early.
 *
 * ADDRESSES
 *
 * IPv6 is written in RFC 5952 form (lowercase, longest zero run as "::",
 * the first one on a tie, no "::" for a single zero group); an IPv4-mapped
 * address is written as plain dotted IPv4, as Apache does.  The deprecated
 * IPv4-compatible form (::192.0.2.1) stays in hex, "::c000:201", as RFC
 * 5952 has it.  Zone indexes are not written.
 *
 * NAMED FORMATS (alog_fmt_named)
 *
 *	common		%h %l %u %t "%r" %>s %b
 *	combined	%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
 *	vhost_combined	%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i"
 *			"%{User-Agent}i"  (as Debian's apache2.conf)
 *	referer		%{Referer}i -> %U
 *	agent		%{User-agent}i
 *
 * READING LINES BACK
 *
 * alog_fmt_parse splits a line into one span per directive without copying.
 * The compiled program knows which literal follows each field, so a field
 * ends at the first place where that literal appears and is not escaped by
 * a backslash; a field before the last literal ends where the line's last
 * literal begins, and a last field runs to the end of the line.  So "%r"
 * and headers in quotes may hold spaces and \" escapes, and the unquoted
 * %{User-agent}i of "agent" takes the whole line.  %t is taken from '[' to
 * ']'.  Numbers must be digits or "-"; addresses, %m, %H and %X must hold
 * no space.  When a split leaves a field that breaks those rules or a
 * literal that does not match, the last free-text field is retried at the
 * next place its literal appears (at most 64 retries per line): that reads
 * raw quotes of non-escaping servers inside "%r", and a %U with spaces.
 * Two directives with no literal between them can be split only when the
 * first has a fixed shape (a number, %t) or the second is %q, which begins
 * at the first '?' (a query may hold '?', a decoded %U rarely does); other
 * formats compile and render but do not parse (alog_fmt_parsable).
 *
 * TIME ZONE
 *
 * %t and %{FORMAT}t use localtime_r.  The process must call tzset() before
 * it starts threads, and again (with a new second) if TZ changes: each
 * thread keeps the local time of the last two seconds it wrote.
 */
#ifndef V6F_LOG_H
#define V6F_LOG_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf/conf.h"

#define ALOG_FMT_MAX	8192	/* longest format alog_fmt_compile takes */
#define ALOG_PARAM_MAX	255	/* longest {param} */
#define ALOG_ADDRSTRLEN	64	/* "[v6]:port" + NUL, rounded up */
#define ALOG_LINE_MAX	16384	/* longest line a caller should render */

/* What each directive is; alog_field.id tells logstat what a span holds. */
enum alog_dir {
	ALOG_D_LIT = 0,		/* literal text (never a field) */
	ALOG_D_UA_IP,		/* %a */
	ALOG_D_PEER_IP,		/* %{c}a */
	ALOG_D_LOCAL_IP,	/* %A */
	ALOG_D_BODY,		/* %B */
	ALOG_D_BODY_CLF,	/* %b */
	ALOG_D_COOKIE,		/* %{NAME}C */
	ALOG_D_DURATION_US,	/* %D */
	ALOG_D_HOST,		/* %h */
	ALOG_D_PEER_HOST,	/* %{c}h */
	ALOG_D_PROTO,		/* %H */
	ALOG_D_REQ_HDR,		/* %{NAME}i */
	ALOG_D_BYTES_IN,	/* %I */
	ALOG_D_KEEPALIVES,	/* %k */
	ALOG_D_LOGNAME,		/* %l */
	ALOG_D_METHOD,		/* %m */
	ALOG_D_RESP_HDR,	/* %{NAME}o */
	ALOG_D_BYTES_OUT,	/* %O */
	ALOG_D_PORT,		/* %p, sub: enum alog_port */
	ALOG_D_PID,		/* %P, sub: enum alog_pid */
	ALOG_D_QUERY,		/* %q */
	ALOG_D_REQLINE,		/* %r */
	ALOG_D_STATUS,		/* %s, %<s */
	ALOG_D_STATUS_FINAL,	/* %>s */
	ALOG_D_BYTES_ALL,	/* %S */
	ALOG_D_TIME,		/* %t, %{...}t, sub: enum alog_time */
	ALOG_D_DURATION,	/* %T, sub: enum alog_unit */
	ALOG_D_USER,		/* %u */
	ALOG_D_PATH,		/* %U */
	ALOG_D_SERVER,		/* %v */
	ALOG_D_SERVER_NAME,	/* %V */
	ALOG_D_CONN,		/* %X */
	ALOG_D_ENV,		/* %{NAME}e, always "-" */
	ALOG_D_FILENAME,	/* %f, always "-" */
	ALOG_D_LOG_ID,		/* %L, always "-" */
	ALOG_D_NOTE,		/* %{NAME}n, always "-" */
	ALOG_D_HANDLER,		/* %R, always "-" */
	ALOG_D_TRAILER_IN,	/* %{NAME}^ti, always "-" */
	ALOG_D_TRAILER_OUT,	/* %{NAME}^to, always "-" */
	ALOG_D_TTFB,		/* %^FB, always "-" */
	ALOG_D_SSL_VAR,		/* %{NAME}x, sub: enum alog_ssl_var */
	ALOG_D_SRV_ADDR,	/* %^xb, sub: enum alog_addr_part */
	ALOG_D_SRV_CONNECT,	/* %^xc, sub: enum alog_unit */
	ALOG_D_END,		/* %^xe */
	ALOG_D_SRV_FIRST,	/* %^xf, sub: enum alog_unit */
	ALOG_D_LISTENER,	/* %^xl */
	ALOG_D_BACKEND,		/* %^xn */
	ALOG_D_COUNT
};

/* alog_field.sub of ALOG_D_TIME: which form the time is written in. */
enum alog_time {
	ALOG_TIME_CLF = 0,	/* [10/Oct/2000:13:55:36 -0700] */
	ALOG_TIME_STRF,		/* strftime(3) text */
	ALOG_TIME_SEC,
	ALOG_TIME_MSEC,
	ALOG_TIME_USEC,
	ALOG_TIME_MSEC_FRAC,
	ALOG_TIME_USEC_FRAC,
};

/* alog_field.sub of durations (%T, %^xc, %^xf). */
enum alog_unit {
	ALOG_UNIT_S = 0,
	ALOG_UNIT_MS,
	ALOG_UNIT_US,
};

/* alog_field.sub of %p. */
enum alog_port {
	ALOG_PORT_CANONICAL = 0,
	ALOG_PORT_LOCAL,
	ALOG_PORT_REMOTE,
};

/* alog_field.sub of %P. */
enum alog_pid {
	ALOG_PID_PID = 0,
	ALOG_PID_TID,
	ALOG_PID_HEXTID,
};

/* alog_field.sub of %^xb. */
/* The %{NAME}x variables with a value; the others write "-". */
enum alog_ssl_var {
	ALOG_SSL_OTHER = 0,
	ALOG_SSL_PROTOCOL,	/* SSL_PROTOCOL: "TLSv1.3" */
	ALOG_SSL_CIPHER,	/* SSL_CIPHER: "TLS_AES_128_GCM_SHA256" */
	ALOG_SSL_SNI,		/* SSL_TLS_SNI: the server name asked for */
};

enum alog_addr_part {
	ALOG_ADDR_HOSTPORT = 0,
	ALOG_ADDR_IP,
	ALOG_ADDR_PORT,
};

/* A byte string borrowed from the request; p == NULL means absent. */
struct alog_str {
	const char	*p;
	size_t		 len;
};

/* One header line as received, borrowed. */
struct alog_hdr {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

/* %X */
enum alog_conn {
	ALOG_CONN_CLOSE = 0,	/* "-" */
	ALOG_CONN_KEEPALIVE,	/* "+" */
	ALOG_CONN_ABORTED,	/* "X" */
};

/*
 * What one HTTP request or one TCP session leaves in the log.  Everything is
 * borrowed (pointers and lengths into the session's buffers), so filling it
 * allocates nothing; it must stay valid during alog_fmt_render only.  Start
 * from alog_rec_init(): it marks every optional value absent.
 */
struct alog_rec {
	const struct sockaddr *cli;	/* TCP peer: %{c}a %{c}h %{remote}p */
	const struct sockaddr *ua;	/* %a %h: NULL = cli; set it when a
					   trusted X-Forwarded-For names the
					   real client */
	const struct sockaddr *local;	/* our end: %A %p */
	struct timespec	 begin;		/* CLOCK_REALTIME, request received */
	struct timespec	 end;		/* CLOCK_REALTIME, log written */
	struct alog_str	 method;	/* %m */
	struct alog_str	 target;	/* raw request-target; gives %U and %q
					   when path/query are absent */
	struct alog_str	 path;		/* %U; Apache logs it %-decoded */
	struct alog_str	 query;		/* %q without '?'; len 0 = bare "?" */
	struct alog_str	 proto;		/* %H */
	struct alog_str	 reqline;	/* %r; absent: "method target proto"
					   when method and target are set */
	int		 status_orig;	/* %s %<s; 0 = same as status */
	int		 status;	/* %>s and conditions; <= 0 = none */
	int64_t		 body_bytes;	/* %B %b */
	int64_t		 bytes_in;	/* %I; < 0 = unknown */
	int64_t		 bytes_out;	/* %O; < 0 = unknown */
	int64_t		 keepalives;	/* %k */
	enum alog_conn	 conn;		/* %X */
	struct alog_str	 server;	/* %v: configured server name */
	struct alog_str	 host;		/* %V: Host header host, lowercased,
					   without port */
	struct alog_str	 user;		/* %u */
	long		 pid;		/* %P; 0 = none */
	uint64_t	 tid;		/* %{tid}P %{hextid}P; 0 = none */
	const struct alog_hdr *req_hdr;	/* %i %C */
	size_t		 nreq_hdr;
	const struct alog_hdr *resp_hdr;	/* %o */
	size_t		 nresp_hdr;
	struct alog_str	 listener;	/* %^xl */
	struct alog_str	 backend;	/* %^xn */
	const struct sockaddr *srv;	/* %^xb: backend server */
	int64_t		 srv_connect_us;	/* %^xc; < 0 = none */
	int64_t		 srv_first_us;	/* %^xf; < 0 = none */
	struct alog_str	 end_reason;	/* %^xe */
	struct alog_str	 tls_proto;	/* %{SSL_PROTOCOL}x; absent: no TLS */
	struct alog_str	 tls_cipher;	/* %{SSL_CIPHER}x */
	struct alog_str	 tls_sni;	/* %{SSL_TLS_SNI}x */
};

struct alog_fmt;

/* Sets every field of a record to "absent" (zero, NULL, -1 as documented). */
void	alog_rec_init(struct alog_rec *);

/*
 * Returns the format string of a named format (common, combined,
 * vhost_combined, referer, agent), or NULL if name is not one.
 */
const char	*alog_fmt_named(const char *name);

/*
 * Compiles a format (or a named format's name).  Returns the program, to be
 * freed with alog_fmt_free, or NULL after writing "col N: what" into err
 * (errlen bytes, NUL-terminated); N counts bytes from 1.
 */
struct alog_fmt	*alog_fmt_compile(const char *fmt, char *err, size_t errlen);

/* Frees a program; NULL is ignored. */
void	alog_fmt_free(struct alog_fmt *);

/* The format text the program was compiled from (named formats resolved). */
const char	*alog_fmt_text(const struct alog_fmt *);

/* Number of fields (directives other than %%) a parsed line yields. */
size_t	alog_fmt_nfields(const struct alog_fmt *);

/* True if lines of this format can be parsed back (see READING above). */
bool	alog_fmt_parsable(const struct alog_fmt *);

/*
 * Index of the first field with this id (and param, compared without case,
 * unless param is NULL), or -1.  logstat calls it once per format.
 */
int	alog_fmt_find(const struct alog_fmt *, enum alog_dir id,
	    const char *param);

/*
 * Writes one log line for rec into buf, without a newline and without a NUL.
 * Returns its length, or -1 if it does not fit in len bytes.  Allocates
 * nothing.  Safe to call from many threads on one program: the %t cache is
 * per thread.
 */
int	alog_fmt_render(const struct alog_fmt *, const struct alog_rec *,
	    char *buf, size_t len);

/* One field of a parsed line: a span of the line, not a copy. */
struct alog_field {
	const char	*p;		/* into the line */
	size_t		 len;
	const char	*param;		/* the directive's {param}, or "";
					   lives as long as the program */
	uint8_t		 id;		/* enum alog_dir */
	uint8_t		 sub;		/* enum alog_time, alog_unit, ... */
};

/* alog_fmt_parse errors. */
#define ALOG_PERR_FORMAT	-1	/* format cannot be parsed back */
#define ALOG_PERR_SPACE		-2	/* fields array too small */
#define ALOG_PERR_LITERAL	-3	/* literal text of the format missing */
#define ALOG_PERR_SHORT		-4	/* line ends before the format does */
#define ALOG_PERR_FIELD		-5	/* number or [time] malformed */
#define ALOG_PERR_TRAILING	-6	/* bytes after the end of the format */

/*
 * Splits one line (a trailing LF or CR LF is ignored) into fields, in format
 * order.  Returns the number of fields (alog_fmt_nfields) or an ALOG_PERR_*
 * code.  Spans point into line; quoted fields exclude the quotes (they are
 * literal text of the format).  Allocates and copies nothing.
 */
int	alog_fmt_parse(const struct alog_fmt *, const char *line, size_t len,
	    struct alog_field *fields, size_t nfields);

/* A short English text for an ALOG_PERR_* code. */
const char	*alog_perr_str(int code);

/*
 * Undoes the escaping of a value (\" \\ \b \n \r \t \v \xhh) into out.
 * Returns the length written (no NUL is added), or -1 if out is too small.
 * A backslash not followed by a known escape is kept.
 */
int	alog_field_unescape(const char *p, size_t len, char *out,
	    size_t outlen);

/*
 * Parses a %t time, "[10/Oct/2000:13:55:36 -0700]", with or without the
 * brackets.  Sets *epoch (seconds since the Epoch, UTC) and *gmtoff (the
 * offset written, seconds east of UTC; may be NULL).  Returns 0, or -1 if
 * the text is not exactly that form or names an impossible date.
 */
int	alog_time_parse(const char *p, size_t len, int64_t *epoch,
	    int32_t *gmtoff);

/*
 * Parses an address field: IPv4 dotted quad, or IPv6 in any valid spelling
 * (RFC 4291, embedded IPv4 too), optionally in brackets, optionally with a
 * "%zone" suffix (ignored), optionally followed by ":port" (after brackets
 * or a plain IPv4).  Writes 16 bytes to addr: IPv6 as is, IPv4 as an
 * IPv4-mapped address.  Returns AF_INET for IPv4 and IPv4-mapped IPv6,
 * AF_INET6 otherwise, or -1 if the text is not an address.  *port gets the
 * port or 0 (port may be NULL).
 */
int	alog_addr_parse(const char *p, size_t len, uint8_t addr[16],
	    uint16_t *port);

/*
 * Formats a sockaddr the way the log writes it: RFC 5952 IPv6, IPv4-mapped
 * as IPv4; with_port adds ":port" ("[v6]:port").  Returns the length, or -1
 * for a NULL or non-IP address or a too small buf.  buf is NUL-terminated.
 */
int	alog_addr_fmt(const struct sockaddr *, bool with_port, char *buf,
	    size_t len);

/* ---- the writer (writer.c) and other outputs (json.c) ---- */

/*
 * One access-log output: a file, or a syslog socket.  Lines go into one of
 * nslot buffers (one per worker thread: slot = worker index) and a writer
 * thread of the output's own writes them, so no caller ever waits for a
 * disk or a socket.  Each write(2) holds whole lines under O_APPEND; a
 * short write is cut back to the last whole line.  Buffers are flushed at
 * least every second and by alog_close.  Lines that cannot be written (disk
 * full, I/O error, queue full, syslog unreachable) are dropped and counted;
 * alog_report tells the caller what to log about it.
 */
struct alog_out;

/*
 * Opens (creates, appends to) path and starts its writer thread.  NULL
 * after writing "path: why" into err.
 */
struct alog_out	*alog_open_file(const char *path, int nslot, char *err,
		    size_t errlen);

/*
 * RFC 5424 syslog to sa (AF_UNIX datagram path, or UDP): "<134>1 TIME HOST
 * v6front PID - - LINE", facility local0, severity info, one datagram per
 * line.  An unreachable server is not an error here; its lines are counted
 * as dropped.  name is the target as configured, for messages.
 */
struct alog_out	*alog_open_syslog(const char *name, const struct sockaddr *sa,
		    socklen_t salen, int nslot, char *err, size_t errlen);

/*
 * Queues one line (no newline) from the thread owning slot.  Returns 0, or
 * -1 when the line was dropped (counted).  Never blocks on I/O.
 */
int	alog_write(struct alog_out *, int slot, const char *line, size_t len);

/*
 * Asks the writer thread to write what is buffered and open the path anew
 * (logrotate: rename+create; copytruncate needs nothing, as O_APPEND
 * writes land at the new end).  For syslog: reconnect.  Returns at once.
 */
void	alog_reopen(struct alog_out *);

/*
 * What the caller should log about this output since the last call: fills
 * msg and returns CONF_LOG_WARNING (lines dropped, reopen failed) or
 * CONF_LOG_NOTICE (writing again after drops), or 0 with nothing to say.
 */
int	alog_report(struct alog_out *, char *msg, size_t len);

/* Lines dropped since the output was opened. */
uint64_t alog_dropped(struct alog_out *);

/* The path or syslog target, as opened. */
const char	*alog_out_name(const struct alog_out *);

/*
 * Writes what is buffered and stops the writer thread; alog_report then
 * tells about the last lines too.  No thread may call alog_write any more.
 */
void	alog_stop(struct alog_out *);

/*
 * Writes what is buffered, stops the writer thread, closes.  No thread may
 * call alog_write any more.  NULL is ignored.
 */
void	alog_close(struct alog_out *);

/*
 * format: json.  Writes one JSON object (no newline, no NUL) for rec into
 * buf; returns its length, or -1 if it does not fit.  Keys, in this order,
 * absent values left out: time (begin, UTC, "2026-11-26T14:05:32.123Z"),
 * client, client_port, peer (only when rec.ua is set), listener, backend,
 * server ("ip:port"), method, uri, protocol, status, bytes_in, bytes_out,
 * duration_ms, connect_us, end.  Control bytes, DEL and bytes >= 0x80 are
 * written as \u00XX of the byte, so every line is valid UTF-8 JSON.
 */
int	alog_json_render(const struct alog_rec *, char *buf, size_t len);

/*
 * Zeroes every address bit past the prefix kept: v6bits of an IPv6
 * address, v4bits of an IPv4 or IPv4-mapped one.  The port is untouched.
 */
void	alog_addr_mask(struct sockaddr *, int v6bits, int v4bits);

/* ---- logstat: the log analyzer (logstat.c, lsreport.c) ---- */

/*
 * `v6front logstat [options] FILE...`; argv[0] is "logstat".  Reads the
 * files, prints the report (stdout, or --html OUT) and returns the exit
 * status: 0 done (malformed lines are counted, not errors), 1 a file
 * could not be read or the report not written, 2 bad usage.  Messages go
 * to stderr.
 */
int	logstat_main(int argc, char **argv);

#define ALOG_LS_PFX_MAX	8	/* prefix lengths per family */

/* What to gather. */
struct alog_ls_opts {
	const char	*format;	/* named format or LogFormat text */
	int		 pfx6[ALOG_LS_PFX_MAX];	/* IPv6 prefix lengths, 1-128 */
	int		 npfx6;
	int		 pfx4[ALOG_LS_PFX_MAX];	/* IPv4 prefix lengths, 1-32 */
	int		 npfx4;
	int		 anon6;		/* bits of IPv6 shown; 128 = all */
	int		 anon4;		/* bits of IPv4 shown; 32 = all */
	int		 top;		/* rows of each top-N table */
};

/* The figures of one run over any number of lines. */
struct alog_ls;

/*
 * A new, empty set of figures.  NULL after writing why into err (a format
 * that does not compile, cannot be read back, or names no client
 * address).
 */
struct alog_ls	*alog_ls_new(const struct alog_ls_opts *, char *err,
		    size_t errlen);

/* Frees the figures; NULL is ignored. */
void	alog_ls_free(struct alog_ls *);

/*
 * Counts one line (a trailing LF or CR LF is ignored): parsed into the
 * figures, or counted as malformed with its number.  Allocates only for
 * keys never seen before.
 */
void	alog_ls_line(struct alog_ls *, const char *line, size_t len);

/*
 * Counts every line of buf as alog_ls_line does, in order; the last line
 * may lack its newline.  Faster than a loop of alog_ls_line: the lookups
 * of one line overlap the parse of the next.
 */
void	alog_ls_lines(struct alog_ls *, const char *buf, size_t len);

/*
 * Starts a new input: later line numbers count from 1 and malformed lines
 * name it.  name is borrowed and must outlive the figures.  Returns 0, or
 * -1 when memory is short.
 */
int	alog_ls_file(struct alog_ls *, const char *name);

/* True once a new key could not be stored (out of memory). */
bool	alog_ls_oom(const struct alog_ls *);

/* Report forms for alog_ls_report. */
enum alog_ls_form {
	ALOG_LS_TEXT = 0,	/* aligned tables with bars, for a terminal */
	ALOG_LS_JSON,		/* one JSON document (README: logstat) */
	ALOG_LS_HTML,		/* one self-contained HTML page */
};

/* Writes a report of the figures to f.  Returns 0, or -1 on a write error. */
int	alog_ls_report(const struct alog_ls *, enum alog_ls_form, FILE *f);

#endif
