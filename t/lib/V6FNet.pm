# Network namespaces for the tunnel tests (t/4NN-tun-*.t): the whole
# deployment of DESIGN.md on one machine, with documentation addresses
# only, torn down at the end whatever happens.
#
#   client (IPv6 only)       2001:db8:2::100/64, default via the broker
#     | c0 -- b0
#   broker                   2001:db8:2::1/64; 198.51.100.1/24; forwards
#     | b1 -- n0             IPv6; v6front role broker on he-ipv6
#   nat                      198.51.100.2/24, 192.0.2.1/24; 1:1 NAT of
#     | n1 -- h0             203.0.113.12 <-> 192.0.2.12 (nftables)
#   host                     192.0.2.12/24; v6front role client on he-ipv6
#     | h1 -- k0             (with backend => 1) 203.0.113.129/25
#   backend (IPv4 only)      203.0.113.130/25: the real service
#
# Namespaces are named v6f<PID>-<role>, so runs never clash, and the
# veth pairs are created directly inside them.
#
# sources() makes a lone namespace for the listener tests (t/7NN-*.t) that
# need clients in several IPv6 /64s: the addresses on its loopback, and a
# backend on [::1] inside it.
package V6FNet;

use strict;
use warnings;
use POSIX qw(:sys_wait_h);
use V6F;
use V6FHTTP ();

my @NETS;

sub new {
	my ($class) = @_;
	my $net = bless { prefix => "v6f$$", ns => [], daemons => [],
	    pids => [], owner => $$ }, $class;
	push @NETS, $net;
	return $net;
}

sub ns {
	my ($net, $role) = @_;
	return "$net->{prefix}-$role";
}

# Runs `ip ARGS...`; dies with its output when it fails.
sub ip {
	my ($net, @args) = @_;
	my $out = qx{ip @args 2>&1};
	die "ip @args: $out" if $?;
	return $out;
}

# Runs a shell command inside a namespace; returns its output (and the
# wait status in list context).
sub run {
	my ($net, $role, $cmd) = @_;
	my $out = qx{ip netns exec @{[$net->ns($role)]} $cmd 2>&1};
	return wantarray ? ($out, $?) : $out;
}

sub add_ns {
	my ($net, @roles) = @_;
	for my $r (@roles) {
		$net->ip('netns', 'add', $net->ns($r));
		push @{$net->{ns}}, $net->ns($r);
		$net->ip('-n', $net->ns($r), 'link', 'set', 'lo', 'up');
	}
}

# A veth pair from interface $ia in $a to $ib in $b, both up.
sub veth {
	my ($net, $a, $ia, $b, $ib) = @_;
	$net->ip('link', 'add', $ia, 'netns', $net->ns($a), 'type', 'veth',
	    'peer', 'name', $ib, 'netns', $net->ns($b));
	$net->ip('-n', $net->ns($a), 'link', 'set', $ia, 'up');
	$net->ip('-n', $net->ns($b), 'link', 'set', $ib, 'up');
}

# The namespaces of the picture above.  nat => 0 links the broker and
# the host directly (the host is then 203.0.113.12 itself); backend => 1
# adds the IPv4-only backend behind the host.
sub topology {
	my ($net, %o) = @_;
	my $nat = $o{nat} // 1;
	my ($c, $b, $n, $h) = map { $net->ns($_) } qw(client broker nat host);

	$net->add_ns('client', 'broker', 'host', $nat ? 'nat' : ());
	if ($o{backend}) {
		my $k = $net->ns('backend');
		$net->add_ns('backend');
		# IPv4 only, as a backend behind a front door often is.
		$net->run('backend', 'sysctl -qw '
		    . 'net.ipv6.conf.all.disable_ipv6=1 '
		    . 'net.ipv6.conf.default.disable_ipv6=1');
		$net->veth('host', 'h1', 'backend', 'k0');
		$net->ip('-n', $h, 'addr', 'add', '203.0.113.129/25', 'dev',
		    'h1');
		$net->ip('-n', $k, 'addr', 'add', '203.0.113.130/25', 'dev',
		    'k0');
	}
	$net->veth('client', 'c0', 'broker', 'b0');
	$net->ip('-n', $c, '-6', 'addr', 'add', '2001:db8:2::100/64', 'dev',
	    'c0', 'nodad');
	$net->ip('-n', $c, '-6', 'route', 'add', 'default', 'via',
	    '2001:db8:2::1');
	$net->ip('-n', $b, '-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'b0',
	    'nodad');
	$net->run('broker', 'sysctl -qw net.ipv6.conf.all.forwarding=1');
	if ($nat) {
		$net->veth('broker', 'b1', 'nat', 'n0');
		$net->veth('nat', 'n1', 'host', 'h0');
		$net->ip('-n', $b, 'addr', 'add', '198.51.100.1/24', 'dev',
		    'b1');
		$net->ip('-n', $b, 'route', 'add', '203.0.113.0/24', 'via',
		    '198.51.100.2');
		$net->ip('-n', $n, 'addr', 'add', '198.51.100.2/24', 'dev',
		    'n0');
		$net->ip('-n', $n, 'addr', 'add', '192.0.2.1/24', 'dev', 'n1');
		$net->run('nat', 'sysctl -qw net.ipv4.ip_forward=1');
		my $rules = V6F::write_file("nat-$$.nft", <<'EOF');
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 203.0.113.12 dnat to 192.0.2.12
	}
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 192.0.2.12 snat to 203.0.113.12
	}
}
EOF
		my ($out, $st) = $net->run('nat', "nft -f $rules");
		die "nft: $out" if $st;
		$net->ip('-n', $h, 'addr', 'add', '192.0.2.12/24', 'dev', 'h0');
		$net->ip('-n', $h, 'route', 'add', 'default', 'via',
		    '192.0.2.1');
	} else {
		$net->veth('broker', 'b1', 'host', 'h0');
		$net->ip('-n', $b, 'addr', 'add', '198.51.100.1/24', 'dev',
		    'b1');
		$net->ip('-n', $b, 'route', 'add', '203.0.113.0/24', 'dev',
		    'b1');
		$net->ip('-n', $h, 'addr', 'add', '203.0.113.12/24', 'dev',
		    'h0');
		$net->ip('-n', $h, 'route', 'add', 'default', 'dev', 'h0');
	}
	return $net;
}

# The tunnel sections of both ends of the topology.
sub broker_tunnel {
	my (%o) = @_;
	my $echo = $o{echo} // '1s';
	return <<"EOF";
tunnel:
  role: broker
  local: 198.51.100.1
  remote: 203.0.113.12
  address: 2001:db8:1::1/64
  peer: 2001:db8:1::2
  routes: [2001:db8:3::/64]
  echo_interval: $echo
EOF
}

sub host_tunnel {
	my (%o) = @_;
	my $local = $o{local} // '192.0.2.12';
	my $echo = $o{echo} // '1s';
	my $mtu = $o{mtu} // 1480;
	return <<"EOF";
tunnel:
  local: $local
  remote: 198.51.100.1
  address: 2001:db8:1::2/64
  peer: 2001:db8:1::1
  default_route: true
  routes: [2001:db8:3::/64]
  mtu: $mtu
  echo_interval: $echo
EOF
}

# Both ends of the tunnel, nothing else in their configs: the broker's
# daemon with broker_tunnel(%$b), then the host's with host_tunnel(%$h).
# Dies if either does not start; returns both.
sub tunnel_ends {
	my ($net, $b, $h) = @_;
	my $broker = $net->daemon('broker', name => 'broker',
	    yaml => broker_tunnel(%{ $b // {} }))
	    or die "the broker did not start\n";
	my $host = $net->daemon('host', name => 'host',
	    yaml => host_tunnel(%{ $h // {} }))
	    or die "the host did not start\n";
	return ($broker, $host);
}

# Namespace $role with each of @addrs as a /64 on its loopback (no DAD
# wait), and start_backend(host => '::1', handler => $handler) inside it.
# Returns the namespace's name and the backend; the backend stops by PID
# when its object goes or the test ends, the namespace at cleanup.
sub sources {
	my ($net, $role, $handler, @addrs) = @_;
	$net->add_ns($role);
	my $ns = $net->ns($role);
	$net->ip('-n', $ns, 'addr', 'add', "$_/64", 'dev', 'lo', 'nodad')
	    for @addrs;
	my $be = V6F::in_netns($ns, sub {
		V6F::start_backend(host => '::1', handler => $handler) });
	return ($ns, $be);
}

# An IPv4 echo service on 0.0.0.0:$o{port} (9000) inside namespace
# $role (host): it reads up to $o{read} bytes (65536) at a time, writes
# them back whole, and sleeps $o{pause} seconds (0) after each, to keep a
# transfer going for a while.  Returns start_backend's object.
sub echo_backend {
	my ($net, $role, %o) = @_;
	my $size = $o{read} // 65536;
	my $pause = $o{pause} // 0;
	return V6F::in_netns($net->ns($role // 'host'), sub {
		V6F::start_backend(port => $o{port} // 9000, handler => sub {
			my ($c) = @_;
			my $buf;
			while (sysread($c, $buf, $size)) {
				V6FHTTP::send_all($c, $buf) or return;
				select(undef, undef, undef, $pause) if $pause;
			}
		});
	});
}

# start_daemon inside namespace $role; the daemon is stopped at cleanup
# if the test has not stopped it.
sub daemon {
	my ($net, $role, %o) = @_;
	my $d = V6F::start_daemon(%o, netns => $net->ns($role));
	push @{$net->{daemons}}, $d if $d;
	return $d;
}

# Forks $code inside namespace $role; the child is killed at cleanup.
sub spawn {
	my ($net, $role, $code) = @_;
	my $pid = V6F::in_netns($net->ns($role), sub {
		my $p = fork() // die "fork: $!";
		if ($p == 0) {
			# Never back into the test's own code, even on a die.
			eval { $code->() };
			POSIX::_exit($@ ? 1 : 0);
		}
		return $p;
	});
	push @{$net->{pids}}, $pid;
	return $pid;
}

# SIGUSR2 to a daemon, then its counters line parsed into a hash.
sub counters {
	my ($d) = @_;
	my $from = length($d->log);
	$d->signal('USR2');
	my $line = $d->wait_log(qr/tunnel \S+: state=[^\n]*/, 10, $from)
	    // return {};
	my %c = $line =~ /(\w+)=(\S+)/g;
	return \%c;
}

# Kills what the test left running, by PID, then removes the namespaces
# (their TUN devices went with the daemons).  Only in the process that
# built them, never in a forked child.
sub cleanup {
	my ($net) = @_;
	return unless $net->{owner} == $$;
	for my $d (@{$net->{daemons}}) {
		next unless $d->{pid} && !defined $d->{status};
		kill('KILL', $d->{pid});
		$d->wait_exit(10);
	}
	for my $pid (@{$net->{pids}}) {
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
	$net->{daemons} = [];
	$net->{pids} = [];
	for my $ns (reverse @{$net->{ns}}) {
		system('ip', 'netns', 'del', $ns);
	}
	$net->{ns} = [];
}

END {
	my $st = $?;
	$_->cleanup for @NETS;
	@NETS = ();
	$? = $st;
}

1;
