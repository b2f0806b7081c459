#!/usr/bin/env bash
# `tessera fpu` end to end: hand-checked lines on the cmodel backend, malformed input, and the
# rtl backend equal to cmodel on the exact operations. Usage: test_fpu_cli.sh path/to/tessera
set -u
T=${1:?usage: test_fpu_cli.sh path/to/tessera}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fpu_expect NAME BACKEND INPUT EXPECTED_OUTPUT [ARGS...]: exit 0, stdout exactly EXPECTED_OUTPUT.
fpu_expect() {
  local name=$1 backend=$2 input=$3 want=$4; shift 4
  printf '%s' "$input" >"$tmp/in"
  run_cmd "$T" fpu --backend "$backend" "$@" <"$tmp/in"
  if [ "$rc" -eq 0 ] && [ "$out" = "$want" ] && [ -z "$err" ]; then
    tap_ok "$name"
  else
    tap_not_ok "$name" "exit $rc, stderr: $err" "got:" "$out" "wanted:" "$want"
  fi
}

# Hand-checked results, one per line (input, then the result appended).
hand='f32_add 3f800000 40000000 40400000
f32_add 3f800000 bf800000 00000000
f32_add 80000000 80000000 80000000
f32_add 4b800000 3f800000 4b800000
f32_add 4b800001 3f800000 4b800002
f32_add 7f800000 ff800000 7fc00000
f32_mul 40000000 40400000 40c00000
f32_mul 7f800000 00000000 7fc00000
f32_mul 80000000 3f800000 80000000
f32_mul 00800000 3f000000 00400000
f32_mul 7f7fffff 40000000 7f800000
f32_mul 00000001 3f000000 00000000
f32_fma 3f800001 3f7ffffe bf800000 a8800000
f32_fma 80000000 3f800000 80000000 80000000
f32_fma 00000001 3f000000 00000001 00000002
f32_fma 7fa00000 3f800000 3f800000 7fc00000
bf16_fma 3f80 4000 3f800000 40400000
bf16_fma c040 4040 41100000 00000000
f32_to_bf16 3f808000 3f80
f32_to_bf16 3f818000 3f82
f32_to_bf16 7f7fffff 7f80
f32_to_bf16 ffc00001 7fc0
bf16_to_f32 3f80 3f800000
bf16_to_f32 ffc1 7fc00000
f32_to_e4m3 43e00000 7e
f32_to_e4m3 43e80000 7e
f32_to_e4m3 ff800000 fe
f32_to_e4m3 ffc00000 7f
f32_to_e4m3 3a800001 01
f32_to_e5m2 7f800000 7b
f32_to_e5m2 ffffffff 7e
f32_to_e5m2 47600000 7b
e4m3_to_f32 01 3b000000
e4m3_to_f32 7e 43e00000
e4m3_to_f32 ff 7fc00000
e5m2_to_f32 fc ff800000
e5m2_to_f32 7b 47600000
e5m2_to_f32 7d 7fc00000'
input=$(sed 's/ [0-9a-f]*$//' <<<"$hand")
fpu_expect "cmodel: hand-checked results of every exact op" cmodel "$input"$'\n' "$hand"

fpu_expect "blank and comment lines are copied through" cmodel \
  $'# header\n\nf32_add 3f800000 40000000\n   # indented\nf32_mul 40000000 40400000\n' \
  $'# header\n\nf32_add 3f800000 40000000 40400000\n   # indented\nf32_mul 40000000 40400000 40c00000'
fpu_expect "--op: the name may be left out; uppercase hex is read, output is lowercase" cmodel \
  $'3F800000 40000000\nf32_add 3f800000 3f800000\n' $'3F800000 40000000 40400000\nf32_add 3f800000 3f800000 40000000' --op f32_add
fpu_expect "no trailing newline on the last line" cmodel 'e5m2_to_f32 3c' 'e5m2_to_f32 3c 3f800000'
fpu_expect "empty input gives empty output" cmodel '' ''

# Malformed lines: exit 2, one line on stderr naming the line, earlier lines already out.
bad() {
  local name=$1 input=$2 pattern=$3; shift 3
  printf '%s' "$input" >"$tmp/in"
  expect "$name" 2 '' "$pattern" "$T" fpu --backend cmodel "$@" <"$tmp/in"
}
bad "unknown op: exit 2, line number" $'f32_add 3f800000 40000000\nf32_sub 3f800000 40000000\n' \
  '^tessera fpu: line 2: unknown op .f32_sub.'
bad "too few operands" $'\n#x\nf32_fma 3f800000 40000000\n' '^tessera fpu: line 3: f32_fma takes 3 operands, got 2'
bad "too many operands" $'f32_to_bf16 3f800000 40000000\n' '^tessera fpu: line 1: f32_to_bf16 takes 1 operand, got 2'
bad "fp32 operand with 7 digits" $'f32_add 3f80000 40000000\n' '^tessera fpu: line 1: operand 1 of f32_add must be 8 hex digits'
bad "bf16 operand with 8 digits" $'bf16_fma 3f800000 4000 3f800000\n' '^tessera fpu: line 1: operand 1 of bf16_fma must be 4 hex digits'
bad "fp8 operand with 3 digits" $'e4m3_to_f32 07e\n' '^tessera fpu: line 1: operand 1 of e4m3_to_f32 must be 2 hex digits'
bad "non-hex operand" $'f32_add 3f800000 4000000g\n' '^tessera fpu: line 1: operand 2 of f32_add is not hex'
bad "op differing from --op" $'f32_add 3f800000 40000000\nf32_mul 3f800000 40000000\n' \
  '^tessera fpu: line 2: op f32_mul differs from --op f32_add' --op f32_add
bad "operands without an op name" $'3f800000 40000000\n' '^tessera fpu: line 1: no op name'
printf 'f32_add 3f800000 40000000\nf32_add 3f800000 zz\n' >"$tmp/in"
run_cmd "$T" fpu --backend cmodel <"$tmp/in"
if [ "$out" = "f32_add 3f800000 40000000 40400000" ]; then tap_ok "lines before a malformed one are printed, it is not"
else tap_not_ok "lines before a malformed one are printed, it is not" "stdout: $out"; fi

expect "--backend other: usage error" 2 '' '^tessera fpu: --backend wants rtl or cmodel' "$T" fpu --backend fpga
expect "--op unknown: usage error" 2 '' "^tessera fpu: unknown op 'f32_div'" "$T" fpu --op f32_div
expect "unknown argument: usage error" 2 '' "^tessera fpu: unknown argument '--fast'" "$T" fpu --fast
expect "--op without a value" 2 '' '^tessera fpu: option needs a value' "$T" fpu --op
expect "--help lists every op with its operands" 0 'bf16_fma +bf16 bf16 fp32 -> fp32' '' "$T" fpu --help

# rtl backend: the hand-checked lines, then fixed-seed random lines of every exact op (mixed, so
# batches change op often, plus a long run of one op that spans several batches), equal to cmodel.
fpu_expect "rtl: hand-checked results of every exact op" rtl "$input"$'\n' "$hand"
awk 'BEGIN {
  srand(12345);
  split("f32_add f32_mul f32_fma bf16_fma f32_to_bf16 bf16_to_f32 f32_to_e4m3 f32_to_e5m2 e4m3_to_f32 e5m2_to_f32", ops, " ");
  split("2 2 3 3 1 1 1 1 1 1", na, " ");
  split("8.8.8 8.8.8 8.8.8 4.4.8 8 4 8 8 2 2", w, " ");
  for (i = 0; i < 20000; i++) {
    k = (i < 15000) ? 1 + int(rand() * 10) : 3;
    split(w[k], d, ".");
    line = ops[k];
    for (j = 1; j <= na[k]; j++) {
      v = "";
      for (h = 0; h < d[j]; h++) v = v sprintf("%x", int(rand() * 16));
      line = line " " v;
    }
    print line;
    if (i % 5000 == 0) print "# checkpoint " i;
  }
  # exactly one batch and one more of a single op
  for (i = 0; i < 65537; i++) printf "f32_to_bf16 %04x%04x\n", int(rand() * 65536), int(rand() * 65536);
}' >"$tmp/rand"
"$T" fpu --backend cmodel <"$tmp/rand" >"$tmp/c.out" 2>"$tmp/c.err"; crc=$?
"$T" fpu --backend rtl <"$tmp/rand" >"$tmp/r.out" 2>"$tmp/r.err"; rrc=$?
n=$(grep -c . "$tmp/rand")
if [ $crc -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$tmp/c.out" "$tmp/r.out" && [ "$(grep -c . "$tmp/r.out")" -eq "$n" ]; then
  tap_ok "rtl equals cmodel on $n random lines of the exact ops"
else
  tap_not_ok "rtl equals cmodel on $n random lines of the exact ops" "exit cmodel $crc rtl $rrc: $(head -c 300 "$tmp/r.err")" \
    "first difference: $(diff "$tmp/c.out" "$tmp/r.out" | head -n 3 | tr '\n' ' ')"
fi

# Approximations on rtl: either the RTL unit exists and equals the library, or the command says
# clearly that it has no unit (exit 1) -- never a crash or a different result.
printf 'f32_exp 3f800000\nf32_exp c2c80000\nf32_recip 40400000\nf32_rsqrt 40800000\nf32_tanh 3f000000\nf32_gelu bf800000\n' >"$tmp/approx"
"$T" fpu --backend cmodel <"$tmp/approx" >"$tmp/ac.out" 2>/dev/null
for op in f32_exp f32_recip f32_rsqrt f32_tanh f32_gelu; do
  grep "^$op " "$tmp/approx" >"$tmp/one"
  run_cmd "$T" fpu --backend rtl <"$tmp/one"
  if [ "$rc" -eq 0 ] && [ "$out" = "$(grep "^$op " "$tmp/ac.out")" ]; then
    tap_ok "rtl $op equals cmodel"
  elif [ "$rc" -eq 1 ] && [ -z "$out" ] && grep -Eq "^tessera fpu: the rtl backend has no unit for $op" <<<"$err"; then
    tap_ok "rtl $op: no unit yet, said so with exit 1"
  else
    tap_not_ok "rtl $op: equal to cmodel, or no unit and exit 1" "exit $rc, stdout: $out, stderr: $err"
  fi
done
tap_done
