#!/usr/bin/env bash
# tessera kernel: every kernel x pattern at ragged shapes (cmodel, and rtl == cmodel when the RTL tile
# is linked), the JSON keys and their relations, --dump's .npy files, bad arguments.
# usage: test_kernel_cli.sh PATH/TO/tessera
set -u
T=$1
. "$(dirname "$0")/../tap.sh"
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Checks that need Python are queued and run by one Python process at the end (python startup is
# the slowest part of this suite on a loaded machine).
# check_json NAME JSON PYTHON-EXPR...: each expression, evaluated with `j` the parsed object, is true.
nchecks=0
check_json() {
  nchecks=$((nchecks + 1))
  local c=$tmp/check.$nchecks
  printf '%s' "$1" >"$c.name"; printf '%s' "$2" >"$c.json"; shift 2
  printf '%s\n' "$@" >"$c.exprs"
}
# check_dump NAME DIR KERNEL M K N NNZ: the .npy files of --dump (checked by run_checks).
check_dump() {
  nchecks=$((nchecks + 1))
  local c=$tmp/check.$nchecks
  printf '%s' "$1" >"$c.name"; shift
  printf '%s\n' "$@" >"$c.dump"
}
run_checks() {
  local line
  while IFS=$'\t' read -r verdict name why; do
    if [ "$verdict" = ok ]; then tap_ok "$name"; else tap_not_ok "$name" "$why"; fi
  done < <("$PY" - "$tmp" "$nchecks" <<'PYEOF' 2>&1
import ast, json, os, struct, sys
d, n = sys.argv[1], int(sys.argv[2])

def load(p):
    b = open(p, "rb").read()
    assert b[:8] == b"\x93NUMPY\x01\x00", "magic"
    hl = b[8] | b[9] << 8
    assert (10 + hl) % 64 == 0, "header alignment"
    h = ast.literal_eval(b[10:10 + hl].decode("latin1"))
    assert h["descr"] == "<f4" and h["fortran_order"] is False, h
    r, c = h["shape"]
    v = struct.unpack("<%df" % (r * c), b[10 + hl:])
    return (r, c), [v[i * c:(i + 1) * c] for i in range(r)]

def dump_check(dr, kern, m, k, n, nnz):
    files = sorted(os.listdir(dr))
    want = {"fwd": ["W.npy", "X.npy", "Y.npy"], "bwd_data": ["W.npy", "dX.npy", "dY.npy"],
            "bwd_weight": ["X.npy", "dW.npy", "dY.npy"]}[kern]
    assert files == sorted(want), files
    shapes = {"X.npy": (m, k), "W.npy": (n, k), "Y.npy": (m, n), "dY.npy": (m, n), "dX.npy": (m, k), "dW.npy": (n, k)}
    a = {}
    for f in files:
        s, a[f[:-4]] = load(os.path.join(dr, f))
        assert s == shapes[f], (f, s)
    close = lambda got, want, scale: abs(got - want) <= 1e-5 * scale
    if kern == "fwd":
        X, W, Y = a["X"], a["W"], a["Y"]
        assert sum(1 for i in range(n) for j in range(k) if W[i][j] != 0) == nnz
        for t in range(m):
            for i in range(n):
                r = sum(W[i][j] * X[t][j] for j in range(k)); s = sum(abs(W[i][j] * X[t][j]) for j in range(k))
                assert close(Y[t][i], r, s), (t, i, Y[t][i], r)
    elif kern == "bwd_data":
        dY, W, dX = a["dY"], a["W"], a["dX"]
        for t in range(m):
            for j in range(k):
                r = sum(dY[t][i] * W[i][j] for i in range(n)); s = sum(abs(dY[t][i] * W[i][j]) for i in range(n))
                assert close(dX[t][j], r, s), (t, j, dX[t][j], r)
    else:
        X, dY, dW = a["X"], a["dY"], a["dW"]
        assert sum(1 for i in range(n) for j in range(k) if dW[i][j] != 0) == nnz
        for i in range(n):
            for j in range(k):
                if dW[i][j] == 0:
                    continue
                r = sum(dY[t][i] * X[t][j] for t in range(m)); s = sum(abs(dY[t][i] * X[t][j]) for t in range(m))
                assert close(dW[i][j], r, s), (i, j, dW[i][j], r)

for c in range(1, n + 1):
    base = os.path.join(d, "check.%d" % c)
    name = open(base + ".name").read()
    why = []
    if os.path.exists(base + ".dump"):
        dr, kern, m, k, nn, nnz = open(base + ".dump").read().split("\n")[:6]
        try:
            dump_check(dr, kern, int(m), int(k), int(nn), int(nnz))
        except Exception as e:
            why.append("%s: %r" % (type(e).__name__, e))
    else:
        js = open(base + ".json").read()
        try:
            j = json.loads(js)
        except Exception as e:
            j = None
            why.append("not JSON: %s: %s" % (e, js[:200]))
        for e in open(base + ".exprs").read().split("\n") if j is not None else []:
            if not e:
                continue
            try:
                ok = eval(e, {"j": j, "abs": abs})
            except Exception as x:
                ok = False
                e += " (%r)" % x
            if not ok:
                why.append("false: %s  in %s" % (e, js[:400]))
    print("%s\t%s\t%s" % ("not ok" if why else "ok", name, " | ".join(why).replace("\t", " ").replace("\n", " ")))
PYEOF
)
}

# Is the RTL tile linked? The default backend says.
run_cmd "$T" kernel fwd --m 3 --k 8 --n 8 --json
backend=$(sed -nE 's/.*"backend": "([a-z]+)".*/\1/p' <<<"$out")
[ -n "$backend" ] && tap_ok "default backend is reported ($backend)" || tap_not_ok "default backend is reported" "$out $err"

KEYS='all(x in j for x in ("cycles","macs","peak_macs_per_cycle","utilization","stalls","bitexact","rel_err","kernel","shape","pattern","density","backend"))'
STALLS='sorted(j["stalls"]) == ["backpressure","bank_conflict","memory","stream_starved"]'
REL='0 <= j["rel_err"] <= j["rel_err_bound"] < 1e-3'
MACS='j["macs"] == j["nnz"] * j["shape"]["m"] and j["peak_macs_per_cycle"] == j["lanes"] * j["p"]'
UTIL='abs(j["utilization"] - j["macs"] / (j["cycles"] * j["peak_macs_per_cycle"])) < 1e-6 and 0 < j["utilization"] <= 1'
BUSY='j["cycles"] >= j["busy"] >= sum(j["stalls"].values())'
for kern in fwd bwd_data bwd_weight; do
  for pat in dense unstructured block 2:4; do
    shape="--m 21 --k 37 --n 19"
    [ "$pat" = block ] && shape="--m 35 --k 29 --n 11"
    run_cmd "$T" kernel $kern --pattern $pat $shape --density 0.3 --seed 3 --backend cmodel --json
    if [ "$rc" -ne 0 ]; then tap_not_ok "$kern $pat cmodel runs" "exit $rc: $err"; continue; fi
    check_json "$kern $pat cmodel: keys, counters, rel_err within its bound" "$out" "$KEYS" "$STALLS" "$REL" "$MACS" \
      "$UTIL" "$BUSY" 'j["bitexact"] is None' "j[\"kernel\"] == \"$kern\" and j[\"pattern\"] == \"$pat\"" \
      'j["backend"] == "cmodel"'
    if [ "$backend" = rtl ]; then
      run_cmd "$T" kernel $kern --pattern $pat $shape --density 0.3 --seed 3 --backend rtl --json
      check_json "$kern $pat rtl == cmodel bit for bit, cmodel cycles and stalls == rtl's" "$out" "$KEYS" \
        'j["bitexact"] is True' "$REL" 'j["backend"] == "rtl"' "$MACS" "$UTIL" "$BUSY" \
        'j["cycles"] == j["cmodel_cycles"]' 'j["stalls"] == j["cmodel_stalls"]' 'j["mismatches"] == 0'
    else
      check_json "$kern $pat cmodel_cycles are the cycles" "$out" 'j["cycles"] == j["cmodel_cycles"]' \
        'j["stalls"] == j["cmodel_stalls"]' '"rtl" in j["wall_s"] and j["wall_s"]["rtl"] is None'
    fi
  done
done

# Several passes (k + n leave room for 5 tokens per lane on the default preset, 1 on small):
# bwd_weight's sums depend on the split.
if [ "$backend" = rtl ]; then
  for kern in fwd bwd_weight; do
    run_cmd "$T" kernel $kern --m 90 --k 500 --n 300 --density 0.05 --seed 4 --backend rtl --json
    check_json "$kern in several passes: rtl == cmodel, same cycles" "$out" 'j["passes"] >= 2' 'j["bitexact"] is True' \
      'j["cycles"] == j["cmodel_cycles"]' "$REL"
  done
fi

# A waveform of the RTL run; an unwritable one is a failed run (exit 1), not a crash.
if [ "$backend" = rtl ]; then
  expect "--trace writes a waveform" 0 "bitexact +yes" "" "$T" kernel fwd --m 5 --k 8 --n 8 --trace "$tmp/k.fst"
  [ -s "$tmp/k.fst" ] && tap_ok "waveform file is not empty" || tap_not_ok "waveform file is not empty" "$tmp/k.fst"
  expect "unwritable trace" 1 "" "rtl: .*cannot open" "$T" kernel fwd --m 5 --k 8 --n 8 --trace /nonexistent/dir/k.fst
fi

# Human output names every figure.
expect "summary names cycles, utilisation, stalls, rel_err" 0 \
  "utilisation .*%" "" "$T" kernel fwd --m 9 --k 16 --n 12 --backend cmodel
if grep -Eq "stalls +bank conflict [0-9]+, stream starved [0-9]+, back-pressure [0-9]+, memory [0-9]+" <<<"$out" &&
  grep -Eq "rel_err +[0-9.e+-]+ vs float64" <<<"$out" && grep -Eq "^  cycles +[0-9]+" <<<"$out" &&
  grep -Eq "bitexact +n/a" <<<"$out"; then tap_ok "summary lines"; else tap_not_ok "summary lines" "$out"; fi

# Same seed, same figures; another seed, other data.
a=$("$T" kernel bwd_data --m 11 --k 24 --n 16 --backend cmodel --seed 9 --json | sed 's/"wall_s".*//')
b=$("$T" kernel bwd_data --m 11 --k 24 --n 16 --backend cmodel --seed 9 --json | sed 's/"wall_s".*//')
c=$("$T" kernel bwd_data --m 11 --k 24 --n 16 --backend cmodel --seed 10 --json | sed 's/"wall_s".*//')
[ "$a" = "$b" ] && [ "$a" != "$c" ] && tap_ok "fixed seed is reproducible" || tap_not_ok "fixed seed is reproducible" "$a" "$c"

# Dense vs 1xP blocks: the sparse stream is faster by the block density.
run_cmd "$T" kernel fwd --m 128 --k 64 --n 64 --pattern dense --backend cmodel --json; dn=$out
run_cmd "$T" kernel fwd --m 128 --k 64 --n 64 --pattern block --density 0.25 --backend cmodel --json
check_json "1xP blocks at 0.25 take about a quarter of dense's cycles" "{\"d\": $dn, \"b\": $out}" \
  '3.5 < j["d"]["cycles"] / j["b"]["cycles"] <= 4.0' 'j["d"]["utilization"] > 0.9'

# --dump: the files, their headers and shapes, and their contents agree with each other.
for kern in fwd bwd_data bwd_weight; do
  dir=$tmp/dump-$kern
  run_cmd "$T" kernel $kern --m 13 --k 21 --n 10 --pattern unstructured --density 0.4 --backend cmodel --json --dump "$dir"
  nnz=$(sed -nE 's/.*"nnz": ([0-9]+).*/\1/p' <<<"$out")
  if [ "$rc" -ne 0 ] || [ -z "$nnz" ]; then tap_not_ok "--dump $kern" "exit $rc: $err"; continue; fi
  check_dump "--dump $kern writes float32 .npy files of the right shapes and contents" "$dir" $kern 13 21 10 "$nnz"
done

# Bad arguments: one line on stderr, exit 2.
expect "help" 0 "usage: tessera kernel" "" "$T" kernel --help
expect "no kernel" 2 "" "no kernel named" "$T" kernel --m 4
expect "unknown kernel" 2 "" "unknown kernel 'attention'" "$T" kernel attention
expect "two kernels" 2 "" "one kernel at a time" "$T" kernel fwd bwd_data
expect "density 0" 2 "" "density must be a number in \(0, 1\], got '0'" "$T" kernel fwd --density 0
expect "density above 1" 2 "" "got '1.5'" "$T" kernel fwd --density 1.5
expect "density not a number" 2 "" "got 'x'" "$T" kernel fwd --density x
expect "m = 0" 2 "" "--m wants an integer in \[1, " "$T" kernel fwd --m 0
expect "m too large" 2 "" "--m wants an integer" "$T" kernel fwd --m 100000
expect "k = 0" 2 "" "--k wants an integer" "$T" kernel fwd --k 0
expect "negative n" 2 "" "--n wants an integer" "$T" kernel fwd --n -3
expect "shape does not fit the tile" 2 "" "does not fit the tile: .*k \+ n = 5000" "$T" kernel fwd --k 3000 --n 2000
expect "job too large" 2 "" "job too large: m \* n \* k = " "$T" kernel fwd --m 65535 --k 512 --n 256
expect "unknown pattern" 2 "" "must be dense, unstructured, block or 2:4, got '4:8'" "$T" kernel fwd --pattern 4:8
expect "unknown backend" 2 "" "--backend must be rtl or cmodel" "$T" kernel fwd --backend vp
expect "unknown option" 2 "" "unknown argument '--bogus'" "$T" kernel fwd --bogus
expect "option without value" 2 "" "option needs a value: '--dump'" "$T" kernel fwd --dump
expect "trace without rtl" 2 "" "--trace needs the rtl backend" "$T" kernel fwd --backend cmodel --trace "$tmp/x.fst"
touch "$tmp/file"
expect "dump into a file" 2 "" "--dump: .*not a directory" "$T" kernel fwd --m 2 --k 8 --n 8 --dump "$tmp/file"
expect "dump dir cannot be created" 2 "" "--dump: cannot create" "$T" kernel fwd --m 2 --k 8 --n 8 --dump /nonexistent/a/b
if [ "$backend" != rtl ]; then
  expect "rtl backend not linked" 2 "" "RTL tile is not linked" "$T" kernel fwd --backend rtl
fi
run_checks
tap_done
