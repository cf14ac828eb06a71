#!/usr/bin/perl
# A real load generator through a mode http listener: wrk, 16 keep-alive
# connections for two seconds against two workers, IPv6 front to an IPv4
# backend.  Every request gets a 200, no socket errors, each backend
# connection serves many requests (the pool), and the access log holds one
# 200 line per answered request.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Test::More;

my $wrk = `sh -c 'command -v wrk'`;
chomp($wrk);
BAIL_OUT('wrk is missing: make deps installs it') unless $wrk;

my $dir = tmpdir();
# Answers every request with "ok"; each connection's process notes how many
# it served in DIR/conn.<pid>.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my ($pending, $n) = ('', 0);
	while (defined(my $req = read_message($c, \$pending, 30))) {
		$n++;
		send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
		    or last;
	}
	write_file("$dir/conn.$$", "$n\n");
});

my $p = free_port();
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: web
    bind: "[::1]:$p"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log: { path: $dir/access.log, format: "%h %>s %b %X" }
EOF

my $out = `$wrk -t2 -c16 -d2s --latency http://[::1]:$p/ 2>&1`;
is($? >> 8, 0, 'wrk ran') or diag($out);
my ($n) = $out =~ /^\s*(\d+) requests in /m;
ok(defined $n && $n > 100, 'wrk: ' . ($n // 'no') . ' requests answered')
    or diag($out);
unlike($out, qr/Non-2xx/, 'wrk: no non-2xx answer') or diag($out);
unlike($out, qr/Socket errors/, 'wrk: no socket errors') or diag($out);

# Backend side: the proxy reused its connections (they end, and their
# counts are written, when the daemon stops).
$d->stop_ok('daemon');
my @conns;
wait_for(sub { @conns = glob("$dir/conn.*"); @conns > 0 }, 10);
sleep(1);
@conns = glob("$dir/conn.*");
my ($served, $max) = (0, 0);
for my $f (@conns) {
	my $k = slurp($f) + 0;
	$served += $k;
	$max = $k if $k > $max;
}
cmp_ok($served, '>=', $n // 0, 'the backend answered every request');
cmp_ok(scalar(@conns), '<=', 64, scalar(@conns) . ' backend connections '
    . "for $served requests");
cmp_ok($max, '>', 10, "a backend connection served $max requests");

# The log: a 200 line for every answered request, all from ::1.  wrk stops
# with requests in flight, so a few more may be logged than it counted.
my @l;
wait_for(sub {
	@l = split(/\n/, slurp("$dir/access.log") // '');
	@l >= ($n // 1);
}, 10);
my @ok = grep { /^::1 200 3 \+$/ } @l;
cmp_ok(scalar(@ok), '>=', $n // 1, scalar(@ok) . ' log lines "::1 200 3 +"');
cmp_ok(scalar(@l), '<=', ($n // 0) + 16, 'no more lines than requests');
is(scalar(grep { !/^::1 / } @l), 0, 'every line names the IPv6 client');

done_testing();
