#!/bin/sh
# What the access log costs on mode http: keep-alive requests through one
# pinned worker on [::1] to an nginx backend on 127.0.0.1, with no access
# log, with combined and with json, alternating for ROUNDS rounds.  Prints
# requests/s (swings with the machine) and the proxy's CPU microseconds per
# request from /proc (steady: judge by that).  Loopback only.
#
#	sh bench/alog-http.sh [./v6front] [seconds] [rounds]
set -eu

BIN=$(realpath "${1:-./v6front}")
SECS=${2:-4}
ROUNDS=${3:-3}
DIR=$(mktemp -d)
PIDS=

for t in nginx wrk taskset; do
	command -v $t >/dev/null || { echo "no $t: run make bench-deps"; exit 1; }
done

cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	[ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

BPORT=$((41700 + $$ % 100))
PORT=$((BPORT + 100))
cat >"$DIR/nginx.conf" <<EOF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
events { worker_connections 4096; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$BPORT;
		keepalive_requests 1000000;
		location / { return 200 "ok\n"; }
	}
}
EOF
taskset -c 1 nginx -c "$DIR/nginx.conf"

# run NAME ACCESS_LOG_LINE: prints "NAME req/s cpu_us_per_req"
run() {
	cat >"$DIR/$1.yaml" <<EOF
workers: 1
log_level: notice
listeners:
  - name: bench
    bind: "[::1]:$PORT"
    mode: http
    backend: { servers: ["127.0.0.1:$BPORT"] }
$2
EOF
	taskset -c 0 "$BIN" -c "$DIR/$1.yaml" 2>"$DIR/$1.log" &
	pid=$!
	PIDS="$PIDS $pid"
	while ! grep -qs "ready:" "$DIR/$1.log"; do sleep 0.05; done
	a=$(awk '{print $14 + $15}' /proc/$pid/stat)
	out=$(taskset -c 1 wrk -t1 -c32 -d"${SECS}s" "http://[::1]:$PORT/")
	b=$(awk '{print $14 + $15}' /proc/$pid/stat)
	kill $pid
	wait $pid 2>/dev/null || true
	req=$(echo "$out" | awk '/requests in/ { print $1 }')
	rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
	hz=$(getconf CLK_TCK)
	echo "$1 $rps $(echo "$a $b $req $hz" |
	    awk '{ printf "%.2f", ($2 - $1) * 1e6 / $4 / $3 }')"
}

for r in $(seq "$ROUNDS"); do
	run off ""
	run combined "    access_log: { path: $DIR/combined.log, format: combined }"
	run json "    access_log: { path: $DIR/json.log, format: json }"
done | awk '
	{ n[$1]++; rps[$1, n[$1]] = $2; cpu[$1, n[$1]] = $3; order[$1] = NR }
	function median(a, k, c,   i, j, t, v) {
		for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((c + 1) / 2)]
	}
	END {
		printf "%-9s %10s %14s %10s\n", "log", "req/s", "CPU us/req",
		    "CPU vs off"
		base = median(cpu, "off", n["off"])
		split("off combined json", names, " ")
		for (i = 1; i <= 3; i++) {
			k = names[i]
			c = median(cpu, k, n[k])
			printf "%-9s %10.0f %14.2f %+9.1f%%\n", k,
			    median(rps, k, n[k]), c, (c - base) * 100 / base
		}
		print "median of the rounds; req/s swings with the machine, CPU per request is steady"
	}'
