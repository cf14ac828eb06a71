#!/usr/bin/perl
# builtin: stats.  A known mix of traffic through two workers (7 answers
# 200 and 3 answers 404 from a backend, 2 requests to a dead server, a
# connect that times out, one TCP relay), then the exact counters in both
# formats: /metrics parsed strictly and by promtool, /stats as JSON.  Also
# HEAD, 404, 405 with Allow, the access log, the listener's ACL, a
# retry, a failed TLS handshake, and counters that keep their values
# across SIGHUP.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FServers;
use V6FStats;
use V6FTLS;
use IO::Socket::IP;
use JSON::PP;
use List::Util qw(sum);
use Test::More;

my $dir = tmpdir();
my $R200 = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" . ('x' x 100);
my $R404 = "HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nno such page\n";
my $be = recording_backend(dir => $dir, reply => sub {
	my ($req) = @_;
	return $req =~ m{^GET /ok/} ? $R200 : $R404;
});
my $tb = id_tcp_backend(name => 'echo');

# A listener that never accepts, its queue filled: connects to it hang.
my ($full_port, $full) = hanging_port();

my %port = map { $_ => free_port() } qw(web dead stuck tcp stats twice tls status);
my ($dead, $dead2) = (free_port(), free_port());
make_ca($dir, 'ca');
my ($cert, $key) = make_cert(dir => $dir, name => 'srv', ca => 'ca',
    cn => 'localhost', san => 'IP:::1');
my $bp = $be->port;
my $tp = $tb->port;
my $yaml = <<"EOF";
workers: 2
listeners:
  - name: web
    bind: "[::1]:$port{web}"
    mode: http
    backend: app
  - name: dead
    bind: "[::1]:$port{dead}"
    mode: http
    backend: { servers: ["127.0.0.1:$dead"], retries: 0 }
  - name: stuck
    bind: "[::1]:$port{stuck}"
    mode: http
    backend:
      servers: ["127.0.0.1:$full_port"]
      timeouts: { connect: 1s }
  - name: twice
    bind: "[::1]:$port{twice}"
    mode: http
    backend: { servers: ["127.0.0.1:$dead", "127.0.0.2:$dead2"], retries: 1 }
  - name: tls
    bind: "[::1]:$port{tls}"
    mode: http
    backend: app
    tls: { cert: $cert, key: $key }
  - name: tcp
    bind: "[::1]:$port{tcp}"
    backend: { servers: ["127.0.0.1:$tp"] }
  - name: status
    bind: "[::1]:$port{status}"
    backend: { builtin: status }
  - name: stats
    bind: ["[::1]:$port{stats}", "127.0.0.1:$port{stats}"]
    mode: http
    backend: { builtin: stats }
    allow: ["::1/128"]
    access_log: { path: $dir/stats.log, format: combined }
backends:
  app:
    servers: ["127.0.0.1:$bp"]
EOF
my $d = start_daemon(yaml => $yaml) or BAIL_OUT('no daemon');

# One request on its own connection, read to the daemon's close (which
# comes after its counting): the response's bytes.
sub req {
	my ($port, $path) = @_;
	my $q = "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	my $c = connect_tcp('::1', $port) or die "connect: $!";
	send_all($c, $q);
	my $r = read_all($c, 10) // '';
	return ($q, $r);
}

my ($in, $out, @st) = (0, 0);
for my $path ((map { "/ok/$_" } 1 .. 7), (map { "/missing/$_" } 1 .. 3)) {
	my ($q, $r) = req($port{web}, $path);
	$in += length($q);
	$out += length($r);
	push @st, $r =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
}
is_deeply([sort @st], [(200) x 7, (404) x 3], 'web: 7 x 200, 3 x 404');
my ($din, $dout) = (0, 0);
for (1 .. 2) {
	my ($q, $r) = req($port{dead}, "/x");
	like($r, qr{^HTTP/1\.1 502 }, "dead server: 502 ($_)");
	$din += length($q);
	$dout += length($r);
}
{
	my (undef, $r) = req($port{twice}, "/x");
	like($r, qr{^HTTP/1\.1 502 }, 'two dead servers, one retry: 502');
	# Not TLS: the handshake fails.
	my $c = connect_tcp('::1', $port{tls}) or die;
	send_all($c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	unlike(read_all($c, 5) // '', qr{^HTTP/}, 'plain HTTP to TLS: no answer');
}
my $timed_out = 0;
SKIP: {
	# Whether SYNs to a full queue hang depends on the kernel settings.
	my $probe = IO::Socket::IP->new(PeerHost => '127.0.0.1',
	    PeerPort => $full_port, Timeout => 0.5);
	skip 'the full accept queue still completes connects', 1 if $probe;
	my (undef, $r) = req($port{stuck}, "/x");
	like($r, qr{^HTTP/1\.1 504 }, 'silent server: 504 after the connect '
	    . 'timeout');
	$timed_out = 1;
}
{
	my $c = connect_tcp('::1', $port{tcp}) or die;
	my $got = pump($c, "hello\n", 10);
	is($got, "echo\nhello\n", 'tcp: relayed');
}
# The status responder of a tcp listener: its bytes count both ways.
my ($sq, $sr);
{
	$sq = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	my $c = connect_tcp('::1', $port{status}) or die;
	send_all($c, $sq);
	$sr = read_all($c, 10) // '';
	like($sr, qr{^HTTP/1\.1 200 .*\r\n\r\nv6front \S+ status\n}s,
	    'status on a tcp listener: answered');
	close($c);
}

# What the backend got: every request, as v6front sent it on.
my @recs = records($dir, 10);
is(scalar @recs, 10, 'backend: 10 requests');
my $sent_be = sum(map { length($_->[2]) } @recs);

# The ACL of the stats listener: IPv4 is closed before a byte is read.
{
	my $c = IO::Socket::IP->new(PeerHost => '127.0.0.1',
	    PeerPort => $port{stats}, Timeout => 5) or die;
	syswrite($c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r = read_all($c, 5);
	ok(!defined $r || $r eq '', 'stats from 127.0.0.1: closed, no answer');
}

# Sessions are counted out just after their socket closes.
ok(wait_for(sub {
	my (undef, undef, $b) = scrape('::1', $port{stats}, '/metrics');
	my ($v) = prom_parse($b);
	return (stat_of($v, 'v6front_listener_open_connections',
	    listener => 'web') // -1) == 0 &&
	    (stat_of($v, 'v6front_listener_open_connections',
	    listener => 'status') // -1) == 0 &&
	    (stat_of($v, 'v6front_server_in_flight', backend => 'app',
	    server => "127.0.0.1:$bp") // -1) == 0;
}), 'no connection open on web or status once their clients are gone');

my ($st, $head, $body) = scrape('::1', $port{stats}, '/metrics');
is($st, 200, '/metrics: 200');
like($head, qr{\r\nContent-Type: text/plain; version=0\.0\.4; charset=utf-8\r\n},
    '/metrics: Prometheus text format 0.0.4');
my ($v, $err) = prom_parse($body);
is_deeply($err, [], '/metrics: strict parse finds no problem');
my ($rc, $pt) = promtool_check($body);
is($rc, 0, 'promtool check metrics: exit 0');
is($pt, '', 'promtool check metrics: no lint problem') or diag($pt);

my %want = (
    # listener web
    'v6front_listener_connections_total{listener="web"}' => 10,
    'v6front_listener_requests_total{listener="web"}' => 10,
    'v6front_listener_responses_total{code="2xx",listener="web"}' => 7,
    'v6front_listener_responses_total{code="4xx",listener="web"}' => 3,
    'v6front_listener_responses_total{code="5xx",listener="web"}' => 0,
    'v6front_listener_received_bytes_total{listener="web"}' => $in,
    'v6front_listener_sent_bytes_total{listener="web"}' => $out,
    'v6front_listener_errors_total{listener="web"}' => 0,
    'v6front_listener_refused_total{listener="web",reason="acl"}' => 0,
    # backend app and its server
    'v6front_backend_requests_total{backend="app"}' => 10,
    'v6front_backend_responses_total{backend="app",code="2xx"}' => 7,
    'v6front_backend_responses_total{backend="app",code="4xx"}' => 3,
    'v6front_backend_connect_failures_total{backend="app"}' => 0,
    'v6front_backend_retries_total{backend="app"}' => 0,
    'v6front_backend_servers_up{backend="app"}' => 1,
    'v6front_backend_servers{backend="app"}' => 1,
    "v6front_server_requests_total{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 10,
    "v6front_server_sent_bytes_total{backend=\"app\",server=\"127.0.0.1:$bp\"}" => $sent_be,
    "v6front_server_received_bytes_total{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 7 * length($R200) + 3 * length($R404),
    "v6front_server_connect_failures_total{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 0,
    "v6front_server_up{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 1,
    "v6front_server_draining{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 0,
    "v6front_server_weight{backend=\"app\",server=\"127.0.0.1:$bp\"}" => 1,
    # the dead server
    'v6front_listener_requests_total{listener="dead"}' => 2,
    'v6front_listener_responses_total{code="5xx",listener="dead"}' => 2,
    'v6front_listener_errors_total{listener="dead"}' => 2,
    'v6front_listener_received_bytes_total{listener="dead"}' => $din,
    'v6front_listener_sent_bytes_total{listener="dead"}' => $dout,
    'v6front_backend_requests_total{backend="dead"}' => 2,
    'v6front_backend_responses_total{backend="dead",code="5xx"}' => 2,
    'v6front_backend_connect_failures_total{backend="dead"}' => 2,
    'v6front_backend_connect_timeouts_total{backend="dead"}' => 0,
    "v6front_server_connect_failures_total{backend=\"dead\",server=\"127.0.0.1:$dead\"}" => 2,
    "v6front_server_requests_total{backend=\"dead\",server=\"127.0.0.1:$dead\"}" => 2,
    # two dead servers, retries: 1
    'v6front_backend_connect_failures_total{backend="twice"}' => 2,
    'v6front_backend_retries_total{backend="twice"}' => 1,
    'v6front_backend_requests_total{backend="twice"}' => 1,
    'v6front_backend_responses_total{backend="twice",code="5xx"}' => 1,
    'v6front_backend_servers{backend="twice"}' => 2,
    # TLS
    'v6front_listener_tls_handshake_failures_total{listener="tls"}' => 1,
    'v6front_listener_tls_handshake_failures_total{listener="web"}' => 0,
    'v6front_listener_requests_total{listener="tls"}' => 0,
    # the connect timeout
    'v6front_backend_connect_timeouts_total{backend="stuck"}' => $timed_out,
    'v6front_backend_connect_failures_total{backend="stuck"}' => $timed_out,
    'v6front_backend_responses_total{backend="stuck",code="5xx"}' => $timed_out,
    # tcp
    'v6front_listener_connections_total{listener="tcp"}' => 1,
    'v6front_listener_received_bytes_total{listener="tcp"}' => 6,
    'v6front_listener_sent_bytes_total{listener="tcp"}' => 11,
    'v6front_listener_requests_total{listener="tcp"}' => 0,
    'v6front_backend_requests_total{backend="tcp"}' => 1,
    "v6front_server_sent_bytes_total{backend=\"tcp\",server=\"127.0.0.1:$tp\"}" => 6,
    "v6front_server_received_bytes_total{backend=\"tcp\",server=\"127.0.0.1:$tp\"}" => 11,
    # the status responder on a tcp listener
    'v6front_listener_connections_total{listener="status"}' => 1,
    'v6front_listener_received_bytes_total{listener="status"}' => length($sq),
    'v6front_listener_sent_bytes_total{listener="status"}' => length($sr),
    'v6front_listener_requests_total{listener="status"}' => 0,
    # the stats listener: the refused IPv4 client
    'v6front_listener_refused_total{listener="stats",reason="acl"}' => 1,
    # the process
    'v6front_workers{}' => 2,
    'v6front_config_generation{}' => 1,
);
for my $k (sort keys %want) {
	is($v->{$k}, $want{$k}, "/metrics: $k");
}
my %sv = map { $_ => $v->{$_} } grep { /^v6front_server_\w+_total\{backend="twice"/ } keys %$v;
is(sum(map { /_retries_/ ? $sv{$_} : 0 } keys %sv), 1,
    '/metrics: the retry counted on the server that failed first');
is(sum(map { /_connect_failures_/ ? $sv{$_} : 0 } keys %sv), 2,
    '/metrics: a connect failure on each server');
my $conns = $v->{"v6front_server_connections_total{backend=\"app\",server=\"127.0.0.1:$bp\"}"} // 0;
ok($conns >= 1 && $conns <= 10, "/metrics: server connections $conns, " .
    'pooled: 1 to 10');
ok(!grep({ /builtin|backend="stats"/ } keys %$v),
    '/metrics: no backend family for a builtin');
ok(!grep({ /^v6front_tunnel_/ } keys %$v), '/metrics: no tunnel without one');
cmp_ok(abs(($v->{'v6front_start_time_seconds{}'} // 0) - time()), '<', 3600,
    '/metrics: start time is now');

# JSON: the same numbers.
($st, $head, $body) = scrape('::1', $port{stats}, '/stats');
is($st, 200, '/stats: 200');
like($head, qr{\r\nContent-Type: application/json\r\n}, '/stats: JSON');
my $j = eval { decode_json($body) };
ok($j, '/stats: parses') or diag($@);
my %ln = map { $_->{name} => $_ } @{$j->{listeners}};
my %bk = map { $_->{name} => $_ } @{$j->{backends}};
is($ln{web}{connections}, 10, 'json: web connections');
is($ln{web}{requests}, 10, 'json: web requests');
is_deeply($ln{web}{responses}, { '1xx' => 0, '2xx' => 7, '3xx' => 0,
    '4xx' => 3, '5xx' => 0 }, 'json: web responses by class');
is($ln{web}{received_bytes}, $in, 'json: web received bytes');
is($ln{web}{sent_bytes}, $out, 'json: web sent bytes');
is($ln{stats}{refused}{acl}, 1, 'json: stats refused by the ACL');
is($ln{dead}{errors}, 2, 'json: dead errors');
is($bk{dead}{connect_failures}, 2, 'json: dead connect failures');
is($bk{stuck}{connect_timeouts}, $timed_out, 'json: stuck connect timeouts');
is($bk{app}{requests}, 10, 'json: app requests');
is($bk{app}{servers}[0]{server}, "127.0.0.1:$bp", 'json: app server');
is($bk{app}{servers}[0]{sent_bytes}, $sent_be, 'json: app server bytes');
ok($bk{app}{servers}[0]{up}, 'json: app server up');
is($j->{process}{workers}, 2, 'json: workers');
ok(exists $j->{tunnel} && !defined $j->{tunnel}, 'json: tunnel null');

# HEAD, other paths, other methods.
($st, $head, $body) = scrape('::1', $port{stats}, '/metrics', 'HEAD');
is($st, 200, 'HEAD /metrics: 200');
like($head, qr{\r\nContent-Length: [1-9]\d*\r\n}, 'HEAD: Content-Length');
is($body, '', 'HEAD: no body');
($st) = scrape('::1', $port{stats}, '/metricsx');
is($st, 404, 'other path: 404');
($st, $head) = scrape('::1', $port{stats}, '/stats', 'POST');
is($st, 405, 'POST: 405');
like($head, qr{\r\nAllow: GET, HEAD\r\n}, '405: Allow: GET, HEAD');
($st) = scrape('::1', $port{stats}, '/metrics?x=1');
is($st, 200, 'a query string is ignored');
ok(wait_for(sub { slurp("$dir/stats.log") =~
    m{^::1 - - \[[^\]]+\] "GET /metrics HTTP/1\.1" 200 \d+ }m }),
    'stats requests are access-logged');
like(slurp("$dir/stats.log"), qr{"POST /stats HTTP/1\.1" 405 }, '405 logged');

# SIGHUP: every counter of a listener, backend and server kept by name
# goes on from where it was.
my $from = length($d->log);
$d->rewrite($yaml . "  spare:\n    servers: [\"127.0.0.1:$bp\"]\n");
$d->signal('HUP');
ok($d->wait_log(qr/reloaded .*generation 2/, 10, $from), 'reloaded');
(undef, undef, $body) = scrape('::1', $port{stats}, '/metrics');
my ($v2, $err2) = prom_parse($body);
is_deeply($err2, [], 'after reload: parses');
is($v2->{'v6front_config_generation{}'}, 2, 'after reload: generation 2');
my @back = grep { /_total\{/ && defined $v2->{$_} && $v2->{$_} < $v->{$_} }
    keys %$v;
is_deeply(\@back, [], 'after reload: no counter went backwards');
for my $k (grep { /listener="web"|backend="(app|dead)"/ && /_total/ } keys %want) {
	is($v2->{$k}, $v->{$k}, "after reload: $k kept");
}
req($port{web}, '/ok/again');
(undef, undef, $body) = scrape('::1', $port{stats}, '/metrics');
my ($v3) = prom_parse($body);
is(stat_of($v3, 'v6front_listener_requests_total', listener => 'web'), 11,
    'after reload: web counts on');
is(stat_of($v3, 'v6front_server_requests_total', backend => 'app',
    server => "127.0.0.1:$bp"), 11, 'after reload: the server counts on');
is(stat_of($v3, 'v6front_backend_requests_total', backend => 'spare'), 0,
    'after reload: a new backend starts at 0');

$d->stop_ok('daemon');
done_testing();
