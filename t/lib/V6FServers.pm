# Backends for the t/6NN-backend-*.t tests: HTTP and TCP servers that say
# which one answered, so a test can count where requests went.
package V6FServers;

use strict;
use warnings;
use Exporter 'import';
use Time::HiRes qw(sleep);
use V6F;
use V6FHTTP;

our @EXPORT = qw(id_backend id_tcp_backend get_id);

# An HTTP/1.1 server on host:port answering every request with its name
# as the body, keeping connections alive.  GET /slow answers 2000 bytes in
# two halves 1.5 s apart; GET /health answers $o{health} (default 200).
# When a client closes a connection, "closed" is appended to DIR/closed.NAME.
sub id_backend {
	my (%o) = @_;
	my $name = $o{name};
	my $dir = V6F::tmpdir();
	return start_backend(host => $o{host}, port => $o{port},
	    handler => sub {
		my ($c) = @_;
		my $pending = '';
		while (defined(my $req = read_message($c, \$pending, 60))) {
			my ($path) = $req =~ m{^\S+ (\S+)};
			if ($path eq '/slow') {
				my $half = 'x' x 1000;
				send_all($c, "HTTP/1.1 200 OK\r\n" .
				    "Content-Length: 2000\r\n\r\n$half") or last;
				sleep(1.5);
				send_all($c, $half) or last;
				next;
			}
			my $st = $path eq '/health' ? ($o{health} // 200) : 200;
			my $body = "$name\n";
			send_all($c, "HTTP/1.1 $st X\r\nContent-Length: " .
			    length($body) . "\r\n\r\n$body") or last;
		}
		open(my $fh, '>>', "$dir/closed.$name") or return;
		print $fh "closed\n";
		close($fh);
	});
}

# A TCP server that sends "NAME\n" on connect, then echoes until EOF.
sub id_tcp_backend {
	my (%o) = @_;
	return start_backend(host => $o{host}, port => $o{port},
	    handler => sub {
		my ($c) = @_;
		syswrite($c, "$o{name}\n");
		while (sysread($c, my $buf, 4096)) {
			syswrite($c, $buf);
		}
	});
}

# One HTTP/1.0 GET through v6front: (status, body), status 0 on failure.
sub get_id {
	my ($port, $path, $host) = @_;
	my $r = http_get($host // '::1', $port, $path // '/') // '';
	my ($st) = $r =~ m{^HTTP/1\.\d (\d{3})};
	my $i = index($r, "\r\n\r\n");
	return ($st // 0, $i >= 0 ? substr($r, $i + 4) : '');
}

1;
