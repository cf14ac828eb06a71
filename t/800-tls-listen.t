#!/usr/bin/perl
# TLS termination on an http listener: curl over IPv6 with the test CA,
# keep-alive, 10 MiB both ways, the certificate chosen by SNI, ALPN
# http/1.1 only, TLS 1.1 refused, X-Forwarded-Proto https, the protocol
# and cipher in the access log, garbage and slow handshakes closed with a
# log line, and certificates swapped by SIGHUP without dropping a
# connection (a bad one keeps the old serving).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FTLS;
use Digest::MD5 qw(md5_hex);
use IO::Socket::SSL;
use Test::More;
use Time::HiRes qw(time sleep);

my $dir = tmpdir();
make_ca($dir, 'ca');
my ($acert, $akey) = make_cert(dir => $dir, name => 'a', ca => 'ca',
    cn => 'a.test', san => 'DNS:a.test');
my ($bcert, $bkey) = make_cert(dir => $dir, name => 'b', ca => 'ca',
    cn => 'b.test', san => 'DNS:b.test,DNS:*.wild.test');
my ($a2cert, $a2key) = make_cert(dir => $dir, name => 'a2', ca => 'ca',
    cn => 'a.test renewed', san => 'DNS:a.test');

# ---- v6front -t: certificate problems name the file ----
{
	my $bad = write_file('bad.pem', "not a certificate\n");
	my @rows = (
	    [ "$dir/none.pem", $akey, qr/tls cert \Q$dir\E\/none\.pem: No such file/ ],
	    [ $bad, $akey, qr/tls cert \Q$bad\E: / ],
	    [ $acert, $bkey, qr/tls key \Q$bkey\E does not match cert \Q$acert\E/ ],
	);
	for my $r (@rows) {
		my $y = write_file('check.yaml', <<"EOF");
listeners:
  - name: web
    bind: "[::1]:1"
    mode: http
    tls: { cert: $r->[0], key: $r->[1] }
    backend: { builtin: status }
EOF
		my $out = `${\ v6f_bin()} -t -c $y 2>&1`;
		is($? >> 8, 1, "-t: bad cert/key exits 1");
		like($out, qr/^\Q$y\E: listener web: /, '-t: names the listener');
		like($out, $r->[2], '-t: names the file and the reason');
	}
}

# A plain backend: /big is 10 MiB, a POST gets the MD5 of its body, any
# other request its path and X-Forwarded-Proto.
my $big = big_body();
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $pending = '';
	while (defined(my $req = read_message($c, \$pending, 30))) {
		my ($m, $path) = $req =~ /^(\S+) (\S+)/;
		my ($xfp) = $req =~ /\r\nX-Forwarded-Proto: ([^\r]*)/i;
		my ($fwd) = $req =~ /\r\nForwarded: ([^\r]*)/i;
		my $body;
		if ($req =~ /\r\nUpgrade: echo\r\n/i) {
			# After the 101: one message echoed in capitals, then
			# the backend closes.
			send_all($c, "HTTP/1.1 101 Switching Protocols\r\n" .
			    "Upgrade: echo\r\nConnection: Upgrade\r\n\r\n");
			while (length($pending) < 5) {
				sysread($c, my $b, 100) or last;
				$pending .= $b;
			}
			send_all($c, uc($pending));
			last;
		}
		if ($m eq 'POST') {
			my $i = index($req, "\r\n\r\n");
			$body = 'md5=' . md5_hex(substr($req, $i + 4));
		} elsif ($path eq '/big') {
			$body = $big;
		} else {
			$body = "path=$path xfp=" . ($xfp // '-') . " fwd=" .
			    ($fwd // '-') . "\n";
		}
		send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: " .
		    length($body) . "\r\n\r\n$body") or last;
	}
});

my ($p, $pj) = (free_port(), free_port());
my $yaml = sub {
	my ($first, $fkey) = @_;
	return <<"EOF";
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p"
    mode: http
    timeouts: { client_header: 1s }
    forwarded: { forwarded: true }
    tls:
      certs:
        - { cert: $first, key: $fkey }
        - { cert: $bcert, key: $bkey }
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log:
      path: $dir/access.log
      format: '%h "%r" %>s %{SSL_PROTOCOL}x %{SSL_CIPHER}x %{SSL_TLS_SNI}x %{SSL_CLIENT_S_DN}x'
  - name: json
    bind: "[::1]:$pj"
    mode: http
    tls: { cert: $bcert, key: $bkey }
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log: { path: $dir/json.log, format: json }
EOF
};
my $d = start_daemon(yaml => $yaml->($acert, $akey)) or BAIL_OUT('no daemon');
my $curl = "curl -sS --max-time 20 --cacert $dir/ca.pem " .
    "--resolve a.test:${p}:[::1] --resolve b.test:${p}:[::1]";

# ---- curl over IPv6, keep-alive, X-Forwarded-Proto ----
{
	my $out = `$curl -v https://a.test:$p/x https://a.test:$p/y 2>&1`;
	is($?, 0, 'curl https over [::1]: ok') or diag($out);
	like($out, qr/^path=\/x xfp=https fwd=for="\[::1\]:\d+";proto=https$/m,
	    'first answer, X-Forwarded-Proto and Forwarded say https');
	like($out, qr/^path=\/y xfp=https/m, 'second answer');
	like($out, qr/Re-using existing connection/i, 'keep-alive over TLS');
	like($out, qr/ALPN.*accepted http\/1\.1|ALPN: server accepted http\/1\.1/i,
	    'curl: ALPN http/1.1');
	my $log = wait_for(sub {
		my $l = slurp("$dir/access.log");
		return $l =~ tr/\n// >= 2 ? $l : undef;
	}, 10) // '';
	like($log, qr{^::1 "GET /x HTTP/1\.1" 200 TLSv1\.3 TLS_\w+ a\.test -$}m,
	    'access log: protocol, cipher, SNI; other variables "-"');
}

# ---- json: the same three ----
{
	my $out = `$curl --resolve b.test:${pj}:[::1] https://b.test:$pj/j 2>&1`;
	like($out, qr/^path=\/j xfp=https/, 'a second TLS listener');
	my $log = wait_for(sub { slurp("$dir/json.log") || undef }, 10) // '';
	like($log, qr/"end":"ok","tls_protocol":"TLSv1\.3","tls_cipher":"TLS_\w+","tls_sni":"b\.test"\}$/m,
	    'json access log: tls_protocol, tls_cipher, tls_sni');
}

# ---- 10 MiB both ways ----
{
	my $out = `$curl https://a.test:$p/big -o $dir/got 2>&1`;
	is($?, 0, 'curl: 10 MiB download') or diag($out);
	is(md5_hex(slurp("$dir/got")), md5_hex($big), '10 MiB arrived intact');
	write_file('up', $big);
	$out = `$curl --data-binary \@$dir/up -H 'Content-Type: x/y' https://a.test:$p/up 2>&1`;
	is($out, 'md5=' . md5_hex($big), '10 MiB upload arrived intact');
}

# ---- an upgraded connection over TLS: relayed, then closed cleanly ----
{
	my $c = IO::Socket::SSL->new(PeerHost => '::1', PeerPort => $p,
	    SSL_hostname => 'a.test', SSL_ca_file => "$dir/ca.pem",
	    Timeout => 10) or die "ssl connect: $SSL_ERROR";
	send_all($c, "GET /u HTTP/1.1\r\nHost: a.test\r\nUpgrade: echo\r\n" .
	    "Connection: Upgrade\r\n\r\n");
	my $pending = '';
	my ($st) = read_response($c, \$pending, 10, 'HEAD');
	is($st, 101, 'upgrade over TLS: 101');
	send_all($c, 'hello');
	my $got = $pending;
	while (1) {
		my $n = sysread($c, my $b, 100);
		last unless $n;
		$got .= $b;
	}
	is($got, 'HELLO', 'upgrade over TLS: relayed both ways, then the end');
	close($c);
}

# ---- SNI ----
is(served_subject($p, 'a.test'), 'CN = a.test', 'SNI a.test: a');
is(served_subject($p, 'b.test'), 'CN = b.test', 'SNI b.test: b');
is(served_subject($p, 'B.TEST'), 'CN = b.test', 'SNI is case-insensitive');
is(served_subject($p, 'x.wild.test'), 'CN = b.test', 'SNI *.wild.test: b');
is(served_subject($p, 'x.y.wild.test'), 'CN = a.test',
    'a wildcard covers one label only: the default');
is(served_subject($p, 'unknown.test'), 'CN = a.test', 'unknown name: default');
is(served_subject($p, undef), 'CN = a.test', 'no SNI: default');

# ---- ALPN, protocol versions ----
{
	my $out = `echo | openssl s_client -connect [::1]:$p -servername a.test -alpn h2,http/1.1 2>&1`;
	like($out, qr/^ALPN protocol: http\/1\.1$/m, 'ALPN: http/1.1 chosen over h2');
	$out = `echo | openssl s_client -connect [::1]:$p -servername a.test -alpn h2 2>&1`;
	like($out, qr/no application protocol/, 'ALPN h2 only: refused');
	$out = `echo | openssl s_client -connect [::1]:$p -servername a.test -tls1_2 2>&1`;
	like($out, qr/Protocol\s*: TLSv1\.2/, 'TLS 1.2 accepted');
	my $from = length($d->log);
	# The client's own floor is lowered, so only the server can refuse.
	$out = `echo | openssl s_client -connect [::1]:$p -tls1_1 -cipher 'DEFAULT:\@SECLEVEL=0' 2>&1`;
	like($out, qr/alert protocol version/, 'TLS 1.1 refused');
	ok($d->wait_log(qr/web: \[::1\]:\d+: TLS handshake failed: unsupported protocol/,
	    10, $from), 'TLS 1.1: logged with the peer');
}

# ---- garbage, plain HTTP, slow handshakes ----
{
	my $from = length($d->log);
	my $c = connect_tcp('::1', $p) or die;
	send_all($c, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
	my $t0 = time();
	my $got = read_all($c, 5);
	ok(time() - $t0 < 4, 'plain HTTP to TLS: closed at once');
	unlike($got // '', qr/HTTP\/1/, 'no plain-text answer');
	ok($d->wait_log(qr/\[::1\]:\d+: TLS handshake failed: http request/, 10,
	    $from), 'plain HTTP: logged');

	$c = connect_tcp('::1', $p) or die;
	send_all($c, join('', map { chr(int(rand(256))) } 1 .. 3000));
	$got = read_all($c, 5);
	ok(defined $got || 1, 'garbage: connection ended');
	ok($d->wait_log(qr/TLS handshake failed: \S/, 10, $from),
	    'garbage: logged');

	# A handshake that stalls after half a record, and one never begun.
	$from = length($d->log);
	my $s1 = connect_tcp('::1', $p) or die;
	send_all($s1, "\x16\x03\x01\x02\x00\x01");
	my $s2 = connect_tcp('::1', $p) or die;
	$t0 = time();
	read_all($s1, 8);
	read_all($s2, 8);
	my $took = time() - $t0;
	ok($took < 6, "stalled handshakes closed after client_header ($took s)");
	ok($d->wait_log(qr/no TLS handshake within 1000 ms/, 10, $from),
	    'stalled handshake: logged');
}

# ---- SIGHUP: a new certificate, an open connection survives ----
{
	my $keep = IO::Socket::SSL->new(PeerHost => '::1', PeerPort => $p,
	    SSL_hostname => 'a.test', SSL_ca_file => "$dir/ca.pem",
	    Timeout => 10) or die "ssl connect: $SSL_ERROR";
	my $pending = '';
	send_all($keep, "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n");
	my ($st, undef, $body) = read_response($keep, \$pending, 10);
	is($st, 200, 'open connection: first request');
	like($keep->peer_certificate('subject'), qr/CN\s*=\s*a\.test$/,
	    'open connection: old certificate');

	my $from = length($d->log);
	$d->rewrite($yaml->($a2cert, $a2key));
	$d->signal('HUP');
	ok($d->wait_log(qr/reloaded/, 10, $from), 'SIGHUP: reloaded');
	is(served_subject($p, 'a.test'), 'CN = a.test renewed',
	    'new connection: new certificate');
	is(served_subject($p, 'b.test'), 'CN = b.test', 'b still served');
	send_all($keep, "GET /two HTTP/1.1\r\nHost: a.test\r\n\r\n");
	($st, undef, $body) = read_response($keep, \$pending, 10);
	is($st, 200, 'open connection: works after the reload');
	like($body // '', qr/^path=\/two /, 'open connection: its answer');

	# A broken certificate fails the reload; the last good one serves on.
	$from = length($d->log);
	write_file('broken.pem', "-----BEGIN CERTIFICATE-----\nAAAA\n" .
	    "-----END CERTIFICATE-----\n");
	$d->rewrite($yaml->("$dir/broken.pem", $a2key));
	$d->signal('HUP');
	ok($d->wait_log(qr/listener web: tls cert \Q$dir\E\/broken\.pem: .*reload failed/,
	    10, $from), 'bad certificate: reload fails naming the file');
	is(served_subject($p, 'a.test'), 'CN = a.test renewed',
	    'bad certificate: the old one still serves');
	send_all($keep, "GET /three HTTP/1.1\r\nHost: a.test\r\n\r\n");
	($st) = read_response($keep, \$pending, 10);
	is($st, 200, 'open connection: still works');
	close($keep);
}

$d->stop_ok('tls listener');
done_testing();
