#!/usr/bin/env bash
# pkgconfig.sh O CC -- build a small program against libtessera using only
# `pkg-config --cflags --libs tessera` (PKG_CONFIG_PATH=O/lib/pkgconfig) and run it: it opens a
# cmodel device, allocates, writes and reads back a buffer, and prints "pkgconfig ok".
set -eu
o=$1 cc=${2:-cc}
here=$(cd "$(dirname "$0")" && pwd)
export PKG_CONFIG_PATH=$o/lib/pkgconfig
flags=$(pkg-config --cflags --libs tessera)
out=$o/tests/driver_pkgconfig_main
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -o "$out" "$here/pkgconfig_main.c" $flags
got=$("$out")
echo "$got"
[ "$got" = "pkgconfig ok" ]
