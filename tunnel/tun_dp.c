/*
 * The data plane: one thread between the TUN device and the raw protocol-41
 * socket.  From the socket, batches of datagrams (recvmmsg) go through
 * tun_decap; the accepted inner packets are written to the TUN (segments
 * of one TCP stream or datagrams of one UDP flow in a row gathered into
 * one super-packet), except our echo replies and the Neighbour
 * Solicitations answered here.  From the TUN, packets (TSO super-packets cut into segments) are read until the
 * slots are full or the queue is empty, then sent with one sendmmsg; the
 * kernel adds the outer header.  In dynamic PMTU mode the socket's error
 * queue lowers the MTU.  Buffers are preallocated by tun_open: nothing is
 * allocated per packet.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
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

/* Sets DF on the outer packets (dynamic mode) or clears it. */
static void
tun_dp_df(struct tun *t, bool on)
{
	int v = on ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;

	if (setsockopt(t->raw_fd, IPPROTO_IP, IP_MTU_DISCOVER, &v,
	    sizeof(v)) == -1)
		tun_dp_error(t, "%s DF: %s", on ? "set" : "clear",
		    strerror(errno));
	t->df_off = !on;
}

static void
tun_dp_mtu_event(struct tun *t, uint32_t old, uint32_t path)
{
	struct tun_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TUN_EV_MTU;
	ev.mtu = t->mtu;
	ev.old_mtu = old;
	ev.path_mtu = path;
	ev.remote = t->remote_str;
	tun_dp_event(t, &ev);
}

/*
 * The IPv4 path to the remote carries path bytes: the inner MTU becomes
 * path - 20 for TUN_PMTU_AGE_MS, never above the configured one.  Below
 * 1280 + 20 the inner MTU stays 1280 and DF goes off, so that routers
 * fragment (RFC 4213 3.2).  Larger packets from the TUN get a Packet Too
 * Big from then on.
 */
static void
tun_dp_pmtu(struct tun *t, uint32_t path)
{
	uint32_t inner, old = t->mtu;

	tun_stat_add(&t->st.frag_needed, 1);
	if (path < 68 || path > TUN_IP4_MAX)
		return;
	inner = path - TUN_OUTER_LEN;
	if (inner >= t->mtu_cfg)
		return;
	if (inner < TUN_IPV6_MIN_MTU) {
		inner = TUN_IPV6_MIN_MTU;
		if (!t->df_off)
			tun_dp_df(t, false);
	}
	t->mtu_until_ns = tun_now_ns() +
	    (uint64_t)TUN_PMTU_AGE_MS * 1000000;
	if (inner == old)
		return;
	t->mtu = inner;
	__atomic_store_n(&t->st.mtu, (uint64_t)inner, __ATOMIC_RELAXED);
	tun_dp_mtu_event(t, old, path);
}

/* A lowered MTU that aged out: back to the configured one, DF on. */
static void
tun_dp_pmtu_age(struct tun *t, uint64_t now)
{
	uint32_t old = t->mtu;

	if (t->mtu == t->mtu_cfg || now < t->mtu_until_ns)
		return;
	if (t->df_off)
		tun_dp_df(t, true);
	t->mtu = t->mtu_cfg;
	__atomic_store_n(&t->st.mtu, (uint64_t)t->mtu, __ATOMIC_RELAXED);
	tun_dp_mtu_event(t, old, 0);
}

/*
 * Drains the raw socket's error queue (dynamic mode: IP_RECVERR).  What
 * matters there: an ICMPv4 Fragmentation Needed about a packet of ours to
 * the remote, and the kernel refusing one larger than the path MTU it
 * learnt; both carry the MTU.  Anything else (an unreachable) only
 * empties the queue, or poll would report it forever.
 */
static void
tun_dp_errq(struct tun *t)
{
	union {
		struct cmsghdr	 align;
		uint8_t		 b[256];
	} ctl;
	struct sockaddr_in from;
	struct sock_extended_err ee;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	int i;

	for (i = 0; i < 64; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = t->ptb;
		iov.iov_len = sizeof(t->ptb);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		if (recvmsg(t->raw_fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) ==
		    -1)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != IPPROTO_IP ||
			    cm->cmsg_type != IP_RECVERR ||
			    cm->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			if (ee.ee_errno != EMSGSIZE)
				continue;
			if (mh.msg_namelen >= sizeof(from) &&
			    from.sin_addr.s_addr !=
			    t->remote_sa.sin_addr.s_addr)
				continue;
			if ((ee.ee_origin == SO_EE_ORIGIN_ICMP &&
			    ee.ee_type == 3 && ee.ee_code == 4) ||
			    ee.ee_origin == SO_EE_ORIGIN_LOCAL)
				tun_dp_pmtu(t, ee.ee_info);
		}
	}
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

/*
 * Writes one packet to the TUN behind the virtio-net header vnet
 * (TUN_VNET_LEN bytes).
 */
static int
tun_dp_write_vnet(struct tun *t, const uint8_t *vnet, const uint8_t *pkt,
    size_t len)
{
	struct iovec iov[2];

	iov[0].iov_base = (void *)vnet;
	iov[0].iov_len = TUN_VNET_LEN;
	iov[1].iov_base = (void *)pkt;
	iov[1].iov_len = len;
	while (writev(t->tun_fd, iov, 2) == -1) {
		if (errno == EINTR)
			continue;
		tun_stat_add(&t->st.rx_errors, 1);
		tun_dp_error(t, "write to %s: %s", t->ifname, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Writes one packet to the TUN behind the header of an ordinary packet,
 * its checksums complete: all zero.
 */
static int
tun_dp_write(struct tun *t, const uint8_t *pkt, size_t len)
{
	static const uint8_t vnet[TUN_VNET_LEN];

	return (tun_dp_write_vnet(t, vnet, pkt, len));
}

/*
 * A TCP super-packet the receiving kernel's GRO made (tun_kgro_ok gave
 * hlen): it goes to the TUN whole, its checksum left for the kernel to
 * complete as GRO left it, cut into segments of what a full one of ours
 * carries if the kernel must cut it.  The size of the segments it was
 * made of is lost on the way; the sender's were at most our MTU, the
 * tunnel's on both ends.
 */
static void
tun_dp_kgro(struct tun *t, uint8_t *pkt, size_t len, size_t hlen)
{
	uint8_t vnet[TUN_VNET_LEN];
	size_t mss = t->mtu_cfg - hlen;

	tun_gro_finish(pkt, hlen, len, false, (uint16_t)mss, vnet);
	/* One segment's worth: an ordinary packet, checksum partial. */
	if (len - hlen <= mss) {
		vnet[1] = TUN_VNET_GSO_NONE;
		memset(vnet + 4, 0, 2);
	}
	if (tun_dp_write_vnet(t, vnet, pkt, len) == 0)
		tun_stat_add(&t->st.rx_kgro, 1);
}

/*
 * A packet from the TUN larger than the tunnel carries now: the sender
 * learns the MTU from a Packet Too Big (RFC 4443 3.2) and the packet goes
 * no further.
 */
static void
tun_dp_too_big(struct tun *t, const uint8_t *pkt, size_t len)
{
	int n;

	n = tun_ptb_build(&t->cx, t->ptb, sizeof(t->ptb), pkt, len, t->mtu);
	if (n > 0 && tun_dp_write(t, t->ptb, (size_t)n) == 0)
		tun_stat_add(&t->st.ptb_sent, 1);
	else
		tun_stat_add(&t->st.tx_errors, 1);
}

/*
 * Writes the run of segments gathered so far: one as it came, several as
 * one super-packet that the kernel cuts again only if it must (forwarding
 * to a link without TSO).
 */
static void
tun_dp_gro_flush(struct tun *t)
{
	struct iovec *iov;
	size_t i, n = t->gro_n;

	if (n == 0)
		return;
	t->gro_n = 0;
	if (n == 1) {
		(void)tun_dp_write(t, t->gro_first, t->gro_total);
		return;
	}
	if (t->gro_udp)
		tun_ugro_finish(t->gro_first, t->gro_total,
		    (uint16_t)t->gro_mss, t->gro_vnet);
	else
		tun_gro_finish(t->gro_first, t->gro_hlen, t->gro_total,
		    t->gro_psh, (uint16_t)t->gro_mss, t->gro_vnet);
	iov = t->gro_iov;
	iov[0].iov_base = t->gro_vnet;
	iov[0].iov_len = sizeof(t->gro_vnet);
	while (writev(t->tun_fd, iov, (int)n + 1) == -1) {
		if (errno == EINTR)
			continue;
		for (i = 0; i < n; i++)
			tun_stat_add(&t->st.rx_errors, 1);
		/* A kernel without UDP segmentation offload for TUN. */
		if (t->gro_udp && errno == EINVAL)
			t->ugro_off = true;
		tun_dp_error(t, "write to %s: %s", t->ifname, strerror(errno));
		return;
	}
	tun_stat_add(&t->st.rx_gro, 1);
}

/*
 * An accepted packet for the TUN.  Segments of one TCP stream in a row
 * gather (in their receive slots, which stay put until the batch is
 * done); anything else goes out after what gathered before it.
 */
static void
tun_dp_deliver(struct tun *t, uint8_t *pkt, size_t len)
{
	size_t hlen = TUN_GRO ? tun_gro_ok(pkt, len) : 0, pay;
	bool udp = false;

	if (TUN_GRO && hlen == 0 && !t->ugro_off &&
	    (hlen = tun_ugro_ok(pkt, len)) != 0)
		udp = true;
	pay = len - hlen;
	if (udp) {
		if (t->gro_n > 0 && t->gro_udp && pay <= t->gro_mss &&
		    tun_ugro_match(t->gro_first, pkt)) {
			t->gro_iov[t->gro_n + 1].iov_base = pkt + hlen;
			t->gro_iov[t->gro_n + 1].iov_len = pay;
			t->gro_n++;
			t->gro_total += pay;
			if (pay < t->gro_mss || t->gro_n == TUN_BATCH)
				tun_dp_gro_flush(t);
			return;
		}
		tun_dp_gro_flush(t);
		t->gro_n = 1;
		t->gro_udp = true;
		t->gro_first = pkt;
		t->gro_hlen = hlen;
		t->gro_mss = pay;
		t->gro_total = len;
		t->gro_iov[1].iov_base = pkt;
		t->gro_iov[1].iov_len = len;
		return;
	}
	if (t->gro_n > 0 && !t->gro_udp && hlen == t->gro_hlen &&
	    pay <= t->gro_mss &&
	    !t->gro_psh && t->gro_total + pay <= TUN_IP4_MAX - TUN_OUTER_LEN &&
	    tun_gro_match(t->gro_first, pkt, hlen, t->gro_seq)) {
		t->gro_iov[t->gro_n + 1].iov_base = pkt + hlen;
		t->gro_iov[t->gro_n + 1].iov_len = pay;
		t->gro_n++;
		t->gro_total += pay;
		t->gro_seq += (uint32_t)pay;
		if (pkt[TUN_IP6_HLEN + 13] & 0x08)
			t->gro_psh = true;
		/* A short one ends a run: the sender had no more then. */
		if (pay < t->gro_mss || t->gro_psh || t->gro_n == TUN_BATCH)
			tun_dp_gro_flush(t);
		return;
	}
	tun_dp_gro_flush(t);
	if (hlen == 0 && (hlen = tun_kgro_ok(pkt, len)) != 0) {
		tun_dp_kgro(t, pkt, len, hlen);
		return;
	}
	if (!TUN_GRO || hlen == 0 || (pkt[TUN_IP6_HLEN + 13] & 0x08)) {
		(void)tun_dp_write(t, pkt, len);
		return;
	}
	t->gro_n = 1;
	t->gro_udp = false;
	t->gro_first = pkt;
	t->gro_hlen = hlen;
	t->gro_mss = pay;
	t->gro_total = len;
	t->gro_seq = tun_rd32(pkt + TUN_IP6_HLEN + 4) + (uint32_t)pay;
	t->gro_psh = false;
	t->gro_iov[1].iov_base = pkt;
	t->gro_iov[1].iov_len = len;
}

/* One datagram from the raw socket, len bytes at buf. */
static void
tun_dp_rx_one(struct tun *t, uint8_t *buf, size_t len, uint64_t now)
{
	struct tun_pkt p;
	uint8_t *in;
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
	tun_dp_deliver(t, in, p.len);
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
			/* An error queued for us: IP_RECVERR reports it. */
			if (errno == EMSGSIZE && t->pmtu_dynamic) {
				tun_dp_errq(t);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tun_dp_error(t, "receive: %s",
				    strerror(errno));
			return;
		}
		now = tun_now_ns();
		for (i = 0; i < (unsigned)n; i++)
			tun_dp_rx_one(t, t->rx_iov[i].iov_base,
			    t->rx_msg[i].msg_len, now);
		/* The slots are reused by the next batch. */
		tun_dp_gro_flush(t);
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
		/*
		 * Dynamic mode: larger than the path MTU the kernel learnt.
		 * Its error says how large may go; the sender hears it.
		 */
		if (n == -1 && errno == EMSGSIZE && t->pmtu_dynamic) {
			struct iovec *v = &t->tx_iov[t->tx_off];

			tun_dp_errq(t);
			if (v->iov_len > t->mtu)
				tun_dp_too_big(t, v->iov_base, v->iov_len);
			else
				tun_stat_add(&t->st.tx_errors, 1);
			t->tx_off++;
			continue;
		}
		/* This one packet cannot go (no route, firewall): skip it. */
		tun_stat_add(&t->st.tx_errors, 1);
		tun_dp_error(t, "send to %s: %s", t->remote_str,
		    n == -1 ? strerror(errno) : "nothing sent");
		t->tx_off++;
	}
	t->tx_n = t->tx_off = 0;
	return (0);
}

/*
 * Cuts segments of the super-packet in t->gso into free slots.  Returns
 * true when it is all out, false when the slots ran out first.
 */
static bool
tun_dp_cut(struct tun *t)
{
	int n;

	while (t->gso.pkt != NULL) {
		if (t->tx_n >= TUN_TX_SLOTS)
			return (false);
		n = tun_gso_next(&t->gso, t->tx_iov[t->tx_n].iov_base,
		    TUN_SLOT_LEN);
		if (n <= 0) {
			if (n == -1)
				tun_stat_add(&t->st.tx_errors, 1);
			t->gso.pkt = NULL;
			break;
		}
		t->tx_iov[t->tx_n].iov_len = (size_t)n;
		t->tx_n++;
	}
	return (true);
}

/*
 * One packet read from the TUN: n bytes after the virtio-net header,
 * the first TUN_SLOT_LEN of them in the next free slot and the rest in
 * rd_buf after as many.  Queues it (or its segments) for sending.
 */
static void
tun_dp_tx_one(struct tun *t, size_t n)
{
	struct tun_vnet vh;
	uint8_t *p = t->tx_iov[t->tx_n].iov_base;

	tun_vnet_read(&vh, t->vnet);
	if (vh.gso_type != TUN_VNET_GSO_NONE) {
		/* Whole in rd_buf, so that its segments may fill the slots. */
		memcpy(t->rd_buf, p, n < TUN_SLOT_LEN ? n : TUN_SLOT_LEN);
		p = t->rd_buf;
		if ((vh.gso_type & ~TUN_VNET_GSO_ECN) != TUN_VNET_GSO_TCPV6 ||
		    tun_gso_init(&t->gso, p, n, vh.gso_size) == -1) {
			tun_stat_add(&t->st.tx_errors, 1);
			return;
		}
		if (t->gso.hlen + vh.gso_size > t->mtu) {
			t->gso.pkt = NULL;
			tun_dp_too_big(t, p, n);
			return;
		}
		tun_stat_add(&t->st.tx_gso, 1);
		(void)tun_dp_cut(t);
		return;
	}
	/*
	 * The kernel only routes IPv6 here, but an operator may add an IPv4
	 * address to the device: that is not 6in4.
	 */
	if (n < TUN_IP6_HLEN || (p[0] >> 4) != 6) {
		tun_stat_add(&t->st.tx_errors, 1);
		return;
	}
	if (n > t->mtu) {
		if (n > TUN_SLOT_LEN) {
			memcpy(t->rd_buf, p, TUN_SLOT_LEN);
			p = t->rd_buf;
		}
		tun_dp_too_big(t, p, n);
		return;
	}
	/*
	 * No multicast router sits at the other end of a 6in4 link, and the
	 * peer's checks would only count these as drops.
	 */
	if (tun_mld(p, n)) {
		tun_stat_add(&t->st.tx_mld, 1);
		return;
	}
	if ((vh.flags & TUN_VNET_NEEDS_CSUM) && tun_csum_complete(p, n,
	    vh.csum_start, vh.csum_offset) == -1) {
		tun_stat_add(&t->st.tx_errors, 1);
		return;
	}
	t->tx_iov[t->tx_n].iov_len = n;
	t->tx_n++;
}

/*
 * Reads the TUN until the slots are full, its queue is empty or it had
 * TUN_TX_READS turns, then sends; a super-packet cut only in part goes on
 * once the slots are free again.
 */
static void
tun_dp_tx(struct tun *t)
{
	struct iovec iov[3];
	unsigned reads;
	ssize_t n;

	for (reads = 0; reads < TUN_TX_READS;) {
		if (!tun_dp_cut(t) || t->tx_n >= TUN_TX_SLOTS) {
			if (tun_dp_flush(t) == -1)
				return;
			continue;
		}
		if (t->tun_dead)
			break;
		iov[0].iov_base = t->vnet;
		iov[0].iov_len = sizeof(t->vnet);
		iov[1].iov_base = t->tx_iov[t->tx_n].iov_base;
		iov[1].iov_len = TUN_SLOT_LEN;
		iov[2].iov_base = t->rd_buf + TUN_SLOT_LEN;
		iov[2].iov_len = TUN_BUF_LEN - TUN_SLOT_LEN;
		n = readv(t->tun_fd, iov, 3);
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
		reads++;
		if ((size_t)n < sizeof(t->vnet)) {
			tun_stat_add(&t->st.tx_errors, 1);
			continue;
		}
		tun_dp_tx_one(t, (size_t)n - sizeof(t->vnet));
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
	int n, wait;

	for (;;) {
		now = tun_now_ns();
		tun_dp_echo(t, now);
		tun_dp_pmtu_age(t, now);
		backlog = t->tx_off < t->tx_n || t->gso.pkt != NULL;
		pfd[0].fd = t->wake_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->raw_fd;
		pfd[1].events = (short)(POLLIN | (backlog ? POLLOUT : 0));
		/* poll skips a negative fd: that is how reading stops. */
		pfd[2].fd = t->tun_dead || backlog ? -1 : t->tun_fd;
		pfd[2].events = POLLIN;
		wait = tun_live_wait_ms(&t->live, now);
		if (t->mtu != t->mtu_cfg) {
			uint64_t ms = (t->mtu_until_ns - now) / 1000000 + 1;

			if (wait == -1 || ms < (uint64_t)wait)
				wait = (int)ms;
		}
		n = poll(pfd, 3, wait);
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
		if ((pfd[1].revents & POLLOUT) && tun_dp_flush(t) == 0 &&
		    t->gso.pkt != NULL)
			tun_dp_tx(t);
		if ((pfd[1].revents & POLLERR) && t->pmtu_dynamic)
			tun_dp_errq(t);
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
