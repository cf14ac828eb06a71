/*
 * tunnel: a 6in4 tunnel (RFC 4213, IPv6 in IPv4, IP protocol 41) run from
 * userspace.  Two layers:
 *
 * - The packet layer: pure functions over byte buffers, shared by the data
 *   plane, the unit tests and the fuzzer.  They do no I/O, never allocate
 *   and never print; per-packet problems become a drop reason that the
 *   caller counts in struct tun_stats.  Buffers may sit at any alignment:
 *   every field is read and written byte by byte in network order.
 *
 * - The running tunnel (struct tun, at the end): a TUN device configured
 *   over rtnetlink, a raw IPv4 socket for protocol 41, and a data-plane
 *   thread between them.  It never prints either: tun_open fails with the
 *   reason in the caller's buffer, and what happens later (up, down,
 *   errors) reaches the owner through counters and one callback.
 */
#ifndef V6F_TUNNEL_H
#define V6F_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#define TUN_OUTER_LEN	20	/* the IPv4 header 6in4 adds, without options */
#define TUN_IP4_MAX	65535	/* largest IPv4 datagram, header included */
#define TUN_INNER_MAX	(TUN_IP4_MAX - TUN_OUTER_LEN)
#define TUN_ROUTES_MAX	32	/* client-side prefixes a context holds */

/* tun_encap_hdr flags. */
#define TUN_DF		0x1	/* set Don't Fragment (dynamic PMTU mode) */

/*
 * Why tun_decap refused a packet.  The order is fixed: the values index
 * tun_stats.drops and the names are what operators see, so new reasons go
 * at the end, before TUN_DROP_MAX.
 */
enum tun_drop {
	TUN_DROP_NONE = 0,	/* "none": accepted */
	TUN_DROP_SHORT,		/* "short": fewer bytes than a header needs */
	TUN_DROP_BAD_OUTER,	/* "bad_outer": IPv4 version, IHL or length */
	TUN_DROP_BAD_PROTO,	/* "bad_proto": IPv4 protocol is not 41 */
	TUN_DROP_FRAGMENT,	/* "fragment": outer IPv4 fragment */
	TUN_DROP_NOT_REMOTE,	/* "not_remote": outer source is not remote */
	TUN_DROP_NOT_LOCAL,	/* "not_local": outer dst is not local */
	TUN_DROP_BAD_VERSION,	/* "bad_version": inner packet is not IPv6 */
	TUN_DROP_BAD_LEN,	/* "bad_len": payload longer than arrived */
	TUN_DROP_JUMBO,		/* "jumbo": IPv6 payload length 0 */
	TUN_DROP_SRC_MARTIAN,	/* "src_martian": ::, ::1, ff00::/8, ... */
	TUN_DROP_DST_MARTIAN,	/* "dst_martian": ::, ::1, ::/96, ... */
	TUN_DROP_SRC_SPOOF,	/* "src_spoof": source not allowed for role */
	TUN_DROP_DST_NOT_OURS,	/* "dst_not_ours": not for this end */
	TUN_DROP_BAD_EXTHDR,	/* "bad_exthdr": header chain malformed */
	TUN_DROP_ND_NOT_PEER,	/* "nd_not_peer": ND not from peer/link-local */
	TUN_DROP_ND_BAD,	/* "nd_bad": ND hop limit, code or fragment */
	TUN_DROP_MAX
};

/* The stable short name of a reason ("not_remote"); "unknown" if invalid. */
const char	*tun_drop_name(enum tun_drop);

/* An IPv6 prefix; only the first plen bits of addr are compared. */
struct tun_prefix {
	uint8_t		 addr[16];
	uint8_t		 plen;		/* 0-128 */
};

/*
 * What decapsulation checks packets against, built once from the config by
 * tun_ctx_init and read-only afterwards, so one context may serve several
 * threads.  Addresses are in network order.
 */
struct tun_ctx {
	enum conf_tunnel_role role;
	uint8_t		 local[4];	/* our IPv4 endpoint */
	uint8_t		 remote[4];	/* the other end's IPv4 endpoint */
	uint8_t		 addr[16];	/* our tunnel address ... */
	uint8_t		 plen;		/* ... and the tunnel prefix length */
	uint8_t		 peer[16];	/* the other end's tunnel address */
	uint8_t		 lladdr[16];	/* our link-local, fe80::<local> */
	uint8_t		 snm[2][16];	/* solicited-node: addr, lladdr */
	uint8_t		 ttl;		/* outer TTL we send with */
	size_t		 nroutes;
	struct tun_prefix routes[TUN_ROUTES_MAX];	/* client side */
};

/*
 * Fills cx from a tunnel config.  Returns 0, or -1 with the reason in err
 * (errlen bytes, NUL-terminated; err may be NULL) when the config cannot
 * describe a tunnel: an unknown role, a zero IPv4 endpoint, a multicast or
 * unspecified IPv6 address, a peer equal to our address, a prefix length
 * past 128, a ttl outside 1-255, an IPv4 route, or more than TUN_ROUTES_MAX
 * routes.  The context copies what it needs: the config may go away
 * afterwards.
 */
int	tun_ctx_init(struct tun_ctx *cx, const struct conf_tunnel *,
	    char *err, size_t errlen);

/*
 * One packet that came out of the tunnel.  Offsets count from the start of
 * the buffer given to tun_decap, except l4off which counts from the inner
 * IPv6 header.
 */
struct tun_pkt {
	size_t		 off;		/* inner IPv6 header: buf + off */
	size_t		 len;		/* inner packet: 40 + payload length */
	size_t		 trailing;	/* bytes after it, trimmed */
	size_t		 l4off;		/* upper layer: buf + off + l4off */
	uint8_t		 proto;		/* upper-layer protocol, or 44 when this
					   is a non-first fragment */
	uint8_t		 icmp6_type;	/* when proto is 58 */
	bool		 frag;		/* carries an IPv6 Fragment header */
	enum tun_drop	 drop;		/* TUN_DROP_NONE when accepted */
};

/*
 * Checks one datagram as a raw AF_INET/SOCK_RAW/IPPROTO_IPV6 socket on Linux
 * returns it: the outer IPv4 header, options included, then the payload,
 * already reassembled by the kernel.  Returns 0 and the inner packet's place
 * in out (no copy), or -1 with out->drop saying why.  Bytes after the IPv6
 * payload are not part of the packet: they are left out of out->len and
 * their number is in out->trailing, so the caller writes exactly out->len
 * bytes to the TUN device.  No checksum is verified: the kernel checked the
 * outer one, and the inner ones belong to the kernel's IPv6 stack.
 */
int	tun_decap(const struct tun_ctx *cx, struct tun_pkt *out,
	    const uint8_t *buf, size_t len);

/*
 * Writes the TUN_OUTER_LEN-byte outer IPv4 header for an inner packet of
 * inner_len bytes into hdr, for a raw socket with IP_HDRINCL: TTL from the
 * config, protocol 41, local to remote, the caller's id, TOS 0, and DF only
 * with TUN_DF (RFC 4213 3.2: fixed-MTU tunnels leave DF clear so that IPv4
 * routers fragment; dynamic PMTU mode sets it and relies on ICMPv4).
 * Returns 0, or -1 when inner_len does not fit an IPv4 datagram.  A raw
 * socket without IP_HDRINCL needs none of this: the kernel builds the header
 * itself (source, its own ID, TTL from IP_TTL, DF from IP_MTU_DISCOVER).
 */
int	tun_encap_hdr(const struct tun_ctx *cx, uint8_t *hdr, size_t inner_len,
	    uint16_t id, int flags);

/*
 * Tunnel counters.  Exactly one thread, the data plane, writes them, through
 * tun_stats_rx/tx and the echo helpers, with relaxed atomic stores.  Any
 * other thread reads each field with __atomic_load_n(&f, __ATOMIC_RELAXED)
 * or copies them all with tun_stats_read.  Fields are independent: a reader
 * may see rx_pkts from one packet later than rx_bytes.
 */
struct tun_stats {
	uint64_t	 rx_pkts;	/* inner packets accepted */
	uint64_t	 rx_bytes;	/* their inner bytes (out->len) */
	uint64_t	 rx_trailing;	/* accepted packets that had bytes
					   trimmed after the IPv6 payload */
	uint64_t	 tx_pkts;	/* inner packets sent into the tunnel */
	uint64_t	 tx_bytes;	/* their inner bytes */
	uint64_t	 echo_tx;	/* echo requests sent to the peer */
	uint64_t	 echo_rx;	/* matching echo replies */
	uint64_t	 echo_rtt_ns;	/* last reply's RTT; 0 before one */
	uint64_t	 nd_answered;	/* Neighbour Solicitations answered */
	uint64_t	 rx_errors;	/* accepted, but the TUN refused them */
	uint64_t	 tx_errors;	/* from the TUN, but could not be sent,
					   or were not IPv6 */
	uint64_t	 tx_mld;	/* the kernel's MLD, kept out of the
					   tunnel */
	uint64_t	 rx_overflow;	/* datagrams the kernel dropped for
					   want of room in the raw socket's
					   receive buffer (SO_MEMINFO: the
					   kernel's 32-bit count) */
	uint64_t	 tx_gso;	/* TCP super-packets from the TUN,
					   cut into segments (each counted in
					   tx_pkts) */
	uint64_t	 ptb_sent;	/* Packet Too Big sent back for
					   packets larger than the MTU */
	uint64_t	 rx_gro;	/* super-packets written to the TUN,
					   each several segments of one TCP
					   stream or datagrams of one UDP
					   flow (counted in rx_pkts) */
	uint64_t	 rx_kgro;	/* TCP super-packets the receiving
					   kernel's GRO had made of our outer
					   packets, passed on whole (counted
					   in rx_pkts) */
	uint64_t	 mtu;		/* the largest inner packet sent now:
					   the configured MTU, or less in
					   dynamic PMTU mode */
	uint64_t	 frag_needed;	/* path MTU reports for our outer
					   packets: ICMPv4 Fragmentation
					   Needed, or the kernel refusing a
					   packet larger than it learnt */
	uint64_t	 drops[TUN_DROP_MAX];	/* by reason; [0] stays 0 */
};

/* Counts one tun_decap result: accepted bytes or the drop reason. */
void	tun_stats_rx(struct tun_stats *, const struct tun_pkt *);

/* Counts one inner packet of len bytes sent into the tunnel. */
void	tun_stats_tx(struct tun_stats *, size_t len);

/* Counts an echo request sent, or a reply received with its RTT. */
void	tun_stats_echo_tx(struct tun_stats *);
void	tun_stats_echo_rx(struct tun_stats *, uint64_t rtt_ns);

/* Copies every counter from a live src with relaxed loads; any thread. */
void	tun_stats_read(struct tun_stats *dst, const struct tun_stats *src);

/* ---- the running tunnel ---- */

#define TUN_ECHO_MISSES	3	/* echoes unanswered in a row: down */

/* What the echoes to the peer say about the tunnel. */
enum tun_state {
	TUN_STATE_UNKNOWN = 0,	/* no echo answered or missed yet, or off */
	TUN_STATE_UP,		/* the last echo, or one recently, came back */
	TUN_STATE_DOWN,		/* TUN_ECHO_MISSES echoes in a row did not */
};

/* "unknown", "up" or "down". */
const char	*tun_state_name(enum tun_state);

enum tun_ev_kind {
	TUN_EV_UP = 1,		/* an echo reply after down or unknown */
	TUN_EV_DOWN,		/* TUN_ECHO_MISSES echoes unanswered */
	TUN_EV_ERROR,		/* a send, read or write failed */
	TUN_EV_UPDATE,		/* a broker endpoint update finished */
	TUN_EV_MTU,		/* dynamic PMTU: the inner MTU changed */
};

/*
 * One event from the data plane.  Errors come at most one per
 * TUN_ERR_EVERY_MS; the counters count every one of them.
 */
struct tun_event {
	enum tun_ev_kind kind;
	const char	*ifname;	/* the tunnel's interface */
	uint64_t	 rtt_ns;	/* UP: the reply's round trip */
	unsigned	 missed;	/* DOWN: echoes unanswered in a row */
	uint64_t	 suppressed;	/* ERROR: errors since the last one */
	const char	*msg;		/* ERROR: "send to 198.51.100.1: Network
					   is unreachable"; valid during the
					   call only */
	int		 upd;		/* UPDATE: enum tun_upd_result; msg
					   holds the broker's answer or why
					   there was none */
	int		 status;	/* UPDATE: HTTP status, 0 if none */
	uint64_t	 next_ms;	/* UPDATE: when the next one starts */
	uint32_t	 mtu;		/* MTU: the inner MTU now ... */
	uint32_t	 old_mtu;	/* ... and before */
	uint32_t	 path_mtu;	/* MTU: the IPv4 path MTU reported;
					   0 when the estimate expired */
	const char	*remote;	/* MTU: the remote, "198.51.100.1" */
};

#define TUN_ERR_EVERY_MS	10000

/*
 * Called on the data-plane thread, so it must be quick and thread-safe
 * (one log line is fine).  It may read counters and state, but must not
 * call tun_close.
 */
typedef void	tun_event_fn(const struct tun_event *, void *arg);

struct tun;

/*
 * Brings up one end of a tunnel, as the config's role says: the raw socket
 * first (bound to local, so that protocol 41 is never answered with ICMP
 * Protocol Unreachable once the tunnel carries traffic), then the TUN
 * device (IFF_TUN | IFF_NO_PI) named by interface, configured over
 * rtnetlink: MTU, a long transmit queue, no kernel-made link-local, up,
 * the RFC 4213 3.7 link-local fe80::<local>/64 and address/plen without
 * DAD (usable at once by listeners), ::/0 via the peer when default_route
 * is set, and in the broker role each of routes via the peer.  Nothing
 * moves yet: tun_start starts the data plane.
 *
 * Needs CAP_NET_ADMIN and CAP_NET_RAW.  Returns 0 with *tp set, or -1 with
 * the reason in err ("add route ::/0 via 2001:db8:1::1: File exists"),
 * having undone everything: the device disappears with its descriptor.
 */
int	tun_open(struct tun **tp, const struct conf_tunnel *, char *err,
	    size_t errlen);

/*
 * Starts the data-plane thread, with every signal blocked in it.  fn (may
 * be NULL) gets the tunnel's events with arg.  With echo_interval set, the
 * first echo leaves at once.  Returns 0, or -1 with the reason in err.
 */
int	tun_start(struct tun *, tun_event_fn *fn, void *arg, char *err,
	    size_t errlen);

/*
 * Stops the data plane (if started), closes the socket and the device
 * (which takes its addresses and routes with it) and frees t.  NULL is
 * ignored.  Not from the event callback.
 */
void	tun_close(struct tun *t);

/* A copy of the live counters; any thread. */
void	tun_stats_get(const struct tun *, struct tun_stats *);

/* The state the echoes last established; any thread. */
enum tun_state	tun_state_get(const struct tun *);

/* The interface name ("he-ipv6"). */
const char	*tun_ifname(const struct tun *);

/* ---- broker endpoint update (tunnel.update) ---- */

#define TUN_UPD_RESP_MAX	16384	/* a longer answer is refused */
#define TUN_UPD_TEXT_MAX	256	/* what of the answer is kept */

/* What one update came to. */
enum tun_upd_result {
	TUN_UPD_GOOD = 1,	/* "good <ip>": the broker took the address */
	TUN_UPD_NOCHG,		/* "nochg <ip>": it had it already */
	TUN_UPD_BADAUTH,	/* "badauth", or HTTP 401 or 403 */
	TUN_UPD_NOHOST,		/* "nohost": no such tunnel for this user */
	TUN_UPD_ABUSE,		/* "abuse": the broker blocks our updates */
	TUN_UPD_BROKER,		/* "-ERROR: ...": the broker's own error */
	TUN_UPD_OTHER,		/* HTTP 200 with any other answer */
	TUN_UPD_HTTP,		/* another HTTP status, answer unknown */
	TUN_UPD_MALFORMED,	/* not an HTTP response we can read */
	TUN_UPD_FAIL,		/* no answer: DNS, connect, TLS, timeout */
};

/* One parsed broker answer. */
struct tun_upd_resp {
	enum tun_upd_result result;
	int		 status;	/* the HTTP status; 0 if malformed */
	char		 text[TUN_UPD_TEXT_MAX];	/* the body's first
					   line, printable ASCII only ("good
					   203.0.113.7"), or why malformed */
};

/*
 * Reads one whole HTTP/1.x response (the connection closed after it, no
 * chunked body: we ask with HTTP/1.0) of len bytes.  Returns 0 with out
 * filled, or -1 with out->result TUN_UPD_MALFORMED and the reason in
 * out->text.  Pure: no I/O, no allocation.
 */
int	tun_update_parse(const char *resp, size_t len,
	    struct tun_upd_resp *out);

/* The short name of a result ("good", "badauth"); "unknown" if invalid. */
const char	*tun_upd_result_name(int);

#endif
