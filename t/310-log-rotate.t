#!/usr/bin/perl
# Rotation under load, both logrotate styles: every connection leaves
# exactly one whole line across the rotated files.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use POSIX qw(_exit);
use Socket qw(SHUT_WR);
use Test::More;
use Time::HiRes qw(sleep);

my $dir = tmpdir();
my $LINE = qr/^::1 \d+ rot 127\.0\.0\.1:\d+ \[[^]]+\] 5 6 \d+ ok$/;

my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $in = read_all($c, 10);
	syswrite($c, "got " . length($in) . "\n");
});

sub daemon {
	my ($name, $log) = @_;
	my $p = free_port();
	my $d = start_daemon(name => $name, yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 4
listeners:
  - name: rot
    bind: "[::1]:$p"
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log: $log
EOF
	return ($d, $p);
}

# One whole connection; returns true when the answer came back.
sub conn {
	my ($p) = @_;
	my $c = connect_tcp('::1', $p) or return 0;
	syswrite($c, 'hello');
	shutdown($c, SHUT_WR);
	return (read_all($c, 10) // '') eq "got 5\n";
}

# Whole-line check of a set of files: (lines, bad lines, files holding NUL).
sub tally {
	my (@files) = @_;
	my ($n, $bad, $nul) = (0, 0, 0);
	for my $f (@files) {
		my $t = slurp($f);
		$nul++ if $t =~ /\0/;
		$bad++ if length($t) && substr($t, -1) ne "\n";
		for (split /\n/, $t) {
			$n++;
			$bad++ unless /$LINE/;
		}
	}
	return ($n, $bad, $nul);
}

# rename + create: clients keep connecting from 4 processes while the file
# is renamed and SIGUSR1 sent four times.
{
	my $log = "$dir/access-rc.log";
	my ($d, $p) = daemon('rc', $log);
	my ($procs, $each) = (4, 250);
	my @kids;
	for my $k (1 .. $procs) {
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			my $okn = 0;
			$okn += conn($p) for 1 .. $each;
			_exit($okn == $each ? 0 : 1);
		}
		push @kids, $pid;
	}
	for my $r (1 .. 4) {
		sleep(0.25);
		rename($log, "$log.$r") or die "rename: $!";
		$d->signal('USR1');
	}
	my $fails = 0;
	for (@kids) {
		waitpid($_, 0);
		$fails++ if $?;
	}
	is($fails, 0, 'every client got its answer during the rotations');
	$d->stop_ok;
	my @files = grep { -e } ($log, map { "$log.$_" } 1 .. 4);
	my ($n, $bad) = tally(@files);
	is($n, $procs * $each, "rename+create: exactly ${\ ($procs * $each)} "
	    . "lines across " . scalar(@files) . " files");
	is($bad, 0, 'rename+create: no partial or malformed line');
	ok(-e $log, 'the path was created anew after the last rename');
	is(scalar(() = $d->log =~ /SIGUSR1: reopening/g), 4,
	    'four reopens logged');
}

# copytruncate: copy, then truncate in place, no signal.  Lines written
# between logrotate's copy and its truncate are lost by the nature of
# copytruncate; the test waits for the lines so far before each copy, so
# it can count exactly what v6front lost (nothing).
{
	my $log = "$dir/access-ct.log";
	my ($d, $p) = daemon('ct', $log);
	my ($total, $round, $done) = (600, 150, 0);
	my @copies;
	while ($done < $total) {
		conn($p) and $done++ for 1 .. $round;
		my $have = wait_for(sub {
			my ($n) = tally($log);
			return $n == $done - 150 * @copies ? 1 : 0;
		}, 5);
		ok($have, "copytruncate round ${\ scalar(@copies)}: lines flushed "
		    . "within the second");
		my $c = "$log." . (@copies + 1);
		open(my $in, '+<', $log) or die "$log: $!";
		local $/;
		my $t = <$in>;
		write_file($c, $t);
		truncate($in, 0) or die "truncate: $!";
		close($in);
		push @copies, $c;
	}
	# And more after the last truncate, which must start at offset 0.
	conn($p) for 1 .. 50;
	$d->stop_ok;
	my ($n, $bad, $nul) = tally($log, @copies);
	is($n, $total + 50, "copytruncate: exactly ${\ ($total + 50)} lines");
	is($bad, 0, 'copytruncate: no partial or malformed line');
	is($nul, 0, 'no NUL-filled hole: O_APPEND writes at the new end');
	is(scalar(split /\n/, slurp($log)), 50,
	    'the live file holds just the lines after the truncate');
}

$be->stop;
done_testing();
