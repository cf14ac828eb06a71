/*
 * The rtnetlink requests tunnel/tun_nl.c builds, read back with a walker
 * of this file's own, and the parser of the kernel's answers fed with
 * answers laid out as the kernel lays them (plain ACK, capped and uncapped
 * extended ACKs, several messages per datagram, and broken ones).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

union nlbuf {
	struct nlmsghdr	 nh;
	uint8_t		 b[1024];
};

static const uint8_t a_addr[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2
};
static const uint8_t a_peer[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
};
static const uint8_t a_route[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 3
};

/* The attribute of type type among those from off to the message end. */
static const struct rtattr *
find_attr(const struct nlmsghdr *nh, size_t off, unsigned short type)
{
	const uint8_t *p = (const uint8_t *)nh;
	const struct rtattr *rta;

	while (off + sizeof(*rta) <= nh->nlmsg_len) {
		rta = (const struct rtattr *)(p + off);
		if (rta->rta_len < sizeof(*rta) ||
		    off + rta->rta_len > nh->nlmsg_len)
			return (NULL);
		if (rta->rta_type == type)
			return (rta);
		off += RTA_ALIGN(rta->rta_len);
	}
	return (NULL);
}

/* How many attributes sit between off and the message end (all valid). */
static int
count_attrs(const struct nlmsghdr *nh, size_t off)
{
	const uint8_t *p = (const uint8_t *)nh;
	const struct rtattr *rta;
	int n = 0;

	while (off + sizeof(*rta) <= nh->nlmsg_len) {
		rta = (const struct rtattr *)(p + off);
		if (rta->rta_len < sizeof(*rta) ||
		    off + RTA_ALIGN(rta->rta_len) > nh->nlmsg_len)
			return (-1);
		n++;
		off += RTA_ALIGN(rta->rta_len);
	}
	return (off == nh->nlmsg_len ? n : -1);
}

static uint32_t
attr_u32(const struct rtattr *rta)
{
	uint32_t v;

	memcpy(&v, RTA_DATA(rta), sizeof(v));
	return (v);
}

static void
check_hdr(const union nlbuf *m, int len, unsigned short type,
    unsigned short flags, uint32_t seq, const char *name)
{
	ok(len > 0 && (unsigned)len == m->nh.nlmsg_len && len % 4 == 0,
	    "%s: length %d matches the header", name, len);
	is_int(m->nh.nlmsg_type, type, "message type");
	is_int(m->nh.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | flags,
	    "flags: request, ack and the builder's own");
	is_int(m->nh.nlmsg_seq, seq, "sequence number");
}

static void
test_link(void)
{
	union nlbuf m;
	const struct ifinfomsg *ifi = NLMSG_DATA(&m.nh);
	const struct rtattr *rta, *in6, *mode;
	size_t off = NLMSG_SPACE(sizeof(*ifi));
	int len;

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_mtu_msg(&m, sizeof(m), 7, 42, 1480);
	check_hdr(&m, len, RTM_NEWLINK, 0, 7, "mtu");
	ok(ifi->ifi_family == AF_UNSPEC && ifi->ifi_index == 42 &&
	    ifi->ifi_flags == 0 && ifi->ifi_change == 0,
	    "mtu: ifinfomsg names the device, changes no flag");
	rta = find_attr(&m.nh, off, IFLA_MTU);
	ok(rta != NULL && rta->rta_len == RTA_LENGTH(4) &&
	    attr_u32(rta) == 1480, "mtu: IFLA_MTU 1480");
	is_int(count_attrs(&m.nh, off), 1, "mtu: one attribute");

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_txqlen_msg(&m, sizeof(m), 8, 42, 4096);
	check_hdr(&m, len, RTM_NEWLINK, 0, 8, "txqlen");
	rta = find_attr(&m.nh, off, IFLA_TXQLEN);
	ok(rta != NULL && attr_u32(rta) == 4096, "txqlen: IFLA_TXQLEN 4096");
	is_int(count_attrs(&m.nh, off), 1, "txqlen: one attribute");

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_up_msg(&m, sizeof(m), 9, 42);
	check_hdr(&m, len, RTM_NEWLINK, 0, 9, "up");
	ok(ifi->ifi_index == 42 && ifi->ifi_flags == IFF_UP &&
	    ifi->ifi_change == IFF_UP, "up: sets IFF_UP and only it");
	is_int(count_attrs(&m.nh, off), 0, "up: no attributes");

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_nogen_msg(&m, sizeof(m), 10, 42);
	check_hdr(&m, len, RTM_NEWLINK, 0, 10, "nogen");
	rta = find_attr(&m.nh, off, IFLA_AF_SPEC);
	ok(rta != NULL && off + rta->rta_len == m.nh.nlmsg_len,
	    "nogen: IFLA_AF_SPEC spans the rest");
	in6 = rta != NULL ? find_attr(&m.nh, off + RTA_LENGTH(0), AF_INET6) :
	    NULL;
	ok(in6 != NULL && in6->rta_len == rta->rta_len - RTA_LENGTH(0),
	    "nogen: AF_INET6 nested, spanning it");
	mode = in6 != NULL ? find_attr(&m.nh, off + 2 * RTA_LENGTH(0),
	    IFLA_INET6_ADDR_GEN_MODE) : NULL;
	ok(mode != NULL && mode->rta_len == RTA_LENGTH(1) &&
	    *(const uint8_t *)RTA_DATA(mode) == IN6_ADDR_GEN_MODE_NONE,
	    "nogen: IFLA_INET6_ADDR_GEN_MODE none");
	ok(mode != NULL && ((const uint8_t *)RTA_DATA(mode))[1] == 0 &&
	    ((const uint8_t *)RTA_DATA(mode))[2] == 0 &&
	    ((const uint8_t *)RTA_DATA(mode))[3] == 0,
	    "nogen: padding zeroed");

	ok(tun_nl_mtu_msg(&m, NLMSG_SPACE(sizeof(*ifi)) + 4, 1, 1, 1280) ==
	    -1, "mtu: no room for the attribute: -1");
	ok(tun_nl_up_msg(&m, 8, 1, 1) == -1, "up: no room for the header: -1");
	ok(tun_nl_nogen_msg(&m, NLMSG_SPACE(sizeof(*ifi)) + 12, 1, 1) == -1,
	    "nogen: no room for the innermost attribute: -1");
}

static void
test_addr(void)
{
	union nlbuf m;
	const struct ifaddrmsg *ifa = NLMSG_DATA(&m.nh);
	const struct rtattr *rta;
	size_t off = NLMSG_SPACE(sizeof(*ifa));
	int len;

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_addr_msg(&m, sizeof(m), 11, 42, a_addr, 64);
	check_hdr(&m, len, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 11, "addr");
	ok(ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 64 &&
	    ifa->ifa_index == 42 && ifa->ifa_flags == IFA_F_NODAD &&
	    ifa->ifa_scope == 0, "addr: ifaddrmsg inet6 /64 on 42, nodad");
	rta = find_attr(&m.nh, off, IFA_ADDRESS);
	ok(rta != NULL && rta->rta_len == RTA_LENGTH(16) &&
	    memcmp(RTA_DATA(rta), a_addr, 16) == 0,
	    "addr: IFA_ADDRESS 2001:db8:1::2");
	rta = find_attr(&m.nh, off, IFA_FLAGS);
	ok(rta != NULL && attr_u32(rta) == IFA_F_NODAD,
	    "addr: IFA_FLAGS nodad");
	ok(find_attr(&m.nh, off, IFA_LOCAL) == NULL,
	    "addr: no IFA_LOCAL (that would make IFA_ADDRESS a peer)");
	is_int(count_attrs(&m.nh, off), 2, "addr: two attributes");
	ok(tun_nl_addr_msg(&m, (size_t)len - 1, 11, 42, a_addr, 64) == -1,
	    "addr: one byte short: -1");
}

static void
test_route(void)
{
	static const uint8_t any[16];
	union nlbuf m;
	const struct rtmsg *rtm = NLMSG_DATA(&m.nh);
	const struct rtattr *rta;
	size_t off = NLMSG_SPACE(sizeof(*rtm));
	int len;

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_route_msg(&m, sizeof(m), 12, 42, a_route, 64, a_peer);
	check_hdr(&m, len, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, 12,
	    "route");
	ok(rtm->rtm_family == AF_INET6 && rtm->rtm_dst_len == 64 &&
	    rtm->rtm_src_len == 0 && rtm->rtm_table == RT_TABLE_MAIN &&
	    rtm->rtm_protocol == RTPROT_STATIC &&
	    rtm->rtm_scope == RT_SCOPE_UNIVERSE &&
	    rtm->rtm_type == RTN_UNICAST && rtm->rtm_flags == RTNH_F_ONLINK,
	    "route: rtmsg inet6 /64, main, static, unicast, onlink");
	rta = find_attr(&m.nh, off, RTA_DST);
	ok(rta != NULL && rta->rta_len == RTA_LENGTH(16) &&
	    memcmp(RTA_DATA(rta), a_route, 16) == 0,
	    "route: RTA_DST 2001:db8:3::");
	rta = find_attr(&m.nh, off, RTA_GATEWAY);
	ok(rta != NULL && memcmp(RTA_DATA(rta), a_peer, 16) == 0,
	    "route: RTA_GATEWAY the peer");
	rta = find_attr(&m.nh, off, RTA_OIF);
	ok(rta != NULL && attr_u32(rta) == 42, "route: RTA_OIF 42");
	is_int(count_attrs(&m.nh, off), 3, "route: three attributes");

	memset(&m, 0xa5, sizeof(m));
	len = tun_nl_route_msg(&m, sizeof(m), 13, 42, any, 0, a_peer);
	check_hdr(&m, len, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, 13,
	    "default route");
	is_int(rtm->rtm_dst_len, 0, "default: dst_len 0");
	ok(find_attr(&m.nh, off, RTA_DST) == NULL, "default: no RTA_DST");
	is_int(count_attrs(&m.nh, off), 2, "default: gateway and oif");
	ok(tun_nl_route_msg(&m, 40, 13, 42, any, 0, a_peer) == -1,
	    "route: too small: -1");
}

/* Appends a kernel-style NLMSG_ERROR answer at *off in d; returns it. */
static struct nlmsghdr *
put_err(union nlbuf *d, size_t *off, uint32_t seq, int error,
    unsigned short flags, size_t echo, const char *msg)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(d->b + *off);
	struct nlmsgerr *e = NLMSG_DATA(nh);
	struct rtattr *rta;
	size_t len;

	len = NLMSG_LENGTH(sizeof(*e) + echo);
	memset(nh, 0, NLMSG_ALIGN(len));
	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_flags = flags;
	nh->nlmsg_seq = seq;
	e->error = error;
	e->msg.nlmsg_len = (uint32_t)(sizeof(struct nlmsghdr) + echo);
	e->msg.nlmsg_type = RTM_NEWROUTE;
	e->msg.nlmsg_seq = seq;
	memset(e + 1, 0x5a, echo);	/* our request, echoed back */
	len = NLMSG_ALIGN(len);
	if (msg != NULL) {
		rta = (struct rtattr *)((uint8_t *)nh + len);
		rta->rta_type = NLMSGERR_ATTR_MSG;
		rta->rta_len = (unsigned short)RTA_LENGTH(strlen(msg) + 1);
		memcpy(RTA_DATA(rta), msg, strlen(msg) + 1);
		len += RTA_ALIGN(rta->rta_len);
	}
	nh->nlmsg_len = (uint32_t)len;
	*off += len;
	return (nh);
}

static void
test_ack(void)
{
	union nlbuf d;
	struct nlmsghdr *nh;
	char msg[64];
	size_t off;
	int error;

	off = 0;
	put_err(&d, &off, 5, 0, NLM_F_CAPPED, 0, NULL);
	error = -1;
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == 0 && msg[0] == '\0', "plain ACK: found, error 0");
	ok(tun_nl_ack(&d, off, 6, &error, msg, sizeof(msg)) == 0,
	    "ACK for another sequence: not ours");

	off = 0;
	put_err(&d, &off, 5, -EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0,
	    "Nexthop has invalid gateway");
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == EEXIST, "capped extended ACK: EEXIST");
	is_str(msg, "Nexthop has invalid gateway", "its message");

	/* Without NLM_F_CAPPED the request comes back before the TLVs. */
	off = 0;
	put_err(&d, &off, 5, -EINVAL, NLM_F_ACK_TLVS, 37, "bad prefix");
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == EINVAL, "uncapped extended ACK: EINVAL");
	is_str(msg, "bad prefix", "message found past the echoed request");

	off = 0;
	put_err(&d, &off, 5, -EINVAL, NLM_F_ACK_TLVS | NLM_F_CAPPED, 0,
	    "a long message from the kernel");
	ok(tun_nl_ack(&d, off, 5, &error, msg, 7) == 1, "short buffer");
	is_str(msg, "a long", "message cut to the buffer");

	off = 0;
	put_err(&d, &off, 5, -EPERM, NLM_F_CAPPED, 0, "ignored");
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == EPERM && msg[0] == '\0',
	    "TLVs without NLM_F_ACK_TLVS: not read");

	/* Several answers in one datagram: only seq's counts. */
	off = 0;
	put_err(&d, &off, 3, -ENOENT, NLM_F_CAPPED, 0, NULL);
	put_err(&d, &off, 4, 0, NLM_F_CAPPED, 0, NULL);
	ok(tun_nl_ack(&d, off, 4, &error, msg, sizeof(msg)) == 1 && error == 0,
	    "second of two answers");
	ok(tun_nl_ack(&d, off, 3, &error, msg, sizeof(msg)) == 1 &&
	    error == ENOENT, "first of two answers");

	/* Broken answers. */
	off = 0;
	put_err(&d, &off, 5, 0, NLM_F_CAPPED, 0, NULL);
	ok(tun_nl_ack(&d, off - 4, 5, &error, msg, sizeof(msg)) == -1,
	    "cut short: malformed");
	ok(tun_nl_ack(&d, 3, 5, &error, msg, sizeof(msg)) == -1,
	    "less than a header: malformed");
	nh = &d.nh;
	nh->nlmsg_len = NLMSG_LENGTH(2);
	ok(tun_nl_ack(&d, NLMSG_ALIGN(nh->nlmsg_len), 5, &error, msg,
	    sizeof(msg)) == -1, "NLMSG_ERROR too short for nlmsgerr");

	off = 0;
	nh = put_err(&d, &off, 5, -EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0,
	    "x");
	((struct rtattr *)((uint8_t *)nh + NLMSG_LENGTH(sizeof(struct
	    nlmsgerr))))->rta_len = 200;
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == EEXIST && msg[0] == '\0',
	    "TLV longer than the message: error kept, message dropped");

	off = 0;
	put_err(&d, &off, 5, INT32_MIN, NLM_F_CAPPED, 0, NULL);
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == -1,
	    "error INT_MIN: malformed (and no overflow negating it)");
	off = 0;
	put_err(&d, &off, 5, 17, NLM_F_CAPPED, 0, NULL);
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == -1,
	    "positive error: malformed");

	/*
	 * A last message whose length is not a multiple of 4, in a heap
	 * block of exactly that size: the walk must stop, not wrap around.
	 */
	{
		struct nlmsghdr *odd;

		if ((odd = calloc(1, 21)) == NULL)
			abort();
		odd->nlmsg_len = 21;
		odd->nlmsg_type = RTM_NEWLINK;
		odd->nlmsg_seq = 9;
		ok(tun_nl_ack(odd, 21, 5, &error, msg, sizeof(msg)) == 0,
		    "unaligned last message: not ours, nothing read past it");
		free(odd);
	}

	off = 0;
	nh = put_err(&d, &off, 5, -EEXIST, NLM_F_ACK_TLVS, 0, "y");
	((struct nlmsgerr *)NLMSG_DATA(nh))->msg.nlmsg_len = 4000;
	ok(tun_nl_ack(&d, off, 5, &error, msg, sizeof(msg)) == 1 &&
	    error == EEXIST && msg[0] == '\0',
	    "echoed request claims 4000 bytes: nothing read past the end");
}

int
main(void)
{
	test_link();
	test_addr();
	test_route();
	test_ack();
	return (done_testing());
}
