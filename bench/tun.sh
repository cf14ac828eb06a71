#!/bin/sh
# TCP throughput through the userspace 6in4 tunnel, both ends v6front: an
# IPv6-only client namespace, a broker namespace (role broker), and a host
# namespace (role client) behind a direct IPv4 link; iperf3 from client to
# host and back.  The same picture as t/lib/V6FNet.pm without the NAT hop.
# Needs root, iproute2 and iperf3 (make bench-deps).
#
#	sh bench/tun.sh [./v6front] [seconds]
set -eu

BIN=$(realpath "${1:-./v6front}")
SECS=${2:-5}
P=v6fb$$
DIR=$(mktemp -d)
PIDS=

cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for n in client broker host; do
		ip netns del "$P-$n" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

for n in client broker host; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
done
ip link add c0 netns "$P-client" type veth peer name b0 netns "$P-broker"
ip link add b1 netns "$P-broker" type veth peer name h0 netns "$P-host"
ip -n "$P-client" link set c0 up
ip -n "$P-broker" link set b0 up
ip -n "$P-broker" link set b1 up
ip -n "$P-host" link set h0 up
ip -n "$P-client" -6 addr add 2001:db8:2::100/64 dev c0 nodad
ip -n "$P-client" -6 route add default via 2001:db8:2::1
ip -n "$P-broker" -6 addr add 2001:db8:2::1/64 dev b0 nodad
ip -n "$P-broker" addr add 198.51.100.1/24 dev b1
ip -n "$P-broker" route add 203.0.113.0/24 dev b1
ip netns exec "$P-broker" sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$P-host" addr add 203.0.113.12/24 dev h0
ip -n "$P-host" route add default dev h0

cat >"$DIR/broker.yaml" <<EOF
log_level: warning
tunnel: { role: broker, local: 198.51.100.1, remote: 203.0.113.12,
          address: 2001:db8:1::1/64, peer: 2001:db8:1::2 }
EOF
cat >"$DIR/host.yaml" <<EOF
log_level: warning
tunnel: { local: 203.0.113.12, remote: 198.51.100.1, default_route: true,
          address: 2001:db8:1::2/64, peer: 2001:db8:1::1 }
EOF
ip netns exec "$P-broker" "$BIN" -c "$DIR/broker.yaml" 2>"$DIR/broker.log" &
PIDS="$PIDS $!"
ip netns exec "$P-host" "$BIN" -c "$DIR/host.yaml" 2>"$DIR/host.log" &
PIDS="$PIDS $!"

i=0
until ip netns exec "$P-client" ping -6 -c 1 -W 1 2001:db8:1::2 >/dev/null
do
	i=$((i + 1))
	if [ "$i" -ge 10 ]; then
		echo "the tunnel did not come up" >&2
		cat "$DIR/broker.log" "$DIR/host.log" >&2
		exit 1
	fi
done

for dir in "client -> host" "host -> client"; do
	ip netns exec "$P-host" iperf3 -s -1 -B 2001:db8:1::2 >/dev/null &
	srv=$!
	sleep 0.3
	rev=
	[ "$dir" = "host -> client" ] && rev=-R
	rate=$(ip netns exec "$P-client" iperf3 -c 2001:db8:1::2 -t "$SECS" \
	    $rev -f m | awk '/receiver/ { print $7, $8 }')
	wait "$srv" || true
	echo "tcp through the tunnel, $dir: $rate"
done
