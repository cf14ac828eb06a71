/*
 * The data plane: one thread between the TUN device and the raw protocol-41
 * socket.  From the socket, batches of datagrams (recvmmsg) go through
 * tun_decap; the accepted inner packets are written to the TUN one by one,
 * except our echo replies and the Neighbour Solicitations answered here.
 * From the TUN, packets are read until a batch is full or the queue is
 * empty, then sent with one sendmmsg; the kernel adds the outer header.
 * Buffers are preallocated by tun_open: nothing is allocated per packet.
 */
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

static void
tun_dp_event(struct tun *t, const struct tun_event *ev)
{
	struct tun_event e = *ev;

	e.ifname = t->ifname;
	if (t->ev_fn != NULL)
		t->ev_fn(&e, t->ev_arg);
}

static void
tun_dp_error(struct tun *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reports an error, at most one per TUN_ERR_EVERY_MS: a broken route to
 * the remote fails every packet, and the owner's log must not drown.
 */
static void
tun_dp_error(struct tun *t, const char *fmt, ...)
{
	struct tun_event ev;
	char msg[256];
	uint64_t now = tun_now_ns();
	va_list ap;

	if (t->err_last_ns != 0 &&
	    now - t->err_last_ns < (uint64_t)TUN_ERR_EVERY_MS * 1000000) {
		t->err_suppressed++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.kind = TUN_EV_ERROR;
	ev.msg = msg;
	ev.suppressed = t->err_suppressed;
	t->err_last_ns = now;
	t->err_suppressed = 0;
	tun_dp_event(t, &ev);
}

static void
tun_dp_state(struct tun *t, int kind, uint64_t rtt_ns)
{
	struct tun_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = (enum tun_ev_kind)kind;
	ev.rtt_ns = rtt_ns;
	ev.missed = t->live.missed;
	__atomic_store_n(&t->state, (int)t->live.state, __ATOMIC_RELAXED);
	tun_dp_event(t, &ev);
}

/* Sends one packet we made (an echo, an NA) into the tunnel at once. */
static int
tun_dp_send_ctl(struct tun *t, size_t len)
{
	if (sendto(t->raw_fd, t->ctl, len, MSG_DONTWAIT,
	    (struct sockaddr *)&t->remote_sa, sizeof(t->remote_sa)) == -1) {
		tun_stat_add(&t->st.tx_errors, 1);
		tun_dp_error(t, "send to %s: %s", t->remote_str,
		    strerror(errno));
		return (-1);
	}
	tun_stats_tx(&t->st, len);
	return (0);
}

static void
tun_dp_echo(struct tun *t, uint64_t now)
{
	uint16_t seq;
	int ev, len;

	if (tun_live_due(&t->live, now, &seq, &ev) == 0)
		return;
	if (ev != 0)
		tun_dp_state(t, ev, 0);
	/*
	 * Straight to the remote, not through the TUN: the kernel would
	 * take it for a stray reply to nobody's ping and the host's own
	 * firewall could drop it.
	 */
	len = tun_echo_req(&t->cx, t->ctl, sizeof(t->ctl), t->echo_id, seq,
	    now);
	if (len > 0 && tun_dp_send_ctl(t, (size_t)len) == 0)
		tun_stats_echo_tx(&t->st);
}

/* One datagram from the raw socket, len bytes at buf. */
static void
tun_dp_rx_one(struct tun *t, const uint8_t *buf, size_t len, uint64_t now)
{
	struct tun_pkt p;
	const uint8_t *in;
	uint64_t rtt;
	uint16_t seq;
	int r;

	r = tun_decap(&t->cx, &p, buf, len);
	tun_stats_rx(&t->st, &p);
	if (r == -1)
		return;
	in = buf + p.off;
	if (p.proto == TUN_PROTO_ICMP6 && p.icmp6_type == TUN_ICMP6_ECHO_REP &&
	    tun_echo_rtt(&t->cx, in, p.len, t->echo_id, now, &seq, &rtt) == 0) {
		/* Our own: the kernel has no socket waiting for it. */
		if ((r = tun_live_reply(&t->live, seq)) == -1)
			return;
		tun_stats_echo_rx(&t->st, rtt);
		if (r != 0)
			tun_dp_state(t, r, rtt);
		return;
	}
	if (p.proto == TUN_PROTO_ICMP6 && p.icmp6_type == TUN_ICMP6_NS &&
	    (r = tun_nd_answer(&t->cx, in, p.len, t->ctl, sizeof(t->ctl))) >
	    0) {
		if (tun_dp_send_ctl(t, (size_t)r) == 0)
			tun_stat_add(&t->st.nd_answered, 1);
		return;
	}
	if (t->tun_dead) {
		tun_stat_add(&t->st.rx_errors, 1);
		return;
	}
	while (write(t->tun_fd, in, p.len) == -1) {
		if (errno == EINTR)
			continue;
		tun_stat_add(&t->st.rx_errors, 1);
		tun_dp_error(t, "write to %s: %s", t->ifname, strerror(errno));
		return;
	}
}

/* Drains the raw socket, a bounded number of batches at a time. */
static void
tun_dp_rx(struct tun *t)
{
	uint64_t now;
	unsigned round, i;
	int n;

	for (round = 0; round < TUN_RX_ROUNDS; round++) {
		n = recvmmsg(t->raw_fd, t->rx_msg, TUN_BATCH, MSG_DONTWAIT,
		    NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tun_dp_error(t, "receive: %s",
				    strerror(errno));
			return;
		}
		now = tun_now_ns();
		for (i = 0; i < (unsigned)n; i++)
			tun_dp_rx_one(t, t->rx_iov[i].iov_base,
			    t->rx_msg[i].msg_len, now);
		if (n < TUN_BATCH)
			return;
	}
}

/*
 * Sends what tun_dp_tx read.  Returns 0 when all went (or failed for
 * good), -1 when the socket buffer is full: the rest waits for POLLOUT and
 * the TUN is not read meanwhile, so its queue (not ours) absorbs bursts.
 */
static int
tun_dp_flush(struct tun *t)
{
	unsigned i;
	int n;

	while (t->tx_off < t->tx_n) {
		n = sendmmsg(t->raw_fd, &t->tx_msg[t->tx_off],
		    t->tx_n - t->tx_off, MSG_DONTWAIT);
		if (n > 0) {
			for (i = 0; i < (unsigned)n; i++)
				tun_stats_tx(&t->st,
				    t->tx_iov[t->tx_off + i].iov_len);
			t->tx_off += (unsigned)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (-1);
		/* This one packet cannot go (no route, firewall): skip it. */
		tun_stat_add(&t->st.tx_errors, 1);
		tun_dp_error(t, "send to %s: %s", t->remote_str,
		    n == -1 ? strerror(errno) : "nothing sent");
		t->tx_off++;
	}
	t->tx_n = t->tx_off = 0;
	return (0);
}

/* Reads the TUN until a batch is full or its queue is empty, then sends. */
static void
tun_dp_tx(struct tun *t)
{
	uint8_t *p;
	ssize_t n;

	while (t->tx_n < TUN_BATCH) {
		p = t->tx_iov[t->tx_n].iov_base;
		n = read(t->tun_fd, p, TUN_BUF_LEN);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* Deleted under us, say: stop polling it. */
			tun_dp_error(t, "read from %s: %s; no longer reading "
			    "it", t->ifname, strerror(errno));
			t->tun_dead = true;
			break;
		}
		/*
		 * The kernel only routes IPv6 here, but an operator may
		 * add an IPv4 address to the device: that is not 6in4.
		 */
		if (n < 40 || (p[0] >> 4) != 6 || n > TUN_INNER_MAX) {
			tun_stat_add(&t->st.tx_errors, 1);
			continue;
		}
		/*
		 * No multicast router sits at the other end of a 6in4 link,
		 * and the peer's checks would only count these as drops.
		 */
		if (tun_mld(p, (size_t)n)) {
			tun_stat_add(&t->st.tx_mld, 1);
			continue;
		}
		t->tx_iov[t->tx_n].iov_len = (size_t)n;
		t->tx_n++;
	}
	(void)tun_dp_flush(t);
}

void *
tun_dp_main(void *arg)
{
	struct tun *t = arg;
	struct pollfd pfd[3];
	uint64_t v, now;
	bool backlog;
	int n;

	for (;;) {
		now = tun_now_ns();
		tun_dp_echo(t, now);
		backlog = t->tx_off < t->tx_n;
		pfd[0].fd = t->wake_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->raw_fd;
		pfd[1].events = (short)(POLLIN | (backlog ? POLLOUT : 0));
		/* poll skips a negative fd: that is how reading stops. */
		pfd[2].fd = t->tun_dead || backlog ? -1 : t->tun_fd;
		pfd[2].events = POLLIN;
		n = poll(pfd, 3, tun_live_wait_ms(&t->live, now));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			tun_dp_error(t, "poll: %s; the data plane stops",
			    strerror(errno));
			break;
		}
		if (pfd[0].revents != 0) {
			if (read(t->wake_fd, &v, sizeof(v)) == -1 &&
			    errno != EAGAIN)
				break;
			if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
				break;
		}
		if (pfd[1].revents & POLLOUT)
			(void)tun_dp_flush(t);
		if (pfd[1].revents & (POLLIN | POLLERR))
			tun_dp_rx(t);
		if (pfd[2].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			tun_dp_error(t, "%s: device error; no longer reading "
			    "it", t->ifname);
			t->tun_dead = true;
		} else if (pfd[2].revents & POLLIN)
			tun_dp_tx(t);
	}
	return (NULL);
}
