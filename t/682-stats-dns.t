#!/usr/bin/perl
# builtin: stats and servers named by DNS: a server that leaves the answer
# shows as draining (and not among the backend's servers up) while its
# generation serves, keeps its counters, and is no longer listed once a
# reload resolves the name again; the server that stays keeps counting
# across the reload.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use V6F;
use V6FDNS;
use V6FServers;
use V6FStats;

my ($bp, $lp, $sp) = (free_port(), free_port(), free_port());
my $dns = V6FDNS->new(table => { 'be.test' => ['127.0.0.2'] }, ttl => 1);
my $b2 = id_backend(host => '127.0.0.2', port => $bp, name => 'two');
my $b3 = id_backend(host => '127.0.0.3', port => $bp, name => 'three');
my $yaml = <<"Y";
workers: 2
resolvers: ["${\ $dns->addr}"]
listeners:
  - name: web
    bind: ["[::1]:$lp"]
    mode: http
    backend: { servers: ["be.test:$bp"], resolve_every: 1s }
  - name: stats
    bind: ["[::1]:$sp"]
    mode: http
    backend: { builtin: stats }
Y
my $d = start_daemon(yaml => $yaml) or BAIL_OUT("daemon did not start");

sub metrics {
	my (undef, undef, $b) = scrape('::1', $sp, '/metrics');
	my ($v, $err) = prom_parse($b);
	return @$err ? {} : $v;
}
my ($two, $three) = ("127.0.0.2:$bp", "127.0.0.3:$bp");
sub sv { stat_of($_[0], "v6front_server_$_[1]", backend => 'web',
    server => $_[2]) }

is((get_id($lp))[1], "two\n", 'served by two') for 1 .. 3;
my $v = metrics();
is(sv($v, 'requests_total', $two), 3, 'two: 3 requests');
ok(!defined sv($v, 'up', $three), 'three: not listed yet');

$dns->set('be.test' => ['127.0.0.3']);
ok($d->wait_log(qr/be\.test now resolves to 127\.0\.0\.3/, 10),
    'the answer changed');
is((get_id($lp))[1], "three\n", 'served by three') for 1 .. 2;
$v = metrics();
is(sv($v, 'draining', $two), 1, 'two: draining');
is(sv($v, 'draining', $three), 0, 'three: not draining');
is(sv($v, 'requests_total', $two), 3, 'two: its counters kept');
is(sv($v, 'requests_total', $three), 2, 'three: 2 requests');
is(stat_of($v, 'v6front_backend_servers', backend => 'web'), 2,
    'the backend lists both');
is(stat_of($v, 'v6front_backend_servers_up', backend => 'web'), 1,
    'one of them serves');
is(stat_of($v, 'v6front_backend_requests_total', backend => 'web'), 5,
    'the backend counted every request');

# A reload resolves be.test again: the new generation has three only.
my $from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded .*generation 2/, 10, $from), 'reloaded');
ok(wait_for(sub { !defined sv(metrics(), 'up', $two) }),
    'two: no longer listed');
is((get_id($lp))[1], "three\n", 'served by three after the reload');
$v = metrics();
is(sv($v, 'requests_total', $three), 3, 'three: counts on across the reload');
is(stat_of($v, 'v6front_backend_requests_total', backend => 'web'), 6,
    'the backend: counts on across the reload');
is(stat_of($v, 'v6front_backend_servers', backend => 'web'), 1,
    'the backend lists one server');
$d->stop_ok('daemon');
done_testing();
