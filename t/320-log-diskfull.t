#!/usr/bin/perl
# Disk full: the access log lives on a 64 KiB tmpfs that is filled up.  The
# proxy keeps serving, the file never holds a partial line, the dropped
# lines are counted in the daemon log, and logging resumes once space is
# freed; every connection is either in the file or in the dropped count.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Socket qw(SHUT_WR);
use Test::More;

plan(skip_all => 'needs root to mount a tmpfs') if $> != 0;

my $dir = tmpdir();
my $mnt = "$dir/mnt";
mkdir($mnt) or die "mkdir: $!";
system('mount', '-t', 'tmpfs', '-o', 'size=64k', 'v6f-test', $mnt) == 0
    or plan(skip_all => 'cannot mount a tmpfs here');
END { system('umount', '-l', $mnt) if $mnt && -d $mnt; }

my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $in = read_all($c, 10);
	syswrite($c, "got " . length($in) . "\n");
});
my $p = free_port();
my $log = "$mnt/access.log";
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: full
    bind: "[::1]:$p"
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log: $log
EOF

my $LINE = qr/^::1 \d+ full 127\.0\.0\.1:\d+ \[[^]]+\] 5 6 \d+ ok$/;
my $conns = 0;

# n connections; returns how many got their answer.
sub load {
	my ($n) = @_;
	my $good = 0;
	for (1 .. $n) {
		my $c = connect_tcp('::1', $p) or next;
		syswrite($c, 'hello');
		shutdown($c, SHUT_WR);
		$good++ if (read_all($c, 10) // '') eq "got 5\n";
		$conns++;
	}
	return $good;
}

sub lines { scalar(() = slurp($log) =~ /\n/g) }

sub whole {
	my $t = slurp($log);
	return 0 if length($t) && substr($t, -1) ne "\n";
	return !grep { !/$LINE/ } split /\n/, $t;
}

is(load(20), 20, 'serving with the log on a small tmpfs');
ok(wait_for(sub { lines() == 20 }, 5), 'lines written');

# Fill the file system to the last byte.
open(my $fill, '>', "$mnt/filler") or die "filler: $!";
$fill->autoflush(1);
1 while syswrite($fill, 'f' x 4096);
1 while syswrite($fill, 'f');
close($fill);

is(load(300), 300, 'the proxy keeps serving with the disk full');
my $warn = $d->wait_log(qr/warning: access log \Q$log\E: \d+ lines dropped \(No space left on device\)/, 5);
ok($warn, 'dropped lines reported in the daemon log') or diag($d->log);
ok(whole(), 'no partial line in the file');

unlink("$mnt/filler");
sleep(1);
is(load(30), 30, 'still serving after space is freed');
ok($d->wait_log(qr/notice: access log \Q$log\E: writing again/, 5),
    'recovery reported');
ok(wait_for(sub {
	my @l = split /\n/, slurp($log);
	return @l && $l[-1] =~ /$LINE/ && $conns > 0;
}, 5), 'lines written again');

$d->stop_ok;
my ($dropped, $dlog) = (0, $d->log);
$dropped += $1 while $dlog =~ /: (\d+) lines dropped/g;
ok($dropped > 0, "$dropped lines counted as dropped");
is(lines() + $dropped, $conns, 'every connection is in the file or in the '
    . 'dropped count');
ok(whole(), 'still no partial line');
$be->stop;
done_testing();
