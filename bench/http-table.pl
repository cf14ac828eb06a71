#!/usr/bin/perl
# http-table.pl RAW.tsv [NOTES]: the table bench/http.sh prints.
#
# Same input and cells as tcp-table.pl: RAW.tsv has one line per
# measurement (round, proxy, metric, value; "NA" when the run failed); each
# cell is the median over rounds and its spread, (max - min) / 2 in % of the
# median. The targets compare v6front with haproxy and nginx, as the issue
# states them.
use v5.36;
use utf8;
binmode(STDOUT, ':encoding(UTF-8)');

my @PROXIES = qw(v6front haproxy nginx);

# key, label, better, kind, target
#   kind: "rate" swings with the machine's load; "cost" and "mem" stay
#   steady.
#   target: [REF, FACTOR]: v6front <= FACTOR x REF, where REF is a proxy or
#   "both" (the smaller of haproxy and nginx).
my @METRICS = (
	['ka_rate',      'keep-alive req/s (32 conns)',          'higher', 'rate', undef],
	['ka_p99_us',    'keep-alive p99 latency, us',           'lower',  'rate', ['both', 1]],
	['ka_cpu_us',    'proxy CPU us per keep-alive req',      'lower',  'cost', ['haproxy', 0.8]],
	['ka_err',       'keep-alive errors per run',            'lower',  'info', undef],
	['close_rate',   'new-conn req/s (32 in flight)',        'higher', 'rate', undef],
	['close_p99_us', 'new-conn p99 latency, us',             'lower',  'rate', undef],
	['close_cpu_us', 'proxy CPU us per new-conn req',        'lower',  'cost', ['nginx', 1]],
	['close_err',    'new-conn errors per run',              'lower',  'info', undef],
	['big_mibs',     '64 KiB responses, MiB/s (8 conns)',    'higher', 'rate', undef],
	['big_rate',     '64 KiB responses/s',                   'higher', 'rate', undef],
	['big_p99_us',   '64 KiB p99 latency, us',               'lower',  'rate', undef],
	['big_cpu_us',   'proxy CPU us per 64 KiB response',     'lower',  'cost', undef],
	['big_err',      '64 KiB errors per run',                'lower',  'info', undef],
	['idle_kib',     'KiB per idle conn (dPSS, all procs)',  'lower',  'mem',  ['haproxy', 1]],
	['idle_rss_kib', 'KiB per idle conn (dVmRSS, main)',     'lower',  'mem',  undef],
	['idle_pss_mib', 'MiB holding the idle conns (PSS)',     'lower',  'mem',  undef],
	['idle_held',    'idle connections held',                'higher', 'info', undef],
);

my ($raw, $notes) = @ARGV;
die "usage: http-table.pl RAW.tsv [NOTES]\n" unless defined $raw;
open(my $fh, '<', $raw) or die "http-table.pl: $raw: $!\n";
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

# v6front <= FACTOR x REF. A miss smaller than the spread over rounds is
# said to be so.
sub target($t, $m, $sp) {
	return '' unless $t;
	my ($ref, $f) = @$t;
	my @refs = $ref eq 'both' ? qw(haproxy nginx) : ($ref);
	my ($bound, $who);
	for my $r (@refs) {
		next unless defined $m->{$r};
		($bound, $who) = ($f * $m->{$r}, $r)
		    if !defined $bound || $f * $m->{$r} < $bound;
	}
	my $goal = '<= ' . ($f == 1 ? '' : "$f x ") .
	    ($ref eq 'both' ? 'both' : $ref);
	return "$goal: n/a" unless defined $bound && $bound > 0 &&
	    defined $m->{v6front};
	my $r = $m->{v6front} / $bound;
	return "$goal: met" if $r <= 1;
	my $noise = $sp->{v6front} > $sp->{$who} ? $sp->{v6front} :
	    $sp->{$who};
	my $why = pct($r - 1) . " above $who" . ($f == 1 ? '' : " x $f");
	$why .= ', within the ±' . pct($noise) . ' spread'
	    if $r - 1 < $noise;
	return "$goal: MISSED ($why)";
}

my @W = (36, 6, 4, 13, 13, 13, 7, 7);
my $fmt = join(' ', map { "%-${_}s" } @W) . " %s\n";
printf $fmt, 'metric', 'better', 'kind', @PROXIES, 'v6f/hap', 'v6f/ngx',
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
	printf $fmt, $label, $better, $kind, @cells,
	    ratio($m{v6front}, $m{haproxy}), ratio($m{v6front}, $m{nginx}),
	    target($t, \%m, \%sp);
}
print '-' x 150, "\n";
printf "median of %d round(s); ±: half the range over rounds, in %% of the " .
    "median.\n", scalar(keys %rounds);
print "kind: rate = swings with the machine (2-5x between runs), " .
    "cost/mem = steady; judge by cost and mem.\n";
if (defined $notes && open(my $nh, '<', $notes)) {
	print while <$nh>;
}
