# A small authoritative DNS server for tests: answers A queries from a table
# the test changes while it runs, over UDP on 127.0.0.1.  Names in the table
# get their A records with the given TTL, or an error (NXDOMAIN, SERVFAIL,
# or no answer at all: DROP); any other name gets NXDOMAIN, and other query
# types an empty NOERROR answer.  The server process re-reads the table file
# on every query, so set() takes effect at once.
package V6FDNS;

use strict;
use warnings;
use IO::Socket::IP;
use POSIX ();
use V6F;

# V6FDNS->new(table => { 'be.test' => ['127.0.0.2'] }, ttl => 1)
sub new {
	my ($class, %o) = @_;
	my $self = bless { file => V6F::tmpdir() . "/dns-$$-" .
	    int(rand(1e9)) . ".tab", ttl => $o{ttl} // 1 }, $class;
	$self->{queries} = "$self->{file}.log";
	for my $name (keys %{ $o{table} // {} }) {
		$self->{tab}{lc $name} = $o{table}{$name};
	}
	$self->_write;
	my $sock = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => 0, Proto => 'udp') or die "dns socket: $!";
	$self->{port} = $sock->sockport;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		$self->_serve($sock);
		POSIX::_exit(0);
	}
	close($sock);
	$self->{pid} = $pid;
	$V6F::LIVE{$pid} = ['group', $$];
	return $self;
}

sub port { $_[0]{port} }
sub addr { "127.0.0.1:$_[0]{port}" }

# set(NAME => [addresses]) or set(NAME => 'NXDOMAIN' | 'SERVFAIL' | 'DROP');
# ttl => N changes the TTL of every answer from now on.
sub set {
	my ($self, %o) = @_;
	$self->{ttl} = delete $o{ttl} if exists $o{ttl};
	$self->{tab}{lc $_} = $o{$_} for keys %o;
	$self->_write;
}

# How many queries for NAME the server has answered (or dropped).
sub queries {
	my ($self, $name) = @_;
	my $n = 0;
	open(my $fh, '<', $self->{queries}) or return 0;
	while (<$fh>) {
		chomp;
		$n++ if lc($_) eq lc($name);
	}
	return $n;
}

sub _write {
	my ($self) = @_;
	my $tmp = "$self->{file}.tmp";
	open(my $fh, '>', $tmp) or die "$tmp: $!";
	print $fh "ttl $self->{ttl}\n";
	for my $name (sort keys %{ $self->{tab} }) {
		my $v = $self->{tab}{$name};
		print $fh "$name ", (ref $v ? join(' ', 'A', @$v) : $v), "\n";
	}
	close($fh) or die "$tmp: $!";
	rename($tmp, $self->{file}) or die "rename: $!";
}

sub _table {
	my ($self) = @_;
	my (%tab, $ttl);
	open(my $fh, '<', $self->{file}) or return ({}, 1);
	while (<$fh>) {
		chomp;
		my ($name, $kind, @a) = split ' ';
		if ($name eq 'ttl') {
			$ttl = $kind;
			next;
		}
		$tab{$name} = $kind eq 'A' ? [@a] : $kind;
	}
	return (\%tab, $ttl // 1);
}

sub _serve {
	my ($self, $sock) = @_;
	while (1) {
		my $peer = $sock->recv(my $q, 4096) // next;
		next if length($q) < 17;
		my ($id, $flags, $qd) = unpack('n n n', $q);
		next if $flags & 0x8000 or $qd != 1;
		# The question: labels, then type and class.
		my ($off, @labels) = (12);
		while ($off < length($q)) {
			my $l = ord(substr($q, $off, 1));
			$off++;
			last if $l == 0;
			push @labels, substr($q, $off, $l);
			$off += $l;
		}
		next if $off + 4 > length($q);
		my ($qtype, $qclass) = unpack('n n', substr($q, $off, 4));
		my $question = substr($q, 12, $off + 4 - 12);
		my $name = lc join('.', @labels);
		if (open(my $log, '>>', $self->{queries})) {
			print $log "$name\n";
			close($log);
		}
		my ($tab, $ttl) = $self->_table;
		my $v = $tab->{$name};
		next if defined $v && !ref $v && $v eq 'DROP';
		my ($rcode, @ans) = (0);
		if (!defined $v || (!ref $v && $v eq 'NXDOMAIN')) {
			$rcode = 3;
		} elsif (!ref $v) {
			$rcode = 2;
		} elsif ($qtype == 1 && $qclass == 1) {
			@ans = @$v;
		}
		my $resp = pack('n n n n n n', $id,
		    0x8400 | ($flags & 0x0100) | 0x0080 | $rcode, 1,
		    scalar @ans, 0, 0) . $question;
		for my $a (@ans) {
			$resp .= pack('n n n N n', 0xc00c, 1, 1, $ttl, 4) .
			    pack('C4', split(/\./, $a));
		}
		$sock->send($resp, 0, $peer);
	}
}

sub stop {
	my ($self) = @_;
	return unless $self->{pid};
	kill('KILL', -$self->{pid});
	kill('KILL', $self->{pid});
	waitpid($self->{pid}, 0);
	delete $V6F::LIVE{$self->{pid}};
	$self->{pid} = undef;
}

sub DESTROY { $_[0]->stop }

1;
