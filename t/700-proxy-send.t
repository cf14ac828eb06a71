#!/usr/bin/perl
# send_proxy: every new backend connection starts with the PROXY header of
# its client, byte for byte as the specification has it (v1 text line, v2
# binary), in mode tcp and mode http, for an IPv6 client, an IPv4 client
# and an IPv4 client of a dual-stack listener (sent as TCP4).  In mode http
# a backend connection carrying a header is never used for another client.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use IO::Socket::IP;
use Socket qw(SHUT_WR inet_pton AF_INET AF_INET6);
use Test::More;

my $dir = tmpdir();
my $SIG2 = "\r\n\r\n\0\r\nQUIT\n";

# Reads one PROXY header (either version) from a socket, byte-exact.
sub read_pp {
	my ($c) = @_;
	my $h = '';
	sysread($c, $h, 1) or return undef;
	if ($h eq 'P') {
		while ($h !~ /\n\z/ && length($h) < 200) {
			sysread($c, my $b, 1) or return $h;
			$h .= $b;
		}
		return $h;
	}
	while (length($h) < 16) {
		sysread($c, my $b, 16 - length($h)) or return $h;
		$h .= $b;
	}
	my $len = unpack('n', substr($h, 14, 2));
	while (length($h) < 16 + $len) {
		sysread($c, my $b, 16 + $len - length($h)) or return $h;
		$h .= $b;
	}
	return $h;
}

# mode tcp: the backend stores everything of a connection, header included.
my $tcpbe = storing_backend($dir);
# mode http: the header, then HTTP requests answered on the same connection.
my $httpbe = start_backend(handler => sub {
	my ($c) = @_;
	my $pp = read_pp($c);
	write_file("$dir/pp.$$", $pp // '');
	my ($pending, $n) = ('', 0);
	while (defined(my $req = read_message($c, \$pending, 10))) {
		$n++;
		write_file("$dir/req.$$.$n.tmp", $req);
		rename("$dir/req.$$.$n.tmp", "$dir/req.$$.$n");
		send_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" .
		    "Connection: keep-alive\r\n\r\nok\n") or last;
	}
});

my %port = map { $_ => free_port() } qw(t1v6 t1v4 t1ds t2v6 t2v4 h1 h2);
my ($tb, $hb) = ($tcpbe->port, $httpbe->port);
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - { name: t1v6, bind: "[::1]:$port{t1v6}", backend: tv1 }
  - { name: t1v4, bind: "127.0.0.1:$port{t1v4}", backend: tv1 }
  - { name: t1ds, bind: "[::]:$port{t1ds}", v6only: false, backend: tv1 }
  - { name: t2v6, bind: "[::1]:$port{t2v6}", backend: tv2 }
  - { name: t2v4, bind: "127.0.0.1:$port{t2v4}", backend: tv2 }
  - name: h1
    bind: ["[::1]:$port{h1}", "127.0.0.1:$port{h1}"]
    mode: http
    backend: hv1
  - name: h2
    bind: ["[::1]:$port{h2}", "127.0.0.1:$port{h2}"]
    mode: http
    backend: hv2
backends:
  tv1: { servers: ["127.0.0.1:$tb"], send_proxy: v1 }
  tv2: { servers: ["127.0.0.1:$tb"], send_proxy: v2 }
  hv1: { servers: ["127.0.0.1:$hb"], send_proxy: v1 }
  hv2: { servers: ["127.0.0.1:$hb"], send_proxy: v2 }
EOF

sub v2 {
	my ($fam, $src, $dst, $sp, $dp) = @_;
	my $a = $fam == AF_INET ? "\x11" : "\x21";
	my $body = inet_pton($fam, $src) . inet_pton($fam, $dst) .
	    pack('nn', $sp, $dp);
	return $SIG2 . "\x21" . $a . pack('n', length($body)) . $body;
}

# mode tcp: client address, client port, listener, expected header.
my @tcp = (
	[ 'v1, IPv6 client', '::1', 't1v6', sub {
	    "PROXY TCP6 ::1 ::1 $_[0] $port{t1v6}\r\n" } ],
	[ 'v1, IPv4 client', '127.0.0.1', 't1v4', sub {
	    "PROXY TCP4 127.0.0.1 127.0.0.1 $_[0] $port{t1v4}\r\n" } ],
	[ 'v1, IPv4 client of a dual-stack listener', '127.0.0.1', 't1ds',
	    sub { "PROXY TCP4 127.0.0.1 127.0.0.1 $_[0] $port{t1ds}\r\n" } ],
	[ 'v2, IPv6 client', '::1', 't2v6', sub {
	    v2(AF_INET6, '::1', '::1', $_[0], $port{t2v6}) } ],
	[ 'v2, IPv4 client', '127.0.0.1', 't2v4', sub {
	    v2(AF_INET, '127.0.0.1', '127.0.0.1', $_[0], $port{t2v4}) } ],
);
for my $r (@tcp) {
	my ($name, $host, $ln, $want) = @$r;
	my $c = connect_tcp($host, $port{$ln}) or die "connect: $!";
	my $got = pump($c, "hello\n", 10);
	is($got, "bye\n", "tcp $name: relayed");
	my @seen = stored($dir);
	is(scalar(@seen), 1, "tcp $name: one backend connection");
	my $exp = $want->($c->sockport) . "hello\n";
	ok(defined $seen[0] && $seen[0] eq $exp,
	    "tcp $name: header then the client's bytes, exactly")
	    or diag(explain([$seen[0], $exp]));
}

# A client that sends first, before the backend connection is up: its
# bytes still come after the header.
{
	my $c = connect_tcp('::1', $port{t2v6}) or die;
	syswrite($c, "early\n");
	my $got = pump($c, "late\n", 10);
	my ($seen) = stored($dir);
	is($seen, v2(AF_INET6, '::1', '::1', $c->sockport, $port{t2v6}) .
	    "early\nlate\n", 'tcp v2: early client bytes follow the header');
}

sub pp_files {
	my ($want) = @_;
	my @f;
	wait_for(sub { @f = glob("$dir/pp.*"); @f >= $want }, 10);
	my %h = map { my ($p) = /pp\.(\d+)$/; ($p => slurp($_)) } @f;
	unlink(@f);
	return \%h;
}

# mode http: two clients, two requests each on a kept-alive connection.
for my $r ([ 'h1', 'v1' ], [ 'h2', 'v2' ]) {
	my ($ln, $v) = @$r;
	for my $host ('::1', '127.0.0.1') {
		my @c = map { connect_tcp($host, $port{$ln}) or die } 1 .. 2;
		my %pending;
		for my $round (1 .. 2) {
			for my $i (0, 1) {
				send_all($c[$i], "GET /$i/$round HTTP/1.1\r\n" .
				    "Host: h\r\n\r\n");
				my ($st) = read_response($c[$i],
				    \$pending{$i}, 10);
				is($st, 200, "http $v $host: client $i " .
				    "request $round answered");
			}
		}
		my $pp = pp_files(4);
		my @recs = records($dir, 4);
		is(scalar(@recs), 4, "http $v $host: four requests");
		my %conns = map { $_->[0] => 1 } @recs;
		is(scalar(keys %conns), 4, "http $v $host: each on a backend " .
		    "connection of its own (none reused across clients)");
		for my $rec (@recs) {
			my ($i) = $rec->[2] =~ m{^GET /(\d)/};
			my $cp = $c[$i]->sockport;
			my $fam = $host eq '::1' ? AF_INET6 : AF_INET;
			my $want = $v eq 'v1' ? sprintf("PROXY %s %s %s %d %d" .
			    "\r\n", $fam == AF_INET ? 'TCP4' : 'TCP6', $host,
			    $host, $cp, $port{$ln}) :
			    v2($fam, $host, $host, $cp, $port{$ln});
			ok(($pp->{$rec->[0]} // '') eq $want,
			    "http $v $host: header of client $i before its " .
			    "request") or diag(explain([$pp->{$rec->[0]},
			    $want]));
			like($rec->[2], qr/\r\nX-Forwarded-For: \Q$host\E\r\n/,
			    "http $v $host: X-Forwarded-For of client $i");
		}
	}
}

$d->stop_ok;
done_testing();
