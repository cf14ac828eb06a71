/*
 * Private to tunnel/: byte access, address classes, checksums and the ICMP
 * builders and parsers the data plane uses around tun_decap.  Tests and the
 * fuzzer include it too.
 */
#ifndef V6F_TUN_INT_H
#define V6F_TUN_INT_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunnel/tunnel.h"

#define TUN_IP4_HLEN	20	/* IPv4 header without options */
#define TUN_IP6_HLEN	40	/* IPv6 fixed header */
#define TUN_EXTHDR_MAX	8	/* extension headers walked before giving up */
#define TUN_IPV6_MIN_MTU 1280	/* RFC 8200 */

#define TUN_PROTO_ICMP4	1
#define TUN_PROTO_IPV6	41
#define TUN_PROTO_FRAG	44
#define TUN_PROTO_ICMP6	58
#define TUN_PROTO_NONE	59

/* ICMPv6 types we build or look at (RFC 4443, RFC 4861). */
#define TUN_ICMP6_PTB		2
#define TUN_ICMP6_ECHO_REQ	128
#define TUN_ICMP6_ECHO_REP	129
#define TUN_ICMP6_RS		133
#define TUN_ICMP6_REDIRECT	137
#define TUN_ICMP6_NS		135
#define TUN_ICMP6_NA		136

/* Echo request: IPv6 header, ICMPv6 echo header, 8-byte tag, 8-byte time. */
#define TUN_ECHO_LEN	(TUN_IP6_HLEN + 8 + 16)
#define TUN_ECHO_TAG	"v6fecho1"

/* MLD (RFC 2710, RFC 3810): query, v1 report, v1 done, v2 report. */
#define TUN_ICMP6_MLD_QUERY	130
#define TUN_ICMP6_MLD_REPORT	131
#define TUN_ICMP6_MLD_DONE	132
#define TUN_ICMP6_MLD2_REPORT	143

/* Neighbour Advertisement without options: IPv6 header + 24 bytes. */
#define TUN_NA_LEN	(TUN_IP6_HLEN + 24)

static inline uint16_t
tun_rd16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static inline uint32_t
tun_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static inline uint64_t
tun_rd64(const uint8_t *p)
{
	return ((uint64_t)tun_rd32(p) << 32 | tun_rd32(p + 4));
}

static inline void
tun_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
tun_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
tun_wr64(uint8_t *p, uint64_t v)
{
	tun_wr32(p, (uint32_t)(v >> 32));
	tun_wr32(p + 4, (uint32_t)v);
}

/*
 * Adds n to a tun_stats field.  One writer: a relaxed load of our own last
 * store, plus a relaxed store, is enough, and keeps readers on other
 * threads free of data races.
 */
static inline void
tun_stat_add(uint64_t *f, uint64_t n)
{
	__atomic_store_n(f, __atomic_load_n(f, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

/* IPv6 address classes; a points at 16 bytes. */
bool	tun_a6_unspec(const uint8_t *a);
bool	tun_a6_loopback(const uint8_t *a);
bool	tun_a6_multicast(const uint8_t *a);
bool	tun_a6_linklocal(const uint8_t *a);
bool	tun_a6_v4compat(const uint8_t *a);	/* ::/96 */
bool	tun_a6_v4mapped(const uint8_t *a);	/* ::ffff:0:0/96 */
bool	tun_a6_6to4_martian(const uint8_t *a);	/* 2002:<bogus v4>::/48 */

/* True if a lies in pfx/plen (plen 0-128; bits past plen are ignored). */
bool	tun_in_prefix(const uint8_t *a, const uint8_t *pfx, unsigned plen);

/* Writes into snm the solicited-node group of a (RFC 4291 2.7.1). */
void	tun_solicited_node(uint8_t *snm, const uint8_t *a);

/* True if a lies in one of the context's routes. */
bool	tun_in_routes(const struct tun_ctx *, const uint8_t *a);

/* Where the extension-header chain of an IPv6 packet leads. */
struct tun_l4 {
	size_t		 off;		/* upper layer, from the IPv6 header */
	uint8_t		 proto;		/* its protocol; TUN_PROTO_FRAG when the
					   packet is a non-first fragment */
	bool		 frag;		/* a Fragment header was seen */
};

/*
 * Walks at most TUN_EXTHDR_MAX extension headers of the IPv6 packet at ip6
 * (len bytes, 40 + payload length).  Returns 0 with l4 filled, or -1 when a
 * header runs past len, a Hop-by-Hop header is not first, or the chain is
 * longer than the bound.  Reads nothing at or past ip6 + len.
 */
int	tun_l4_find(const uint8_t *ip6, size_t len, struct tun_l4 *l4);

/*
 * Internet checksum (RFC 1071).  tun_sum adds len bytes, as big-endian
 * 16-bit words, to a running sum; tun_fold turns a sum into the checksum.
 */
uint64_t	tun_sum(uint64_t sum, const uint8_t *p, size_t len);
uint16_t	tun_fold(uint64_t sum);

/* The checksum of len bytes: an IPv4 header or an ICMPv4 message. */
uint16_t	tun_cksum(const uint8_t *p, size_t len);

/*
 * The checksum of an upper-layer message of len bytes with the IPv6
 * pseudo-header (RFC 8200 8.1) for src, dst and next header nh.  Over a
 * message whose checksum field is set, a correct one gives 0.
 */
uint16_t	tun_cksum6(const uint8_t *src, const uint8_t *dst, uint8_t nh,
	    const uint8_t *msg, size_t len);

/*
 * Builds an ICMPv6 Echo Request from our address to the peer into buf
 * (buflen >= TUN_ECHO_LEN): identifier id, sequence seq, and a payload of
 * TUN_ECHO_TAG and now_ns, which the reply carries back.  Returns the packet
 * length, or -1 if buf is too small.
 */
int	tun_echo_req(const struct tun_ctx *, uint8_t *buf, size_t buflen,
	    uint16_t id, uint16_t seq, uint64_t now_ns);

/*
 * Recognises an inner IPv6 packet (as tun_decap delimits it) as the peer's
 * Echo Reply to one of our requests with identifier id: from the peer to
 * our address, checksum right, our tag, a send time not after now_ns.
 * Returns 0 with *seq and *rtt_ns set, or -1 if it is anything else.
 */
int	tun_echo_rtt(const struct tun_ctx *, const uint8_t *pkt, size_t len,
	    uint16_t id, uint64_t now_ns, uint16_t *seq, uint64_t *rtt_ns);

/*
 * Builds an ICMPv6 Packet Too Big (RFC 4443 3.2) reporting mtu for the IPv6
 * packet pkt (len bytes), from our address to its source, quoting as much
 * of it as keeps the result within 1280 bytes.  Returns the length, or -1
 * when no PTB may be sent (RFC 4443 2.4 e): pkt is not IPv6, its source is
 * unspecified or multicast, it is an ICMPv6 error, or its chain cannot be
 * read; or when mtu < 1280 or buf is too small.
 */
int	tun_ptb_build(const struct tun_ctx *, uint8_t *buf, size_t buflen,
	    const uint8_t *pkt, size_t len, uint32_t mtu);

/*
 * Reads an IPv4 packet as a raw IPPROTO_ICMP socket returns it (IPv4 header
 * first).  If it is a Destination Unreachable / Fragmentation Needed (type
 * 3 code 4) with a valid checksum that quotes one of our outer packets
 * (protocol 41 from local to remote), returns 0 with the next-hop MTU in
 * *mtu; a router that leaves the field 0 (pre-RFC 1191) gets the plateau
 * below the quoted total length.  Otherwise returns -1.
 */
int	tun_icmp4_mtu(const struct tun_ctx *, const uint8_t *buf, size_t len,
	    uint32_t *mtu);

/*
 * True if the IPv6 packet pkt (len bytes, as read from the TUN) is an MLD
 * message sent to a multicast group: the kernel sends reports for the
 * groups it joins, even on a point-to-point link where nobody listens.
 */
bool	tun_mld(const uint8_t *pkt, size_t len);

/*
 * Answers a Neighbour Solicitation.  pkt is an inner IPv6 packet (len bytes)
 * that tun_decap accepted.  If it is a valid NS (RFC 4861 7.1.1: hop limit
 * 255, code 0, checksum, options well formed, not fragmented) from the peer
 * or a link-local source, for our address or our link-local, writes into
 * buf the solicited Neighbour Advertisement that goes back into the tunnel
 * and returns its length (TUN_NA_LEN).  Otherwise returns -1.
 *
 * Why userspace answers at all: Linux does answer a unicast NS (the peer's
 * unreachability probe) written into a TUN device, since a TUN has no
 * header_ops and ndisc_recv_ns then replies even on an IFF_NOARP device,
 * with the same NA as this one.  But a NOARP device never joins the
 * solicited-node groups (only ff01::1 and ff02::1), so an NS sent to
 * ff02::1:ffXX:XXXX is dropped unanswered; and the kernel only knows the
 * addresses already on the interface.  So the data plane calls this first
 * for every NS that tun_decap accepted: when it returns an NA, the NA goes
 * back into the tunnel and the NS stops there; otherwise (an address we do
 * not know of) the NS goes on to the TUN and the kernel may answer it.
 * Either way the peer gets one answer.
 */
int	tun_nd_answer(const struct tun_ctx *, const uint8_t *pkt, size_t len,
	    uint8_t *buf, size_t buflen);

/* ---- TUN offloads (tun_gso.c) ---- */

/*
 * The virtio-net header an IFF_VNET_HDR device puts before each packet
 * (struct virtio_net_hdr, in host byte order), decoded.
 */
#define TUN_VNET_LEN		10
#define TUN_VNET_NEEDS_CSUM	0x01	/* flags: checksum left partial */
#define TUN_VNET_GSO_NONE	0x00	/* gso_type: an ordinary packet */
#define TUN_VNET_GSO_TCPV6	0x04	/* gso_type: a TCP super-packet */
#define TUN_VNET_GSO_UDP_L4	0x05	/* gso_type: UDP datagrams */
#define TUN_VNET_GSO_ECN	0x80	/* gso_type bit: ECN seen (CWR) */

struct tun_vnet {
	uint8_t		 flags;
	uint8_t		 gso_type;
	uint16_t	 hdr_len;
	uint16_t	 gso_size;	/* payload bytes per segment */
	uint16_t	 csum_start;	/* where the checksummed part begins */
	uint16_t	 csum_offset;	/* the checksum field, from there */
};

/* Decodes the TUN_VNET_LEN bytes at p. */
void	tun_vnet_read(struct tun_vnet *, const uint8_t *p);

/*
 * Finishes a partial checksum as the kernel leaves it with NEEDS_CSUM:
 * the field at pkt + start + off holds the pseudo-header's sum, and the
 * checksum covers pkt + start to the end (len bytes in all).  Returns 0,
 * or -1 when start and off do not fall inside the packet.
 */
int	tun_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t off);

/* Cutting one TCP super-packet into segments; see tun_gso_init. */
struct tun_gso {
	const uint8_t	*pkt;		/* the super-packet; NULL: none */
	size_t		 len;
	size_t		 l4off;		/* TCP header */
	size_t		 hlen;		/* all headers, TCP's included */
	size_t		 mss;		/* payload per segment */
	size_t		 next;		/* first payload byte not yet cut */
};

/*
 * Starts cutting the IPv6 packet pkt (len bytes, its payload length
 * matching; the caller keeps it in place until done) into segments of at
 * most mss payload bytes.  Returns 0, or -1 (g then yields nothing) when
 * it is not one whole unfragmented TCP-in-IPv6 packet with a readable
 * header chain, or mss is 0.
 */
int	tun_gso_init(struct tun_gso *g, const uint8_t *pkt, size_t len,
	    size_t mss);

/*
 * Writes the next segment into buf: the headers copied, the IPv6 payload
 * length and TCP sequence number adjusted, FIN and PSH only on the last
 * segment and CWR only on the first, and a full TCP checksum, whatever the
 * super-packet's field held.  Returns its length, 0 when every segment is
 * out, or -1 when buf (buflen bytes) is too small for it.
 */
int	tun_gso_next(struct tun_gso *g, uint8_t *buf, size_t buflen);

/*
 * Coalescing segments out of the tunnel into one super-packet for the TUN.
 * tun_gro_ok returns the length of all headers when the IPv6 packet pkt
 * (len bytes, as tun_decap delimits it) may start or join one: TCP right
 * after the IPv6 header, payload, flags ACK or ACK|PSH, checksum
 * verifying; else 0.  tun_gro_match says whether pkt (tun_gro_ok gave
 * hlen for both) continues the run that first starts: same IPv6 header
 * but for the length, same TCP header but for sequence number, PSH and
 * checksum, and sequence number seq.  tun_gro_finish turns first (its
 * header followed, in the caller's iovecs, by total bytes in all) into
 * the head of the super-packet: length, PSH if any segment had it, the
 * pseudo-header's sum in the checksum field, and the virtio-net header
 * for segments of mss bytes written into vnet (TUN_VNET_LEN bytes).
 */
size_t	tun_gro_ok(const uint8_t *pkt, size_t len);
bool	tun_gro_match(const uint8_t *first, const uint8_t *pkt, size_t hlen,
	    uint32_t seq);
void	tun_gro_finish(uint8_t *first, size_t hlen, size_t total, bool psh,
	    uint16_t mss, uint8_t *vnet);

/*
 * A TCP super-packet that the receiving kernel's GRO made of our outer
 * packets (a NIC, or a veth in NAPI mode, merges 6in4 TCP like any other)
 * reaches the raw socket whole: IPv4 and IPv6 lengths fixed up, and in
 * the TCP checksum field only the pseudo-header's sum, since the merged
 * payload has no checksum of its own; GRO merged only segments whose
 * checksums it verified.  tun_kgro_ok returns the length of all headers
 * when pkt (len bytes, as tun_decap delimits it) is such a packet: TCP
 * right after the IPv6 header, a payload, and exactly that sum in the
 * field; else 0.  (An ordinary segment has that sum there only when its
 * own checksum happens to be it; completing it then gives the same.)
 */
size_t	tun_kgro_ok(const uint8_t *pkt, size_t len);

/*
 * The same for UDP: tun_ugro_ok returns 48 when pkt may start or join a
 * run (UDP right after the IPv6 header, both lengths agreeing, a payload,
 * a checksum that is there and verifies), else 0; tun_ugro_match says
 * whether pkt belongs to first's flow (same IPv6 header but for the
 * length, same ports); tun_ugro_finish makes first the head of total
 * bytes of datagrams of size payload bytes each (the last may be
 * shorter), with the virtio-net header for them in vnet.  The kernel
 * cuts it into the datagrams again.
 */
size_t	tun_ugro_ok(const uint8_t *pkt, size_t len);
bool	tun_ugro_match(const uint8_t *first, const uint8_t *pkt);
void	tun_ugro_finish(uint8_t *first, size_t total, uint16_t size,
	    uint8_t *vnet);

/* ---- liveness (tun_live.c): pure, driven by the data plane's clock ---- */

/* Replies to any of this many latest echoes still count. */
#define TUN_ECHO_WINDOW	16

/*
 * The echo schedule and what it concluded.  Pure state: the data plane
 * feeds it the time and the replies it recognised, and sends the echoes
 * it asks for.
 */
struct tun_live {
	uint64_t	 interval_ns;	/* 0: echoes off */
	uint64_t	 next_ns;	/* when the next echo is due */
	uint16_t	 seq;		/* of the last echo asked for */
	uint64_t	 sent;		/* echoes asked for so far */
	bool		 pending;	/* that echo has no reply yet */
	unsigned	 missed;	/* echoes unanswered in a row */
	enum tun_state	 state;
};

/* Echoes every interval_ns (0: never), the first one due at now_ns. */
void	tun_live_init(struct tun_live *, uint64_t interval_ns,
	    uint64_t now_ns);

/*
 * Milliseconds until the next echo is due, for poll(2): 0 when it is due
 * now, -1 when echoes are off.  Rounded up, so poll never wakes early.
 */
int	tun_live_wait_ms(const struct tun_live *, uint64_t now_ns);

/*
 * When an echo is due at now_ns: returns 1 with *seq the sequence number
 * of the echo to send now, and *ev TUN_EV_DOWN if the unanswered echo
 * before it made TUN_ECHO_MISSES in a row and the state was not already
 * down (else 0).  Returns 0 when nothing is due.  A late caller sends one
 * echo, not the ones it missed.
 */
int	tun_live_due(struct tun_live *, uint64_t now_ns, uint16_t *seq,
	    int *ev);

/*
 * A recognised reply with sequence seq.  Returns TUN_EV_UP when it brings
 * the state up, 0 when it only confirms it, -1 when seq is not among the
 * last TUN_ECHO_WINDOW echoes sent (ignored).
 */
int	tun_live_reply(struct tun_live *, uint16_t seq);

/* ---- rtnetlink messages (tun_nl.c) ---- */

/*
 * Builders write one request into buf (aligned for struct nlmsghdr, buflen
 * bytes) and return its length, or -1 when it does not fit.  Each asks for
 * an ACK.  They do no I/O, so the unit tests check them byte for byte.
 */

/* RTM_NEWLINK on an existing ifindex: MTU (if mtu > 0). */
int	tun_nl_mtu_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
	    uint32_t mtu);

/* RTM_NEWLINK: the transmit queue length. */
int	tun_nl_txqlen_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
	    uint32_t txqlen);

/*
 * RTM_NEWLINK: IPv6 address generation mode none, so that the kernel adds
 * no link-local of its own beside the RFC 4213 one.
 */
int	tun_nl_nogen_msg(void *buf, size_t buflen, uint32_t seq, int ifindex);

/* RTM_NEWLINK: administratively up. */
int	tun_nl_up_msg(void *buf, size_t buflen, uint32_t seq, int ifindex);

/* RTM_NEWADDR: addr/plen (16 bytes) with IFA_F_NODAD; fails if present. */
int	tun_nl_addr_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
	    const uint8_t *addr, uint8_t plen);

/*
 * RTM_NEWROUTE in the main table: dst/plen via gw (on-link: the tunnel is
 * point to point, whatever the address's prefix) out of ifindex; fails if
 * the same route exists.
 */
int	tun_nl_route_msg(void *buf, size_t buflen, uint32_t seq, int ifindex,
	    const uint8_t *dst, uint8_t plen, const uint8_t *gw);

/*
 * Looks through one datagram from the kernel (len bytes at buf, aligned)
 * for the answer to request seq.  Returns 1 when found, with *error 0 for
 * an ACK or the positive errno, and the kernel's extended message (if any)
 * in msg (msglen bytes; "" without one); 0 when the datagram holds no
 * answer to seq; -1 when it is malformed.
 */
int	tun_nl_ack(const void *buf, size_t len, uint32_t seq, int *error,
	    char *msg, size_t msglen);

/* A NETLINK_ROUTE socket and the sequence number of the next request. */
struct tun_nl {
	int		 fd;
	uint32_t	 seq;
};

/* Opens the socket (extended ACKs on); -1 with the reason in err. */
int	tun_nl_open(struct tun_nl *, char *err, size_t errlen);

/* Closes it; safe twice. */
void	tun_nl_close(struct tun_nl *);

/*
 * Sends request req (len bytes, built with sequence number seq) and waits
 * for its answer.  Returns 0 on an ACK, or -1 with errno set (the kernel's
 * error, or the socket's) and the kernel's extended message in kmsg.
 */
int	tun_nl_call(struct tun_nl *, const void *req, size_t len,
	    uint32_t seq, char *kmsg, size_t kmsglen);

/* ---- the running tunnel (tun_dev.c: setup; tun_dp.c: data plane) ---- */

/*
 * The tuning below may be overridden at build time (-DTUN_BATCH=1), which
 * is how bench/tun.sh measures what each of them is worth.
 */
#ifndef TUN_BATCH
#define TUN_BATCH	32		/* packets per recvmmsg / sendmmsg */
#endif
#define TUN_BUF_LEN	65536		/* a slot: any IPv4 datagram fits */
#define TUN_RX_ROUNDS	8		/* raw batches before the TUN's turn */
#ifndef TUN_TXQLEN
#define TUN_TXQLEN	4096		/* packets the kernel queues for us */
#endif
#ifndef TUN_SOCKBUF
#define TUN_SOCKBUF	(8 << 20)	/* raw socket buffers, each way; 0:
					   the system's default */
#endif
#define TUN_SLOT_LEN	2048		/* a packet into the tunnel: the
					   largest MTU (1480) fits */
#define TUN_TX_SLOTS	256		/* packets per sendmmsg: a few
					   super-packets' segments */
#define TUN_TX_READS	64		/* TUN reads before the socket's turn */
#ifndef TUN_TSO
#define TUN_TSO		1		/* TSO super-packets from the TUN */
#endif
#ifndef TUN_GRO
#define TUN_GRO		1		/* super-packets to the TUN */
#endif
#define TUN_CTL_LEN	128		/* an echo request or an NA */
#define TUN_PMTU_AGE_MS	(10 * 60 * 1000)	/* a lowered MTU lasts
					   (RFC 1191 4: at least 5 min) */

struct tun {
	struct tun_ctx	 cx;		/* read-only after tun_open */
	char		 ifname[IFNAMSIZ];
	int		 ifindex;
	int		 tun_fd;	/* owned; closing it drops the device */
	int		 raw_fd;	/* owned; protocol 41, bound to local */
	int		 wake_fd;	/* owned; eventfd to stop the thread */
	struct sockaddr_in remote_sa;	/* where every packet goes */
	char		 remote_str[INET_ADDRSTRLEN];
	uint64_t	 echo_ns;	/* echo interval; 0: off */
	uint16_t	 echo_id;	/* identifier of our echoes */

	struct tun_update *upd;		/* owned; NULL without tunnel.update */

	pthread_t	 thr;
	bool		 started;
	int		 stop;		/* atomic; set, then wake the thread */
	tun_event_fn	*ev_fn;
	void		*ev_arg;

	struct tun_stats st;		/* written by the data plane only */
	int		 state;		/* enum tun_state; atomic */

	/* Everything below belongs to the data-plane thread. */
	struct tun_live	 live;
	bool		 tun_dead;	/* the TUN failed: stop reading it */
	uint64_t	 err_last_ns;	/* when the last error was reported */
	uint64_t	 err_suppressed;	/* errors since, not reported */
	uint8_t		*rx_buf;	/* TUN_BATCH slots of TUN_BUF_LEN */
	struct mmsghdr	 rx_msg[TUN_BATCH];
	struct iovec	 rx_iov[TUN_BATCH];
	uint8_t		*tx_buf;	/* TUN_TX_SLOTS of TUN_SLOT_LEN */
	struct mmsghdr	 tx_msg[TUN_TX_SLOTS];
	struct iovec	 tx_iov[TUN_TX_SLOTS];
	unsigned	 tx_n;		/* packets read from the TUN ... */
	unsigned	 tx_off;	/* ... of which this many are sent */
	uint8_t		*rd_buf;	/* TUN_BUF_LEN: a super-packet */
	struct tun_gso	 gso;		/* the one being cut, if gso.pkt */
	uint8_t		 vnet[TUN_VNET_LEN];	/* of the last TUN read */
	uint32_t	 mtu;		/* largest inner packet sent now */
	uint32_t	 mtu_cfg;	/* the configured one */
	bool		 pmtu_dynamic;	/* DF set, ICMPv4 lowers mtu */
	bool		 df_off;	/* path below 1300: DF cleared */
	uint64_t	 mtu_until_ns;	/* when a lowered mtu expires */
	uint8_t		 ctl[TUN_CTL_LEN];
	uint8_t		 ptb[TUN_IPV6_MIN_MTU];	/* a Packet Too Big */
	/* Segments out of the tunnel, to go to the TUN as one packet. */
	struct iovec	 gro_iov[TUN_BATCH + 2];	/* vnet, first, rest */
	unsigned	 gro_n;		/* segments in it; 0: none */
	uint8_t		*gro_first;	/* the first, in its rx slot */
	size_t		 gro_hlen;	/* its headers */
	size_t		 gro_mss;	/* its payload: every one but the
					   last has as much */
	size_t		 gro_total;	/* bytes, headers once */
	uint32_t	 gro_seq;	/* the next one's sequence number */
	bool		 gro_psh;
	bool		 gro_udp;	/* a UDP run, not TCP */
	bool		 ugro_off;	/* the kernel refused one: no more */
	uint8_t		 gro_vnet[TUN_VNET_LEN];
};

/*
 * tun_update.c: the broker endpoint updater.  tun_update_new reads the
 * password file (so it runs before privileges are dropped) and builds the
 * request; tun_update_start starts its thread, which reports through fn;
 * tun_update_free stops it, joins it and wipes the credentials.  Each
 * returns 0, or -1 with the reason in err.
 */
struct tun_update;
int	tun_update_new(struct tun_update **, const struct conf_tunnel_update *,
	    const char *ifname, char *err, size_t errlen);
int	tun_update_start(struct tun_update *, tun_event_fn *fn, void *arg,
	    char *err, size_t errlen);
void	tun_update_free(struct tun_update *);

/* Nanoseconds on the monotonic clock. */
uint64_t	tun_now_ns(void);

/* The data-plane thread; arg is the struct tun. */
void	*tun_dp_main(void *arg);

#endif
