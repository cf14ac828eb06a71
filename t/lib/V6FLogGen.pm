# Access-log lines for the logstat tests, and the figures they should give.
#
# gen_records(seed, n) makes n records from a seeded generator: IPv6
# clients (several spellings of one address, brackets, zone IDs), IPv4 and
# IPv4-mapped clients, times in several UTC offsets, methods, paths with
# queries, statuses, sizes, user agents with escaped quotes, and malformed
# lines at known places.  render(rec, format) writes one as a line.
# expect(recs, format, opts) computes what `v6front logstat --json` must
# report, independently of the C code: from the records themselves, with
# its own RFC 5952 formatter, and its own sorting.
package V6FLogGen;

use strict;
use warnings;
use Exporter 'import';
use POSIX qw(floor);
use Socket qw(inet_pton AF_INET6 AF_INET);

our @EXPORT = qw(gen_records render expect ls_run ip_text v6_text
    %FORMATS);

# The formats the tests read, by the name given to --format.
our %FORMATS = (
	combined => '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
	common => '%h %l %u %t "%r" %>s %b',
	custom => '%a [%{User-Agent}i] %t "%m %U%q %H" %>s %B %D',
);
$FORMATS{custom_arg} = $FORMATS{custom};

my @MON = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);

# The 16 bytes of an address in any spelling (zone and brackets dropped).
sub bin16 {
	my ($s) = @_;
	$s =~ s/^\[(.*)\]$/$1/;
	$s =~ s/%.*$//;
	return inet_pton(AF_INET6, $s) if $s =~ /:/;
	return ("\0" x 10) . "\xff\xff" . inet_pton(AF_INET, $s);
}

# RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest run
# of two or more zero groups as "::" (the first on a tie).
sub v6_text {
	my ($b) = @_;
	my @g = unpack('n8', $b);
	my ($best, $blen, $i) = (-1, 0, 0);
	while ($i < 8) {
		if ($g[$i] == 0) {
			my $j = $i;
			$j++ while $j < 8 && $g[$j] == 0;
			($best, $blen) = ($i, $j - $i) if $j - $i > $blen;
			$i = $j;
		} else {
			$i++;
		}
	}
	my @h = map { sprintf('%x', $_) } @g;
	return join(':', @h) if $blen < 2;
	return join(':', @h[0 .. $best - 1]) . '::' .
	    join(':', @h[$best + $blen .. 7]);
}

sub ip_text {
	my ($b) = @_;
	return join('.', unpack('C4', substr($b, 12, 4)))
	    if substr($b, 0, 12) eq ("\0" x 10) . "\xff\xff";
	return v6_text($b);
}

sub mask {
	my ($b, $bits) = @_;
	my $m = ('1' x $bits) . ('0' x (128 - $bits));
	return $b & pack('B128', $m);
}

# Several spellings of one IPv6 address (given as 16 bytes).
sub spell6 {
	my ($b, $r) = @_;
	my $t = v6_text($b);
	my @g = unpack('n8', $b);
	my @forms = ($t, $t, uc($t), join(':', map { sprintf('%04x', $_) } @g),
	    join(':', map { sprintf('%X', $_) } @g), "[$t]");
	return $forms[$r % @forms];
}

sub gen_records {
	my ($seed, $n) = @_;
	my $x = $seed;
	# A small LCG: the same records from the same seed on every Perl.
	my $rnd = sub {
		$x = ($x * 1103515245 + 12345) % 2147483648;
		return int($x / 65536) % $_[0];
	};
	my @p64;
	for my $s48 (1 .. 5) {
		for my $s64 (0 .. 5) {
			push @p64, [0x2001, 0xdb8, $s48 * 0x11, $s64 * 0x101];
		}
	}
	my @paths = ('/', '/index.html', '/a/b', '/img/logo.png', '/api/v1/x',
	    '/search', '/%7euser/', '/cgi-bin/x.cgi');
	my @qs = ('', '', '?q=1', '?a=b&c=d', '?');
	my @ua = ('curl/8.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
	    'Mozilla/5.0 (compatible; \"quoted\" bot)', '-',
	    'Wget/1.21 \\\\ back', 'agent with spaces and \xc3\xa9');
	my @st = (200, 200, 200, 200, 304, 301, 404, 404, 500, 503, 101, 206);
	my @meth = ('GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT');
	my @offs = (0, 3600, -18000, 19800);
	my $t = 1795600000;
	my @recs;
	for my $i (1 .. $n) {
		$t += $rnd->(150);
		if ($i % 97 == 13) {
			my @bad = ('garbage', '', 'TRUNC', 'HOST', 'DATE', 'LONG');
			push @recs, { bad => $bad[($i / 97) % @bad] };
			next;
		}
		my %r = (time => $t, off => $offs[$rnd->(4)],
		    method => $meth[$rnd->(6)], path => $paths[$rnd->(8)],
		    query => $qs[$rnd->(5)], status => $st[$rnd->(12)],
		    ua => $ua[$rnd->(6)], dur => $rnd->(100000),
		    ref => $rnd->(2) ? '-' : 'https://ref.example/p');
		$r{bytes} = $rnd->(5) == 0 ? '-' : $rnd->(100000);
		my $k = $rnd->(20);
		if ($k < 9) {
			my $p = $p64[$rnd->(scalar(@p64))];
			my $b = pack('n8', @$p, 0, 0, $rnd->(3), 1 + $rnd->(20));
			$r{bin} = $b;
			$r{host} = spell6($b, $rnd->(6));
		} elsif ($k == 9) {
			my $b = pack('n8', 0xfe80, 0, 0, 0, 0, 0, 0, 1 + $rnd->(3));
			$r{bin} = $b;
			$r{host} = v6_text($b) . '%eth' . $rnd->(2);
		} elsif ($k < 17) {
			my @nets = ([192, 0, 2], [198, 51, 100], [203, 0, 113]);
			my $v4 = join('.', @{$nets[$rnd->(3)]}, 1 + $rnd->(40));
			$r{bin} = bin16($v4);
			$r{host} = $v4;
		} else {
			my $v4 = '192.0.2.' . (1 + $rnd->(40));
			$r{bin} = bin16($v4);
			$r{host} = ($rnd->(2) ? '::ffff:' : '::FFFF:') . $v4;
		}
		push @recs, \%r;
	}
	return \@recs;
}

sub clf_time {
	my ($t, $off) = @_;
	my @g = gmtime($t + $off);
	my $a = abs($off);
	return sprintf('[%02d/%s/%04d:%02d:%02d:%02d %s%02d%02d]', $g[3],
	    $MON[$g[4]], $g[5] + 1900, $g[2], $g[1], $g[0],
	    $off < 0 ? '-' : '+', int($a / 3600), int(($a % 3600) / 60));
}

# One record as a line of a format (combined, common, custom), no newline.
sub render {
	my ($r, $fmt) = @_;
	if (defined $r->{bad}) {
		my $b = $r->{bad};
		return '127.0.0.1 - - [' if $b eq 'TRUNC';
		return 'host.example - - [26/Nov/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1 "-" "x"' if $b eq 'HOST' &&
		    $fmt eq 'combined';
		return 'host.example - - [26/Nov/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1' if $b eq 'HOST' &&
		    $fmt eq 'common';
		return 'host.example [x] [26/Nov/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1 5' if $b eq 'HOST';
		return '192.0.2.1 - - [31/Feb/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1 "-" "x"' if $b eq 'DATE' &&
		    $fmt eq 'combined';
		return '192.0.2.1 - - [31/Feb/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1' if $b eq 'DATE' &&
		    $fmt eq 'common';
		return '192.0.2.1 [x] [31/Feb/2026:10:00:00 +0000] ' .
		    '"GET / HTTP/1.1" 200 1 5' if $b eq 'DATE';
		return '192.0.2.1 ' . ('x' x 5000) if $b eq 'LONG';
		return $b;
	}
	my $ts = clf_time($r->{time}, $r->{off});
	my $req = "$r->{method} $r->{path}$r->{query} HTTP/1.1";
	if ($fmt eq 'combined' || $fmt eq 'common') {
		my $l = "$r->{host} - - $ts \"$req\" $r->{status} $r->{bytes}";
		$l .= " \"$r->{ref}\" \"$r->{ua}\"" if $fmt eq 'combined';
		return $l;
	}
	my $q = $r->{query};
	return "$r->{host} [$r->{ua}] $ts \"$r->{method} $r->{path}$q " .
	    "HTTP/1.1\" $r->{status} " . ($r->{bytes} eq '-' ? 0 :
	    $r->{bytes}) . " $r->{dur}";
}

# Sorted top list: most requests first, then by key bytes.
sub top {
	my ($h, $n, $keyname, $fmt) = @_;
	my @k = sort { $h->{$b}{requests} <=> $h->{$a}{requests} || $a cmp $b }
	    keys %$h;
	splice(@k, $n) if @k > $n;
	return [map { { $keyname => $fmt ? $fmt->($_) : $_,
	    %{$h->{$_}} } } @k];
}

sub share { my ($a, $b) = @_; return sprintf('%.4f', $b ? $a / $b : 0) }

sub ymd {
	my ($t) = @_;
	my @g = gmtime($t);
	return sprintf('%04d-%02d-%02d', $g[5] + 1900, $g[4] + 1, $g[3]);
}

# The figures --json must show for recs read as format fmt; opts: top,
# prefix6 and prefix4 (array refs), anon6, anon4, file (its name).
sub expect {
	my ($recs, $fmt, %o) = @_;
	my $top = $o{top} // 10;
	my @p6 = @{$o{prefix6} // [64, 48]};
	my @p4 = @{$o{prefix4} // [24]};
	my ($a6, $a4) = ($o{anon6} // 128, $o{anon4} // 32);
	my (%e, %cli, %p64, %pfx, %st, %meth, %path, %ua, %hour);
	my ($line, @malf) = (0);
	$e{lines} = { read => 0, parsed => 0, malformed => 0 };
	$e{requests} = { total => 0, ipv4 => 0, ipv6 => 0 };
	$e{bytes} = { total => 0, ipv4 => 0, ipv6 => 0 };
	$e{clients} = { ipv4 => 0, ipv6 => 0 };
	for my $r (@$recs) {
		$line++;
		$e{lines}{read}++;
		if (defined $r->{bad}) {
			$e{lines}{malformed}++;
			push @malf, $line if @malf < 10;
			next;
		}
		$e{lines}{parsed}++;
		my $v6 = substr($r->{bin}, 0, 12) ne ("\0" x 10) . "\xff\xff";
		my $fam = $v6 ? 'ipv6' : 'ipv4';
		my $by = $r->{bytes} eq '-' ? 0 : $r->{bytes};
		$e{requests}{total}++;
		$e{requests}{$fam}++;
		$e{bytes}{total} += $by;
		$e{bytes}{$fam} += $by;
		my $new = !$cli{$r->{bin}}++;
		$e{clients}{$fam}++ if $new;
		$p64{mask($r->{bin}, 64)} = 1 if $v6;
		for my $len ($v6 ? @p6 : @p4) {
			my $eff = $v6 ? ($len < $a6 ? $len : $a6) :
			    ($len < $a4 ? $len : $a4);
			my $key = mask($r->{bin}, $v6 ? $eff : 96 + $eff);
			my $p = $pfx{"$fam/$len"}{$key} //= { requests => 0,
			    clients => 0, bytes => 0 };
			$p->{requests}++;
			$p->{clients}++ if $new;
			$p->{bytes} += $by;
		}
		my $c = $r->{status};
		$st{$c}++;
		$meth{$r->{method}}{requests}++;
		$path{$r->{path}}{requests}++;
		$ua{$r->{ua}}{requests}++ if $fmt ne 'common';
		my $h = floor($r->{time} / 3600);
		$hour{$h}{requests}++;
		$hour{$h}{ipv6}++ if $v6;
		$hour{$h}{bytes} += $by;
	}
	$e{lines}{malformed_lines} = \@malf;
	$e{requests}{ipv6_share} = share($e{requests}{ipv6},
	    $e{requests}{total});
	$e{clients}{ipv6_64} = scalar(keys %p64);
	my @pf;
	for my $len (@p6) {
		my $eff = $len < $a6 ? $len : $a6;
		my $h = $pfx{"ipv6/$len"} // {};
		push @pf, { family => 'ipv6', length => $eff,
		    distinct => scalar(keys %$h),
		    top => top($h, $top, 'prefix',
		    sub { v6_text($_[0]) . "/$eff" }) };
	}
	for my $len (@p4) {
		my $eff = $len < $a4 ? $len : $a4;
		my $h = $pfx{"ipv4/$len"} // {};
		push @pf, { family => 'ipv4', length => $eff,
		    distinct => scalar(keys %$h),
		    top => top($h, $top, 'prefix',
		    sub { ip_text($_[0]) . "/$eff" }) };
	}
	$e{prefixes} = \@pf;
	my %cls = map { $_ => 0 } qw(1xx 2xx 3xx 4xx 5xx other);
	for my $c (keys %st) {
		my $k = $c =~ /^[1-5]\d\d$/ ? substr($c, 0, 1) . 'xx' : 'other';
		$cls{$k} += $st{$c};
	}
	my @codes = sort { $st{$b} <=> $st{$a} || $a <=> $b } keys %st;
	splice(@codes, $top) if @codes > $top;
	$e{status} = { classes => \%cls,
	    top => [map { { code => $_, requests => $st{$_} } } @codes] };
	$e{methods} = { distinct => scalar(keys %meth),
	    top => top(\%meth, $top, 'method') };
	$e{paths} = { distinct => scalar(keys %path),
	    top => top(\%path, $top, 'path') };
	$e{user_agents} = { distinct => scalar(keys %ua),
	    top => top(\%ua, $top, 'user_agent') };
	my (@hours, %day, @days);
	for my $h (sort { $a <=> $b } keys %hour) {
		my $x = $hour{$h};
		my @g = gmtime($h * 3600);
		push @hours, { hour => sprintf('%sT%02d:00Z', ymd($h * 3600),
		    $g[2]), requests => $x->{requests},
		    ipv6 => $x->{ipv6} // 0, bytes => $x->{bytes},
		    ipv6_share => share($x->{ipv6} // 0, $x->{requests}) };
		my $d = ymd($h * 3600);
		push @days, $d unless $day{$d};
		$day{$d}{$_} += $hours[-1]{$_} for qw(requests ipv6 bytes);
	}
	$e{hours} = \@hours;
	$e{days} = [map { { day => $_, %{$day{$_}},
	    ipv6_share => share($day{$_}{ipv6}, $day{$_}{requests}) } } @days];
	return \%e;
}

# Runs v6front logstat ARGS with stdin from a file (or /dev/null);
# returns (exit status, stdout, stderr).
sub ls_run {
	my ($args, %o) = @_;
	my $dir = V6F::tmpdir();
	my @cmd = (V6F::v6f_bin(), 'logstat', @$args);
	my $in = $o{stdin} // '/dev/null';
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', $in) or die "$in: $!";
		open(STDOUT, '>', "$dir/ls.out") or die $!;
		open(STDERR, '>', "$dir/ls.err") or die $!;
		exec(@cmd) or die "exec: $!";
	}
	waitpid($pid, 0);
	my $st = $?;
	my $out = V6F::slurp("$dir/ls.out") // '';
	my $err = V6F::slurp("$dir/ls.err") // '';
	return ($st, $out, $err);
}

1;
