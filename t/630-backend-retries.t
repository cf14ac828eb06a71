# Retries: a connect that fails (refused here) moves on to another server,
# at most `retries` more, each server once; the backend saw no byte, so any
# method is retried.  Exhausted: 502 for HTTP, a close for TCP.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use V6F;
use V6FServers;

my ($up, $dead1, $dead2, $h1, $h2, $t1, $t2, $h0) = map { free_port() } 1 .. 8;
my $be = id_backend(port => $up, name => 'up');
my $tb = id_tcp_backend(port => $up + 0, host => '127.0.0.2', name => 'tcp');

my $d = start_daemon(yaml => <<"Y") or BAIL_OUT("daemon did not start");
workers: 1
listeners:
  - name: h1
    bind: ["[::1]:$h1"]
    mode: http
    backend:
      servers: ["127.0.0.1:$dead1", "127.0.0.1:$dead2", "127.0.0.1:$up"]
  - name: h2
    bind: ["[::1]:$h2"]
    mode: http
    backend:
      servers: ["127.0.0.1:$dead1", "127.0.0.1:$dead2"]
      retries: 1
  - name: h0
    bind: ["[::1]:$h0"]
    mode: http
    backend:
      servers: ["127.0.0.1:$dead1", "127.0.0.1:$up"]
      retries: 0
  - name: t1
    bind: ["[::1]:$t1"]
    mode: tcp
    backend:
      servers: ["127.0.0.2:$dead1", "127.0.0.2:$up"]
  - name: t2
    bind: ["[::1]:$t2"]
    mode: tcp
    backend:
      servers: ["127.0.0.2:$dead1", "127.0.0.2:$dead2"]
      retries: 5
Y

# Default retries (2): whichever server round robin starts with, the
# request reaches the one that is up.
my %n;
for (1 .. 6) {
	my ($st, $b) = get_id($h1);
	$n{"$st $b"}++;
}
is_deeply(\%n, { "200 up\n" => 6 }, 'http: every request succeeds');
like($d->log, qr/info: h1: \[::1\]:\d+: connect 127\.0\.0\.1:$dead1: Connection refused; trying 127\.0\.0\.1:$dead2 \(attempt 2 of at most 3\)/,
    'http: each attempt is logged at info');

# A POST with a body goes on too: nothing reached the refusing server.
my $s = connect_tcp('::1', $h1);
syswrite($s, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" .
    "Connection: close\r\n\r\nhello");
like(read_all($s, 5), qr/^HTTP\/1\.1 200 .*\r\n\r\nup\n$/s,
    'http: a POST is retried after a failed connect');

# Two dead servers, retries 1: both are tried, then 502.
my $from = length($d->log);
my ($st) = get_id($h2);
is($st, 502, 'http: retries exhausted: 502');
like(substr($d->log, $from), qr/h2: \[::1\]:\d+: connect 127\.0\.0\.1:$dead1: Connection refused; trying 127\.0\.0\.1:$dead2 \(attempt 2 of at most 2\)\n.*h2: \[::1\]:\d+: 502 connect 127\.0\.0\.1:$dead2: Connection refused/,
    'http: both tried, the last failure is the reason');
my @r0 = map { (get_id($h0))[0] } 1 .. 4;
is_deeply([sort @r0], [200, 200, 502, 502], 'http: retries 0 does not retry');

# TCP: the relay goes to the server that is up.
for (1 .. 2) {
	my $c = connect_tcp('::1', $t1);
	syswrite($c, "ping\n");
	my $got = '';
	while ($got !~ /ping\n/) {
		sysread($c, my $buf, 100) or last;
		$got .= $buf;
	}
	is($got, "tcp\nping\n", "tcp: relayed via the live server ($_)");
}
# Both dead: closed after trying each server once (not 6 times).
$from = length($d->log);
my $c = connect_tcp('::1', $t2);
is(read_all($c, 5), '', 'tcp: retries exhausted: closed');
my $l = substr($d->log, $from);
my @tries = $l =~ /t2: .*trying/g;
is(scalar @tries, 1, 'tcp: each server tried once');
like($l, qr/warning: t2: \[::1\]:\d+ -> 127\.0\.0\.2:\d+: connect failed: Connection refused/,
    'tcp: the failure is logged');
$d->stop_ok('daemon');
done_testing();
