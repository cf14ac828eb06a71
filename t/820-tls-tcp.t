#!/usr/bin/perl
# TLS terminated on a mode tcp listener: bytes relayed both ways (10 MiB
# each way, half-close passed on), a backend that speaks first, SNI, the
# protocol in the access log, a bad handshake and a stalled one closed
# with a log line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FTLS;
use Digest::MD5 qw(md5_hex);
use IO::Socket::SSL;
use Socket qw(SHUT_WR);
use Test::More;
use Time::HiRes qw(time);

my $dir = tmpdir();
make_ca($dir, 'ca');
my ($acert, $akey) = make_cert(dir => $dir, name => 'a', ca => 'ca',
    cn => 'a.test', san => 'DNS:a.test');
my ($bcert, $bkey) = make_cert(dir => $dir, name => 'b', ca => 'ca',
    cn => 'b.test', san => 'DNS:b.test');

# Reads everything until EOF, then answers with the MD5 and length of it.
my $sum = start_backend(handler => sub {
	my ($c) = @_;
	my $all = '';
	while (sysread($c, my $b, 65536)) {
		$all .= $b;
	}
	send_all($c, 'md5=' . md5_hex($all) . ' len=' . length($all));
});
# Speaks first, then echoes one line in capitals and closes.
my $banner = start_backend(handler => sub {
	my ($c) = @_;
	send_all($c, "220 hello\r\n");
	my $line = '';
	while ($line !~ /\n/) {
		sysread($c, my $b, 100) or last;
		$line .= $b;
	}
	send_all($c, uc($line));
});

# Sends 10 MiB, then closes.
my $big = start_backend(handler => sub {
	my ($c) = @_;
	send_all($c, big_body());
});

my ($ps, $pb, $pg) = (free_port(), free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: sum
    bind: "[::1]:$ps"
    tls:
      certs:
        - { cert: $acert, key: $akey }
        - { cert: $bcert, key: $bkey }
    timeouts: { client_header: 1s }
    backend: { servers: ["127.0.0.1:${\ $sum->port}"] }
    access_log:
      path: $dir/access.log
      format: '%h %I %O %^xe %{SSL_PROTOCOL}x %{SSL_TLS_SNI}x'
  - name: banner
    bind: "[::1]:$pb"
    tls: { cert: $acert, key: $akey }
    backend: { servers: ["127.0.0.1:${\ $banner->port}"] }
  - name: big
    bind: "[::1]:$pg"
    tls: { cert: $acert, key: $akey }
    backend: { servers: ["127.0.0.1:${\ $big->port}"] }
EOF

sub tls_connect {
	my ($port, $name) = @_;
	my $s = IO::Socket::SSL->new(PeerHost => '::1', PeerPort => $port,
	    SSL_hostname => $name, SSL_ca_file => "$dir/ca.pem",
	    Timeout => 10) or die "ssl connect: $SSL_ERROR";
	return $s;
}

# 10 MiB up, written by a child while the parent waits for the answer
# after the half-close.
{
	my $big = big_body();
	my $c = tls_connect($ps, 'a.test');
	like($c->peer_certificate('subject'), qr/CN\s*=\s*a\.test$/,
	    'tcp+tls: certificate a');
	send_all($c, $big);
	# close_notify (TLS stays up for reading): the backend sees its
	# FIN, answers, and closes.
	Net::SSLeay::shutdown($c->_get_ssl_object);
	my $got = '';
	while (sysread($c, my $b, 65536)) {
		$got .= $b;
	}
	is($got, 'md5=' . md5_hex($big) . ' len=' . length($big),
	    'tcp+tls: 10 MiB up intact, close_notify passed on as FIN');
}
# 10 MiB down, read slowly at first so TLS writes meet a full socket.
{
	my $c = tls_connect($pg, 'a.test');
	select(undef, undef, undef, 0.5);
	my $got = '';
	while (sysread($c, my $b, 65536)) {
		$got .= $b;
	}
	is(length($got), 10485760, 'tcp+tls: 10 MiB down');
	is(md5_hex($got), md5_hex(big_body()), 'tcp+tls: 10 MiB down intact');
}

# SNI, and the answer to a small upload.
{
	my $c = tls_connect($ps, 'b.test');
	like($c->peer_certificate('subject'), qr/CN\s*=\s*b\.test$/,
	    'tcp+tls: SNI b.test picks certificate b');
	send_all($c, 'x' x 100);
	Net::SSLeay::shutdown($c->_get_ssl_object);
	my $got = '';
	while (sysread($c, my $b, 65536)) {
		$got .= $b;
	}
	is($got, 'md5=' . md5_hex('x' x 100) . ' len=100', 'small upload');
}

# A backend that speaks first: its banner reaches the client over TLS.
{
	my $c = tls_connect($pb, 'a.test');
	my $line = '';
	while ($line !~ /\n/) {
		sysread($c, my $b, 100) or last;
		$line .= $b;
	}
	is($line, "220 hello\r\n", 'server-first protocol: banner over TLS');
	send_all($c, "quit\r\n");
	my $got = '';
	while (sysread($c, my $b, 100)) {
		$got .= $b;
	}
	is($got, "QUIT\r\n", 'server-first protocol: answer');
}

# No ALPN on a tcp listener: a client asking for another protocol is
# served, with none negotiated.
{
	my $out = `openssl s_client -connect [::1]:$pb -servername a.test -alpn imap </dev/null 2>&1`;
	like($out, qr/^New, TLSv1\.3, Cipher is TLS_/m, 'ALPN imap: handshake done');
	like($out, qr/^No ALPN negotiated$/m, 'ALPN: none negotiated');
}

my $log = wait_for(sub {
	my $l = slurp("$dir/access.log");
	return $l =~ tr/\n// >= 2 ? $l : undef;
}, 10) // '';
like($log, qr/^::1 10485760 \d+ ok TLSv1\.3 a\.test$/m,
    'access log: bytes, TLS protocol and SNI');

# Plain bytes to the TLS port: closed, logged.
{
	my $from = length($d->log);
	my $c = connect_tcp('::1', $ps) or die;
	send_all($c, "GET / HTTP/1.0\r\n\r\n");
	my $t0 = time();
	read_all($c, 5);
	ok(time() - $t0 < 4, 'plain bytes: closed at once');
	ok($d->wait_log(qr/sum: \[::1\]:\d+ -> [\d.:]+: client TLS handshake failed: http request/,
	    10, $from), 'plain bytes: logged with the peer and reason');
}

# A handshake never begun: closed after client_header.
{
	my $from = length($d->log);
	my $c = connect_tcp('::1', $ps) or die;
	my $t0 = time();
	read_all($c, 8);
	my $took = time() - $t0;
	ok($took < 6, "stalled handshake closed after client_header ($took s)");
	ok($d->wait_log(qr/sum: \[::1\]:\d+: no TLS handshake within 1000 ms/,
	    10, $from), 'stalled handshake: logged');
}

$d->stop_ok('tls tcp');
done_testing();
