#!/usr/bin/env bash
# baremetal.sh TESSERA DIR -- TAP suite: the bare-metal programs of tests/controller/baremetal/
# (built against nothing of ours, with and without picolibc, -O2 and -Os, and one whose entry
# point is not the reset PC) on the cmodel, rtl and
# rtl --cosim backends. Each run must print exactly what the same source prints when built for
# the host (DIR/bm_*_host) and exit with the same status.
set -u
tessera=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tap.sh
. "$here/../tap.sh"

for variant in plain libc; do
  want=$("$dir/bm_${variant}_host"); want_rc=$?
  if [ -z "$want" ]; then tap_not_ok "host reference of bm_$variant" "no output"; continue; fi
  opts=(O2 Os)
  [ "$variant" = plain ] && opts+=(gap) # gap: -O2 with the entry point at 0x100, not the reset PC
  for opt in "${opts[@]}"; do
    elf="$dir/bm_${variant}_${opt}.elf"
    for backend in cmodel rtl "rtl --cosim"; do
      # shellcheck disable=SC2086
      run_cmd "$tessera" run-elf "$elf" --backend $backend
      name="[$backend] bm_${variant} $opt: console and exit status equal the host build's"
      why=()
      [ "$rc" -eq "$want_rc" ] || why+=("exit status $rc, wanted $want_rc; stderr: $err")
      [ "$out" = "$want" ] || why+=("console differs:" "$(diff <(echo "$want") <(echo "$out") | head -10)")
      [ -z "$err" ] || why+=("stderr not empty: $err")
      if [ ${#why[@]} -eq 0 ]; then tap_ok "$name"; else tap_not_ok "$name" "${why[@]}"; fi
    done
  done
done
tap_done
