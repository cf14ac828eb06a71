#!/usr/bin/perl
# The broker goes away in the middle of a transfer and comes back: the host
# notices (down), notices again (up), and the tunnel carries traffic again
# without restarting the host daemon; the TCP transfer across the outage
# completes intact.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep);

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
my $broker = $net->daemon('broker', name => 'broker',
    yaml => V6FNet::broker_tunnel()) or die "the broker did not start\n";

# A slow echo service, so that the transfer is still going when the broker
# stops.
my $echo = $net->echo_backend('host', read => 16384, pause => 0.01);
my $host = $net->daemon('host', name => 'host', yaml => <<EOF)
workers: 1
@{[V6FNet::host_tunnel(echo => '500ms')]}
listeners:
  - name: echo
    bind: "[2001:db8:1::2]:81"
    backend: { servers: ["127.0.0.1:9000"] }
    timeouts: { client_idle: 1m }
EOF
    or die "the host did not start\n";
ok($host->wait_log(qr/tunnel he-ipv6: up/, 10), 'the tunnel is up');

my $data = random_bytes(3 << 20);
my $result = tmpdir() . '/transfer';
my $xfer = $net->spawn('client', sub {
	my $s = connect_tcp('2001:db8:1::2', 81);
	my $back = $s ? pump($s, $data, 45) : undef;
	write_file($result, !defined $back ? 'error' :
	    $back eq $data ? 'intact' : 'differs ' . length($back));
});

sleep(0.8);
is(waitpid($xfer, WNOHANG), 0, 'the transfer is under way');
my $from = length($host->log);
$broker->stop_ok('broker');
ok($host->wait_log(qr/warning: tunnel he-ipv6: down \(3 echoes to the /
    . qr/peer unanswered\)/, 10, $from), 'host: the tunnel is down');
like($net->run('client', 'ping -6 -c 1 -W 1 2001:db8:1::2'), qr/0 received/,
    'nothing gets through meanwhile');

$from = length($host->log);
my $broker2 = $net->daemon('broker', name => 'broker2',
    yaml => V6FNet::broker_tunnel()) or die "the broker did not restart\n";
ok($host->wait_log(qr/notice: tunnel he-ipv6: up/, 10, $from),
    'host: up again once the broker is back');

my $st = V6F::wait_for(sub {
	return waitpid($xfer, WNOHANG) == $xfer ? [$?] : undef;
}, 50);
ok($st && $st->[0] == 0, 'the transfer finished');
is(slurp($result), 'intact', '3 MiB echoed intact across the outage');

my $ping = $net->run('client', 'ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::2');
like($ping, qr/2 received/, 'the tunnel carries traffic again')
    or diag($ping);
ok(kill(0, $host->pid), 'with the same host daemon');
my $c = V6FNet::counters($host);
is($c->{state}, 'up', 'host counters: up');
cmp_ok($c->{echo_rx}, '<', $c->{echo_tx}, 'host: echoes were lost');

$echo->stop;
$host->stop_ok('host');
$broker2->stop_ok('broker2');
done_testing();
