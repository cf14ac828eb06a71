#!/usr/bin/perl
# How an http exchange ended shows in its line: a backend timeout is the
# 504 the client got, a response cut short leaves %X "X", a
# slow request head is a 408, and a keep-alive connection closed while
# idle writes no line at all.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Test::More;
use Time::HiRes qw(sleep);

my $dir = tmpdir();

# Accepts and reads, never answers.
my $silent = start_backend(handler => sub { read_all($_[0], 20) });
# Promises a large body, sends a little, then waits.
my $slow = start_backend(handler => sub {
	my ($c) = @_;
	my $p = '';
	read_message($c, \$p, 10);
	send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" .
	    ('x' x 100));
	sleep(5);
});
my $ok = recording_backend(dir => $dir, reply => sub {
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});

my %p = map { $_ => free_port() } qw(silent slow ok);
my $fmt = '%>s %b %X %k %^xe \"%r\"';
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
access_log: { path: $dir/all.log, format: "$fmt" }
listeners:
  - name: silent
    bind: "[::1]:$p{silent}"
    mode: http
    backend:
      servers: ["127.0.0.1:${\ $silent->port}"]
      timeouts: { response: 1s }
  - name: slow
    bind: "[::1]:$p{slow}"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $slow->port}"] }
  - name: ok
    bind: "[::1]:$p{ok}"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $ok->port}"] }
    timeouts: { client_header: 1s, client_idle: 1s }
EOF

# The log's lines once it holds at least $n.
sub lines {
	my ($n) = @_;
	my @l;
	wait_for(sub { @l = split(/\n/, slurp("$dir/all.log") // '');
	    @l >= $n }, 10);
	return @l;
}

my $c = connect_tcp('::1', $p{silent}) or die "connect: $!";
send_all($c, "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n");
my $pending = '';
my ($st) = read_response($c, \$pending, 10);
is($st, 504, 'silent backend: 504');
my @l = lines(1);
is($l[0], '504 20 - 0 srv_timeout "GET /wait HTTP/1.1"',
    '504 line: our status, our body, closed, srv_timeout');

$c = connect_tcp('::1', $p{slow}) or die "connect: $!";
send_all($c, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
wait_for(sub { sysread($c, my $b, 4096) }, 5);
close($c);
@l = lines(2);
# The proxy reads no more from a client whose request is complete, so the
# exchange ends when the backend cuts its response short.
is($l[1], '200 100 X 0 srv_error "GET /big HTTP/1.1"',
    'response cut short: the backend status, body so far, X');

# One answered request, then the connection idles until closed: one line.
$c = connect_tcp('::1', $p{ok}) or die "connect: $!";
send_all($c, "GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
($st) = read_response($c, \$pending, 10);
is($st, 200, 'keep-alive request answered');
wait_for(sub { !sysread($c, my $b, 10) }, 5);

# A head that stops halfway: 408 with what came of its first line.
$c = connect_tcp('::1', $p{ok}) or die "connect: $!";
send_all($c, "GET /half HTTP/1.1\r\nHost");
($st) = read_response($c, \$pending, 10);
is($st, 408, 'slow head: 408');
@l = lines(4);
is(scalar(@l), 4, 'no line for a connection closed while idle');
is($l[2], '200 3 + 0 ok "GET /one HTTP/1.1"', 'kept-alive request line');
is($l[3], '408 20 - 0 cli_timeout "GET /half HTTP/1.1"',
    '408 line: the raw first line of the partial head');

$d->stop_ok;
done_testing();
