#!/usr/bin/perl
# rx_overflow: what the kernel drops for want of room in the raw socket's
# receive buffer (the socket's drop count, read with SO_MEMINFO) shows in
# the counters.  The host's v6front is stopped (SIGSTOP) while the
# broker's namespace floods it with protocol-41 datagrams, far more than
# the buffer of several MiB holds; after SIGCONT it reads what fit, and
# the rest is counted.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Socket qw(AF_INET SOCK_RAW inet_aton pack_sockaddr_in);
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology(nat => 0);
my $host = $net->daemon('host', name => 'host',
    yaml => V6FNet::host_tunnel(local => '203.0.113.12', echo => '0s'))
    or die "the host did not start\n";
my $c = V6FNet::counters($host);
is($c->{rx_overflow}, 0, 'rx_overflow starts at 0');

# Datagrams that are not IPv6 inside: each read one is dropped as
# bad_version.
sub flood {
	my ($n) = @_;
	return in_netns($net->ns('broker'), sub {
		socket(my $s, AF_INET, SOCK_RAW, 41) or die "raw socket: $!";
		my $to = pack_sockaddr_in(0, inet_aton('203.0.113.12'));
		my $k = 0;
		for (1 .. $n) {
			$k++ if defined(send($s, "\0" x 1200, 0, $to));
		}
		close($s);
		return $k;
	});
}

# Waits until the host has read everything (the drops stop changing).
sub settle {
	my $seen;
	wait_for(sub {
		$c = V6FNet::counters($host);
		my $now = $c->{drops} // 0;
		my $done = defined $seen && $now == $seen;
		$seen = $now;
		return $done;
	}, 10);
}

my $n = 30000;
ok(kill('STOP', $host->pid), 'host stopped');
is(flood($n), $n, "$n datagrams sent to the stopped host");
ok(kill('CONT', $host->pid), 'host continued');
settle();
cmp_ok($c->{rx_overflow}, ">", 0, 'the kernel\'s drops are counted: '
    . "rx_overflow=$c->{rx_overflow}");
cmp_ok($c->{drop_bad_version}, '>', 0,
    'what fit in the buffer was read (and dropped: not IPv6 inside)');
cmp_ok($c->{rx_overflow} + $c->{drop_bad_version}, '<=', $n,
    'no datagram counted twice') or diag(explain($c));
$host->stop_ok('host');
done_testing();
