#!/usr/bin/perl
# The receiving kernel's GRO merges 6in4 TCP like any other, as a NIC
# does by default: the raw socket then reads one large outer packet
# carrying a large inner segment whose checksum field holds only the
# pseudo-header's sum.  Both ends pass such packets on whole, and a
# transfer both ways through them arrives intact.  Here the veths do
# GRO: in NAPI mode (GRO on, plus rx-udp-gro-forwarding, without which a
# veth leaves a local socket's packets out of NAPI) and with threaded
# NAPI, so that packets queue up between polls and get merged.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology(nat => 0);
for my $x (['broker', 'b1'], ['host', 'h0']) {
	my ($role, $dev) = @$x;
	for my $cmd ("ethtool -K $dev gro off",
	    "ethtool -K $dev gro on rx-udp-gro-forwarding on",
	    "sh -c 'echo 1 > /sys/class/net/$dev/threaded'") {
		my ($out, $st) = $net->run($role, $cmd);
		die "$role: $cmd: $out" if $st;
	}
}

my $broker = $net->daemon('broker', name => 'broker',
    yaml => V6FNet::broker_tunnel(echo => '0s'))
    or die "the broker did not start\n";
my $echo = $net->echo_backend('host');
my $tun = V6FNet::host_tunnel(local => '203.0.113.12', echo => '0s');
my $host = $net->daemon('host', name => 'host', yaml => <<EOF)
$tun
listeners:
  - name: echo
    bind: "[2001:db8:1::2]:81"
    backend: { servers: ["127.0.0.1:9000"] }
EOF
    or die "the host did not start\n";

my $data = random_bytes(16 << 20);
my $s = in_netns($net->ns('client'), sub {
	connect_tcp('2001:db8:1::2', 81);
});
ok($s, 'client connects through the tunnel');
my $back = $s ? pump($s, $data, 120) : undef;
ok(defined $back && $back eq $data, '16 MiB echoed intact')
    or diag('got ' . length($back // '') . ' bytes');

for my $d ([$host, 'host: up'], [$broker, 'broker: down']) {
	my ($daemon, $name) = @$d;
	my $c = V6FNet::counters($daemon);
	cmp_ok($c->{rx_kgro} // 0, '>', 0,
	    "$name: super-packets from GRO passed on whole")
	    or diag(explain($c));
	is($c->{drops}, 0, "$name: nothing dropped");
	is($c->{rx_errors}, 0, "$name: no write to the TUN failed");
}

$echo->stop;
$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
