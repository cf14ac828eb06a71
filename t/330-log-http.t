#!/usr/bin/perl
# Access log of mode http listeners: one line per request/response exchange
# in the combined format (the exact golden line for an IPv6 and an IPv4
# client), "-" for an empty body, keep-alive counting with %k and %X, lines
# for errors the proxy answers itself (502, 400), json, and request bytes
# that try to break a line or a quoted field.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use JSON::PP;
use POSIX qw(strftime setlocale LC_TIME);
use Test::More;
use Time::HiRes qw(time sleep);

setlocale(LC_TIME, 'C');
my $dir = tmpdir();

my $be = recording_backend(dir => $dir, reply => sub {
	my ($req) = @_;
	return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	    if $req =~ m{^GET /missing };
	return "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n" .
	    "Set-Cookie: s=1\r\nContent-Type: text/plain; charset=x\r\n\r\n" .
	    "hello\n";
});
my $bp = $be->port;
my $down = free_port();		# nothing listens here

my %p = map { $_ => free_port() } qw(web dual ka down js inj loc);
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: web
    bind: "[::1]:$p{web}"
    mode: http
    backend: be
    access_log: { path: $dir/web.log }
  - name: dual
    bind: ["[::1]:$p{dual}", "127.0.0.1:$p{dual}"]
    mode: http
    backend: be
    access_log: { path: $dir/dual.log }
  - name: ka
    bind: "[::1]:$p{ka}"
    mode: http
    backend: be
    access_log:
      path: $dir/ka.log
      format: "%k %X %>s %m %U%q %H %b %B %I %O %v %V %{Set-Cookie}o %{Content-Type}o %^xn %^xb %^xe"
  - name: down
    bind: "[::1]:$p{down}"
    mode: http
    backend: { servers: ["127.0.0.1:$down"] }
    access_log: { path: $dir/down.log, format: "%h \\"%r\\" %>s %b %X %^xe" }
  - name: js
    bind: "[::1]:$p{js}"
    mode: http
    backend: be
    access_log: { path: $dir/json.log, format: json }
  - name: inj
    bind: "[::1]:$p{inj}"
    mode: http
    backend: be
    access_log: { path: $dir/inj.log }
  - name: loc
    bind: ["[::1]:$p{loc}", "127.0.0.1:$p{loc}"]
    mode: http
    backend: be
    access_log: { path: $dir/loc.log, format: "%A %p %{local}p %h %>s" }
backends:
  be:
    servers: ["127.0.0.1:$bp"]
EOF

# The lines of a log once it holds at least $n.
sub lines {
	my ($f, $n) = @_;
	my @l;
	wait_for(sub { @l = split(/\n/, slurp($f) // ''); @l >= $n }, 10);
	return @l;
}

# Every %t a request made between $t0 and $t1 may show.
sub times_between {
	my ($t0, $t1) = @_;
	return map { strftime('[%d/%b/%Y:%H:%M:%S %z]', localtime($_)) }
	    int($t0) .. int($t1) + 1;
}

# One request on a new connection; returns (status, body).
sub ask {
	my ($host, $port, $req) = @_;
	my $c = connect_tcp($host, $port) or die "connect $port: $!";
	send_all($c, $req);
	my $pending = '';
	my ($st, undef, $body) = read_response($c, \$pending, 10);
	return ($st, $body);
}

my $get = "GET /p?q=1 HTTP/1.1\r\nHost: www.example\r\n" .
    "Referer: http://ref/\r\nUser-Agent: UA/1.0\r\nConnection: close\r\n\r\n";

# Golden: the combined line, exactly, from an IPv6 client.
my $t0 = time();
my ($st) = ask('::1', $p{web}, $get);
my $t1 = time();
is($st, 200, 'GET through the http listener');
my ($l) = lines("$dir/web.log", 1);
my %ok = map { ("::1 - - $_ \"GET /p?q=1 HTTP/1.1\" 200 6 " .
    "\"http://ref/\" \"UA/1.0\"" => 1) } times_between($t0, $t1);
ok($ok{$l // ''}, 'combined line from [::1], exactly') or diag($l);

# IPv4 client on a dual-stack listener: dotted IPv4.
($st) = ask('127.0.0.1', $p{dual}, $get);
($l) = lines("$dir/dual.log", 1);
like($l // '', qr{^127\.0\.0\.1 - - \[[^]]+\] "GET /p\?q=1 HTTP/1\.1" 200 6 },
    'IPv4 client shows dotted IPv4');

# %A and %p: the address and port the client connected to.
($st) = ask('::1', $p{loc}, $get);
($st) = ask('127.0.0.1', $p{loc}, $get);
# Two workers may write the two lines in either order.
my %loc = map { $_ => 1 } lines("$dir/loc.log", 2);
ok($loc{"::1 $p{loc} $p{loc} ::1 200"}, '%A %p %{local}p, IPv6')
    or diag(explain(\%loc));
ok($loc{"127.0.0.1 $p{loc} $p{loc} 127.0.0.1 200"},
    '%A %p %{local}p, IPv4') or diag(explain(\%loc));

# Keep-alive: three requests on one connection, the last a 404 with no body.
{
	my $c = connect_tcp('::1', $p{ka}) or die "connect: $!";
	my $pending = '';
	for my $i (0 .. 2) {
		my $path = $i == 2 ? '/missing' : "/r$i?x=$i";
		send_all($c, "GET $path HTTP/1.1\r\nHost: WWW.Example:8080\r\n" .
		    ($i == 2 ? "Connection: close\r\n" : '') . "\r\n");
		my ($s) = read_response($c, \$pending, 10);
		is($s, $i == 2 ? 404 : 200, "keep-alive request $i answered");
	}
}
my @ka = lines("$dir/ka.log", 3);
is(scalar(@ka), 3, 'three lines for three requests on one connection');
like($ka[0] // '', qr{^0 \+ 200 GET /r0\?x=0 HTTP/1\.1 6 6 (\d+) (\d+) ka www\.example s=1 text/plain be 127\.0\.0\.1:$bp ok$},
    'first: %k 0, kept alive, bytes, vhost, response headers, backend')
    or diag($ka[0]);
like($ka[1] // '', qr{^1 \+ 200 GET /r1\?x=1 }, 'second: %k 1');
like($ka[2] // '', qr{^2 - 404 GET /missing HTTP/1\.1 - 0 \d+ \d+ },
    'third: %k 2, closed, 404 with "-" for %b and 0 for %B')
    or diag($ka[2]);
if (($ka[0] // '') =~ / 6 6 (\d+) (\d+) /) {
	is($1, length("GET /r0?x=0 HTTP/1.1\r\nHost: WWW.Example:8080\r\n\r\n"),
	    '%I counts the request head');
	cmp_ok($2, '>', 6, '%O counts the response head too');
}

# The proxy's own answers leave a line with their status.
($st) = ask('::1', $p{down}, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
is($st, 502, 'backend down: 502');
($st) = ask('::1', $p{down}, "POST /s HTTP/1.1\r\nHost: a\r\n" .
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
is($st, 400, 'Content-Length with Transfer-Encoding: 400');
($st) = ask('::1', $p{down}, "\x01garbage \"\\ \xff\r\n\r\n");
is($st, 400, 'garbage: 400');
# Lines of different connections may come from either worker, so in any
# order.
my %dl = map { ($_ => 1) } lines("$dir/down.log", 3);
ok($dl{'::1 "GET /x HTTP/1.1" 502 16 - srv_refused'},
    '502 line: request, status, our body, closed') or diag(join("\n",
    keys %dl));
ok($dl{'::1 "POST /s HTTP/1.1" 400 16 - bad_request'},
    'smuggling attempt: 400 line');
ok($dl{'::1 "\\x01garbage \\"\\\\ \\xff" 400 16 - bad_request'},
    'garbage: the raw first line, escaped');

# json
ask('::1', $p{js}, $get);
my ($j) = lines("$dir/json.log", 1);
my $o = eval { decode_json($j // '') } // {};
is($o->{method}, 'GET', 'json method');
is($o->{uri}, '/p?q=1', 'json uri');
is($o->{protocol}, 'HTTP/1.1', 'json protocol');
is($o->{status}, 200, 'json status');
is($o->{client}, '::1', 'json client');
is($o->{server}, "127.0.0.1:$bp", 'json server');
ok(defined $o->{bytes_in} && defined $o->{bytes_out}, 'json bytes')
    or diag($j);

# Injection: what a client may send stays inside one escaped field; what
# the parser refuses still leaves exactly one line.
my @inj = (
	["GET /a%0d%0a%22%00 HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\n\r\n",
	    200, qr{"GET /a%0d%0a%22%00 HTTP/1\.1" 200 6 "-" "x"$}],
	["GET /\xc3\xa9\xff HTTP/1.1\r\nHost: h\r\n\r\n", undef,
	    qr{"GET /(?:\\xc3\\xa9\\xff)? HTTP/1\.1" }],
	["GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\"b\\c\xe2\x80\x8b\x80\r\n" .
	    "Referer: \" 200 1 \"x\r\n\r\n", 200,
	    qr{"GET / HTTP/1\.1" 200 6 "\\" 200 1 \\"x" "a\\"b\\\\c\\xe2\\x80\\x8b\\x80"$}],
	["GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\rb\r\n\r\n", 400,
	    qr{ 400 16 "-" "-"$}],
	["GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\0b\r\n\r\n", 400,
	    qr{ 400 16 "-" "-"$}],
	["GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\nX: b\r\n\r\n", 400,
	    qr{ 400 16 }],
);
my $n = 0;
for my $row (@inj) {
	my ($req, $want, $re) = @$row;
	my ($s) = ask('::1', $p{inj}, $req);
	$n++;
	is($s, $want, "injection row $n: status") if defined $want;
	my @il = lines("$dir/inj.log", $n);
	my $line = $il[$n - 1] // '';
	unlike($line, qr/[\x00-\x1f\x7f-\xff]/,
	    "injection row $n: no raw control or high bytes");
	like($line, qr{^::1 - - \[[^]]+\] "(?:[^"\\]|\\.)*" \d{3} (?:\d+|-) "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*"$},
	    "injection row $n: still the nine combined fields") or diag($line);
	like($line, $re, "injection row $n: the expected escaped fields");
}
my @all = lines("$dir/inj.log", scalar(@inj));
is(scalar(@all), scalar(@inj), 'one line per injection request');

$d->stop_ok;
done_testing();
