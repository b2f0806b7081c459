#!/usr/bin/env bash
# bench.sh TESSERA "ELF..." BACKEND... -- run each benchmark ELF on each backend ("rtl --cosim"
# is one backend with its flag); one row each: instructions, cycles, CPI (counted by rtl,
# estimated by cmodel's cycle model), host seconds and simulated instructions per second.
set -u
tessera=$1 elfs=$2; shift 2
printf '%-14s %-12s %12s %12s %7s %9s %14s\n' program backend instructions cycles CPI seconds 'instr/second'
status=0
for elf in $elfs; do
  for b in "$@"; do
    # shellcheck disable=SC2086
    j=$("$tessera" run-elf "$elf" --backend $b --json 2>&1 >/dev/null | tail -n 1)
    python3 - "$(basename "$elf" .elf)" "$b" "$j" <<'PY' || status=1
import json, sys
prog, backend, line = sys.argv[1:4]
try:
    d = json.loads(line)
    assert d["status"] == 0, f"exit status {d['status']}"
except (ValueError, AssertionError) as e:
    print(f"{prog:<14} {backend:<12} failed: {e}: {line}"); sys.exit(1)
print(f"{prog:<14} {backend:<12} {d['instructions']:>12} {d['cycles']:>12} {d['cpi']:>7.3f} {d['seconds']:>9.3f} {d['instructions_per_second']:>14,.0f}")
PY
  done
done
exit $status
