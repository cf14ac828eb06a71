#!/usr/bin/perl
# The combined lines of mode http are read by an existing log tool:
# goaccess counts every request as valid and no line as failed, including
# IPv6 and IPv4 clients, keep-alive, a 404, and User-Agent and Referer
# values with quotes, backslashes and bytes >= 0x80.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use JSON::PP;
use Test::More;

my $ga = `command -v goaccess 2>/dev/null`;
chomp($ga);
plan(skip_all => 'goaccess not installed (make deps installs it)')
    unless $ga;

my $dir = tmpdir();
my $be = recording_backend(dir => $dir, reply => sub {
	my ($req) = @_;
	return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	    if $req =~ m{^GET /missing };
	return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
});
my $port = free_port();
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: web
    bind: ["[::1]:$port", "127.0.0.1:$port"]
    mode: http
    backend: { servers: ["127.0.0.1:${\ $be->port}"] }
    access_log: { path: $dir/access.log, format: combined }
EOF

# 20 connections of 10 requests each, half over IPv4.
my ($conns, $per) = (20, 10);
my $n = $conns * $per;
my $answered = 0;
for my $c (1 .. $conns) {
	my $s = connect_tcp($c % 2 ? '::1' : '127.0.0.1', $port)
	    or die "connect: $!";
	my $pending = '';
	for my $i (1 .. $per) {
		my $path = $i == 5 ? '/missing' : "/page/$c/$i?x=$i&y=\"";
		$path =~ s/"/%22/g;
		my $ua = $i == 3 ? "Odd \"agent\" \\ \xc3\xa9\xff/1.0" :
		    "Mozilla/5.0 (X11; Linux x86_64) test/$c";
		my $ref = $i == 4 ? "http://ref.example/\"q\"\\" : '-';
		send_all($s, "GET $path HTTP/1.1\r\nHost: www.example\r\n" .
		    "User-Agent: $ua\r\n" .
		    ($ref ne '-' ? "Referer: $ref\r\n" : '') .
		    ($i == $per ? "Connection: close\r\n" : '') . "\r\n");
		my ($st) = read_response($s, \$pending, 10);
		$answered++ if defined $st;
	}
}
is($answered, $n, "$n requests answered");

my $log = "$dir/access.log";
my $lines = wait_for(sub {
	my $t = slurp($log) // '';
	my $k = () = $t =~ /\n/g;
	return $k >= $n ? $k : 0;
}, 15);
is($lines, $n, "$n lines in the access log");

my $out = "$dir/goaccess.json";
my $msg = `$ga $log --log-format=COMBINED --no-global-config -o $out 2>&1`;
is($? >> 8, 0, 'goaccess exits 0') or diag($msg);
my $j = eval { decode_json(slurp($out) // '') } // {};
my $g = $j->{general} // {};
is($g->{total_requests}, $n, "goaccess: total_requests $n");
is($g->{valid_requests}, $n, "goaccess: valid_requests $n");
is($g->{failed_requests}, 0, 'goaccess: failed_requests 0')
    or diag(slurp($log));
diag("goaccess: total $g->{total_requests}, valid $g->{valid_requests}, " .
    "failed $g->{failed_requests}") if defined $g->{total_requests};

$d->stop_ok;
done_testing();
