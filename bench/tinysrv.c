/*
 * tinysrv: the IPv4 backend behind the proxy in bench/tcp.sh.
 *
 *   tinysrv close PORT        read a request line, answer "OK\n", close
 *   tinysrv resp PORT SIZE    answer every request byte with SIZE bytes,
 *                             on the same connection, until the peer closes
 *
 * One epoll thread listening on 127.0.0.1:PORT. It prints "ready" once it
 * listens. (The idle test's backend is connload itself.)
 *
 * It dies with its parent (PR_SET_PDEATHSIG).
 *
 * TCP_NODELAY is set on every accepted socket: a stall that shows up in the
 * numbers then comes from the proxy, not from the backend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum mode { M_CLOSE, M_RESP };

struct conn {
	size_t	owed;	/* resp mode: bytes still to send */
	size_t	off;	/* resp mode: offset into the reply buffer */
	int	want_out;
};

static enum mode	 mode;
static size_t		 resp_size;
static char		*resp_buf;
static struct conn	*conns;
static int		 nconns_max;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
conn_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void
set_events(int ep, int fd, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.fd = fd };

	conns[fd].want_out = out;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Sends what the connection owes; returns -1 when it must be closed. */
static int
resp_flush(int ep, int fd)
{
	struct conn *c = &conns[fd];

	while (c->owed > 0) {
		size_t n = resp_size - c->off;
		ssize_t w;

		if (n > c->owed)
			n = c->owed;
		w = send(fd, resp_buf + c->off, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EAGAIN)
				break;
			return (-1);
		}
		c->owed -= w;
		c->off = (c->off + w) % resp_size;
	}
	if ((c->owed > 0) != c->want_out)
		set_events(ep, fd, c->owed > 0);
	return (0);
}

static void
on_readable(int ep, int fd)
{
	char buf[65536];
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r == -1 && errno != EAGAIN)) {
			conn_close(ep, fd);
			return;
		}
		if (r == -1)
			return;
		switch (mode) {
		case M_CLOSE:
			if (memchr(buf, '\n', r) != NULL) {
				send(fd, "OK\n", 3, MSG_NOSIGNAL);
				conn_close(ep, fd);
				return;
			}
			break;
		case M_RESP:
			conns[fd].owed += (size_t)r * resp_size;
			if (resp_flush(ep, fd) == -1) {
				conn_close(ep, fd);
				return;
			}
			break;
		}
	}
}

static void
on_accept(int ep, int lfd)
{
	struct epoll_event ev;
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		if (fd >= nconns_max) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(&conns[fd], 0, sizeof(conns[fd]));
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			die("epoll_ctl");
	}
	if (errno != EAGAIN && errno != ECONNABORTED && errno != EMFILE &&
	    errno != ENFILE)
		die("accept");
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, i, n;

	if (argc < 3) {
		fprintf(stderr, "usage: tinysrv close PORT | resp PORT SIZE\n");
		return (2);
	}
	if (strcmp(argv[1], "close") == 0)
		mode = M_CLOSE;
	else if (strcmp(argv[1], "resp") == 0 && argc > 3) {
		mode = M_RESP;
		resp_size = strtoul(argv[3], NULL, 10);
		if (resp_size == 0 || (resp_buf = malloc(resp_size)) == NULL)
			die("resp size");
		memset(resp_buf, 'x', resp_size);
	} else {
		fprintf(stderr, "tinysrv: bad mode %s\n", argv[1]);
		return (2);
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	nconns_max = 70000;
	if ((conns = calloc(nconns_max, sizeof(*conns))) == NULL)
		die("calloc");

	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(lfd, 65535) == -1)
		die("listen");
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");

	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n == -1 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd)
				on_accept(ep, lfd);
			else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(ep, fd);
			else if (evs[i].events & EPOLLOUT) {
				if (resp_flush(ep, fd) == -1)
					conn_close(ep, fd);
			}
		}
	}
}
