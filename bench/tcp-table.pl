#!/usr/bin/perl
# tcp-table.pl RAW.tsv [NOTES]: the table bench/tcp.sh prints.
#
# RAW.tsv has one line per measurement: round, proxy, metric, value ("NA"
# when the run failed). Each cell of the table is the median over rounds,
# followed by its spread: (max - min) / 2 as a percentage of the median. Rows
# whose spread is large are the ones the shared machine swings; the CPU and
# memory rows are the ones to judge by. NOTES, if given, is a file printed
# under the table (load on the machine, limits that applied).
use v5.36;
use utf8;
binmode(STDOUT, ':encoding(UTF-8)');

my @PROXIES = qw(v6front haproxy 6tunnel);

# key, label, better (higher|lower|-), kind, target
#   kind: "rate" swings with the machine's load; "cost" (CPU per unit of
#   work) and "mem" stay steady.
#   target: "ge_hap" / "le_hap" against haproxy, "le_hap_3.3" adds an
#   absolute bound.
my @METRICS = (
	['bulk_gbps',      'bulk throughput, Gbit/s',              'higher', 'rate', ''],
	['bulk_gbit_cpus', 'bulk Gbit per proxy CPU-second',       'higher', 'cost', 'ge_hap'],
	['bulk_ns_kib',    'bulk proxy CPU ns per KiB',            'lower',  'cost', 'le_hap'],
	['bulk_cpu_pct',   'proxy CPU during bulk, % of a core',   '-',      'info', ''],
	['conn_rate',      'connections/s (32 in flight)',         'higher', 'rate', ''],
	['conn_cpu_us',    'proxy CPU us per connection',          'lower',  'cost', 'le_hap'],
	['conn_err',       'failed connections per run',           'lower',  'info', ''],
	['pp_rate',        '64 KiB responses/s, one connection',   'higher', 'rate', ''],
	['pp_mean_us',     '64 KiB response mean latency, us',     'lower',  'rate', ''],
	['pp_p99_us',      '64 KiB response p99 latency, us',      'lower',  'rate', ''],
	['pp_cpu_us',      'proxy CPU us per 64 KiB response',     'lower',  'cost', ''],
	['idle_kib',       'KiB per idle conn (dPSS, all procs)',  'lower',  'mem',  'le_hap_3.3'],
	['idle_rss_kib',   'KiB per idle conn (dVmRSS, main)',     'lower',  'mem',  ''],
	['idle_pss_mib',   'MiB holding the idle conns (PSS)',     'lower',  'mem',  ''],
	['idle_hwm_mib',   'peak RSS, MiB (VmHWM, main process)',  'lower',  'mem',  ''],
	['idle_held',      'idle connections held',                'higher', 'info', ''],
);

my ($raw, $notes) = @ARGV;
die "usage: tcp-table.pl RAW.tsv [NOTES]\n" unless defined $raw;
open(my $fh, '<', $raw) or die "tcp-table.pl: $raw: $!\n";
my (%vals, %rounds);
while (<$fh>) {
	chomp;
	next if /^#/ || /^round\t/;
	my ($round, $proxy, $metric, $value) = split /\t/;
	next unless defined $value;
	$rounds{$round} = 1;
	push @{$vals{$metric}{$proxy}}, $value if $value ne 'NA';
}

sub median(@v) {
	return undef unless @v;
	@v = sort { $a <=> $b } @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub num($v) {
	return 'n/a' unless defined $v;
	my $a = abs($v);
	return sprintf('%.0f', $v) if $a >= 1000 || $v == int($v);
	return sprintf('%.1f', $v) if $a >= 100;
	return sprintf('%.2f', $v) if $a >= 1;
	return sprintf('%.3f', $v) if $a >= 0.01;
	return sprintf('%.2g', $v);
}

# Returns the cell's text, the median and the spread (a fraction).
sub cell($metric, $proxy) {
	my @v = @{$vals{$metric}{$proxy} // []};
	my $m = median(@v);
	return ('n/a', undef, 0) unless defined $m;
	my $s = num($m);
	my $spread = 0;
	if (@v > 1 && $m != 0) {
		my @s = sort { $a <=> $b } @v;
		$spread = ($s[-1] - $s[0]) / 2 / abs($m);
		$s .= sprintf(' ±%.0f%%', 100 * $spread);
	}
	return ($s, $m, $spread);
}

sub pct($x) {
	return sprintf(abs($x) < 0.1 ? '%.1f%%' : '%.0f%%', 100 * $x);
}

sub ratio($a, $b) {
	return 'n/a' unless defined $a && defined $b && $b != 0;
	my $r = $a / $b;
	return sprintf('%.0f', $r) if $r >= 100;
	return sprintf('%.2f', $r) if $r >= 0.1;
	return sprintf('%.2g', $r);
}

# A miss smaller than either side's spread over rounds is said to be so.
sub target($t, $v6f, $hap, $noise) {
	return '' unless $t;
	return 'n/a' unless defined $v6f && defined $hap && $hap != 0;
	my $r = $v6f / $hap;
	my ($ok, $why);
	if ($t eq 'ge_hap') {
		$ok = $r >= 1;
		$why = pct(1 - $r) . ' below';
	} else {
		$ok = $r <= 1;
		$why = pct($r - 1) . ' above';
	}
	$why .= ', within the ±' . pct($noise) . ' spread'
	    if !$ok && abs($r - 1) < $noise;
	my $goal = $t eq 'ge_hap' ? '>= haproxy' : '<= haproxy';
	if ($t eq 'le_hap_3.3') {
		$goal .= ', <= 3.3';
		if ($v6f > 3.3) {
			$why = $ok ? sprintf('%.2f > 3.3', $v6f) : "$why, > 3.3";
			$ok = 0;
		}
	}
	return $ok ? "$goal: met" : "$goal: MISSED ($why)";
}

my @W = (37, 7, 5, 15, 15, 15, 8, 8);
my $fmt = join(' ', map { "%-${_}s" } @W) . " %s\n";
printf $fmt, 'metric', 'better', 'kind', @PROXIES, 'v6f/hap', 'v6f/6tun',
    'target (v6front)';
print '-' x 150, "\n";
for my $row (@METRICS) {
	my ($key, $label, $better, $kind, $t) = @$row;
	next unless $vals{$key};
	my (@cells, %m, %sp);
	for my $p (@PROXIES) {
		my ($s, $m, $sp) = cell($key, $p);
		push @cells, $s;
		$m{$p} = $m;
		$sp{$p} = $sp;
	}
	my $noise = $sp{v6front} > $sp{haproxy} ? $sp{v6front} : $sp{haproxy};
	printf $fmt, $label, $better, $kind, @cells,
	    ratio($m{v6front}, $m{haproxy}), ratio($m{v6front}, $m{'6tunnel'}),
	    target($t, $m{v6front}, $m{haproxy}, $noise);
}
print '-' x 150, "\n";
printf "median of %d round(s); ±: half the range over rounds, in %% of the " .
    "median.\n", scalar(keys %rounds);
print "kind: rate = swings with the machine (2-5x between runs), " .
    "cost/mem = steady; judge by cost and mem.\n";
if (defined $notes && open(my $nh, '<', $notes)) {
	print while <$nh>;
}
