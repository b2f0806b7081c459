#!/usr/bin/env bash
# make bench-tile: the compute tile's performance table of issue 5 (docs/kernels.md). m=128 tokens,
# k=n=256, the build's preset, the rtl backend when the RTL tile is linked (else the cmodel, said in
# the header). Prints figures and the issue's targets next to them; asserts nothing.
# usage: bench_tile.sh PATH/TO/tessera
set -u
T=$1
M=128 K=256 N=256 SEED=1

# field JSON KEY: the number after "KEY": in a flat scan of the JSON line (keys used here are unique).
field() { grep -Eo "\"$2\": (-?[0-9.e+-]+|null|true|false)" <<<"$1" | head -1 | sed 's/.*: //'; }

run() { # run KERNEL PATTERN DENSITY -> JSON line (exits on failure)
  local js
  if ! js=$("$T" kernel "$1" --pattern "$2" --density "$3" --m $M --k $K --n $N --seed $SEED --json); then
    echo "bench-tile: tessera kernel $1 --pattern $2 --density $3 failed" >&2
    [ -n "$js" ] && echo "$js" >&2
    exit 1
  fi
  echo "$js"
}

first=$(run fwd dense 1)
backend=$(sed -E 's/.*"backend": "([a-z]+)".*/\1/' <<<"$first")
lanes=$(field "$first" lanes) p=$(field "$first" p) s=$(field "$first" s)
preset=$(sed -E 's/.*"preset": "([a-z]+)".*/\1/' <<<"$first")
echo "bench-tile: m=$M k=$K n=$N, preset $preset (L=$lanes P=$p S=$s, peak $((lanes * p)) MACs/cycle), backend $backend"
[ "$backend" = rtl ] || echo "  (the RTL tile is not linked into this build: cycles are the cmodel's estimate)"
echo

rtl_cycles=0 rtl_wall=0 cm_wall=0 equal=0 jobs=0 rmin= rmax=
rows=("dense 1 -" "block 0.25 3.6" "block 0.125 7.0" "unstructured 0.25 3.0" "2:4 0.5 1.8")
stall_lines=()
printf "%-13s %7s %10s %8s %9s %7s %12s %14s\n" mask density "fwd cyc" speed-up target util bwd_data/fwd bwd_weight/fwd
dense_cycles=
for r in "${rows[@]}"; do
  read -r pat dens target <<<"$r"
  declare -A js=()
  stalls=
  for kern in fwd bwd_data bwd_weight; do
    if [ "$kern" = fwd ] && [ "$pat" = dense ]; then js[$kern]=$first; else js[$kern]=$(run $kern $pat $dens) || exit 1; fi
    j=${js[$kern]}
    jobs=$((jobs + 1))
    if [ "$backend" = rtl ]; then
      rtl_cycles=$((rtl_cycles + $(field "$j" cycles)))
      rtl_wall=$(awk -v a="$rtl_wall" -v b="$(field "$j" rtl)" 'BEGIN { print a + b }')
      ratio=$(awk -v a="$(field "$j" cmodel_cycles)" -v b="$(field "$j" cycles)" 'BEGIN { printf "%.4f", a / b }')
      [ "$(field "$j" cmodel_cycles)" = "$(field "$j" cycles)" ] && equal=$((equal + 1))
      rmin=$(awk -v a="${rmin:-$ratio}" -v b="$ratio" 'BEGIN { print (b < a ? b : a) }')
      rmax=$(awk -v a="${rmax:-$ratio}" -v b="$ratio" 'BEGIN { print (b > a ? b : a) }')
    fi
    cm_wall=$(awk -v a="$cm_wall" -v b="$(field "$j" cmodel)" 'BEGIN { print a + b }')
    stalls+=$(printf " %22s" "$(field "$j" bank_conflict)/$(field "$j" stream_starved)/$(field "$j" backpressure)/$(field "$j" memory)")
  done
  f=${js[fwd]}
  cyc=$(field "$f" cycles)
  [ -n "$dense_cycles" ] || dense_cycles=$cyc
  printf "%-13s %7.4f %10d %7.2fx %9s %6.1f%% %12.3f %14.3f\n" "$pat" "$(field "$f" density)" "$cyc" \
    "$(awk -v a="$dense_cycles" -v b="$cyc" 'BEGIN { print a / b }')" \
    "$([ "$target" = - ] && echo "util>=90%" || echo ">=${target}x")" \
    "$(awk -v u="$(field "$f" utilization)" 'BEGIN { print 100 * u }')" \
    "$(awk -v a="$(field "${js[bwd_data]}" cycles)" -v b="$cyc" 'BEGIN { print a / b }')" \
    "$(awk -v a="$(field "${js[bwd_weight]}" cycles)" -v b="$cyc" 'BEGIN { print a / b }')"
  stall_lines+=("$(printf "%-13s %7.4f%s" "$pat" "$(field "$f" density)" "$stalls")")
  unset js
done
echo "targets (issue 5): bwd_data and bwd_weight within 15% of fwd (ratio <= 1.15)"
echo
echo "stall cycles, conflict/starved/back-pressure/memory:"
printf "%-13s %7s %22s %22s %22s\n" mask density fwd bwd_data bwd_weight
printf "%s\n" "${stall_lines[@]}"
echo
if [ "$backend" = rtl ]; then
  echo "cmodel cycle estimate vs rtl: $equal of $jobs jobs equal; cmodel/rtl cycles $rmin .. $rmax"
  awk -v c="$rtl_cycles" -v w="$rtl_wall" -v cw="$cm_wall" 'BEGIN {
    printf "simulation speed: rtl %d tile cycles in %.2f s (model, backdoor loads and reads included) = %.0f cycles/s;\n", c, w, c / w
    printf "                  cmodel %.3f s for the same %s jobs: %.0fx faster (wall)\n", cw, 15, w / cw }'
else
  awk -v cw="$cm_wall" 'BEGIN { printf "simulation speed: cmodel %.3f s for all 15 jobs (wall); rtl not linked, no rtl figures\n", cw }'
fi
echo
# The stream ports: attention with K on the stream-in port (a source with a beat every `period`
# cycles: starved cycles), and send (rows of 256 words out to a sink taking a beat every `period`
# cycles: back-pressure). Figures only.
echo "stream ports (backend $backend):"
printf "%-34s %7s %10s %8s %8s %14s\n" job period cycles starved "back-pr" "beats/cycle"
for job in "attn_qk --m 128 --k 64 --n 128:0" "attn_qk --m 128 --k 64 --n 128:20" "send --m 128 --n 256:0" \
           "send --m 128 --n 256:2" "send --m 128 --n 256:4"; do
  args=${job%%:*} period=${job##*:}
  if ! js=$("$T" kernel $args --period "$period" --seed $SEED --json); then
    echo "bench-tile: tessera kernel $args --period $period failed" >&2
    exit 1
  fi
  bpc=$(field "$js" beats_per_cycle)
  printf "%-34s %7s %10s %8s %8s %14s\n" "$args" "$period" "$(field "$js" cycles)" "$(field "$js" stream_starved)" \
    "$(field "$js" backpressure)" "${bpc:--}"
done
echo
# Two linked tiles (tessera kernel link): tile A sends K or V (128 rows of 64 words) out of its
# stream-out port into tile B's stream-in port, B runs attn_qk / attn_pv over all the beats (128
# queries), started `offset` cycles after A's first send; the last row sends K in 4 sends. Cycles
# from the start of each tile's first run; figures only.
echo "linked tiles (tessera kernel link --m 128 --k 64 --n 128, backend $backend):"
printf "%-18s %6s %5s | %9s %8s %8s | %9s %8s %8s %6s | %9s\n" job offset sends "A cycles" "starved" "back-pr" \
  "B cycles" "starved" "back-pr" "util" "span"
for job in "attn_qk:0:1" "attn_qk:500:1" "attn_pv:0:1" "attn_pv:500:1" "attn_qk:0:4"; do
  IFS=: read -r kern off sends <<<"$job"
  if ! js=$("$T" kernel link --consumer "$kern" --m 128 --k 64 --n 128 --offset "$off" --sends "$sends" --seed $SEED \
    --json); then
    echo "bench-tile: tessera kernel link --consumer $kern --offset $off --sends $sends failed" >&2
    exit 1
  fi
  pj=${js#*\"producer\": } cj=${js#*\"consumer\": }
  printf "%-18s %6s %5s | %9s %8s %8s | %9s %8s %8s %6.3f | %9s\n" "send -> $kern" "$off" "$sends" \
    "$(field "$pj" cycles)" "$(field "$pj" stream_starved)" "$(field "$pj" backpressure)" "$(field "$cj" cycles)" \
    "$(field "$cj" stream_starved)" "$(field "$cj" backpressure)" "$(field "$js" utilization)" "$(field "$js" span_cycles)"
done
echo "A: the producer (send), B: the consumer; span: the first busy cycle of either tile to the last"
