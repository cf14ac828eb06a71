/* netcli: see netcli.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcli.h"

struct sockaddr_storage	dst;
socklen_t		dstlen;
int			first_err;
volatile sig_atomic_t	stop;

void
die(const char *what)
{
	perror(what);
	exit(1);
}

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

void
resolve(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    host, gai_strerror(e));
		exit(2);
	}
	memcpy(&dst, res->ai_addr, res->ai_addrlen);
	dstlen = res->ai_addrlen;
	freeaddrinfo(res);
}

void
conn_fail(int err)
{
	if (first_err == 0)
		first_err = err;
}

int
conn_start(void)
{
	int fd, one = 1;

	fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		conn_fail(errno);
		return (-1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&dst, dstlen) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(errno);
		close(fd);
		return (-1);
	}
	return (fd);
}

int
conn_failed(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0)
		conn_fail(err);
	return (err != 0);
}

const char *
first_err_str(void)
{
	return (first_err ? strerror(first_err) : "none");
}

void
ep_add(int ep, int fd, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
}

int
ep_wait(int ep, struct epoll_event *evs, int max, int ms)
{
	int n;

	if ((n = epoll_wait(ep, evs, max, ms)) == -1 && errno != EINTR)
		die("epoll_wait");
	return (n);
}

void
hold(double secs)
{
	double end = now() + secs;

	while (!stop && now() < end)
		poll(NULL, 0, 100);
}
