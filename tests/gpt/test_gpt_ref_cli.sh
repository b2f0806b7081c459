#!/usr/bin/env bash
# tessera gpt-ref: the default run learns (last loss < 50% of the first), --json's keys, the same
# seed gives the same losses and another seed different ones, --grad-check agrees with finite
# differences, bad arguments exit 2 with a message naming the problem, tessera --help lists it.
# usage: test_gpt_ref_cli.sh PATH/TO/tessera
set -u
T=$1
. "$(dirname "$0")/../tap.sh"
PY=${PYTHON:-python3}

expect "tessera --help lists gpt-ref" 0 '^  gpt-ref ' '' "$T" --help
expect "gpt-ref --help says host reference, not the device, and the exit statuses" 0 \
  'not use the device; the device GPT does not exist yet' '' "$T" gpt-ref --help
expect "gpt-ref --help: exit status meanings" 0 'Exit status: 0 ok, 1 failure.*2 bad arguments' '' "$T" gpt-ref --help

# Default run: a progress line per step on stderr, a summary on stdout, the loss falls below half.
run_cmd "$T" gpt-ref
why=()
[ "$rc" -eq 0 ] || why+=("exit status $rc: $err")
[ "$(grep -c '^step [0-9]*/50 loss ' <<<"$err")" -eq 50 ] || why+=("want 50 progress lines on stderr")
read -r first last < <(sed -n 's/^loss first \([0-9.]*\) last \([0-9.]*\).*/\1 \2/p' <<<"$out")
if [ -z "${first:-}" ]; then
  why+=("no 'loss first .. last ..' line: $out")
elif ! awk -v f="$first" -v l="$last" 'BEGIN { exit !(f > 3 && l < 0.5 * f) }'; then
  why+=("first loss $first (want > 3, about ln 32), last $last (want < 50% of the first)")
fi
grep -q '^params 27008,' <<<"$out" || why+=("params line: $out")
if [ ${#why[@]} -eq 0 ]; then tap_ok "default run learns the pattern task"; else tap_not_ok "default run learns the pattern task" "${why[@]}"; fi

# --json, twice with seed 1, once with seed 2, once with a gradient check; all checked in one python.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$T" gpt-ref --json --seed 1 >"$tmp/a.json" 2>/dev/null; ra=$?
"$T" gpt-ref --json --seed 1 >"$tmp/b.json" 2>/dev/null; rb=$?
"$T" gpt-ref --json --seed 2 >"$tmp/c.json" 2>/dev/null; rcc=$?
"$T" gpt-ref --json --grad-check 20 --steps 10 >"$tmp/g.json" 2>/dev/null; rg=$?
"$T" gpt-ref --json --task copy --steps 5 --vocab 9 --ctx 7 --width 12 --heads 3 --layers 1 --ffn 20 --batch 3 \
  >"$tmp/k.json" 2>/dev/null; rk=$?
[ "$ra$rb$rcc$rg$rk" = 00000 ] && tap_ok "json runs exit 0" || tap_not_ok "json runs exit 0" "statuses $ra $rb $rcc $rg $rk"
while IFS=$'\t' read -r verdict name msg; do
  if [ "$verdict" = ok ]; then tap_ok "$name"; else tap_not_ok "$name" "$msg"; fi
done < <("$PY" - "$tmp" <<'PYEOF' 2>&1
import json, math, sys
d = sys.argv[1]
def load(n):
    try:
        return json.load(open("%s/%s.json" % (d, n)))
    except Exception as e:
        return {"error": repr(e)}
a, b, c, g, k = (load(n) for n in "abcgk")
def check(name, cond, msg=""):
    print("%s\t%s\t%s" % ("ok" if cond else "not ok", name, msg))
keys = {"losses", "params", "config", "wall_s"}
check("--json parses with losses, params, config, wall_s", keys <= set(a), sorted(a))
cfg = a.get("config", {})
want = {"vocab": 32, "ctx": 16, "width": 32, "heads": 4, "layers": 2, "ffn": 128, "batch": 4, "steps": 50,
        "seed": 1, "task": "pattern"}
check("--json config holds the defaults (ffn 4 D)", all(cfg.get(x) == v for x, v in want.items()), cfg)
# 2 (wte 32x32 + wpe 16x32 + lnf 2x32) + per block 4 d^2 + 2 f d + 9 d + f.
check("--json params is the layout's count", a.get("params") == 32*32 + 16*32 + 64 + 2*(4*32*32 + 2*128*32 + 9*32 + 128),
      a.get("params"))
la, lb, lc = a.get("losses", []), b.get("losses", []), c.get("losses", [])
check("--json: 50 finite losses, first near ln 32", len(la) == 50 and all(math.isfinite(x) for x in la)
      and abs(la[0] - math.log(32)) < 0.5, la[:3])
check("--json: last loss below 50% of the first", len(la) == 50 and la[-1] < 0.5 * la[0], (la[:1], la[-1:]))
check("same seed: the same losses bit for bit", la == lb and len(la) == 50)
check("another seed: different losses", len(lc) == 50 and all(x != y for x, y in zip(la[1:], lc[1:])), lc[:3])
check("no fd_max_rel_err without --grad-check", "fd_max_rel_err" not in a)
e, n = g.get("fd_max_rel_err"), g.get("fd_entries", 0)
check("--grad-check 20: fd_max_rel_err < 1e-5 over > 100 entries", e is not None and e < 1e-5 and n > 100, (e, n))
kc = k.get("config", {})
check("copy task, distinct sizes: 5 finite losses", kc.get("task") == "copy" and kc.get("ffn") == 20 and
      len(k.get("losses", [])) == 5 and all(math.isfinite(x) for x in k["losses"]), k)
PYEOF
)

# Bad arguments: exit 2, one line naming the problem.
expect "unknown option" 2 '' "unknown option '--bogus'" "$T" gpt-ref --bogus
expect "--vocab 0" 2 '' '--vocab wants an integer in \[1, 65536\], got .0.' "$T" gpt-ref --vocab 0
expect "--ctx not a number" 2 '' "--ctx wants an integer .*got 'x'" "$T" gpt-ref --ctx x
expect "--width missing value" 2 '' "--width wants an integer .*got ''" "$T" gpt-ref --width
expect "--heads negative" 2 '' "--heads wants an integer .*got '-3'" "$T" gpt-ref --heads -3
expect "--layers too many" 2 '' "--layers wants an integer in \[1, 64\]" "$T" gpt-ref --layers 65
expect "--batch 0" 2 '' "--batch wants an integer" "$T" gpt-ref --batch 0
expect "--steps 0" 2 '' "--steps wants an integer" "$T" gpt-ref --steps 0
expect "--seed trailing junk" 2 '' "--seed wants an integer .*got '7z'" "$T" gpt-ref --seed 7z
expect "--grad-check not a number" 2 '' "--grad-check wants an integer" "$T" gpt-ref --grad-check abc
expect "--lr not a number" 2 '' "--lr wants a number, got 'fast'" "$T" gpt-ref --lr fast
expect "--lr 0" 2 '' '--lr must be in \(0, 1\], got 0' "$T" gpt-ref --lr 0
expect "--lr nan" 2 '' "--lr wants a number, got 'nan'" "$T" gpt-ref --lr nan
expect "--task unknown" 2 '' "--task wants pattern or copy, got 'sort'" "$T" gpt-ref --task sort
expect "heads not dividing width (gpt_cfg_check's message)" 2 '' 'gpt_cfg: d must be a multiple of heads' \
  "$T" gpt-ref --width 30 --heads 4
expect "too many parameters" 2 '' 'parameters, more than the 4000000' "$T" gpt-ref --width 4096 --steps 1
expect "too many activations" 2 '' 'activation doubles in one step, more than the 16000000' \
  "$T" gpt-ref --ctx 4096 --batch 64 --steps 1
tap_done
