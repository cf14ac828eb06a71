# connrate-lib.sh: the set-up shared by the POSIX sh drivers acl.sh and
# alog.sh. Sourced, not run; the sourcing script sets HERE (this folder),
# BIN (the v6front binary) and BASE (the lowest backend port of its range).
# Makes DIR, a temporary folder removed on exit with every process in PIDS,
# builds connrate.c there and starts its backend on 127.0.0.1:BPORT; each
# case's daemon listens on [::1]:PORT.

DIR=$(mktemp -d)
PIDS=

cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

cc -O2 -pthread -o "$DIR/connrate" "$HERE/connrate.c"
BPORT=$((BASE + $$ % 1000))
PORT=$((BPORT + 1000))
"$DIR/connrate" serve $BPORT &
PIDS="$PIDS $!"

# case_start NAME BACKEND_EXTRA LISTENER_YAML: starts a daemon of one
# worker with one mode tcp listener, to the backend (BACKEND_EXTRA goes
# into its mapping, LISTENER_YAML under the listener); sets DPID once it
# has had half a second to start.
case_start() {
	cat >"$DIR/$1.yaml" <<EOY
workers: 1
log_level: warning
listeners:
  - name: bench
    bind: "[::1]:$PORT"
    backend: { servers: ["127.0.0.1:$BPORT"]$2 }
$3
EOY
	"$BIN" -c "$DIR/$1.yaml" 2>"$DIR/$1.err" &
	DPID=$!
	sleep 0.5
}

# case_stop: stops the daemon of case_start.
case_stop() {
	kill "$DPID"
	wait "$DPID" || true
}
