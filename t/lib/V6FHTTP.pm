# HTTP helpers for the t/2NN-http-*.t tests: a recording backend that keeps
# exactly the bytes each request arrived as, and a small client that reads
# responses by their framing.
package V6FHTTP;

use strict;
use warnings;
use Exporter 'import';
use Time::HiRes qw(time);
use V6F;

our @EXPORT = qw(read_message recording_backend records send_all
    read_response);

# Reads one HTTP message (head and body, framed by Content-Length or
# chunked) from $sock, leaving anything after it in $$pending.  $resp_to is
# the request method when reading a response (HEAD has no body); a response
# without framing is read until EOF.  Returns the raw bytes, or undef on EOF
# before a whole message.
sub read_message {
	my ($sock, $pending, $timeout, $resp_to) = @_;
	my $end = time() + ($timeout // 10);
	my $buf = \$$pending;
	$$buf //= '';
	my $fill = sub {
		my $rin = '';
		vec($rin, fileno($sock), 1) = 1;
		my $left = $end - time();
		return 0 if $left <= 0;
		return 0 if select(my $r = $rin, undef, undef, $left) <= 0;
		my $n = sysread($sock, my $chunk, 262144);
		return 0 unless $n;
		$$buf .= $chunk;
		return 1;
	};
	my $hend;
	until (($hend = index($$buf, "\r\n\r\n")) >= 0) {
		return undef unless $fill->();
	}
	my $head = substr($$buf, 0, $hend + 4);
	my $pos = $hend + 4;
	my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})};
	if (defined $resp_to && ($resp_to eq 'HEAD' || $status =~ /^1|^204|^304/)) {
		substr($$buf, 0, $pos, '');
		return $head;
	}
	if ($head =~ /\r\nTransfer-Encoding:[^\r]*chunked/i) {
		while (1) {
			my $eol;
			until (($eol = index($$buf, "\r\n", $pos)) >= 0) {
				return undef unless $fill->();
			}
			my ($size) = substr($$buf, $pos, $eol - $pos) =~
			    /^([0-9a-fA-F]+)/;
			$size = hex($size);
			$pos = $eol + 2;
			if ($size == 0) {
				# Trailers (if any) end with an empty line.
				my $tend;
				until (($tend = index($$buf, "\r\n\r\n",
				    $pos - 2)) >= 0) {
					return undef unless $fill->();
				}
				$pos = $tend + 4;
				last;
			}
			until (length($$buf) >= $pos + $size + 2) {
				return undef unless $fill->();
			}
			$pos += $size + 2;
		}
	} elsif ($head =~ /\r\nContent-Length: *(\d+)/i) {
		my $len = $1;
		until (length($$buf) >= $pos + $len) {
			return undef unless $fill->();
		}
		$pos += $len;
	} elsif (defined $resp_to) {
		1 while $fill->();
		$pos = length($$buf);
	}
	my $msg = substr($$buf, 0, $pos);
	substr($$buf, 0, $pos, '');
	return $msg;
}

# Writes all of $data (blocking).
sub send_all {
	my ($sock, $data) = @_;
	my $off = 0;
	while ($off < length($data)) {
		my $w = syswrite($sock, $data, 65536, $off);
		return 0 unless defined $w;
		$off += $w;
	}
	return 1;
}

# Reads one response and splits it: (status, head, body) with a chunked
# body left as it came.
sub read_response {
	my ($sock, $pending, $timeout, $method) = @_;
	my $m = read_message($sock, $pending, $timeout, $method // 'GET');
	return () unless defined $m;
	my $i = index($m, "\r\n\r\n");
	my ($status) = $m =~ m{^HTTP/1\.\d (\d{3})};
	return ($status, substr($m, 0, $i + 4), substr($m, $i + 4));
}

# A backend on 127.0.0.1 that stores every request it reads, byte for byte,
# as DIR/req.<conn pid>.<n>, and answers each with $reply->($req, $n)
# (bytes; undef closes the connection without answering).  Keeps the
# connection open for as long as the client does.
sub recording_backend {
	my (%o) = @_;
	my $dir = $o{dir};
	return start_backend(handler => sub {
		my ($c) = @_;
		my ($pending, $n) = ('', 0);
		while (defined(my $req = read_message($c, \$pending, 30))) {
			$n++;
			write_file("$dir/req.$$.$n.tmp", $req);
			rename("$dir/req.$$.$n.tmp", "$dir/req.$$.$n");
			my $resp = $o{reply}->($req, $n, $c);
			last unless defined $resp;
			send_all($c, $resp) or last;
		}
	});
}

# The recorded requests, oldest first: list of [conn pid, n, bytes].  Waits
# up to $timeout s for at least $want of them; deletes what it returns.
sub records {
	my ($dir, $want, $timeout) = @_;
	my @f;
	V6F::wait_for(sub {
		@f = grep { !/\.tmp$/ } glob("$dir/req.*");
		return @f >= ($want // 1);
	}, $timeout // 10);
	my @r = map { my ($p, $n) = /req\.(\d+)\.(\d+)$/; [$p, $n, slurp($_),
	    (stat($_))[9]] } @f;
	unlink(@f);
	return sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @r;
}

1;
