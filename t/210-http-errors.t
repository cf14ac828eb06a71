#!/usr/bin/perl
# Errors mode http generates itself: each has the right status, a small
# body, Connection: close, and one daemon-log line with the client address
# and the reason.  Timeouts fire when configured, and a backend that dies
# mid-response never leaves the client hanging.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Test::More;
use Time::HiRes qw(time sleep);

my $dir = tmpdir();

my $ok = recording_backend(dir => $dir, reply => sub {
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});
# Accepts and reads, never answers.
my $silent = start_backend(handler => sub { read_all($_[0], 20) });
# Sends half of a promised body, then closes.
my $dies = start_backend(handler => sub {
	my ($c) = @_;
	my $p = '';
	read_message($c, \$p, 10);
	send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" .
	    ('x' x 500));
	sleep(0.2);
});
# Answers with garbage.
my $junk = start_backend(handler => sub {
	my ($c) = @_;
	my $p = '';
	read_message($c, \$p, 10);
	send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n" .
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	sleep(0.2);
});
my $down = free_port();		# nothing listens here

my %p = map { $_ => free_port() } qw(web down silent dies junk);
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p{web}"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $ok->port}"] }
    timeouts: { client_header: 1s, client_body: 1s }
    limits: { header_size: 2k, header_count: 10, uri_length: 100,
      body_size: 1k }
  - name: down
    bind: "[::1]:$p{down}"
    mode: http
    backend: { servers: ["127.0.0.1:$down"] }
  - name: silent
    bind: "[::1]:$p{silent}"
    mode: http
    backend:
      servers: ["127.0.0.1:${\ $silent->port}"]
      timeouts: { response: 1s }
  - name: dies
    bind: "[::1]:$p{dies}"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $dies->port}"] }
  - name: junk
    bind: "[::1]:$p{junk}"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $junk->port}"] }
EOF

# Sends $req on listener $ln; returns (status, head, body, seconds, port).
sub ask {
	my ($ln, $req, $timeout) = @_;
	my $c = connect_tcp('::1', $p{$ln}) or die "connect: $!";
	my $t0 = time();
	send_all($c, $req);
	my $pending = '';
	my @r = read_response($c, \$pending, $timeout // 10);
	my $rest = read_all($c, 3);
	return (@r, time() - $t0, $c->sockport, $rest);
}

# Rows: name, listener, request, status, log reason (a regex).
my $long = 'a' x 200;
my @rows = (
	[ 'TE with CL', 'web', "POST / HTTP/1.1\r\nHost: h\r\n" .
	  "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
	  qr/400 Transfer-Encoding with Content-Length/ ],
	[ 'garbage', 'web', "HELLO\r\n\r\n", 400, qr/400 \S/ ],
	[ 'URI too long', 'web', "GET /$long HTTP/1.1\r\nHost: h\r\n\r\n",
	  414, qr/414 \S/ ],
	[ 'head too large', 'web', "GET / HTTP/1.1\r\nHost: h\r\n" .
	  "X-Big: " . ('b' x 3000) . "\r\n\r\n", 431, qr/431 \S/ ],
	[ 'too many fields', 'web', "GET / HTTP/1.1\r\nHost: h\r\n" .
	  join('', map { "X-$_: 1\r\n" } 1 .. 12) . "\r\n", 431, qr/431 \S/ ],
	[ 'body too large', 'web', "POST / HTTP/1.1\r\nHost: h\r\n" .
	  "Content-Length: 2000\r\n\r\n", 413, qr/413 \S/ ],
	[ 'CONNECT', 'web', "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
	  501, qr/501 \S/ ],
	[ 'HTTP/2.0', 'web', "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505,
	  qr/505 \S/ ],
	[ 'backend down', 'down', "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 502,
	  qr/502 connect 127\.0\.0\.1:$down: Connection refused/ ],
	[ 'backend answers junk', 'junk', "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	  502, qr/502 127\.0\.0\.1:\d+: / ],
);
for my $row (@rows) {
	my ($name, $ln, $req, $want, $why) = @$row;
	my ($st, $head, $body, $secs, $port, $rest) = ask($ln, $req);
	is($st, $want, "$name: $want");
	like($head // '', qr/\r\nConnection: close\r\n/, "$name: Connection: close");
	like($body // '', qr/^$want [A-Z]/, "$name: small text body");
	is($rest, '', "$name: then closed");
	ok($d->wait_log(qr/info: $ln: \[::1\]:$port: $why/, 5),
	    "$name: logged with the client address");
	cmp_ok($secs, '<', 1, "$name: within 1 s") if $ln eq 'down';
}

# Slowloris: a head that never ends gets 408 after client_header (1s).
{
	my $c = connect_tcp('::1', $p{web}) or die;
	my $t0 = time();
	send_all($c, "GET / HTTP/1.1\r\nHost: h\r\n");
	my $n = 0;
	my $got = '';
	while (time() - $t0 < 4) {
		last unless syswrite($c, "X-$n: y\r\n");
		$n++;
		my $rin = '';
		vec($rin, fileno($c), 1) = 1;
		if (select(my $r = $rin, undef, undef, 0.2) > 0) {
			$got = read_all($c, 2);
			last;
		}
	}
	my $secs = time() - $t0;
	like($got, qr{^HTTP/1\.1 408 }, 'slowloris: 408');
	ok($secs >= 0.9 && $secs < 2.5, "slowloris: closed after ~1 s ($secs)");
	ok($d->wait_log(qr/web: \[::1\]:\d+: 408 request head timeout/, 5),
	    'slowloris: logged');
}

# A body that stalls gets 408 after client_body (1s).
{
	my ($st, $head, $body, $secs) = ask('web', "POST / HTTP/1.1\r\n" .
	    "Host: h\r\nContent-Length: 10\r\n\r\nabc");
	is($st, 408, 'stalled body: 408');
	ok($secs >= 0.9 && $secs < 2.5, "stalled body: after ~1 s ($secs)");
	records($dir, 1);
}

# A silent backend: 504 after its response timeout (1s).
{
	my ($st, $head, $body, $secs, $port) = ask('silent',
	    "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	is($st, 504, 'silent backend: 504');
	ok($secs >= 0.9 && $secs < 2.5, "silent backend: after ~1 s ($secs)");
	ok($d->wait_log(qr/silent: \[::1\]:$port: 504 127\.0\.0\.1:\d+: no response/,
	    5), 'silent backend: logged');
}

# A backend that dies mid-body: the client sees its connection end.
{
	my $c = connect_tcp('::1', $p{dies}) or die;
	my $t0 = time();
	send_all($c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	my $got = read_all($c, 10);
	like($got, qr{^HTTP/1\.1 200 OK\r\n}, 'dies mid-body: head passed on');
	is(length($got) - index($got, "\r\n\r\n") - 4, 500,
	    'dies mid-body: what came passed on');
	cmp_ok(time() - $t0, '<', 3, 'dies mid-body: client closed, not hung');
}

# An idle client after a response goes after client_idle; a client that
# never sends anything is closed after client_header, silently.
{
	my $c = connect_tcp('::1', $p{web}) or die;
	my $t0 = time();
	is(read_all($c, 5), '', 'no request: closed without an answer');
	my $secs = time() - $t0;
	ok($secs >= 0.9 && $secs < 2.5, "no request: after ~1 s ($secs)");
}

$d->stop_ok;
done_testing();
