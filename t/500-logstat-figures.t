#!/usr/bin/perl
# v6front logstat --json gives exactly the figures an independent Perl
# count of the same seeded records gives: combined, common and a custom
# format; gzip input (two members); stdin; several files; --top and
# --prefix options.  Field by field.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FLogGen;
use IO::Compress::Gzip qw(gzip $GzipError);
use JSON::PP;
use Test::More;

my $dir = tmpdir();
my $recs = gen_records(42, 3000);

sub write_log {
	my ($name, $fmt, $rs) = @_;
	return write_file("$dir/$name",
	    join('', map { render($_, $fmt) . "\n" } @$rs));
}

# Shares are compared as the 4-digit text the report writes.
sub norm {
	my ($x) = @_;
	if (ref($x) eq 'HASH') {
		return { map { $_ => $_ eq 'ipv6_share' ?
		    sprintf('%.4f', $x->{$_}) : norm($x->{$_}) } keys %$x };
	}
	return [map { norm($_) } @$x] if ref($x) eq 'ARRAY';
	return $x;
}

sub check {
	my ($what, $args, $exp, %o) = @_;
	my ($st, $out, $err) = ls_run($args, %o);
	is($st, 0, "$what: exit status 0") or diag($err);
	unlike($err, qr/AddressSanitizer|runtime error|LeakSanitizer/,
	    "$what: no sanitizer report");
	is($err, '', "$what: nothing on stderr (not a terminal: no " .
	    'progress line)');
	my $j = eval { decode_json($out) };
	ok($j, "$what: JSON parses") or return diag($@ // '', $out);
	$j = norm($j);
	is($j->{version}, 1, "$what: version 1");
	for my $k (qw(read parsed malformed)) {
		is($j->{lines}{$k}, $exp->{lines}{$k}, "$what: lines.$k");
	}
	is_deeply([map { $_->{line} } @{$j->{lines}{malformed_first}}],
	    $exp->{lines}{malformed_lines}, "$what: malformed line numbers")
	    if $exp->{lines}{malformed_lines};
	for my $k (qw(requests bytes clients prefixes status methods paths
	    user_agents days hours)) {
		is_deeply($j->{$k}, norm($exp->{$k}), "$what: $k") or
		    diag(explain($j->{$k}), explain(norm($exp->{$k})));
	}
	return $j;
}

my %exp;
for my $f (qw(combined common custom)) {
	my $log = write_log("$f.log", $f, $recs);
	$exp{$f} = expect($recs, $f);
	my $fmt = $f eq 'custom' ? $FORMATS{custom} : $f;
	my $j = check("format $f", ['--json', '--format', $fmt, $log],
	    $exp{$f});
	is_deeply($j->{files}, [$log], "$f: files") if $j;
	is($j->{format}, $fmt, "$f: format") if $j;
}
cmp_ok($exp{combined}{requests}{ipv6}, '>', 100, 'the data has IPv6');
cmp_ok($exp{combined}{requests}{ipv4}, '>', 100, 'the data has IPv4');
cmp_ok($exp{combined}{lines}{malformed}, '>=', 20,
    'the data has malformed lines');
cmp_ok(scalar(@{$exp{combined}{hours}}), '>', 48, 'the data spans days');

# Blocks of 4 KiB counted by 3 threads: the merged figures are the same,
# malformed lines keep their numbers, clients seen by two threads count
# once.
check('--threads 3 --block-size 4', ['--json', '--threads', '3',
    '--block-size', '4', "$dir/combined.log"], $exp{combined});
check('--threads 1', ['--json', '--threads', '1', "$dir/combined.log"],
    $exp{combined});

# Default format: combined.
check('default format', ['--json', "$dir/combined.log"], $exp{combined});

# gzip, as two members (what `cat a.gz b.gz` gives).
{
	my @l = map { render($_, 'combined') . "\n" } @$recs;
	my $half = int(@l / 2);
	my ($z1, $z2);
	gzip(\join('', @l[0 .. $half - 1]) => \$z1) or die $GzipError;
	gzip(\join('', @l[$half .. $#l]) => \$z2) or die $GzipError;
	my $gz = write_file("$dir/combined.log.gz", $z1 . $z2);
	check('gzip input', ['--json', $gz], $exp{combined});
	check('gzip on stdin', ['--json', '-'], $exp{combined},
	    stdin => $gz);
}

check('stdin', ['--json', '-'], $exp{combined},
    stdin => "$dir/combined.log");

# Two files: the figures of the whole, line numbers per file.
{
	my $n = 1500;
	my @a = @$recs[0 .. $n - 1];
	my @b = @$recs[$n .. $#$recs];
	my $fa = write_log('a.log', 'combined', \@a);
	my $fb = write_log('b.log', 'combined', \@b);
	my %e = %{$exp{combined}};
	$e{lines} = { %{$e{lines}} };
	delete $e{lines}{malformed_lines};
	my $j = check('two files', ['--json', $fa, $fb], \%e);
	if ($j) {
		my $ea = expect(\@a, 'combined');
		my $eb = expect(\@b, 'combined');
		my @want = ((map { [$fa, $_] } @{$ea->{lines}{malformed_lines}}),
		    (map { [$fb, $_] } @{$eb->{lines}{malformed_lines}}));
		splice(@want, 10) if @want > 10;
		is_deeply([map { [$_->{file}, $_->{line}] }
		    @{$j->{lines}{malformed_first}}], \@want,
		    'two files: malformed lines named by file and line');
	}
}

# Options: --top, --prefix, --prefix4.
check('--top 3 --prefix 56,32,128 --prefix4 16,32',
    ['--json', '--top', '3', '--prefix', '56,32,128', '--prefix4', '16,32',
    "$dir/combined.log"], expect($recs, 'combined', top => 3,
    prefix6 => [56, 32, 128], prefix4 => [16, 32]));

done_testing();
