# Health checks: active (HTTP GET path, and TCP connect) and passive
# (health.max_fails connect failures from real traffic).  A server that
# dies is marked down within `fall` checks and gets no more requests; it
# comes back after `rise`; with every server down, HTTP answers 503 and
# TCP closes at once instead of waiting for a connect timeout.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use V6F;
use V6FServers;

my ($p1, $p2, $lp, $tp, $pp) = map { free_port() } 1 .. 5;
my $b1 = id_backend(port => $p1, name => 'one');
my $b2 = id_backend(port => $p2, name => 'two');

my $d = start_daemon(yaml => <<"Y") or BAIL_OUT("daemon did not start");
workers: 1
listeners:
  - name: web
    bind: ["[::1]:$lp"]
    mode: http
    backend: be
  - name: raw
    bind: ["[::1]:$tp"]
    mode: tcp
    backend: be
  - name: passive
    bind: ["[::1]:$pp"]
    mode: http
    backend: pas
backends:
  be:
    servers: ["127.0.0.1:$p1", "127.0.0.1:$p2"]
    timeouts: { connect: 3s }
    health: { every: 200ms, timeout: 500ms, rise: 2, fall: 2, path: /health }
  pas:
    servers: ["127.0.0.1:$p1", "127.0.0.1:$p2"]
    retries: 0
    health: { every: 1h, max_fails: 2 }
Y

my %seen;
for (1 .. 10) {
	my ($st, $b) = get_id($lp);
	$seen{"$st $b"}++;
}
is_deeply(\%seen, { "200 one\n" => 5, "200 two\n" => 5 }, 'both up');

# After a reload the new generation's servers are checked.
my $from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded .*: generation 2/, 10, $from), 'reloaded');

# Server two dies: down within fall (2) checks of 200 ms.
$from = length($d->log);
my $t0 = time();
$b2->stop;
ok($d->wait_log(qr/warning: backend be: server 127\.0\.0\.1:$p2 is down: 2 health checks failed, last: connect: Connection refused/, 3, $from),
    'a dead server is marked down');
cmp_ok(time() - $t0, '<', 2, 'within the fall count');
%seen = ();
for (1 .. 10) {
	my ($st, $b) = get_id($lp);
	$seen{"$st $b"}++;
}
is_deeply(\%seen, { "200 one\n" => 10 }, 'it gets no more requests');

# It comes back after rise (2) good checks.
$from = length($d->log);
$b2 = id_backend(port => $p2, name => 'two');
ok($d->wait_log(qr/notice: backend be: server 127\.0\.0\.1:$p2 is up: 2 health checks passed/, 3, $from),
    'back up after rise checks');
%seen = ();
for (1 .. 10) {
	my ($st, $b) = get_id($lp);
	$seen{"$st $b"}++;
}
is($seen{"200 two\n"}, 5, 'and gets requests again');

# A 5xx on the health path is a failed check too.
$from = length($d->log);
$b2->stop;
$b2 = id_backend(port => $p2, name => 'two', health => 503);
ok($d->wait_log(qr/server 127\.0\.0\.1:$p2 is down: 2 health checks failed, last: HTTP status 503/, 3, $from),
    'HTTP status 503 on the health path: down');

# Every server down: 503 at once (not after the 3 s connect timeout);
# TCP closes at once.
$b1->stop;
$b2->stop;
ok($d->wait_log(qr/server 127\.0\.0\.1:$p1 is down/, 3, $from), 'one down too');
$t0 = time();
my ($st) = get_id($lp);
my $el = time() - $t0;
is($st, 503, 'all down: 503');
cmp_ok($el, '<', 0.1, "answered in under 100 ms (${\ sprintf('%.1f', $el * 1000)} ms)");
$t0 = time();
my $s = connect_tcp('::1', $tp);
my $got = read_all($s, 5);
$el = time() - $t0;
is($got, '', 'tcp: closed without a byte');
cmp_ok($el, '<', 0.1, "tcp: closed in under 100 ms");
like($d->log, qr/raw: \[::1\]:\d+: backend be: no server is up; closing/,
    'tcp: the close is logged');

# Passive: two connect failures in a row from traffic mark a server down
# (its active checks run only hourly here).
$b1 = id_backend(port => $p1, name => 'one');
$from = length($d->log);
my @st;
for (1 .. 6) {
	my ($x) = get_id($pp);
	push @st, $x;
}
ok($d->wait_log(qr/backend pas: server 127\.0\.0\.1:$p2 is down: 2 connect failures in a row \(last: Connection refused\)/, 3, $from),
    'passive: down after max_fails connect failures');
my @after;
for (1 .. 6) {
	my ($x, $b) = get_id($pp);
	push @after, "$x $b";
}
is_deeply(\@after, [("200 one\n") x 6], 'passive: no more requests to it');
$d->stop_ok('daemon');
done_testing();
