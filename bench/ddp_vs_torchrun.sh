#!/bin/bash
# Data-parallel training throughput and time-to-first-step, side by side:
#   itwin 1 rank (2 threads) | itwin 2 ranks mpi | itwin 2 ranks gloo | PyTorch DDP (gloo) under torchrun, 2 ranks
# on the Fashion-MNIST CNN and on a 9.9M-parameter MLP, per-rank batch 64,
# the same number of steps each. Repeats R times, reports medians and ratios,
# and for itwin the share of the gradient communication that was exposed
# (comm_exposed / comm from summary.json's profile: waited for after backward).
# usage: [MODELS="cnn mlp10m"] bench/ddp_vs_torchrun.sh [R=3] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3} B=${2:-build}
ITWIN=$B/src/itwin OUT=bench/out/ddp; mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
json_field() { sed -n "s/.*\"$2\": *\([0-9.e+-]*\).*/\1/p" "$1" | head -1; }
# Exposed / all gradient communication in %, from summary.json's whole-run profile ("-" for one rank).
exposed_pct() {
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["profile"]["ms_per_step"]
print("%.1f" % (100 * m["comm_exposed"] / m["comm"]) if m.get("comm", 0) > 0 else "-")' "$1"
}

itwin_run() {  # MODEL STEPS NPROC BACKEND -> "samples_per_s first_step_s exposed_comm_pct"
  local model=$1 steps=$2 np=$3 backend=$4 dir=$OUT/itwin-run
  local arch="{name: model, type: model, arch: cnn, dropout: 0.25}"
  [ "$model" = mlp10m ] && arch="{name: model, type: model, arch: mlp, hidden: [2560, 2560, 512], dropout: 0}"
  rm -rf "$dir"
  local t0; t0=$(now)
  "$ITWIN" train --run-dir "$dir" --nproc "$np" --set distributed.backend="$backend" \
    --set vars.epochs=1 --set pipelines.training.steps.train.max_steps="$steps" \
    --set pipelines.training.steps.train.test=false --set "pipelines.training.steps.model=$arch" >/dev/null 2>&1
  local sps first; sps=$(sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p' "$dir/metrics.jsonl" | head -1)
  first=$(json_field "$dir/summary.json" first_step_unix)
  echo "$sps $(awk -v a="$first" -v b="$t0" 'BEGIN {print a - b}') $(exposed_pct "$dir/summary.json")"
}

torch_run() {  # MODEL STEPS -> "samples_per_s first_step_s -"
  local t0; t0=$(now)
  OMP_NUM_THREADS=1 torchrun --standalone --nnodes 1 --nproc_per_node 2 --redirects 9:0 --tee 9:0 \
    bench/torch_ddp.py "$1" 64 "$2" "$OUT/torch.json" >/dev/null 2>&1
  echo "$(json_field "$OUT/torch.json" samples_per_s) $(awk -v a="$(json_field "$OUT/torch.json" first_step_unix)" -v b="$t0" 'BEGIN {print a - b}') -"
}

report() {  # LABEL then triples
  local label=$1; shift
  local s=() f=() e=()
  while [ $# -gt 0 ]; do s+=("$1"); f+=("$2"); [ "$3" != - ] && e+=("$3"); shift 3; done
  local exposed=-; [ ${#e[@]} -gt 0 ] && exposed=$(median "${e[@]}")
  printf '%-22s samples/s %8.0f   first step %6.2f s   exposed comm %5s %%   (runs: %s)\n' "$label" "$(median "${s[@]}")" "$(median "${f[@]}")" "$exposed" "${s[*]}"
  echo "$label $(median "${s[@]}") $(median "${f[@]}")" >> "$OUT/summary.txt"
}

: > "$OUT/summary.txt"
for model in ${MODELS:-cnn mlp10m}; do
  steps=300; [ "$model" = mlp10m ] && steps=40
  echo "== $model, per-rank batch 64, $steps steps, $R runs each (medians)"
  one=() mpi=() gloo=() tr=()
  for i in $(seq 1 "$R"); do
    one+=($(itwin_run $model $steps 1 auto)); mpi+=($(itwin_run $model $steps 2 mpi))
    gloo+=($(itwin_run $model $steps 2 gloo)); tr+=($(torch_run $model $steps))
  done
  report "$model itwin-1rank" "${one[@]}"; report "$model itwin-2rank-mpi" "${mpi[@]}"
  report "$model itwin-2rank-gloo" "${gloo[@]}"; report "$model torchrun-ddp-gloo" "${tr[@]}"
done
awk '{s[$1" "$2]=$3; f[$1" "$2]=$4; m[$1]=1}
  END {for (k in m) printf "%s: itwin 2-rank mpi / 1-rank %.2fx, itwin 2-rank mpi / torchrun %.2fx, itwin 2-rank gloo / torchrun %.2fx; first step: torchrun %.2f s vs itwin mpi %.2f s (%.1fx sooner)\n",
    k, s[k" itwin-2rank-mpi"]/s[k" itwin-1rank"], s[k" itwin-2rank-mpi"]/s[k" torchrun-ddp-gloo"], s[k" itwin-2rank-gloo"]/s[k" torchrun-ddp-gloo"],
    f[k" torchrun-ddp-gloo"], f[k" itwin-2rank-mpi"], f[k" torchrun-ddp-gloo"]/f[k" itwin-2rank-mpi"]}' "$OUT/summary.txt"
