#!/usr/bin/env bash
# bench.sh TESSERA ELF BACKEND... -- run the benchmark loop on each backend; one row each with
# instructions, cycles, CPI (the backend's cycle model) and simulated instructions per second.
set -u
tessera=$1 elf=$2; shift 2
printf '%-8s %12s %12s %7s %10s %14s\n' backend instructions cycles CPI seconds 'instr/second'
for b in "$@"; do
  j=$("$tessera" run-elf "$elf" --backend "$b" --json 2>&1 >/dev/null | tail -n 1)
  python3 - "$b" "$j" <<'PY'
import json, sys
try:
    d = json.loads(sys.argv[2])
except ValueError:
    print(f"{sys.argv[1]:<8} failed: {sys.argv[2]}"); sys.exit(1)
print(f"{d['backend']:<8} {d['instructions']:>12} {d['cycles']:>12} {d['cpi']:>7.3f} {d['seconds']:>10.3f} {d['instructions_per_second']:>14,.0f}")
PY
done
