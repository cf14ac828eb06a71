#!/usr/bin/perl
# table.pl tcp|http|tun RAW.tsv [NOTES]: the table bench/tcp.sh,
# bench/http.sh or bench/tun.sh prints.
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

# Per benchmark: the proxies (v6front first, then the two it is compared
# with) and the rows: key, label, better (higher|lower|-), kind, target.
#   kind: "rate" swings with the machine's load; "cost" (CPU per unit of
#   work) and "mem" stay steady; "info" is context.
#   target: { ge|le => FACTOR, of => [PROXY...], max => BOUND }: v6front >=
#   (or <=) FACTOR x the named proxy (with two, the stricter of them), and
#   no more than BOUND if given.
my %HAP = (of => ['haproxy']);
my %SPEC = (
    tcp => {
	proxies => [qw(v6front haproxy 6tunnel)],
	rows => [
	    ['bulk_gbps',      'bulk throughput, Gbit/s',              'higher', 'rate'],
	    ['bulk_gbit_cpus', 'bulk Gbit per proxy CPU-second',       'higher', 'cost', { %HAP, ge => 1 }],
	    ['bulk_ns_kib',    'bulk proxy CPU ns per KiB',            'lower',  'cost', { %HAP, le => 1 }],
	    ['bulk_cpu_pct',   'proxy CPU during bulk, % of a core',   '-',      'info'],
	    ['conn_rate',      'connections/s (32 in flight)',         'higher', 'rate'],
	    ['conn_cpu_us',    'proxy CPU us per connection',          'lower',  'cost', { %HAP, le => 1 }],
	    ['conn_err',       'failed connections per run',           'lower',  'info'],
	    ['pp_rate',        '64 KiB responses/s, one connection',   'higher', 'rate'],
	    ['pp_mean_us',     '64 KiB response mean latency, us',     'lower',  'rate'],
	    ['pp_p99_us',      '64 KiB response p99 latency, us',      'lower',  'rate'],
	    ['pp_cpu_us',      'proxy CPU us per 64 KiB response',     'lower',  'cost'],
	    ['idle_kib',       'KiB per idle conn (dPSS, all procs)',  'lower',  'mem',  { %HAP, le => 1, max => 3.3 }],
	    ['idle_rss_kib',   'KiB per idle conn (dVmRSS, main)',     'lower',  'mem'],
	    ['idle_pss_mib',   'MiB holding the idle conns (PSS)',     'lower',  'mem'],
	    ['idle_hwm_mib',   'peak RSS, MiB (VmHWM, main process)',  'lower',  'mem'],
	    ['idle_held',      'idle connections held',                'higher', 'info'],
	],
    },
    tun => {
	proxies => [qw(v6front tayga plain)],
	rows => [
	    ['up_gbps',   'tcp up (client to host), Gbit/s',      'higher', 'rate', { ge => 2, of => ['tayga'] }],
	    ['up_ns',     'tcp up, CPU ns per packet',            'lower',  'cost', { le => 1, of => ['tayga'] }],
	    ['down_gbps', 'tcp down (host to client), Gbit/s',    'higher', 'rate', { ge => 2, of => ['tayga'] }],
	    ['down_ns',   'tcp down, CPU ns per packet',          'lower',  'cost', { le => 1, of => ['tayga'] }],
	    ['udp_pps',   'udp 64-byte down, packets/s',          'higher', 'rate', { ge => 2, of => ['tayga'] }],
	    ['udp_ns',    'udp 64-byte down, CPU ns per packet',  'lower',  'cost', { le => 1, of => ['tayga'] }],
	],
    },
    http => {
	proxies => [qw(v6front haproxy nginx)],
	rows => [
	    ['ka_rate',      'keep-alive req/s (32 conns)',          'higher', 'rate'],
	    ['ka_p99_us',    'keep-alive p99 latency, us',           'lower',  'rate', { le => 1, of => [qw(haproxy nginx)] }],
	    ['ka_cpu_us',    'proxy CPU us per keep-alive req',      'lower',  'cost', { %HAP, le => 0.8 }],
	    ['ka_err',       'keep-alive errors per run',            'lower',  'info'],
	    ['close_rate',   'new-conn req/s (32 in flight)',        'higher', 'rate'],
	    ['close_p99_us', 'new-conn p99 latency, us',             'lower',  'rate'],
	    ['close_cpu_us', 'proxy CPU us per new-conn req',        'lower',  'cost', { le => 1, of => ['nginx'] }],
	    ['close_err',    'new-conn errors per run',              'lower',  'info'],
	    ['big_mibs',     '64 KiB responses, MiB/s (8 conns)',    'higher', 'rate'],
	    ['big_rate',     '64 KiB responses/s',                   'higher', 'rate'],
	    ['big_p99_us',   '64 KiB p99 latency, us',               'lower',  'rate'],
	    ['big_cpu_us',   'proxy CPU us per 64 KiB response',     'lower',  'cost'],
	    ['big_err',      '64 KiB errors per run',                'lower',  'info'],
	    ['idle_kib',     'KiB per idle conn (dPSS, all procs)',  'lower',  'mem',  { %HAP, le => 1 }],
	    ['idle_rss_kib', 'KiB per idle conn (dVmRSS, main)',     'lower',  'mem'],
	    ['idle_pss_mib', 'MiB holding the idle conns (PSS)',     'lower',  'mem'],
	    ['idle_held',    'idle connections held',                'higher', 'info'],
	],
    },
);

my ($bench, $raw, $notes) = @ARGV;
die "usage: table.pl tcp|http|tun RAW.tsv [NOTES]\n"
    unless defined $raw && $SPEC{$bench};
my @PROXIES = @{$SPEC{$bench}{proxies}};
open(my $fh, '<', $raw) or die "table.pl: $raw: $!\n";
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

# Whether v6front meets target $t, given the medians %$m and spreads %$sp.
# A miss smaller than the spread over rounds is said to be so.
sub target($t, $m, $sp) {
	return '' unless $t;
	my $ge = exists $t->{ge};
	my $f = $ge ? $t->{ge} : $t->{le};
	my @of = @{$t->{of}};
	my $goal = ($ge ? '>= ' : '<= ') . ($f == 1 ? '' : "$f x ") .
	    (@of > 1 ? 'both' : $of[0]);
	$goal .= ", <= $t->{max}" if defined $t->{max};
	# The stricter bound of the references that were measured.
	my ($bound, $who);
	for my $p (@of) {
		next unless defined $m->{$p};
		my $b = $f * $m->{$p};
		($bound, $who) = ($b, $p) if !defined $bound ||
		    ($ge ? $b > $bound : $b < $bound);
	}
	return "$goal: n/a" unless defined $bound && $bound > 0 &&
	    defined $m->{v6front};
	my $r = $m->{v6front} / $bound;
	my $ok = $ge ? $r >= 1 : $r <= 1;
	my $why = '';
	if (!$ok) {
		my $noise = $sp->{v6front} > $sp->{$who} ? $sp->{v6front} :
		    $sp->{$who};
		$why = pct(abs($r - 1)) . ($ge ? ' below ' : ' above ') . $who .
		    ($f == 1 ? '' : " x $f");
		$why .= ', within the ±' . pct($noise) . ' spread'
		    if abs($r - 1) < $noise;
	}
	if (defined $t->{max} && $m->{v6front} > $t->{max}) {
		$why = ($why eq '' ? '' : "$why, ") .
		    num($m->{v6front}) . " > $t->{max}";
		$ok = 0;
	}
	return $ok ? "$goal: met" : "$goal: MISSED ($why)";
}

my @W = (37, 7, 5, 15, 15, 15, 8, 8);
my $fmt = join(' ', map { "%-${_}s" } @W) . " %s\n";
my @short = map { my $s = $_; $s =~ s/^(...).*/$1/; $s } @PROXIES[1, 2];
$short[$_] = { hap => 'hap', ngi => 'ngx', '6tu' => '6tun' }->{$short[$_]}
    // $short[$_] for 0, 1;
printf $fmt, 'metric', 'better', 'kind', @PROXIES, "v6f/$short[0]",
    "v6f/$short[1]", 'target (v6front)';
print '-' x 150, "\n";
for my $row (@{$SPEC{$bench}{rows}}) {
	my ($key, $label, $better, $kind, $t) = @$row;
	next unless $vals{$key};
	my (@cells, %m, %sp);
	for my $p (@PROXIES) {
		my ($s, $m, $sp) = cell($key, $p);
		push @cells, $s;
		$m{$p} = $m;
		$sp{$p} = $sp;
	}
	printf $fmt, $label, $better, $kind, @cells,
	    ratio($m{v6front}, $m{$PROXIES[1]}),
	    ratio($m{v6front}, $m{$PROXIES[2]}), target($t, \%m, \%sp);
}
print '-' x 150, "\n";
printf "median of %d round(s); ±: half the range over rounds, in %% of the " .
    "median.\n", scalar(keys %rounds);
print "kind: rate = swings with the machine (2-5x between runs), " .
    "cost/mem = steady; judge by cost and mem.\n";
if (defined $notes && open(my $nh, '<', $notes)) {
	print while <$nh>;
}
