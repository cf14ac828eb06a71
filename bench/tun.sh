#!/bin/bash
# Forwarding through one userspace TUN hop, side by side, in network
# namespaces: iperf3 single-stream TCP both ways and 64-byte UDP packets
# per second, over three paths between the same client and host:
#
#   plain    IPv6 routed by the broker namespace's kernel over the same
#            veth pair: the ceiling, no userspace at all
#   tayga    Debian's tayga (NAT64) in the broker namespace: IPv6 from the
#            client -> TUN -> tayga -> TUN -> IPv4 to the host; one
#            userspace process, one TUN read and one write per packet
#   v6front  the 6in4 tunnel, v6front at both ends (broker and host): each
#            packet crosses one TUN and one raw socket in each of them
#
#   client (IPv6)  c0 -- b0  broker  b1 -- h0  host (IPv4 + IPv6 on h0)
#
# CPU per packet is utime+stime (/proc/PID/stat) of the forwarding
# processes (tayga; or both v6front) divided by the packets carried: for
# TCP the bytes iperf3 received over the MSS it used (one wire-sized
# segment each, however the TUN devices and veths batch them), for UDP
# the datagrams received.  The plain path's forwarding happens in softirq
# and has no process to charge.
#
# GRO=1 has the four veths do GRO, as NICs do by default: on, with
# rx-udp-gro-forwarding (a veth takes a local socket's packets into NAPI
# only with it) and threaded NAPI (packets queue up between polls, to be
# merged), for every path alike.  The receiving v6front then reads TCP
# super-packets from its raw socket.  UDP merged that way cannot be
# split into its datagrams again: the udp64 row shows that loss.  The
# NAPI threads' CPU is in no row's ns/pkt.
#
# Needs root, iproute2, iperf3, tayga, ethtool (make bench-deps).
#
#	bench/tun.sh [./v6front] [seconds]
#
# ROUNDS (default 3) runs every path and test that many times, the paths
# interleaved within each round, and ends with bench/table.pl's table of
# the medians, their spread and the targets (2 x tayga's rate, no more
# CPU per packet): rates swing by 10% and more from one run to the next
# on shared cores, a median of several interleaved rounds much less.
#
# PATHS="plain tayga v6front" chooses the paths, TESTS="tcp up,tcp down,
# udp64 down" the tests; V6F_TAG names the v6front row (to compare builds
# of it: run again with another binary).  When tayga ran before it, each
# v6front row ends with its ratios to tayga's: x-tayga, the rate (Gbit/s
# for TCP, packets for UDP) over tayga's, and cpu-x, ns/pkt over tayga's.  The data
# plane's levers switch off at build time, e.g.
#
#	make BUILD=/tmp/b-notso EXE=/tmp/v6front-notso \
#	    OPT="-O2 -g -DTUN_TSO=0" /tmp/v6front-notso
#	PATHS=v6front V6F_TAG=notso bench/tun.sh /tmp/v6front-notso
#
# with -DTUN_TSO=0 (no TSO super-packets from the TUN), -DTUN_GRO=0 (no
# super-packets to it), -DTUN_SOCKBUF=0 (default raw socket buffers),
# -DTUN_TXQLEN=500 (the kernel's default TUN queue), -DTUN_BATCH=1 (one
# datagram per recvmmsg).
set -eu

BIN=$(realpath "${1:-./v6front}")
SECS=${2:-5}
ROUNDS=${ROUNDS:-3}
PATHS=${PATHS:-plain tayga v6front}
TAG=${V6F_TAG:-v6front}
IFS=, read -r -a TESTS <<<"${TESTS:-tcp up,tcp down,udp64 down}"
P=v6fb$$
DIR=$(mktemp -d)
PIDS=()
CLK=$(getconf CLK_TCK)

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for n in client broker host; do
		ip netns del "$P-$n" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

nsx() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# CPU ticks (utime + stime) of the PIDs given.
ticks() {
	local t=0 pid f
	for pid in "$@"; do
		read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat")
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}

for n in client broker host; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
done
ip link add c0 netns "$P-client" type veth peer name b0 netns "$P-broker"
ip link add b1 netns "$P-broker" type veth peer name h0 netns "$P-host"
for x in client:c0 broker:b0 broker:b1 host:h0; do
	ip -n "$P-${x%%:*}" link set "${x#*:}" up
done
if [ "${GRO:-0}" = 1 ]; then
	for x in client:c0 broker:b0 broker:b1 host:h0; do
		# Off first: NAPI starts when GRO is turned on.
		nsx "${x%%:*}" ethtool -K "${x#*:}" gro off
		nsx "${x%%:*}" ethtool -K "${x#*:}" gro on \
		    rx-udp-gro-forwarding on
		nsx "${x%%:*}" sh -c "echo 1 >/sys/class/net/${x#*:}/threaded"
	done
	echo "GRO on (threaded NAPI) on c0 b0 b1 h0 for every path"
fi
ip -n "$P-client" -6 addr add 2001:db8:2::100/64 dev c0 nodad
ip -n "$P-client" -6 route add default via 2001:db8:2::1
ip -n "$P-broker" -6 addr add 2001:db8:2::1/64 dev b0 nodad
ip -n "$P-broker" addr add 198.51.100.1/24 dev b1
ip -n "$P-broker" route add 203.0.113.0/24 dev b1
nsx broker sysctl -qw net.ipv6.conf.all.forwarding=1
nsx broker sysctl -qw net.ipv4.ip_forward=1
ip -n "$P-host" addr add 203.0.113.12/24 dev h0
ip -n "$P-host" route add 198.51.100.0/24 dev h0
# plain: IPv6 on the broker-host veth, routed by the broker's kernel.
ip -n "$P-broker" -6 addr add 2001:db8:4::1/64 dev b1 nodad
ip -n "$P-host" -6 addr add 2001:db8:4::12/64 dev h0 nodad
ip -n "$P-host" -6 route add 2001:db8:2::/64 via 2001:db8:4::1

# tayga: 2001:db8:64::/96 maps IPv4; clients get 192.0.2.128/25.
cat >"$DIR/tayga.conf" <<EOF
tun-device nat64
ipv4-addr 192.0.2.1
ipv6-addr 2001:db8:2::64
prefix 2001:db8:64::/96
dynamic-pool 192.0.2.128/25
data-dir $DIR/tayga
EOF
mkdir "$DIR/tayga"
nsx broker tayga -c "$DIR/tayga.conf" --mktun >/dev/null
ip -n "$P-broker" link set nat64 up txqueuelen 4096
ip -n "$P-broker" route add 192.0.2.128/25 dev nat64
ip -n "$P-broker" -6 route add 2001:db8:64::/96 dev nat64
ip -n "$P-host" route add 192.0.2.0/24 via 198.51.100.1 dev h0 onlink
# ip netns exec execs in place: $! is the forwarder's own PID.
ip netns exec "$P-broker" tayga -c "$DIR/tayga.conf" -d >"$DIR/tayga.log" 2>&1 &
TAYGA=$!
PIDS+=("$TAYGA")

cat >"$DIR/broker.yaml" <<EOF
log_level: warning
tunnel: { role: broker, local: 198.51.100.1, remote: 203.0.113.12,
          address: 2001:db8:1::1/64, peer: 2001:db8:1::2 }
EOF
cat >"$DIR/host.yaml" <<EOF
log_level: warning
tunnel: { local: 203.0.113.12, remote: 198.51.100.1,
          address: 2001:db8:1::2/64, peer: 2001:db8:1::1 }
EOF
ip netns exec "$P-broker" "$BIN" -c "$DIR/broker.yaml" 2>"$DIR/broker.log" &
V6B=$!
PIDS+=("$V6B")
ip netns exec "$P-host" "$BIN" -c "$DIR/host.yaml" 2>"$DIR/host.log" &
V6H=$!
PIDS+=("$V6H")
# The host answers through the tunnel only from the tunnel's address: the
# plain path keeps its route over h0.
i=0
until ip -n "$P-host" link show he-ipv6 >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || { cat "$DIR/host.log" >&2; exit 1; }
	sleep 0.1
done
ip -n "$P-host" -6 rule add from 2001:db8:1::2 lookup 100
ip -n "$P-host" -6 route add default via 2001:db8:1::1 dev he-ipv6 onlink \
    table 100

wait_ping() {
	local i=0
	until nsx client ping -6 -c 1 -W 1 "$1" >/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 10 ]; then
			echo "no answer from $1" >&2
			cat "$DIR"/*.log >&2
			exit 1
		fi
		sleep 0.2
	done
}

# One iperf3 run from the client to DST (bound on the host to BIND);
# prints "gbits packets" as the receiver counted them.
iperf() {
	local dst=$1 bind=$2 srv out
	shift 2
	nsx host iperf3 -s -1 -B "$bind" >/dev/null 2>&1 &
	srv=$!
	sleep 0.3
	out=$(nsx client iperf3 -c "$dst" -t "$SECS" -J "$@")
	wait "$srv" || true
	echo "$out" | perl -MJSON::PP -0777 -ne '
		my $j = decode_json($_);
		my $s = $j->{end}{sum_received} // $j->{end}{sum};
		my $p = $s->{packets} // 0;
		$p -= $s->{lost_packets} // 0;
		my $mss = $j->{start}{tcp_mss_default} // 0;
		$p = int($s->{bytes} / $mss) if !$p && $mss;
		printf("%.3f %d\n", $s->{bits_per_second} / 1e9, $p);'
}

# One measurement: ROUND, PATH, TEST; prints its row (with the ratios to
# tayga's row of the same round) and appends its rate and CPU per packet
# to $DIR/raw.tsv, as bench/table.pl reads them.
measure() {
	local round=$1 path=$2 t=$3 dst bind pids args c0 c1 gbit pkts name
	local rate perpkt r xr xc key
	case $path in
	plain)
		dst=2001:db8:4::12 bind=2001:db8:4::12 pids=() ;;
	tayga)
		dst=2001:db8:64::203.0.113.12 bind=203.0.113.12
		pids=("$TAYGA") ;;
	v6front)
		dst=2001:db8:1::2 bind=2001:db8:1::2
		pids=("$V6B" "$V6H") ;;
	*)
		echo "unknown path $path" >&2
		exit 2 ;;
	esac
	case $t in
	"tcp up") args=() ;;
	"tcp down") args=(-R) ;;
	"udp64 down") args=(-R -u -l 64 -b 0) ;;
	*)
		echo "unknown test $t" >&2
		exit 2 ;;
	esac
	wait_ping "$dst"
	c0=0
	[ ${#pids[@]} -eq 0 ] || c0=$(ticks "${pids[@]}")
	read -r gbit pkts < <(iperf "$dst" "$bind" "${args[@]}")
	c1=0
	[ ${#pids[@]} -eq 0 ] || c1=$(ticks "${pids[@]}")
	name=$path
	[ "$path" = v6front ] && name=$TAG
	rate=-
	[ "${t%% *}" = udp64 ] && rate=$((pkts / SECS))
	if [ ${#pids[@]} -gt 0 ] && [ "$pkts" -gt 0 ]; then
		perpkt=$(( (c1 - c0) * (1000000000 / CLK) / pkts ))
	else
		perpkt=-
	fi
	# UDP is measured in packets, TCP in bits.
	r=$gbit
	[ "${t%% *}" = udp64 ] && r=$pkts
	xr=- xc=-
	if [ "$path" = tayga ]; then
		TG_RATE[$t]=$r
		TG_CPU[$t]=$perpkt
	elif [ "$path" = v6front ] && [ -n "${TG_RATE[$t]:-}" ]; then
		xr=$(awk -v a="$r" -v b="${TG_RATE[$t]}" \
		    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
		xc=$(awk -v a="$perpkt" -v b="${TG_CPU[$t]}" \
		    'BEGIN { if (a != "-" && b != "-" && b > 0)
			printf "%.2f", a / b; else print "-" }')
	fi
	printf "%-5s %-12s %-11s %7s %9s %10s %7s %7s %6s\n" "$round" \
	    "$name" "$t" "$gbit" "$rate" "$pkts" "$perpkt" "$xr" "$xc"
	case $t in
	"tcp up") key=up ;;
	"tcp down") key=down ;;
	*) key=udp ;;
	esac
	if [ "$key" = udp ]; then
		printf "%s\t%s\tudp_pps\t%s\n" "$round" "$path" "$rate"
	else
		printf "%s\t%s\t%s_gbps\t%s\n" "$round" "$path" "$key" "$gbit"
	fi >>"$DIR/raw.tsv"
	printf "%s\t%s\t%s_ns\t%s\n" "$round" "$path" "$key" \
	    "${perpkt/#-/NA}" >>"$DIR/raw.tsv"
}

printf "%-5s %-12s %-11s %7s %9s %10s %7s %7s %6s\n" round path test \
    Gbit/s pkt/s "packets" "ns/pkt" x-tayga cpu-x
# Rounds interleave the paths, so that what else the machine does at one
# moment falls on all of them alike.
: >"$DIR/raw.tsv"
for round in $(seq "$ROUNDS"); do
	unset TG_RATE TG_CPU
	declare -A TG_RATE TG_CPU
	for path in $PATHS; do
		for t in "${TESTS[@]}"; do
			measure "$round" "$path" "$t"
		done
	done
done
# The medians of the rounds, their spread, and v6front's ratios to the
# others and to the targets: at least twice tayga's rate, no more CPU per
# packet.
echo
perl "$(dirname "$(realpath "$0")")/table.pl" tun "$DIR/raw.tsv"
