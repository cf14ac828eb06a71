#!/usr/bin/env bash
#
# tcp.sh: v6front `mode: tcp` against haproxy (mode tcp) and 6tunnel, on
# loopback, IPv6 front ([::1]) to IPv4 backend (127.0.0.1).
#
# Each proxy runs one worker pinned to CPU $PROXY_CPU (default 0); clients
# and backends are pinned to CPU $LOAD_CPU (default 1). Measurements, each
# with a freshly started proxy and interleaved across proxies (the order
# rotates every round), median over rounds:
#
#   bulk      iperf3 through the proxy: Gbit/s, Gbit per proxy CPU-second,
#             proxy CPU ns per KiB
#   rate      connect, send a line, read a short reply to EOF, close, with
#             32 in flight: connections/s, proxy CPU us per connection
#   pingpong  one connection, 1-byte request, 64 KiB response, repeated:
#             responses/s, latency (a proxy that leaves Nagle on stalls
#             ~40 ms per response on the client's delayed ACK)
#   idle      5,000 idle connections held: memory per connection
#
# Proxy CPU is utime+stime from /proc of the proxy and all its processes
# (6tunnel forks one per connection). Absolute rates swing 2-5x between runs
# on shared machines; CPU per unit of work and memory stay steady, so the
# targets are judged on those.
#
# Raw results, configs and every process's output go to bench/out/tcp-TIME/.
# Every process started here is stopped by PID on exit, Ctrl-C included.

set -u -o pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ME=tcp.sh
# shellcheck source=lib.sh
. "$HERE/lib.sh"
V6F_BIN=${V6F_BIN:-$HERE/../v6front}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

ROUNDS=3
PROXIES=(v6front haproxy 6tunnel)
TESTS=(bulk rate pingpong idle)
BULK_SECS=5
RATE_SECS=5
RATE_CONC=32
PP_SECS=3
PP_SIZE=65536
PP_MAX=1000000
IDLE_N=5000
IDLE_SETTLE=2
WAIT_QUIET=0

usage() {
	cat <<EOF
usage: $0 [--quick] [--rounds N] [--only PROXY,...] [--tests TEST,...]
          [--wait-quiet]

  --quick        one round instead of $ROUNDS
  --rounds N     rounds to run (default $ROUNDS); the table shows medians
  --only LIST    proxies to run, from: ${PROXIES[*]}
  --tests LIST   tests to run, from: ${TESTS[*]}
  --wait-quiet   before starting, wait (up to 30 min) until both CPUs are
                 idle, e.g. while fuzzers finish

environment: V6F_BIN (default ../v6front from this script), PROXY_CPU (0),
LOAD_CPU (1), V6F_BUFFER (the listener's \`buffer:\`, e.g. 16k; unset =
v6front's default). Needs haproxy, 6tunnel, iperf3, taskset, ss, cc and perl:
\`make bench-deps\` installs the benchmark's packages.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--wait-quiet) WAIT_QUIET=1 ;;
	*)
		std_opt "$@"
		shift $((NSHIFT - 1))
		;;
	esac
	shift
done

check_names proxy "v6front haproxy 6tunnel" "${PROXIES[@]}"
check_names test "bulk rate pingpong idle" "${TESTS[@]}"

# ---------------------------------------------------------------- checks

need_cmds "run \`make bench-deps\` (as root installs them)" \
    haproxy 6tunnel iperf3 taskset ss cc perl getconf
need_v6front haproxy,6tunnel
need_cpus
# In the idle test the proxy holds two sockets per connection, and so does
# connload (client and backend side).
need_files "$IDLE_N"

OUT=$HERE/out/tcp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT/log" "$OUT/cfg" "$OUT/bin" || die "cannot create $OUT"
RAW=$OUT/raw.tsv
NOTES=$OUT/notes.txt
printf 'round\tproxy\tmetric\tvalue\n' >"$RAW"
: >"$NOTES"

cc -O2 -Wall -Wextra -o "$OUT/bin/connload" "$HERE/connload.c" \
    "$HERE/netcli.c" || die "cannot build connload.c"
cc -O2 -Wall -Wextra -o "$OUT/bin/tinysrv" "$HERE/tinysrv.c" ||
    die "cannot build tinysrv.c"
CONNLOAD=$OUT/bin/connload
TINYSRV=$OUT/bin/tinysrv

# ---------------------------------------------------------------- processes

trap cleanup EXIT
trap 'cleanup; echo "tcp.sh: interrupted; partial results in $OUT" >&2; exit 130' INT TERM

# ---------------------------------------------------------------- proxies

# start_proxy NAME PPORT BPORT LOG: sets PROXY_PID, or returns 1.
start_proxy() {
	local name=$1 pport=$2 bport=$3 log=$4 cfg
	case $name in
	v6front)
		start_v6front "$pport" "$log" <<EOF
    mode: tcp
    backend: be
    timeouts: { client_idle: 10m }${V6F_BUFFER:+
    buffer: $V6F_BUFFER}
backends:
  be:
    servers: ["127.0.0.1:$bport"]
EOF
		;;
	haproxy)
		cfg=$OUT/cfg/haproxy-$pport.cfg
		cat >"$cfg" <<EOF
global
    nbthread 1
    maxconn $HAP_MAXCONN
defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m
frontend bench
    bind [::1]:$pport
    default_backend be
backend be
    server s1 127.0.0.1:$bport
EOF
		start_bg "$PROXY_CPU" "$log" haproxy -db -f "$cfg"
		PROXY_PID=$BG_PID
		;;
	6tunnel)
		# -d: stay in the foreground; -6: listen on IPv6; -4: connect
		# over IPv4.
		start_bg "$PROXY_CPU" "$log" 6tunnel -d -6 -4 -l ::1 "$pport" \
		    127.0.0.1 "$bport"
		PROXY_PID=$BG_PID
		;;
	esac
	proxy_up "$name" "$pport" "$log"
}

# ---------------------------------------------------------------- tests

# Starts a tinysrv or iperf3 backend on a fresh port; sets BPORT, BE_PID.
start_backend() {
	local log=$1
	shift
	alloc_port
	BPORT=$PORT
	if [ "$1" = iperf3 ]; then
		start_bg "$LOAD_CPU" "$log" iperf3 -s -B 127.0.0.1 -p "$BPORT"
	else
		start_bg "$LOAD_CPU" "$log" "$TINYSRV" "$1" "$BPORT" "${@:2}"
	fi
	BE_PID=$BG_PID
	if ! wait_for 5 listening "$BPORT"; then
		echo "tcp.sh: backend $* did not start" >&2
		return 1
	fi
}

run_bulk() {
	local name=$1 c0 c1 cpu res bytes secs gbps json
	json=$OUT/log/r$ROUND-bulk-$name-iperf3.json
	setup "$name" bulk iperf3 || return 1
	c0=$(proc cpu "$PROXY_PID")
	taskset -c "$LOAD_CPU" iperf3 -c ::1 -p "$PPORT" -t "$BULK_SECS" -J \
	    >"$json" 2>&1
	c1=$(proc cpu "$PROXY_PID")
	teardown
	res=$(perl -MJSON::PP -e '
		local $/; my $j = eval { decode_json(<STDIN>) } or exit 1;
		my $r = $j->{end}{sum_received} or exit 1;
		print "$r->{bytes} $r->{seconds}\n";' <"$json") || {
		echo "tcp.sh: iperf3 through $name failed:" \
		    "$(grep -o '"error":.*' "$json" | head -1)" >&2
		return 1
	}
	read -r bytes secs <<<"$res"
	cpu=$(calc "$c1 - $c0")
	gbps=$(calc "$bytes * 8 / $secs / 1e9")
	record "$name" bulk_gbps "$gbps"
	record "$name" bulk_gbit_cpus "$(cpu_calc "$cpu" "$bytes * 8 / 1e9 / $cpu")"
	record "$name" bulk_ns_kib "$(cpu_calc "$cpu" "$cpu * 1e9 / ($bytes / 1024)")"
	record "$name" bulk_cpu_pct "$(calc "100 * $cpu / $secs")"
	printf '  %-8s bulk      %6.2f Gbit/s, proxy CPU %.2f s\n' "$name" \
	    "$gbps" "$cpu"
}

run_rate() {
	local name=$1 c0 c1 cpu line conns
	setup "$name" rate close || return 1
	c0=$(proc cpu "$PROXY_PID")
	line=$(taskset -c "$LOAD_CPU" "$CONNLOAD" rate ::1 "$PPORT" \
	    "$RATE_SECS" "$RATE_CONC" 2>>"$OUT/log/r$ROUND-rate-$name.connload")
	c1=$(proc cpu "$PROXY_PID")
	teardown
	echo "$line" >>"$OUT/log/r$ROUND-rate-$name.connload"
	conns=$(kv conns "$line")
	[[ $conns =~ ^[0-9]+$ && $conns -gt 0 ]] || {
		echo "tcp.sh: no connection through $name: $line" >&2
		return 1
	}
	cpu=$(calc "$c1 - $c0")
	record "$name" conn_rate "$(kv rate "$line")"
	record "$name" conn_cpu_us "$(cpu_calc "$cpu" "$cpu * 1e6 / $conns")"
	record "$name" conn_err "$(kv errors "$line")"
	printf '  %-8s rate      %8.0f conn/s, proxy CPU %.2f s, errors %s\n' \
	    "$name" "$(kv rate "$line")" "$cpu" "$(kv errors "$line")"
}

run_pingpong() {
	local name=$1 c0 c1 cpu line n
	setup "$name" pingpong resp "$PP_SIZE" || return 1
	c0=$(proc cpu "$PROXY_PID")
	line=$(taskset -c "$LOAD_CPU" "$CONNLOAD" pingpong ::1 "$PPORT" \
	    "$PP_SECS" "$PP_SIZE" "$PP_MAX" \
	    2>>"$OUT/log/r$ROUND-pingpong-$name.connload")
	c1=$(proc cpu "$PROXY_PID")
	teardown
	echo "$line" >>"$OUT/log/r$ROUND-pingpong-$name.connload"
	n=$(kv resps "$line")
	[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || {
		echo "tcp.sh: no response through $name: $line" >&2
		return 1
	}
	cpu=$(calc "$c1 - $c0")
	record "$name" pp_rate "$(kv rate "$line")"
	record "$name" pp_mean_us "$(kv mean_us "$line")"
	record "$name" pp_p99_us "$(kv p99_us "$line")"
	record "$name" pp_cpu_us "$(cpu_calc "$cpu" "$cpu * 1e6 / $n" \
	    "$name pingpong")"
	printf '  %-8s pingpong  %8.0f resp/s, mean %s us\n' "$name" \
	    "$(kv rate "$line")" "$(kv mean_us "$line")"
}

run_idle() {
	local name=$1 log=r$ROUND-idle-$1-connload
	alloc_port
	BPORT=$PORT
	alloc_port
	PPORT=$PORT
	start_proxy "$name" "$PPORT" "$BPORT" "r$ROUND-idle-$name" || return 1
	sleep 0.3
	# connload is the backend too, and says when all are held end to end.
	idle_measure "$name" "$log" held "connects still pending" \
	    "$CONNLOAD" idle ::1 "$PPORT" "$BPORT" "$IDLE_N" 300
	stop_pid "$PROXY_PID"
	record_idle "$name" "$N" "$LINE" "$M0" "$M1" "$log" || return 1
	record "$name" idle_hwm_mib "$(calc "$(kv hwm_kib "$M1") / 1024")"
	printf '  %-8s idle      %d held, PSS %s -> %s KiB (%s procs)\n' \
	    "$name" "$N" "$(kv pss_kib "$M0")" "$(kv pss_kib "$M1")" \
	    "$(kv procs "$M1")"
}

# ---------------------------------------------------------------- main

others_busy() {
	local b0 b1
	read -r b0 b1 <<<"$(busy_report "$PROXY_CPU" "$LOAD_CPU")"
	[ "$b0" -gt 10 ] || [ "$b1" -gt 10 ]
}

if [ "$WAIT_QUIET" = 1 ]; then
	echo "waiting until CPUs $PROXY_CPU and $LOAD_CPU are idle..."
	wait_for 1800 eval '! others_busy' ||
	    echo "tcp.sh: still busy after 30 min; measuring anyway" >&2
fi

v6f_snapshot

{
	env_head
	echo "6tunnel: $(dpkg-query -W -f='${Version}' 6tunnel 2>/dev/null)"
	echo "iperf3: $(iperf3 --version 2>/dev/null | head -1)"
	echo "rounds: $ROUNDS; proxies: ${PROXIES[*]}; tests: ${TESTS[*]}"
	echo "open files: $NOFILE; haproxy maxconn: $HAP_MAXCONN"
} >"$OUT/env.txt"

note_busy before
fuzz=$(pgrep -f '(^|/)fuzz[-_]' | wc -l)
[ "$fuzz" -eq 0 ] || note "$fuzz fuzzer process(es) running during the run"
[[ " ${PROXIES[*]} " != *" v6front "* ]] ||
    note "v6front $V6F_ID${V6F_BUFFER:+, buffer: $V6F_BUFFER}"
[ "$HAP_MAXCONN" -ge 20000 ] ||
    note "haproxy maxconn $HAP_MAXCONN (open files limit $NOFILE)"

run_rounds
note_v6f_end
note_busy after
echo
perl "$HERE/table.pl" tcp "$RAW" "$NOTES" | tee "$OUT/table.txt"
ln -sfn "$(basename "$OUT")" "$HERE/out/tcp-latest"
