#!/usr/bin/perl
# UDP through the tunnel, both ways, with the datagrams of one flow that
# arrive in one batch handed to the kernel as one super-packet: every
# datagram arrives intact, in order, with its own length.  The receiving
# end is held with SIGSTOP while a burst is queued in its raw socket, so
# that it reads the burst as one batch.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use IO::Socket::IP;
use Test::More;
use Time::HiRes qw(sleep);

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
my ($broker, $host) = $net->tunnel_ends({ echo => '0s' }, { echo => '0s' });
my $ping = $net->run('client', 'ping -6 -c 1 -W 2 2001:db8:1::2');
like($ping, qr/1 received/, 'the tunnel carries traffic') or diag($ping);

sub udp {
	my ($role, %o) = @_;
	return in_netns($net->ns($role), sub {
		IO::Socket::IP->new(Proto => 'udp', %o) or die "udp: $@";
	});
}

# Datagram $i: its number, then bytes that depend on it; lengths vary at
# the end so that a short last one ends a run.
sub dgram {
	my ($i, $n) = @_;
	my $len = $i < $n - 3 ? 200 : 50 + $i % 7;
	return substr(pack('N', $i) . (chr($i % 251) x $len), 0, $len);
}

# Sends $n datagrams from $from to $to while the daemon $stop is stopped;
# returns what $to read, in order.
sub burst {
	my ($from, $to, $stop, $n) = @_;
	kill('STOP', $stop->pid);
	for my $i (0 .. $n - 1) {
		defined($from->send(dgram($i, $n))) or die "send: $!";
	}
	sleep(0.2);
	kill('CONT', $stop->pid);
	my @got;
	my $rin = '';
	vec($rin, fileno($to), 1) = 1;
	while (@got < $n && select(my $r = $rin, undef, undef, 5) > 0) {
		my $buf;
		defined($to->recv($buf, 65536)) or last;
		push @got, $buf;
	}
	return @got;
}

my $n = 30;
for my $dir (['client', '2001:db8:2::100', 'host', '2001:db8:1::2', $host,
    'up: client to host'], ['host', '2001:db8:1::2', 'client',
    '2001:db8:2::100', $broker, 'down: host to client']) {
	my ($fr, $fa, $tr, $ta, $stop, $name) = @$dir;
	my $rx = udp($tr, LocalHost => $ta, LocalPort => 9100);
	my $tx = udp($fr, LocalHost => $fa, PeerHost => $ta,
	    PeerPort => 9100);
	my $before = V6FNet::counters($stop)->{rx_gro};
	my @got = burst($tx, $rx, $stop, $n);
	is(scalar(@got), $n, "$name: $n datagrams arrive");
	my $bad = grep { $got[$_] ne dgram($_, $n) } 0 .. $#got;
	is($bad, 0, "$name: each intact, in order, its own length");
	cmp_ok(V6FNet::counters($stop)->{rx_gro}, '>', $before,
	    "$name: they went to the kernel as super-packets");
}
is(V6FNet::counters($host)->{drops}, 0, 'host: nothing dropped');
is(V6FNet::counters($broker)->{drops}, 0, 'broker: nothing dropped');
$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
