# shellcheck shell=bash
# Shared by bench/hpo_*.sh (sourced): the machine check, medians, one itwin study.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
ITWIN=$B/src/itwin OUT=bench/out/hpo
mkdir -p "$OUT"
unset OMP_NUM_THREADS
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
quiet_check() {  # the numbers mean something only on an otherwise quiet machine
  echo "uptime: $(uptime)"
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" 'BEGIN {exit !(l > 0.5)}'; then
    echo "warning: the 1-minute load is $load; results are not comparable (wait for a quiet machine)"
  fi
}
# itwin_study NAME NPROC SETS... -> "wall_s best_value trials_ended"; the study in $OUT/NAME.
itwin_study() {
  local name=$1 np=$2; shift 2
  local dir=$OUT/$name sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  # ISOLATION=exec: every trial segment a new process (the runner before the trial zygote)
  if [ -n "${ISOLATION:-}" ]; then sets+=(--set "hpo.isolation=$ISOLATION"); fi
  rm -rf "$dir"
  local t0; t0=$(now)
  "$ITWIN" hpo bench/hpo_study.yaml --nproc "$np" --study-dir "$dir" "${sets[@]}" >"$dir.log" 2>&1 ||
    { echo "itwin hpo failed, see $dir.log" >&2; exit 1; }
  local t1; t1=$(now)
  "$ITWIN" hpo show "$dir" --json >"$dir.json"
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(sys.argv[2], s["best"]["value"], len(s["trials"]))' \
    "$dir.json" "$(awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}')"
}
