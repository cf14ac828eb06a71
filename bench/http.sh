#!/usr/bin/env bash
#
# http.sh: v6front `mode: http` against haproxy (mode http, option
# forwardfor, access log to a file) and nginx (proxy_pass, upstream
# keepalive, combined access log), on loopback, IPv6 front ([::1]) to IPv4
# backend (127.0.0.1). Every proxy writes an access log to a file.
#
# Each proxy runs one worker pinned to CPU $PROXY_CPU (default 0); wrk, the
# idle client and the backend (an nginx serving "ok\n" and a 64 KiB file,
# keep-alive) are pinned to CPU $LOAD_CPU (default 1). Measurements, each
# with a freshly started backend and proxy and interleaved across proxies
# (the order rotates every round), median over rounds:
#
#   ka     wrk, 32 keep-alive connections, small response: req/s, p99
#          latency, proxy CPU us per request
#   close  wrk with "Connection: close", 32 in flight, one request per
#          connection: req/s, p99, proxy CPU us per connection
#   64k    wrk, 8 keep-alive connections, 64 KiB responses: MiB/s, p99,
#          proxy CPU us per response
#   idle   4,000 keep-alive connections that made one request each and went
#          quiet: proxy memory (PSS) per connection
#
# Proxy CPU is utime+stime from /proc of the proxy and all its processes
# (nginx's master and worker). Absolute rates swing 2-5x between runs on
# shared machines; CPU per request and memory per connection stay steady,
# so the targets are judged on those (and on p99, as the issue asks).
#
# Raw results, configs, access logs and every process's output go to
# bench/out/http-TIME/. Every process started here is stopped by PID on exit,
# Ctrl-C included.

set -u -o pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ME=http.sh
V6F_BIN=${V6F_BIN:-$HERE/../v6front}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

ROUNDS=3
PROXIES=(v6front haproxy nginx)
TESTS=(ka close 64k idle)
SECS=5
KA_CONC=32
CLOSE_CONC=32
BIG_CONC=8
BIG_SIZE=65536
IDLE_N=4000
IDLE_SETTLE=2

# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() {
	cat <<EOF
usage: $0 [--quick] [--rounds N] [--secs N] [--only PROXY,...]
          [--tests TEST,...]

  --quick        one round instead of $ROUNDS
  --rounds N     rounds to run (default $ROUNDS); the table shows medians
  --secs N       seconds per wrk run (default $SECS)
  --only LIST    proxies to run, from: ${PROXIES[*]}
  --tests LIST   tests to run, from: ${TESTS[*]}

environment: V6F_BIN (default ../v6front from this script), PROXY_CPU (0),
LOAD_CPU (1), V6F_MAX_IDLE (the backend's \`pool: { max_idle: N }\`, e.g. 32
to match nginx's \`keepalive 32\`; unset = v6front's default). Needs haproxy, nginx, wrk, taskset, ss, cc and perl: the
Debian packages haproxy, nginx-light (or nginx) and wrk.
EOF
}

OUT=/nonexistent
while [ $# -gt 0 ]; do
	case $1 in
	--secs)
		[[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] ||
		    die "--secs needs a positive number"
		SECS=$2
		shift
		;;
	*)
		std_opt "$@"
		shift $((NSHIFT - 1))
		;;
	esac
	shift
done

check_names proxy "v6front haproxy nginx" "${PROXIES[@]}"
check_names test "ka close 64k idle" "${TESTS[@]}"

# ---------------------------------------------------------------- checks

need_cmds "install the Debian packages haproxy, nginx-light and wrk" \
    haproxy nginx wrk taskset ss cc perl getconf
need_v6front haproxy,nginx
need_cpus
# The idle test: the proxy holds a client socket per connection plus its
# backend sockets (haproxy keeps one per client), and the backend nginx one
# per backend connection; nginx's worker_connections counts both sides.
need_files "$IDLE_N"
NGX_CONNS=$((NOFILE - 100))

OUT=$HERE/out/http-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT/log" "$OUT/cfg" "$OUT/bin" "$OUT/www" "$OUT/ngx" ||
    die "cannot create $OUT"
# nginx workers drop to an unprivileged user when started as root; they
# write proxy temp files (64 KiB responses overflow proxy_buffers) here.
chmod 1777 "$OUT/ngx"
RAW=$OUT/raw.tsv
printf 'round\tproxy\tmetric\tvalue\n' >"$RAW"
: >"$OUT/notes.txt"

cc -O2 -Wall -Wextra -o "$OUT/bin/httpidle" "$HERE/httpidle.c" \
    "$HERE/netcli.c" || die "cannot build httpidle.c"
HTTPIDLE=$OUT/bin/httpidle
head -c "$BIG_SIZE" /dev/zero | tr '\0' x >"$OUT/www/64k"

trap cleanup EXIT
trap 'cleanup; echo "http.sh: interrupted; partial results in $OUT" >&2; exit 130' INT TERM

# ---------------------------------------------------------------- servers

# nginx_common NAME: the top of an nginx config running from $OUT; one
# worker, its files under $OUT/ngx/NAME.
nginx_common() {
	local d=$OUT/ngx/$1
	mkdir -p "$d" && chmod 1777 "$d"
	cat <<EOF
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $d/nginx.pid;
error_log $OUT/log/$1-error.log notice;
events {
    worker_connections $NGX_CONNS;
}
EOF
	# The http block is opened here and closed by the caller.
	cat <<EOF
http {
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_timeout 10m;
    keepalive_requests 10000000;
EOF
}

# start_nginx CPU LOGNAME CFG: sets BG_PID.
start_nginx() {
	start_bg "$1" "$2" nginx -e "$OUT/log/$2-error.log" -p "$OUT/ngx/" \
	    -c "$3" -g 'daemon off;'
}

# Starts the backend nginx on a fresh port; sets BPORT, BE_PID.
start_backend() {
	local log=$1 cfg
	alloc_port
	BPORT=$PORT
	cfg=$OUT/cfg/backend-$BPORT.conf
	{
		nginx_common "$log"
		cat <<EOF
    access_log off;
    default_type text/plain;
    server {
        listen 127.0.0.1:$BPORT backlog=4096;
        root $OUT/www;
        location = / { return 200 "ok\\n"; }
        location = /64k { }
    }
}
EOF
	} >"$cfg"
	start_nginx "$LOAD_CPU" "$log" "$cfg"
	BE_PID=$BG_PID
	if ! wait_for 5 listening "$BPORT" || ! alive "$BE_PID"; then
		echo "http.sh: backend did not start; $OUT/log/$log.err:" >&2
		tail -5 "$OUT/log/$log.err" >&2
		stop_pid "$BE_PID"
		return 1
	fi
}

# start_proxy NAME PPORT BPORT LOG: sets PROXY_PID, or returns 1. The
# proxy's access log is $OUT/log/LOG-access.log.
start_proxy() {
	local name=$1 pport=$2 bport=$3 log=$4 cfg alog=$OUT/log/$4-access.log
	case $name in
	v6front)
		start_v6front "$pport" "$log" <<EOF
    mode: http
    backend: be
    timeouts: { client_idle: 10m }
    access_log: { path: $alog, format: combined }
backends:
  be:
    servers: ["127.0.0.1:$bport"]${V6F_MAX_IDLE:+
    pool: { max_idle: $V6F_MAX_IDLE \}}
EOF
		;;
	haproxy)
		# haproxy logs through syslog; "log stdout" is the way to a
		# file without a syslog daemon, so stdout is the access log.
		cfg=$OUT/cfg/haproxy-$pport.cfg
		cat >"$cfg" <<EOF
global
    nbthread 1
    maxconn $HAP_MAXCONN
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    option forwardfor
    option http-keep-alive
    timeout connect 5s
    timeout client 10m
    timeout server 10m
    timeout http-keep-alive 10m
frontend bench
    bind [::1]:$pport backlog 4096
    default_backend be
backend be
    server s1 127.0.0.1:$bport
EOF
		taskset -c "$PROXY_CPU" haproxy -db -f "$cfg" >"$alog" \
		    2>"$OUT/log/$log.err" &
		PROXY_PID=$!
		PIDS+=("$PROXY_PID")
		;;
	nginx)
		cfg=$OUT/cfg/nginx-$pport.conf
		{
			nginx_common "$log"
			cat <<EOF
    access_log $alog combined;
    upstream be {
        server 127.0.0.1:$bport;
        keepalive 32;
    }
    server {
        listen [::1]:$pport backlog=4096;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
		} >"$cfg"
		start_nginx "$PROXY_CPU" "$log" "$cfg"
		PROXY_PID=$BG_PID
		;;
	esac
	proxy_up "$name" "$pport" "$log" "$OUT/log/$log-error.log"
}

# ---------------------------------------------------------------- tests

# wrk_kv FILE: wrk's report as "reqs=N secs=S rate=R bytes=B mean_us=..
# p99_us=.. sockerr=E non2xx=N".
wrk_kv() {
	perl -ne '
		sub us { my ($v, $u) = @_;
			$v * ($u eq "s" ? 1e6 : $u eq "ms" ? 1e3 : 1) }
		sub by { my ($v, $u) = @_;
			my %m = (B => 1, KB => 1024, MB => 1048576,
			    GB => 1073741824, TB => 1099511627776);
			$v * ($m{$u} // 1) }
		$r{mean_us} = us($1, $2) if /^\s+Latency\s+([\d.]+)(us|ms|s)\b/;
		$r{p99_us} = us($1, $2) if /^\s+99%\s+([\d.]+)(us|ms|s)\b/;
		@r{qw(reqs secs bytes)} = ($1, $2, by($3, $4))
		    if /^\s+(\d+) requests in ([\d.]+)s, ([\d.]+)([KMGT]?B) read/;
		$r{sockerr} = $1 + $2 + $3 + $4
		    if /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
		$r{non2xx} = $1 if /Non-2xx or 3xx responses: (\d+)/;
		$r{rate} = $1 if /^Requests\/sec:\s+([\d.]+)/;
		END {
			$r{sockerr} //= 0; $r{non2xx} //= 0;
			print join(" ", map { "$_=" . ($r{$_} // "NA") }
			    qw(reqs secs rate bytes mean_us p99_us sockerr non2xx)),
			    "\n";
		}' "$1"
}

# run_wrk NAME TEST CONC PATH [WRK ARGS...]: one wrk run through a fresh
# proxy; sets W (wrk_kv line) and CPU (proxy CPU seconds), or returns 1.
run_wrk() {
	local name=$1 test=$2 conc=$3 path=$4 c0 c1 out
	shift 4
	setup "$name" "$test" || return 1
	out=$OUT/log/r$ROUND-$test-$name.wrk
	c0=$(proc cpu "$PROXY_PID")
	taskset -c "$LOAD_CPU" wrk -t1 -c"$conc" -d"${SECS}s" --latency "$@" \
	    "http://[::1]:$PPORT$path" >"$out" 2>&1
	c1=$(proc cpu "$PROXY_PID")
	alive "$PROXY_PID" || echo "http.sh: $name died during $test" >&2
	teardown
	W=$(wrk_kv "$out")
	CPU=$(calc "$c1 - $c0")
	echo "cpu=$CPU $W" >>"$out"
	local n
	n=$(kv reqs "$W")
	[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || {
		echo "http.sh: no response through $name: $(tail -3 "$out")" >&2
		return 1
	}
	[ "$(kv non2xx "$W")" = 0 ] && [ "$(kv sockerr "$W")" = 0 ] ||
	    note "round $ROUND: $test through $name: $(kv non2xx "$W")" \
		"non-2xx, $(kv sockerr "$W") socket errors of $n requests"
	return 0
}

# record_wrk NAME PREFIX: the common rows of a wrk run.
record_wrk() {
	local name=$1 pre=$2 good
	good=$(calc "$(kv reqs "$W") - $(kv non2xx "$W")")
	record "$name" "${pre}_rate" "$(kv rate "$W")"
	record "$name" "${pre}_p99_us" "$(kv p99_us "$W")"
	record "$name" "${pre}_cpu_us" "$(cpu_calc "$CPU" "$CPU * 1e6 / $good")"
	record "$name" "${pre}_err" "$(calc "$(kv non2xx "$W") + $(kv sockerr "$W")")"
}

run_ka() {
	run_wrk "$1" ka "$KA_CONC" / || return 1
	record_wrk "$1" ka
	printf '  %-8s ka     %8.0f req/s, p99 %6.0f us, proxy CPU %.2f s\n' \
	    "$1" "$(kv rate "$W")" "$(kv p99_us "$W")" "$CPU"
}

run_close() {
	run_wrk "$1" close "$CLOSE_CONC" / -H 'Connection: close' || return 1
	record_wrk "$1" close
	printf '  %-8s close  %8.0f req/s, p99 %6.0f us, proxy CPU %.2f s\n' \
	    "$1" "$(kv rate "$W")" "$(kv p99_us "$W")" "$CPU"
}

run_64k() {
	local mib
	run_wrk "$1" 64k "$BIG_CONC" /64k || return 1
	record_wrk "$1" big
	mib=$(calc "$(kv bytes "$W") / $(kv secs "$W") / 1048576")
	record "$1" big_mibs "$mib"
	printf '  %-8s 64k    %8.0f MiB/s, p99 %6.0f us, proxy CPU %.2f s\n' \
	    "$1" "$mib" "$(kv p99_us "$W")" "$CPU"
}

run_idle() {
	local name=$1 log=r$ROUND-idle-$1-httpidle
	setup "$name" idle || return 1
	sleep 0.3
	idle_measure "$name" "$log" done "responses still pending" \
	    "$HTTPIDLE" ::1 "$PPORT" "$IDLE_N" 300
	teardown
	record_idle "$name" "$N" "$LINE" "$M0" "$M1" "$log" || return 1
	printf '  %-8s idle   %d held, PSS %s -> %s KiB (%s procs)\n' \
	    "$name" "$N" "$(kv pss_kib "$M0")" "$(kv pss_kib "$M1")" \
	    "$(kv procs "$M1")"
}

# ---------------------------------------------------------------- main

v6f_snapshot

{
	env_head
	echo "nginx: $(nginx -v 2>&1 | head -1)"
	echo "wrk: $(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"
	echo "rounds: $ROUNDS; secs: $SECS; proxies: ${PROXIES[*]}; tests: ${TESTS[*]}"
	echo "open files: $NOFILE; haproxy maxconn: $HAP_MAXCONN; nginx worker_connections: $NGX_CONNS"
} >"$OUT/env.txt"

note_busy before
[[ " ${PROXIES[*]} " != *" v6front "* ]] ||
    note "v6front $V6F_ID${V6F_MAX_IDLE:+, pool max_idle: $V6F_MAX_IDLE}"

run_rounds

# Every proxy must have logged: a proxy that skips its access log would
# look cheaper than it is.
for p in "${PROXIES[@]}"; do
	for f in "$OUT"/log/r*-ka-"$p"-access.log; do
		[ -e "$f" ] || continue
		[ -s "$f" ] || note "$p wrote no access log: $f"
		break
	done
done
note_v6f_end
note_busy after
echo
perl "$HERE/table.pl" http "$RAW" "$OUT/notes.txt" | tee "$OUT/table.txt"
ln -sfn "$(basename "$OUT")" "$HERE/out/http-latest"
