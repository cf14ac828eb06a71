#!/usr/bin/perl
# Per-source limits: conn_per_source counts a source's open connections
# across all workers and closes one over the limit; request_rate answers
# 429 with Retry-After in mode http and closes new connections in mode
# tcp, and lets the source in again once the period has passed.  IPv4
# sources count by address; IPv6 ones by /64 (as root, in a namespace with
# several /64s on lo).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FNet;
use IO::Socket::IP;
use Time::HiRes qw(time sleep);
use Test::More;

my $dir = tmpdir();

# Holds every connection open until the client closes; says hi first.
my $hold = start_backend(handler => sub {
	my ($c) = @_;
	syswrite($c, "hi\n");
	read_all($c, 60);
});
my $web = recording_backend(dir => $dir, reply => sub {
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});

sub from {
	my ($src, $dst, $port) = @_;
	return IO::Socket::IP->new(LocalHost => $src, PeerHost => $dst,
	    PeerPort => $port, Timeout => 5);
}
sub no_answer { my ($got) = @_; return !defined $got || $got eq '' }

# Reads one line (the backend's hello) or nothing; undef at EOF/timeout.
sub hello {
	my ($c) = @_;
	my $rin = '';
	vec($rin, fileno($c), 1) = 1;
	return undef if select(my $r = $rin, undef, undef, 10) <= 0;
	my $n = sysread($c, my $buf, 100);
	return $n ? $buf : undef;
}

my %port = map { $_ => free_port() } qw(conn rate trate);
my ($hp, $wp) = ($hold->port, $web->port);
my $yaml = <<"EOF";
workers: 2
listeners:
  - name: conn
    bind: "127.0.0.1:$port{conn}"
    backend: { servers: ["127.0.0.1:$hp"] }
    limits: { conn_per_source: 3 }
  - name: rate
    bind: ["[::1]:$port{rate}", "127.0.0.1:$port{rate}"]
    mode: http
    backend: { servers: ["127.0.0.1:$wp"] }
    limits: { request_rate: 3/2s }
  - name: trate
    bind: "127.0.0.1:$port{trate}"
    backend: { servers: ["127.0.0.1:$hp"] }
    limits: { request_rate: 2/2s }
EOF
my $d = start_daemon(yaml => $yaml) or BAIL_OUT('no daemon');

# conn_per_source, across both workers: the kernel spreads connections
# over the workers' sockets by their ports, and the count is shared.
{
	my @open;
	for my $i (1 .. 3) {
		my $c = from('127.0.0.1', '127.0.0.1', $port{conn}) or die;
		is(hello($c), "hi\n", "connection $i of 127.0.0.1 let in");
		push @open, $c;
	}
	my $from = length($d->log);
	my $c = from('127.0.0.1', '127.0.0.1', $port{conn}) or die;
	my $cp = $c->sockport;
	ok(no_answer(hello($c)), '4th connection of 127.0.0.1: closed');
	ok($d->wait_log(qr/conn: 127\.0\.0\.1:$cp: over conn_per_source; closed/,
	    10, $from), '4th connection: logged with the peer');
	# Eight more tries, so both workers meet the full count.
	my $refused = 0;
	for (1 .. 8) {
		my $x = from('127.0.0.1', '127.0.0.1', $port{conn}) or die;
		$refused++ if no_answer(hello($x));
	}
	is($refused, 8, 'every further connection closed, whichever worker');
	my $o = from('127.0.0.2', '127.0.0.1', $port{conn}) or die;
	is(hello($o), "hi\n", 'another IPv4 address has its own count');
	# A reload keeps counting the connections already open.
	my $from2 = length($d->log);
	$d->rewrite($yaml =~ s/conn_per_source: 3 }/conn_per_source: 3 }\n    timeouts: { client_idle: 5m }/r);
	$d->signal('HUP');
	ok($d->wait_log(qr/notice: reloaded .*generation 2/, 10, $from2),
	    'reloaded');
	$refused = 0;
	for (1 .. 4) {
		my $x = from('127.0.0.1', '127.0.0.1', $port{conn}) or die;
		$refused++ if no_answer(hello($x));
	}
	is($refused, 4, 'after a reload the 3 open connections still count');
	close(shift @open);
	my $back;
	wait_for(sub {
		my $x = from('127.0.0.1', '127.0.0.1', $port{conn}) or die;
		$back = hello($x);
		push @open, $x if defined $back;
		return defined $back;
	}, 10);
	is($back, "hi\n", 'one closed, one more let in');
	close($_) for @open;
}

# request_rate in mode http: 3 per 2 s, then 429 with Retry-After.
sub get {
	my ($host) = @_;
	my $c = connect_tcp($host, $port{rate}) or die;
	send_all($c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	my $pending = '';
	my ($st, $head) = read_response($c, \$pending, 10);
	return ($st // 0, $head // '');
}
{
	my @st = map { (get('::1'))[0] } 1 .. 3;
	is("@st", '200 200 200', 'three requests within the rate');
	my ($st, $head) = get('::1');
	is($st, 429, '4th request: 429');
	like($head, qr/\r\nRetry-After: [12]\r\n/, '429 says Retry-After');
	ok($d->wait_log(qr/rate: \[::1\]:\d+: over request_rate; 429/),
	    '429 logged with the peer');
	is((get('127.0.0.1'))[0], 200, 'another source is not limited');
	sleep(2.1);
	is((get('::1'))[0], 200, 'after the period: 200 again');
	my @r = records($dir, 5);
	is(scalar(@r), 5, 'the limited request never reached the backend');
}

# request_rate in mode tcp counts connections.
{
	my @ok = map { my $c = from('127.0.0.1', '127.0.0.1', $port{trate});
	    hello($c) } 1 .. 2;
	is("@ok", "hi\n hi\n", 'two connections within the rate');
	my $from = length($d->log);
	my $c = from('127.0.0.1', '127.0.0.1', $port{trate}) or die;
	ok(no_answer(hello($c)), '3rd connection within 2 s: closed');
	ok($d->wait_log(qr/trate: 127\.0\.0\.1:\d+: over request_rate; closed/,
	    10, $from), 'logged');
	sleep(2.1);
	$c = from('127.0.0.1', '127.0.0.1', $port{trate}) or die;
	is(hello($c), "hi\n", 'after the period: let in again');
}

$d->stop_ok;

SKIP: {
	skip 'needs root for a network namespace with several IPv6 /64s', 1
	    if $> != 0;
	my $net = V6FNet->new;
	my ($ns, $nbe) = $net->sources('lim', sub {
		my ($c) = @_;
		syswrite($c, "hi\n");
		read_all($c, 60);
	}, '2001:db8:1::1', '2001:db8:1::2', '2001:db8:1::3',
	    '2001:db8:2::1', '2001:db8:3::1');
	my $p = free_port();
	my $nbp = $nbe->port;
	my $nd = $net->daemon('lim', name => 'ns', yaml => <<"EOF");
workers: 2
listeners:
  - name: ssh
    bind: "[2001:db8:1::1]:$p"
    backend: { servers: ["[::1]:$nbp"] }
    limits: { conn_per_source: 2 }
  - name: wide
    bind: "[2001:db8:1::1]:@{[$p + 1]}"
    backend: { servers: ["[::1]:$nbp"] }
    limits: { conn_per_source: 2, source_prefix: 46 }
EOF
	ok($nd, 'daemon in the namespace') or last;
	my $try = sub {
		my ($src, $port) = @_;
		return V6F::in_netns($ns, sub {
			my $c = from($src, '2001:db8:1::1', $port) or die "$!";
			return ($c, hello($c));
		});
	};
	my (@keep, $c, $h);
	for my $src ('2001:db8:1::2', '2001:db8:1::3') {
		($c, $h) = $try->($src, $p);
		is($h, "hi\n", "$src: let in");
		push @keep, $c;
	}
	($c, $h) = $try->('2001:db8:1::1', $p);
	ok(!defined $h, 'a third address of the same /64: closed');
	for my $src ('2001:db8:2::1', '2001:db8:3::1') {
		($c, $h) = $try->($src, $p);
		is($h, "hi\n", "$src: another /64, its own count");
		push @keep, $c;
	}
	# With source_prefix 46, 2001:db8:1:: and 2001:db8:2:: are one source.
	for my $src ('2001:db8:1::2', '2001:db8:2::1') {
		($c, $h) = $try->($src, $p + 1);
		is($h, "hi\n", "/46: $src let in");
		push @keep, $c;
	}
	($c, $h) = $try->('2001:db8:3::1', $p + 1);
	ok(!defined $h, '/46: a third /64 inside the same /46 is closed');
	close($_) for @keep;
	$nd->stop_ok('ns');
	$nbe->stop;
	$net->cleanup;
}

done_testing();
