#!/usr/bin/perl
# What comes out of the tunnel is checked before the kernel sees it: protocol
# 41 from anyone but the remote, inner sources forged from our own prefix,
# truncated and garbage packets are dropped and counted by reason, and
# nothing stops working.  Packets are forged with raw sockets inside the
# broker's (and the host's) namespace.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Socket qw(AF_INET AF_INET6 SOCK_RAW inet_aton inet_pton
    pack_sockaddr_in);
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
$net->ip('-n', $net->ns('broker'), 'addr', 'add', '198.51.100.99/24', 'dev',
    'b1');
my ($broker, $host) = $net->tunnel_ends;
ok($host->wait_log(qr/tunnel he-ipv6: up/, 10), 'the tunnel is up');

sub cksum {
	my ($data) = @_;
	$data .= "\0" if length($data) % 2;
	my $sum = 0;
	$sum += $_ for unpack('n*', $data);
	$sum = ($sum & 0xffff) + ($sum >> 16) while $sum >> 16;
	return ~$sum & 0xffff;
}

# An IPv6 packet; the ICMPv6 checksum is right unless $o{plen} lies.
sub ip6 {
	my ($src, $dst, $msg, %o) = @_;
	my ($s, $d) = (inet_pton(AF_INET6, $src), inet_pton(AF_INET6, $dst));
	substr($msg, 2, 2) = pack('n', cksum($s . $d .
	    pack('Nx3C', length($msg), 58) . $msg));
	return pack('NnCC', 0x60000000, $o{plen} // length($msg), 58,
	    $o{hlim} // 64) . $s . $d . $msg;
}

sub echo_req { pack('CCnnn', 128, 0, 0, 0x77, 1) . 'v6f-test' }

# Sends one protocol-41 payload from $from (an IPv4 address of $role).
sub send41 {
	my ($role, $from, $to, $payload) = @_;
	in_netns($net->ns($role), sub {
		socket(my $s, AF_INET, SOCK_RAW, 41) or die "raw socket: $!";
		bind($s, pack_sockaddr_in(0, inet_aton($from)))
		    or die "bind $from: $!";
		defined(send($s, $payload, 0, pack_sockaddr_in(0,
		    inet_aton($to)))) or die "send to $to: $!";
		close($s);
	});
}

my $valid = ip6('2001:db8:2::100', '2001:db8:1::2', echo_req());
my @cases = (
	# [ what, from, payload, counter ]
	[ 'a valid packet from another IPv4 address', '198.51.100.99',
	    $valid, 'not_remote' ],
	[ 'inner source inside our own prefix', '198.51.100.1',
	    ip6('2001:db8:1::5', '2001:db8:1::2', echo_req()), 'src_spoof' ],
	[ 'inner source ::1', '198.51.100.1',
	    ip6('::1', '2001:db8:1::2', echo_req()), 'src_martian' ],
	[ 'inner destination not ours', '198.51.100.1',
	    ip6('2001:db8:2::100', '2001:db8:9::1', echo_req()),
	    'dst_not_ours' ],
	[ '10 bytes of garbage', '198.51.100.1', 'garbage!!!', 'short' ],
	[ 'an IPv4 packet inside', '198.51.100.1',
	    pack('C', 0x45) . ("\0" x 59), 'bad_version' ],
	[ 'payload length past the end', '198.51.100.1',
	    ip6('2001:db8:2::100', '2001:db8:1::2', echo_req(), plen => 900),
	    'bad_len' ],
	[ 'a Neighbour Solicitation from a global non-peer source',
	    '198.51.100.1', ip6('2001:db8:2::100', '2001:db8:1::2',
	    pack('CCnN', 135, 0, 0, 0) . inet_pton(AF_INET6, '2001:db8:1::2'),
	    hlim => 255), 'nd_not_peer' ],
);

my $before = V6FNet::counters($host);
for my $c (@cases) {
	send41('broker', $c->[1], '203.0.113.12', $c->[2]) for 1 .. 2;
}
my $after;
wait_for(sub {
	$after = V6FNet::counters($host);
	return $after->{drops} >= $before->{drops} + 2 * @cases;
}, 10);
for my $c (@cases) {
	my $k = "drop_$c->[3]";
	is($after->{$k} - $before->{$k}, 2, "$c->[0]: dropped as $c->[3]");
}
is($after->{drops} - $before->{drops}, 2 * @cases, 'and nothing else');
is($after->{rx_errors}, 0, 'no TUN write errors');

# Random garbage from the remote: every datagram is dropped and counted.
my $n = 100;
$before = V6FNet::counters($host);
for (1 .. $n) {
	send41('broker', '198.51.100.1', '203.0.113.12',
	    join('', map { chr(int(rand(256))) } 1 .. int(rand(1400))));
}
wait_for(sub {
	$after = V6FNet::counters($host);
	return $after->{drops} >= $before->{drops} + $n;
}, 10);
is($after->{drops} - $before->{drops}, $n,
    "$n datagrams of random bytes: each one dropped and counted");

# The peer's Neighbour Solicitation for our address, to its solicited-node
# group: the kernel would never see it (a TUN joins no such group), so the
# data plane answers it.
$before = V6FNet::counters($host);
send41('broker', '198.51.100.1', '203.0.113.12', ip6('fe80::c633:6401',
    'ff02::1:ff00:2', pack('CCnN', 135, 0, 0, 0)
    . inet_pton(AF_INET6, '2001:db8:1::2'), hlim => 255));
wait_for(sub {
	$after = V6FNet::counters($host);
	return $after->{nd_answered} > $before->{nd_answered};
}, 10);
is($after->{nd_answered} - $before->{nd_answered}, 1,
    'a multicast NS from the peer is answered in userspace');

# The broker's check, the other way: the host may only send from the
# tunnel prefix or the routed one.
$before = V6FNet::counters($broker);
send41('host', '192.0.2.12', '198.51.100.1',
    ip6('2001:db8:99::1', '2001:db8:2::100', echo_req()));
wait_for(sub {
	$after = V6FNet::counters($broker);
	return $after->{drop_src_spoof} > $before->{drop_src_spoof};
}, 10);
is($after->{drop_src_spoof} - $before->{drop_src_spoof}, 1,
    'broker: a source outside the client prefixes is dropped');

my $ping = $net->run('client', 'ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::2');
like($ping, qr/2 received/, 'the tunnel still carries traffic')
    or diag($ping);
is(V6FNet::counters($host)->{state}, 'up', 'and is still up');

$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
