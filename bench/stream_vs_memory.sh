#!/bin/bash
# Data larger than memory (issue 16): training speed with a data set streamed
# from disk in blocks (stream: true, max_memory below half the data) against
# the same data set held in memory (stream: auto with room for it): the same
# blocks, samples and order, only where the blocks live differs. Runs
# alternate (memory, disk, memory, ...); prints the medians of samples/s (the
# last epoch of each run, all ranks) and peak RSS (/usr/bin/time -v), and the
# ratio disk / memory. Target: >= 0.90.
#
# FORMAT=hdf5 (default): rows x [ROWS, FEATURES] float32 and y, written by
#   bench/make_rows; an MLP (hidden 256), batch 64.
# FORMAT=netcdf: the drought use case's datacube (use-cases/drought/generate.py,
#   zlib-compressed float32) with CATCHMENTS x DAYS, 4 variables over (time,
#   catchment); its LSTM (hidden 32, seq_length 60, batch 256) on every 5th
#   window of each training catchment (the `regular` sampler, stride 5),
#   MAX_STEPS steps per epoch. Needs python3-numpy and python3-netcdf4.
#
# The page cache: before every run the file's cached pages are dropped with
# `dd iflag=nocache count=0` (posix_fadvise DONTNEED; no root needed), so each
# streamed run reads from the device. The in-memory run reads the file once
# when it loads (not in samples/s). max_memory bounds what the process holds,
# not what the kernel caches. Check `uptime` first: the machine must be quiet.
#
# usage: bench/stream_vs_memory.sh [REPEATS=3] [BUILD=build] [ROWS=9000] [FEATURES=4096] [MAX_MEMORY=64MiB] [EPOCHS=2] [BLOCK_ROWS=256]
#   hdf5 defaults: x [9000, 4096] float32 = 141 MiB, 2.2x max_memory; about 2-3 minutes on 2 cores.
# FORMAT=netcdf [CATCHMENTS=1000] [DAYS=12000] [MAX_STEPS=150] bench/stream_vs_memory.sh [REPEATS] [BUILD] - - [MAX_MEMORY=90MiB] [EPOCHS=2]
#   netcdf defaults: 4 variables x 12000 days x 1000 catchments float32 = 183 MiB, 2.0x max_memory.
set -euo pipefail
cd "$(dirname "$0")/.."
FORMAT=${FORMAT:-hdf5}
R=${1:-3} B=${2:-build} N=${3:-9000} F=${4:-4096} EPOCHS=${6:-2} BLOCK=${7:-256}
OUT=bench/out/stream-$FORMAT; mkdir -p "$OUT"
if [ "$FORMAT" = netcdf ]; then
  MEM=${5:-90MiB} C=${CATCHMENTS:-1000} D=${DAYS:-12000} STEPS=${MAX_STEPS:-150}
  FILE=$OUT/cube.nc
  [ -f "$FILE.$C.$D" ] || { /usr/bin/python3 use-cases/drought/generate.py --out "$FILE" \
    --catchments "$C" --days "$D" >/dev/null && touch "$FILE.$C.$D"; }
  echo "file: $FILE, $(stat -c %s "$FILE") bytes on disk (4 variables x $D days x $C catchments" \
    "float32 = $((4 * 4 * C * D / 1048576)) MiB in memory), max_memory $MEM for the streamed runs"
else
  MEM=${5:-64MiB}
  FILE=$OUT/rows.h5
  [ -x "$B/bench/make_rows" ] || { echo "build $B/bench/make_rows first (ninja -C $B bench/make_rows)"; exit 2; }
  "$B/bench/make_rows" "$FILE" "$N" "$F" 1
  echo "file: $FILE, $(stat -c %s "$FILE") bytes (x [$N, $F] float32 + y), max_memory $MEM for the streamed runs"
fi

pipeline() {  # $1: stream mode, $2: max_memory
  echo "run: {name: stream, root: $OUT/runs, seed: 1}"
  echo "loggers: [jsonl]"
  echo "pipelines:"
  echo "  training:"
  echo "    steps:"
  if [ "$FORMAT" = netcdf ]; then
    cat <<YAML
      - {name: data, type: dataset, format: netcdf, path: $FILE, dynamic: [precip, temp, pet],
         static: [area, elevation, slope, soil_capacity, aridity], targets: [discharge],
         seq_length: 60, stride: 5, split: {by: catchment, validation: 0, test: 0},
         stream: $1, max_memory: $2}
      - {name: model, type: model, arch: lstm, hidden_size: 32}
      - {name: train, type: trainer, loss: mse, epochs: $EPOCHS, batch_size: 256, max_steps: $STEPS}
YAML
  else
    cat <<YAML
      - {name: data, type: dataset, format: hdf5, path: $FILE, x: x, y: [y], task: regression,
         split: {validation: 0, test: 0}, stream: $1, max_memory: $2, block_rows: $BLOCK}
      - {name: model, type: model, arch: mlp, hidden: [256]}
      - {name: train, type: trainer, loss: mse, epochs: $EPOCHS, batch_size: 64, test: false}
YAML
  fi
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
