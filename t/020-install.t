#!/usr/bin/perl
# make install honours PREFIX and DESTDIR, and the installed binary runs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use V6F;
use Test::More;

my $root = root_dir();
my $dest = tmpdir() . '/dest';
my $out = `make -s -C '$root' install DESTDIR='$dest' PREFIX=/opt/v6f 2>&1`;
is($?, 0, 'make install succeeds') or diag($out);
my $bin = "$dest/opt/v6f/sbin/v6front";
ok(-x $bin, 'binary in DESTDIR/PREFIX/sbin');
ok(-f "$dest/opt/v6f/share/doc/v6front/README", 'README in the doc dir');
ok(-f "$dest/opt/v6f/share/doc/v6front/examples/demo.yaml",
    'example configs installed');
like(`'$bin' -V`, qr/^v6front \d/, 'the installed binary runs');
$out = `make -s -C '$root' uninstall DESTDIR='$dest' PREFIX=/opt/v6f 2>&1`;
ok(!-e $bin, 'make uninstall removes it');
done_testing();
