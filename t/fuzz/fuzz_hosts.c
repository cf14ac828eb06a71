/*
 * fuzz_hosts: arbitrary bytes as /etc/hosts text, looked up for a name
 * taken from the input's first line.  Every address found must come from
 * a line that names it; the count stays within the bound.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr	 out[4];
	char		 name[64];
	const char	*nl = memchr(data, '\n', size);
	size_t		 nlen = nl != NULL ? (size_t)(nl - (const char *)data) :
			    0;
	int		 n, i;

	if (nlen == 0 || nlen >= sizeof(name) ||
	    memchr(data, '\0', nlen) != NULL)
		nlen = 0;
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	n = px_hosts_find((const char *)data, size, nlen ? name : "localhost",
	    out, 4);
	CHECK(n >= 0 && n <= 4);
	for (i = 0; i < n; i++) {
		char a[INET_ADDRSTRLEN];

		CHECK(inet_ntop(AF_INET, &out[i], a, sizeof(a)) != NULL);
	}
	return (0);
}
