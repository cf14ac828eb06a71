#!/usr/bin/perl
# Broker endpoint update against a local HTTPS server with a certificate
# from a CA made here: good, nochg and badauth become the expected log
# lines with the right request and credentials; a failure is retried
# after the configured backoff, not at once; a certificate from another
# CA is refused before any request; a password file others may read stops
# the start; the password never reaches the log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FNet;
use Test::More;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);

plan skip_all => 'needs root for network namespaces' if $> != 0;
plan skip_all => 'needs IO::Socket::SSL (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };
plan skip_all => 'needs the openssl command'
    if system('openssl version >/dev/null 2>&1') != 0;

my $dir = V6F::tmpdir();
my $PW = 'pw-5ecret-4711';

sub sh {
	my ($cmd) = @_;
	my $out = qx{$cmd 2>&1};
	die "$cmd: $out" if $?;
}

# Two CAs, each with a server certificate for "localhost".
V6F::write_file('ext.cnf', "subjectAltName=DNS:localhost\n");
for my $ca ('ca', 'other') {
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    . " -nodes -keyout $dir/$ca.key -out $dir/$ca.pem -days 2"
	    . " -subj /CN=v6front-test-$ca"
	    . " -addext basicConstraints=critical,CA:TRUE"
	    . " -addext keyUsage=critical,keyCertSign,cRLSign");
	sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    . " -nodes -keyout $dir/$ca-srv.key -out $dir/$ca-srv.csr"
	    . " -subj /CN=localhost");
	sh("openssl x509 -req -in $dir/$ca-srv.csr -CA $dir/$ca.pem"
	    . " -CAkey $dir/$ca.key -CAcreateserial -out $dir/$ca-srv.pem"
	    . " -days 2 -extfile $dir/ext.cnf");
}
my $pwfile = V6F::write_file('broker.key', "$PW\n");
chmod(0600, $pwfile);

my $net = V6FNet->new;
$net->add_ns('host');
$net->ip('-n', $net->ns('host'), 'addr', 'add', '192.0.2.12/32', 'dev',
    'lo');

# The broker: answers each request with the body in $dir/answer, and
# records "time<TAB>request line<TAB>Authorization" per request.
sub broker {
	my ($port, $ca) = @_;
	my $rec = "$dir/req-$port";
	V6F::write_file("req-$port", '');
	$net->spawn('host', sub {
		my $srv = IO::Socket::SSL->new(LocalAddr => '127.0.0.1',
		    LocalPort => $port, Listen => 5, ReuseAddr => 1,
		    SSL_server => 1, SSL_cert_file => "$dir/$ca-srv.pem",
		    SSL_key_file => "$dir/$ca-srv.key")
		    or die "listen: " . IO::Socket::SSL::errstr();
		V6F::write_file("ready-$port", "1\n");
		for (;;) {
			my $c = $srv->accept or next;
			my ($line, $auth) = ('', '');
			while (defined(my $l = <$c>)) {
				$l =~ s/\r?\n$//;
				last if $l eq '';
				$line = $l if $line eq '';
				$auth = $1 if $l =~ /^Authorization: (.*)/i;
			}
			open(my $fh, '>>', $rec) or die;
			printf $fh "%.3f\t%s\t%s\n", time, $line, $auth;
			close($fh);
			my $body = V6F::slurp("$dir/answer");
			print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
			    . "\r\nContent-Length: " . length($body)
			    . "\r\n\r\n$body";
			$c->close(SSL_fast_shutdown => 1);
		}
	});
	V6F::wait_for(sub { -e "$dir/ready-$port" }, 10)
	    or die "the broker on $port did not start\n";
	return $rec;
}

sub requests {
	my ($rec) = @_;
	return [map { [split /\t/] } split /\n/, V6F::slurp($rec)];
}

sub yaml {
	my ($port, $host) = @_;
	$host //= 'localhost';
	my $t = V6FNet::host_tunnel(echo => '0s');
	$t =~ s/^  routes: .*\n//m;
	return "workers: 1\n" . $t
	    . "  update:\n"
	    . "    url: https://$host:$port/nic/update?hostname=123456\n"
	    . "    username: alice\n"
	    . "    password_file: $pwfile\n"
	    . "    interval: 1m\n"
	    . "    retry: 1s\n"
	    . "    myip: 203.0.113.7\n"
	    . "    ca_file: $dir/ca.pem\n";
}

my $rec = broker(8443, 'ca');
my $i = 0;

# Each row: the broker's answer, the log line expected.
my @rows = (
	[ "good 203.0.113.7\n",
	    'notice: tunnel he-ipv6: endpoint update: good 203.0.113.7' ],
	[ "nochg 203.0.113.7\n",
	    'info: tunnel he-ipv6: endpoint update: nochg 203.0.113.7' ],
	[ "nohost\n", 'err: tunnel he-ipv6: endpoint update: nohost (check '
	    . 'the tunnel id in url); retrying in 1s' ],
	[ "abuse\n", 'err: tunnel he-ipv6: endpoint update: abuse (the '
	    . 'broker blocked updates; retrying in 1m)' ],
	[ "-ERROR: This tunnel is already associated with this IP address."
	    . "\n", 'err: tunnel he-ipv6: endpoint update: -ERROR: This tunnel '
	    . 'is already associated with this IP address.; retrying in 1s' ],
	[ "badauth\n", 'err: tunnel he-ipv6: endpoint update: badauth '
	    . '(check username and password_file; HTTP 200); retrying in 1s' ],
);
my $logs = '';
for my $r (@rows) {
	my ($answer, $want) = @$r;
	(my $what = $answer) =~ s/\n//;
	V6F::write_file('answer', $answer);
	V6F::write_file('req-8443', '');
	my $d = $net->daemon('host', name => 'upd' . $i++,
	    yaml => yaml(8443)) or die "the daemon did not start\n";
	ok($d->wait_log(qr/\Q$want\E/, 10), "$what: logged") or
	    diag($d->log);
	my $q = requests($rec);
	is($q->[0][1], 'GET /nic/update?hostname=123456&myip=203.0.113.7 '
	    . 'HTTP/1.0', "$what: the request names the tunnel and myip");
	is($q->[0][2], 'Basic ' . encode_base64("alice:$PW", ''),
	    "$what: basic auth from username and password_file");
	if ($answer =~ /badauth/) {
		ok($d->wait_log(qr/retrying in 2s/, 10),
		    'badauth: retried, and the next wait doubled');
		$q = requests($rec);
		cmp_ok(scalar(@$q), '>=', 2, 'badauth: a second request');
		cmp_ok($q->[1][0] - $q->[0][0], '>=', 0.95,
		    'badauth: not before the first backoff step (1s)');
		cmp_ok(scalar(@$q), '<=', 3, 'badauth: no tight loop');
	} elsif ($want !~ /retrying in 1s/) {
		sleep(0.5);
		is(scalar(@{requests($rec)}), 1,
		    "$what: one request until the interval");
	}
	$d->stop_ok;
	$logs .= $d->log;
}

# A server whose certificate comes from another CA: refused in the
# handshake, so the request (and the password) never goes out.
my $rec2 = broker(8444, 'other');
V6F::write_file('answer', "good 203.0.113.7\n");
my $d = $net->daemon('host', name => 'badca', yaml => yaml(8444))
    or die "the daemon did not start\n";
ok($d->wait_log(qr/warning: tunnel he-ipv6: endpoint update: TLS: /
    . qr/certificate verify failed \(unable to get local issuer /
    . qr/certificate\); retrying in 1s/, 10), 'another CA: refused')
    or diag($d->log);
is(scalar(@{requests($rec2)}), 0, 'another CA: no request seen');
$d->stop_ok;
$logs .= $d->log;

# The right CA, but the URL names an address the certificate does not:
# the name check refuses it too.
V6F::write_file('req-8443', '');
$d = $net->daemon('host', name => 'badname', yaml => yaml(8443, '127.0.0.1'))
    or die "the daemon did not start\n";
ok($d->wait_log(qr/warning: tunnel he-ipv6: endpoint update: TLS: /
    . qr/certificate verify failed \(IP address mismatch\); retrying in 1s/,
    10), 'certificate for another name: refused') or diag($d->log);
is(scalar(@{requests($rec)}), 0, 'another name: no request seen');
$d->stop_ok;
$logs .= $d->log;

# A broker that accepts and then says nothing: the update waits in the
# handshake, and SIGTERM still ends the daemon at once, not after the
# 10 s I/O timeout.
V6F::write_file('silent', '');
$net->spawn('host', sub {
	my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => 8445, Listen => 5, ReuseAddr => 1) or die;
	V6F::write_file('silent', "1\n");
	my @held;
	while (my $c = $srv->accept) {
		push @held, $c;
	}
});
V6F::wait_for(sub { V6F::slurp("$dir/silent") ne '' }, 10)
    or die "the silent broker did not start\n";
$d = $net->daemon('host', name => 'silent', yaml => yaml(8445))
    or die "the daemon did not start\n";
sleep(1);
my $t0 = time;
$d->stop_ok;
cmp_ok(time - $t0, '<', 3, 'a hanging update does not delay the stop');
unlike($d->log, qr/endpoint update/, 'and logs nothing about it');
$logs .= $d->log;

# A password file the group may read: no start at all.
chmod(0640, $pwfile);
$d = $net->daemon('host', name => 'pwmode', yaml => yaml(8443),
    no_wait => 1);
is($d->wait_exit(20), 1 << 8, 'group-readable password_file: exit 1');
like($d->log, qr/ crit: tunnel he-ipv6: password_file \Q$pwfile\E: (?x)
    readable\ by\ group\ or\ others\ \(mode\ 0640\);\ chmod\ 600\ it$/m,
    'group-readable password_file: says so') or diag($d->log);
$logs .= $d->log;
chmod(0600, $pwfile);

unlike($logs, qr/\Q$PW\E/, 'the password is never logged');
my $b64 = encode_base64("alice:$PW", '');
unlike($logs, qr/\Q$b64\E/, 'nor the Authorization header');

done_testing();
