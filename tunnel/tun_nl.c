/*
 * rtnetlink: the requests that configure the TUN device (MTU, queue, up,
 * addresses, routes), the parser of the kernel's answers, and the one
 * request-answer exchange over a NETLINK_ROUTE socket.  Written out by
 * hand rather than by running ip(8): no fork, no PATH, no parsing of
 * another program's output, and every answer checked.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK		10
#endif

/* Starts a request: header and the fixed body that follows it. */
static struct nlmsghdr *
tun_nl_begin(void *buf, size_t buflen, uint16_t type, uint16_t flags,
    uint32_t seq, const void *body, size_t bodylen)
{
	struct nlmsghdr *nh = buf;

	if (buflen < NLMSG_SPACE(bodylen))
		return (NULL);
	memset(buf, 0, NLMSG_SPACE(bodylen));
	nh->nlmsg_len = (uint32_t)NLMSG_LENGTH(bodylen);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	nh->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(nh), body, bodylen);
	return (nh);
}

/*
 * Appends an attribute; returns its offset from buf (for nesting), or -1
 * when it does not fit.  data may be NULL for the head of a nest.
 */
static int
tun_nl_put(struct nlmsghdr *nh, size_t buflen, uint16_t type,
    const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(nh->nlmsg_len);
	struct rtattr *rta;

	if (off > buflen || RTA_SPACE(len) > buflen - off)
		return (-1);
	rta = (struct rtattr *)((uint8_t *)nh + off);
	memset(rta, 0, RTA_SPACE(len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data != NULL)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return ((int)off);
}

/* Closes a nest opened at off: its length covers what was added since. */
static void
tun_nl_nest_end(struct nlmsghdr *nh, int off)
{
	struct rtattr *rta = (struct rtattr *)((uint8_t *)nh + off);

	rta->rta_len = (unsigned short)(nh->nlmsg_len - (uint32_t)off);
}

static struct nlmsghdr *
tun_nl_link(void *buf, size_t buflen, uint32_t seq, int ifindex,
    unsigned flags, unsigned change)
{
	struct ifinfomsg ifi;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = flags;
	ifi.ifi_change = change;
	return (tun_nl_begin(buf, buflen, RTM_NEWLINK, 0, seq, &ifi,
	    sizeof(ifi)));
}

int
tun_nl_mtu_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
    uint32_t mtu)
{
	struct nlmsghdr *nh;

	if ((nh = tun_nl_link(buf, buflen, seq, ifindex, 0, 0)) == NULL ||
	    tun_nl_put(nh, buflen, IFLA_MTU, &mtu, sizeof(mtu)) == -1)
		return (-1);
	return ((int)nh->nlmsg_len);
}

int
tun_nl_txqlen_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
    uint32_t txqlen)
{
	struct nlmsghdr *nh;

	if ((nh = tun_nl_link(buf, buflen, seq, ifindex, 0, 0)) == NULL ||
	    tun_nl_put(nh, buflen, IFLA_TXQLEN, &txqlen, sizeof(txqlen)) == -1)
		return (-1);
	return ((int)nh->nlmsg_len);
}

int
tun_nl_nogen_msg(void *buf, size_t buflen, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nh;
	uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
	int spec, inet6;

	if ((nh = tun_nl_link(buf, buflen, seq, ifindex, 0, 0)) == NULL ||
	    (spec = tun_nl_put(nh, buflen, IFLA_AF_SPEC, NULL, 0)) == -1 ||
	    (inet6 = tun_nl_put(nh, buflen, AF_INET6, NULL, 0)) == -1 ||
	    tun_nl_put(nh, buflen, IFLA_INET6_ADDR_GEN_MODE, &mode,
	    sizeof(mode)) == -1)
		return (-1);
	tun_nl_nest_end(nh, inet6);
	tun_nl_nest_end(nh, spec);
	return ((int)nh->nlmsg_len);
}

int
tun_nl_up_msg(void *buf, size_t buflen, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nh;

	if ((nh = tun_nl_link(buf, buflen, seq, ifindex, IFF_UP, IFF_UP)) ==
	    NULL)
		return (-1);
	return ((int)nh->nlmsg_len);
}

int
tun_nl_addr_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
    const uint8_t *addr, uint8_t plen)
{
	struct ifaddrmsg ifa;
	struct nlmsghdr *nh;
	uint32_t flags = IFA_F_NODAD;

	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = plen;
	/*
	 * No DAD: the other end of a point-to-point tunnel is configured
	 * with its own address, and DAD would keep ours tentative (unusable
	 * by the listeners that bind it next) for a second or more.
	 */
	ifa.ifa_flags = IFA_F_NODAD;
	ifa.ifa_index = (unsigned)ifindex;
	if ((nh = tun_nl_begin(buf, buflen, RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_EXCL, seq, &ifa, sizeof(ifa))) == NULL ||
	    tun_nl_put(nh, buflen, IFA_ADDRESS, addr, 16) == -1 ||
	    tun_nl_put(nh, buflen, IFA_FLAGS, &flags, sizeof(flags)) == -1)
		return (-1);
	return ((int)nh->nlmsg_len);
}

int
tun_nl_route_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
    const uint8_t *dst, uint8_t plen, const uint8_t *gw)
{
	struct nlmsghdr *nh;
	struct rtmsg rtm;
	uint32_t oif = (uint32_t)ifindex;

	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = AF_INET6;
	rtm.rtm_dst_len = plen;
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = RT_SCOPE_UNIVERSE;
	rtm.rtm_type = RTN_UNICAST;
	/*
	 * On-link: with a /128 tunnel address (some brokers assign one) the
	 * peer is in no prefix of ours, yet it is always one hop away.
	 */
	rtm.rtm_flags = RTNH_F_ONLINK;
	if ((nh = tun_nl_begin(buf, buflen, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_EXCL, seq, &rtm, sizeof(rtm))) == NULL)
		return (-1);
	if (plen > 0 && tun_nl_put(nh, buflen, RTA_DST, dst, 16) == -1)
		return (-1);
	if (tun_nl_put(nh, buflen, RTA_GATEWAY, gw, 16) == -1 ||
	    tun_nl_put(nh, buflen, RTA_OIF, &oif, sizeof(oif)) == -1)
		return (-1);
	return ((int)nh->nlmsg_len);
}

/* The NLMSGERR_ATTR_MSG string after an nlmsgerr, if the kernel sent one. */
static void
tun_nl_extmsg(const struct nlmsghdr *nh, char *msg, size_t msglen)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const struct rtattr *rta;
	size_t off, len, alen, echo;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the kernel echoes our whole request first. */
	len = nh->nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(sizeof(*e));
	if (!(nh->nlmsg_flags & NLM_F_CAPPED)) {
		echo = e->msg.nlmsg_len;
		if (echo < sizeof(struct nlmsghdr) || echo > len)
			return;
		off += NLMSG_ALIGN(echo) - sizeof(struct nlmsghdr);
	}
	while (off + sizeof(*rta) <= len) {
		rta = (const struct rtattr *)((const uint8_t *)e + off);
		alen = rta->rta_len;
		if (alen < sizeof(*rta) || alen > len - off)
			return;
		if (rta->rta_type == NLMSGERR_ATTR_MSG &&
		    alen > RTA_LENGTH(0)) {
			const char *s = RTA_DATA(rta);
			size_t n = strnlen(s, alen - RTA_LENGTH(0));

			if (n >= msglen)
				n = msglen - 1;
			memcpy(msg, s, n);
			msg[n] = '\0';
			return;
		}
		off += RTA_ALIGN(alen);
	}
}

int
tun_nl_ack(const void *buf, size_t len, uint32_t seq, int *error, char *msg,
    size_t msglen)
{
	const uint8_t *p = buf;
	const struct nlmsghdr *nh;
	const struct nlmsgerr *e;
	size_t off = 0, step;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	/*
	 * Not NLMSG_OK/NLMSG_NEXT: with a size_t length, a last message
	 * whose length is not a multiple of 4 makes NLMSG_NEXT wrap around
	 * to a huge remainder and walk off the end.
	 */
	while (off < len) {
		if (len - off < NLMSG_HDRLEN)
			return (-1);
		nh = (const struct nlmsghdr *)(p + off);
		if (nh->nlmsg_len < NLMSG_HDRLEN || nh->nlmsg_len > len - off)
			return (-1);
		if (nh->nlmsg_seq == seq && nh->nlmsg_type == NLMSG_ERROR) {
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return (-1);
			e = NLMSG_DATA(nh);
			/* The kernel sends 0 or a negative errno, nothing else. */
			if (e->error > 0 || e->error < -4095)
				return (-1);
			*error = -e->error;
			if (*error != 0 && msg != NULL && msglen > 0)
				tun_nl_extmsg(nh, msg, msglen);
			return (1);
		}
		step = NLMSG_ALIGN((size_t)nh->nlmsg_len);
		if (step >= len - off)
			break;
		off += step;
	}
	return (0);
}

int
tun_nl_open(struct tun_nl *nl, char *err, size_t errlen)
{
	struct sockaddr_nl sa;
	struct timeval tv = { 5, 0 };
	int one = 1;

	nl->seq = 1;
	if ((nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return (-1);
	}
	/*
	 * Extended ACKs carry the kernel's own words ("Nexthop has invalid
	 * gateway"); capped ACKs leave our request out of the answer.  Old
	 * kernels lack both, which only makes messages shorter.
	 */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
	    sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	/* An answer always comes; the timeout only guards against a bug. */
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "netlink bind: %s", strerror(errno));
		close(nl->fd);
		nl->fd = -1;
		return (-1);
	}
	return (0);
}

void
tun_nl_close(struct tun_nl *nl)
{
	if (nl->fd != -1)
		close(nl->fd);
	nl->fd = -1;
}

int
tun_nl_call(struct tun_nl *nl, const void *req, size_t len, uint32_t seq,
    char *kmsg, size_t kmsglen)
{
	struct sockaddr_nl to;
	union {
		struct nlmsghdr	 nh;
		uint8_t		 b[8192];
	} ans;
	ssize_t n;
	int r, error;

	memset(&to, 0, sizeof(to));
	to.nl_family = AF_NETLINK;
	if (sendto(nl->fd, req, len, 0, (struct sockaddr *)&to,
	    sizeof(to)) == -1)
		return (-1);
	for (;;) {
		n = recv(nl->fd, ans.b, sizeof(ans.b), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		r = tun_nl_ack(ans.b, (size_t)n, seq, &error, kmsg, kmsglen);
		if (r == -1) {
			errno = EPROTO;
			return (-1);
		}
		if (r == 1)
			break;
	}
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}
