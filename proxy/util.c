/*
 * Small helpers shared by the proxy's files.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>

#include "proxy/proxy.h"

uint64_t
px_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

uint64_t
px_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

struct timeval
px_ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return (tv);
}

int
px_sock_tune(int fd)
{
	int one = 1;

	/*
	 * A relay forwards what it has at once; Nagle would hold the tail of
	 * each response until the peer's delayed ACK (tens of ms per reply).
	 */
	return (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
}
