#!/usr/bin/env bash
# The tessera command line: help, exit statuses, machine-readable output, bad input.
# usage: test_cli.sh PATH/TO/tessera
set -u
T=$1
. "$(dirname "$0")/../tap.sh"

expect "help lists commands" 0 "simctrl.*sparse-stats|sparse-stats" "" "$T" --help
expect "no command is a usage error" 2 "" "no command given" "$T"
expect "unknown command named" 2 "" "unknown command 'frobnicate'" "$T" frobnicate

expect "simctrl prints its text" 0 "^abc$" "" "$T" simctrl --text abc --idle 0
expect "simctrl exit code passes through" 42 "" "exit code 42" "$T" simctrl --text "" --exit 42
expect "simctrl json stats" 0 "" '^\{"cycles": [0-9]+, "counter_read": [0-9]+, "exit_code": 0\}$' "$T" simctrl --text x --json
expect "simctrl rejects exit 256" 2 "" "--exit wants an integer 0..255, got '256'" "$T" simctrl --exit 256
expect "simctrl rejects unknown option" 2 "" "unknown argument '--bogus'" "$T" simctrl --bogus
expect "simctrl option without value" 2 "" "option needs a value: '--text'" "$T" simctrl --text
f=$(mktemp --suffix=.fst)
expect "simctrl writes a waveform" 0 "" "" "$T" simctrl --text w --trace "$f"
if [ -s "$f" ]; then tap_ok "waveform file is not empty"; else tap_not_ok "waveform file is not empty" "$f is empty"; fi
rm -f "$f"
expect "simctrl unwritable trace" 1 "" "cannot start the model or open /nonexistent/dir/x.fst" "$T" simctrl --trace /nonexistent/dir/x.fst

expect "sparse-stats 1xP blocks reach 4x" 0 '"speedup": 4\.0000' "" "$T" sparse-stats --pattern block --density 0.25 --p 4 --s 8 --json
expect "sparse-stats 2:4 reaches 2x with S=2P" 0 '"speedup": 2\.0000' "" "$T" sparse-stats --pattern 2:4 --p 4 --s 8 --json
expect "sparse-stats column order has conflicts" 0 '"conflict_cycles": [1-9][0-9]*' "" "$T" sparse-stats --no-reorder --p 4 --s 4 --json
expect "sparse-stats rejects density 0" 2 "" "density must be a number in \(0, 1\], got '0'" "$T" sparse-stats --density 0
expect "sparse-stats rejects density text" 2 "" "got 'half'" "$T" sparse-stats --density half
expect "sparse-stats rejects 3 sub-banks" 2 "" "power of two" "$T" sparse-stats --s 3
expect "sparse-stats rejects huge k" 2 "" "--k wants an integer in \[1, 65535\]" "$T" sparse-stats --k 70000
expect "sparse-stats rejects bad pattern" 2 "" "must be dense, unstructured, block or 2:4" "$T" sparse-stats --pattern 3:4
expect "sparse-stats unknown option" 2 "" "unknown argument '--bogus'" "$T" sparse-stats --bogus
expect "sparse-stats option without value" 2 "" "option needs a value: '--density'" "$T" sparse-stats --density
expect "sparse-stats numeric option without value" 2 "" "--n wants an integer" "$T" sparse-stats --n
expect "sparse-stats help" 0 "usage: tessera sparse-stats" "" "$T" sparse-stats --help
tap_done
