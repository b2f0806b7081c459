#!/usr/bin/env bash
# test-summary.sh RESULTS -- add up run-suite.sh's counts; the last line is "N passed, N failed".
set -u
[ -f "$1" ] || { echo "0 passed, 1 failed"; exit 1; }
read -r p f < <(awk '{p += $2; f += $3} END {print p + 0, f + 0}' "$1")
suites=$(wc -l <"$1")
echo "tests: $suites suites"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
