#!/usr/bin/perl
# 1,000 concurrent connections relayed at once, each answered correctly.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Test::More;

# 1,000 client sockets need more than the usual 1,024 descriptors.
if (!$ENV{V6F_NOFILE_RAISED}) {
	$ENV{V6F_NOFILE_RAISED} = 1;
	exec('sh', '-c', 'ulimit -n 8192 2>/dev/null || ulimit -n 4096; exec "$0" "$@"',
	    $^X, $0, @ARGV);
}

my ($p6, $p4) = (free_port(), free_port());
my $d = start_daemon(yaml => <<"EOF2") or BAIL_OUT('no daemon');
workers: 2
listeners:
  - name: front
    bind: "[::1]:$p6"
    backend: to-status
  - name: status
    bind: "127.0.0.1:$p4"
    backend: { builtin: status }
backends:
  to-status:
    servers: ["127.0.0.1:$p4"]
EOF2

my $n = 1000;
my @c;
for my $i (1 .. $n) {
	my $s = connect_tcp('::1', $p6);
	last unless $s;
	push @c, $s;
}
is(scalar(@c), $n, "$n connections open at once");
syswrite($_, "GET / HTTP/1.0\r\n\r\n") for @c;
my %seen;
my $good = 0;
for my $s (@c) {
	my $r = read_all($s, 20) // '';
	$good++ if $r =~ m{^HTTP/1\.1 200 OK\r\n.*^client: (127\.0\.0\.1:\d+)}ms;
	$seen{$1}++ if $1;
	close($s);
}
is($good, $n, "all $n answered through the proxy");
is(scalar(keys %seen), $n, 'each over its own backend connection');

$d->stop_ok();
done_testing();
