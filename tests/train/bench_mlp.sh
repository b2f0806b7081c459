#!/usr/bin/env bash
# make bench-mlp: the issue's training figures at the default shape (width 256, 256 tokens, density
# 0.25, 2 layers): fused against unfused (cycles, DRAM bytes per step, utilisation, controller gap),
# the speed-up over the same job with dense weights, and the loss and controller gap over 50 steps.
# Usage: bench_mlp.sh TESSERA [BACKEND]
set -euo pipefail
tessera=$1
backend=${2:-cmodel}
common=(--layers 2 --width 256 --tokens 256 --density 0.25 --backend "$backend")
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

echo "tessera mlp, ${common[*]}"
fused=$("$tessera" mlp "${common[@]}" --steps 3 --json --dense-baseline)
unfused=$("$tessera" mlp "${common[@]}" --steps 3 --json --no-fuse)
printf '%-8s %14s %16s %12s %16s %14s\n' mode cycles/step "DRAM bytes/step" utilisation "gap (last step)" "gap (3 steps)"
for mode in fused unfused; do
  j=${!mode}
  printf '%-8s %14s %16s %11.1f%% %15.2f%% %13.2f%%\n' "$mode" \
    "$(echo "$j" | field 'd["cycles"][-1]')" "$(echo "$j" | field 'd["dram_bytes"][-1]')" \
    "$(echo "$j" | field '100*d["utilization"]')" "$(echo "$j" | field '100*d["controller_gap"][-1]')" \
    "$(echo "$j" | field '100*d["controller_gap_fraction"]')"
done
echo "(the controller gap: cycles with neither a tile nor the DMA busy; the first step validates and plans its"
echo " first command from cold, later ones reuse that work)"
echo "fused / unfused DRAM bytes: $(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print("%.3f" % (a["dram_bytes"][-1]/b["dram_bytes"][-1]))' "$fused" "$unfused")"
echo "sparse (density 0.25) vs dense speed-up per step: $(echo "$fused" | field '"%.2fx" % d["dense_speedup"]')"
long=$("$tessera" mlp "${common[@]}" --steps 50 --json)
echo "loss over 50 steps: $(echo "$long" | field '"%.4f -> %.4f (last/first %.3f)" % (d["losses"][0], d["losses"][-1], d["losses"][-1]/d["losses"][0])')"
echo "controller gap over the 50 steps (fused): $(echo "$long" | field '"%.2f%%" % (100*d["controller_gap_fraction"])')"
