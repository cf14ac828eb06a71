#!/usr/bin/perl
# The outer packets go through the host's own IPv4 output: its netfilter
# sees and counts them, a drop rule there stops them (and the daemon
# counts the failed sends), and a link too small for a whole outer packet
# gets it fragmented by the kernel rather than lost.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new->topology;
my ($broker, $host) = $net->tunnel_ends({ echo => '0s' }, { echo => '0s' });

sub ping {
	my ($n, $size) = @_;
	my $out = $net->run('client',
	    "ping -6 -c $n -i 0.1 -W 2 -s $size 2001:db8:1::2");
	my ($got) = $out =~ /(\d+) received/;
	return $got // 0;
}

sub nft {
	my ($cmd) = @_;
	my ($out, $st) = $net->run('host', "nft $cmd");
	die "nft $cmd: $out" if $st;
	return $out;
}

# Protocol 41 leaving the host for the broker (the NAT rewrites it only
# after): counted, and dropped once the set says so.
my $rules = V6F::write_file("out-$$.nft", <<'EOF');
table ip v6ftest {
	set stop { type ipv4_addr; }
	chain out {
		type filter hook output priority filter;
		ip protocol 41 ip daddr 198.51.100.1 counter
		ip protocol 41 ip daddr @stop drop
	}
}
EOF
nft("-f $rules");

sub counted {
	my ($n) = nft('list chain ip v6ftest out') =~ /counter packets (\d+)/;
	return $n // 0;
}

is(ping(5, 56), 5, 'the tunnel carries traffic');
cmp_ok(counted(), '>=', 5, "the host's output hook saw the replies");

my $errs = V6FNet::counters($host)->{tx_errors} // 0;
nft('add element ip v6ftest stop { 198.51.100.1 }');
is(ping(3, 56), 0, 'a drop rule in the output hook stops them');
cmp_ok(V6FNet::counters($host)->{tx_errors} // 0, '>', $errs,
    'and the daemon counts the refused sends');
nft('delete element ip v6ftest stop { 198.51.100.1 }');
is(ping(3, 56), 3, 'without the rule the tunnel works again');

# 1452 + 48 bytes inside, 1500 outside: more than the NAT-host link now
# carries (the NAT fragments the broker's).
$net->ip('-n', $net->ns('nat'), 'link', 'set', 'n1', 'mtu', '1400');
$net->ip('-n', $net->ns('host'), 'link', 'set', 'h0', 'mtu', '1400');
is(ping(3, 1400), 3, 'outer packets larger than the link are fragmented');
is(ping(3, 56), 3, 'small ones still pass');

is(V6FNet::counters($broker)->{drops}, 0, 'broker: nothing dropped');
$host->stop_ok('host');
$broker->stop_ok('broker');
done_testing();
