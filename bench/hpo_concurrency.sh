#!/bin/bash
# Trials per hour on this machine: 2 concurrent one-rank trials (each with
# half the cores) against one trial at a time (with all of them), on the same
# fifo study (bench/hpo_study.yaml), median over SEEDS.
# usage: [SEEDS="1 2 3"] [TRIALS=6] [EPOCHS=3] [LIMIT=12000] bench/hpo_concurrency.sh
# (tiny check: SEEDS=1 TRIALS=2 EPOCHS=1 LIMIT=500 bench/hpo_concurrency.sh)
source "$(dirname "$0")/hpo_common.sh"
SEEDS=${SEEDS:-1 2 3} TRIALS=${TRIALS:-6} EPOCHS=${EPOCHS:-3} LIMIT=${LIMIT:-12000}
quiet_check
one=() two=()
printf '%-5s %14s %14s %16s %16s\n' seed wall_1_s wall_2_s trials_h_1 trials_h_2
for seed in $SEEDS; do
  common=("hpo.seed=$seed" "run.seed=$seed" "hpo.trials=$TRIALS" "vars.epochs=$EPOCHS"
    "vars.limit=$LIMIT" "hpo.scheduler={name: fifo}" "hpo.sampler={name: random}")
  read -r w1 _ n1 < <(itwin_study "conc1-$seed" 1 "${common[@]}" "run.threads=$(nproc)")
  read -r w2 _ n2 < <(itwin_study "conc2-$seed" 2 "${common[@]}")
  h1=$(awk -v n="$n1" -v w="$w1" 'BEGIN {print n * 3600 / w}') h2=$(awk -v n="$n2" -v w="$w2" 'BEGIN {print n * 3600 / w}')
  one+=("$h1") two+=("$h2")
  printf '%-5s %14.1f %14.1f %16.0f %16.0f\n' "$seed" "$w1" "$w2" "$h1" "$h2"
done
m1=$(median "${one[@]}") m2=$(median "${two[@]}")
printf '%-5s %14s %14s %16.0f %16.0f\n' median - - "$m1" "$m2"
echo "2 at once / 1 at a time: $(awk -v a="$m2" -v b="$m1" 'BEGIN {printf "%.2f", a / b}')x trials per hour"
