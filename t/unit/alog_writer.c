/*
 * log/writer.c and log/json.c: many threads into one file, whole lines;
 * reopen after a rename; JSON escaping; address masking.
 */
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "t/tap.h"

#define NTHR	4
#define NLINE	20000

static struct alog_out *out;

static void *
writer(void *arg)
{
	int	slot = (int)(long)arg, i;
	char	line[128];

	for (i = 0; i < NLINE; i++) {
		int n = snprintf(line, sizeof(line), "slot %d line %06d %s",
		    slot, i, "................................................");
		alog_write(out, slot, line, (size_t)n);
	}
	return (NULL);
}

/* Counts lines of a file; *bad gets those not shaped like writer()'s. */
static long
count(const char *path, long *bad)
{
	FILE	*f;
	char	 line[256];
	long	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		n++;
		if (len != 68 || line[len - 1] != '\n' ||
		    strncmp(line, "slot ", 5) != 0)
			(*bad)++;
	}
	fclose(f);
	return (n);
}

static void
t_threads(const char *dir)
{
	char		 path[512], old[512], err[256];
	pthread_t	 thr[NTHR];
	long		 bad = 0, n, dropped;
	int		 i;

	snprintf(path, sizeof(path), "%s/access.log", dir);
	snprintf(old, sizeof(old), "%s/access.log.1", dir);
	out = alog_open_file(path, NTHR, err, sizeof(err));
	if (!ok(out != NULL, "open %s", path)) {
		diag("%s", err);
		return;
	}
	for (i = 0; i < NTHR; i++)
		pthread_create(&thr[i], NULL, writer, (void *)(long)i);
	/* rename+create in the middle of the traffic. */
	usleep(2000);
	rename(path, old);
	alog_reopen(out);
	for (i = 0; i < NTHR; i++)
		pthread_join(thr[i], NULL);
	dropped = (long)alog_dropped(out);
	alog_close(out);
	n = count(path, &bad) + count(old, &bad);
	/* Threads this fast may outrun the disk: those lines are counted. */
	is_int(n + dropped, (long)NTHR * NLINE, "every line written once "
	    "across both files, or counted as dropped");
	ok(n >= NLINE, "most lines reach the file (%ld dropped)", dropped);
	is_int(bad, 0, "no line partial or interleaved");
	unlink(path);
	unlink(old);
}

/*
 * A file that cannot grow past 1000 bytes (RLIMIT_FSIZE: a disk full
 * without root): the write comes back short in the middle of a line, and
 * the file must be cut back to the last whole line, the rest counted.
 */
static void
t_short_write(const char *dir)
{
	struct rlimit	 old, lim;
	char		 path[512], err[256], line[128];
	long		 bad = 0, n, dropped;
	int		 i, len;

	snprintf(path, sizeof(path), "%s/short.log", dir);
	if ((out = alog_open_file(path, 1, err, sizeof(err))) == NULL) {
		ok(0, "open %s: %s", path, err);
		return;
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1000;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 0; i < 100; i++) {
		len = snprintf(line, sizeof(line), "slot 0 line %06d %s", i,
		    "................................................");
		alog_write(out, 0, line, (size_t)len);
	}
	alog_stop(out);
	setrlimit(RLIMIT_FSIZE, &old);
	dropped = (long)alog_dropped(out);
	ok(alog_report(out, err, sizeof(err)) == CONF_LOG_WARNING,
	    "report: %s", err);
	alog_close(out);
	n = count(path, &bad);
	is_int(n, 1000 / 68, "only whole lines that fit");
	is_int(bad, 0, "no fragment of the interrupted line");
	is_int(n + dropped, 100, "the rest counted as dropped");
	unlink(path);
}

static void
t_missing_dir(void)
{
	char err[256];

	ok(alog_open_file("/nonexistent/dir/a.log", 1, err, sizeof(err)) ==
	    NULL, "a path that cannot be created fails");
	is_str(err, "/nonexistent/dir/a.log: No such file or directory",
	    "and says why");
}

static void
t_json(void)
{
	struct alog_rec		r;
	struct sockaddr_in6	cli;
	struct sockaddr_in	srv;
	char			buf[1024];
	int			n;

	alog_rec_init(&r);
	memset(&cli, 0, sizeof(cli));
	cli.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:0:0:1::1", &cli.sin6_addr);
	cli.sin6_port = htons(51234);
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &srv.sin_addr);
	srv.sin_port = htons(80);
	r.cli = (struct sockaddr *)&cli;
	r.srv = (struct sockaddr *)&srv;
	r.begin.tv_sec = 971211336;
	r.begin.tv_nsec = 5000000;
	r.end.tv_sec = 971211337;
	r.end.tv_nsec = 255000000;
	r.listener = (struct alog_str){ "l\"1\\", 4 };
	r.backend = (struct alog_str){ "b\n\x01\xc3\xa9", 5 };
	r.bytes_in = 10;
	r.bytes_out = 20;
	r.end_reason = (struct alog_str){ "ok", 2 };
	n = alog_json_render(&r, buf, sizeof(buf));
	ok(n > 0, "json renders");
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "{\"time\":\"2000-10-10T20:55:36.005Z\","
	    "\"client\":\"2001:db8::1:0:0:1\",\"client_port\":51234,"
	    "\"listener\":\"l\\\"1\\\\\",\"backend\":\"b\\u000a\\u0001"
	    "\\u00c3\\u00a9\",\"server\":\"192.0.2.7:80\",\"bytes_in\":10,"
	    "\"bytes_out\":20,\"duration_ms\":1250,\"end\":\"ok\"}",
	    "json keys, RFC 5952 address, escapes");
	ok(alog_json_render(&r, buf, 40) == -1, "json too long for buf: -1");
}

static void
t_mask(void)
{
	struct sockaddr_in6	s6;
	struct sockaddr_in	s4;
	char			b[ALOG_ADDRSTRLEN];

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:abcd:1234:5678::1", &s6.sin6_addr);
	alog_addr_mask((struct sockaddr *)&s6, 48, 24);
	alog_addr_fmt((struct sockaddr *)&s6, false, b, sizeof(b));
	is_str(b, "2001:db8:abcd::", "IPv6 keeps 48 bits");
	inet_pton(AF_INET6, "2001:db8:abff::1", &s6.sin6_addr);
	alog_addr_mask((struct sockaddr *)&s6, 44, 24);
	alog_addr_fmt((struct sockaddr *)&s6, false, b, sizeof(b));
	is_str(b, "2001:db8:abf0::", "IPv6 keeps 44 bits (mid-group)");
	inet_pton(AF_INET6, "::ffff:198.51.100.77", &s6.sin6_addr);
	alog_addr_mask((struct sockaddr *)&s6, 48, 24);
	alog_addr_fmt((struct sockaddr *)&s6, false, b, sizeof(b));
	is_str(b, "198.51.100.0", "IPv4-mapped uses the IPv4 length");
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.77", &s4.sin_addr);
	alog_addr_mask((struct sockaddr *)&s4, 48, 20);
	alog_addr_fmt((struct sockaddr *)&s4, false, b, sizeof(b));
	is_str(b, "198.51.96.0", "IPv4 keeps 20 bits");
}

int
main(void)
{
	char dir[] = "/tmp/v6f-alog-XXXXXX";

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	t_threads(dir);
	t_short_write(dir);
	t_missing_dir();
	t_json();
	t_mask();
	rmdir(dir);
	return (done_testing());
}
