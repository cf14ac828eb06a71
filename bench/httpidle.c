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
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT	64
#define RESP_MAX	4096

static const char REQ[] = "GET / HTTP/1.1\r\nHost: bench\r\n"
    "User-Agent: httpidle\r\n\r\n";

struct conn {
	int	state;		/* 0 connecting, 1 awaiting response, 2 idle */
	size_t	len;
	char	buf[RESP_MAX];
};

static struct sockaddr_storage	dst;
static socklen_t		dstlen;
static int			first_err;
static volatile sig_atomic_t	stop;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
fail(int err)
{
	if (first_err == 0)
		first_err = err;
}

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
	struct addrinfo hints, *res;
	struct epoll_event ev, evs[256];
	struct conn **conns;
	double last, end;
	long count, started = 0, done = 0, errors = 0;
	int ep, fd, i, n, e, inflight = 0, one = 1, maxfd = 1 << 20;
	socklen_t elen;
	ssize_t r;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (argc != 5) {
		fprintf(stderr, "usage: httpidle ADDR PORT N SECS\n");
		return (2);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(argv[1], argv[2], &hints, &res)) != 0) {
		fprintf(stderr, "httpidle: %s: %s\n", argv[1], gai_strerror(e));
		return (2);
	}
	memcpy(&dst, res->ai_addr, res->ai_addrlen);
	dstlen = res->ai_addrlen;
	freeaddrinfo(res);
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
			fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK,
			    0);
			if (fd == -1 || fd >= maxfd) {
				fail(errno);
				errors++;
				if (fd != -1)
					close(fd);
				continue;
			}
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			if (connect(fd, (struct sockaddr *)&dst, dstlen) == -1 &&
			    errno != EINPROGRESS) {
				fail(errno);
				errors++;
				close(fd);
				continue;
			}
			if ((conns[fd] = calloc(1, sizeof(struct conn))) == NULL)
				die("calloc");
			ev.events = EPOLLOUT;
			ev.data.fd = fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
				die("epoll_ctl");
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 500);
		if (n == -1 && errno != EINTR)
			die("epoll_wait");
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
				e = 0;
				elen = sizeof(e);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen);
				if (e != 0 || write(fd, REQ, sizeof(REQ) - 1) !=
				    (ssize_t)sizeof(REQ) - 1)
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
			fail(e ? e : errno);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			free(c);
			conns[fd] = NULL;
			inflight--;
			errors++;
		}
	}
	printf("open=%ld done=%ld errors=%ld first_error=\"%s\"\n", started,
	    done, errors, first_err ? strerror(first_err) : "none");
	fflush(stdout);

	end = now() + atof(argv[4]);
	while (!stop && now() < end)
		poll(NULL, 0, 100);
	return (0);
}
