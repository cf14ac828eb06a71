#!/usr/bin/perl
# mode: tcp relays bytes both ways intact, and passes half-closes through.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Digest::SHA qw(sha256_hex);
use Socket qw(SHUT_WR);
use Test::More;

my $dir = tmpdir();

# Backend: sends 1 MiB of its own random bytes while reading the client's
# until EOF, then records both checksums.
my $be = start_backend(handler => sub {
	my ($c) = @_;
	my $mine = random_bytes(1 << 20);
	my $got = pump($c, $mine, 60);
	write_file("$dir/out-be.$$", sha256_hex($mine) . ' ' .
	    (defined $got ? sha256_hex($got) . ' ' . length($got) : 'ERR'));
});

my $p = free_port();
my $d = start_daemon(yaml => <<"EOF2") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: relay
    bind: "[::1]:$p"
    backend: be
backends:
  be:
    servers: ["127.0.0.1:${\ $be->port}"]
EOF2

for my $round (1 .. 3) {
	my $mine = random_bytes(1 << 20);
	my $c = connect_tcp('::1', $p) or die "connect: $!";
	my $got = pump($c, $mine, 60);
	ok(defined $got, "round $round: transfer finished");
	is(length($got // ''), 1 << 20, "round $round: 1 MiB back");
	my $rep = wait_for(sub {
		my @f = glob("$dir/out-be.*");
		return @f ? $f[0] : undef;
	}, 10);
	my ($be_sent, $be_got, $be_len) = split ' ', slurp($rep);
	unlink($rep);
	is($be_len, 1 << 20, "round $round: backend got 1 MiB");
	is($be_got, sha256_hex($mine), "round $round: client->backend intact");
	is(sha256_hex($got // ''), $be_sent, "round $round: backend->client intact");
}

# Half-close, client first: the client sends and shuts down its write side;
# the backend sees EOF, then still answers, and the client gets the answer.
my $hc = start_backend(handler => sub {
	my ($c) = @_;
	my $in = read_all($c, 10);
	syswrite($c, "got " . length($in) . " then EOF\n");
});
my $p2 = free_port();
my $d2 = start_daemon(name => 'hc', yaml => <<"EOF2") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: hc
    bind: "[::1]:$p2"
    backend: { servers: ["127.0.0.1:${\ $hc->port}"] }
EOF2
my $c = connect_tcp('::1', $p2);
syswrite($c, "hello");
shutdown($c, SHUT_WR);
is(read_all($c, 10), "got 5 then EOF\n",
    'client half-close reaches the backend; the answer still comes back');

# Half-close, backend first: the backend shuts its write side at once; the
# client sees EOF but can still send, and the backend receives it.
my $bf = start_backend(handler => sub {
	my ($c) = @_;
	shutdown($c, SHUT_WR);
	my $in = read_all($c, 10);
	write_file("$dir/out-bf.$$", $in);
});
my $p3 = free_port();
my $d3 = start_daemon(name => 'bf', yaml => <<"EOF2") or BAIL_OUT('no daemon');
workers: 1
listeners:
  - name: bf
    bind: "[::1]:$p3"
    backend: { servers: ["127.0.0.1:${\ $bf->port}"] }
EOF2
$c = connect_tcp('::1', $p3);
my $r = sysread($c, my $buf, 10);
is($r, 0, 'backend half-close reaches the client as EOF');
syswrite($c, "still talking");
shutdown($c, SHUT_WR);
my $rep = wait_for(sub { my @f = glob("$dir/out-bf.*"); @f ? $f[0] : undef }, 10);
is(slurp($rep // '/nonexistent'), 'still talking',
    'client can still send after the backend half-closed');
is(read_all($c, 5), '', 'and then the session ends');

$_->stop_ok() for ($d, $d2, $d3);
done_testing();
