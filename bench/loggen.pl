#!/usr/bin/perl
# loggen.pl: writes a combined-format access log for bench/logstat.sh.
#
#	perl bench/loggen.pl LINES [SEED] > access.log
#
# Lines are about 250 bytes, like a real site's: 40 % IPv6 clients with
# rotating privacy addresses under a few thousand /64s (2001:db8::/32),
# the rest IPv4 (198.18.0.0/15, the benchmarking range), a week of
# time in order, a few thousand paths with query strings, long browser
# User-Agent strings, referers, and a realistic mix of status codes.
use strict;
use warnings;

my $n = shift // 1000000;
my $seed = shift // 1;
srand($seed);

my @ua = map { "Mozilla/5.0 ($_) AppleWebKit/537.36 (KHTML, like Gecko) " .
    "Chrome/1" . int(rand(30)) . ".0.0.0 Safari/537.36" } (
    'Windows NT 10.0; Win64; x64', 'X11; Linux x86_64',
    'Macintosh; Intel Mac OS X 10_15_7', 'X11; Ubuntu; Linux x86_64',
    'Linux; Android 14; Pixel 8', 'iPhone; CPU iPhone OS 17_1 like Mac OS X',
    'iPad; CPU OS 16_6 like Mac OS X', 'Windows NT 6.1; WOW64',
    'compatible; bingbot/2.0', 'compatible; Googlebot/2.1');
push @ua, map { "curl/8.$_.0" } 0 .. 5;
push @ua, 'Wget/1.21.3', '-', 'python-requests/2.31.0';
my @sect = qw(products blog static/css static/js images api/v1 docs account
    search cart);
my @path = map { '/' . $sect[$_ % @sect] . '/' . sprintf('%x', $_ * 7919) .
    ($_ % 3 ? '.html' : '') } 0 .. 4999;
my @qs = ('', '', '', '?page=2', '?ref=home&utm_source=newsletter',
    '?q=ipv6+tunnel', '?id=12345&sort=desc');
my @st = ((200) x 80, (304) x 8, (301) x 3, (302) x 2, (404) x 4, 403, 500,
    503);
my @meth = ((('GET') x 18), 'POST', 'HEAD');
my @mon = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
my @p64 = map { sprintf('2001:db8:%x:%x', int(rand(300)), int(rand(65536))) }
    1 .. 3000;
my $t0 = 1795651200;	# 2026-11-26T00:00:00Z
my $span = 7 * 86400;
my ($lt, $ts) = (-1, '');

for my $i (0 .. $n - 1) {
	my $t = $t0 + int($i * $span / $n);
	if ($t != $lt) {
		my @g = gmtime($t);
		$ts = sprintf('%02d/%s/%04d:%02d:%02d:%02d +0000', $g[3],
		    $mon[$g[4]], $g[5] + 1900, $g[2], $g[1], $g[0]);
		$lt = $t;
	}
	my $ip = rand() < 0.4 ?
	    sprintf('%s:%x:%x:%x:%x', $p64[int(rand(@p64))], int(rand(65536)),
	    int(rand(65536)), int(rand(65536)), int(rand(65536))) :
	    sprintf('198.%d.%d.%d', 18 + int(rand(2)), int(rand(256)),
	    int(rand(256)));
	my $s = $st[int(rand(@st))];
	my $b = $s == 304 ? '-' : int(rand(60000));
	my $ref = rand() < 0.2 ? '-' :
	    'https://www.example.com' . $path[int(rand(@path))] .
	    '?utm_source=newsletter&utm_medium=email';
	printf("%s - - [%s] \"%s %s%s HTTP/1.1\" %s %s \"%s\" \"%s\"\n", $ip, $ts,
	    $meth[int(rand(@meth))], $path[int(rand(@path))],
	    $qs[int(rand(@qs))], $s, $b, $ref, $ua[int(rand(@ua))]);
}
