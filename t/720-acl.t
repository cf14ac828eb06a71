#!/usr/bin/perl
# allow/deny: a denied source is closed at accept, before any byte is read,
# in both modes: the backend never sees a connection, the client reads
# nothing, and the daemon log names the peer, at most once a second per
# address.  deny wins over allow; with an allow list only its sources
# pass; IPv4-mapped clients of a dual-stack listener match IPv4 prefixes.
# As root, several IPv6 /64s on lo in a namespace of the test's own.
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

# Each connection the backend accepts leaves a file.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	write_file("$dir/conn.$$", 'x');
	my $pending = '';
	sysread($c, $pending, 1) or return;
	if ($pending eq 'G' &&
	    defined(my $m = read_message($c, \$pending, 5))) {
		send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" .
		    "Connection: close\r\n\r\nok\n");
		return;
	}
	syswrite($c, "hi\n");
});
sub conns { my @f = glob("$dir/conn.*"); unlink(@f); return scalar(@f) }

sub from {
	my ($src, $dst, $port) = @_;
	return IO::Socket::IP->new(LocalHost => $src, PeerHost => $dst,
	    PeerPort => $port, Timeout => 5);
}
sub no_answer { my ($got) = @_; return !defined $got || $got eq '' }

my %port = map { $_ => free_port() } qw(tcp http ds);
my $bp = $be->port;
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: tcp
    bind: "127.0.0.1:$port{tcp}"
    backend: be
    deny: [127.0.0.2/32, "2001:db8::/32"]
  - name: http
    bind: ["[::1]:$port{http}", "127.0.0.1:$port{http}"]
    mode: http
    backend: be
    allow: ["::1/128", 127.0.0.0/24]
    deny: [127.0.0.4/32]
  - name: ds
    bind: "[::]:$port{ds}"
    v6only: false
    backend: be
    allow: ["::1/128", 127.0.0.3/32]
backends:
  be:
    servers: ["127.0.0.1:$bp"]
EOF

# Rows: listener, source, destination, let in?
my @rows = (
	[ 'tcp', '127.0.0.1', '127.0.0.1', 1 ],
	[ 'tcp', '127.0.0.2', '127.0.0.1', 0 ],
	[ 'http', '::1', '::1', 1 ],
	[ 'http', '127.0.0.5', '127.0.0.1', 1 ],
	[ 'http', '127.0.0.4', '127.0.0.1', 0 ],
	[ 'http', '127.0.1.1', '127.0.0.1', 0 ],
	[ 'ds', '::1', '::1', 1 ],
	[ 'ds', '127.0.0.3', '127.0.0.1', 1 ],
	[ 'ds', '127.0.0.6', '127.0.0.1', 0 ],
);
for my $r (@rows) {
	my ($ln, $src, $dst, $in) = @$r;
	my $name = "$ln from $src";
	my $from = length($d->log);
	my $c = from($src, $dst, $port{$ln}) or die "connect $name: $!";
	my $peer = ($src =~ /:/ ? "[$src]" : $src) . ':' . $c->sockport;
	if ($ln eq 'http') {
		send_all($c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	} else {
		syswrite($c, "hello\n");
	}
	my $got = read_all($c, 10);
	if ($in) {
		like($got // '', $ln eq 'http' ? qr{^HTTP/1\.1 200 } :
		    qr/^hi\n/, "$name: let in");
		is(conns(), 1, "$name: the backend got the connection");
		next;
	}
	ok(no_answer($got), "$name: closed, nothing read");
	ok($d->wait_log(qr/$ln: \Q$peer\E: denied by the ACL; closed/, 10,
	    $from), "$name: the log names the peer");
	is(conns(), 0, "$name: the backend never saw a connection");
}

# Closed before any byte is read: a denied client that sends nothing is
# closed all the same, at once.
{
	my $c = from('127.0.0.2', '127.0.0.1', $port{tcp}) or die;
	my $t0 = time();
	ok(no_answer(read_all($c, 10)) && time() - $t0 < 5,
	    'a silent denied client is closed at once');
}

# A flood from one address: one line per second, the rest counted.
{
	my $from = length($d->log);
	sleep(1.1);
	for (1 .. 50) {
		my $c = from('127.0.0.2', '127.0.0.1', $port{tcp}) or die;
		read_all($c, 5);
	}
	my $lines = () = substr($d->log, $from) =~ /denied by the ACL/g;
	ok($lines >= 1 && $lines <= 10,
	    "50 denied connections: $lines log lines, not 50");
	sleep(1.1);
	my $c = from('127.0.0.2', '127.0.0.1', $port{tcp}) or die;
	read_all($c, 5);
	ok($d->wait_log(qr/denied by the ACL; closed \(\d+ more from this address held back\)/,
	    10, $from), 'the next line says how many were held back');
	is(conns(), 0, 'none reached the backend');
}

$d->stop_ok;

SKIP: {
	skip 'needs root for a network namespace with several IPv6 /64s', 1
	    if $> != 0;
	my $net = V6FNet->new;
	my ($ns, $nbe) = $net->sources('acl', sub {
		my ($c) = @_;
		write_file("$dir/conn.$$", 'x');
		syswrite($c, "hi\n");
	}, '2001:db8:1::1', '2001:db8:1::2', '2001:db8:bad::1',
	    '2001:db8:bad::2', '2001:db8:2::1');
	my $p = free_port();
	my $nbp = $nbe->port;
	my $nd = $net->daemon('acl', name => 'ns', yaml => <<"EOF");
workers: 2
listeners:
  - name: ssh
    bind: "[2001:db8:1::1]:$p"
    backend: { servers: ["[::1]:$nbp"] }
    deny: ["2001:db8:bad::/64"]
EOF
	ok($nd, 'daemon in the namespace') or last;
	for my $r ([ '2001:db8:1::2', 1 ], [ '2001:db8:2::1', 1 ],
	    [ '2001:db8:bad::1', 0 ], [ '2001:db8:bad::2', 0 ]) {
		my ($src, $in) = @$r;
		my ($got, $sp) = V6F::in_netns($ns, sub {
			my $c = from($src, '2001:db8:1::1', $p) or die "$!";
			return (read_all($c, 10), $c->sockport);
		});
		if ($in) {
			is($got, "hi\n", "$src: let in");
			is(conns(), 1, "$src: the backend got it");
		} else {
			ok(no_answer($got), "$src (denied /64): closed");
			ok($nd->wait_log(qr/ssh: \[\Q$src\E\]:$sp: denied by the ACL/),
			    "$src: logged");
			is(conns(), 0, "$src: the backend never saw it");
		}
	}
	$nd->stop_ok('ns');
	$nbe->stop;
	$net->cleanup;
}

done_testing();
