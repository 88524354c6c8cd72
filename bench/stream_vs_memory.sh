#!/bin/bash
# Data larger than memory (issue 16): training speed with an HDF5 data set
# streamed from disk in blocks (stream: true, max_memory below half the file)
# against the same data set held in memory (stream: auto with room for it):
# the same blocks, samples and order, only where the blocks live differs.
# Runs alternate (memory, disk, memory, ...); prints the medians of
# samples/s (the last epoch of each run, all ranks) and peak RSS
# (/usr/bin/time -v), and the ratio disk / memory. Target: >= 0.90.
#
# The page cache: before every run the file's cached pages are dropped with
# `dd iflag=nocache count=0` (posix_fadvise DONTNEED; no root needed), so each
# streamed run reads from the device. The in-memory run reads the file once
# when it loads (not in samples/s). max_memory bounds what the process holds,
# not what the kernel caches. Check `uptime` first: the machine must be quiet.
#
# usage: bench/stream_vs_memory.sh [REPEATS=3] [BUILD=build] [ROWS=9000] [FEATURES=4096] [MAX_MEMORY=64MiB] [EPOCHS=2] [BLOCK_ROWS=256]
#   defaults: x [9000, 4096] float32 = 141 MiB, 2.2x max_memory; about 2-3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3} B=${2:-build} N=${3:-9000} F=${4:-4096} MEM=${5:-64MiB} EPOCHS=${6:-2} BLOCK=${7:-256}
OUT=bench/out/stream; mkdir -p "$OUT"
FILE=$OUT/rows.h5
[ -x "$B/bench/make_rows" ] || { echo "build $B/bench/make_rows first (ninja -C $B bench/make_rows)"; exit 2; }
"$B/bench/make_rows" "$FILE" "$N" "$F" 1
bytes=$(stat -c %s "$FILE")
echo "file: $FILE, $bytes bytes (x [$N, $F] float32 + y), max_memory $MEM for the streamed runs"

pipeline() {  # $1: stream mode, $2: max_memory
  cat <<YAML
run: {name: stream, root: $OUT/runs, seed: 1}
loggers: [jsonl]
pipelines:
  training:
    steps:
      - {name: data, type: dataset, format: hdf5, path: $FILE, x: x, y: [y], task: regression,
         split: {validation: 0, test: 0}, stream: $1, max_memory: $2, block_rows: $BLOCK}
      - {name: model, type: model, arch: mlp, hidden: [256]}
      - {name: train, type: trainer, loss: mse, epochs: $EPOCHS, batch_size: 64, test: false}
YAML
}
pipeline true "$MEM" > "$OUT/disk.yaml"
pipeline auto 8GiB > "$OUT/memory.yaml"

one() {  # $1: disk|memory -> "samples_per_s peak_rss_kib"
  rm -rf "$OUT/runs" "$OUT/run"
  dd if="$FILE" iflag=nocache count=0 status=none 2>/dev/null || true
  /usr/bin/time -v -o "$OUT/time.txt" "$B/src/itwin" train "$OUT/$1.yaml" --run-dir "$OUT/run" >"$OUT/$1.log" 2>&1 ||
    { echo "itwin train failed ($1); see $OUT/$1.log" >&2; tail -5 "$OUT/$1.log" >&2; exit 1; }
  local sps rss
  sps=$(sed -n 's/.*"samples_per_s":\([0-9.e+-]*\).*/\1/p' "$OUT/run/metrics.jsonl" | tail -1)
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$OUT/time.txt")
  echo "$sps $rss"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A sps rss
for i in $(seq 1 "$R"); do
  for mode in memory disk; do
    read -r s m < <(one "$mode")
    echo "run $i $mode: $s samples/s, peak RSS $m KiB"
    sps[$mode]="${sps[$mode]:-} $s"
    rss[$mode]="${rss[$mode]:-} $m"
  done
done
printf '\n%-8s %14s %14s   %s\n' data samples_per_s peak_rss_MiB runs
for mode in memory disk; do
  # shellcheck disable=SC2086
  printf '%-8s %14.1f %14.1f   %s\n' "$mode" "$(median ${sps[$mode]})" \
    "$(echo "$(median ${rss[$mode]}) / 1024" | bc -l)" "${sps[$mode]}"
done
# shellcheck disable=SC2086
ratio=$(echo "$(median ${sps[disk]}) / $(median ${sps[memory]})" | bc -l)
printf 'ratio disk/memory (samples/s): %.3f (target >= 0.90)\n' "$ratio"
