# Balancing: weighted round_robin (exact), least_conn with connections held
# open, and source hashing: every address of one IPv6 /64 (privacy
# addresses) lands on one server, an IPv4 client keeps its server, and a
# server going down moves only its own clients.
use strict;
use warnings;
use lib 't/lib';
use IO::Socket::IP;
use Test::More;
use Time::HiRes qw(sleep);
use V6F;
use V6FNet;
use V6FServers;

my ($p1, $p2, $p3, $rr, $lc, $src) = map { free_port() } 1 .. 6;
my @be = (id_backend(port => $p1, name => 'one'),
    id_backend(port => $p2, name => 'two'),
    id_backend(port => $p3, name => 'three'));
my @tb = (id_tcp_backend(host => '127.0.0.2', port => $p1, name => 'A'),
    id_tcp_backend(host => '127.0.0.2', port => $p2, name => 'B'));

my $d = start_daemon(yaml => <<"Y") or BAIL_OUT("daemon did not start");
workers: 1
listeners:
  - name: rr
    bind: ["[::1]:$rr"]
    mode: http
    backend:
      servers:
        - { address: "127.0.0.1:$p1", weight: 3 }
        - "127.0.0.1:$p2"
        - { address: "127.0.0.1:$p3", weight: 0 }
  - name: lc
    bind: ["[::1]:$lc"]
    mode: tcp
    backend:
      balance: least_conn
      servers:
        - { address: "127.0.0.2:$p1", weight: 3 }
        - { address: "127.0.0.2:$p2", weight: 1 }
  - name: src
    bind: ["127.0.0.1:$src"]
    mode: http
    backend:
      balance: source
      servers: ["127.0.0.1:$p1", "127.0.0.1:$p2", "127.0.0.1:$p3"]
Y

# round_robin, weights 3, 1 and 0: exactly 30, 10 and none of 40.
my %n;
for (1 .. 40) {
	my ($st, $b) = get_id($rr);
	$n{"$st $b"}++;
}
is_deeply(\%n, { "200 one\n" => 30, "200 two\n" => 10 },
    'round_robin with weights 3:1:0 over 40 requests');

# least_conn, weights 3 and 1: eight held-open sessions split 6 and 2.
my (@held, %lc);
for (1 .. 8) {
	my $s = connect_tcp('::1', $lc) or die "connect: $!";
	my $line = '';
	while ($line !~ /\n/) {
		sysread($s, my $c, 1) or last;
		$line .= $c;
	}
	chomp $line;
	$lc{$line}++;
	push @held, $s;
}
is_deeply(\%lc, { A => 6, B => 2 },
    'least_conn with weights 3:1 over 8 held sessions');
# Once they end, the counts are back to zero: 3 and 1 of four.
close($_) for @held;
@held = ();
sleep(0.3);
%lc = ();
for (1 .. 4) {
	my $s = connect_tcp('::1', $lc);
	sysread($s, my $line, 16);
	chomp $line;
	$lc{$line}++;
	push @held, $s;
}
is_deeply(\%lc, { A => 3, B => 1 }, 'counts fall when sessions end');
close($_) for @held;

# source, IPv4: each client address keeps its server.
my %by;
my $stable = 1;
for my $i (10 .. 40) {
	my $addr = "127.0.0.$i";
	for (1 .. 3) {
		my $s = IO::Socket::IP->new(LocalHost => $addr,
		    PeerHost => '127.0.0.1', PeerPort => $src) or die $!;
		syswrite($s, "GET / HTTP/1.0\r\n\r\n");
		my ($b) = read_all($s, 5) =~ /\r\n\r\n(.*)/s;
		$stable = 0 if defined $by{$addr} && $by{$addr} ne $b;
		$by{$addr} = $b;
	}
}
ok($stable, 'source: every IPv4 client always on the same server');
my %used = map { $_ => 1 } values %by;
cmp_ok(scalar keys %used, '>=', 2, 'source: clients spread over servers');
$d->stop_ok('daemon');

# source, IPv6: in a namespace of its own, clients from twelve /64s, four
# addresses each (privacy addresses change the low 64 bits).
SKIP: {
	skip 'needs root for a network namespace (IPv6 sources)', 7
	    if $> != 0;
	my $net = V6FNet->new;
	$net->add_ns('lb');
	my $ns = $net->ns('lb');
	my @low = ('::10', '::11', ':a:b:c:d', ':ffff:ffff:ffff:ffff');
	for my $p (1 .. 12) {
		$net->ip('-n', $ns, 'addr', 'add', "2001:db8:$p:1$_/128",
		    'dev', 'lo', 'nodad') for @low;
	}
	my ($q1, $q2, $q3, $lp) = map { free_port() } 1 .. 4;
	my @srv = V6F::in_netns($ns, sub {
		return (id_backend(port => $q1, name => 'one'),
		    id_backend(port => $q2, name => 'two'),
		    id_backend(port => $q3, name => 'three'));
	});
	my $nd = $net->daemon('lb', name => 'ns', yaml => <<"Y");
workers: 2
listeners:
  - name: src
    bind: ["[::1]:$lp"]
    mode: http
    backend:
      balance: source
      servers: ["127.0.0.1:$q1", "127.0.0.1:$q2", "127.0.0.1:$q3"]
      health: { every: 200ms, timeout: 500ms, rise: 1, fall: 1 }
Y
	ok($nd, 'daemon in the namespace');
	my $map = sub {
		my %m;
		V6F::in_netns($ns, sub {
			for my $p (1 .. 12) {
				for my $l (@low) {
					my $s = IO::Socket::IP->new(
					    LocalHost => "2001:db8:$p:1$l",
					    PeerHost => '::1',
					    PeerPort => $lp) or die $!;
					syswrite($s, "GET / HTTP/1.0\r\n\r\n");
					my ($b) = read_all($s, 5) =~
					    /\r\n\r\n(\w+)/;
					$m{$p}{$b // 'none'}++;
				}
			}
		});
		return \%m;
	};
	my $m = $map->();
	my @split = grep { keys %{ $m->{$_} } != 1 } keys %$m;
	is(scalar @split, 0, 'every address of a /64 on one server')
	    or diag(explain($m));
	my %on = map { $_ => (keys %{ $m->{$_} })[0] } keys %$m;
	my %servers = map { $_ => 1 } values %on;
	cmp_ok(scalar keys %servers, '>=', 2, '/64s spread over servers');

	# The server with the most /64s goes down: only its clients move.
	my %cnt;
	$cnt{$_}++ for values %on;
	my ($victim) = sort { $cnt{$b} <=> $cnt{$a} || $a cmp $b } keys %cnt;
	my %idx = (one => 0, two => 1, three => 2);
	my $vport = ($q1, $q2, $q3)[$idx{$victim}];
	my $from = length($nd->log);
	$srv[$idx{$victim}]->stop;
	ok($nd->wait_log(qr/server 127\.0\.0\.1:$vport is down/, 3, $from),
	    "$victim ($cnt{$victim} of 12 /64s) is down");
	my $m2 = $map->();
	my (@moved, @wrong);
	for my $p (keys %on) {
		my ($now) = keys %{ $m2->{$p} };
		push @wrong, $p if keys %{ $m2->{$p} } != 1 || $now eq $victim;
		push @moved, $p if $on{$p} ne $victim && $now ne $on{$p};
	}
	is(scalar @wrong, 0, 'its clients went elsewhere, each /64 still on one');
	is(scalar @moved, 0, "the others' clients did not move");
	$nd->stop_ok('namespace daemon');
	$_->stop for @srv;
	$net->cleanup;
}
done_testing();
