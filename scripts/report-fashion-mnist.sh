#!/bin/bash
# The example report of docs/report.md: the Fashion-MNIST use case trained at
# 1 and 2 ranks (itwin's own launcher, `backend: auto`), REPEATS times each,
# then `itwin report` on those runs, written into docs/report/fashion-mnist/
# (report.md, .csv, .json, .html, .txt and plots/*.png|svg) to be committed.
# Run it on a quiet machine: the numbers are timings.
#
# usage: scripts/report-fashion-mnist.sh [OUT=docs/report/fashion-mnist]
#   EPOCHS=3 REPEATS=2 BUILD=build  (defaults); MAX_STEPS=N cuts each epoch to
#   N steps (a quick check of the script, not a report to commit).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/report/fashion-mnist}
EPOCHS=${EPOCHS:-3} REPEATS=${REPEATS:-2} BUILD=${BUILD:-build} MAX_STEPS=${MAX_STEPS:-0}
ITWIN=$BUILD/src/itwin
RUNS=bench/out/report-fashion-mnist
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$RUNS"
mkdir -p "$RUNS"
dirs=()
for rep in $(seq 1 "$REPEATS"); do
  for n in 1 2; do
    dir=$RUNS/fashion-mnist-n$n-r$rep
    extra=()
    [ "$MAX_STEPS" -gt 0 ] && extra=(--set "pipelines.training.steps.train.max_steps=$MAX_STEPS")
    echo "training: $n rank(s), repeat $rep of $REPEATS, $EPOCHS epochs -> $dir"
    "$ITWIN" train use-cases/fashion-mnist/pipeline.yaml --nproc "$n" --run-dir "$dir" \
      --set "vars.epochs=$EPOCHS" "${extra[@]}" >"$dir.log" 2>&1 ||
      { echo "training failed; its output: $dir.log" >&2; exit 1; }
    dirs+=("$dir")
  done
done
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
"$ITWIN" report "${dirs[@]}" --out "$OUT" --format md
# The run directories are scratch: the report names them, the docs do not need them.
echo "report: $OUT/report.md, $OUT/report.html, $OUT/plots/"
