#!/usr/bin/perl
# Backend keep-alive pool: a connection one client finished with serves
# the next client; idle_timeout and max_idle bound it; a reused connection
# the backend closes before answering gets an idempotent request sent once
# more on a fresh one, and a non-idempotent request a 502.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Test::More;
use Time::HiRes qw(sleep);

my $dir = tmpdir();

my $be = recording_backend(dir => $dir, reply => sub {
	my ($req, $n) = @_;
	return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
});
# Answers the first request of each connection, then reads the next one
# and closes without a word: a server that timed the connection out.
my $flaky = recording_backend(dir => $dir, reply => sub {
	my ($req, $n) = @_;
	return undef if $n > 1;
	return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
});

my ($p, $pf, $pn) = (free_port(), free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p"
    mode: http
    backend:
      servers: ["127.0.0.1:${\ $be->port}"]
      pool: { max_idle: 1, idle_timeout: 1s }
  - name: flaky
    bind: "[::1]:$pf"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $flaky->port}"] }
  - name: nopool
    bind: "[::1]:$pn"
    mode: http
    backend:
      servers: ["127.0.0.1:${\ $be->port}"]
      pool: { max_idle: 0 }
EOF

# One request on a new client connection; returns (status, body).
sub get {
	my ($port, $method) = @_;
	$method //= 'GET';
	my $c = connect_tcp('::1', $port) or die;
	send_all($c, "$method / HTTP/1.1\r\nHost: h\r\n" .
	    ($method eq 'POST' ? "Content-Length: 0\r\n" : '') .
	    "Connection: close\r\n\r\n");
	my $pending = '';
	my @r = read_response($c, \$pending, 10);
	return ($r[0] // 0, $r[2]);
}

sub conns { my %c = map { $_->[0] => 1 } @_; return scalar(keys %c) }

# Three clients one after another share one backend connection.
get($p) for 1 .. 3;
my @rec = records($dir, 3);
is(conns(@rec), 1, 'three clients, one backend connection');

# After idle_timeout the parked connection is gone: a new one is made.
sleep(1.5);
get($p);
my @rec2 = records($dir, 1);
isnt($rec2[0][0], $rec[0][0], 'after idle_timeout: a new connection');

# Two clients at once need two connections; only max_idle (1) is parked.
{
	my @c = map { connect_tcp('::1', $p) or die } 1 .. 2;
	send_all($_, "GET / HTTP/1.1\r\nHost: h\r\n\r\n") for @c;
	my $x = '';
	read_response($_, \($x = ''), 10) for @c;
	close($_) for @c;
	records($dir, 2);
	get($p);
	get($p);
	my @r = records($dir, 2);
	is(conns(@r), 1, 'max_idle 1: later requests share the one kept');
}

# max_idle 0: every request opens its own connection.
get($pn) for 1 .. 2;
is(conns(records($dir, 2)), 2, 'max_idle 0: no reuse');

# The flaky backend: the second request on a reused connection is dropped;
# a GET is sent again on a fresh connection and succeeds.
{
	my @r = get($pf);
	is($r[0], 200, 'flaky: first request');
	@r = get($pf);
	is($r[0], 200, 'flaky: GET retried on a fresh connection');
	is($r[1], 'ok', 'flaky: with the answer');
	my @rec3 = records($dir, 3);
	is(conns(@rec3), 2, 'flaky: the retry used a new connection');
	ok($d->wait_log(qr/flaky: \[::1\]:\d+: 127\.0\.0\.1:\d+ closed a reused connection before answering; sending again/),
	    'flaky: the retry is logged');
	@r = get($pf, 'POST');
	is($r[0], 502, 'flaky: POST is not retried: 502');
	records($dir, 1);
}

$d->stop_ok;
done_testing();
