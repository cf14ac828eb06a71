# lib.sh: process and measurement helpers for the bench/*.sh drivers.
# Sourced, not run. The sourcing script sets HERE (this folder), OUT (its
# output folder, with log/ inside) and ME (its name, for messages). These
# are the helpers of tcp.sh, which can source this file too.

die() {
	echo "$ME: $*" >&2
	exit 1
}

note() {
	echo "note: $*" | tee -a "$OUT/notes.txt"
}

proc() { perl "$HERE/proc.pl" "$@"; }

# ---------------------------------------------------------------- checks

# need_cmds HINT CMD...: dies naming the commands missing, and HINT.
need_cmds() {
	local hint=$1 c missing=()
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: $hint"
}

# need_v6front OTHERS: dies unless V6F_BIN is there, when PROXIES has
# v6front; OTHERS names the --only list that leaves it out.
need_v6front() {
	if [[ " ${PROXIES[*]} " == *" v6front "* ]] && [ ! -x "$V6F_BIN" ]; then
		die "no v6front binary at $V6F_BIN: run \`make v6front\`," \
		    "set V6F_BIN, or leave it out with --only $1"
	fi
}

# need_cpus: two CPUs, the proxy pinned to one and the load to the other;
# sets NCPU.
need_cpus() {
	NCPU=$(getconf _NPROCESSORS_ONLN)
	[ "$NCPU" -ge 2 ] ||
	    die "needs two CPUs (proxy on one, load on the other)"
	[ "$PROXY_CPU" != "$LOAD_CPU" ] ||
	    die "PROXY_CPU and LOAD_CPU must differ"
}

# need_files N: raises the open files limit to hold N idle connections with
# two sockets each; sets NOFILE, and HAP_MAXCONN (haproxy refuses to start
# when maxconn needs more descriptors than it may open).
need_files() {
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
	NOFILE=$(ulimit -n)
	[ "$NOFILE" = unlimited ] && NOFILE=1048576
	[ "$NOFILE" -ge $((2 * $1 + 200)) ] ||
	    die "open files limit $NOFILE is below $((2 * $1 + 200))"
	HAP_MAXCONN=$(((NOFILE - 100) / 2))
	[ "$HAP_MAXCONN" -gt 20000 ] && HAP_MAXCONN=20000
	return 0
}

# ---------------------------------------------------------------- processes

PIDS=()

# Stops PID and whatever it forked: the descendants are listed before the
# parent is signalled and killed after it, so it cannot fork new ones. PID is
# our unreaped child and keeps its number; a descendant is signalled only if
# its start time still matches the snapshot. SIGTERM, then SIGKILL after 3 s.
stop_tree() {
	local pid=$1 kids i
	kill -0 "$pid" 2>/dev/null || {
		wait "$pid" 2>/dev/null
		return 0
	}
	mapfile -t kids < <(proc kids "$pid")
	kill -TERM "$pid" 2>/dev/null
	[ ${#kids[@]} -eq 0 ] || proc kill TERM "${kids[@]}"
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	[ ${#kids[@]} -eq 0 ] || proc kill KILL "${kids[@]}"
	wait "$pid" 2>/dev/null
	return 0
}

stop_pid() {
	local pid=$1 p keep=()
	{ stop_tree "$pid"; } 2>/dev/null
	for p in "${PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

cleanup() {
	local i
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		{ stop_tree "${PIDS[i]}"; } 2>/dev/null
	done
	PIDS=()
}

# start_bg CPU LOGNAME CMD...: runs CMD pinned to CPU, output in
# $OUT/log/LOGNAME.{out,err}; sets BG_PID.
start_bg() {
	local cpu=$1 name=$2
	shift 2
	taskset -c "$cpu" "$@" >"$OUT/log/$name.out" 2>"$OUT/log/$name.err" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# wait_for SECS CMD...: polls CMD every 50 ms; fails after SECS.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

listening() {
	[ -n "$(ss -Htln "( sport = :$1 )")" ]
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# Ports 40000-41000 not in use in any TCP state (TIME-WAIT included).
NEXT_PORT=40000
alloc_port() {
	local i p used
	used=$(ss -Htan | awk '{ n = split($4, a, ":"); print a[n] }')
	for ((i = 0; i <= 1000; i++)); do
		p=$NEXT_PORT
		NEXT_PORT=$((p >= 41000 ? 40000 : p + 1))
		grep -qx "$p" <<<"$used" && continue
		PORT=$p
		return 0
	done
	die "no free port in 40000-41000"
}

# ---------------------------------------------------------------- numbers

# calc EXPR: floating point arithmetic; NA when anything is missing.
calc() {
	perl -e 'my $r = eval($ARGV[0]); print defined($r) ? $r : "NA"' "$1" \
	    2>/dev/null || echo NA
}

# kv KEY LINE: the value of KEY=... in a "k=v k=v" line.
kv() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -1
}

# Prints how busy each CPU given was over 2 s, in percent.
busy_report() {
	proc busy 2 "$@"
}

# Which v6front was measured.
v6f_id() {
	[ -x "$1" ] || return 0
	echo "($("$1" -V 2>&1 | head -1), built $(date -r "$1" '+%F %T')," \
	    "sha256 $(sha256sum <"$1" | cut -c1-12))"
}

# v6f_snapshot: when PROXIES has v6front, copies V6F_BIN to OUT/bin so that
# a build landing in the tree mid-run cannot mix two binaries in one table;
# sets V6F_RUN (the copy) and V6F_ID (what it is).
v6f_snapshot() {
	V6F_RUN=$OUT/bin/v6front
	V6F_ID=
	[[ " ${PROXIES[*]} " == *" v6front "* ]] || return 0
	if ! cp -p "$V6F_BIN" "$V6F_RUN" || ! "$V6F_RUN" -V >/dev/null 2>&1; then
		die "cannot copy and run $V6F_BIN (being rebuilt?)"
	fi
	V6F_ID=$(v6f_id "$V6F_RUN")
}

# env_head: the first lines of env.txt, common to every driver.
env_head() {
	echo "date: $(date -Is)"
	echo "host: $(uname -srm), $NCPU CPUs: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
	echo "v6front: $V6F_BIN $V6F_ID"
	echo "haproxy: $(haproxy -v 2>/dev/null | head -1)"
}
