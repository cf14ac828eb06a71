# Helpers for the t/68N-stats-*.t tests: scraping `builtin: stats`, a
# strict reader of the Prometheus text format 0.0.4, and promtool.
package V6FStats;

use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use V6F;

our @EXPORT = qw(scrape prom_parse promtool_check stat_of);

# One request over a fresh connection: (status, head, body); status 0 when
# no response came.
sub scrape {
	my ($host, $port, $path, $method) = @_;
	my $s = connect_tcp($host, $port) or return (0, '', '');
	syswrite($s, ($method // 'GET') . " $path HTTP/1.1\r\nHost: x\r\n" .
	    "Connection: close\r\n\r\n");
	my $r = read_all($s, 10) // '';
	my $i = index($r, "\r\n\r\n");
	return (0, '', '') if $i < 0;
	my ($st) = $r =~ m{^HTTP/1\.1 (\d{3}) };
	return ($st // 0, substr($r, 0, $i + 4), substr($r, $i + 4));
}

my $NAME = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LNAME = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $LVAL = qr/"(?:[^"\\\n]|\\[\\"n])*"/;
my $NUM = qr/[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf)/;

sub unescape {
	my ($v) = @_;
	$v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
	return $v;
}

# Reads exposition text strictly: every line a HELP, a TYPE or a sample;
# HELP and TYPE once per family, before its samples; the samples of a
# family together; each sample's family declared; label syntax and
# escapes as the format says; no series twice; a counter named *_total.
# Returns (\%samples keyed 'name{k="v",...}' with labels sorted, \@errors).
sub prom_parse {
	my ($text) = @_;
	my (%v, @err, %help, %type, %done, $cur);
	push @err, 'does not end with a newline' unless $text =~ /\n\z/;
	my $n = 0;
	for my $line (split /\n/, $text) {
		$n++;
		if ($line =~ /^# HELP ($NAME) (.*)$/) {
			my $f = $1;
			$done{$cur} = 1 if defined $cur && $cur ne $f;
			push @err, "$n: HELP $f twice" if $help{$f}++;
			push @err, "$n: $f declared after its samples"
			    if $done{$f};
			$cur = $f;
			next;
		}
		if ($line =~ /^# TYPE ($NAME) (counter|gauge|histogram|summary|untyped)$/) {
			my ($f, $t) = ($1, $2);
			$done{$cur} = 1 if defined $cur && $cur ne $f;
			push @err, "$n: TYPE $f twice" if $type{$f};
			push @err, "$n: counter $f not named *_total"
			    if $t eq 'counter' && $f !~ /_total$/;
			push @err, "$n: $t $f named *_total"
			    if $t ne 'counter' && $f =~ /_total$/;
			$type{$f} = $t;
			$cur = $f;
			next;
		}
		if ($line =~ /^($NAME)(?:\{((?:$LNAME=$LVAL)(?:,$LNAME=$LVAL)*)?\})? ($NUM)$/) {
			my ($name, $labels, $val) = ($1, $2 // '', $3);
			push @err, "$n: $name has no TYPE" unless $type{$name};
			push @err, "$n: $name has no HELP" unless $help{$name};
			push @err, "$n: $name apart from its family"
			    if !defined $cur || $cur ne $name || $done{$name};
			my @l;
			while ($labels =~ /($LNAME)=($LVAL)/g) {
				push @l, [$1, unescape(substr($2, 1, -1))];
			}
			my %seen;
			for (@l) {
				push @err, "$n: label $_->[0] twice"
				    if $seen{$_->[0]}++;
			}
			my $key = $name . '{' . join(',', map {
			    "$_->[0]=\"$_->[1]\"" } sort { $a->[0] cmp $b->[0] }
			    @l) . '}';
			push @err, "$n: $key twice" if exists $v{$key};
			$v{$key} = $val;
			next;
		}
		push @err, "$n: not a HELP, TYPE or sample line: $line";
	}
	for (keys %type) {
		push @err, "$_ has a TYPE and no HELP" unless $help{$_};
	}
	return (\%v, \@err);
}

# The value of one series: stat_of($samples, name, k => v, ...).
sub stat_of {
	my ($v, $name, %l) = @_;
	my $key = $name . '{' . join(',', map { "$_=\"$l{$_}\"" }
	    sort keys %l) . '}';
	return $v->{$key};
}

# Runs `promtool check metrics` on the text: (exit status, its output).
sub promtool_check {
	my ($text) = @_;
	my $f = write_file('promtool.in', $text);
	my $out = `promtool check metrics < $f 2>&1`;
	return ($? >> 8, $out);
}

1;
