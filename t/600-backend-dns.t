# Backends named by DNS: the name is resolved through the test's own DNS
# server (t/lib/V6FDNS.pm, `resolvers:`), re-resolved while running, and a
# change moves traffic to the new addresses with no failed request while
# the old address drains; a failed lookup keeps the last answer.
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);
use V6F;
use V6FDNS;
use V6FServers;

my $bp = free_port();
my $lp = free_port();
my $dns = V6FDNS->new(table => { 'be.test' => ['127.0.0.2'] }, ttl => 1);
my $b2 = id_backend(host => '127.0.0.2', port => $bp, name => 'two');
my $b3 = id_backend(host => '127.0.0.3', port => $bp, name => 'three');
my $dir = tmpdir();

my $yaml = <<"Y";
workers: 2
resolvers: ["${\ $dns->addr}"]
listeners:
  - name: web
    bind: ["[::1]:$lp"]
    mode: http
    backend: be
backends:
  be:
    servers: ["be.test:$bp"]
    resolve_every: 30s
Y
my $d = start_daemon(yaml => $yaml) or BAIL_OUT("daemon did not start");
like($d->log, qr/backend be: 127\.0\.0\.2:$bp/, 'start: the name resolved');
my ($st, $body) = get_id($lp);
is("$st $body", "200 two\n", 'served by the first answer');

# The TTL (1 s), not resolve_every (30 s), decides when to ask again.
my $q0 = $dns->queries('be.test');
ok(wait_for(sub { $dns->queries('be.test') >= $q0 + 2 }, 6),
    're-resolved at the TTL');

# Continuous load from a child: one line per request, "status body".
my $loadlog = "$dir/load.txt";
my $load = fork() // die;
if ($load == 0) {
	open(my $fh, '>>', $loadlog) or POSIX::_exit(1);
	$fh->autoflush(1);
	while (1) {
		my ($s, $b) = get_id($lp);
		chomp $b;
		printf $fh "%.3f %s %s\n", time(), $s, $b;
		sleep(0.005);
	}
}
$V6F::LIVE{$load} = ['pid', $$];

# A long response in flight on the old address.
my $slow = connect_tcp('::1', $lp);
syswrite($slow, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
sleep(0.3);

my $from = length($d->log);
$dns->set('be.test' => ['127.0.0.3']);
ok($d->wait_log(qr/be\.test now resolves to 127\.0\.0\.3:$bp/, 5, $from),
    'the new answer is picked up');
like(substr($d->log, $from), qr/127\.0\.0\.2:$bp left the answer for be\.test; draining it \(\d+ in flight\)/,
    'the old address drains');
my $changed = time();
my $resp = read_all($slow, 5);
like($resp, qr/^HTTP\/1\.1 200 .*\r\n\r\nx{2000}$/s,
    'the in-flight response on the old address completes');
# The worker's idle connection to the old address is closed, well before
# the pool's 30 s idle timeout.
ok(wait_for(sub { slurp("$dir/closed.two") =~ /closed/ }, 3),
    'idle connections to the drained address are closed');
sleep(1);
kill('KILL', $load);
waitpid($load, 0);
delete $V6F::LIVE{$load};

my @lines = split /\n/, slurp($loadlog);
my @bad = grep { !/ 200 (two|three)$/ } @lines;
cmp_ok(scalar @lines, '>', 20, 'load ran (' . scalar(@lines) . ' requests)');
is(scalar @bad, 0, 'no failed request during the change')
    or diag(join("\n", @bad[0 .. ($#bad > 5 ? 5 : $#bad)]));
my @after = grep { (split ' ')[0] > $changed + 0.2 } @lines;
my @old = grep { / two$/ } @after;
cmp_ok(scalar @after, '>', 5, 'requests after the change');
is(scalar @old, 0, 'none reached the old address after the change');

# A failed lookup keeps the last answer; the failure is logged once per
# streak, and the recovery once.
$from = length($d->log);
$dns->set('be.test' => 'SERVFAIL');
ok($d->wait_log(qr/backend be: cannot resolve be\.test: .*keeping its last addresses/, 5, $from),
    'a failed lookup is logged');
my $qf = $dns->queries('be.test');
ok(wait_for(sub { $dns->queries('be.test') >= $qf + 2 }, 8),
    'lookups go on while failing');
my @fails = substr($d->log, $from) =~ /cannot resolve be\.test/g;
is(scalar @fails, 1, 'logged once for the streak');
($st, $body) = get_id($lp);
is("$st $body", "200 three\n", 'still served from the last answer');
$dns->set('be.test' => ['127.0.0.2', '127.0.0.3']);
ok($d->wait_log(qr/be\.test resolves again: 127\.0\.0\.[23]:$bp, 127\.0\.0\.[23]:$bp\n/, 8, $from),
    'recovery is logged with the new answer');
my %seen;
for (1 .. 10) {
	my ($s, $b) = get_id($lp);
	chomp $b;
	$seen{"$s $b"}++;
}
ok($seen{'200 two'} && $seen{'200 three'} &&
    $seen{'200 two'} + $seen{'200 three'} == 10,
    'every A record is a server') or diag(explain(\%seen));

# A reload resolves again for the new generation, which then re-resolves
# by itself; the old one stops.
$from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded .*: generation 2/, 10, $from), 'reloaded');
($st, $body) = get_id($lp);
like("$st $body", qr/^200 (two|three)\n$/, 'served after the reload');
$dns->set('be.test' => ['127.0.0.3']);
ok($d->wait_log(qr/be\.test now resolves to 127\.0\.0\.3:$bp \(/, 5, $from),
    'the new generation follows DNS changes');
# A reload that names other resolvers: the new generation looks names up
# through them, and the old server is asked no more.
my $dns2 = V6FDNS->new(table => { 'be.test' => ['127.0.0.2'] }, ttl => 1);
(my $y2 = $yaml) =~ s/\Q${\ $dns->addr}\E/${\ $dns2->addr}/;
$d->rewrite($y2);
$from = length($d->log);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded .*: generation 3/, 10, $from), 'reloaded again');
like(substr($d->log, $from),
    qr/notice: reload: names are now looked up through \Q${\ $dns2->addr}\E/,
    'the reload names the new resolvers');
($st, $body) = get_id($lp);
is("$st $body", "200 two\n",
    'the answer of the new resolver (127.0.0.2, the old said .3) is used');
my $q1 = $dns->queries('be.test');
my $q2 = $dns2->queries('be.test');
sleep(2.5);
is($dns->queries('be.test'), $q1, 'the old resolver is asked no more');
cmp_ok($dns2->queries('be.test'), '>', $q2,
    'the new one is asked at each TTL');
$dns = $dns2;

# A lookup still out when the daemon stops is cleaned up (stop_ok checks
# the sanitizers' reports).
$dns->set('be.test' => 'DROP');
my $qd = $dns->queries('be.test');
ok(wait_for(sub { $dns->queries('be.test') > $qd }, 5), 'a lookup is out');
$d->stop_ok('daemon');

# A name that does not resolve at start: start fails, naming the backend
# and the host.  `-t` does not need DNS.
$dns->set('nx.test' => 'NXDOMAIN');
(my $nx = $yaml) =~ s/be\.test/nx.test/;
my $conf = write_file('nx.yaml', $nx);
my $out = `${\ v6f_bin()} -t -c $conf 2>&1`;
is($?, 0, '-t does not resolve names') or diag($out);
my $bad = start_daemon(yaml => $nx, name => 'nx', no_wait => 1);
my $stx = $bad->wait_exit(20);
ok(defined $stx && $stx != 0, 'start fails when a name does not resolve');
like($bad->log, qr/crit: backend be: cannot resolve nx\.test: /,
    'the error names the backend and the host');
done_testing();
