#!/bin/bash
# Cost of metrics logging: the same training with every logger (jsonl, csv,
# mlflow, tensorboard) at every optimizer step vs with no step logging, run
# alternately R times; medians of samples/s and their ratio.
# usage: bench/logging_overhead.sh [R=5] [NPROC=1] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-5} NP=${2:-1} B=${3:-build}
OUT=bench/out/logging; mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cfg() {  # LOGGERS -> config file
  cat > "$OUT/$1.yaml" <<YAML
run: {name: logbench, seed: 1}
loggers: $2
pipelines:
  training:
    steps:
      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 40000, features: 64}}
      - {name: model, type: model, arch: mlp, hidden: [128]}
      - {name: train, type: trainer, epochs: 2, batch_size: 32}
YAML
}
cfg none "[{type: jsonl}]"
cfg every "[{type: jsonl, log_every: 1, ranks: all}, {type: csv, log_every: 1, ranks: all}, {type: mlflow, log_every: 1, ranks: all}, {type: tensorboard, log_every: 1, ranks: all}]"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
none=() every=()
for i in $(seq 1 "$R"); do
  for mode in none every; do
    rm -rf "$OUT/run-$mode"
    "$B/src/itwin" train "$OUT/$mode.yaml" --nproc "$NP" --run-dir "$OUT/run-$mode" >/dev/null 2>&1
    v=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["samples_per_s"])' "$OUT/run-$mode/summary.json")
    [ "$mode" = none ] && none+=("$v") || every+=("$v")
  done
done
mn=$(median "${none[@]}") me=$(median "${every[@]}")
echo "no step logging:      ${none[*]}"
echo "every step, 4 loggers: ${every[*]}"
awk -v a="$me" -v b="$mn" -v np="$NP" 'BEGIN {printf "median samples/s: %.0f with logging at every step vs %.0f without; ratio %.3f (%d rank(s))\n", a, b, a / b, np}'
