#!/usr/bin/env bash
# run_elf_tests.sh TESSERA FWDIR BACKEND [EXTRA_FLAGS...] -- TAP suite: every firmware test under
# `tessera run-elf --backend BACKEND` (exit status and key console lines), the runtime's trap
# report, out-of-map and bus-error runs (exit 4, address and PC named), a runaway loop stopped by
# --max-cycles (exit 3), bad ELF files (exit 2, one line) and bad command lines.
# EXTRA_FLAGS (e.g. --cosim) are passed to every run of a firmware program.
set -u
tessera=$1 fw=$2 backend=$3; shift 3
extra=("$@")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tap.sh
. "$here/../tap.sh"
NM=${RISCV_PREFIX:-riscv64-unknown-elf-}nm
run() { "$tessera" run-elf "$@" --backend "$backend" "${extra[@]}"; }
sym() { printf '0x%08x' "0x$($NM "$1" | awk -v s="$2" '$3 == s { print $1 }')"; }
tag="[$backend${extra[*]:+ ${extra[*]}}]"

# Self-checking programs: exit 0, "PASSED", no FAIL line, and a few lines that prove they ran.
# runopts: more run-elf options for the next selfcheck.
runopts=()
selfcheck() {
  local name=$1; shift
  run_cmd run "$fw/test_$name.elf" "${runopts[@]}"
  local why=()
  [ "$rc" -eq 0 ] || why+=("exit status $rc, wanted 0; stderr: $err")
  grep -q '^PASSED$' <<<"$out" || why+=("no PASSED line")
  if grep -q 'FAIL' <<<"$out"; then why+=("$(grep FAIL <<<"$out" | head -5)"); fi
  for pat in "$@"; do grep -Eq -- "$pat" <<<"$out" || why+=("missing line /$pat/"); done
  if [ ${#why[@]} -eq 0 ]; then tap_ok "$tag firmware test_$name"; else tap_not_ok "$tag firmware test_$name" "${why[@]}"; fi
}
selfcheck hello '^hello from tessera: -7 7 0x0000beef Z ok %$' '^lld -1234567890123 llx 123456789abcdef$'
selfcheck rv32i_alu '^ok: sra by 0x3f uses 31$' '^ok: x0 ignores lw/jal/csrr$' '^ok: auipc 1 is pc\+0x1000$'
selfcheck rv32i_mem '^ok: lb byte3 0x80 sign-extends$' '^ok: sh upper half$' '^ok: lb from IMEM sign-extends$'
selfcheck rv32i_ctl '^ok: bltu 1<0xffffffff taken$' '^ok: jalr clears bit 0, link pc\+4$'
selfcheck rv32m '^ok: div MIN/-1 overflow = MIN$' '^ok: mulhsu MIN\*0xffffffff = -2\^63\+2\^31$' '^ok: remu by zero = dividend$'
selfcheck csr '^ok: write mhartid traps$' '^ok: minstret counts 4 instructions$' '^ok: misa is RV32IM$'
selfcheck traps '^-- jalr to pc\+2$' '^-- taken beq \+6$' '^ok: MIE restored by mret$'
selfcheck timer '^ok: one timer interrupt$' '^ok: no interrupt taken with MIE clear$' '^ok: interrupt taken while running$'
selfcheck div_random '^ok: random div/rem operands pass the identities$' '^ok: rem MIN / 3 = -2$'
# The external line rises at cycle 3000 (--ext-irq): taken through wfi, priority over the timer.
runopts=(--ext-irq 3000)
selfcheck ext_irq '^ok: MEIP low before the line rises$' '^ok: mcause is machine external$' '^ok: external wins over timer$'
runopts=()

# The runtime's default trap handler.
pc=$(sym "$fw/test_trap_report.elf" trap_here)
expect "$tag default trap handler reports cause, pc, tval; exit 99" 99 \
  "^TRAP: cause 0x00000002 \(illegal instruction\) pc $pc tval 0xffffffff$" "" run "$fw/test_trap_report.elf"

# Simulation errors: exit 4 naming the address and the PC.
pc=$(sym "$fw/test_out_of_map.elf" bad_load)
expect "$tag load outside the map: exit 4, address and pc" 4 '^loading from 0x30000000$' \
  "outside the memory map.*0x30000000.*pc $pc" run "$fw/test_out_of_map.elf"
expect "$tag read of simctrl.console: bus error, exit 4" 4 '^reading simctrl.console$' \
  "bus error.*console.*0x20000000.*pc 0x" run "$fw/test_bus_error.elf"

# A runaway loop stopped by --max-cycles: exit 3, the message names the cycle count and the pc.
expect "$tag runaway loop stopped by --max-cycles 20000" 3 '^looping forever$' \
  "cycle limit 2000[0-9] at pc 0x" run "$fw/test_runaway.elf" --max-cycles 20000
# A jump to itself that an enabled interrupt leaves: not a hung program.
expect "$tag loop left by the external interrupt (--ext-irq 20000): exit 0" 0 \
  '^left the loop by the external interrupt$' "" run "$fw/test_irq_loop.elf" --ext-irq 20000
# The default limit (10^8 cycles): the rtl backend recognises the jump to itself that no interrupt
# can leave and ends the run as if it had simulated every cycle.
expect "$tag runaway loop stopped at the default cycle limit" 3 '^looping forever$' \
  "cycle limit 100000000 at pc 0x" run "$fw/test_runaway.elf"

# Bad ELF files: exit 2 with one line naming the file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'hello\n' >"$tmp/text.elf"
head -c 40 "$fw/test_hello.elf" >"$tmp/trunc.elf"
cp "$fw/test_hello.elf" "$tmp/x86.elf"
printf '\x3e' | dd of="$tmp/x86.elf" bs=1 seek=18 conv=notrunc status=none
python3 - "$fw/test_hello.elf" "$tmp/outside.elf" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
phoff, = struct.unpack_from('<I', b, 28)
phnum, = struct.unpack_from('<H', b, 44)
for i in range(phnum):
    o = phoff + 32 * i
    if struct.unpack_from('<I', b, o)[0] == 1:
        struct.pack_into('<I', b, o + 12, 0x30000000)  # p_paddr outside every region
        break
open(sys.argv[2], 'wb').write(b)
PY
expect "$tag not an ELF: exit 2" 2 "" "text.elf: not an ELF file" run "$tmp/text.elf"
expect "$tag 64-bit ELF: exit 2" 2 "" "not a 32-bit ELF" run /bin/sh
expect "$tag wrong machine: exit 2" 2 "" "x86.elf: not a RISC-V ELF" run "$tmp/x86.elf"
expect "$tag truncated ELF: exit 2" 2 "" "trunc.elf: truncated ELF header" run "$tmp/trunc.elf"
expect "$tag segment outside memory: exit 2" 2 "" "outside.elf: segment [0-9]+: \[0x30000000" run "$tmp/outside.elf"
expect "$tag missing file: exit 2" 2 "" "cannot open" run "$tmp/none.elf"
expect "$tag directory: exit 2" 2 "" "cannot read" run "$tmp"

# The rtl backend's own options: a waveform, and co-simulation catching an injected divergence
# (TESSERA_COSIM_INJECT=ORDER:REG:XOR corrupts one ISS register after record ORDER: here sp,
# so the next stack access differs; the message shows both records).
if [ "$backend" = rtl ] && [ ${#extra[@]} -eq 0 ]; then
  run_cmd "$tessera" run-elf "$fw/test_hello.elf" --backend rtl --trace "$tmp/hello.fst" --max-cycles 3000
  if [ "$rc" -eq 3 ] && [ -s "$tmp/hello.fst" ] && [ "$(head -c 1 "$tmp/hello.fst" | od -An -tx1 | tr -d ' ')" = 00 ]
  then tap_ok "[rtl] --trace writes an FST file"; else tap_not_ok "[rtl] --trace writes an FST file" "rc $rc: $err"; fi
  expect "[rtl] --trace into a missing directory: exit 2" 2 "" "cannot open the trace file" \
    "$tessera" run-elf "$fw/test_hello.elf" --backend rtl --trace "$tmp/no/such/dir/x.fst"
  expect "[rtl] --cosim stays silent without a divergence" 0 '^PASSED$' "" \
    "$tessera" run-elf "$fw/test_hello.elf" --backend rtl --cosim
  run_cmd env TESSERA_COSIM_INJECT=40:2:0x10 "$tessera" run-elf "$fw/test_hello.elf" --backend rtl --cosim
  why=()
  [ "$rc" -eq 5 ] || why+=("exit status $rc, wanted 5")
  grep -Eq 'co-simulation mismatch at record [0-9]+' <<<"$err" || why+=("no mismatch line: $err")
  rl=$(grep -E '^  rtl: pc 0x[0-9a-f]{8} insn 0x[0-9a-f]{8}' <<<"$err")
  il=$(grep -E '^  iss: pc 0x[0-9a-f]{8} insn 0x[0-9a-f]{8}' <<<"$err")
  [ -n "$rl" ] && [ -n "$il" ] || why+=("both views wanted: $err")
  [ "${rl#  rtl: }" != "${il#  iss: }" ] || why+=("the two views are identical: $rl")
  grep -q '^PASSED$' <<<"$out" && why+=("the run went on after the mismatch")
  if [ ${#why[@]} -eq 0 ]; then tap_ok "[rtl --cosim] an injected ISS divergence: exit 5 with both views"
  else tap_not_ok "[rtl --cosim] an injected ISS divergence: exit 5 with both views" "${why[@]}"; fi
  expect "[rtl --cosim] bad TESSERA_COSIM_INJECT: exit 2" 2 "" "TESSERA_COSIM_INJECT wants" \
    env TESSERA_COSIM_INJECT=x "$tessera" run-elf "$fw/test_hello.elf" --backend rtl --cosim
fi

# Command line (cmodel only: independent of the backend).
if [ "$backend" = cmodel ] && [ ${#extra[@]} -eq 0 ]; then
  expect "no file: exit 2" 2 "" "no ELF file" "$tessera" run-elf
  expect "unknown option: exit 2" 2 "" "unknown option '--bogus'" "$tessera" run-elf "$fw/test_hello.elf" --bogus
  expect "bad --max-cycles: exit 2" 2 "" "--max-cycles wants" "$tessera" run-elf "$fw/test_hello.elf" --max-cycles 12x
  expect "unknown backend: exit 2" 2 "" "unknown backend 'vp'" "$tessera" run-elf "$fw/test_hello.elf" --backend vp
  expect "--trace with cmodel: exit 2" 2 "" "--trace needs the rtl backend" \
    "$tessera" run-elf "$fw/test_hello.elf" --backend cmodel --trace "$tmp/x.fst"
  expect "--cosim with cmodel: exit 2" 2 "" "--cosim needs the rtl backend" \
    "$tessera" run-elf "$fw/test_hello.elf" --backend cmodel --cosim
  expect "bad --ext-irq: exit 2" 2 "" "--ext-irq wants" "$tessera" run-elf "$fw/test_hello.elf" --ext-irq -5
  expect "--help: exit 0" 0 "usage: tessera run-elf" "" "$tessera" run-elf --help
  run_cmd "$tessera" run-elf "$fw/test_hello.elf" --backend cmodel --stats
  if [ "$rc" -eq 0 ] && grep -Eq '^cycles [1-9][0-9]*$' <<<"$err" && grep -Eq '^instructions [1-9][0-9]*$' <<<"$err" \
     && grep -Eq '^CPI [0-9]+\.[0-9]+$' <<<"$err"; then tap_ok "--stats prints cycles, instructions, CPI"
  else tap_not_ok "--stats prints cycles, instructions, CPI" "rc $rc: $err"; fi
  run_cmd "$tessera" run-elf "$fw/test_hello.elf" --backend cmodel --json
  if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["instructions"] > 0 and d["cycles"] >= d["instructions"] and d["status"] == 0' "$err" 2>/dev/null
  then tap_ok "--json prints one JSON object"; else tap_not_ok "--json prints one JSON object" "rc $rc: $err"; fi
fi
tap_done
