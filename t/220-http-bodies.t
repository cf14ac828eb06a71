#!/usr/bin/perl
# mode http bodies: 10 MiB both ways intact and without the daemon growing,
# chunked both ways, messages that have no body, Expect: 100-continue, a
# chunked answer to an HTTP/1.0 client, the built-in status responder, and
# curl -6 as a real client (keep-alive, chunked upload).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use Digest::SHA qw(sha256_hex);
use Test::More;
use Time::HiRes qw(time sleep);

my $dir = tmpdir();

# The data of a chunked body (extensions and trailers dropped).
sub dechunk {
	my ($b) = @_;
	my $out = '';
	while ($b =~ /\G([0-9a-fA-F]+)[^\r]*\r\n/gc) {
		my $n = hex($1);
		last if $n == 0;
		$out .= substr($b, pos($b), $n);
		pos($b) += $n + 2;
	}
	return $out;
}

my $big = random_bytes(10 << 20);

# GET /big: 10 MiB; GET /chunked: a chunked body; /nobody/N: status N;
# anything else: the SHA-256 of the request body.  100-continue is
# answered before the body is read.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $p = '';
	while (1) {
		my $hend;
		until (($hend = index($p, "\r\n\r\n")) >= 0) {
			my $n = sysread($c, my $b, 65536);
			return unless $n;
			$p .= $b;
		}
		my $head = substr($p, 0, $hend + 4);
		send_all($c, "HTTP/1.1 100 Continue\r\n\r\n")
		    if $head =~ /\r\nExpect: 100-continue/i;
		my $req = read_message($c, \$p, 30) // return;
		my $body = substr($req, index($req, "\r\n\r\n") + 4);
		$body = dechunk($body) if $head =~ /\r\nTransfer-Encoding:/i;
		write_file("$dir/last-head", $head);
		my ($m, $t) = $head =~ /^(\S+) (\S+)/;
		my $resp;
		if ($t eq '/big') {
			$resp = "HTTP/1.1 200 OK\r\nContent-Length: " .
			    length($big) . "\r\n\r\n$big";
		} elsif ($t eq '/chunked') {
			$resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked" .
			    "\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\n" .
			    "X-T: 1\r\n\r\n";
		} elsif ($t =~ m{^/nobody/(\d+)}) {
			$resp = "HTTP/1.1 $1 X\r\nContent-Length: 5\r\n\r\n";
			$resp .= "hello" if $m eq 'HEAD' && 0;
		} else {
			my $h = sha256_hex($body);
			$resp = "HTTP/1.1 200 OK\r\nContent-Length: " .
			    length($h) . "\r\n\r\n$h";
		}
		send_all($c, $resp) or return;
	}
});

my ($p, $ps) = (free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
  - name: status
    bind: "[::1]:$ps"
    mode: http
    backend: { builtin: status }
    trust_forwarded_from: ["::1/128"]
EOF

sub rss_kib {
	my ($pid) = @_;
	my ($kb) = slurp("/proc/$pid/status") =~ /VmRSS:\s+(\d+)/;
	return $kb // 0;
}

my $c = connect_tcp('::1', $p) or die;
my $pending = '';

# 10 MiB up, framed by Content-Length, then by chunks.
{
	send_all($c, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " .
	    length($big) . "\r\n\r\n$big");
	my @r = read_response($c, \$pending, 60);
	is($r[2], sha256_hex($big), '10 MiB up (Content-Length) intact');
	my $chunked = '';
	for (my $o = 0; $o < length($big); $o += 1 << 20) {
		$chunked .= sprintf("%x\r\n", 1 << 20) .
		    substr($big, $o, 1 << 20) . "\r\n";
	}
	send_all($c, "POST /up HTTP/1.1\r\nHost: h\r\n" .
	    "Transfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n");
	@r = read_response($c, \$pending, 60);
	is($r[2], sha256_hex($big), '10 MiB up (chunked) intact');
	like(slurp("$dir/last-head"), qr/\r\nTransfer-Encoding: chunked\r\n/,
	    '10 MiB up (chunked): framing kept');
}

# 10 MiB down while the client does not read: the daemon holds at most its
# buffers, not the body.
SKIP: {
	skip 'RSS is not meaningful under valgrind', 2 if $ENV{V6F_VALGRIND};
	my $before = rss_kib($d->pid);
	send_all($c, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
	sleep(1);
	my $during = rss_kib($d->pid);
	cmp_ok($during - $before, '<', 4096 +
	    1024 * ($ENV{V6F_ASAN_QUARANTINE_MB} // 0),
	    "stalled 10 MiB download: RSS grew " . ($during - $before) .
	    " KiB");
	my @r = read_response($c, \$pending, 60);
	is(sha256_hex($r[2] // ''), sha256_hex($big), '10 MiB down intact');
}

# Chunked down passes unchanged to HTTP/1.1, de-chunked to HTTP/1.0.
{
	send_all($c, "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
	my @r = read_response($c, \$pending, 10);
	is($r[2], "4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nX-T: 1\r\n\r\n",
	    'chunked response passes unchanged');
	my $c10 = connect_tcp('::1', $p) or die;
	send_all($c10, "GET /chunked HTTP/1.0\r\nHost: h\r\n\r\n");
	my $all = read_all($c10, 10);
	like($all, qr/\r\nConnection: close\r\n/, '1.0 client: Connection: close');
	unlike($all, qr/Transfer-Encoding/i, '1.0 client: no Transfer-Encoding');
	is(substr($all, index($all, "\r\n\r\n") + 4), 'abcdefg',
	    '1.0 client: the data, until close');
}

# No body: HEAD, 204, 304 (a Content-Length on them describes, not frames).
for my $row ([ 'HEAD', '/nobody/200' ], [ 'GET', '/nobody/204' ],
    [ 'GET', '/nobody/304' ]) {
	my ($m, $t) = @$row;
	send_all($c, "$m $t HTTP/1.1\r\nHost: h\r\n\r\n");
	my @r = read_response($c, \$pending, 10, $m);
	is($r[2], '', "$m $t: no body");
	if ($t =~ /204/) {
		unlike($r[1], qr/Content-Length/i, '204: no Content-Length');
	} else {
		like($r[1], qr/\r\nContent-Length: 5\r\n/,
		    "$m $t: Content-Length kept");
	}
}
send_all($c, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
my @ra = read_response($c, \$pending, 10);
is($ra[2], sha256_hex(q()),
    'the connection is still in sync after them');

# Expect: 100-continue: the interim answer comes before the body is sent.
{
	send_all($c, "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n" .
	    "Expect: 100-continue\r\n\r\n");
	my @r = read_response($c, \$pending, 5);
	is($r[0], 100, '100 Continue passed on');
	send_all($c, "hello");
	@r = read_response($c, \$pending, 5);
	is($r[2], sha256_hex('hello'), 'then the body went through');
}
close($c);

# The built-in status responder as an HTTP-mode backend.
{
	my $s = connect_tcp('::1', $ps) or die;
	send_all($s, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 192.0.2.9\r\n\r\n");
	my $sp = '';
	my @r = read_response($s, \$sp, 10);
	my $port = $s->sockport;
	like($r[2], qr/^client: \[::1\]:$port \(IPv6\)$/m, 'status: client address');
	like($r[2], qr/^x-forwarded-for: 192\.0\.2\.9, ::1$/m,
	    'status: the X-Forwarded-For it would send');
	send_all($s, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
	@r = read_response($s, \$sp, 10, 'HEAD');
	is($r[0], 200, 'status: keep-alive, HEAD');
	is($r[2], '', 'status: HEAD has no body');
}

# curl -6: keep-alive across two URLs, and a chunked upload.
{
	BAIL_OUT('curl is missing: make deps installs it')
	    unless system('curl --version >/dev/null 2>&1') == 0;
	my $out = `curl -6 -sS -v http://[::1]:$p/x http://[::1]:$p/y 2>&1`;
	like($out, qr/Re-using existing connection/i, 'curl: keep-alive reused');
	is(() = $out =~ /\Q${\ sha256_hex('')}\E/g, 2, 'curl: both answered');
	write_file("$dir/up.bin", substr($big, 0, 3 << 20));
	$out = `curl -6 -sS -H 'Transfer-Encoding: chunked' --data-binary \@$dir/up.bin http://[::1]:$p/up`;
	is($out, sha256_hex(substr($big, 0, 3 << 20)),
	    'curl: chunked 3 MiB upload intact');
	like(slurp("$dir/last-head"), qr/\r\nTransfer-Encoding: chunked\r\n/,
	    'curl: the backend got it chunked');
}

$d->stop_ok;
done_testing();
