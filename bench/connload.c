/*
 * connload: the client side of bench/tcp.sh.
 *
 *   connload rate ADDR PORT SECS CONC
 *	For SECS seconds keep CONC connections in flight; each one connects,
 *	sends "GET\n", reads until EOF and closes. Prints
 *	"conns=N errors=E secs=S rate=R".
 *   connload pingpong ADDR PORT SECS SIZE MAX
 *	One connection: send one byte, read SIZE bytes, repeat until MAX
 *	responses or SECS seconds. Prints "resps=N secs=S rate=R mean_us=..
 *	p50_us=.. p99_us=.. max_us=..".
 *   connload idle ADDR PORT BPORT N SECS
 *	Be the backend on 127.0.0.1:BPORT too; open N connections through the
 *	proxy, print "open=N held=H errors=E" once the backend holds them,
 *	then keep both sides silent until SIGTERM arrives or SECS pass.
 *
 * Every mode dies with its parent (PR_SET_PDEATHSIG), so an interrupted
 * driver leaves no client behind.
 *
 * ADDR is numeric, IPv6 or IPv4. Every socket gets TCP_NODELAY, so a
 * delayed-ACK stall in the numbers belongs to the proxy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcli.h"

/* rate mode: per-fd state, 0 = connecting, 1 = reading the reply. */
static unsigned char	*state;

static int
rate_open(int ep, long *errors)
{
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		if ((fd = conn_start()) == -1) {
			(*errors)++;
			continue;
		}
		state[fd] = 0;
		ep_add(ep, fd, EPOLLOUT);
		return (0);
	}
	return (-1);
}

static int
run_rate(double secs, int conc)
{
	struct epoll_event ev, evs[512];
	long done = 0, errors = 0;
	double t0, end, t1;
	int ep, i, n, inflight = 0;
	char buf[4096];

	if ((state = calloc(1 << 20, 1)) == NULL)
		die("calloc");
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	t0 = now();
	end = t0 + secs;
	for (i = 0; i < conc; i++)
		if (rate_open(ep, &errors) == 0)
			inflight++;
	while (inflight > 0) {
		n = ep_wait(ep, evs, 512, 1000);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, finished = 0, failed = 0;

			if (state[fd] == 0) {
				if (conn_failed(fd) ||
				    send(fd, "GET\n", 4, MSG_NOSIGNAL) != 4)
					failed = 1;
				else {
					state[fd] = 1;
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				}
			} else {
				for (;;) {
					ssize_t r = recv(fd, buf, sizeof(buf), 0);

					if (r > 0)
						continue;
					if (r == 0)
						finished = 1;
					else if (errno != EAGAIN) {
						conn_fail(errno);
						failed = 1;
					}
					break;
				}
			}
			if (!finished && !failed)
				continue;
			close(fd);	/* also removes it from epoll */
			inflight--;
			if (finished)
				done++;
			else
				errors++;
			if (now() < end && rate_open(ep, &errors) == 0)
				inflight++;
		}
		if (now() > end + 10) {
			fprintf(stderr, "connload: %d connections stuck\n",
			    inflight);
			break;
		}
	}
	t1 = now();
	printf("conns=%ld errors=%ld secs=%.3f rate=%.1f first_error=\"%s\"\n",
	    done, errors, t1 - t0, done / (t1 - t0), first_err_str());
	return (0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static int
run_pingpong(double secs, size_t size, long max)
{
	double *lat, t0, t, end, sum = 0;
	long n = 0;
	char *buf;
	int fd, one = 1;

	if ((lat = calloc(max, sizeof(*lat))) == NULL ||
	    (buf = malloc(size)) == NULL)
		die("calloc");
	if ((fd = socket(dst.ss_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&dst, dstlen) == -1)
		die("connect");
	t0 = now();
	end = t0 + secs;
	while (n < max) {
		size_t got = 0;

		t = now();
		if (t >= end)
			break;
		if (send(fd, "r", 1, MSG_NOSIGNAL) != 1)
			die("send");
		while (got < size) {
			ssize_t r = recv(fd, buf, size - got, 0);

			if (r <= 0) {
				fprintf(stderr, "connload: %s after %ld "
				    "responses\n", r == 0 ? "EOF" :
				    strerror(errno), n);
				exit(1);
			}
			got += r;
		}
		lat[n] = now() - t;
		sum += lat[n];
		n++;
	}
	t = now();
	close(fd);
	if (n == 0) {
		fprintf(stderr, "connload: no response\n");
		return (1);
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("resps=%ld secs=%.3f rate=%.1f mean_us=%.1f p50_us=%.1f "
	    "p99_us=%.1f max_us=%.1f\n", n, t - t0, n / (t - t0),
	    sum / n * 1e6, lat[n / 2] * 1e6, lat[(long)(n * 0.99)] * 1e6,
	    lat[n - 1] * 1e6);
	return (0);
}

/* A listening socket on 127.0.0.1:PORT, non-blocking. */
static int
listen_v4(const char *port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(fd, 65535) == -1)
		die("listen");
	return (fd);
}

/*
 * idle mode is the client and the backend at once, so it knows when the
 * proxy has opened the backend side of a connection. At most 64
 * connections are allowed past the client's connect() but not yet through
 * to the backend: that bounds the proxy's accept queue (6tunnel listens
 * with a backlog of 100), and an overflowing queue drops SYNs that cost a
 * one-second retransmit each. A proxy that does not connect to the backend
 * until the client speaks stops the pacing after 2 s without progress; the
 * count printed then says how many were held end to end.
 *
 * A failed connect is retried, up to COUNT failures in all.
 */
static int
run_idle(const char *bport, long count, double secs)
{
	struct epoll_event evs[256];
	double last = now();
	long open = 0, held = 0, errors = 0;
	int ep, lfd, i, n, inflight = 0, fd, pace = 1;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	lfd = listen_v4(bport);
	ep_add(ep, lfd, EPOLLIN);
	while (!stop && (open < count || held < open) && errors < count) {
		while (inflight < 64 && open + inflight < count &&
		    (!pace || open + inflight - held < 64) && errors < count) {
			if ((fd = conn_start()) == -1) {
				errors++;
				continue;
			}
			ep_add(ep, fd, EPOLLOUT);
			inflight++;
		}
		n = ep_wait(ep, evs, 256, 500);
		if (n <= 0) {
			if (now() - last < 2)
				continue;
			if (pace && held < open) {
				pace = 0;
				last = now();
				continue;
			}
			fprintf(stderr, "connload: stuck with %d connects "
			    "pending, %ld of %ld held\n", inflight, held, open);
			break;
		}
		last = now();
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while (accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK) != -1)
					held++;
				continue;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			if (conn_failed(fd)) {
				close(fd);
				errors++;
			} else
				open++;
		}
	}
	printf("open=%ld held=%ld errors=%ld first_error=\"%s\"\n", open,
	    held, errors, first_err_str());

	hold(secs);
	return (0);
}

int
main(int argc, char **argv)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 6 && strcmp(argv[1], "rate") == 0) {
		resolve(argv[2], argv[3]);
		return (run_rate(atof(argv[4]), atoi(argv[5])));
	}
	if (argc >= 7 && strcmp(argv[1], "pingpong") == 0) {
		resolve(argv[2], argv[3]);
		return (run_pingpong(atof(argv[4]), strtoul(argv[5], NULL, 10),
		    atol(argv[6])));
	}
	if (argc >= 7 && strcmp(argv[1], "idle") == 0) {
		resolve(argv[2], argv[3]);
		return (run_idle(argv[4], atol(argv[5]), atof(argv[6])));
	}
	fprintf(stderr, "usage: connload rate ADDR PORT SECS CONC\n"
	    "       connload pingpong ADDR PORT SECS SIZE MAX\n"
	    "       connload idle ADDR PORT BPORT N SECS\n");
	return (2);
}
