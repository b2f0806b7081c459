# TAP helpers for shell test suites: source this file, call the checks, end with tap_done.
# Each check prints "ok N - name" or "not ok N - name" with the reason as "# " lines.
tap_n=0
tap_failed=0
tap_ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
tap_not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# run_cmd CMD...: runs CMD, sets $out (stdout), $err (stderr), $rc.
run_cmd() {
  local e; e=$(mktemp)
  out=$("$@" 2>"$e"); rc=$?
  err=$(cat "$e"); rm -f "$e"
}
# expect NAME RC PATTERN_OUT PATTERN_ERR CMD...: exit status RC, stdout and stderr match the
# extended regexes (empty pattern: not checked); stderr must be one line when RC is 2.
expect() {
  local name=$1 want_rc=$2 pout=$3 perr=$4; shift 4
  run_cmd "$@"
  local why=()
  [ "$rc" -eq "$want_rc" ] || why+=("exit status $rc, wanted $want_rc")
  [ -z "$pout" ] || grep -Eq -- "$pout" <<<"$out" || why+=("stdout does not match /$pout/: $(head -c 300 <<<"$out")")
  [ -z "$perr" ] || grep -Eq -- "$perr" <<<"$err" || why+=("stderr does not match /$perr/: $(head -c 300 <<<"$err")")
  if [ "$want_rc" -eq 2 ] && [ "$(grep -c . <<<"$err")" -ne 1 ]; then why+=("usage errors must be one line, got: $err"); fi
  if [ ${#why[@]} -eq 0 ]; then tap_ok "$name"; else tap_not_ok "$name" "${why[@]}"; fi
}
tap_done() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }
