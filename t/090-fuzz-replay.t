#!/usr/bin/env perl
# Replays every fuzz corpus through its target built with a plain main()
# (t/fuzz/replay.c).  A crash, or a sanitizer report in an ASan build, ends
# the replay with a non-zero status and fails the test.
use strict;
use warnings;
use Test::More;

my $build = $ENV{V6F_BUILD}
    or plan skip_all => 'V6F_BUILD is not set (run through make test)';

my @targets = map { m{t/fuzz/(fuzz_\w+)\.c$} ? $1 : () } glob 't/fuzz/fuzz_*.c';
plan skip_all => 'no fuzz targets' unless @targets;

for my $t (@targets) {
	my $bin = "$build/t/fuzz/$t";
	my $dir = "t/fuzz/corpus/$t";
	ok(-x $bin, "$t built") or next;
	ok(-d $dir, "$t has a corpus") or next;
	my $out = qx{"$bin" "$dir" 2>&1};
	my $status = $?;
	is($status, 0, "$t replays its corpus (exit status $status)")
	    or diag($out);
	like($out, qr/^replayed [1-9]\d* inputs$/m, "$t replayed inputs");
	unlike($out, qr/ERROR: AddressSanitizer|runtime error:|LeakSanitizer/,
	    "$t: no sanitizer reports") or diag($out);
}
done_testing();
