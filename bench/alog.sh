#!/bin/sh
# What the access log costs: connections per second through a mode tcp
# listener on [::1] with no access log, with the default tcp format, with
# combined, and with json, each run ROUNDS times alternating (best of each
# kept, so a noisy neighbour hurts both sides alike).  Loopback only.
#
#	sh bench/alog.sh [./v6front] [seconds] [client threads] [rounds]
set -eu

HERE=$(dirname "$0")
BIN=$(realpath "${1:-./v6front}")
SECS=${2:-5}
THREADS=${3:-8}
ROUNDS=${4:-3}
BASE=30000
# shellcheck source=connrate-lib.sh
. "$HERE/connrate-lib.sh"

# run NAME ACCESS_LOG_YAML: prints connections/s
run() {
	case_start "$1" '' "$2"
	rate=$("$DIR/connrate" load $PORT "$THREADS" "$SECS")
	case_stop
	rm -f "$DIR/access.log"
	echo "$rate"
}

best() {
	if [ "$2" -gt "$1" ]; then echo "$2"; else echo "$1"; fi
}

off=0; tcp=0; comb=0; json=0
r=1
while [ $r -le "$ROUNDS" ]; do
	off=$(best $off "$(run off '')")
	tcp=$(best $tcp "$(run tcp "    access_log: $DIR/access.log")")
	comb=$(best $comb "$(run comb "    access_log: { path: $DIR/access.log, format: combined }")")
	json=$(best $json "$(run json "    access_log: { path: $DIR/access.log, format: json }")")
	r=$((r + 1))
done
pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a - b) * 100 / a }'
}
echo "connections/s, 1 worker, $THREADS client threads, best of $ROUNDS x ${SECS}s"
echo "  no access log     $off"
echo "  default tcp       $tcp  (cost $(pct $off $tcp) %)"
echo "  combined          $comb  (cost $(pct $off $comb) %)"
echo "  json              $json  (cost $(pct $off $json) %)"
