#!/usr/bin/perl
# mode: tcp when things go wrong: refused and silent backends, idle clients,
# resets, and a client that stops reading.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use IO::Socket::IP;
use Socket qw(SOL_SOCKET SO_LINGER SHUT_WR);
use Test::More;
use Time::HiRes qw(time sleep);

my $dead = free_port();			# nothing listens here
# A backend that never accepts: with its queue full, SYNs are dropped.
my $deaf = free_port();
my $deaf_ls = IO::Socket::IP->new(LocalHost => '127.0.0.1',
    LocalPort => $deaf, Listen => 1, ReuseAddr => 1) or die "listen: $!";
my @fill = map { IO::Socket::IP->new(PeerHost => '127.0.0.1',
    PeerPort => $deaf, Blocking => 0) } 1 .. 8;

my $echo = start_backend(handler => sub {
	my ($c) = @_;
	while (sysread($c, my $buf, 65536)) {
		syswrite($c, $buf);
	}
});
my $flood = start_backend(handler => sub {
	my ($c) = @_;
	my $chunk = 'x' x 65536;
	for (1 .. 1024) {		# 64 MiB
		defined(syswrite($c, $chunk)) or last;
	}
});

my @ports = map { free_port() } 1 .. 4;
my $d = start_daemon(yaml => <<"EOF2") or BAIL_OUT('no daemon');
workers: 1
log_level: info
listeners:
  - name: refused
    bind: "[::1]:$ports[0]"
    backend: { servers: ["127.0.0.1:$dead"] }
  - name: silent
    bind: "[::1]:$ports[1]"
    backend: { servers: ["127.0.0.1:$deaf"], timeouts: { connect: 500ms } }
  - name: echo
    bind: "[::1]:$ports[2]"
    backend: { servers: ["127.0.0.1:${\ $echo->port}"] }
    timeouts: { client_idle: 1s }
  - name: flood
    bind: "[::1]:$ports[3]"
    backend: { servers: ["127.0.0.1:${\ $flood->port}"] }
EOF2

# Refused: the client is closed promptly and the log names both ends.
my $t0 = time();
my $c = connect_tcp('::1', $ports[0]);
syswrite($c, "hello");
my $got = read_all($c, 5);
my $dt = time() - $t0;
# "hello" may still sit unread in the proxy's socket when it closes, and
# then the kernel sends a reset instead of a FIN: both end the session.
ok((defined $got && $got eq '') || $!{ECONNRESET},
    'refused backend: client sees EOF or a reset');
cmp_ok($dt, '<', 1, sprintf('refused backend: closed in %.3f s', $dt));
ok($d->wait_log(qr/warning: refused: \[::1\]:\d+ -> 127\.0\.0\.1:$dead: connect failed: Connection refused/),
    'refused backend: logged with both addresses');

# Silent: the connect timeout closes the client.
$t0 = time();
$c = connect_tcp('::1', $ports[1]);
$got = read_all($c, 5);
$dt = time() - $t0;
ok(defined $got && $got eq '', 'silent backend: client closed');
cmp_ok($dt, '>=', 0.4, sprintf('silent backend: after %.3f s (timeout 0.5 s)', $dt));
cmp_ok($dt, '<', 3, 'silent backend: not much later');
ok($d->wait_log(qr/silent: \[::1\]:\d+ -> 127\.0\.0\.1:$deaf: connect failed: timed out/),
    'silent backend: logged');

# Idle: nothing moves for client_idle (1 s): closed.
$t0 = time();
$c = connect_tcp('::1', $ports[2]);
$got = read_all($c, 5);
$dt = time() - $t0;
ok(defined $got && $got eq '', 'idle client closed');
cmp_ok($dt, '>=', 0.9, sprintf('idle: after %.3f s (client_idle 1 s)', $dt));
cmp_ok($dt, '<', 3, 'idle: not much later');
ok($d->wait_log(qr/echo: \[::1\]:\d+ -> 127\.0\.0\.1:\d+: idle timeout/),
    'idle timeout logged');

# Traffic keeps a session alive past client_idle.
$c = connect_tcp('::1', $ports[2]);
my $alive = 1;
for (1 .. 6) {
	syswrite($c, "ping");
	my $r = sysread($c, my $buf, 16);
	$alive = 0 unless $r && $buf eq 'ping';
	sleep(0.4);
}
ok($alive, 'an active session outlives client_idle (2.4 s of pings)');

# Reset mid-session: the worker goes on serving.
$c = connect_tcp('::1', $ports[2]);
syswrite($c, 'x' x 10000);
setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
close($c);
$c = connect_tcp('::1', $ports[2]);
syswrite($c, "after reset");
sysread($c, my $buf, 64);
is($buf, 'after reset', 'a reset client does not disturb the next one');
close($c);

# A client that does not read: the proxy stops reading the backend at its
# buffer mark, so its memory stays flat, and the (single) worker still
# serves others meanwhile.
sub rss_kb {
	my ($pid) = @_;
	return (slurp("/proc/$pid/status") =~ /^VmRSS:\s+(\d+)/m)[0];
}
my $rss0 = rss_kb($d->pid);
my @stalled = map { connect_tcp('::1', $ports[3]) } 1 .. 8;
sleep(1.5);
my $rss1 = rss_kb($d->pid);
# Sanitizers keep freed blocks for a while (ASan's quarantine, valgrind's
# freelist of 20 MB): allow for them, not for our own buffering.
my $slack = ($ENV{V6F_ASAN_QUARANTINE_MB} // 0) * 1024 +
    ($ENV{V6F_VALGRIND} ? 32 * 1024 : 0);
cmp_ok($rss1 - $rss0, '<', 8 * 1024 + $slack,
    "8 stalled clients of a 64 MiB sender: RSS +" . ($rss1 - $rss0) . " KiB");
$c = connect_tcp('::1', $ports[2]);
syswrite($c, "still served");
sysread($c, $buf, 64);
is($buf, 'still served', 'worker not wedged by stalled clients');
close($c);
my $total = 0;
my $s = $stalled[0];
while (1) {
	my $r = sysread($s, $buf, 1 << 20);
	last unless $r;
	$total += $r;
}
is($total, 64 << 20, 'a stalled client that resumes gets all 64 MiB');
close($_) for @stalled;

$d->stop_ok();
done_testing();
