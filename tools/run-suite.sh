#!/usr/bin/env bash
# run-suite.sh RESULTS LOGDIR NAME MODE CMD... -- run one test suite and record its counts.
# MODE tap: CMD prints TAP ("ok N - name" / "not ok N - name"); each line is a test. A non-zero exit
#           with no failing line, or a suite with no test line at all, counts as one failure.
# MODE plain: CMD is one test; its exit status decides.
# Appends "NAME PASSED FAILED" to RESULTS; prints one line per suite (and the log on failure).
set -u
results=$1 logdir=$2 name=$3 mode=$4; shift 4
mkdir -p "$logdir"
log=$logdir/$name.log
start=$(date +%s)
timeout --foreground "${SUITE_TIMEOUT:-900}" env CMOCKA_MESSAGE_OUTPUT=TAP "$@" >"$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
if [ "$mode" = tap ]; then
  pass=$(grep -c '^ok ' "$log")
  fail=$(grep -c '^not ok ' "$log")
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then fail=1; echo "# suite ran no test" >>"$log"; fi
else
  if [ "$rc" -eq 0 ]; then pass=1 fail=0; else pass=0 fail=1; fi
fi
[ "$rc" -eq 124 ] && echo "# suite timed out after ${SUITE_TIMEOUT:-900}s" >>"$log"
echo "$name $pass $fail" >>"$results"
if [ "$fail" -eq 0 ]; then
  printf '  %-28s %4d passed            (%ss)\n' "$name" "$pass" "$secs"
else
  printf '  %-28s %4d passed %4d FAILED (%ss, exit %d) log: %s\n' "$name" "$pass" "$fail" "$secs" "$rc" "$log"
  grep -E '^not ok|^# ' "$log" | head -n 40 | sed 's/^/    /'
  [ "$mode" = plain ] && tail -n 40 "$log" | sed 's/^/    /'
fi
exit 0
