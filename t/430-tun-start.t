#!/usr/bin/perl
# Bringing the tunnel up: failures name the step and the kernel's reason,
# exit 1 and leave no device behind; a /128 address still gets its routes;
# a reload never touches a running tunnel, and says so when asked to.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Test::More;

plan skip_all => 'needs root for network namespaces' if $> != 0;

my $net = V6FNet->new;
$net->add_ns('host');
my $ns = $net->ns('host');
$net->ip('-n', $ns, 'addr', 'add', '192.0.2.12/32', 'dev', 'lo');

sub tunnel {
	my (%o) = @_;
	my $t = V6FNet::host_tunnel(echo => '0s', %o);
	$t =~ s/^  routes: .*\n//m;
	$t .= "  interface: $o{interface}\n" if $o{interface};
	$t =~ s{/64}{$o{plen}} if $o{plen};
	return $t;
}

# Each row: what, extra setup in the namespace, tunnel section, the crit
# line expected, what undoes the setup.
my @rows = (
	[ 'a default route exists',
	    "ip -6 route add default dev lo metric 1024", tunnel(),
	    'tunnel he-ipv6: add route ::/0 via 2001:db8:1::1: File exists',
	    "ip -6 route del default dev lo metric 1024" ],
	[ 'local is not an address of this host', undef,
	    tunnel(local => '192.0.2.99'),
	    'tunnel he-ipv6: bind raw socket to 192.0.2.99: Cannot assign '
	    . 'requested address', undef ],
	[ 'another kind of device has the name',
	    "ip link add he-ipv6 type veth peer name x0", tunnel(),
	    'tunnel he-ipv6: create TUN device: Invalid argument (a device '
	    . 'of that name exists)', "ip link del he-ipv6" ],
);
my $i = 0;
for my $r (@rows) {
	my ($what, $setup, $yaml, $want, $undo) = @$r;
	$net->run('host', $setup) if $setup;
	my $d = $net->daemon('host', name => 'fail' . $i++, yaml => $yaml,
	    no_wait => 1);
	is($d->wait_exit(20), 1 << 8, "$what: exit status 1");
	like($d->log, qr/ crit: \Q$want\E$/m, "$what: says so")
	    or diag($d->log);
	is(() = $d->log =~ / crit: /g, 1, "$what: one crit line");
	unlike($d->log, qr/AddressSanitizer|LeakSanitizer|runtime error:/,
	    "$what: no sanitizer reports");
	unlike($net->run('host', 'ip -o link show'), qr/he-ipv6: <POINTOPOINT/,
	    "$what: no TUN device left behind");
	$net->run('host', $undo) if $undo;
}

# A /128 from the broker: the peer is in no prefix of ours, but routes via
# it are on-link.
my $yaml = "workers: 1\n" . tunnel(plen => '/128', interface => 'v6f-tun')
    . <<'EOF';
listeners:
  - name: status
    bind: "[2001:db8:1::2]:80"
    backend: { builtin: status }
EOF
my $d = $net->daemon('host', name => 'host', yaml => $yaml)
    or die "the host did not start\n";
like($net->run('host', 'ip -6 addr show dev v6f-tun'),
    qr{inet6 2001:db8:1::2/128 scope global nodad}, '/128 on a named device');
like($net->run('host', 'ip -6 route show default'),
    qr/default via 2001:db8:1::1 dev v6f-tun proto static .*onlink/,
    'default route via the peer, on-link');
like($net->run('host', 'curl -sS -6 --max-time 5 http://[2001:db8:1::2]:80/'),
    qr/^v6front [\d.]+ status$/m,
    'the listener on the tunnel address serves at once (no DAD wait)');
my $c = V6FNet::counters($d);
ok($c->{state} eq 'unknown' && $c->{echo_tx} == 0,
    'echo_interval 0s: no echoes, state unknown');

my $from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/notice: reloaded .*generation 2/, 10, $from),
    'reload with the same tunnel');
unlike(substr($d->log, $from), qr/tunnel changes/, 'no warning');

(my $changed = $yaml) =~ s/mtu: 1480/mtu: 1400/;
$d->rewrite($changed);
$from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/warning: reload: tunnel changes need a restart; keeping /
    . qr/the running tunnel/, 10, $from), 'changed tunnel: warned');
ok($d->wait_log(qr/notice: reloaded .*generation 3/, 10, $from),
    'the rest of the file is reloaded');
like($net->run('host', 'ip link show v6f-tun'), qr/\bmtu 1480\b/,
    'the running tunnel keeps its MTU');

($changed = $yaml) =~ s/^tunnel:.*?(?=^listeners:)//ms;
$d->rewrite($changed);
$from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/warning: reload: tunnel changes need a restart/, 10,
    $from), 'tunnel section removed: warned, kept');
like($net->run('host', 'curl -sS -6 --max-time 5 http://[2001:db8:1::2]:80/'),
    qr/^v6front [\d.]+ status$/m, 'still serving on the tunnel address');
$d->stop_ok('host');
like($net->run('host', 'ip link show v6f-tun'), qr/does not exist/,
    'the device is gone');

# Without a tunnel, SIGUSR2 says there is none.
$d = $net->daemon('host', name => 'plain', yaml => <<'EOF')
listeners:
  - name: status
    bind: "127.0.0.1:8081"
    backend: { builtin: status }
EOF
    or die "the plain daemon did not start\n";
$from = length($d->log);
$d->signal('USR2');
ok($d->wait_log(qr/notice: SIGUSR2: no tunnel configured/, 10, $from),
    'SIGUSR2 without a tunnel');
$d->stop_ok('plain');
done_testing();
