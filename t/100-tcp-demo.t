#!/usr/bin/perl
# The demo of `make run`: an IPv6 client reaches the built-in IPv4 status
# responder through a tcp listener, and sees the address the IPv4 side saw.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Test::More;

my $demo = slurp(root_dir() . '/conf/examples/demo.yaml');
my ($p6, $p4) = (free_port(), free_port());
like($demo, qr/\[::1\]:8080/, 'demo listens on [::1]:8080');
like($demo, qr/127\.0\.0\.1:8081/, 'demo status on 127.0.0.1:8081');
$demo =~ s/8080/$p6/g;
$demo =~ s/8081/$p4/g;
my $d = start_daemon(yaml => $demo, name => 'demo') or BAIL_OUT('no daemon');

my $out = `curl -sS -6 --max-time 5 -D - http://[::1]:$p6/ 2>&1`;
like($out, qr{^HTTP/1\.1 200 OK\r$}m, 'curl -6 through the proxy: 200');
like($out, qr/^client: 127\.0\.0\.1:\d+ \(IPv4\)$/m,
    'the IPv4 service saw an IPv4 client (the proxy)');
like($out, qr/^server: 127\.0\.0\.1:$p4 \(listener status\)$/m,
    'answered by the status listener');

$out = `curl -sS --max-time 5 http://127.0.0.1:$p4/ 2>&1`;
like($out, qr/^client: 127\.0\.0\.1:\d+ \(IPv4\)$/m, 'status directly');

$out = `curl -sS -6 --max-time 5 -I http://[::1]:$p6/ 2>&1`;
like($out, qr{^HTTP/1\.1 200 OK\r$}m, 'HEAD works');
like($out, qr/^Content-Length: \d+\r$/m, 'HEAD has the length');

# A direct IPv6 status listener shows the IPv6 client address itself.
my $s = connect_tcp('127.0.0.1', $p4);
syswrite($s, "BAD\r\n\r\n");
like(read_all($s, 5), qr{^HTTP/1\.1 400 }, 'malformed request: 400');

$s = connect_tcp('127.0.0.1', $p4);
syswrite($s, "GET /" . ('a' x 9000));
like(read_all($s, 5), qr{^HTTP/1\.1 431 }, 'oversized head: 431');

$d->stop_ok('demo');
done_testing();
