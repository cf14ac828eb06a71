# TLS helpers for the t/8NN-tls-*.t tests: a test CA and certificates made
# with the openssl CLI, the certificate a TLS server presents, and a TLS
# backend that answers HTTP/1.1 with keep-alive.
package V6FTLS;

use strict;
use warnings;
use Exporter 'import';
use Digest::MD5 qw(md5_hex);
use IO::Socket::SSL;
use V6F;
use V6FHTTP;

our @EXPORT = qw(make_ca make_cert served_subject tls_backend big_body);

# Runs a command quietly; dies with its output if it fails.
sub run {
	my (@cmd) = @_;
	my $out = `@cmd 2>&1`;
	die "@cmd: $out" if $? != 0;
	return $out;
}

# A CA in DIR/NAME.pem and DIR/NAME.key.
sub make_ca {
	my ($dir, $name) = @_;
	run("openssl req -x509 -newkey rsa:2048 -nodes -days 3 " .
	    "-subj '/CN=v6front test $name' -keyout $dir/$name.key " .
	    "-out $dir/$name.pem");
	return "$dir/$name.pem";
}

# A certificate signed by CA for subject CN and subjectAltName SAN (like
# "DNS:a.test,IP:127.0.0.1"), valid for DAYS (negative: already expired):
# DIR/NAME.pem (leaf then CA: the chain) and DIR/NAME.key.
sub make_cert {
	my (%o) = @_;
	my ($dir, $name, $ca) = @o{qw(dir name ca)};
	my $days = $o{days} // 2;
	V6F::write_file("$dir/$name.ext", "[x]\nsubjectAltName=$o{san}\n");
	run("openssl req -newkey rsa:2048 -nodes -subj '/CN=$o{cn}' " .
	    "-keyout $dir/$name.key -out $dir/$name.csr");
	run("openssl x509 -req -in $dir/$name.csr -CA $dir/$ca.pem " .
	    "-CAkey $dir/$ca.key -CAcreateserial -days $days " .
	    "-extfile $dir/$name.ext -extensions x -out $dir/$name.leaf");
	V6F::write_file("$dir/$name.pem", V6F::slurp("$dir/$name.leaf") .
	    V6F::slurp("$dir/$ca.pem"));
	return ("$dir/$name.pem", "$dir/$name.key");
}

# The subject of the certificate a server on [::1]:PORT presents for SNI
# name (undef: none sent), as "CN = ...", or '' when the handshake failed.
sub served_subject {
	my ($port, $sni) = @_;
	my $opt = defined $sni ? "-servername $sni" : '-noservername';
	my $s = `openssl s_client -connect [::1]:$port $opt </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null`;
	$s =~ s/^subject=\s*//;
	chomp($s);
	return $s;
}

# 10 MiB of a fixed pattern.
sub big_body {
	return join('', map { chr(($_ * 7) & 0xff) } 0 .. 65535) x 160;
}

# A TLS backend on 127.0.0.1 with CERT/KEY: each request gets a 200 whose
# body tells the connection's process, its request number and the SNI the
# client sent ("conn=PID n=N sni=NAME"); GET /big gets big_body(), a POST
# the MD5 of its body ("md5=HEX").  Keeps connections alive.
sub tls_backend {
	my (%o) = @_;
	return start_backend(handler => sub {
		my ($c) = @_;
		my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
		    SSL_cert_file => $o{cert}, SSL_key_file => $o{key},
		    Timeout => 10) or return;
		my ($pending, $n) = ('', 0);
		while (defined(my $req = read_message($s, \$pending, 30))) {
			$n++;
			my $body = "conn=$$ n=$n sni=" .
			    ($s->get_servername // '') . "\n";
			my $i = index($req, "\r\n\r\n");
			if ($req =~ /^POST /) {
				$body = 'md5=' . md5_hex(substr($req, $i + 4));
			} elsif ($req =~ /^GET \/big /) {
				$body = big_body();
			}
			send_all($s, "HTTP/1.1 200 OK\r\nContent-Length: " .
			    length($body) . "\r\n\r\n$body") or last;
		}
		$s->close(SSL_fast_shutdown => 1);
	});
}

1;
