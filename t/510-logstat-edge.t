#!/usr/bin/perl
# logstat on the cases that matter one by one: IPv4-mapped clients count as
# IPv4; spellings of one IPv6 address are one client; brackets and zone IDs
# read; malformed, truncated and over-long lines are counted with their
# numbers and never stop the count; --anonymize leaves no address bit past
# its lengths in any output; bad input and usage give a clear message and
# exit status.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FLogGen;
use JSON::PP;
use Test::More;

my $dir = tmpdir();
my $T = '[26/Nov/2026:14:05:32 +0000]';

sub line { my ($h, $st) = @_; "$h - - $T \"GET /x HTTP/1.1\" " .
    ($st // 200) . " 10 \"-\" \"ua\"\n" }

sub json_of {
	my ($what, @args) = @_;
	my ($st, $out, $err) = ls_run(['--json', @args]);
	is($st, 0, "$what: exit 0") or diag($err);
	unlike($err, qr/AddressSanitizer|runtime error|LeakSanitizer/,
	    "$what: no sanitizer report");
	my $j = eval { decode_json($out) } // {};
	return $j;
}

# Families and spellings.
{
	my $log = write_file("$dir/fam.log", join('',
	    line('::ffff:192.0.2.1'), line('::FFFF:192.0.2.1'),
	    line('192.0.2.1'), line('0:0:0:0:0:ffff:c000:201'),
	    line('2001:DB8:0:0::1'), line('2001:db8::1'),
	    line('2001:0db8:0000:0000:0000:0000:0000:0001'),
	    line('[2001:db8::1]'), line('fe80::1%eth0'), line('fe80::1%lo'),
	    line('[fe80::1%eth0]:443'), line('198.51.100.7:8080')));
	my $j = json_of('families', $log);
	is($j->{lines}{parsed}, 12, 'every spelling parses');
	is($j->{requests}{ipv4}, 5, 'IPv4-mapped counts as IPv4');
	is($j->{requests}{ipv6}, 7, 'IPv6 requests');
	is($j->{clients}{ipv4}, 2, 'one IPv4 client in four spellings, ' .
	    'and one with a port');
	is($j->{clients}{ipv6}, 2, '2001:DB8:0:0::1 and 2001:db8::1 are one ' .
	    'client; fe80::1 with zones another');
	is($j->{clients}{ipv6_64}, 2, 'two /64s');
	my ($p64) = grep { $_->{length} == 64 } @{$j->{prefixes}};
	is_deeply([map { $_->{prefix} } @{$p64->{top}}],
	    ['2001:db8::/64', 'fe80::/64'], 'prefixes in RFC 5952 form');
	my ($p24) = grep { $_->{family} eq 'ipv4' } @{$j->{prefixes}};
	is_deeply([map { [$_->{prefix}, $_->{requests}, $_->{clients}] }
	    @{$p24->{top}}], [['192.0.2.0/24', 4, 1],
	    ['198.51.100.0/24', 1, 1]], 'IPv4 /24s');
}

# Malformed lines: counted with their numbers, the rest still counted.
{
	my $long = '192.0.2.9 ' . ('y' x (5 << 20)) . "\n";
	my $log = write_file("$dir/bad.log", join('',
	    line('192.0.2.1'),				# 1
	    "garbage\n",				# 2
	    "\n",					# 3
	    "192.0.2.1 - - [26/Nov/2026:14:05\n",	# 4 truncated
	    line('host.example'),			# 5 not an address
	    line('2001:db8::zz'),			# 6
	    line('192.0.2.1', 'abc'),			# 7 bad status
	    "192.0.2.1 - - [31/Feb/2026:10:00:00 +0000] \"GET / HTTP/1.1\" " .
	    "200 1 \"-\" \"x\"\n",			# 8 no such date
	    $long,					# 9 over 4 MiB
	    line('2001:db8::2'),			# 10
	    "\0\x01\xff binary \r\n",			# 11
	    '2001:db8::3 - - [26/Nov/2026:14:05:32 +0000] "GET / HTT'));
							# 12 cut, no LF
	my $j = json_of('malformed', $log);
	is($j->{lines}{read}, 12, '12 lines read');
	is($j->{lines}{parsed}, 2, '2 parsed');
	is($j->{lines}{malformed}, 10, '10 malformed');
	is_deeply([map { $_->{line} } @{$j->{lines}{malformed_first}}],
	    [2 .. 9, 11, 12], 'malformed line numbers');
	my %why = map { $_->{line} => $_->{error} }
	    @{$j->{lines}{malformed_first}};
	is($why{5}, 'client is not an IP address', 'line 5: why');
	is($why{8}, 'malformed time', 'line 8: why');
	is($why{9}, 'line too long', 'line 9: why');
	is($j->{requests}{ipv6}, 1, 'the line after the long one counts');
	my ($st, $out) = ls_run([$log]);
	like($out, qr/^lines: 12 read, 2 parsed, 10 malformed$/m,
	    'text: the counts');
	like($out, qr/^  malformed: \Q$log\E:4: /m, 'text: a line number');
}

# --anonymize: no output holds an address bit past 48 (IPv6) or 16 (IPv4).
{
	my $recs = gen_records(7, 1500);
	my $log = write_file("$dir/anon.log",
	    join('', map { render($_, 'combined') . "\n" } @$recs));
	my @args = ('--anonymize', '48,16', '--prefix', '64,48,56,128',
	    '--prefix4', '24,32', '--top', '1000');
	my $j = json_of('anonymize', @args, $log);
	my $exp = expect($recs, 'combined', anon6 => 48, anon4 => 16,
	    prefix6 => [64, 48, 56, 128], prefix4 => [24, 32], top => 1000);
	is_deeply($j->{prefixes}, $exp->{prefixes},
	    'anonymized prefixes are the masked counts');
	is_deeply([map { $_->{length} } @{$j->{prefixes}}], [48, 48, 48, 48, 16, 16],
	    'prefix lengths cut to the anonymization');
	is($j->{clients}{ipv6}, $exp->{clients}{ipv6},
	    'client counts still count whole addresses');
	my (undef, $text) = ls_run([@args, $log]);
	my (undef, $json) = ls_run(['--json', @args, $log]);
	my ($st) = ls_run([@args, '--html', "$dir/anon.html", $log]);
	is($st, 0, 'anonymize: html written');
	my $html = slurp("$dir/anon.html") // '';
	my %addr = map { ip_text($_->{bin}) => 1 } grep { !defined $_->{bad} } @$recs;
	for my $o (['text', $text], ['json', $json], ['html', $html]) {
		my ($name, $s) = @$o;
		my @v6 = $s =~ m{([0-9a-f]*:[0-9a-f:]*:[0-9a-f]*)/(\d+)}g;
		my @v4 = $s =~ m{(\d+\.\d+\.\d+\.\d+)/(\d+)}g;
		ok(@v6 >= 2 && @v4 >= 2, "$name: shows prefixes");
		my @bad;
		while (my ($a, $l) = splice(@v6, 0, 2)) {
			my $b = Socket::inet_pton(Socket::AF_INET6(), $a);
			push @bad, "$a/$l" if $l > 48 || !defined($b) ||
			    substr($b, 6) ne "\0" x 10;
		}
		while (my ($a, $l) = splice(@v4, 0, 2)) {
			push @bad, "$a/$l" if $l > 16 || $a !~ /\.0\.0$/;
		}
		is_deeply(\@bad, [], "$name: no prefix longer than the mask");
		my @seen = grep { index($s, $_) >= 0 &&
		    $s =~ /(?<![0-9a-f:.])\Q$_\E(?![0-9a-f:.])/ } keys %addr;
		is_deeply(\@seen, [], "$name: no client address");
	}
}

# Usage and input errors: a message on stderr and the exit status.
my @err = (
	[[qw(/nonexistent/x.log)], 1,
	    qr{^v6front logstat: /nonexistent/x\.log: No such file or directory$}m],
	[['--format', '%h %Z', "$dir/fam.log"], 2,
	    qr{^v6front logstat: format "%h %Z": col \d+: }m],
	[['--format', '%t "%r"', "$dir/fam.log"], 2,
	    qr{no client address}],
	[['--format', '%h%U', "$dir/fam.log"], 2,
	    qr{cannot be read back}],
	[['--prefix', '129', "$dir/fam.log"], 2, qr{--prefix 129: }],
	[['--anonymize', '48', "$dir/fam.log"], 2, qr{--anonymize 48: }],
	[['--top', 'x', "$dir/fam.log"], 2, qr{--top x: }],
	[['--bogus', "$dir/fam.log"], 2, qr{usage: v6front logstat}],
	[[], 2, qr{no input files}],
	[[$dir], 1, qr{\Q$dir\E: Is a directory}],
	[['--html', "/nonexistent/dir/r.html", "$dir/fam.log"], 1,
	    qr{/nonexistent/dir/r\.html: No such file or directory}],
);
for my $e (@err) {
	my ($args, $want, $re) = @$e;
	my ($st, $out, $err) = ls_run($args);
	my $what = join(' ', @$args) || '(no arguments)';
	is($st >> 8, $want, "$what: exit status $want");
	is($st & 127, 0, "$what: no signal");
	like($err, $re, "$what: message");
}

# Corrupt and cut gzip.
{
	use IO::Compress::Gzip qw(gzip);
	my $z;
	gzip(\(line('192.0.2.1') x 1000) => \$z);
	my $cut = write_file("$dir/cut.gz", substr($z, 0, length($z) - 20));
	my ($st, undef, $err) = ls_run([$cut]);
	is($st >> 8, 1, 'cut gzip: exit status 1');
	like($err, qr{cut\.gz: gzip data ends early}, 'cut gzip: message');
	my $bad = $z;
	substr($bad, 20, 10) = 'x' x 10;
	write_file("$dir/bad.gz", $bad);
	($st, undef, $err) = ls_run(["$dir/bad.gz"]);
	is($st >> 8, 1, 'corrupt gzip: exit status 1');
	like($err, qr{bad\.gz: gzip data corrupt}, 'corrupt gzip: message');
}

# -h and the daemon's usage mention logstat.
{
	my ($st, $out) = ls_run(['-h']);
	is($st, 0, 'logstat -h: exit 0');
	like($out, qr/--anonymize/, 'logstat -h: options');
	my $u = `${\ v6f_bin()} -h`;
	like($u, qr/v6front logstat/, 'v6front -h mentions logstat');
}

done_testing();
