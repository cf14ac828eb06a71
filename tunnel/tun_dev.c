/*
 * Bringing a tunnel up and down: the raw protocol-41 socket, the TUN
 * device, its configuration over rtnetlink, and the data-plane thread's
 * start and stop.  Every failure leaves a message in the caller's buffer
 * and undoes what was done: the device, its addresses and its routes go
 * away with the descriptor.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#define TUN_DEV_PATH	"/dev/net/tun"

uint64_t
tun_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static int
tun_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tun_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;

		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/*
 * Socket buffers of several MiB absorb the bursts a batch of TCP segments
 * makes.  As root the FORCE variants pass net.core.rmem_max; without the
 * privilege the plain ones take what the limit allows.
 */
static void
tun_raw_bufs(int fd)
{
	int n = TUN_SOCKBUF;

#if TUN_SOCKBUF == 0
	return;
#endif
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof(n)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof(n)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
}

static int
tun_raw_open(struct tun *t, const struct conf_tunnel *ct, char *err,
    size_t errlen)
{
	struct sockaddr_in sa;
	int ttl = ct->ttl, pmtu = IP_PMTUDISC_DONT, one = 1;

	/*
	 * Without IP_HDRINCL the kernel writes the outer header: source from
	 * the bind, TTL from IP_TTL, its own IDs, and no DF, because RFC 4213
	 * 3.2 has a fixed-MTU tunnel let IPv4 routers fragment rather than
	 * drop (the kernel sets DF unless told not to).
	 */
	t->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_IPV6);
	if (t->raw_fd == -1)
		return (tun_err(err, errlen, "raw socket for protocol 41: %s",
		    strerror(errno)));
	if (setsockopt(t->raw_fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ==
	    -1)
		return (tun_err(err, errlen, "raw socket: set TTL %d: %s", ttl,
		    strerror(errno)));
	/*
	 * Dynamic PMTU mode (RFC 4213 3.2) sets DF instead, and reads the
	 * ICMPv4 Fragmentation Needed that routers send back, and the
	 * kernel's refusals of packets larger than the path it learnt, from
	 * the socket's error queue.
	 */
	if (ct->pmtu_dynamic) {
		pmtu = IP_PMTUDISC_DO;
		if (setsockopt(t->raw_fd, IPPROTO_IP, IP_RECVERR, &one,
		    sizeof(one)) == -1)
			return (tun_err(err, errlen, "raw socket: IP_RECVERR: "
			    "%s", strerror(errno)));
	}
	if (setsockopt(t->raw_fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
	    sizeof(pmtu)) == -1)
		return (tun_err(err, errlen, "raw socket: %s DF: %s",
		    ct->pmtu_dynamic ? "set" : "clear", strerror(errno)));
	tun_raw_bufs(t->raw_fd);
	/*
	 * Bound, not connected: a connected raw socket would hide protocol 41
	 * from other sources, which tun_decap should see and count.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = ct->local;
	if (bind(t->raw_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		char a[INET_ADDRSTRLEN];

		return (tun_err(err, errlen, "bind raw socket to %s: %s",
		    inet_ntop(AF_INET, &ct->local, a, sizeof(a)),
		    strerror(errno)));
	}
	return (0);
}

static int
tun_dev_create(struct tun *t, char *err, size_t errlen)
{
	struct ifreq ifr;

	t->tun_fd = open(TUN_DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->tun_fd == -1)
		return (tun_err(err, errlen, "open %s: %s", TUN_DEV_PATH,
		    strerror(errno)));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	if (ioctl(t->tun_fd, TUNSETIFF, &ifr) == -1)
		return (tun_err(err, errlen, "create TUN device: %s%s",
		    strerror(errno), errno == EINVAL || errno == EBUSY ?
		    " (a device of that name exists)" : ""));
	/*
	 * The device claims checksum offload and TSO: the kernel's TCP then
	 * hands over super-packets of up to 64 KiB, one read instead of
	 * dozens, which the data plane cuts into MTU-sized segments.  A
	 * kernel that refuses only costs that saving.
	 */
	if (ioctl(t->tun_fd, TUNSETOFFLOAD, TUN_TSO ? TUN_F_CSUM | TUN_F_TSO6 |
	    TUN_F_TSO_ECN : 0) == -1)
		(void)ioctl(t->tun_fd, TUNSETOFFLOAD, 0);
	/*
	 * A persistent device of that name existed and we attached to it:
	 * our addresses and routes would outlive us there.
	 */
	if (ioctl(t->tun_fd, TUNGETIFF, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_PERSIST))
		return (tun_err(err, errlen, "a persistent TUN device of that "
		    "name exists; remove it first"));
	if ((t->ifindex = (int)if_nametoindex(t->ifname)) == 0)
		return (tun_err(err, errlen, "interface index: %s",
		    strerror(errno)));
	return (0);
}

/* One request and its answer; the message says what failed and why. */
static int
tun_dev_nl(struct tun_nl *nl, const void *req, int len, uint32_t seq,
    char *err, size_t errlen, const char *what)
{
	char kmsg[256];

	if (len == -1)
		return (tun_err(err, errlen, "%s: request too long", what));
	if (tun_nl_call(nl, req, (size_t)len, seq, kmsg, sizeof(kmsg)) == 0)
		return (0);
	if (kmsg[0] != '\0')
		return (tun_err(err, errlen, "%s: %s (%s)", what,
		    strerror(errno), kmsg));
	return (tun_err(err, errlen, "%s: %s", what, strerror(errno)));
}

static int
tun_dev_route(struct tun *t, struct tun_nl *nl, const uint8_t *dst,
    uint8_t plen, char *err, size_t errlen)
{
	union {
		struct nlmsghdr	 nh;
		/* cppcheck-suppress unusedStructMember ; sizes the buffer */
		uint8_t		 b[512];
	} req;
	char what[160], d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	uint32_t seq = nl->seq++;

	(void)snprintf(what, sizeof(what), "add route %s/%u via %s",
	    inet_ntop(AF_INET6, dst, d, sizeof(d)), plen,
	    inet_ntop(AF_INET6, t->cx.peer, g, sizeof(g)));
	return (tun_dev_nl(nl, &req, tun_nl_route_msg(&req, sizeof(req), seq,
	    t->ifindex, dst, plen, t->cx.peer), seq, err, errlen, what));
}

static int
tun_dev_addr(struct tun *t, struct tun_nl *nl, const uint8_t *addr,
    uint8_t plen, char *err, size_t errlen)
{
	union {
		struct nlmsghdr	 nh;
		/* cppcheck-suppress unusedStructMember ; sizes the buffer */
		uint8_t		 b[512];
	} req;
	char what[160], a[INET6_ADDRSTRLEN];
	uint32_t seq = nl->seq++;

	(void)snprintf(what, sizeof(what), "add address %s/%u",
	    inet_ntop(AF_INET6, addr, a, sizeof(a)), plen);
	return (tun_dev_nl(nl, &req, tun_nl_addr_msg(&req, sizeof(req), seq,
	    t->ifindex, addr, plen), seq, err, errlen, what));
}

static int
tun_dev_config(struct tun *t, const struct conf_tunnel *ct, char *err,
    size_t errlen)
{
	static const uint8_t any[16];
	union {
		struct nlmsghdr	 nh;
		/* cppcheck-suppress unusedStructMember ; sizes the buffer */
		uint8_t		 b[512];
	} req;
	struct tun_nl nl;
	char what[64];
	uint32_t seq;
	size_t i;
	int rc = -1;

	if (tun_nl_open(&nl, err, errlen) == -1)
		return (-1);
	seq = nl.seq++;
	(void)snprintf(what, sizeof(what), "set MTU %d", ct->mtu);
	if (tun_dev_nl(&nl, &req, tun_nl_mtu_msg(&req, sizeof(req), seq,
	    t->ifindex, (uint32_t)ct->mtu), seq, err, errlen, what) == -1)
		goto done;
	/*
	 * The kernel queues packets for us to read; its default of 500 is
	 * a few milliseconds of a busy link, and a full queue drops.
	 */
	seq = nl.seq++;
	(void)snprintf(what, sizeof(what), "set txqueuelen %d", TUN_TXQLEN);
	if (tun_dev_nl(&nl, &req, tun_nl_txqlen_msg(&req, sizeof(req), seq,
	    t->ifindex, TUN_TXQLEN), seq, err, errlen, what) == -1)
		goto done;
	/*
	 * Without this the kernel gives a TUN a random link-local of its own
	 * and probes it with DAD.  Kernels too old to switch it off only
	 * leave a second link-local on the link: harmless, so not an error.
	 */
	seq = nl.seq++;
	(void)tun_dev_nl(&nl, &req, tun_nl_nogen_msg(&req, sizeof(req), seq,
	    t->ifindex), seq, NULL, 0, "no kernel link-local");
	seq = nl.seq++;
	if (tun_dev_nl(&nl, &req, tun_nl_up_msg(&req, sizeof(req), seq,
	    t->ifindex), seq, err, errlen, "set link up") == -1)
		goto done;
	if (tun_dev_addr(t, &nl, t->cx.lladdr, 64, err, errlen) == -1 ||
	    tun_dev_addr(t, &nl, t->cx.addr, t->cx.plen, err, errlen) == -1)
		goto done;
	if (ct->default_route &&
	    tun_dev_route(t, &nl, any, 0, err, errlen) == -1)
		goto done;
	/*
	 * The broker routes the client's prefixes into the tunnel.  On the
	 * client they live behind it (a LAN, a dummy device): routing them
	 * back into the tunnel would make a loop.
	 */
	for (i = 0; ct->role == CONF_TUN_BROKER && i < t->cx.nroutes; i++)
		if (tun_dev_route(t, &nl, t->cx.routes[i].addr,
		    t->cx.routes[i].plen, err, errlen) == -1)
			goto done;
	rc = 0;
 done:
	tun_nl_close(&nl);
	return (rc);
}

static void
tun_dp_setup(struct tun *t)
{
	unsigned i;

	for (i = 0; i < TUN_BATCH; i++) {
		t->rx_iov[i].iov_base = t->rx_buf + (size_t)i * TUN_BUF_LEN;
		t->rx_iov[i].iov_len = TUN_BUF_LEN;
		t->rx_msg[i].msg_hdr.msg_iov = &t->rx_iov[i];
		t->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < TUN_TX_SLOTS; i++) {
		t->tx_iov[i].iov_base = t->tx_buf + (size_t)i * TUN_SLOT_LEN;
		t->tx_msg[i].msg_hdr.msg_iov = &t->tx_iov[i];
		t->tx_msg[i].msg_hdr.msg_iovlen = 1;
		t->tx_msg[i].msg_hdr.msg_name = &t->remote_sa;
		t->tx_msg[i].msg_hdr.msg_namelen = sizeof(t->remote_sa);
	}
}

int
tun_open(struct tun **tp, const struct conf_tunnel *ct, char *err,
    size_t errlen)
{
	struct tun *t;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (tun_err(err, errlen, "out of memory"));
	t->tun_fd = t->raw_fd = t->wake_fd = -1;
	if (tun_ctx_init(&t->cx, ct, err, errlen) == -1)
		goto fail;
	(void)snprintf(t->ifname, sizeof(t->ifname), "%s", ct->interface);
	t->remote_sa.sin_family = AF_INET;
	t->remote_sa.sin_addr = ct->remote;
	(void)inet_ntop(AF_INET, &ct->remote, t->remote_str,
	    sizeof(t->remote_str));
	t->echo_ns = ct->echo_interval * 1000000;
	t->mtu = t->mtu_cfg = (uint32_t)ct->mtu;
	t->st.mtu = t->mtu;
	t->pmtu_dynamic = ct->pmtu_dynamic;
	/* Only tells our echoes' replies from those to ping(8) on the host. */
	t->echo_id = (uint16_t)(getpid() ^ 0x6f36);
	/* Preallocated once: the data plane never allocates. */
	t->rx_buf = malloc((size_t)TUN_BATCH * TUN_BUF_LEN);
	t->tx_buf = malloc((size_t)TUN_TX_SLOTS * TUN_SLOT_LEN);
	t->rd_buf = malloc(TUN_BUF_LEN);
	if (t->rx_buf == NULL || t->tx_buf == NULL || t->rd_buf == NULL) {
		tun_err(err, errlen, "out of memory");
		goto fail;
	}
	tun_dp_setup(t);
	if ((t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		tun_err(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (tun_raw_open(t, ct, err, errlen) == -1 ||
	    tun_dev_create(t, err, errlen) == -1 ||
	    tun_dev_config(t, ct, err, errlen) == -1)
		goto fail;
	if (ct->update != NULL && tun_update_new(&t->upd, ct->update,
	    t->ifname, err, errlen) == -1)
		goto fail;
	*tp = t;
	return (0);
 fail:
	tun_close(t);
	return (-1);
}

int
tun_start(struct tun *t, tun_event_fn *fn, void *arg, char *err,
    size_t errlen)
{
	sigset_t all, old;
	int rc;

	if (t->started)
		return (tun_err(err, errlen, "data plane already started"));
	t->ev_fn = fn;
	t->ev_arg = arg;
	tun_live_init(&t->live, t->echo_ns, tun_now_ns());
	/* Signals belong to the daemon's main thread, never to this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->thr, NULL, tun_dp_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return (tun_err(err, errlen, "data plane thread: %s",
		    strerror(rc)));
	t->started = true;
	if (t->upd != NULL && tun_update_start(t->upd, fn, arg, err,
	    errlen) == -1)
		return (-1);
	return (0);
}

void
tun_close(struct tun *t)
{
	uint64_t one = 1;

	if (t == NULL)
		return;
	tun_update_free(t->upd);
	if (t->started) {
		__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
		while (write(t->wake_fd, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
		pthread_join(t->thr, NULL);
	}
	if (t->tun_fd != -1)
		close(t->tun_fd);
	if (t->raw_fd != -1)
		close(t->raw_fd);
	if (t->wake_fd != -1)
		close(t->wake_fd);
	free(t->rx_buf);
	free(t->tx_buf);
	free(t->rd_buf);
	free(t);
}

void
tun_stats_get(const struct tun *t, struct tun_stats *st)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	tun_stats_read(st, &t->st);
	/*
	 * What a full receive buffer cost: the kernel's own count, asked
	 * for when wanted rather than stamped on every datagram received.
	 */
	if (t->raw_fd != -1 && getsockopt(t->raw_fd, SOL_SOCKET, SO_MEMINFO,
	    mi, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(mi[0]))
		st->rx_overflow = mi[SK_MEMINFO_DROPS];
}

enum tun_state
tun_state_get(const struct tun *t)
{
	return ((enum tun_state)__atomic_load_n(&t->state, __ATOMIC_RELAXED));
}

const char *
tun_ifname(const struct tun *t)
{
	return (t->ifname);
}
