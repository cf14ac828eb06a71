#!/bin/sh
# What allow/deny lists, per-source limits and send_proxy cost on the
# accept path: daemon CPU per connection (utime+stime from /proc) through
# a mode tcp listener on [::1], 1 worker, C client threads in a loop of
# connect, short request, half-close, read to EOF (bench/connrate.c).
# Each case runs ROUNDS times, alternating; the lowest CPU/connection of
# each is kept, so a noisy neighbour hurts all cases alike.  Loopback only.
#
#	sh bench/acl.sh [./v6front] [seconds] [client threads] [rounds]
set -eu

HERE=$(dirname "$0")
BIN=$(realpath "${1:-./v6front}")
SECS=${2:-5}
THREADS=${3:-4}
ROUNDS=${4:-3}
BASE=31000
# shellcheck source=connrate-lib.sh
. "$HERE/connrate-lib.sh"

# run NAME BACKEND_EXTRA LISTENER_YAML: prints "conns cpu_us_per_conn"
run() {
	case_start "$@"
	c0=$(perl "$HERE/proc.pl" cpu $DPID)
	rate=$("$DIR/connrate" load $PORT "$THREADS" "$SECS")
	c1=$(perl "$HERE/proc.pl" cpu $DPID)
	case_stop
	awk -v r="$rate" -v s="$SECS" -v a="$c0" -v b="$c1" \
	    'BEGIN { n = r * s; printf "%d %.2f\n", n, (b - a) * 1e6 / n }'
}

# Twenty prefixes that do not match ::1, then the one that does.
LIST='["2001:db8:1::/48", "2001:db8:2::/48", "2001:db8:3::/48",
      "2001:db8:4::/48", "2001:db8:5::/48", "2001:db8:6::/48",
      "2001:db8:7::/48", "2001:db8:8::/48", "2001:db8:9::/48",
      "2001:db8:a::/48", "192.0.2.0/24", "198.51.100.0/24",
      "203.0.113.0/24", "10.0.0.0/8", "172.16.0.0/12",
      "192.168.0.0/16", "fd00::/8", "fe80::/10", "2001:db8:b::/48",
      "2001:db8:c::/48", "::1/128"]'

lowest() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a == 0 || b < a) ? b : a }'
}
plain=0; acl=0; lim=0; pp=0
r=1
while [ $r -le "$ROUNDS" ]; do
	plain=$(lowest $plain "$(run plain '' '' | cut -d' ' -f2)")
	acl=$(lowest $acl "$(run acl '' "    allow: $LIST
    deny: [\"2001:db8:bad::/48\", \"203.0.113.0/24\"]" | cut -d' ' -f2)")
	lim=$(lowest $lim "$(run lim '' "    limits: { conn_per_source: 100000,
      request_rate: 1000000/1s }" | cut -d' ' -f2)")
	pp=$(lowest $pp "$(run pp ', send_proxy: v2' '' | cut -d' ' -f2)")
	r=$((r + 1))
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b / a }'; }
echo "daemon CPU per connection (us), 1 worker, $THREADS client threads," \
    "lowest of $ROUNDS x ${SECS}s"
echo "  plain                          $plain"
echo "  allow (21) + deny (2)          $acl  (x$(ratio $plain $acl))"
echo "  conn_per_source + request_rate $lim  (x$(ratio $plain $lim))"
echo "  send_proxy: v2                 $pp  (x$(ratio $plain $pp))"
