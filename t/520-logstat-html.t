#!/usr/bin/perl
# logstat --html writes one self-contained page: headless Chromium, in a
# network namespace of its own with only a loopback device (so any fetch
# would fail), loads it from file://, renders it to a screenshot, and its
# DOM holds the charts: IPv6 share over time, requests per hour, the top
# prefixes and the status classes, drawn as inline SVG.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FLogGen;
use Test::More;

plan(skip_all => 'needs root for a network namespace (unshare -n)')
    if $> != 0;
my $chromium = `command -v chromium 2>/dev/null`;
chomp($chromium);
ok($chromium, 'chromium is installed (make deps installs it)')
    or BAIL_OUT('no chromium');

my $dir = tmpdir();
my $recs = gen_records(3, 2000);
my $log = write_file("$dir/access.log",
    join('', map { render($_, 'combined') . "\n" } @$recs));
my $exp = expect($recs, 'combined');
my $html = "$dir/report.html";
my ($st, $out, $err) = ls_run(['--html', $html, $log]);
is($st, 0, 'logstat --html: exit 0') or diag($err);
is($out, '', 'nothing on stdout with --html alone');
my $page = slurp($html) // '';
like($page, qr/^<!DOCTYPE html>/, 'an HTML document');
unlike($page, qr{https?://}i, 'no http(s) URL in the file');
unlike($page, qr{<script|<link|<iframe|<img|\bsrc\s*=|\@import|url\(}i,
    'no scripts, style sheets or images to load');

# Chromium in a fresh network namespace: only lo, up.
sub chromium {
	my (@args) = @_;
	my $prof = "$dir/profile-" . scalar(@args) . "-$$";
	my $cmd = "ip link set lo up && ip -o link | wc -l >&3 && exec " .
	    "timeout 90 $chromium --headless --no-sandbox --disable-gpu " .
	    "--user-data-dir=$prof @args file://$html";
	my $nl = "$dir/nlinks";
	my $o = `unshare -n sh -c '$cmd' 3>$nl 2>$dir/chromium.err`;
	my $s = $?;
	return ($s, $o, slurp($nl) // '');
}

my ($cs, $dom, $nlinks) = chromium('--dump-dom');
is($cs, 0, 'chromium --dump-dom: exit 0') or
    diag(slurp("$dir/chromium.err"));
like($nlinks, qr/^\s*1\s*$/, 'chromium ran with one network device (lo)');
like($dom, qr{<h1>v6front logstat</h1>}, 'the page loaded');
like($dom, qr{\Q$exp->{lines}{read}\E lines read, \Q$exp->{lines}{parsed}\E parsed},
    'the page shows the line counts');

# Each chart: its SVG element and the shapes that draw the data.
sub svg {
	my ($id) = @_;
	return $dom =~ m{(<svg id="\Q$id\E".*?</svg>)}s ? $1 : '';
}
my $share = svg('chart-share-hour');
my @pts = $share =~ /<polyline[^>]*points="([^"]*)"/ ? split(' ', $1) : ();
is(scalar(@pts), scalar(@{$exp->{hours}}),
    'IPv6 share over time: a point per hour');
my @circ = $share =~ /<circle/g;
is(scalar(@circ), scalar(@{$exp->{hours}}), 'IPv6 share: hour markers');
my $day = svg('chart-share-day');
my @drect = $day =~ /<rect/g;
is(scalar(@drect), scalar(@{$exp->{days}}), 'IPv6 share per day: a bar ' .
    'per day');
my $rh = svg('chart-requests-hour');
my @hrect = $rh =~ /<rect/g;
is(scalar(@hrect), 2 * @{$exp->{hours}}, 'requests per hour: IPv6 and ' .
    'IPv4 bars per hour');
for my $p (@{$exp->{prefixes}}) {
	my $id = sprintf('chart-prefix-%s-%d',
	    $p->{family} eq 'ipv6' ? 'v6' : 'v4', $p->{length});
	my $s = svg($id);
	my @r = $s =~ /<rect/g;
	is(scalar(@r), scalar(@{$p->{top}}), "$id: a bar per top prefix");
	like($s, qr{>\Q$p->{top}[0]{prefix}\E<}, "$id: names the first " .
	    "prefix");
}
my $sc = svg('chart-status');
my @srect = $sc =~ /<rect/g;
is(scalar(@srect), 6, 'status classes: six bars');
like($sc, qr{>2xx<}, 'status classes: labelled');

my $png = "$dir/shot.png";
($cs) = chromium("--screenshot=$png", '--window-size=1000,3000');
is($cs, 0, 'chromium --screenshot: exit 0') or
    diag(slurp("$dir/chromium.err"));
my $img = slurp($png) // '';
is(substr($img, 0, 8), "\x89PNG\r\n\x1a\n", 'a PNG screenshot');
my ($w, $h) = length($img) > 24 ? unpack('NN', substr($img, 16, 8)) : (0, 0);
ok($w >= 1000 && $h >= 3000, "screenshot ${w}x$h");
cmp_ok(length($img), '>', 20000, 'the screenshot is not blank (' .
    length($img) . ' bytes)');

done_testing();
