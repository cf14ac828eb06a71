# lib.sh: process and measurement helpers for the bash drivers http.sh and
# tcp.sh. Sourced, not run. The sourcing script sets HERE (this folder),
# OUT (its output folder, with log/ inside) and ME (its name, for
# messages).

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

# ---------------------------------------------------------------- drivers
# What http.sh and tcp.sh share around their own tests.  They define
# usage, start_backend LOG [ARGS...] (sets BPORT, BE_PID), start_proxy NAME
# PPORT BPORT LOG (sets PROXY_PID) and run_TEST PROXY for each test; they
# set PROXIES, TESTS, ROUNDS, RAW, PROXY_CPU and LOAD_CPU.

# std_opt "$@": the options every driver takes, for the last branch of its
# option loop: --quick, --rounds N, --only LIST, --tests LIST, -h/--help,
# and usage for anything else. Sets NSHIFT, the words it used.
std_opt() {
	NSHIFT=1
	case $1 in
	--quick) ROUNDS=1 ;;
	--rounds)
		[[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] ||
		    die "--rounds needs a positive number"
		ROUNDS=$2
		NSHIFT=2
		;;
	--only | --tests)
		[ $# -ge 2 ] || die "$1 needs a list"
		if [ "$1" = --only ]; then
			IFS=', ' read -r -a PROXIES <<<"$2"
		else
			IFS=', ' read -r -a TESTS <<<"$2"
		fi
		NSHIFT=2
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

# check_names KIND "VALID..." NAME...: dies on a NAME not among VALID.
check_names() {
	local kind=$1 valid=" $2 " n
	shift 2
	for n in "$@"; do
		[[ $valid == *" $n "* ]] || die "unknown $kind: $n"
	done
}

# start_v6front PPORT LOG <REST: v6front with one worker on CPU PROXY_CPU
# and one listener, bench on [::1]:PPORT, whose other keys and the rest of
# the config come from stdin; sets PROXY_PID, and waits for its "ready:"
# line (a notice: the log level, which nothing per connection passes).
start_v6front() {
	local cfg=$OUT/cfg/v6front-$1.yaml
	{
		cat <<EOF
workers: 1
log_level: notice
listeners:
  - name: bench
    bind: "[::1]:$1"
EOF
		cat
	} >"$cfg"
	start_bg "$PROXY_CPU" "$2" "$V6F_RUN" -c "$cfg"
	PROXY_PID=$BG_PID
	wait_for 10 grep -qs 'ready:' "$OUT/log/$2.err"
}

# proxy_up NAME PPORT LOG [FILE...]: waits until PROXY_PID listens on
# PPORT; else prints the end of its stderr (and of each FILE), stops it
# and fails.
proxy_up() {
	local name=$1 pport=$2 log=$3
	shift 3
	if ! wait_for 10 listening "$pport" || ! alive "$PROXY_PID"; then
		echo "$ME: $name did not start; $OUT/log/$log.err:" >&2
		tail -5 "$OUT/log/$log.err" "$@" 2>/dev/null >&2
		stop_pid "$PROXY_PID"
		return 1
	fi
	return 0
}

# Fresh backend and proxy on fresh ports; sets PPORT, PROXY_PID, BE_PID.
# setup NAME TEST [BACKEND ARGS...]
setup() {
	local name=$1 test=$2
	shift 2
	start_backend "r$ROUND-$test-$name-backend" "$@" || return 1
	alloc_port
	PPORT=$PORT
	start_proxy "$name" "$PPORT" "$BPORT" "r$ROUND-$test-$name" || {
		stop_pid "$BE_PID"
		return 1
	}
}

teardown() {
	stop_pid "$PROXY_PID"
	stop_pid "$BE_PID"
}

ROUND=0

# record PROXY METRIC VALUE: one row of RAW for this round.
record() {
	printf '%s\t%s\t%s\t%s\n' "$ROUND" "$1" "$2" "$3" >>"$RAW"
}

# cpu_calc CPU EXPR [WHAT]: EXPR, or NA when the proxy used under 0.1 s of
# CPU (/proc counts in clock ticks of 10 ms); with WHAT, notes why.
cpu_calc() {
	if [ "$(calc "$1 >= 0.1 ? 1 : 0")" = 1 ]; then
		calc "$2"
	else
		[ -z "${3:-}" ] || note "round $ROUND: $3 used $1 s of CPU," \
		    "too little to divide" >&2
		echo NA
	fi
}

# idle_opened LOG: whether the idle client has reported its connections.
idle_opened() {
	grep -qs '^open=' "$OUT/log/$1.out"
}

# idle_measure NAME LOG KEY PENDING CMD...: the idle test through the
# running proxy NAME. Runs the client CMD on LOAD_CPU (output in LOG), waits
# for its report line (LINE; after 120 s says "NAME: PENDING") and
# IDLE_SETTLE more, then stops it. Sets M0 and M1, the proxy's memory
# before and after, and N, KEY= of LINE (0 when the proxy died).
idle_measure() {
	local name=$1 log=$2 key=$3 pending=$4 cl
	shift 4
	M0=$(proc mem "$PROXY_PID")
	start_bg "$LOAD_CPU" "$log" "$@"
	cl=$BG_PID
	wait_for 120 idle_opened "$log" ||
	    echo "$ME: $name: $pending after 120 s" >&2
	sleep "$IDLE_SETTLE"
	M1=$(proc mem "$PROXY_PID")
	LINE=$(head -1 "$OUT/log/$log.out")
	N=$(kv "$key" "$LINE")
	alive "$PROXY_PID" || {
		echo "$ME: $name died holding idle connections" >&2
		N=0
	}
	stop_pid "$cl"
}

# record_idle PROXY N LINE M0 M1 LOG: the idle test's rows, from the
# proxy's proc.pl lines before (M0) and after (M1) it held N connections
# (LINE: the client's report), which go to the client's LOG.out too; fails
# when it held none.
record_idle() {
	local name=$1 n=$2 line=$3 m0=$4 m1=$5 log=$6
	{
		echo "proxy before: $m0"
		echo "proxy after:  $m1"
	} >>"$OUT/log/$log.out"
	[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || {
		echo "$ME: $name held no idle connection: $line" >&2
		return 1
	}
	[ "$n" -eq "$IDLE_N" ] ||
	    note "round $ROUND: $name: only $n of $IDLE_N held: $line"
	record "$name" idle_held "$n"
	record "$name" idle_kib \
	    "$(calc "($(kv pss_kib "$m1") - $(kv pss_kib "$m0")) / $n")"
	record "$name" idle_rss_kib \
	    "$(calc "($(kv rss_kib "$m1") - $(kv rss_kib "$m0")) / $n")"
	record "$name" idle_pss_mib "$(calc "$(kv pss_kib "$m1") / 1024")"
}

# note_busy WHEN: notes how busy both CPUs were WHEN (before, after) the
# run; before it, also that a busy machine makes rates low and noisy.
note_busy() {
	local b0 b1
	read -r b0 b1 <<<"$(busy_report "$PROXY_CPU" "$LOAD_CPU")"
	note "$1 the run, CPU $PROXY_CPU was ${b0}% busy and CPU $LOAD_CPU ${b1}% (other processes)"
	if [ "$1" = before ] && { [ "$b0" -gt 10 ] || [ "$b1" -gt 10 ]; }; then
		note "the machine is not idle: absolute rates will be low and noisy"
	fi
	return 0
}

# run_rounds: ROUNDS rounds of every test through every proxy, the order
# of proxies rotated each round so that none always runs first (after a
# pause) or last; each run's seconds go to OUT/durations.txt.
run_rounds() {
	local i n t p t0 order
	echo "$ME: $ROUNDS round(s), results in $OUT"
	local start=$SECONDS
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		n=${#PROXIES[@]}
		order=()
		for ((i = 0; i < n; i++)); do
			order+=("${PROXIES[(i + ROUND - 1) % n]}")
		done
		echo "round $ROUND/$ROUNDS: ${order[*]}"
		for t in "${TESTS[@]}"; do
			for p in "${order[@]}"; do
				t0=$EPOCHREALTIME
				"run_$t" "$p" || {
					echo "  $p $t: failed (see $OUT/log)" >&2
					note "round $ROUND: $t through $p failed"
				}
				echo "$ROUND $t $p $(calc "$EPOCHREALTIME - $t0")" \
				    >>"$OUT/durations.txt"
			done
		done
	done
	echo "took $((SECONDS - start)) s"
}

# note_v6f_end: when v6front ran, notes the warning and error lines it
# logged, and a V6F_BIN rebuilt under the run.
note_v6f_end() {
	local nlog
	[[ " ${PROXIES[*]} " == *" v6front "* ]] || return 0
	nlog=$(cat "$OUT"/log/r*-v6front.err 2>/dev/null |
	    grep -cE ' (crit|err|warning):')
	[ "$nlog" -eq 0 ] ||
	    note "v6front logged $nlog warning/error line(s): $OUT/log/*-v6front.err"
	[ "$(v6f_id "$V6F_BIN")" = "$V6F_ID" ] ||
	    note "$V6F_BIN was rebuilt during the run (now $(v6f_id "$V6F_BIN"));" \
		"the copy taken at the start was measured"
	return 0
}
