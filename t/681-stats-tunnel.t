#!/usr/bin/perl
# builtin: stats with a tunnel: the tunnel's own counters (the ones SIGUSR2
# logs, not counted twice) appear in /metrics and /stats once a tunnel
# exists.  The broker + host pair of t/4NN; a few pings from the client
# through the tunnel, then scrapes around a SIGUSR2.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use V6FStats;
use JSON::PP;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
my $broker = $net->daemon('broker', name => 'broker',
    yaml => V6FNet::broker_tunnel()) or die "the broker did not start\n";
my $host = $net->daemon('host', name => 'host', yaml => <<EOF)
workers: 2
@{[V6FNet::host_tunnel()]}
listeners:
  - name: stats
    bind: "[::1]:9100"
    mode: http
    backend: { builtin: stats }
EOF
    or die "the host did not start\n";
ok($host->wait_log(qr/tunnel he-ipv6: up/, 10), 'the tunnel is up');
like($net->run('client', 'ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::2'),
    qr/3 received/, 'three pings through the tunnel');

sub metrics {
	my ($st, $head, $body) = in_netns($net->ns('host'),
	    sub { scrape('::1', 9100, '/metrics') });
	is($st, 200, '/metrics: 200');
	my ($v, $err) = prom_parse($body);
	is_deeply($err, [], '/metrics: strict parse finds no problem');
	return ($v, $body);
}

my ($v1, $text) = metrics();
my ($rc, $pt) = promtool_check($text);
is($rc, 0, 'promtool: exit 0');
is($pt, '', 'promtool: no lint problem') or diag($pt);
my $c = V6FNet::counters($host);
my ($v2) = metrics();

my %pairs = (
    rx_pkts => 'v6front_tunnel_received_packets_total',
    rx_bytes => 'v6front_tunnel_received_bytes_total',
    tx_pkts => 'v6front_tunnel_sent_packets_total',
    tx_bytes => 'v6front_tunnel_sent_bytes_total',
    echo_tx => 'v6front_tunnel_echo_requests_total',
    echo_rx => 'v6front_tunnel_echo_replies_total',
    rx_errors => 'v6front_tunnel_receive_errors_total',
    tx_errors => 'v6front_tunnel_send_errors_total',
);
for my $k (sort keys %pairs) {
	my $a = stat_of($v1, $pairs{$k}, interface => 'he-ipv6');
	my $b = stat_of($v2, $pairs{$k}, interface => 'he-ipv6');
	ok(defined $a && defined $c->{$k} && $a <= $c->{$k} &&
	    $c->{$k} <= $b, "$pairs{$k}: $a, SIGUSR2 $k=$c->{$k}, then $b");
}
cmp_ok(stat_of($v1, 'v6front_tunnel_received_packets_total',
    interface => 'he-ipv6'), '>=', 3, 'the pings were received');
cmp_ok(stat_of($v1, 'v6front_tunnel_sent_packets_total',
    interface => 'he-ipv6'), '>=', 3, 'their replies were sent');
is(stat_of($v1, 'v6front_tunnel_up', interface => 'he-ipv6'), 1,
    'tunnel_up 1');
cmp_ok(stat_of($v1, 'v6front_tunnel_echo_rtt_seconds',
    interface => 'he-ipv6'), '>', 0, 'an echo round trip is known');
for my $r (qw(short not_remote bad_version)) {
	my $k = stat_of($v2, 'v6front_tunnel_dropped_packets_total',
	    interface => 'he-ipv6', reason => $r);
	is($k, $c->{"drop_$r"}, "drops by reason: $r as SIGUSR2 says");
}

my ($st, undef, $body) = in_netns($net->ns('host'),
    sub { scrape('::1', 9100, '/stats') });
my $j = eval { decode_json($body) } // {};
is($j->{tunnel}{interface}, 'he-ipv6', 'json: the tunnel');
is($j->{tunnel}{state}, 'up', 'json: up');
cmp_ok($j->{tunnel}{received_packets}, '>=',
    stat_of($v2, 'v6front_tunnel_received_packets_total',
    interface => 'he-ipv6'), 'json: received packets');

$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
