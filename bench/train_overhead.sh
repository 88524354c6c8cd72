#!/bin/bash
# Framework overhead of `itwin train`: its per-epoch samples/s on the
# Fashion-MNIST CNN against a plain LibTorch loop with the same model, batch
# size and optimizer, run alternately (the machine is shared and noisy).
# usage: bench/train_overhead.sh [REPEATS=5] [THREADS=1] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-5} T=${2:-1} B=${3:-build}
OUT=bench/out; mkdir -p "$OUT"
export OMP_NUM_THREADS=$T
itwin=() plain=()
for i in $(seq 1 "$R"); do
  rm -rf "$OUT/run"
  "$B/src/itwin" train --threads "$T" --run-dir "$OUT/run" --set vars.epochs=1 --set pipelines.training.steps.train.test=false >/dev/null
  itwin+=("$(sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p' "$OUT/run/metrics.jsonl" | head -1)")
  plain+=("$("$B/bench/plain_libtorch" 1 64 "$T" | awk '{print $2}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mi=$(median "${itwin[@]}") mp=$(median "${plain[@]}")
printf '%-16s %s\n' "itwin samples/s" "${itwin[*]}" "plain samples/s" "${plain[*]}"
ratio=$(awk -v a="$mi" -v b="$mp" 'BEGIN {printf "%.3f", a / b}')
printf 'median itwin %.0f, plain %.0f, ratio itwin/plain %s (threads %s, %s runs each)\n' "$mi" "$mp" "$ratio" "$T" "$R"
printf '{"itwin_samples_per_s": %s, "plain_samples_per_s": %s, "ratio": %s, "threads": %s, "runs": %s}\n' \
  "$mi" "$mp" "$ratio" "$T" "$R" > "$OUT/train_overhead.json"
