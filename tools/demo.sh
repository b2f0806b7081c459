#!/usr/bin/env bash
# demo.sh TESSERA FWDIR -- the README's main job until the GPT training run exists: a firmware
# program on the RTL controller in lock step with the instruction-set simulator, the sparse
# linear layer of a GPT block on the RTL tile, dense against 75% and 87.5% sparsity, each result
# checked bit for bit against the cmodel and against a float64 reference, then a short sparse MLP
# training run through driver, firmware, DMA and tiles (tessera mlp).
set -euo pipefail
tessera=$1 fw=$2

echo "== 1. Controller: firmware on the RV32IM RTL core, co-simulated with the ISS"
"$tessera" run-elf "$fw/test_hello.elf" --backend rtl --cosim --stats

echo
echo "== 2. Tile: Y = X W^T, m=128 tokens, k=n=256, on the RTL tile (default preset)"
printf '%-22s %10s %9s %12s %9s %10s\n' "weights" "cycles" "speed-up" "utilisation" "bitexact" "rel_err"
dense=
for spec in "dense:1" "block:0.25" "unstructured:0.25" "2:4:0.5" "block:0.125"; do
  pat=${spec%:*} dens=${spec##*:}
  json=$("$tessera" kernel fwd --m 128 --k 256 --n 256 --pattern "$pat" --density "$dens" \
           --backend rtl --seed 1 --json)
  read -r cycles util bitexact relerr < <(python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
print(j["cycles"], j["utilization"], str(j["bitexact"]).lower(), j["rel_err"])' <<<"$json")
  [ -n "$dense" ] || dense=$cycles
  label="$pat"; case $pat in dense|2:4) ;; *) label="$pat $dens" ;; esac
  printf '%-22s %10d %8.2fx %11.1f%% %9s %10.2e\n' "$label" "$cycles" \
    "$(python3 -c "print($dense / $cycles)")" "$(python3 -c "print(100 * $util)")" "$bitexact" "$relerr"
done
echo
echo "Every row: RTL equal to the cmodel bit for bit, the cmodel within its bound of float64."

echo
echo "== 3. Training through the whole stack on the RTL chip: host driver -> command ring -> firmware"
echo "   -> DMA engine and tiles, all Verilog (2 sparse layers, width 32, 64 tokens, density 0.25)"
"$tessera" mlp --layers 2 --width 32 --tokens 64 --density 0.25 --steps 4 --backend rtl --dense-baseline
echo "   The cmodel gives these losses and weights bit for bit (tests/chip_rtl/test_mlp_rtl.c)."

echo
echo "== 4. The default shape on the cmodel (2 sparse layers, width 256, 256 tokens, density 0.25)"
"$tessera" mlp --layers 2 --width 256 --tokens 256 --density 0.25 --steps 8 --dense-baseline
echo "More: docs/kernels.md (tessera kernel), docs/firmware.md (tessera run-elf), make bench."
