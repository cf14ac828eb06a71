#!/usr/bin/perl
# Listener options: v6only, freebind, address conflicts, IPv4 listeners.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use IO::Socket::IP;
use Test::More;

my ($p1, $p2, $p3, $p4, $p5) = map { free_port() } 1 .. 5;

sub status_listener {
	my ($name, $bind, $opts) = @_;
	return "  - name: $name\n    bind: \"$bind\"\n" .
	    "    backend: { builtin: status }\n" . ($opts // '');
}

# [::]:P with the default v6only: IPv6 only.  With v6only false: both.
my $d = start_daemon(yaml => "listeners:\n" .
    status_listener('v6only', "[::]:$p1") .
    status_listener('dual', "[::]:$p2", "    v6only: false\n") .
    status_listener('v4', "127.0.0.1:$p3")) or BAIL_OUT('no daemon');
like(http_get('::1', $p1) // '', qr/^client: \[::1\]:\d+ \(IPv6\)$/m,
    'v6only [::]: IPv6 client seen as IPv6');
ok(!connect_tcp('127.0.0.1', $p1, timeout => 2),
    'v6only [::]: IPv4 refused');
like(http_get('127.0.0.1', $p2) // '', qr/^client: 127\.0\.0\.1:\d+ \(IPv4\)$/m,
    'dual-stack [::]: IPv4 client written as plain IPv4');
like(http_get('::1', $p2) // '', qr/^client: \[::1\]:\d+/m,
    'dual-stack [::]: IPv6 too');
like(http_get('127.0.0.1', $p3) // '', qr/^client: 127\.0\.0\.1:/m,
    'an IPv4 listener');

# A port held by another process: a clear error, exit 1, no silent sharing.
my $d2 = start_daemon(name => 'conflict', no_wait => 1,
    yaml => "listeners:\n" . status_listener('again', "[::]:$p1"));
my $st = $d2->wait_exit(10);
is($st >> 8, 1, 'port in use: exit 1');
like($d2->log, qr/crit: listener again: bind \[::\]:$p1: Address already in use/,
    'port in use: says which and why');

# An address not on any interface: refused without freebind, bound with it.
my $d3 = start_daemon(name => 'nofree', no_wait => 1,
    yaml => "listeners:\n" . status_listener('tun', "[2001:db8::5]:$p4"));
is(($d3->wait_exit(10) // -1) >> 8, 1, 'unconfigured address: exit 1');
like($d3->log, qr/crit: listener tun: bind \[2001:db8::5\]:$p4: Cannot assign requested address/,
    'unconfigured address: the reason');
my $d4 = start_daemon(name => 'freebind', yaml => "listeners:\n" .
    status_listener('tun', "[2001:db8::5]:$p5", "    freebind: true\n"));
ok($d4, 'freebind: starts on an address that is not configured yet');
like(`ss -Hltn 'sport = :$p5'`, qr/\[2001:db8::5\]:$p5/,
    'freebind: the socket listens on it');

$d4->stop_ok('freebind') if $d4;

# Reloads that touch a kept address: a new backlog applies in place; a new
# v6only cannot apply to a bound socket, so that reload is refused.
my $p6 = free_port();
my $base = "listeners:\n" . status_listener('r', "[::]:$p6");
my $d5 = start_daemon(name => 'relisten', yaml => $base);
my $from = length($d5->log);
$d5->rewrite($base . "    backlog: 64\n");
$d5->signal('HUP');
ok($d5->wait_log(qr/reloaded .*generation 2/, 10, $from),
    'a new backlog reloads');
like(`ss -Hltn 'sport = :$p6'`, qr/^LISTEN\s+\d+\s+64\s/m,
    'the kept socket has the new backlog');
$from = length($d5->log);
$d5->rewrite($base . "    v6only: false\n");
$d5->signal('HUP');
ok($d5->wait_log(qr/err: listener r: \[::\]:$p6: a new v6only setting needs a restart; reload failed/,
    10, $from), 'a new v6only on a bound address: refused with the reason');
like(http_get('::1', $p6) // '', qr/^client: /m, 'and the old one still serves');
$d5->stop_ok('relisten');
$d->stop_ok();
done_testing();
