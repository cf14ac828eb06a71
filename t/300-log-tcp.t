#!/usr/bin/perl
# Access log of mode tcp listeners: one line per connection in the default
# tcp format, json, anonymize, the shared default and `off`, syslog over UDP
# (RFC 5424 framing), and formats rejected at load time with file:line:col.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use IO::Socket::IP;
use IO::Socket::UNIX;
use JSON::PP;
use Socket qw(SHUT_WR SOCK_DGRAM);
use Test::More;
use Time::HiRes qw(sleep);

my $dir = tmpdir();

# Answers "got N" after reading the client's bytes to EOF.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $in = read_all($c, 10);
	syswrite($c, "got " . length($in) . "\n");
});
my $bp = $be->port;

my $syslog = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
    Proto => 'udp') or die "udp: $!";
my $sp = $syslog->sockport;

my $usock = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
    Local => "$dir/log.sock") or die "unix dgram: $!";

my ($p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8) = map { free_port() } 1 .. 8;
my $gone = free_port();		# no syslog server there
my $yaml = <<"EOF";
workers: 2
access_log: $dir/default.log
listeners:
  - name: plain
    bind: "[::1]:$p1"
    backend: be
    access_log: { path: $dir/tcp.log }
  - name: js
    bind: "[::1]:$p2"
    backend: be
    access_log: { path: $dir/json.log, format: json }
  - name: anon
    bind: "[::1]:$p3"
    backend: be
    access_log:
      path: $dir/anon.log
      format: "%h %a %{c}a %^xl"
      anonymize: { ipv6: 16, ipv4: 24 }
  - name: dflt
    bind: ["[::1]:$p4", "127.0.0.1:$p4"]
    backend: be
  - name: sl
    bind: "[::1]:$p5"
    backend: be
    access_log: { syslog: "udp://[::1]:$sp", format: "%^xl %I %O %^xe" }
  - name: ux
    bind: "[::1]:$p7"
    backend: be
    access_log: { syslog: "unix:$dir/log.sock", format: json }
  - name: gone
    bind: "[::1]:$p8"
    backend: be
    access_log: { syslog: "udp://[::1]:$gone" }
  - name: quiet
    bind: "[::1]:${\ free_port()}"
    backend: be
    access_log: off
  - name: refused
    bind: "[::1]:$p6"
    backend: nobody
backends:
  be:
    servers: ["127.0.0.1:$bp"]
  nobody:
    servers: ["127.0.0.1:${\ free_port()}"]
EOF
my $d = start_daemon(yaml => $yaml) or BAIL_OUT('no daemon');

# One connection: send $n bytes, read the answer; returns (answer, our port).
sub talk {
	my ($host, $port, $n) = @_;
	my $c = connect_tcp($host, $port) or die "connect $port: $!";
	my $lport = $c->sockport;
	syswrite($c, 'x' x $n) if $n;
	shutdown($c, SHUT_WR);
	return (read_all($c, 10), $lport);
}

my ($ans, $lport) = talk('::1', $p1, 1234);
is($ans, "got 1234\n", 'relay works with an access log');
talk('::1', $p2, 10);
talk('::1', $p3, 10);
my (undef, $lp4) = talk('::1', $p4, 7);
my (undef, $lp4b) = talk('127.0.0.1', $p4, 8);
talk('::1', $p5, 5);
talk('::1', $p7, 3);

# Flushed at least every second: no signal, no exit needed.
my $line = wait_for(sub { (slurp("$dir/tcp.log") =~ /^(.*)\n/)[0] }, 5);
ok($line, 'a line within a second or so') or diag($d->log);
like($line // '', qr{^::1 $lport plain 127\.0\.0\.1:$bp \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4}\] 1234 9 \d+ ok$},
    'default tcp format: client, port, listener, backend, time, bytes '
    . 'each way, ms, end');

my $j = wait_for(sub { (slurp("$dir/json.log") =~ /^(.*)\n/)[0] }, 5);
my $o = eval { decode_json($j // '') };
ok($o, 'json line parses') or diag($j);
is($o->{client}, '::1', 'json client');
is($o->{listener}, 'js', 'json listener');
is($o->{backend}, 'be', 'json backend');
is($o->{server}, "127.0.0.1:$bp", 'json server');
is($o->{bytes_in}, 10, 'json bytes_in');
is($o->{bytes_out}, 7, 'json bytes_out');
is($o->{end}, 'ok', 'json end');
like($o->{time} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'json time, UTC with ms');
ok(defined $o->{duration_ms} && defined $o->{client_port},
    'json duration_ms and client_port');

my $a = wait_for(sub { (slurp("$dir/anon.log") =~ /^(.*)\n/)[0] }, 5);
is($a, ':: :: :: anon', 'anonymize masks %h %a %{c}a alike (::1/16)');

my $df = wait_for(sub {
	my @l = split /\n/, slurp("$dir/default.log");
	return @l >= 2 ? \@l : undef;
}, 5);
is(scalar(@{$df // []}), 2, 'listener without access_log uses the default');
my ($v6) = grep { /^::1 / } @{$df // []};
my ($v4) = grep { /^127\.0\.0\.1 / } @{$df // []};
like($v6 // '', qr/^::1 $lp4 dflt .* 7 6 \d+ ok$/, 'IPv6 client line');
like($v4 // '', qr/^127\.0\.0\.1 $lp4b dflt .* 8 6 \d+ ok$/,
    'IPv4 client line');

my $dg = '';
$syslog->blocking(0);
wait_for(sub { defined($syslog->recv($dg, 9000)) && length($dg) }, 5);
like($dg, qr/^<134>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ v6front ${\ $d->pid} - - sl 5 6 ok$/,
    'syslog: RFC 5424 header, then the line');

$dg = '';
$usock->blocking(0);
wait_for(sub { defined($usock->recv($dg, 9000)) && length($dg) }, 5);
my ($ujson) = $dg =~ /^<134>1 \S+ \S+ v6front \d+ - - (\{.*\})$/;
ok($ujson, 'syslog over unix:/path, RFC 5424') or diag($dg);
is(eval { decode_json($ujson // '') }->{listener}, 'ux',
    '...carrying a json line');

# A syslog server that is not there: lines are counted, never waited for.
talk('::1', $p8, 1);
sleep(1.5);
talk('::1', $p8, 1) for 1 .. 3;
ok($d->wait_log(qr{warning: access log udp://\[::1\]:$gone: \d+ lines dropped \(Connection refused\)}, 5),
    'syslog unreachable: drops reported');

# A refused backend, and `off`.
my $c = connect_tcp('::1', $p6);
read_all($c, 5) if $c;
my $rl = wait_for(sub { (slurp("$dir/default.log") =~ /( refused .*)\n/)[0] },
    5);
like($rl // '', qr/ 0 0 \d+ srv_refused$/, 'connect refused: end word');

# A reload that changes a format: new connections use the new one.
my $off = length($d->log);
(my $y2 = $yaml) =~ s{path: \Q$dir\E/tcp\.log \}}{path: $dir/tcp.log, format: "%^xl reloaded %I" \}};
$d->rewrite($y2);
$d->signal('HUP');
ok($d->wait_log(qr/reloaded /, 10, $off), 'reloaded');
talk('::1', $p1, 42);
ok(wait_for(sub { slurp("$dir/tcp.log") =~ /^plain reloaded 42$/m }, 5),
    'the new format after SIGHUP, into the same file');

$d->stop_ok;
my @all = map { split /\n/, slurp("$dir/$_.log") }
    qw(default tcp json anon);
ok(!grep({ /quiet/ } @all), 'access_log: off writes nothing');

# Formats are checked at load time, at the format's line and column.
my $bin = v6f_bin();
my $ln = "listeners:\n  - name: a\n    bind: \"[::1]:8\"\n    backend: b\n" .
    "backends:\n  b: { servers: [\"127.0.0.1:1\"] }\n";
my @bad = (
	["access_log: { path: /tmp/x.log, format: \"%h %Z\" }\n$ln",
	    qr/^bad\.yaml:1:41: access_log\.format: col 4: .*%Z/m],
	["listeners:\n  - name: a\n    bind: \"[::1]:8\"\n    backend: b\n" .
	    "    access_log:\n      path: /tmp/x.log\n      format: \"%{\"\n" .
	    "backends:\n  b: { servers: [\"127.0.0.1:1\"] }\n",
	    qr/^bad\.yaml:7:15: listeners\[0\]\.access_log\.format: col \d+:/m],
	["listeners:\n  - name: a\n    bind: \"[::1]:8\"\n    backend: b\n" .
	    "    access_log: { path: x.log }\n" .
	    "backends:\n  b: { servers: [\"127.0.0.1:1\"] }\n",
	    qr/^bad\.yaml:5:25: listeners\[0\]\.access_log\.path: expected an absolute path/m],
	["access_log: { path: /tmp/a, syslog: \"unix:/dev/log\" }\n$ln",
	    qr/^bad\.yaml:1:13: access_log: expected exactly one of path and syslog/m],
	["access_log: { syslog: \"udp://host.example:514\" }\n$ln",
	    qr/^bad\.yaml:1:23: access_log\.syslog: expected an IP address/m],
	["access_log: { path: /tmp/a, anonymize: { ipv6: 129 } }\n$ln",
	    qr/^bad\.yaml:1:48: access_log\.anonymize\.ipv6: /m],
);
for my $row (@bad) {
	my ($text, $re) = @$row;
	write_file('bad.yaml', $text);
	chdir($dir);
	my $out = `$bin -t -c bad.yaml 2>&1`;
	is($? >> 8, 1, "bad access_log: exit 1") or diag($out);
	like($out, $re, '...with file:line:col and the key');
}

done_testing();
