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
# check_vdump NAME DIR KERNEL FILE:ROWS:COLS...: a vector kernel's --dump files (exactly these).
check_vdump() {
  nchecks=$((nchecks + 1))
  local c=$tmp/check.$nchecks
  printf '%s' "$1" >"$c.name"; shift
  printf '%s\n' "$@" >"$c.vdump"
}
# check_adump NAME DIR KERNEL M D KEYS P: attn_qk / attn_pv --dump files, bf16 inputs, the product.
check_adump() {
  nchecks=$((nchecks + 1))
  local c=$tmp/check.$nchecks
  printf '%s' "$1" >"$c.name"; shift
  printf '%s\n' "$@" >"$c.adump"
}
run_checks() {
  local line
  while IFS=$'\t' read -r verdict name why; do
    if [ "$verdict" = ok ]; then tap_ok "$name"; else tap_not_ok "$name" "$why"; fi
  done < <("$PY" - "$tmp" "$nchecks" <<'PYEOF' 2>&1
import ast, json, math, os, struct, sys
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

def vdump_check(dr, kern, specs):
    want = {s.split(":")[0]: (int(s.split(":")[1]), int(s.split(":")[2])) for s in specs}
    files = sorted(os.listdir(dr))
    assert files == sorted(want), files
    a = {}
    for f in files:
        s, a[f[:-4]] = load(os.path.join(dr, f))
        assert s == want[f], (f, s)
    import math
    if kern == "gelu_fwd":
        g = lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        for xr, yr in zip(a["X"], a["Y"]):
            for x, y in zip(xr, yr):
                assert abs(y - g(x)) <= 1e-5 * max(abs(g(x)), 1 / 16), (x, y)
    elif kern == "softmax_fwd":  # causal: row r sees columns <= r
        for r, (xr, yr) in enumerate(zip(a["X"], a["Y"])):
            nv = min(r + 1, len(xr))
            mx = max(xr[:nv]); e = [math.exp(x - mx) for x in xr[:nv]]
            for c, y in enumerate(yr):
                assert abs(y - (e[c] / sum(e) if c < nv else 0.0)) <= 1e-6, (r, c, y)
    elif kern == "cross_entropy_fwd":
        for t, (row, tg) in enumerate(zip(a["logits"], a["target"][0])):
            mx = max(row); lse = mx + math.log(sum(math.exp(x - mx) for x in row))
            assert abs(a["loss"][0][t] - (lse - row[int(tg)])) <= 1e-5 * max(1, lse), (t,)
    elif kern == "embedding_fwd":
        for t, i in enumerate(a["ids"][0]):
            assert a["out"][t] == a["table"][int(i)], t
    elif kern == "send":  # the values received are X's, rounded to bf16
        for xr, orow in zip(a["X"], a["Out"]):
            for x, o in zip(xr, orow):
                assert struct.unpack("<I", struct.pack("<f", o))[0] & 0xffff == 0, (x, o)
                assert abs(o - x) <= abs(x) * 2 ** -8, (x, o)
    elif kern == "embedding_bwd":
        for q, row in enumerate(a["dtable"]):
            for c, y in enumerate(row):
                r = sum(a["dY"][t][c] for t, i in enumerate(a["ids"][0]) if int(i) == q)
                s = sum(abs(a["dY"][t][c]) for t, i in enumerate(a["ids"][0]) if int(i) == q)
                assert abs(y - r) <= 1e-6 * s, (q, c, y, r)

def adump_check(dr, kern, m, dd, keys, p):
    qk = kern == "attn_qk"
    names = ["Q", "K", "S"] if qk else ["P", "V", "O"]
    shapes = [(m, dd), (keys, dd), (m, keys)] if qk else [(m, keys), (keys, dd), (m, dd)]
    assert sorted(os.listdir(dr)) == sorted(x + ".npy" for x in names), os.listdir(dr)
    a = {}
    for x, want in zip(names, shapes):
        s, a[x] = load(os.path.join(dr, x + ".npy"))
        assert s == want, (x, s, want)
    A, B, C = (a[x] for x in names)
    bf16 = lambda v: struct.unpack("<I", struct.pack("<f", v))[0] & 0xffff == 0
    assert all(bf16(v) for r in A + B for v in r), "inputs not bf16"
    # Every product of two bf16 values is exact in float32; a sum of c of them through at most
    # c - 1 + log2 P float32 roundings (qk: the slot tree over P; pv: one chain over the keys) is
    # within gamma_c sum |products| of the exact sum (Higham 4.2), u = 2^-24.
    lg = max(p - 1, 0).bit_length()
    c = dd + lg if qk else keys
    u = 2.0 ** -24
    gam = c * u / (1 - c * u)
    nz = 0
    for t in range(m):
        for j in range(len(C[0])):
            if qk:
                terms = [A[t][i] * B[j][i] for i in range(dd)]
            else:
                terms = [A[t][i] * B[i][j] for i in range(keys)]
            r = math.fsum(terms)
            assert abs(C[t][j] - r) <= gam * sum(abs(x) for x in terms), (t, j, C[t][j], r)
            nz += C[t][j] != 0
    assert nz > len(C) * len(C[0]) // 2, "mostly zero result"

for c in range(1, n + 1):
    base = os.path.join(d, "check.%d" % c)
    name = open(base + ".name").read()
    why = []
    if os.path.exists(base + ".adump"):
        spec = open(base + ".adump").read().split("\n")
        try:
            adump_check(spec[0], spec[1], *[int(x) for x in spec[2:6]])
        except Exception as e:
            why.append("%s: %r" % (type(e).__name__, e))
    elif os.path.exists(base + ".vdump"):
        spec = open(base + ".vdump").read().split("\n")
        try:
            vdump_check(spec[0], spec[1], [x for x in spec[2:] if x])
        except Exception as e:
            why.append("%s: %r" % (type(e).__name__, e))
    elif os.path.exists(base + ".dump"):
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
nnz_p=$(sed -nE 's/.*"p": ([0-9]+).*/\1/p' <<<"$out")
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

# A waveform of the RTL run, an FST file: it starts with FST's header block (tag 0, then the
# section length 329, big endian); an unwritable one is a failed run (exit 1), not a crash.
fst_ok() { [ -s "$1" ] && [ "$(od -An -tx1 -N9 "$1" | tr -d ' \n')" = 000000000000000149 ]; }
if [ "$backend" = rtl ]; then
  expect "--trace writes a waveform" 0 "bitexact +yes" "" "$T" kernel fwd --m 5 --k 8 --n 8 --trace "$tmp/k.fst"
  fst_ok "$tmp/k.fst" && tap_ok "waveform file is an FST file" || tap_not_ok "waveform file is an FST file" "$tmp/k.fst"
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

# The vector-unit kernels: each runs at a ragged shape within its bound (and the bound is not
# vacuous), JSON keys, on the tile (RTL) bit for bit the functional model where the tile has the
# kernel (refused for the others), one bad argument each.
VKEYS='all(x in j for x in ("kernel","shape","backend","rel_err","rel_err_bound","bitexact","cycles"))'
VREL='0 <= j["rel_err"] <= j["rel_err_bound"] < 1e-4'
vk_case() { # KERNEL SHAPE-ARGS BAD-ARGS BAD-STDERR-REGEX
  local kern=$1 shape=$2 bad=$3 why=$4 nz='j["rel_err"] > 0'
  # Sums of a few bf16 values are exact in fp32: embedding_bwd's result may equal float64's.
  [ "$kern" = embedding_bwd ] && nz='j["outputs"] == j["shape"]["v"] * j["shape"]["n"]'
  run_cmd "$T" kernel $kern $shape --seed 5 --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "$kern runs" "exit $rc: $err"; else
    check_json "$kern $shape: keys, rel_err within its bound" "$out" "$VKEYS" "$VREL" "$nz" \
      'j["bitexact"] is None' 'j["cycles"] is None' "j[\"kernel\"] == \"$kern\"" 'j["backend"] == "cmodel"'
  fi
  case $kern in
  embedding_fwd)
    expect "$kern --backend rtl refused" 2 "" "^tessera kernel: embedding_fwd is not a tile kernel: the DMA's gather" \
      "$T" kernel $kern $shape --backend rtl ;;
  *)
    if [ "$backend" = rtl ]; then
      # On the tile's vector unit: RTL == cmodel (words and cycles) == functional model, same rel_err.
      run_cmd "$T" kernel $kern $shape --seed 5 --backend rtl --json
      if [ "$rc" -ne 0 ]; then tap_not_ok "$kern rtl runs" "exit $rc: $err"; else
        check_json "$kern $shape rtl: bit for bit the functional model, rtl cycles == cmodel's" "$out" "$VKEYS" "$VREL" \
          'j["bitexact"] is True' 'j["backend"] == "rtl"' 'j["cycles"] == j["cmodel_cycles"] > 0' 'j["passes"] >= 1'
      fi
    else
      expect "$kern --backend rtl without the RTL tile" 2 "" "the RTL tile is not linked" \
        "$T" kernel $kern $shape --backend rtl
    fi ;;
  esac
  expect "$kern $bad refused" 2 "" "$why" "$T" kernel $kern $bad
}
vk_case gelu_fwd "--m 7 --n 33" "--causal" "--causal applies to softmax"
vk_case gelu_bwd "--m 9 --n 17" "--v 3" "--v applies to cross_entropy"
vk_case softmax_fwd "--m 19 --n 23 --causal" "--n 0" "--n wants an integer"
vk_case softmax_bwd "--m 12 --n 40 --causal" "--k 4" "unknown argument for a vector kernel '--k'"
vk_case layernorm_fwd "--m 6 --n 77" "--m 0" "--m wants an integer"
vk_case layernorm_bwd "--m 11 --n 37" "--step 2" "--step applies to adamw only"
# layernorm_bwd's dgamma and dbeta continue from pass to pass (several passes on the small preset);
# embed_bwd with heavy collisions (150 tokens per id), tokens in chunks on the small preset.
if [ "$backend" = rtl ]; then
  run_cmd "$T" kernel embedding_bwd --m 300 --n 6 --v 2 --seed 3 --backend rtl --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "embedding_bwd rtl, 300 tokens on 2 ids" "exit $rc: $err"; else
    check_json "embedding_bwd rtl, 300 tokens on 2 ids: bit for bit the functional model" "$out" "$VKEYS" \
      '0 <= j["rel_err"] <= j["rel_err_bound"]' 'j["bitexact"] is True' 'j["cycles"] == j["cmodel_cycles"] > 0'
  fi
  run_cmd "$T" kernel layernorm_bwd --m 300 --n 3 --seed 2 --backend rtl --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "layernorm_bwd rtl, 300 rows" "exit $rc: $err"; else
    check_json "layernorm_bwd rtl, 300 rows: bit for bit the functional model" "$out" "$VKEYS" \
      '0 < j["rel_err"] <= j["rel_err_bound"]' 'j["passes"] >= 1' \
      'j["bitexact"] is True' 'j["cycles"] == j["cmodel_cycles"] > 0'
  fi
fi
# Attention with K / V on the tile's stream port: bit for bit the functional model (and rtl ==
# cmodel with the cycles), a slow source starves the tile, ragged shapes in several passes and runs.
AKEYS='set(j) >= {"cycles", "cmodel_cycles", "macs", "peak_macs_per_cycle", "utilization", "stalls", "bitexact", "rel_err", "rel_err_bound", "period", "runs"}'
for kern in attn_qk attn_pv; do
  run_cmd "$T" kernel $kern --m 37 --k 13 --n 11 --seed 4 --backend $backend --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "$kern $backend m 37 k 13 n 11" "exit $rc: $err"; else
    check_json "$kern $backend m 37 k 13 n 11: bit for bit, within the float64 bound" "$out" "$AKEYS" \
      '0 < j["rel_err"] <= j["rel_err_bound"]' 'j["bitexact"] is True' 'j["cycles"] == j["cmodel_cycles"] > 0' \
      'j["macs"] == 37 * 13 * 11' 'j["stalls"]["stream_starved"] == j["runs"]' 'j["stalls"]["backpressure"] == 0'
  fi
  run_cmd "$T" kernel $kern --m 37 --k 13 --n 11 --seed 4 --period 50 --backend $backend --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "$kern $backend a beat every 50 cycles" "exit $rc: $err"; else
    check_json "$kern $backend a beat every 50 cycles: starved, same results" "$out" "$AKEYS" \
      'j["bitexact"] is True' 'j["cycles"] == j["cmodel_cycles"]' 'j["stalls"]["stream_starved"] > 10 * j["runs"]'
  fi
done
run_cmd "$T" kernel attn_qk --m 300 --k 40 --n 30 --seed 2 --backend $backend --json
if [ "$rc" -ne 0 ]; then tap_not_ok "attn_qk $backend 300 queries" "exit $rc: $err"; else
  check_json "attn_qk $backend 300 queries: bit for bit" "$out" 'j["bitexact"] is True' \
    '0 < j["rel_err"] <= j["rel_err_bound"]' 'j["runs"] >= 1'
fi
# --dump: Q, K, S / P, V, O as float32 .npy, K and V as the stream carries them (bf16), S = Q K^T
# and O = P V within their float32 bounds; on the rtl backend too (the files are the cmodel's, which
# the run checks against the RTL).
for kern in attn_qk attn_pv; do
  for be in cmodel $([ "$backend" = rtl ] && echo rtl); do
    dir=$tmp/adump-$kern-$be
    run_cmd "$T" kernel $kern --m 20 --k 12 --n 9 --seed 6 --backend $be --json --dump "$dir"
    if [ "$rc" -ne 0 ]; then tap_not_ok "--dump $kern $be" "exit $rc: $err"; continue; fi
    check_adump "--dump $kern $be: three float32 .npy files of the right shapes, the product within its bound" \
      "$dir" $kern 20 12 9 "$nnz_p"
  done
done
if [ "$backend" = rtl ]; then
  same=1
  for f in attn_qk/Q attn_qk/K attn_qk/S attn_pv/P attn_pv/V attn_pv/O; do
    cmp -s "$tmp/adump-${f%/*}-cmodel/${f#*/}.npy" "$tmp/adump-${f%/*}-rtl/${f#*/}.npy" || same=
  done
  [ -n "$same" ] && tap_ok "--dump attn: the same files on both backends" ||
    tap_not_ok "--dump attn: the same files on both backends"
fi
touch "$tmp/file-attn"
expect "attn --dump into a file" 2 "" "--dump: .*not a directory" "$T" kernel attn_qk --m 2 --k 4 --n 4 \
  --backend cmodel --dump "$tmp/file-attn"
expect "attn --dump without value" 2 "" "option needs a value: '--dump'" "$T" kernel attn_pv --dump
expect "attn --trace on the cmodel" 2 "" "--trace needs the rtl backend" "$T" kernel attn_qk --m 2 --k 4 --n 4 \
  --backend cmodel --trace "$tmp/a.fst"
expect "vector --trace on the cmodel" 2 "" "--trace needs the rtl backend" "$T" kernel gelu_fwd --m 2 --n 4 \
  --trace "$tmp/v.fst"
# --trace on the rtl backend: one FST file per tile run (run 0 in FILE.fst, run i in FILE.<i>.fst).
if [ "$backend" = rtl ]; then
  expect "attn_qk --trace writes a waveform" 0 "bitexact +yes" "" "$T" kernel attn_qk --m 20 --k 12 --n 9 \
    --trace "$tmp/aqk.fst"
  fst_ok "$tmp/aqk.fst" && [ ! -e "$tmp/aqk.1.fst" ] && tap_ok "attn_qk waveform: one FST file" ||
    tap_not_ok "attn_qk waveform: one FST file" "$(ls -l "$tmp"/aqk*)"
  expect "gelu_fwd --trace writes a waveform" 0 "bitexact +yes" "" "$T" kernel gelu_fwd --m 6 --n 5 --backend rtl \
    --trace "$tmp/gelu.fst"
  fst_ok "$tmp/gelu.fst" && tap_ok "gelu_fwd waveform: an FST file" || tap_not_ok "gelu_fwd waveform: an FST file" \
    "$(ls -l "$tmp"/gelu*)"
  # Several runs: 1030 rows of a 2-word region take 2 passes (default preset) or 5 (small), 65 rows
  # of 1024 words 2 or 17; a name without .fst gets .<i> appended (softmax_fwd's "wave": wave,
  # wave.1, ...).
  for kern in attn_pv softmax_fwd send; do
    args="--m 1030 --k 1 --n 1" stem=$tmp/multi-$kern ext=.fst
    [ $kern = softmax_fwd ] && args="--m 1030 --n 1 --backend rtl" stem=$tmp/wave ext=
    [ $kern = send ] && args="--m 65 --n 1024"
    run_cmd "$T" kernel $kern $args --json --trace "$stem$ext"
    nrun=$(sed -nE 's/.*"(runs|passes)": ([0-9]+).*/\2/p' <<<"$out")
    good=$([ "$rc" -eq 0 ] && [ "${nrun:-0}" -ge 2 ] && echo 1)
    for ((i = 0; i < ${nrun:-0} && good; i++)); do
      f=$stem$ext; [ $i -gt 0 ] && f=$stem.$i$ext
      fst_ok "$f" || good=
    done
    [ -n "$good" ] && [ ! -e "$stem.$nrun$ext" ] &&
      tap_ok "$kern --trace over $nrun runs: one FST file per run, FILE$ext, FILE.1$ext .. FILE.$((nrun - 1))$ext" ||
      tap_not_ok "$kern --trace over several runs: one FST file per run" "exit $rc runs ${nrun:-?}: $err $(ls "$tmp")"
  done
  expect "attn unwritable trace" 1 "" "cannot open the tile or trace file /nonexistent/d/a.fst" \
    "$T" kernel attn_qk --m 2 --k 4 --n 4 --trace /nonexistent/d/a.fst
  expect "vector unwritable trace" 1 "" "cannot open the tile or trace file /nonexistent/d/v.fst" \
    "$T" kernel gelu_fwd --m 2 --n 4 --backend rtl --trace /nonexistent/d/v.fst
fi
expect "attn_pv does not fit a bank" 2 "" "a lane bank holds" "$T" kernel attn_pv --k 4000 --n 4000
expect "attn_qk bad --period" 2 "" "--period wants an integer" "$T" kernel attn_qk --period -1
expect "attn_qk unknown option" 2 "" "unknown argument for attn_qk / attn_pv '--density'" "$T" kernel attn_qk --density 0.5
# send: rows out of the stream-out port; a slow sink back-pressures the tile (every beat after the
# second waits period - 1 cycles: (B - 2)(p - 1) + p - 3), the beats stay the same.
P=$("$T" kernel --help | sed -nE 's/.*P=([0-9]+) nonzeros per cycle.*/\1/p' | head -1)
SKEYS='set(j) >= {"cycles", "cmodel_cycles", "beats", "stalls", "bitexact", "rel_err", "rel_err_bound", "period", "runs"}'
run_cmd "$T" kernel send --m 37 --n 11 --seed 3 --backend $backend --json
if [ "$rc" -ne 0 ]; then tap_not_ok "send $backend m 37 n 11" "exit $rc: $err"; else
  check_json "send $backend m 37 n 11: the dense stream of bf16(X), a beat a cycle" "$out" "$SKEYS" \
    'j["bitexact"] is True' '0 < j["rel_err"] <= j["rel_err_bound"] == 2 ** -8' 'j["cycles"] == j["cmodel_cycles"]' \
    "j[\"beats\"] == 37 * -(-11 // $P)" 'j["cycles"] == j["beats"] + 2 * j["runs"]' \
    'j["stalls"]["backpressure"] == 0' 'j["stalls"]["memory"] == 2 * j["runs"]' 'j["macs"] == 0'
fi
run_cmd "$T" kernel send --m 37 --n 11 --seed 3 --period 6 --backend $backend --json
if [ "$rc" -ne 0 ]; then tap_not_ok "send $backend a sink every 6 cycles" "exit $rc: $err"; else
  check_json "send $backend a sink every 6 cycles: back-pressure, same beats" "$out" "$SKEYS" \
    'j["bitexact"] is True' 'j["cycles"] == j["cmodel_cycles"]' 'j["runs"] == 1' \
    'j["stalls"]["backpressure"] == (j["beats"] - 2) * 5 + 3' 'j["cycles"] == (j["beats"] - 1) * 6 + 1'
fi
run_cmd "$T" kernel send --m 20 --n 9 --dump "$tmp/send-dump" --backend $backend
if [ "$rc" -ne 0 ]; then tap_not_ok "send --dump" "exit $rc: $err"; else
  check_vdump "send --dump: X and the values received" "$tmp/send-dump" send X.npy:20:9 Out.npy:20:9
fi
expect "send: a row longer than a bank" 2 "" "must fit a lane bank" "$T" kernel send --n 5000
expect "send: unknown option" 2 "" "unknown argument for send '--k'" "$T" kernel send --k 3
expect "send: bad --period" 2 "" "--period wants an integer" "$T" kernel send --period x
expect "send: a job too large to hold" 2 "" "job too large" "$T" kernel send --m 65535 --n 1024
vk_case cross_entropy_fwd "--m 5 --v 501" "--n 5" "--n does not apply to cross_entropy_fwd"
vk_case cross_entropy_bwd "--m 4 --v 130" "--v 0" "--v wants an integer"
vk_case embedding_bwd "--m 40 --n 9 --v 6" "--m 70000" "--m wants an integer"
vk_case adamw "--m 5 --n 61 --step 3" "--step 0" "--step wants an integer"
# About 1000 tokens per id: embedding_bwd's chains round, and stay within gamma_(n-1) sum|dY|.
run_cmd "$T" kernel embedding_bwd --m 3000 --n 4 --v 3 --seed 5 --json
check_json "embedding_bwd with long chains rounds, within its bound" "$out" \
  '0 < j["rel_err"] <= j["rel_err_bound"] < 1e-2'
# embedding_fwd is a copy: exact.
run_cmd "$T" kernel embedding_fwd --m 21 --n 13 --v 7 --json
check_json "embedding_fwd copies rows exactly" "$out" "$VKEYS" 'j["rel_err"] == 0' 'j["bitexact"] is None' \
  'j["shape"] == {"m": 21, "n": 13, "v": 7}'
expect "embedding_fwd --backend rtl refused" 2 "" "embedding_fwd is not a tile kernel: the DMA's gather mode" \
  "$T" kernel embedding_fwd --backend rtl
expect "embedding_fwd job too large" 2 "" "job too large" "$T" kernel embedding_fwd --v 100000 --n 256
expect "two vector kernels" 2 "" "one kernel at a time, got 'gelu_bwd' after 'gelu_fwd'" "$T" kernel gelu_fwd gelu_bwd
expect "vector kernel: unknown backend" 2 "" "--backend must be rtl or cmodel" "$T" kernel adamw --backend vp
expect "vector kernel: --dump without value" 2 "" "option needs a value: '--dump'" "$T" kernel adamw --dump
expect "vector kernel summary" 0 "rel_err +[0-9.e+-]+ vs float64" "" "$T" kernel softmax_fwd --m 4 --n 9 --causal
grep -Eq "^  cycles +n/a" <<<"$out" && grep -Eq "bitexact +n/a" <<<"$out" && tap_ok "vector kernel summary lines" ||
  tap_not_ok "vector kernel summary lines" "$out"
# The causal mask matters, and a fixed seed is reproducible.
a=$("$T" kernel softmax_fwd --m 8 --n 8 --seed 2 --json | sed 's/"wall_s".*//')
b=$("$T" kernel softmax_fwd --m 8 --n 8 --seed 2 --json | sed 's/"wall_s".*//')
c=$("$T" kernel softmax_fwd --m 8 --n 8 --seed 2 --causal --json | sed 's/"wall_s".*//')
[ "$a" = "$b" ] && [ "$a" != "$c" ] && tap_ok "vector kernel: fixed seed reproducible, --causal changes the run" ||
  tap_not_ok "vector kernel: fixed seed reproducible, --causal changes the run" "$a" "$c"
# --dump: names and shapes for every vector kernel; contents for some.
vdump() { # KERNEL ARGS FILE:R:C...
  local kern=$1 args=$2 dir=$tmp/vdump-$1; shift 2
  run_cmd "$T" kernel $kern $args --dump "$dir"
  if [ "$rc" -ne 0 ]; then tap_not_ok "--dump $kern" "exit $rc: $err"; return; fi
  check_vdump "--dump $kern: files, shapes (and contents)" "$dir" $kern "$@"
}
vdump gelu_fwd "--m 3 --n 5" X.npy:3:5 Y.npy:3:5
vdump gelu_bwd "--m 3 --n 5" X.npy:3:5 dY.npy:3:5 dX.npy:3:5
vdump softmax_fwd "--m 6 --n 4 --causal" X.npy:6:4 Y.npy:6:4
vdump softmax_bwd "--m 3 --n 5" P.npy:3:5 dY.npy:3:5 dX.npy:3:5
vdump layernorm_fwd "--m 3 --n 5" X.npy:3:5 gamma.npy:1:5 beta.npy:1:5 Y.npy:3:5 mean.npy:1:3 rstd.npy:1:3
vdump layernorm_bwd "--m 3 --n 5" dY.npy:3:5 X.npy:3:5 gamma.npy:1:5 mean.npy:1:3 rstd.npy:1:3 dX.npy:3:5 \
  dgamma.npy:1:5 dbeta.npy:1:5
vdump cross_entropy_fwd "--m 4 --v 9" logits.npy:4:9 target.npy:1:4 loss.npy:1:4
vdump cross_entropy_bwd "--m 4 --v 9" logits.npy:4:9 target.npy:1:4 dlogits.npy:4:9
vdump embedding_fwd "--m 8 --n 3 --v 5" table.npy:5:3 ids.npy:1:8 out.npy:8:3
vdump embedding_bwd "--m 20 --n 3 --v 4" dY.npy:20:3 ids.npy:1:20 dtable.npy:4:3
vdump adamw "--m 2 --n 7" W.npy:2:7 G.npy:2:7 M.npy:2:7 V.npy:2:7 W_out.npy:2:7 M_out.npy:2:7 V_out.npy:2:7

# link: two tiles, a send of K / V into attn_qk / attn_pv on the other tile. RTL == cmodel in
# every counter and take (the command checks; the two backends' JSON must agree), the counters'
# identities (a send run is its beats, two filling cycles and the cycles it is held), the
# consumer's words do not depend on the offset, the product within its float64 bound.
LKEYS='set(j) >= {"cycles", "macs", "peak_macs_per_cycle", "utilization", "stalls", "bitexact", "rel_err", "rel_err_bound", "producer", "consumer", "offset", "sends", "beats", "span_cycles", "takes"}'
LTILE='all(sorted(j[t]["stalls"]) == ["backpressure","bank_conflict","memory","stream_starved"] and j[t]["cycles"] == j[t]["busy"] for t in ("producer", "consumer"))'
LPROD='j["producer"]["cycles"] == j["beats"] + 2 * j["sends"] + j["producer"]["stalls"]["backpressure"] and j["producer"]["stalls"]["memory"] == 2 * j["sends"] and j["producer"]["macs"] == 0 and j["producer"]["stalls"]["stream_starved"] == 0 and j["producer"]["stalls"]["bank_conflict"] == 0 and j["producer"]["runs"] == j["sends"]'
LCONS='j["macs"] == j["consumer"]["macs"] == j["shape"]["m"] * j["shape"]["n"] * j["shape"]["k"] and j["cycles"] == j["consumer"]["cycles"] and j["stalls"] == j["consumer"]["stalls"] and j["consumer"]["stalls"]["backpressure"] == 0 and j["consumer"]["runs"] == 1'
LUTIL='abs(j["utilization"] - j["macs"] / (j["cycles"] * j["peak_macs_per_cycle"])) < 1e-6 and 0 < j["utilization"] <= 1'
LTIME='j["producer"]["began"] == 0 and j["consumer"]["began"] == j["offset"] and j["span_cycles"] == max(j["producer"]["ended"], j["consumer"]["ended"]) - min(0, j["offset"]) + 1 and j["producer"]["began"] <= j["takes"]["first"] <= j["takes"]["last"] == j["producer"]["ended"]'
LREL='0 < j["rel_err"] <= j["rel_err_bound"] < 1e-3 and j["bitexact"] is True and j["mismatches"] == 0'
link_backends=cmodel
[ "$backend" = rtl ] && link_backends="cmodel rtl"
for kern in attn_qk attn_pv; do
  rels=()
  for off in -9 0 40; do
    for sends in 1 3; do
      declare -A lj=()
      for be in $link_backends; do
        what="link $kern $be m 37 k 13 n 29 offset $off sends $sends"
        run_cmd "$T" kernel link --consumer $kern --m 37 --k 13 --n 29 --offset $off --sends $sends --seed 4 \
          --backend $be --json
        if [ "$rc" -ne 0 ]; then tap_not_ok "$what" "exit $rc: $err"; continue; fi
        lj[$be]=$out
        check_json "$what: keys, counters, within the float64 bound" "$out" "$LKEYS" "$LTILE" "$LPROD" "$LCONS" \
          "$LUTIL" "$LTIME" "$LREL" "j[\"beats\"] == 29 * -(-13 // $nnz_p)" "j[\"backend\"] == \"$be\"" \
          "j[\"offset\"] == $off and j[\"sends\"] == $sends and j[\"consumer_kernel\"] == \"$kern\"" \
          'j["cycles"] == j["cmodel_cycles"] and j["producer"]["cycles"] == j["producer_cmodel_cycles"]'
      done
      rels+=("$(sed -nE 's/.*"rel_err": ([0-9.e+-]+).*/\1/p' <<<"${lj[cmodel]:-}")")
      if [ -n "${lj[rtl]:-}" ] && [ -n "${lj[cmodel]:-}" ]; then
        check_json "link $kern offset $off sends $sends: rtl and cmodel print the same cycles, counters, takes" \
          "{\"c\": ${lj[cmodel]}, \"r\": ${lj[rtl]}}" \
          'all(j["c"][x] == j["r"][x] for x in ("cycles", "span_cycles", "producer", "consumer", "takes", "stalls", "macs", "rel_err"))'
      fi
      unset lj
    done
  done
  # The consumer's result does not depend on when the beats arrive.
  [ ${#rels[@]} -eq 6 ] && [ -n "${rels[0]}" ] && [ "$(printf '%s\n' "${rels[@]}" | sort -u | wc -l)" -eq 1 ] &&
    tap_ok "link $kern: the same result at every offset and number of sends" ||
    tap_not_ok "link $kern: the same result at every offset and number of sends" "${rels[*]}"
done
# Every row its own send; far negative and positive offsets.
for be in $link_backends; do
  run_cmd "$T" kernel link --m 5 --k 13 --n 7 --sends 7 --offset -300 --backend $be --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "link $be 7 sends of one row each" "exit $rc: $err"; else
    check_json "link $be 7 sends of one row each, consumer 300 cycles early" "$out" "$LKEYS" "$LPROD" "$LCONS" \
      "$LTIME" "$LREL" 'j["consumer"]["stalls"]["stream_starved"] > 300'
  fi
  # The largest offset on the cmodel (the RTL simulates every cycle of it: 30 s).
  late=1000000
  [ $be = rtl ] && late=3000
  run_cmd "$T" kernel link --consumer attn_pv --m 40 --k 9 --n 18 --offset $late --backend $be --json
  if [ "$rc" -ne 0 ]; then tap_not_ok "link $be consumer $late cycles late" "exit $rc: $err"; else
    check_json "link $be consumer $late cycles late: the producer held throughout" "$out" "$LKEYS" "$LPROD" "$LCONS" \
      "$LTIME" "$LREL" "j[\"producer\"][\"stalls\"][\"backpressure\"] > $late"
  fi
done
expect "link summary names both tiles' figures" 0 "consumer +cycles [0-9]+ .*starved [0-9]+, back-pressure [0-9]+, memory [0-9]+, conflict [0-9]+, MACs [0-9]+, utilisation" \
  "" "$T" kernel link --m 9 --k 8 --n 6 --backend cmodel
grep -Eq "^  producer +cycles [0-9]+ .*back-pressure [0-9]+" <<<"$out" && grep -Eq "^  rel_err +[0-9.e+-]+ vs float64" <<<"$out" &&
  tap_ok "link summary lines" || tap_not_ok "link summary lines" "$out"
# --dump: Q, K, S / P, V, O (K and V as sent: bf16 of the fp32 rows), the product within its bound;
# the same files on both backends and with several sends at another offset.
for kern in attn_qk attn_pv; do
  for be in $link_backends; do
    for sends in 1 4; do
      dir=$tmp/ldump-$kern-$be-$sends
      run_cmd "$T" kernel link --consumer $kern --m 20 --k 12 --n 9 --sends $sends --offset $((sends == 4 ? 37 : 0)) \
        --seed 6 --backend $be --json --dump "$dir"
      if [ "$rc" -ne 0 ]; then tap_not_ok "link --dump $kern $be sends $sends" "exit $rc: $err"; continue; fi
      check_adump "link --dump $kern $be sends $sends: three float32 .npy files, the product within its bound" \
        "$dir" $kern 20 12 9 "$nnz_p"
    done
  done
  same=1
  for be in $link_backends; do
    for f in $( [ $kern = attn_qk ] && echo Q K S || echo P V O); do
      cmp -s "$tmp/ldump-$kern-cmodel-1/$f.npy" "$tmp/ldump-$kern-$be-4/$f.npy" || same=
    done
  done
  [ -n "$same" ] && tap_ok "link --dump $kern: the same files on every backend, offset and number of sends" ||
    tap_not_ok "link --dump $kern: the same files on every backend, offset and number of sends"
done
if [ "$backend" = rtl ]; then
  expect "link --trace writes the producer's waveform" 0 "trace +.*lk.fst \(the producer tile\)" "" \
    "$T" kernel link --m 6 --k 5 --n 4 --sends 2 --trace "$tmp/lk.fst"
  fst_ok "$tmp/lk.fst" && [ ! -e "$tmp/lk.1.fst" ] && tap_ok "link waveform: one FST file" ||
    tap_not_ok "link waveform: one FST file" "$(ls -l "$tmp"/lk*)"
  expect "link unwritable trace" 1 "" "cannot open the tile or trace file /nonexistent/d/l.fst" \
    "$T" kernel link --m 2 --k 4 --n 4 --trace /nonexistent/d/l.fst
else
  expect "link rtl backend not linked" 2 "" "RTL tile is not linked" "$T" kernel link --backend rtl
fi
expect "link --sends 0" 2 "" "--sends wants an integer in \[1, " "$T" kernel link --sends 0
expect "link more sends than rows" 2 "" "--sends 10: at most one send per row of K/V \(--n 9\)" "$T" kernel link --n 9 --sends 10
expect "link offset above 10^6" 2 "" "--offset wants an integer in \[-1000000, 1000000\], got '1000001'" \
  "$T" kernel link --offset 1000001
expect "link offset below -10^6" 2 "" "--offset wants an integer in \[-1000000, 1000000\], got '-1000001'" \
  "$T" kernel link --offset -1000001
expect "link offset not a number" 2 "" "--offset wants an integer .*got '3x'" "$T" kernel link --offset 3x
expect "link offset without value" 2 "" "--offset wants an integer .*got ''" "$T" kernel link --offset
expect "link unknown consumer" 2 "" "--consumer must be attn_qk or attn_pv, got 'fwd'" "$T" kernel link --consumer fwd
expect "link consumer without value" 2 "" "--consumer must be attn_qk or attn_pv, got ''" "$T" kernel link --consumer
expect "link consumer rows beyond acc_depth" 2 "" "does not fit the consumer tile" "$T" kernel link --m 20000
expect "link consumer rows beyond the bank" 2 "" "does not fit the consumer tile: .*k \+ n = 5000" \
  "$T" kernel link --k 3000 --n 2000
expect "link producer rows beyond the bank" 2 "" "does not fit the producer tile: 40 sends of up to 1 rows" \
  "$T" kernel link --m 4 --k 128 --n 40 --sends 40
if [ "$nnz_p" = 4 ]; then # default preset: these rows fit the producer, their 15360 beats are too many
  expect "link more beats than an attn run takes" 2 "" "15360 beats, one attn run takes at most" \
    "$T" kernel link --m 4 --k 256 --n 240
fi
expect "link --period is not its option" 2 "" "unknown argument for link '--period'" "$T" kernel link --period 3
expect "link twice" 2 "" "one kernel at a time, got 'link' after 'link'" "$T" kernel link link
expect "link --trace on the cmodel" 2 "" "--trace needs the rtl backend" "$T" kernel link --backend cmodel \
  --trace "$tmp/l.fst"
touch "$tmp/file-link"
expect "link --dump into a file" 2 "" "--dump: .*not a directory" "$T" kernel link --m 2 --k 4 --n 4 \
  --backend cmodel --dump "$tmp/file-link"
expect "link help" 0 "tessera kernel link \[--consumer attn_qk\|attn_pv\]" "" "$T" kernel link --help

# Bad arguments: one line on stderr, exit 2.
expect "help" 0 "usage: tessera kernel" "" "$T" kernel --help
help=$out
# Each family (linear, vector, attention, send, link) describes --dump and --trace, the two
# run-per-file ones their file names; link's is the producer's alone.
[ "$(grep -c "^  --dump DIR  " <<<"$help")" -eq 5 ] && [ "$(grep -c "^  --trace FILE.fst  " <<<"$help")" -eq 5 ] &&
  [ "$(grep -c "\[--trace FILE.fst\]" <<<"$help")" -eq 5 ] && [ "$(grep -c "FILE.<i>.fst" <<<"$help")" -eq 2 ] &&
  grep -q "^  tessera kernel link " <<<"$help" && grep -q "waveform of the producer tile A only" <<<"$help" &&
  tap_ok "help lists --dump and --trace for every family" ||
  tap_not_ok "help lists --dump and --trace for every family" "$help"
expect "attn help" 0 "usage: tessera kernel" "" "$T" kernel attn_qk --help
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
