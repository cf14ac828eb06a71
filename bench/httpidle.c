/*
 * httpidle: the idle-connection client of bench/http.sh.
 *
 *   httpidle ADDR PORT N SECS
 *	Open N connections to ADDR:PORT, send one keep-alive
 *	"GET / HTTP/1.1" on each and read the whole response (Content-Length
 *	framed), then keep every connection open and silent. Prints
 *	"open=N done=D errors=E first_error=".." once all responses are in (or
 *	no progress for 5 s), then holds until SIGTERM or SECS pass.
 *
 * At most 64 connections are in flight (connecting or awaiting the
 * response), so the proxy's accept queue never overflows into SYN
 * retransmits. Every socket gets TCP_NODELAY. It dies with its parent
 * (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcli.h"

#define INFLIGHT	64
#define RESP_MAX	4096

static const char REQ[] = "GET / HTTP/1.1\r\nHost: bench\r\n"
    "User-Agent: httpidle\r\n\r\n";

struct conn {
	int	state;		/* 0 connecting, 1 awaiting response, 2 idle */
	size_t	len;
	char	buf[RESP_MAX];
};

/* Returns whether buf holds a complete response with Content-Length. */
static int
resp_done(struct conn *c)
{
	char *end, *cl;
	size_t hlen;

	c->buf[c->len] = '\0';
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return (0);
	hlen = end + 4 - c->buf;
	if ((cl = strcasestr(c->buf, "\r\ncontent-length:")) == NULL ||
	    cl > end)
		return (1);
	return (c->len >= hlen + strtoul(cl + 17, NULL, 10));
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct conn **conns;
	double last;
	long count, started = 0, done = 0, errors = 0;
	int ep, fd, i, n, e, inflight = 0, maxfd = 1 << 20;
	ssize_t r;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (argc != 5) {
		fprintf(stderr, "usage: httpidle ADDR PORT N SECS\n");
		return (2);
	}
	resolve(argv[1], argv[2]);
	count = atol(argv[3]);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if ((conns = calloc(maxfd, sizeof(*conns))) == NULL)
		die("calloc");
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");

	last = now();
	while (!stop && done + errors < count) {
		while (inflight < INFLIGHT && started < count) {
			started++;
			if ((fd = conn_start()) == -1) {
				errors++;
				continue;
			}
			if (fd >= maxfd) {
				conn_fail(EMFILE);
				errors++;
				close(fd);
				continue;
			}
			if ((conns[fd] = calloc(1, sizeof(struct conn))) == NULL)
				die("calloc");
			ep_add(ep, fd, EPOLLOUT);
			inflight++;
		}
		n = ep_wait(ep, evs, 256, 500);
		if (n <= 0) {
			if (now() - last < 5)
				continue;
			fprintf(stderr, "httpidle: stuck with %d in flight, "
			    "%ld done\n", inflight, done);
			break;
		}
		last = now();
		for (i = 0; i < n; i++) {
			struct conn *c = conns[fd = evs[i].data.fd];

			if (c->state == 0) {
				/* A failed connect keeps its own reason. */
				e = 0;
				if (conn_failed(fd) || write(fd, REQ,
				    sizeof(REQ) - 1) != (ssize_t)sizeof(REQ) - 1)
					goto bad;
				c->state = 1;
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				continue;
			}
			r = read(fd, c->buf + c->len, RESP_MAX - 1 - c->len);
			if (r == -1 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				e = r == 0 ? ECONNRESET : errno;
				goto bad;
			}
			c->len += r;
			if (!resp_done(c))
				continue;
			if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0) {
				e = EPROTO;
				goto bad;
			}
			/* Held: no more events wanted on it, buffer freed. */
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			free(c);
			conns[fd] = NULL;
			inflight--;
			done++;
			continue;
bad:
			conn_fail(e ? e : errno);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			free(c);
			conns[fd] = NULL;
			inflight--;
			errors++;
		}
	}
	printf("open=%ld done=%ld errors=%ld first_error=\"%s\"\n", started,
	    done, errors, first_err_str());
	fflush(stdout);

	hold(atof(argv[4]));
	return (0);
}
