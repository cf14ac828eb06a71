#!/usr/bin/perl
# Health checks of TLS backends: the handshake, with the certificate
# verified as for real traffic, is part of every check, and an HTTP check
# sends its request over that TLS connection.  A server whose /health says
# 503, whose certificate does not match, or that does not speak TLS at all
# goes down within `fall` checks with the reason in the daemon log; a good
# one stays up and serves; the failing one comes back after `rise` once
# its /health answers 200 again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::SSL;
use V6F;
use V6FHTTP;
use V6FTLS;
use Test::More;

my $dir = tmpdir();
make_ca($dir, 'ca');
my ($gc, $gk) = make_cert(dir => $dir, name => 'good', ca => 'ca',
    cn => 'backend.test', san => 'DNS:backend.test');
my ($wc, $wk) = make_cert(dir => $dir, name => 'wrong', ca => 'ca',
    cn => 'other.test', san => 'DNS:other.test');

# A TLS backend whose /health answers with the status in DIR/state.PORT
# (200 when the file is missing); every other path gets 200 "ok PORT".
# Each request is recorded in DIR/seen.PORT (one line each).
sub health_backend {
	my (%o) = @_;
	my $port = free_port();
	return start_backend(port => $port, handler => sub {
		my ($c) = @_;
		my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
		    SSL_cert_file => $o{cert}, SSL_key_file => $o{key},
		    Timeout => 10) or return;
		my $pending = '';
		while (defined(my $req = read_message($s, \$pending, 10))) {
			my ($path) = $req =~ /^GET (\S+) /;
			$path //= '?';
			open(my $f, '>>', "$dir/seen.$port") or die;
			print $f "$path\n";
			close($f);
			my $st = 200;
			if ($path eq '/health' && -e "$dir/state.$port") {
				$st = 0 + slurp("$dir/state.$port");
			}
			my $body = "ok $port\n";
			send_all($s, "HTTP/1.1 $st X\r\nContent-Length: " .
			    length($body) . "\r\n\r\n$body") or last;
			last if $req =~ /^Connection: close/mi;
		}
		$s->close(SSL_fast_shutdown => 1);
	});
}

# Under valgrind a handshake takes seconds, not milliseconds: the checks'
# timeout ($tmo) grows, and the plain server keeps silent for longer.
my $tmo = $ENV{V6F_VALGRIND} ? '8s' : '1s';
my $wait = $ENV{V6F_VALGRIND} ? 60 : 10;
my $silent = $ENV{V6F_VALGRIND} ? 20 : 5;

my $good = health_backend(cert => $gc, key => $gk);
my $flip = health_backend(cert => $gc, key => $gk);
my $wrong = health_backend(cert => $wc, key => $wk);
my $plain = start_backend(handler => sub {
	my ($c) = @_;
	my $pending = '';
	read_message($c, \$pending, $silent);
	send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
});

my ($lp, $cp) = (free_port(), free_port());
my $ca = "$dir/ca.pem";
my ($g, $f, $w, $p) = map { $_->port } $good, $flip, $wrong, $plain;
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - { name: web, bind: "[::1]:$lp", mode: http, backend: web }
  - { name: conn, bind: "[::1]:$cp", mode: http, backend: conn }
backends:
  web:
    servers: ["127.0.0.1:$g", "127.0.0.1:$f"]
    tls: { ca_file: $ca, sni: backend.test }
    health: { every: 200ms, timeout: $tmo, rise: 2, fall: 2, path: /health }
  conn:
    servers: ["127.0.0.1:$w", "127.0.0.1:$p"]
    tls: { ca_file: $ca, sni: backend.test }
    health: { every: 200ms, timeout: $tmo, rise: 1, fall: 1 }
EOF

# One request on a new client connection: (status, body).
sub get {
	my ($port) = @_;
	my $c = connect_tcp('::1', $port) or die;
	send_all($c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	my $pending = '';
	my ($st, undef, $body) = read_response($c, \$pending, 15);
	return ($st // 0, $body // '');
}

# Connect-only checks of TLS: the handshake decides.
ok($d->wait_log(qr/warning: backend conn: server 127\.0\.0\.1:$w is down: 1 health check failed, last: TLS handshake: certificate verify failed: hostname mismatch/, $wait),
    'wrong certificate name: down, reason logged');
ok($d->wait_log(qr/warning: backend conn: server 127\.0\.0\.1:$p is down: 1 health check failed, last: TLS handshake timed out/, $wait),
    'server that never answers the handshake: down, timed out') or diag($d->log);
my ($st) = get($cp);
is($st, 503, 'every server of conn down: 503');

# HTTP checks over TLS reach /health and keep a good server up.
ok(wait_for(sub { (slurp("$dir/seen.$g") // '') =~ m{^/health$}m }, $wait),
    'the HTTP check arrived through TLS as GET /health');
my %seen;
for (1 .. 4) {
	my ($s, $b) = get($lp);
	$seen{"$s $b"}++;
}
is_deeply(\%seen, { "200 ok $g\n" => 2, "200 ok $f\n" => 2 },
    'both servers of web up and serving');

# /health says 503: the flipping server goes down after two checks...
my $from = length($d->log);
write_file("$dir/state.$f", "503");
ok($d->wait_log(qr/warning: backend web: server 127\.0\.0\.1:$f is down: 2 health checks failed, last: HTTP status 503/, $wait, $from),
    '503 from /health over TLS: down after fall');
unlike(substr($d->log, $from), qr/server 127\.0\.0\.1:$g is down/,
    'the good server stays up');
%seen = ();
for (1 .. 4) {
	my ($s, $b) = get($lp);
	$seen{"$s $b"}++;
}
is_deeply(\%seen, { "200 ok $g\n" => 4 }, 'the down server gets no requests');

# ... and comes back after rise.
$from = length($d->log);
unlink("$dir/state.$f");
ok($d->wait_log(qr/notice: backend web: server 127\.0\.0\.1:$f is up: 2 health checks passed/, $wait, $from),
    '200 again: up after rise');

$d->stop_ok;
done_testing();
