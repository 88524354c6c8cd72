#!/bin/bash
# itwin hpo (TPE + ASHA, trials as processes) against Optuna 3.1 (TPESampler +
# SuccessiveHalvingPruner, PyTorch training in threads) on the same study:
# bench/hpo_study.yaml and bench/hpo_optuna.py (Fashion-MNIST subset MLP; lr,
# hidden width, batch size, dropout), the same trials, epochs and concurrency,
# for each of SEEDS. Prints both walls, their ratio (target <= 0.6) and both
# best val_loss values (target: itwin's equal or lower), medians over seeds.
# usage: [SEEDS="1 2 3"] [TRIALS=20] [EPOCHS=9] [LIMIT=12000] [JOBS=2] bench/hpo_vs_optuna.sh
# (tiny check: SEEDS=1 TRIALS=3 EPOCHS=1 LIMIT=500 bench/hpo_vs_optuna.sh)
source "$(dirname "$0")/hpo_common.sh"
SEEDS=${SEEDS:-1 2 3} TRIALS=${TRIALS:-20} EPOCHS=${EPOCHS:-9} LIMIT=${LIMIT:-12000}
JOBS=${JOBS:-2} VAL=${VALIDATION:-3000} STARTUP=${STARTUP:-5}
DATA=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
quiet_check
iw=() ib=() ow=() ob=()
printf '%-5s %12s %14s %12s %14s %8s\n' seed itwin_wall_s itwin_best optuna_wall_s optuna_best ratio
for seed in $SEEDS; do
  read -r w b _ < <(itwin_study "vs-optuna-$seed" "$JOBS" "hpo.seed=$seed" "run.seed=$seed" \
    "hpo.trials=$TRIALS" "vars.epochs=$EPOCHS" "vars.limit=$LIMIT" "vars.validation=$VAL" \
    "hpo.sampler.n_startup_trials=$STARTUP")
  t0=$(now)  # the whole process, imports and data loading included, as itwin's wall
  /usr/bin/python3 bench/hpo_optuna.py "$DATA" "$seed" "$TRIALS" "$EPOCHS" "$LIMIT" "$VAL" \
    "$STARTUP" "$JOBS" "$OUT/optuna-$seed.json"
  ow1=$(awk -v a="$(now)" -v b="$t0" 'BEGIN {print a - b}')
  ob1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["best_completed"])' "$OUT/optuna-$seed.json")
  iw+=("$w") ib+=("$b") ow+=("$ow1") ob+=("$ob1")
  printf '%-5s %12.1f %14.5f %12.1f %14.5f %8.2f\n' "$seed" "$w" "$b" "$ow1" "$ob1" "$(awk -v a="$w" -v b="$ow1" 'BEGIN {print a / b}')"
done
mw=$(median "${iw[@]}") mo=$(median "${ow[@]}")
printf '%-5s %12.1f %14.5f %12.1f %14.5f %8.2f\n' median "$mw" "$(median "${ib[@]}")" "$mo" "$(median "${ob[@]}")" "$(awk -v a="$mw" -v b="$mo" 'BEGIN {print a / b}')"
echo "ratio = itwin wall / Optuna wall (target <= 0.60); best = lowest val_loss of a completed trial (itwin: the ranked best)"
