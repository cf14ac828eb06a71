/*
 * Connections per second through a mode tcp listener: C client threads
 * each open a connection to [::1]:PORT, send a short request, half-close,
 * read the answer to EOF and close, in a loop; a backend thread on
 * 127.0.0.1:BPORT answers each with a short reply.  Used by bench/alog.sh
 * and bench/acl.sh.
 *
 *	connrate serve BPORT
 *	connrate load PORT THREADS SECONDS
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int		port;
static volatile int	stop;

static void *
serve_one(void *arg)
{
	int	fd = (int)(long)arg;
	char	buf[512];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	(void)write(fd, "HTTP/1.0 200 OK\r\n\r\nok\n", 22);
	close(fd);
	return (NULL);
}

static int
serve(int bport)
{
	struct sockaddr_in	sin;
	int			ls, one = 1;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)bport);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 1024) == -1) {
		perror("backend");
		return (1);
	}
	for (;;) {
		pthread_t	t;
		int		fd = accept(ls, NULL, NULL);

		if (fd == -1)
			continue;
		if (pthread_create(&t, NULL, serve_one, (void *)(long)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
}

static void *
load_one(void *arg)
{
	struct sockaddr_in6	sin6;
	unsigned long		*n = arg;
	char			buf[512];
	struct linger		lg = { 1, 0 };

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_addr = in6addr_loopback;
	while (!stop) {
		int fd = socket(AF_INET6, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
			close(fd);
			continue;
		}
		(void)write(fd, "GET / HTTP/1.0\r\n\r\n", 18);
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		/* An RST close keeps the client from running out of ports. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		(*n)++;
	}
	return (NULL);
}

int
main(int argc, char *argv[])
{
	pthread_t	*t;
	unsigned long	*n, total = 0;
	int		 i, nt, secs;

	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return (serve(atoi(argv[2])));
	if (argc != 5 || strcmp(argv[1], "load") != 0) {
		fprintf(stderr, "usage: connrate serve BPORT | "
		    "connrate load PORT THREADS SECONDS\n");
		return (2);
	}
	port = atoi(argv[2]);
	nt = atoi(argv[3]);
	secs = atoi(argv[4]);
	t = calloc((size_t)nt, sizeof(*t));
	n = calloc((size_t)nt, sizeof(*n));
	for (i = 0; i < nt; i++)
		pthread_create(&t[i], NULL, load_one, &n[i]);
	sleep((unsigned)secs);
	stop = 1;
	for (i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		total += n[i];
	}
	printf("%.0f\n", (double)total / secs);
	return (0);
}
