/*
 * The broker's answers as tun_update_parse reads them: status lines,
 * every answer word the update protocol has, bodies that are empty,
 * garbage, binary or too long, and headers that never end.
 */
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "tunnel/tunnel.h"

struct row {
	const char	*resp;
	int		 rc;
	enum tun_upd_result result;
	int		 status;
	const char	*text;
};

#define OK200	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"

static const struct row rows[] = {
	{ OK200 "good 203.0.113.7", 0, TUN_UPD_GOOD, 200, "good 203.0.113.7" },
	{ OK200 "good 203.0.113.7\r\n", 0, TUN_UPD_GOOD, 200,
	    "good 203.0.113.7" },
	{ OK200 "\r\n  nochg 203.0.113.7  \n", 0, TUN_UPD_NOCHG, 200,
	    "nochg 203.0.113.7" },
	{ OK200 "nochg", 0, TUN_UPD_NOCHG, 200, "nochg" },
	{ OK200 "badauth", 0, TUN_UPD_BADAUTH, 200, "badauth" },
	{ "HTTP/1.1 401 Unauthorized\r\n\r\nbadauth\n", 0, TUN_UPD_BADAUTH,
	    401, "badauth" },
	{ "HTTP/1.0 403 Forbidden\r\n\r\n<html>no</html>", 0,
	    TUN_UPD_BADAUTH, 403, "<html>no</html>" },
	{ OK200 "nohost", 0, TUN_UPD_NOHOST, 200, "nohost" },
	{ OK200 "abuse", 0, TUN_UPD_ABUSE, 200, "abuse" },
	{ OK200 "-ERROR: Missing parameter(s).", 0, TUN_UPD_BROKER, 200,
	    "-ERROR: Missing parameter(s)." },
	{ OK200 "goodness", 0, TUN_UPD_OTHER, 200, "goodness" },
	{ OK200 "911", 0, TUN_UPD_OTHER, 200, "911" },
	{ OK200, 0, TUN_UPD_OTHER, 200, "" },
	{ OK200 "\x01\xff" "bad", 0, TUN_UPD_OTHER, 200, "??bad" },
	{ "HTTP/1.1 500 Internal Server Error\r\n\r\noops\r\nmore", 0,
	    TUN_UPD_HTTP, 500, "oops" },
	{ "HTTP/1.1 502 Bad Gateway\r\n\r\ngood 1.2.3.4", 0, TUN_UPD_HTTP,
	    502, "good 1.2.3.4" },
	{ "HTTP/1.1 200\n\ngood 1.2.3.4\n", 0, TUN_UPD_GOOD, 200,
	    "good 1.2.3.4" },
	/* malformed */
	{ "", -1, TUN_UPD_MALFORMED, 0, "not an HTTP/1 response" },
	{ "good 1.2.3.4", -1, TUN_UPD_MALFORMED, 0,
	    "not an HTTP/1 response" },
	{ "HTTP/2 200\r\n\r\ngood", -1, TUN_UPD_MALFORMED, 0,
	    "not an HTTP/1 response" },
	{ "HTTP/1.1 2x0 OK\r\n\r\ngood", -1, TUN_UPD_MALFORMED, 0,
	    "bad HTTP status" },
	{ "HTTP/1.1 2000 OK\r\n\r\ngood", -1, TUN_UPD_MALFORMED, 0,
	    "bad HTTP status" },
	{ "HTTP/1.1 200 OK\r\nX: y\r\n", -1, TUN_UPD_MALFORMED, 0,
	    "no end of the HTTP header" },
};

static void
test_rows(void)
{
	struct tun_upd_resp r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];

		rc = tun_update_parse(w->resp, strlen(w->resp), &r);
		is_int(rc, w->rc, w->text);
		is_int(r.result, w->result, tun_upd_result_name(w->result));
		is_int(r.status, w->status, "status");
		is_str(r.text, w->text, "text");
	}
}

static void
test_sizes(void)
{
	struct tun_upd_resp r;
	char *buf;
	size_t hl = strlen(OK200);

	buf = malloc(TUN_UPD_RESP_MAX + 2);
	memcpy(buf, OK200, hl);
	memset(buf + hl, 'x', TUN_UPD_RESP_MAX + 2 - hl);
	is_int(tun_update_parse(buf, TUN_UPD_RESP_MAX, &r), 0,
	    "exactly TUN_UPD_RESP_MAX bytes: read");
	is_int((long long)strlen(r.text), TUN_UPD_TEXT_MAX - 1,
	    "a long first line is cut to the text size");
	is_int(tun_update_parse(buf, TUN_UPD_RESP_MAX + 1, &r), -1,
	    "one byte more: refused");
	is_str(r.text, "answer longer than 16384 bytes", "and says why");
	/* No NUL terminator needed: exactly len bytes are read. */
	memcpy(buf, OK200 "nochg", hl + 5);
	is_int(tun_update_parse(buf, hl + 5, &r), 0, "unterminated buffer");
	is_int(r.result, TUN_UPD_NOCHG, "unterminated buffer: nochg");
	free(buf);
	is_str(tun_upd_result_name(0), "unknown", "name of 0");
	is_str(tun_upd_result_name(TUN_UPD_ABUSE), "abuse", "name of abuse");
}

int
main(void)
{
	test_rows();
	test_sizes();
	return (done_testing());
}
