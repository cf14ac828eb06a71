#!/usr/bin/perl
# Upgrade: a WebSocket handshake goes through with its Upgrade and
# Connection fields, after the 101 the session relays bytes both ways
# (frames, half-closes), the bytes relayed each way count in the access
# log's %I and %O and in the stats, and a 101 nobody asked for is a 502.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use V6FHTTP;
use V6FStats;
use JSON::PP;
use Digest::SHA qw(sha1_base64);
use Test::More;

my $dir = tmpdir();
my $GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

# One unmasked (server) or masked (client) frame with a short payload.
sub frame {
	my ($payload, $mask) = @_;
	my $f = chr(0x81) . chr(($mask ? 0x80 : 0) | length($payload));
	return $f . $payload unless $mask;
	my $k = "\x01\x02\x03\x04";
	my $m = $payload ^ substr($k x (1 + length($payload) / 4), 0,
	    length($payload));
	return $f . $k . $m;
}

# The payload of one frame at the start of $buf (masked or not).
sub unframe {
	my ($buf) = @_;
	return undef if length($buf) < 2;
	my $len = ord(substr($buf, 1, 1)) & 0x7f;
	if (ord(substr($buf, 1, 1)) & 0x80) {
		my $k = substr($buf, 2, 4);
		my $m = substr($buf, 6, $len);
		return $m ^ substr($k x (1 + $len / 4), 0, $len);
	}
	return substr($buf, 2, $len);
}

my $ws = start_backend(handler => sub {
	my ($c) = @_;
	my $p = '';
	my $req = read_message($c, \$p, 10) // return;
	write_file("$dir/ws-req", $req);
	my ($m, $t) = $req =~ /^(\S+) (\S+)/;
	if ($t eq '/rogue') {
		send_all($c, "HTTP/1.1 101 Switching Protocols\r\n" .
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
		return;
	}
	my ($key) = $req =~ /\r\nSec-WebSocket-Key: (\S+)\r\n/i;
	send_all($c, "HTTP/1.1 101 Switching Protocols\r\n" .
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n" .
	    "Sec-WebSocket-Accept: " . sha1_base64($key . $GUID) . "=\r\n\r\n");
	# Echo each message back until the client's FIN, then say goodbye.
	my $buf = $p;
	while (1) {
		my $rin = '';
		vec($rin, fileno($c), 1) = 1;
		last if select(my $r = $rin, undef, undef, 10) <= 0;
		my $n = sysread($c, my $b, 4096);
		last unless $n;
		$buf .= $b;
		while (defined(my $msg = unframe($buf))) {
			my $len = ord(substr($buf, 1, 1)) & 0x7f;
			substr($buf, 0, 2 + $len + 4, '');
			send_all($c, frame("echo: $msg", 0));
		}
	}
	send_all($c, frame('bye', 0));
});

my ($p, $sp) = (free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: web
    bind: "[::1]:$p"
    mode: http
    backend: { servers: ["127.0.0.1:${\ $ws->port}"] }
    access_log: { path: $dir/web.log, format: "%>s %I %O" }
  - name: stats
    bind: "[::1]:$sp"
    mode: http
    backend: { builtin: stats }
EOF

{
	my $c = connect_tcp('::1', $p) or die;
	my $head = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" .
	    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" .
	    "\r\nSec-WebSocket-Version: 13\r\n\r\n";
	send_all($c, $head . frame('early', 1));
	my $pending = '';
	my @r = read_response($c, \$pending, 10);
	is($r[0], 101, 'handshake: 101');
	like($r[1], qr/\r\nUpgrade: websocket\r\n/, 'handshake: Upgrade back');
	like($r[1], qr/\r\nConnection: Upgrade\r\n/, 'handshake: Connection back');
	like($r[1], qr/\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/,
	    'handshake: accept key');
	my $req = slurp("$dir/ws-req");
	like($req, qr/\r\nUpgrade: websocket\r\n/, 'backend got Upgrade');
	like($req, qr/\r\nConnection: Upgrade\r\n/, 'backend got Connection');
	send_all($c, frame('hello', 1));
	my $got = $pending;
	while (length($got) < 2 * 2 + length('echo: early') +
	    length('echo: hello')) {
		my $rin = '';
		vec($rin, fileno($c), 1) = 1;
		last if select(my $rr = $rin, undef, undef, 5) <= 0;
		sysread($c, my $b, 4096) or last;
		$got .= $b;
	}
	is($got, frame('echo: early', 0) . frame('echo: hello', 0),
	    'frames relayed both ways, bytes sent with the handshake too');
	shutdown($c, 1);
	is(read_all($c, 10), frame('bye', 0),
	    'half-close passed on; the rest comes back, then EOF');
	close($c);

	# What went each way, as the client sent and got it.
	my $in = length($head) + length(frame('early', 1)) +
	    length(frame('hello', 1));
	my $out = length($r[1]) + length($got) + length(frame('bye', 0));
	my $line = wait_for(sub {
		my $l = slurp("$dir/web.log") // '';
		return $l =~ /^(101 \d+ \d+)$/m ? $1 : undef;
	}, 10);
	is($line, "101 $in $out", '%I and %O count the bytes relayed after '
	    . 'the 101 both ways');
	my ($st, undef, $body) = scrape('::1', $sp, '/stats');
	my $j = eval { decode_json($body) } // {};
	my %ln = map { $_->{name} => $_ } @{ $j->{listeners} // [] };
	is_deeply([ $ln{web}{received_bytes}, $ln{web}{sent_bytes} ],
	    [ $in, $out ], 'the stats count them too');
}

{
	my $c = connect_tcp('::1', $p) or die;
	send_all($c, "GET /rogue HTTP/1.1\r\nHost: h\r\n\r\n");
	my $pending = '';
	my @r = read_response($c, \$pending, 10);
	is($r[0], 502, 'a 101 nobody asked for: 502');
	unlike(slurp("$dir/ws-req"), qr/Upgrade/i,
	    'no Upgrade went to the backend');
	ok($d->wait_log(qr/web: \[::1\]:\d+: 502 127\.0\.0\.1:\d+: 101 to a request/),
	    'logged');
}

$d->stop_ok;
done_testing();
