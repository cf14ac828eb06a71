#!/usr/bin/perl
# The PROXY protocol around TLS: a header towards a TLS backend goes in
# clear before the handshake, and on a TLS listener with accept_proxy the
# balancer's header comes before the client's ClientHello; both modes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FTLS;
use IO::Socket::SSL;
use Socket qw(inet_pton AF_INET6);
use Test::More;

my $dir = tmpdir();
make_ca($dir, 'ca');
my ($bc, $bk) = make_cert(dir => $dir, name => 'be', ca => 'ca',
    cn => 'backend.test', san => 'DNS:backend.test');
my ($fc, $fk) = make_cert(dir => $dir, name => 'front', ca => 'ca',
    cn => 'front.test', san => 'DNS:front.test');
my $SIG2 = "\r\n\r\n\0\r\nQUIT\n";

# A TLS backend behind a PROXY header: stores the header it read in clear,
# then speaks HTTP over TLS.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $h = '';
	while (length($h) < 16) {
		sysread($c, my $b, 16 - length($h)) or return;
		$h .= $b;
	}
	my $len = unpack('n', substr($h, 14, 2));
	while (length($h) < 16 + $len) {
		sysread($c, my $b, 16 + $len - length($h)) or return;
		$h .= $b;
	}
	write_file("$dir/pp.$$", $h);
	my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
	    SSL_cert_file => $bc, SSL_key_file => $bk, Timeout => 10)
	    or return;
	my $pending = '';
	my $req = read_message($s, \$pending, 10) // return;
	write_file("$dir/treq.$$", $req);
	send_all($s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" .
	    "Connection: close\r\n\r\nok\n");
	$s->close(SSL_fast_shutdown => 1);
});
# A plain backend for the TLS listeners: records what it gets.
my $plain = recording_backend(dir => $dir, reply => sub {
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});
my $echo = storing_backend($dir);

my %port = map { $_ => free_port() } qw(up front tfront);
my ($bp, $pp, $ep) = ($be->port, $plain->port, $echo->port);
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: up
    bind: "[::1]:$port{up}"
    mode: http
    backend:
      servers: ["127.0.0.1:$bp"]
      send_proxy: v2
      tls: { ca_file: $dir/ca.pem, sni: backend.test }
  - name: front
    bind: "[::1]:$port{front}"
    mode: http
    tls: { cert: $fc, key: $fk }
    accept_proxy: true
    trust_forwarded_from: ["::1/128"]
    backend: { servers: ["127.0.0.1:$pp"] }
  - name: tfront
    bind: "[::1]:$port{tfront}"
    tls: { cert: $fc, key: $fk }
    accept_proxy: true
    trust_forwarded_from: ["::1/128"]
    backend: { servers: ["127.0.0.1:$ep"], send_proxy: v1 }
EOF

# send_proxy to a TLS backend.
{
	my $c = connect_tcp('::1', $port{up}) or die;
	send_all($c, "GET /t HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	my $pending = '';
	my ($st) = read_response($c, \$pending, 10);
	is($st, 200, 'TLS backend behind send_proxy: answered');
	my @f;
	wait_for(sub { @f = glob("$dir/pp.*"); @f }, 5);
	my $want = $SIG2 . "\x21\x21\x00\x24" . inet_pton(AF_INET6, '::1') x 2 .
	    pack('nn', $c->sockport, $port{up});
	ok(@f && slurp($f[0]) eq $want,
	    'the v2 header came in clear before the handshake, exactly');
	my @r = glob("$dir/treq.*");
	like(@r ? slurp($r[0]) : '', qr{^GET /t HTTP/1\.1\r\n},
	    'the request went inside TLS after it');
}

# A TLS client behind a balancer's PROXY header.
sub tls_after_header {
	my ($port, $hdr) = @_;
	my $c = connect_tcp('::1', $port) or die;
	send_all($c, $hdr);
	my $s = IO::Socket::SSL->start_SSL($c, SSL_ca_file => "$dir/ca.pem",
	    SSL_hostname => 'front.test', Timeout => 10);
	return $s;
}
{
	my $s = tls_after_header($port{front},
	    "PROXY TCP6 2001:db8::42 2001:db8::1 4242 443\r\n");
	ok($s, 'TLS handshake after the PROXY header') or
	    diag($IO::Socket::SSL::SSL_ERROR);
	if ($s) {
		send_all($s, "GET / HTTP/1.1\r\nHost: h\r\n" .
		    "Connection: close\r\n\r\n");
		my $pending = '';
		my ($st) = read_response($s, \$pending, 10);
		is($st, 200, 'https request behind the header answered');
		my ($rec) = records($dir, 1);
		like($rec ? $rec->[2] : '',
		    qr/\r\nX-Forwarded-For: 2001:db8::42\r\n/,
		    'X-Forwarded-For is the header address');
	}
	$s = tls_after_header($port{tfront},
	    "PROXY TCP6 2001:db8::43 2001:db8::1 4343 22\r\n");
	ok($s, 'tcp: TLS handshake after the PROXY header');
	if ($s) {
		send_all($s, "hello\n");
		$s->shutdown(1);
		my $got = read_all($s, 10);
		is($got, "bye\n", 'tcp: relayed');
		is((stored($dir))[0],
		    "PROXY TCP6 2001:db8::43 2001:db8::1 4343 22\r\nhello\n",
		    'tcp: the decrypted bytes after the header address');
	}
}

$d->stop_ok;
done_testing();
