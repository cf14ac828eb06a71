#!/usr/bin/perl
# accept_proxy: a source in trust_forwarded_from must start with a PROXY
# header (v1 or v2); its address then is the client's in the access log,
# X-Forwarded-For, the ACL and a backend's own PROXY header.  A missing,
# malformed, truncated or slow header closes the connection with a log
# line naming the peer, and a source not trusted for headers that sends
# one is refused, while its plain requests are served.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use IO::Socket::IP;
use Socket qw(SHUT_WR inet_pton AF_INET AF_INET6);
use Time::HiRes qw(time sleep);
use Test::More;

my $dir = tmpdir();
my $SIG2 = "\r\n\r\n\0\r\nQUIT\n";

my $be = recording_backend(dir => $dir, reply => sub {
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});
my $tcpbe = storing_backend($dir);
my %port = map { $_ => free_port() } qw(web open tcp);
my ($bp, $tb) = ($be->port, $tcpbe->port);
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: web
    bind: ["[::1]:$port{web}", "127.0.0.1:$port{web}"]
    mode: http
    backend: be
    accept_proxy: true
    trust_forwarded_from: ["::1/128"]
    deny: ["198.51.100.0/24", "2001:db8:bad::/48"]
    timeouts: { client_header: 1s }
    access_log: { path: $dir/access.log, format: '%h %A "%r" %>s' }
  - name: tcp
    bind: "[::1]:$port{tcp}"
    backend: { servers: ["127.0.0.1:$tb"], send_proxy: v1 }
    accept_proxy: true
    trust_forwarded_from: ["::1/128"]
    deny: ["198.51.100.0/24"]
backends:
  be:
    servers: ["127.0.0.1:$bp"]
EOF

sub v2 {
	my ($cmd, $fam, $src, $dst, $sp, $dp, $tlv) = @_;
	my $body = '';
	$body = inet_pton($fam, $src) . inet_pton($fam, $dst) .
	    pack('nn', $sp, $dp) if defined $src;
	$body .= $tlv // '';
	my $fb = !defined $src ? "\x00" : $fam == AF_INET ? "\x11" : "\x21";
	return $SIG2 . chr(0x20 | $cmd) . $fb . pack('n', length($body)) .
	    $body;
}

my $REQ = "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";

# Sends bytes on a fresh connection from $host; returns (response, port).
sub raw {
	my ($host, $port, $bytes, $wait) = @_;
	my $c = connect_tcp($host, $port) or die "connect: $!";
	send_all($c, $bytes);
	return (read_all($c, $wait // 10), $c->sockport);
}

# Refusal lines are limited to one per second per address: tests that
# look for the line of each refusal from ::1 space them out.
sub next_second { sleep(1.05) }

# A refused connection reads nothing: EOF, or a reset when the daemon
# closed with our bytes unread.
sub no_answer { my ($got) = @_; return !defined $got || $got eq '' }

sub nrec { my @r = records($dir, 0, 0.5); return scalar(@r) }

# The access log from offset $alog_off on (what the last steps wrote).
my $alog_off = 0;
sub alog_lines {
	my $l = eval { slurp("$dir/access.log") } // '';
	return substr($l, $alog_off < length($l) ? $alog_off : length($l));
}
sub alog_mark { $alog_off = length(eval { slurp("$dir/access.log") } // '') }

# Honoured headers: what the backend and the access log show.
my @ok = (
	[ 'v1 TCP4', "PROXY TCP4 192.0.2.10 192.0.2.1 5555 80\r\n",
	    '192.0.2.10', '192.0.2.1' ],
	[ 'v1 TCP6', "PROXY TCP6 2001:db8::77 2001:db8::1 5555 80\r\n",
	    '2001:db8::77', '2001:db8::1' ],
	[ 'v1 UNKNOWN keeps the real peer', "PROXY UNKNOWN\r\n", '::1',
	    '::1' ],
	[ 'v2 TCP over IPv4', v2(1, AF_INET, '192.0.2.20', '192.0.2.1', 4444,
	    80), '192.0.2.20', '192.0.2.1' ],
	[ 'v2 TCP over IPv6 with a TLV', v2(1, AF_INET6, '2001:db8:1::9',
	    '2001:db8::1', 4444, 443, "\x04\x00\x03abc"), '2001:db8:1::9',
	    '2001:db8::1' ],
	[ 'v2 LOCAL keeps the real peer', v2(0, AF_INET6), '::1', '::1' ],
);
for my $r (@ok) {
	my ($name, $hdr, $addr, $dst) = @$r;
	alog_mark();
	my ($resp) = raw('::1', $port{web}, $hdr . $REQ);
	like($resp // '', qr{^HTTP/1\.1 200 }, "$name: answered");
	my ($rec) = records($dir, 1);
	like($rec ? $rec->[2] : '', qr/\r\nX-Forwarded-For: \Q$addr\E\r\n/,
	    "$name: X-Forwarded-For is $addr");
	ok(wait_for(sub { alog_lines() =~ /^\Q$addr $dst\E "GET \/x HTTP\/1.1" 200$/m }, 5),
	    "$name: access log %h %A are $addr $dst") or diag(alog_lines());
}

# Refused headers from a trusted source: closed, no answer, a log line.
my @bad = (
	[ 'no header', $REQ, 'not a PROXY protocol header' ],
	[ 'v1 missing fields', "PROXY TCP4 192.0.2.1\r\n$REQ",
	    'v1: expected 6 fields' ],
	[ 'v1 bad address', "PROXY TCP4 192.0.2.300 192.0.2.1 1 2\r\n$REQ",
	    'v1: bad source address' ],
	[ 'v1 too long', "PROXY UNKNOWN " . ('x' x 120) . "\r\n$REQ",
	    'v1: line longer than 107 bytes' ],
	[ 'v2 version 1', "$SIG2\x11\x11\x00\x0c" . ("\0" x 12) . $REQ,
	    'v2: version not 2' ],
	[ 'v2 over the length bound', "$SIG2\x21\x11\x40\x00" . ("\0" x 64),
	    'v2: header longer than we take' ],
	[ 'truncated v1', "PROXY TCP4 192.0.2.1 ", 'closed inside it' ],
	[ 'truncated v2', "$SIG2\x21\x11\x00\x0c\xc0", 'closed inside it' ],
);
for my $r (@bad) {
	my ($name, $bytes, $why) = @$r;
	next_second();
	my $c = connect_tcp('::1', $port{web}) or die;
	send_all($c, $bytes);
	shutdown($c, SHUT_WR) if $name =~ /truncated/;
	my $got = read_all($c, 10);
	my $peer = "[::1]:" . $c->sockport;
	ok(no_answer($got), "$name: closed without an answer");
	ok($d->wait_log(qr/\Q$peer\E: PROXY header refused: \Q$why\E; closed/),
	    "$name: logged with the peer ($why)");
}
is(nrec(), 0, 'no refused connection reached the backend');

# A header that does not come in time.
{
	next_second();
	my $c = connect_tcp('::1', $port{web}) or die;
	send_all($c, "PROXY TCP4 ");
	my $t0 = time();
	my $got = read_all($c, 10);
	ok(no_answer($got) && time() - $t0 < 9,
	    'slow header: closed after client_header');
	my $peer = "[::1]:" . $c->sockport;
	ok($d->wait_log(qr/\Q$peer\E: PROXY header refused: incomplete within client_header/),
	    'slow header: logged');
	next_second();
	my $c2 = connect_tcp('::1', $port{web}) or die;
	$got = read_all($c2, 10);
	ok(no_answer($got), 'no header at all: closed too');
	$peer = "[::1]:" . $c2->sockport;
	ok($d->wait_log(qr/\Q$peer\E: PROXY header refused: none within client_header/),
	    'no header at all: logged');
}

# A header trickled a byte at a time: the limit is for the whole header.
{
	next_second();
	my $c = connect_tcp('::1', $port{web}) or die;
	my $t0 = time();
	my $closed = 0;
	$SIG{PIPE} = 'IGNORE';
	for my $b (split //, "PROXY TCP4 192.0.2.1 192.0.2.2 1111 80") {
		my $rin = '';
		vec($rin, fileno($c), 1) = 1;
		if (select(my $r = $rin, undef, undef, 0.3) > 0) {
			$closed = 1;
			last;
		}
		last unless defined syswrite($c, $b);
	}
	ok($closed && time() - $t0 < 6,
	    'trickled header: closed after client_header, not per byte');
	my $peer = "[::1]:" . $c->sockport;
	ok($d->wait_log(qr/\Q$peer\E: PROXY header refused: incomplete within client_header/),
	    'trickled header: logged');
}

# 127.0.0.1 is not trusted: plain requests are served, headers refused.
{
	my ($resp, $cp) = raw('127.0.0.1', $port{web}, $REQ);
	like($resp // '', qr{^HTTP/1\.1 200 }, 'untrusted source: plain request served');
	my ($rec) = records($dir, 1);
	like($rec ? $rec->[2] : '', qr/\r\nX-Forwarded-For: 127\.0\.0\.1\r\n/,
	    'untrusted source: its own address');
	($resp, $cp) = raw('127.0.0.1', $port{web},
	    "PROXY TCP4 192.0.2.10 192.0.2.1 5555 80\r\n$REQ");
	ok(no_answer($resp), 'untrusted source sending a v1 header: closed, no answer');
	ok($d->wait_log(qr/127\.0\.0\.1:$cp: PROXY header from a source not trusted for one; closed/),
	    'untrusted source sending a header: logged with its address');
	($resp, $cp) = raw('127.0.0.1', $port{web},
	    v2(1, AF_INET, '192.0.2.10', '192.0.2.1', 1, 2) . $REQ);
	ok(no_answer($resp), 'untrusted source sending a v2 header: closed');
	is(nrec(), 0, 'nothing of them reached the backend');
}

# The ACL on the header's address: http answers 403, tcp closes.
{
	alog_mark();
	my ($resp) = raw('::1', $port{web},
	    "PROXY TCP4 198.51.100.7 192.0.2.1 5555 80\r\n$REQ");
	like($resp // '', qr{^HTTP/1\.1 403 }, 'denied header address: 403');
	ok($d->wait_log(qr/web: 198\.51\.100\.7:5555: denied by the ACL; 403/),
	    'denied header address: logged with that address');
	($resp) = raw('::1', $port{web},
	    v2(1, AF_INET6, '2001:db8:bad::1', '2001:db8::1', 7, 80) . $REQ);
	like($resp // '', qr{^HTTP/1\.1 403 }, 'denied IPv6 header address: 403');
	ok(wait_for(sub { alog_lines() =~ /^2001:db8:bad::1 2001:db8::1 "GET \/x HTTP\/1.1" 403$/m }, 5),
	    'the 403 is in the access log under the header address');
	is(nrec(), 0, 'the backend saw none of them');

	my $c = connect_tcp('::1', $port{tcp}) or die;
	send_all($c, "PROXY TCP4 198.51.100.8 192.0.2.1 5555 22\r\nhello\n");
	ok(no_answer(read_all($c, 10)), 'tcp: denied header address closed');
	ok($d->wait_log(qr/tcp: 198\.51\.100\.8:5555: denied by the ACL; closed/),
	    'tcp: logged with the header address');
}

# mode tcp: the header's addresses go on in the backend's own header.
{
	my $c = connect_tcp('::1', $port{tcp}) or die;
	my $got = pump($c, "PROXY TCP6 2001:db8::5 2001:db8::1 1234 22\r\nhello\n",
	    10);
	is($got, "bye\n", 'tcp: relayed after the header');
	is((stored($dir))[0],
	    "PROXY TCP6 2001:db8::5 2001:db8::1 1234 22\r\nhello\n",
	    'tcp: send_proxy passes the received client and destination on');
}

$d->stop_ok;
done_testing();
