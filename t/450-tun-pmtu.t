#!/usr/bin/perl
# Dynamic path MTU (tunnel.pmtu: dynamic, RFC 4213 3.2): the IPv4 link
# between the NAT and the broker carries only 1400 bytes.  The host sets DF
# on its outer packets, the NAT router answers the large ones with ICMPv4
# Fragmentation Needed, the host lowers its inner MTU to 1380 and tells its
# own TCP with Packet Too Big; a transfer of megabytes both ways completes
# intact.  The broker stays in the default fixed mode (DF clear: the
# kernel fragments for it).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
$net->ip('-n', $net->ns('nat'), 'link', 'set', 'n0', 'mtu', '1400');
$net->ip('-n', $net->ns('broker'), 'link', 'set', 'b1', 'mtu', '1400');

my $broker = $net->daemon('broker', name => 'broker',
    yaml => V6FNet::broker_tunnel())
    or die "the broker did not start\n";

my $echo = $net->echo_backend('host');

my $tun = V6FNet::host_tunnel();
$tun =~ s/^(  mtu: .*\n)/$1  pmtu: dynamic\n/m or die "no mtu line";
my $host = $net->daemon('host', name => 'host', yaml => <<EOF)
user: nobody
$tun
listeners:
  - name: echo
    bind: "[2001:db8:1::2]:81"
    backend: { servers: ["127.0.0.1:9000"] }
EOF
    or die "the host did not start\n";
like($host->log, qr/mtu 1480 \(dynamic PMTU\), echo every/,
    'the start line names the mode');
ok($host->wait_log(qr/tunnel he-ipv6: up/, 10), 'the tunnel comes up');
my $c = V6FNet::counters($host);
is($c->{mtu}, 1480, 'inner MTU 1480 before anything large went out');

my $data = random_bytes(3 << 20);
my $s = in_netns($net->ns('client'), sub {
	connect_tcp('2001:db8:1::2', 81);
});
ok($s, 'client connects through the tunnel');
my $back = $s ? pump($s, $data, 60) : undef;
ok(defined $back && $back eq $data, '3 MiB echoed intact over the 1400-byte '
    . 'IPv4 link') or diag('got ' . length($back // '') . ' bytes');

like($host->log, qr/notice: tunnel he-ipv6: path MTU to 198\.51\.100\.1 is 1400: inner MTU 1380 \(was 1480\)/,
    'the host logs the lowered MTU') or diag($host->log);
$c = V6FNet::counters($host);
is($c->{mtu}, 1380, 'counters: mtu=1380');
cmp_ok($c->{frag_needed}, '>=', 1, 'counters: the NAT router\'s '
    . 'Fragmentation Needed arrived (so DF was set)');
cmp_ok($c->{ptb_sent}, '>=', 1, 'counters: Packet Too Big told the '
    . 'sender');
is($c->{drops}, 0, 'host: nothing dropped') or diag(explain($c));
my $route = $net->run('host', 'ip -6 route get 2001:db8:2::100');
like($route, qr/mtu 1380/, 'the host\'s kernel learnt 1380 for the client')
    or diag($route);

# A second transfer goes at the lowered size from the start.
$s = in_netns($net->ns('client'), sub {
	connect_tcp('2001:db8:1::2', 81);
});
$back = $s ? pump($s, $data, 60) : undef;
ok(defined $back && $back eq $data, 'a second transfer: intact too');
is(V6FNet::counters($host)->{mtu}, 1380, 'mtu still 1380');

# The fixed-mode broker never saw anything it had to drop.
is(V6FNet::counters($broker)->{drops}, 0, 'broker: nothing dropped');

$echo->stop;
$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
