#!/usr/bin/perl
# TLS to backends: verified against a ca_file, SNI and hostname check from
# the server's host or from sni:, checked as an address for an IP literal;
# expired, wrong-name, unknown-CA and non-TLS servers refused with 502 and
# the reason in the daemon log; verify: false works and warns; pooled
# connections keep their TLS session; a bad ca_file is a -t error.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FTLS;
use Digest::MD5 qw(md5_hex);
use Test::More;

my $dir = tmpdir();
make_ca($dir, 'ca');
my ($gc, $gk) = make_cert(dir => $dir, name => 'good', ca => 'ca',
    cn => 'backend.test', san => 'DNS:backend.test,DNS:localhost,' .
    'IP:127.0.0.1');
my ($ec, $ek) = make_cert(dir => $dir, name => 'expired', ca => 'ca',
    cn => 'backend.test', san => 'DNS:backend.test', days => -1);
my ($wc, $wk) = make_cert(dir => $dir, name => 'wrong', ca => 'ca',
    cn => 'other.test', san => 'DNS:other.test');

my $good = tls_backend(cert => $gc, key => $gk);
my $expired = tls_backend(cert => $ec, key => $ek);
my $wrong = tls_backend(cert => $wc, key => $wk);
my $plain = start_backend(handler => sub {
	my ($c) = @_;
	my $pending = '';
	read_message($c, \$pending, 5);
	send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
});

# ---- -t: a ca_file that cannot be read ----
{
	my $y = write_file('check.yaml', <<"EOF");
listeners:
  - { name: a, bind: "[::1]:1", mode: http, backend: b }
backends:
  b:
    servers: ["127.0.0.1:1"]
    tls: { ca_file: $dir/none.pem }
EOF
	my $out = `${\ v6f_bin()} -t -c $y 2>&1`;
	is($? >> 8, 1, '-t: missing ca_file exits 1');
	like($out, qr/backend b: tls ca_file \Q$dir\E\/none\.pem: No such file/,
	    '-t: names the backend and the file');
}

my %port = map { $_ => free_port() } qw(sni byname ip expired wrong
    noverify system plain);
my $ca = "$dir/ca.pem";
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - { name: sni, bind: "[::1]:$port{sni}", mode: http, backend: sni }
  - { name: byname, bind: "[::1]:$port{byname}", mode: http, backend: byname }
  - { name: ip, bind: "[::1]:$port{ip}", mode: http, backend: ip }
  - { name: expired, bind: "[::1]:$port{expired}", mode: http, backend: expired }
  - { name: wrong, bind: "[::1]:$port{wrong}", mode: http, backend: wrong }
  - { name: noverify, bind: "[::1]:$port{noverify}", mode: http, backend: noverify }
  - { name: system, bind: "[::1]:$port{system}", mode: http, backend: system }
  - { name: plain, bind: "[::1]:$port{plain}", mode: http, backend: plain }
backends:
  sni:
    servers: ["127.0.0.1:${\ $good->port}"]
    tls: { ca_file: $ca, sni: backend.test }
  byname:
    servers: ["localhost:${\ $good->port}"]
    tls: { ca_file: $ca }
  ip:
    servers: ["127.0.0.1:${\ $good->port}"]
    tls: { ca_file: $ca }
  expired:
    servers: ["127.0.0.1:${\ $expired->port}"]
    tls: { ca_file: $ca, sni: backend.test }
  wrong:
    servers: ["127.0.0.1:${\ $wrong->port}"]
    tls: { ca_file: $ca, sni: backend.test }
  noverify:
    servers: ["127.0.0.1:${\ $wrong->port}"]
    tls: { verify: false, sni: backend.test }
  system:
    servers: ["127.0.0.1:${\ $good->port}"]
    tls: { sni: backend.test }
  plain:
    servers: ["127.0.0.1:${\ $plain->port}"]
    tls: { ca_file: $ca }
EOF

like($d->log, qr/warning: backend noverify: tls verify: false/,
    'verify: false: a warning at start');
unlike($d->log, qr/backend (sni|byname|ip): tls verify/,
    'no warning for verifying backends');

# One request on a new client connection: (status, body).
sub get {
	my ($name) = @_;
	my $c = connect_tcp('::1', $port{$name}) or die;
	send_all($c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	my $pending = '';
	my ($st, undef, $body) = read_response($c, \$pending, 15);
	return ($st // 0, $body // '');
}

my ($st, $body) = get('sni');
is($st, 200, 'sni: verified via ca_file');
like($body, qr/ sni=backend\.test$/m, 'sni: the configured name was sent');
my ($conn) = $body =~ /conn=(\d+)/;
($st, $body) = get('sni');
like($body, qr/^conn=\Q$conn\E n=2 /m,
    'next client: the pooled TLS connection answers its second request');

# 10 MiB each way through a verified TLS backend connection.
{
	my $big = big_body();
	my $out = `curl -sS --max-time 30 http://[::1]:$port{sni}/big -o $dir/got 2>&1`;
	is($?, 0, 'TLS backend: 10 MiB download') or diag($out);
	is(md5_hex(slurp("$dir/got")), md5_hex($big),
	    'TLS backend: 10 MiB arrived intact');
	write_file('up', $big);
	$out = `curl -sS --max-time 30 --data-binary \@$dir/up http://[::1]:$port{sni}/up 2>&1`;
	is($out, 'md5=' . md5_hex($big), 'TLS backend: 10 MiB upload intact');
}

($st, $body) = get('byname');
is($st, 200, 'byname: verified');
like($body, qr/ sni=localhost$/m, 'byname: SNI is the server host');

($st, $body) = get('ip');
is($st, 200, 'IP literal: verified against the IP address');
like($body, qr/ sni=$/m, 'IP literal: no SNI sent');

my @bad = (
    [ 'expired', qr/certificate verify failed: certificate has expired/ ],
    [ 'wrong', qr/certificate verify failed: hostname mismatch/ ],
    [ 'system', qr/certificate verify failed: (unable to get local issuer|self-signed certificate in certificate chain)/ ],
    [ 'plain', qr/TLS with 127\.0\.0\.1:\d+: (wrong version number|packet length too long|record layer failure)/ ],
);
for my $b (@bad) {
	my $from = length($d->log);
	($st) = get($b->[0]);
	is($st, 502, "$b->[0]: 502");
	ok($d->wait_log(qr/$b->[0]: \[::1\]:\d+: 502 .*$b->[1]/, 10, $from),
	    "$b->[0]: the reason in the daemon log") or diag($d->log);
}

($st, $body) = get('noverify');
is($st, 200, 'verify: false: a wrong-name certificate is taken');

# The warning comes again with every generation.
{
	my $from = length($d->log);
	$d->signal('HUP');
	ok($d->wait_log(qr/reloaded/, 10, $from), 'reloaded');
	like(substr($d->log, $from), qr/backend noverify: tls verify: false/,
	    'verify: false: a warning at reload');
}

$d->stop_ok('tls upstream');
done_testing();
