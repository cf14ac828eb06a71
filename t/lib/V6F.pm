# Test harness for v6front integration tests: temp dirs, free ports, real
# daemon processes (optionally under valgrind), small socket clients, and
# forking backends (one that stores what each TCP connection sent).
package V6F;

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Socket qw(SOL_SOCKET SO_LINGER IPPROTO_TCP SHUT_WR);
use Test::More;
use Time::HiRes qw(time sleep);

our @EXPORT = qw(v6f_bin tmpdir free_port write_file slurp start_daemon
    connect_tcp read_all wait_for http_get root_dir pump start_backend
    random_bytes in_netns storing_backend stored hanging_port);

my $ROOT = File::Spec->rel2abs(dirname(__FILE__) . '/../..');
my $TMP;

# Every process a test starts is killed by PID when the test ends, however
# it ends: normally, by a failed assertion, or by a signal (a closed pipe
# when its output goes to `head`, Ctrl-C), which runs END through exit.
our %LIVE;
$SIG{$_} = sub { exit(1) } for qw(INT TERM PIPE HUP);
END {
	for my $pid (keys %LIVE) {
		next unless $LIVE{$pid}[1] == $$;	# not in forked children
		kill('KILL', -$pid) if $LIVE{$pid}[0] eq 'group';
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
}

sub root_dir { $ROOT }

# The daemon under test: $V6F_BIN (set by make), else the tree's ./v6front.
sub v6f_bin { $ENV{V6F_BIN} // "$ROOT/v6front" }

# One temp dir per test file; V6F_TEST_KEEP=1 keeps it and says where.
sub tmpdir {
	return $TMP if $TMP;
	$TMP = tempdir('v6f-test-XXXXXX', TMPDIR => 1,
	    CLEANUP => !$ENV{V6F_TEST_KEEP});
	diag("keeping $TMP") if $ENV{V6F_TEST_KEEP};
	return $TMP;
}

# Writes a file whole: another process polling for it never sees it empty
# or half written (written aside, then renamed into place).
sub write_file {
	my ($path, $text) = @_;
	$path = tmpdir() . "/$path" unless $path =~ m{^/};
	(my $tmp = $path) =~ s{([^/]*)$}{.wf$$.$1};
	open(my $fh, '>', $tmp) or die "$tmp: $!";
	print $fh $text;
	close($fh) or die "$tmp: $!";
	rename($tmp, $path) or die "$path: $!";
	return $path;
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	return scalar <$fh>;
}

# A port free on both 127.0.0.1 and ::1, outside the ephemeral range so the
# daemon's own outgoing connections never take it first.
my %given;
sub free_port {
	for (1 .. 500) {
		my $p = 20000 + int(rand(12000));
		next if $given{$p};
		my $a = IO::Socket::IP->new(LocalHost => '127.0.0.1',
		    LocalPort => $p, Listen => 1, ReuseAddr => 1) or next;
		my $b = IO::Socket::IP->new(LocalHost => '::1',
		    LocalPort => $p, Listen => 1, ReuseAddr => 1) or next;
		$given{$p} = 1;
		return $p;
	}
	die "no free port";
}

# Polls until $cond->() is true or $timeout seconds pass; returns the result.
sub wait_for {
	my ($cond, $timeout) = @_;
	my $end = time() + ($timeout // 10);
	while (time() < $end) {
		my $r = $cond->();
		return $r if $r;
		sleep(0.02);
	}
	return $cond->();
}

# A port on 127.0.0.1 whose listener never accepts and whose queue is
# full, so that a further connect hangs (its SYNs are dropped).  Returns
# the port and what holds it open: keep that as long as the port is used.
sub hanging_port {
	my $port = free_port();
	my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => $port, Listen => 0, ReuseAddr => 1)
	    or die "listen on $port: $!";
	my @held = ($l);
	for (1 .. 8) {
		my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
		    PeerPort => $port, Blocking => 0);
		push @held, $s if $s;
	}
	return ($port, \@held);
}

sub connect_tcp {
	my ($host, $port, %o) = @_;
	return IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
	    Timeout => $o{timeout} // 5);
}

# Reads until EOF or $timeout; returns the bytes (undef on a read error).
sub read_all {
	my ($sock, $timeout) = @_;
	my ($buf, $data) = ('', '');
	my $end = time() + ($timeout // 10);
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	while (time() < $end) {
		my $n = select(my $rout = $rin, undef, undef, $end - time());
		last if $n <= 0;
		my $r = sysread($sock, $buf, 65536);
		return undef unless defined $r;
		last if $r == 0;
		$data .= $buf;
	}
	return $data;
}

# A minimal HTTP/1.0 GET over a raw socket; returns the whole response.
sub http_get {
	my ($host, $port, $path) = @_;
	my $s = connect_tcp($host, $port) or return undef;
	syswrite($s, "GET " . ($path // '/') . " HTTP/1.0\r\nHost: x\r\n\r\n");
	return read_all($s, 10);
}

# Writes $data (then shuts down our write side) while reading until EOF;
# returns what was read, or undef on an error or after $timeout seconds.
sub pump {
	my ($sock, $data, $timeout) = @_;
	my ($off, $in, $buf, $shut) = (0, '', '', 0);
	my $end = time() + ($timeout // 30);
	$sock->blocking(0);
	while (time() < $end) {
		if (!$shut && $off >= length($data)) {
			shutdown($sock, SHUT_WR);
			$shut = 1;
		}
		my ($rin, $win) = ('', '');
		vec($rin, fileno($sock), 1) = 1;
		vec($win, fileno($sock), 1) = 1 unless $shut;
		my $n = select(my $rout = $rin, my $wout = $win, undef, 1);
		next if $n <= 0;
		if (!$shut && vec($wout, fileno($sock), 1)) {
			my $w = syswrite($sock, $data, 65536, $off);
			return undef if !defined $w && !$!{EAGAIN};
			$off += $w // 0;
		}
		if (vec($rout, fileno($sock), 1)) {
			my $r = sysread($sock, $buf, 65536);
			next if !defined $r && $!{EAGAIN};
			return undef unless defined $r;
			return $in if $r == 0 && $shut;
			if ($r == 0) {
				# Peer finished first: keep sending what is left.
				$sock->blocking(1);
				syswrite($sock, $data, length($data) - $off, $off)
				    if $off < length($data);
				shutdown($sock, SHUT_WR);
				return $in;
			}
			$in .= $buf;
		}
	}
	return undef;
}

sub random_bytes {
	my ($n) = @_;
	return pack('L*', map { int(rand(4294967296)) } 1 .. ($n / 4));
}

# A forking TCP server on 127.0.0.1: each connection runs $handler->($sock)
# in its own process.  Killed (by PID) when the object goes away.
sub start_backend {
	my (%o) = @_;
	my $port = $o{port} // free_port();
	my $ls = IO::Socket::IP->new(LocalHost => $o{host} // '127.0.0.1',
	    LocalPort => $port, Listen => $o{backlog} // 128,
	    ReuseAddr => 1) or die "backend listen: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$SIG{CHLD} = 'IGNORE';
		setpgrp(0, 0);
		while (1) {
			my $c = $ls->accept() or next;
			my $k = fork();
			if (defined $k && $k == 0) {
				close($ls);
				$o{handler}->($c);
				POSIX::_exit(0);
			}
			close($c);
		}
	}
	close($ls) unless $o{keep_socket};
	$LIVE{$pid} = ['group', $$];
	return bless { pid => $pid, port => $port, sock => $ls },
	    'V6F::Backend';
}

# A start_backend that keeps all a connection sent until it half-closed in
# $dir/tcp.PID (whole files only: written aside, then renamed), then
# answers "bye\n".
sub storing_backend {
	my ($dir) = @_;
	return start_backend(handler => sub {
		my ($c) = @_;
		my $all = read_all($c, 10);
		write_file("$dir/tcp.$$.tmp", $all // '');
		rename("$dir/tcp.$$.tmp", "$dir/tcp.$$");
		syswrite($c, "bye\n");
	});
}

# What storing_backend kept, one string per connection.  Waits up to 10 s
# for at least one; deletes what it returns.
sub stored {
	my ($dir) = @_;
	my @f;
	wait_for(sub { @f = grep { !/\.tmp$/ } glob("$dir/tcp.*"); @f }, 10);
	my @d = map { slurp($_) } @f;
	unlink(@f);
	return @d;
}

package V6F::Backend;
sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub stop {
	my ($b) = @_;
	return unless $b->{pid};
	kill('KILL', -$b->{pid});	# the server and its children
	kill('KILL', $b->{pid});
	waitpid($b->{pid}, 0);
	delete $V6F::LIVE{$b->{pid}};
	$b->{pid} = undef;
}
sub DESTROY { $_[0]->stop }

package V6F;

# ---- daemon processes ----

# start_daemon(yaml => TEXT, name => 'd') starts `v6front -c NAME.yaml` with
# stderr in NAME.log and waits for its "ready" line.  netns => NS runs it
# inside that network namespace (`ip netns exec NS`, which execs in place:
# the PID is the daemon's).
sub start_daemon {
	my (%o) = @_;
	my $name = $o{name} // 'v6front';
	my $dir = tmpdir();
	my $conf = write_file("$name.yaml", $o{yaml});
	my $log = "$dir/$name.log";
	my @cmd = (v6f_bin(), '-c', $conf);
	if ($ENV{V6F_VALGRIND}) {
		unshift @cmd, 'valgrind', '--quiet', '--error-exitcode=99',
		    '--leak-check=full', '--errors-for-leak-kinds=definite',
		    '--show-leak-kinds=definite';
	}
	unshift @cmd, 'ip', 'netns', 'exec', $o{netns} if $o{netns};
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		exec(@cmd) or POSIX::_exit(127);
	}
	$LIVE{$pid} = ['daemon', $$];
	my $d = bless { pid => $pid, log => $log, conf => $conf,
	    name => $name }, 'V6F::Daemon';
	if ($o{no_wait}) {
		return $d;
	}
	my $limit = $ENV{V6F_VALGRIND} ? 60 : 10;
	my $ready = wait_for(sub {
		return 1 if $d->log =~ /ready:/;
		return -1 if waitpid($pid, WNOHANG) == $pid;
		return 0;
	}, $limit);
	if (!$ready || $ready < 0) {
		diag("daemon $name did not start; its log:\n" . $d->log);
		$d->{pid} = undef if $ready && $ready < 0;
		return undef;
	}
	return $d;
}

# in_netns(NS, sub { ... }) runs the code with this process in network
# namespace NS (made by `ip netns add`), then switches back: sockets made
# inside stay in NS, so a test talks from any namespace without a helper
# process.  Returns what the code returns.
my $CLONE_NEWNET = 0x40000000;
sub in_netns {
	my ($ns, $code) = @_;
	require 'syscall.ph';
	open(my $home, '<', '/proc/self/ns/net') or die "own netns: $!";
	open(my $to, '<', "/run/netns/$ns") or die "netns $ns: $!";
	syscall(&SYS_setns, fileno($to), $CLONE_NEWNET) == 0
	    or die "setns $ns: $!";
	my @r = eval { $code->() };
	my $err = $@;
	syscall(&SYS_setns, fileno($home), $CLONE_NEWNET) == 0
	    or die "setns back from $ns: $!";
	die $err if $err;
	return wantarray ? @r : $r[0];
}

package V6F::Daemon;

use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(time sleep);

sub pid { $_[0]{pid} }
sub conf { $_[0]{conf} }
sub log { V6F::slurp($_[0]{log}) }

sub signal {
	my ($d, $sig) = @_;
	kill($sig, $d->{pid});
}

# Waits for a log line matching $re (after $from bytes of log); returns it.
sub wait_log {
	my ($d, $re, $timeout, $from) = @_;
	return V6F::wait_for(sub {
		my $l = substr($d->log, $from // 0);
		return $l =~ /($re)/ ? $1 : undef;
	}, $timeout // 10);
}

# Rewrites the daemon's config file in place (for SIGHUP tests).
sub rewrite {
	my ($d, $yaml) = @_;
	V6F::write_file($d->{conf}, $yaml);
}

# Waits for exit up to $timeout s; returns the wait status, or undef.
sub wait_exit {
	my ($d, $timeout) = @_;
	return $d->{status} if defined $d->{status};
	my $st = V6F::wait_for(sub {
		my $r = waitpid($d->{pid}, WNOHANG);
		return $r == $d->{pid} ? [$?] : undef;
	}, $timeout // 20);
	return undef unless $st;
	delete $V6F::LIVE{$d->{pid}};
	$d->{status} = $st->[0];
	return $d->{status};
}

# SIGTERM, wait, and the two checks every daemon test ends with: clean exit,
# no crit lines, no sanitizer or valgrind reports.
sub stop_ok {
	my ($d, $name) = @_;
	$name //= $d->{name};
	kill('TERM', $d->{pid}) unless defined $d->{status};
	my $st = $d->wait_exit($ENV{V6F_VALGRIND} ? 120 : 30);
	is($st, 0, "$name exits 0 on SIGTERM") or diag($d->log);
	$d->clean_ok($name);
}

sub clean_ok {
	my ($d, $name) = @_;
	my $log = $d->log;
	unlike($log, qr/ crit: /, "$name: no crit lines");
	unlike($log, qr/(AddressSanitizer|LeakSanitizer|runtime error:|
	    ==\d+==\s+(Invalid|Conditional|Use of|Syscall|\d+ bytes in))/x,
	    "$name: no sanitizer or valgrind reports")
	    or diag($log);
}

sub DESTROY {
	my ($d) = @_;
	return unless $d->{pid} && !defined $d->{status};
	kill('KILL', $d->{pid});
	waitpid($d->{pid}, 0);
	delete $V6F::LIVE{$d->{pid}};
}

1;
