#!/usr/bin/perl
# `v6front -t -c FILE`: exit 0 for a good file, 1 with file:line:col errors
# for a bad one, and the other command-line switches.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Test::More;

my $bin = v6f_bin();
my $root = root_dir();

sub run {
	my (@args) = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec($bin, @args) or exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close($fh);
	return ($? >> 8, $? & 127, $out);
}

for my $ex (glob("$root/conf/examples/*.yaml")) {
	my ($rc, $sig, $out) = run('-t', '-c', $ex);
	is($rc, 0, "example $ex is valid") or diag($out);
	like($out, qr/\Q$ex\E: configuration ok/, "...and says so");
}

# Rows: file text, expected exit status, expected message (regex).
my @bad = (
	["workers: 0\nlisteners: []\n", 1,
	    qr/^bad\.yaml:1:10: workers: /m],
	["listeners:\n  - name: a\n    bind: \"[::1]:70000\"\n" .
	    "    backend: b\nbackends:\n  b: { servers: [\"127.0.0.1:1\"] }\n",
	    1, qr/^bad\.yaml:3:11: listeners\[0\]\.bind\[0\]: .*70000/m],
	["listeners:\n  - name: a\n    bind: \"[::1]:8\"\n    backend: nope\n",
	    1, qr/^bad\.yaml:4:14: listeners\[0\]\.backend: no backend named "nope"/m],
	["listeners:\n  - name: a\n    bnid: x\n", 1,
	    qr/^bad\.yaml:3:5: listeners\[0\]\.bnid: unknown key/m],
	["listeners: [\n", 1, qr/^bad\.yaml:\d+:\d+: syntax error/m],
);
for my $row (@bad) {
	my ($text, $want, $re) = @$row;
	my $f = write_file('bad.yaml', $text);
	chdir(tmpdir());
	my ($rc, $sig, $out) = run('-t', '-c', 'bad.yaml');
	is($sig, 0, "no crash on: " . (split /\n/, $text)[0]);
	is($rc, $want, "exit $want");
	like($out, $re, "message names file:line:col") or diag($out);
}

my ($rc, $sig, $out) = run('-t', '-c', '/nonexistent/v6front.yaml');
is($rc, 1, 'missing file: exit 1');
like($out, qr{^/nonexistent/v6front\.yaml: }m, 'missing file: names it');

($rc, $sig, $out) = run('-V');
is($rc, 0, '-V exits 0');
like($out, qr/^v6front \d+\.\d+\.\d+$/m, '-V prints the version');
($rc, $sig, $out) = run('-h');
is($rc, 0, '-h exits 0');
like($out, qr/usage: v6front/, '-h prints usage');
($rc, $sig, $out) = run('-x');
is($rc, 2, 'unknown option exits 2');
($rc, $sig, $out) = run('-c', '/dev/null', 'extra');
is($rc, 2, 'stray argument exits 2');

done_testing();
