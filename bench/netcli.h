/*
 * netcli: what the load clients of the bench drivers share (connload for
 * tcp.sh, httpidle for http.sh), compiled into each: one destination,
 * non-blocking connects with TCP_NODELAY, the first error kept for the
 * report, a monotonic clock and a flag for SIGTERM.
 */
#ifndef V6F_BENCH_NETCLI_H
#define V6F_BENCH_NETCLI_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

extern struct sockaddr_storage	dst;		/* set by resolve() */
extern socklen_t		dstlen;
extern int			first_err;	/* errno of the first failure */
extern volatile sig_atomic_t	stop;		/* set by on_term() */

/* perror(what), then exit(1). */
void		die(const char *what);
/* Seconds on the monotonic clock. */
double		now(void);
/* A handler for SIGTERM and SIGINT: sets stop. */
void		on_term(int sig);
/* Sets dst from numeric host and port; exits 2 when they are not. */
void		resolve(const char *host, const char *port);
/* Keeps err as first_err unless one is kept already. */
void		conn_fail(int err);
/* Starts a non-blocking connect to dst; returns the fd or -1. */
int		conn_start(void);
/* Returns whether the connect on fd failed (keeping the reason). */
int		conn_failed(int fd);
/* first_err as text, "none" without one. */
const char	*first_err_str(void);
/* Adds fd to the epoll set ep for events, fd as its data; dies on error. */
void		ep_add(int ep, int fd, uint32_t events);
/* epoll_wait; dies on an error, returns -1 for a signal. */
int		ep_wait(int ep, struct epoll_event *evs, int max, int ms);
/* Returns after secs seconds, or sooner once stop is set. */
void		hold(double secs);

#endif
