#!/bin/sh
# v6front logstat against goaccess and a gawk one-liner on one generated
# combined log of LINES lines (default 1,000,000, about 250 MB): wall time,
# CPU time (user + sys) and peak RSS of each, from GNU time, best of ROUNDS
# runs for the fast two (goaccess runs once: it takes a while), and the
# ratios.  The machine is shared, so CPU time is the figure to trust.
#
#	sh bench/logstat.sh [./v6front] [LINES] [ROUNDS]
#
# Needs goaccess (TEST_DEBS), gawk and time (BENCH_DEBS: make bench-deps).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-./v6front}")
LINES=${2:-1000000}
ROUNDS=${3:-3}
OUT=$HERE/out/logstat
mkdir -p "$OUT"
LOG=$OUT/access-$LINES.log

for t in goaccess gawk /usr/bin/time perl; do
	command -v $t >/dev/null || { echo "logstat.sh: $t missing (make bench-deps)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "logstat.sh: $BIN: not built" >&2; exit 1; }

if [ ! -s "$LOG" ]; then
	echo "generating $LINES lines into $LOG" >&2
	perl "$HERE/loggen.pl" "$LINES" 1 >"$LOG.tmp"
	mv "$LOG.tmp" "$LOG"
fi
# Read once so that every tool finds it in the page cache.
cat "$LOG" >/dev/null

# run NAME CMD...: one timed run; appends "NAME wall user sys maxrss_kb".
run() {
	name=$1
	shift
	/usr/bin/time -f "$name %e %U %S %M" -o "$OUT/time.tmp" "$@" \
	    >"$OUT/$name.out" 2>"$OUT/$name.err" || {
		echo "logstat.sh: $name failed:" >&2
		cat "$OUT/$name.err" >&2
		exit 1
	}
	tail -1 "$OUT/time.tmp" >>"$OUT/times"
}

: >"$OUT/times"
run goaccess goaccess "$LOG" --log-format=COMBINED --no-global-config \
    -o "$OUT/goaccess.json"
i=0
while [ $i -lt "$ROUNDS" ]; do
	run gawk gawk '{ c[$9]++ } END { for (k in c) print k, c[k] }' "$LOG"
	run logstat "$BIN" logstat --json "$LOG"
	run logstat1 "$BIN" logstat --threads 1 --json "$LOG"
	i=$((i + 1))
done

# The runs must have read the same lines.
perl -MJSON::PP -e '
	local $/;
	open(my $f, "<", $ARGV[0]) or die;
	my $j = decode_json(<$f>);
	die "logstat read $j->{lines}{parsed} lines, not $ARGV[1]\n"
	    unless $j->{lines}{parsed} == $ARGV[1];
' "$OUT/logstat.out" "$LINES"

perl -e '
	my ($lines, $bytes) = @ARGV;
	my %best;
	open(my $f, "<", "'"$OUT"'/times") or die;
	while (<$f>) {
		my ($n, $wall, $u, $s, $rss) = split;
		my $cpu = $u + $s;
		$best{$n} = { wall => $wall, cpu => $cpu, rss => $rss }
		    if !$best{$n} || $cpu < $best{$n}{cpu};
	}
	my $l = $best{logstat};
	open(my $la, "<", "/proc/loadavg");
	my $load = (split(" ", <$la> // ""))[0] // "?";
	printf("%d lines, %.0f MB, best of each (CPU time); %d CPUs, load " .
	    "average %s\n\n", $lines, $bytes / 1e6, `nproc`, $load);
	printf("%-22s %8s %8s %12s %12s %10s %9s %9s\n", "tool", "wall s",
	    "CPU s", "lines/s", "lines/CPU-s", "RSS MB", "speed x", "RSS x");
	for my $n (qw(goaccess gawk logstat logstat1)) {
		my $b = $best{$n};
		my $name = $n eq "gawk" ? "gawk (status count)" :
		    $n eq "logstat" ? "v6front logstat --json" :
		    $n eq "logstat1" ? "  the same, 1 thread" : "goaccess";
		printf("%-22s %8.2f %8.2f %12.0f %12.0f %10.1f %9.2f %9.2f\n",
		    $name, $b->{wall}, $b->{cpu},
		    $lines / ($b->{wall} || 0.01), $lines / ($b->{cpu} || 0.01),
		    $b->{rss} / 1024,
		    ($b->{cpu} || 0.01) / ($l->{cpu} || 0.01),
		    $b->{rss} / $l->{rss});
	}
	print "\nspeed x: the tool'"'"'s CPU time / logstat'"'"'s (how many times " .
	    "faster logstat is);\nRSS x: the tool'"'"'s peak RSS / logstat'"'"'s.  " .
	    "lines/s is by wall time, which\nother load on the machine " .
	    "stretches; lines/CPU-s is not.\n";
' "$LINES" "$(stat -c %s "$LOG")" | tee "$OUT/table.txt"
