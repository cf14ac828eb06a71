#!/usr/bin/perl
# End to end through a real 6in4 tunnel, in network namespaces: an IPv6-only
# client reaches IPv4-only services behind a host behind 1:1 NAT, through a
# broker, both ends being v6front (see t/lib/V6FNet.pm for the picture):
# an HTTP server in its own IPv4-only namespace through a mode http
# listener with an access log, and a TCP echo service through mode tcp.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FNet;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $dir = tmpdir();
my $net = V6FNet->new->topology(backend => 1);
my $broker = $net->daemon('broker', name => 'broker',
    yaml => "log_level: debug\n" . V6FNet::broker_tunnel())
    or die "the broker did not start\n";
my $line = 'notice: tunnel he-ipv6: 2001:db8:1::1/64 (broker) to peer '
    . '2001:db8:1::2, 6in4 198.51.100.1 -> 203.0.113.12, mtu 1480, echo '
    . 'every 1000 ms';
like($broker->log, qr/\Q$line\E/, 'broker: tunnel up, logged');
like($broker->log, qr/ready: 0 listener addresses/,
    'a broker-only config (no listeners) runs');

# An IPv4-only echo service inside the host namespace.
my $echo = $net->echo_backend('host');

# The real web server, alone in its IPv4-only namespace; it records every
# request it gets.
my $page = "the backend's page\n";
my $web = in_netns($net->ns('backend'), sub {
	start_backend(host => '203.0.113.130', port => 8080, handler => sub {
		my ($c) = @_;
		my ($pending, $n) = ('', 0);
		while (defined(my $req = read_message($c, \$pending, 30))) {
			$n++;
			write_file("$dir/req.$$.$n.tmp", $req);
			rename("$dir/req.$$.$n.tmp", "$dir/req.$$.$n");
			send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: "
			    . length($page) . "\r\nContent-Type: text/plain"
			    . "\r\n\r\n$page") or last;
		}
	});
});

my $host = $net->daemon('host', name => 'host', yaml => <<EOF)
workers: 2
user: nobody
@{[V6FNet::host_tunnel()]}
listeners:
  - name: web
    bind: "[2001:db8:1::2]:80"
    mode: http
    backend: { servers: ["203.0.113.130:8080"] }
    access_log: { path: $dir/web.log }
  - name: stat
    bind: "[2001:db8:1::2]:82"
    backend: to-status
  - name: echo
    bind: "[2001:db8:1::2]:81"
    backend: { servers: ["127.0.0.1:9000"] }
  - name: status
    bind: "127.0.0.1:8081"
    backend: { builtin: status }
backends:
  to-status:
    servers: ["127.0.0.1:8081"]
EOF
    or die "the host did not start\n";
ok($host->wait_log(qr/notice: tunnel he-ipv6: up \(echo reply in [\d.]+ ms\)/,
    10), 'host: the tunnel comes up (echo answered through it)');
ok($broker->wait_log(qr/notice: tunnel he-ipv6: up/, 10),
    'broker: sees the host answer too');

# What the host's device looks like.
my $dev = $net->run('host', 'ip -6 addr show dev he-ipv6');
like($dev, qr/\bmtu 1480\b/, 'host: MTU 1480');
like($dev, qr/\bqlen 4096\b/, 'host: a long transmit queue');
like($dev, qr{inet6 2001:db8:1::2/64 scope global nodad}, 'host: address, '
    . 'no DAD');
like($dev, qr{inet6 fe80::c000:20c/64 scope link nodad},
    'host: the RFC 4213 link-local from 192.0.2.12');
is(() = $dev =~ /inet6 fe80:/g, 1, 'host: no kernel-made link-local');
like($net->run('host', 'ip -6 route show default'),
    qr/default via 2001:db8:1::1 dev he-ipv6 proto static .*onlink/,
    'host: default route via the peer');
like($net->run('broker', 'ip -6 route show dev he-ipv6'),
    qr{2001:db8:3::/64 via 2001:db8:1::2 proto static .*onlink},
    'broker: routes the client prefix into the tunnel');
unlike($net->run('host', 'ip -6 route show dev he-ipv6'), qr/2001:db8:3::/,
    'host: does not route its own prefix back into the tunnel');

my $ping = $net->run('client', 'ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::2');
like($ping, qr/2 packets transmitted, 2 received/,
    'client pings the host through the tunnel') or diag($ping);
$net->ip('-n', $net->ns('host'), '-6', 'addr', 'add', '2001:db8:3::1/128',
    'dev', 'lo');
$ping = $net->run('client', 'ping -6 -c 1 -W 2 2001:db8:3::1');
like($ping, qr/1 received/, 'and an address in the routed prefix')
    or diag($ping);

# HTTP: curl -6 from the client, the backend in its own IPv4 namespace.
my $got = $net->run('client', 'curl -sS -6 --max-time 5 -A e2e-agent '
    . 'http://[2001:db8:1::2]/index.html');
is($got, $page, 'curl -6 from the client gets the IPv4 backend\'s page');
my ($rec) = records($dir, 1);
my $req = $rec ? $rec->[2] : '';
like($req, qr{^GET /index\.html HTTP/1\.1\r\n}, 'the backend got the GET');
like($req, qr/^X-Forwarded-For: 2001:db8:2::100\r$/mi,
    'the backend saw the client\'s real IPv6 address in X-Forwarded-For')
    or diag($req);
my $alog;
ok(wait_for(sub { ($alog = slurp("$dir/web.log")) =~ /\n/ }, 10),
    'the access log has a line');
my $want = length($page);
my $re = '^2001:db8:2::100 - - \[[^]]+\] "GET /index\.html HTTP/1\.1" 200 '
    . $want . ' "-" "e2e-agent"$';
like($alog, qr/$re/m,
    'the access log shows the client\'s real IPv6 address') or diag($alog);

# TCP to the builtin status page: the proxy's own view of the client.
$got = $net->run('client',
    'curl -sS -6 --max-time 5 http://[2001:db8:1::2]:82/');
like($got, qr/^v6front [\d.]+ status$/m, 'mode tcp: the status page');
like($got, qr/^client: 127\.0\.0\.1:\d+ \(IPv4\)$/m,
    'the IPv4 service saw the proxy as its client');

# Megabytes both ways at once, compared byte for byte.
my $data = random_bytes(4 << 20);
my $s = in_netns($net->ns('client'), sub {
	connect_tcp('2001:db8:1::2', 81);
});
ok($s, 'client connects to the echo listener');
my $back = $s ? pump($s, $data, 40) : undef;
ok(defined $back && $back eq $data, '4 MiB echoed intact through the '
    . 'tunnel') or diag('got ' . length($back // '') . ' bytes');

my $c = V6FNet::counters($host);
is($c->{state}, 'up', 'host counters: state up');
cmp_ok($c->{rx_pkts}, '>', 2000, 'host: packets out of the tunnel');
cmp_ok($c->{tx_pkts}, '>', 2000, 'host: packets into the tunnel');
cmp_ok($c->{rx_bytes}, '>=', 4 << 20, 'host: bytes out of the tunnel');
cmp_ok($c->{tx_bytes}, '>=', 4 << 20, 'host: bytes into the tunnel');
cmp_ok($c->{echo_rx}, '>=', 1, 'host: echo replies');
is($c->{drops}, 0, 'host: nothing legitimate dropped') or diag(explain($c));
is($c->{tx_errors} + $c->{rx_errors}, 0, 'host: no errors');
$c = V6FNet::counters($broker);
cmp_ok($c->{rx_bytes}, '>=', 4 << 20, 'broker: bytes both ways');
cmp_ok($c->{tx_bytes}, '>=', 4 << 20, 'broker: bytes both ways (tx)');
is($c->{drops}, 0, 'broker: nothing dropped') or diag(explain($c));

$echo->stop;
$web->stop;
$host->stop_ok('host');
like($net->run('host', 'ip link show he-ipv6'), qr/does not exist/,
    'host: the device is gone after the stop');
$broker->stop_ok('broker');
like($net->run('broker', 'ip link show he-ipv6'), qr/does not exist/,
    'broker: the device is gone too');
done_testing();
