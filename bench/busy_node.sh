#!/bin/bash
# Training speed on a busy node (login nodes are shared): one epoch of the
# Fashion-MNIST CNN with itwin's defaults, on a quiet machine and with another
# process busy on one core (a spinning loop pinned to CPU 0), against the same
# with OMP_WAIT_POLICY=active (what LibTorch's OpenMP does when nobody sets
# it). Runs alternate; medians of REPEATS each. Check `uptime` first: the
# machine must be otherwise quiet.
# usage: bench/busy_node.sh [REPEATS=3] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3} B=${2:-build}
OUT=bench/out; mkdir -p "$OUT"
unset OMP_NUM_THREADS OMP_WAIT_POLICY
epoch() {  # epoch time in seconds of one run; $@: env assignments
  rm -rf "$OUT/busy"
  env "$@" "$B/src/itwin" train --run-dir "$OUT/busy" --set vars.epochs=1 \
    --set pipelines.training.steps.train.test=false >/dev/null
  sed -n 's/.*"epoch_time_s":\([0-9.]*\).*/\1/p' "$OUT/busy/metrics.jsonl" | head -1
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A t
for cond in quiet busy; do
  for i in $(seq 1 "$R"); do
    hog=""
    if [ "$cond" = busy ]; then taskset -c 0 bash -c 'while :; do :; done' & hog=$!; fi
    for mode in itwin active one; do
      case $mode in
        itwin) v=$(epoch X=1) ;;                          # itwin's defaults
        active) v=$(epoch OMP_WAIT_POLICY=active) ;;      # spinning OpenMP threads
        one) v=$(epoch OMP_NUM_THREADS=1) ;;              # the fair share on one free core
      esac
      t[$cond-$mode]="${t[$cond-$mode]:-} $v"
    done
    [ -n "$hog" ] && kill "$hog"
  done
done
printf '%-8s %-8s %10s   %s\n' condition mode median_s runs
for cond in quiet busy; do
  for mode in itwin active one; do
    # shellcheck disable=SC2086
    printf '%-8s %-8s %10.2f  %s\n' "$cond" "$mode" "$(median ${t[$cond-$mode]})" "${t[$cond-$mode]}"
  done
done
# shellcheck disable=SC2086
awk -v busy="$(median ${t[busy-itwin]})" -v fair="$(median ${t[busy-one]})" -v q="$(median ${t[quiet-itwin]})" \
    -v qa="$(median ${t[quiet-active]})" 'BEGIN {
  printf "busy node: itwin / fair share (1 thread) = %.2f; quiet: itwin / active = %.2f\n", busy / fair, q / qa }'
