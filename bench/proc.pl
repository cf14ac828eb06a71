#!/usr/bin/perl
# proc.pl: what bench/tcp.sh reads from /proc about a proxy.
#
#   proc.pl cpu PID    CPU seconds of PID and all its descendants:
#                      utime+stime of the live processes plus cutime+cstime
#                      (children already reaped). One process per
#                      connection (6tunnel) is then counted like a threaded
#                      one; a child's time moves from "live" to "reaped"
#                      between two samples without being lost.
#   proc.pl mem PID    "rss_kib=.. hwm_kib=.. pss_kib=.. procs=.."
#                      VmRSS and VmHWM of PID itself, and the PSS summed over
#                      PID and its descendants. PSS splits shared pages, so a
#                      forking proxy is not charged its libc once per child.
#   proc.pl busy SECS CPU...
#                      how busy each CPU was over the next SECS, in percent.
#   proc.pl kids PID   "pid:starttime" of every descendant of PID.
#   proc.pl kill SIG PID:STARTTIME...
#                      signals each process that still has that start time,
#                      so a PID the kernel handed to someone else since the
#                      snapshot is left alone.
use v5.36;

my $TCK = 100;
if (open(my $fh, '-|', 'getconf', 'CLK_TCK')) {
	my $v = <$fh>;
	$TCK = $1 if defined $v && $v =~ /^(\d+)/;
}

# Fields of /proc/PID/stat after the ")" that ends comm (which may hold
# spaces): [0] is the state, [1] the ppid, [11..14] utime stime cutime cstime.
sub stat_fields($pid) {
	open(my $fh, '<', "/proc/$pid/stat") or return;
	my $s = <$fh> // return;
	$s =~ s/^.*\)\s+// or return;
	return split(' ', $s);
}

sub tree($root) {
	my %kids;
	opendir(my $dh, '/proc') or die "proc.pl: /proc: $!\n";
	for my $pid (grep { /^\d+$/ } readdir($dh)) {
		my @f = stat_fields($pid) or next;
		push @{$kids{$f[1]}}, $pid;
	}
	my @all = ($root);
	for (my $i = 0; $i < @all; $i++) {
		push @all, @{$kids{$all[$i]} // []};
	}
	return @all;
}

sub cpu($root) {
	my $ticks = 0;
	for my $pid (tree($root)) {
		my @f = stat_fields($pid) or next;
		$ticks += $f[11] + $f[12];
		$ticks += $f[13] + $f[14] if $pid == $root;
	}
	printf "%.3f\n", $ticks / $TCK;
}

sub status_kib($pid, $key) {
	open(my $fh, '<', "/proc/$pid/status") or return 0;
	while (my $l = <$fh>) {
		return $1 if $l =~ /^\Q$key\E:\s+(\d+)\s+kB/;
	}
	return 0;
}

sub pss_kib($pid) {
	open(my $fh, '<', "/proc/$pid/smaps_rollup") or return 0;
	while (my $l = <$fh>) {
		return $1 if $l =~ /^Pss:\s+(\d+)\s+kB/;
	}
	return 0;
}

sub mem($root) {
	my @pids = tree($root);
	my $pss = 0;
	$pss += pss_kib($_) for @pids;
	printf "rss_kib=%d hwm_kib=%d pss_kib=%d procs=%d\n",
	    status_kib($root, 'VmRSS'), status_kib($root, 'VmHWM'), $pss,
	    scalar(@pids);
}

sub cpu_times($cpu) {
	open(my $fh, '<', '/proc/stat') or die "proc.pl: /proc/stat: $!\n";
	while (my $l = <$fh>) {
		next unless $l =~ /^cpu$cpu\s+(.*)/;
		my @t = split(' ', $1);
		my $idle = $t[3] + ($t[4] // 0);
		my $total = 0;
		$total += $_ for @t[0 .. 7];
		return ($total, $idle);
	}
	die "proc.pl: no cpu$cpu in /proc/stat\n";
}

sub busy($secs, @cpus) {
	my @t0 = map { [cpu_times($_)] } @cpus;
	select(undef, undef, undef, $secs);
	my @t1 = map { [cpu_times($_)] } @cpus;
	my @pct;
	for my $i (0 .. $#cpus) {
		my $dt = $t1[$i][0] - $t0[$i][0] || 1;
		my $di = $t1[$i][1] - $t0[$i][1];
		push @pct, sprintf('%.0f', 100 * (1 - $di / $dt));
	}
	print "@pct\n";
}

# Field 22 of /proc/PID/stat, the start time in ticks after boot.
sub start_time($pid) {
	my @f = stat_fields($pid) or return;
	return $f[19];
}

sub kids($root) {
	my @pids = tree($root);
	shift @pids;
	for my $pid (@pids) {
		my $st = start_time($pid) // next;
		print "$pid:$st\n";
	}
}

sub kill_same($sig, @ids) {
	for my $id (@ids) {
		my ($pid, $st) = $id =~ /^(\d+):(\d+)$/ or next;
		my $now = start_time($pid) // next;
		kill($sig, $pid) if $now == $st;
	}
}

my $cmd = shift // '';
if ($cmd eq 'cpu' && @ARGV == 1) {
	cpu($ARGV[0]);
} elsif ($cmd eq 'mem' && @ARGV == 1) {
	mem($ARGV[0]);
} elsif ($cmd eq 'busy' && @ARGV >= 2) {
	busy(@ARGV);
} elsif ($cmd eq 'kids' && @ARGV == 1) {
	kids($ARGV[0]);
} elsif ($cmd eq 'kill' && @ARGV >= 1) {
	kill_same(@ARGV);
} else {
	die "usage: proc.pl cpu PID | mem PID | busy SECS CPU... | kids PID |\n" .
	    "       kill SIG PID:STARTTIME...\n";
}
