#!/usr/bin/perl
# mode: http forwards requests with the exact head a backend should see:
# HTTP/1.1, hop-by-hop fields gone, client address fields added or kept
# by trust, origin-form targets, one Content-Length; keep-alive on both
# sides and pipelined requests answered in order.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Test::More;

my $dir = tmpdir();

# Answers with the request's target in the body, so order shows.
my $be = recording_backend(dir => $dir, reply => sub {
	my ($req, $n) = @_;
	my ($t) = $req =~ /^\S+ (\S+)/;
	my $body = "you asked for $t ($n)\n";
	return "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) .
	    "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n" .
	    "X-Backend: yes\r\n\r\n$body";
});
my $bp = $be->port;
my ($p1, $p2) = (free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p1"
    mode: http
    backend: be
  - name: trusting
    bind: "[::1]:$p2"
    mode: http
    backend: be
    forwarded: { forwarded: true, x_real_ip: false }
    trust_forwarded_from: ["::1/128"]
backends:
  be:
    servers: ["127.0.0.1:$bp"]
EOF

# One request on a fresh connection; returns (status, head, body, sent-as).
sub one {
	my ($port, $req) = @_;
	my $c = connect_tcp('::1', $port) or die "connect: $!";
	send_all($c, $req);
	my $pending = '';
	my @r = read_response($c, \$pending, 10);
	my ($rec) = records($dir, 1);
	return (@r, $rec ? $rec->[2] : undef, $c->sockport);
}

# Rows: what the client sends, what the backend must get (%P is the
# client's port), on which listener.
my @rows = (
	[ 'plain GET', $p1,
	  "GET /a?b=c HTTP/1.1\r\nHost: www.example\r\nUser-Agent: t\r\n\r\n",
	  "GET /a?b=c HTTP/1.1\r\nHost: www.example\r\nUser-Agent: t\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" ],
	[ 'hop-by-hop fields removed', $p1,
	  "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\n" .
	  "X-Hop: 1\r\nKeep-Alive: 300\r\nProxy-Connection: keep-alive\r\n" .
	  "TE: trailers\r\nUpgrade: h2c\r\nTrailer: X-T\r\nX-Keep: 2\r\n\r\n",
	  "GET / HTTP/1.1\r\nHost: h\r\nX-Keep: 2\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" ],
	[ 'untrusted client: forged address fields replaced', $p1,
	  "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\n" .
	  "X-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n" .
	  "Forwarded: for=6.6.6.6\r\n\r\n",
	  "GET / HTTP/1.1\r\nHost: h\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" ],
	[ 'trusted client: XFF and Forwarded appended to', $p2,
	  "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 192.0.2.1\r\n" .
	  "X-Forwarded-For: 2001:db8::5\r\nForwarded: for=192.0.2.1\r\n\r\n",
	  "GET / HTTP/1.1\r\nHost: h\r\n" .
	  "X-Forwarded-For: 192.0.2.1, 2001:db8::5, ::1\r\n" .
	  "Forwarded: for=192.0.2.1, for=\"[::1]:%P\";proto=http\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" ],
	[ 'absolute-form to origin-form, Host from the authority', $p1,
	  "GET http://www.example:8080/x/y?z HTTP/1.1\r\nHost: other\r\n\r\n",
	  "GET /x/y?z HTTP/1.1\r\nHost: www.example:8080\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" ],
	[ 'HTTP/1.0 goes on as HTTP/1.1, one Content-Length', $p1,
	  "POST /f HTTP/1.0\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
	  "POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\nhello" ],
	[ 'chunked request body passes unchanged', $p1,
	  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" .
	  "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
	  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" .
	  "X-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" .
	  "X-Forwarded-Proto: http\r\n\r\n" .
	  "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n" ],
);
for my $row (@rows) {
	my ($name, $port, $send, $want) = @$row;
	my ($st, $head, $body, $got, $cport) = one($port, $send);
	$want =~ s/%P/$cport/g;
	is($st, 200, "$name: 200");
	is($got, $want, "$name: backend got exactly this");
	like($head, qr{^HTTP/1\.1 200 OK\r\n}, "$name: HTTP/1.1 status line");
	unlike($head, qr/\r\n(Keep-Alive|Connection: keep-alive)/i,
	    "$name: response hop-by-hop fields removed");
	like($head, qr/\r\nX-Backend: yes\r\n/, "$name: end-to-end field kept");
}

# Keep-alive and pipelining: three requests in one write, answered in
# order, all on one backend connection.
{
	my $c = connect_tcp('::1', $p1) or die;
	send_all($c, join('', map { "GET /p$_ HTTP/1.1\r\nHost: h\r\n\r\n" }
	    1 .. 3));
	my $pending = '';
	my @b = map { [read_response($c, \$pending, 10)]->[2] // '' } 1 .. 3;
	# The backend connection comes from the pool: its count goes on.
	my ($n0) = $b[0] =~ /\((\d+)\)/;
	$n0 //= 0;
	is_deeply(\@b, [ map { "you asked for /p$_ (" . ($n0 + $_ - 1) .
	    ")\n" } 1 .. 3 ],
	    'pipelined: answered in order on one backend connection');
	send_all($c, "GET /p4 HTTP/1.1\r\nHost: h\r\n\r\n");
	my @r = read_response($c, \$pending, 10);
	is($r[2], "you asked for /p4 (" . ($n0 + 3) . ")\n",
	    'keep-alive: a later request reuses both connections');
	my @rec = records($dir, 4);
	is(scalar(keys %{{ map { $_->[0] => 1 } @rec }}), 1,
	    'one backend connection served all four');
	send_all($c, "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	@r = read_response($c, \$pending, 10);
	like($r[1], qr/\r\nConnection: close\r\n/, 'Connection: close answered');
	is(read_all($c, 5), '', 'then the client connection closes');
	records($dir, 1);
}

# HTTP/1.0 keep-alive is only on request.
{
	my $c = connect_tcp('::1', $p1) or die;
	send_all($c, "GET /k HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
	my $pending = '';
	my @r = read_response($c, \$pending, 10);
	like($r[1], qr/\r\nConnection: keep-alive\r\n/, '1.0 keep-alive kept');
	send_all($c, "GET /k2 HTTP/1.0\r\nHost: h\r\n\r\n");
	@r = read_response($c, \$pending, 10);
	like($r[1], qr/\r\nConnection: close\r\n/, '1.0 without it: close');
	records($dir, 2);
}

$d->stop_ok;
done_testing();
