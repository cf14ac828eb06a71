#!/usr/bin/perl
# Signals: SIGHUP reloads without refusing a single connection (and keeps
# the old config when the new file is bad); SIGTERM drains; SIGUSR1 logs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(time sleep);

my $dir = tmpdir();
my ($p6, $p4, $p7) = (free_port(), free_port(), free_port());

sub conf {
	my (%o) = @_;
	my $extra = $o{extra} // '';
	return <<"EOF2";
workers: 2
log_level: $o{level}
listeners:
  - name: front
    bind: "[::1]:$p6"
    backend: to-status
  - name: status
    bind: "127.0.0.1:$p4"
    backend: { builtin: status }
$extra
backends:
  to-status:
    servers: ["127.0.0.1:$p4"]
EOF2
}
my $d = start_daemon(yaml => conf(level => 'info')) or BAIL_OUT('no daemon');

# A client loop that connects and asks for as long as the reloads go on.
my $loop = fork() // die;
if ($loop == 0) {
	my ($good, $bad) = (0, 0);
	my $end = time() + 5;
	while (time() < $end) {
		my $r = http_get('::1', $p6, '/') // '';
		if ($r =~ m{^HTTP/1\.1 200 OK}) { $good++ } else { $bad++ }
	}
	write_file("$dir/loop", "$good $bad");
	POSIX::_exit(0);
}

my $from = length($d->log);
sleep(0.5);
$d->rewrite(conf(level => 'debug', extra => <<"EOF2"));
  - name: added
    bind: "[::1]:$p7"
    backend: { builtin: status }
EOF2
$d->signal('HUP');
ok($d->wait_log(qr/notice: reloaded .*generation 2/, 10, $from),
    'valid file: reloaded as generation 2');
like(http_get('::1', $p7, '/') // '', qr{^HTTP/1\.1 200 OK},
    'a listener added by the reload serves');

$from = length($d->log);
sleep(0.5);
$d->rewrite("listeners:\n  - name: front\n    bind: \"[::1]:99999\"\n");
$d->signal('HUP');
my $e = $d->wait_log(qr/err: \S+:3:11: listeners\[0\]\.bind\[0\]: [^\n]*/, 10,
    $from);
ok($e, 'invalid file: the error is logged with file:line:col')
    or diag($d->log);
ok($d->wait_log(qr/reload failed; still serving generation 2/, 10, $from),
    'invalid file: still serving generation 2');
like(http_get('::1', $p7, '/') // '', qr{^HTTP/1\.1 200 OK},
    'the old config keeps serving');

$from = length($d->log);
sleep(0.5);
$d->rewrite(conf(level => 'info'));
$d->signal('HUP');
ok($d->wait_log(qr/notice: reloaded .*generation 3/, 10, $from),
    'valid again: generation 3');
ok(wait_for(sub { !connect_tcp('::1', $p7, timeout => 1) }, 5),
    'the removed listener is closed');

waitpid($loop, 0);
my ($good, $bad) = split ' ', slurp("$dir/loop");
cmp_ok($good, '>', 50, "client loop: $good requests answered during reloads");
is($bad, 0, 'client loop: zero refused or failed connections');

$from = length($d->log);
$d->signal('USR1');
ok($d->wait_log(qr/notice: SIGUSR1: reopening log files/, 5, $from),
    'SIGUSR1 is acknowledged');
$d->stop_ok('reload daemon');

# SIGTERM drains: no new connections, open sessions finish, then exit 0.
my $echo = start_backend(handler => sub {
	my ($c) = @_;
	while (sysread($c, my $buf, 65536)) { syswrite($c, $buf) }
});
my $pe = free_port();
my $drain = <<"EOF2";
workers: 1
shutdown_timeout: 10s
listeners:
  - name: echo
    bind: "[::1]:$pe"
    backend: { servers: ["127.0.0.1:${\ $echo->port}"] }
EOF2
$d = start_daemon(name => 'drain', yaml => $drain) or BAIL_OUT('no daemon');
my $c = connect_tcp('::1', $pe);
syswrite($c, "one");
sysread($c, my $buf, 16);
is($buf, 'one', 'session open');
$d->signal('TERM');
ok($d->wait_log(qr/no longer accepting/), 'SIGTERM: stops accepting');
ok(wait_for(sub { !connect_tcp('::1', $pe, timeout => 1) }, 5),
    'SIGTERM: new connections are refused');
syswrite($c, "two");
sysread($c, $buf, 16);
is($buf, 'two', 'SIGTERM: the open session still relays');
ok(!defined $d->wait_exit(1), 'SIGTERM: still running while a session is open');
my $t0 = time();
close($c);
is($d->wait_exit(10), 0, 'SIGTERM: exits 0 once the session ends');
cmp_ok(time() - $t0, '<', 2, 'SIGTERM: and promptly');
$d->clean_ok('drain');

# shutdown_timeout bounds the drain.
$drain =~ s/shutdown_timeout: 10s/shutdown_timeout: 1s/;
$d = start_daemon(name => 'drain2', yaml => $drain) or BAIL_OUT('no daemon');
$c = connect_tcp('::1', $pe);
syswrite($c, "one");
sysread($c, $buf, 16);
$t0 = time();
$d->signal('TERM');
is($d->wait_exit(10), 0, 'shutdown_timeout: exits 0 with a session open');
my $dt = time() - $t0;
cmp_ok($dt, '>=', 0.9, sprintf('shutdown_timeout: after %.2f s (1 s)', $dt));
cmp_ok($dt, '<', 3, 'shutdown_timeout: not much later');
is(read_all($c, 2), '', 'shutdown_timeout: the session was closed');
$d->clean_ok('drain2');

done_testing();
