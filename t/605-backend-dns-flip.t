# DNS answers flipping every 1.3 s under continuous load: no request fails,
# and the replaced server sets are freed as soon as every worker has passed
# a quiescent point (the debug log says so), not kept until the generation
# ends.  Under ASan (make check-asan) this also checks that no worker reads
# a freed set.
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep);
use V6F;
use V6FDNS;
use V6FServers;

my ($bp, $lp) = (free_port(), free_port());
my $dns = V6FDNS->new(table => { 'be.test' => ['127.0.0.2'] }, ttl => 1);
my $b2 = id_backend(host => '127.0.0.2', port => $bp, name => 'two');
my $b3 = id_backend(host => '127.0.0.3', port => $bp, name => 'three');
my $d = start_daemon(yaml => <<"Y") or BAIL_OUT("daemon did not start");
workers: 2
log_level: debug
resolvers: ["${\ $dns->addr}"]
listeners:
  - name: web
    bind: ["[::1]:$lp"]
    mode: http
    backend: { servers: ["be.test:$bp"] }
Y
my $dir = tmpdir();
my $load = fork() // die "fork: $!";
if ($load == 0) {
	open(my $fh, '>>', "$dir/load") or POSIX::_exit(1);
	$fh->autoflush(1);
	while (1) {
		my ($s, $b) = get_id($lp);
		chomp $b;
		print $fh "$s $b\n";
		# Each request is a new client connection: leave ports free.
		sleep(0.005);
	}
}
$V6F::LIVE{$load} = ['pid', $$];
for my $i (1 .. 8) {
	$dns->set('be.test' => [$i % 2 ? '127.0.0.3' : '127.0.0.2']);
	sleep(1.3);
}
kill('KILL', $load);
waitpid($load, 0);
delete $V6F::LIVE{$load};

my @l = split /\n/, slurp("$dir/load");
my @bad = grep { !/^200 (two|three)$/ } @l;
cmp_ok(scalar @l, '>', 100, 'load ran (' . scalar(@l) . ' requests)');
is(scalar @bad, 0, 'no request failed while the answer flipped');
my @changes = $d->log =~ /be\.test now resolves to/g;
cmp_ok(scalar @changes, '>=', 6, 'the answer changed ' . scalar(@changes) .
    ' times');
my @freed = $d->log =~ /backend web: freed (\d+) replaced server set/g;
cmp_ok(scalar @freed, '>=', 4, 'replaced sets were freed while running');
$d->stop_ok('daemon');
done_testing();
