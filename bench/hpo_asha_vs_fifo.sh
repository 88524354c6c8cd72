#!/bin/bash
# ASHA against fifo on the same study (bench/hpo_study.yaml: TPE, the same
# seeds and trials): wall time, best val_loss, and the wall time at which each
# first reached the worse of the two final bests (time to the same value).
# usage: [SEEDS="1 2 3"] [TRIALS=16] [EPOCHS=9] [LIMIT=12000] [JOBS=2] bench/hpo_asha_vs_fifo.sh
# (tiny check: SEEDS=1 TRIALS=3 EPOCHS=1 LIMIT=500 bench/hpo_asha_vs_fifo.sh)
source "$(dirname "$0")/hpo_common.sh"
SEEDS=${SEEDS:-1 2 3} TRIALS=${TRIALS:-16} EPOCHS=${EPOCHS:-9} LIMIT=${LIMIT:-12000} JOBS=${JOBS:-2}
quiet_check
# to_reach STUDY_JSON JOURNAL VALUE: seconds from the study's start to the first result <= VALUE.
to_reach() {
  python3 - "$1" "$2" <<'PY'
import json, sys
value, journal = float(sys.argv[1]), sys.argv[2]
start = None
for line in open(journal):
    e = json.loads(line)
    start = e["time"] if start is None else start
    if e["event"] == "result" and e.get("value") is not None and e["value"] <= value + 1e-12:
        print(e["time"] - start); break
else:
    print("nan")
PY
}
declare -A wall best reach
printf '%-5s %10s %12s %10s %12s %14s %14s\n' seed asha_wall asha_best fifo_wall fifo_best asha_to_same fifo_to_same
for seed in $SEEDS; do
  for sched in asha fifo; do
    read -r w b _ < <(itwin_study "$sched-$seed" "$JOBS" "hpo.seed=$seed" "run.seed=$seed" \
      "hpo.trials=$TRIALS" "vars.epochs=$EPOCHS" "vars.limit=$LIMIT" "hpo.scheduler={name: $sched}")
    wall[$sched-$seed]=$w best[$sched-$seed]=$b
  done
  same=$(awk -v a="${best[asha-$seed]}" -v b="${best[fifo-$seed]}" 'BEGIN {print (a > b) ? a : b}')
  for sched in asha fifo; do reach[$sched-$seed]=$(to_reach "$same" "$OUT/$sched-$seed/journal.jsonl"); done
  printf '%-5s %10.1f %12.5f %10.1f %12.5f %14.1f %14.1f\n' "$seed" "${wall[asha-$seed]}" "${best[asha-$seed]}" \
    "${wall[fifo-$seed]}" "${best[fifo-$seed]}" "${reach[asha-$seed]}" "${reach[fifo-$seed]}"
done
col() { local -n m=$1; local out=() s; for s in $SEEDS; do out+=("${m[$2-$s]}"); done; median "${out[@]}"; }
printf '%-5s %10.1f %12.5f %10.1f %12.5f %14.1f %14.1f\n' median "$(col wall asha)" "$(col best asha)" \
  "$(col wall fifo)" "$(col best fifo)" "$(col reach asha)" "$(col reach fifo)"
echo "to_same: seconds until the study first reported a val_loss <= the worse of the two final bests"
