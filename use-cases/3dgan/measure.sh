#!/bin/bash
# The 3DGAN use case measured (README, "Measured results"): generates the
# showers, trains on 1 rank and then on 2 ranks (ddp), generates showers with
# the trained generator (itwin infer), and prints the physics distances on
# the validation showers at the first and the last epoch, the test
# distances, the epoch times and samples/s of both runs and the generation
# rate. Sized for about 2 minutes on a quiet 2-core machine (105 s measured,
# README): run nothing else meanwhile.
#
# usage: use-cases/3dgan/measure.sh [OUT]     (OUT: a new directory, default runs/3dgan-measure)
# environment, for other sizes (defaults: the use case's networks, sized for 2 cores):
#   ITWIN (build/src/itwin)  SAMPLES (showers generated; 80/10/10 % train/validation/test)
#   GRID (25,25,25)  EPOCHS  BATCH (per rank)  COUNT (showers per energy for infer)
#   G_CHANNELS (32,16,8)  D_CHANNELS (8,16,32)  LATENT (64)  BACKEND (auto)  CORES (2)
#   PYTHON (/usr/bin/python3: Debian's, with numpy and h5py)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-runs/3dgan-measure}
ITWIN=${ITWIN:-$root/build/src/itwin}
SAMPLES=${SAMPLES:-600} GRID=${GRID:-25,25,25} EPOCHS=${EPOCHS:-4} BATCH=${BATCH:-32}
COUNT=${COUNT:-40} G_CHANNELS=${G_CHANNELS:-32,16,8} D_CHANNELS=${D_CHANNELS:-8,16,32}
LATENT=${LATENT:-64} BACKEND=${BACKEND:-auto} CORES=${CORES:-2} PYTHON=${PYTHON:-/usr/bin/python3}
cfg=$root/use-cases/3dgan/pipeline.yaml

if [[ -e $OUT ]]; then
  echo "measure.sh: $OUT exists; name a new directory (measure.sh OUT) or remove it" >&2
  exit 2
fi
[[ -x $ITWIN ]] || { echo "measure.sh: no itwin at $ITWIN (build it, or set ITWIN)" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
# One step, its output in $OUT/NAME.log, its wall time in $OUT/NAME.wall.
step() {
  local name=$1 t0
  shift
  echo "== $name: $*"
  t0=$(now)
  if ! "$@" >"$OUT/$name.log" 2>&1; then
    tail -n 30 "$OUT/$name.log" >&2
    echo "measure.sh: $name failed (log: $OUT/$name.log)" >&2
    exit 1
  fi
  secs "$t0" "$(now)" >"$OUT/$name.wall"
}

common=(--set "vars.data=$OUT/showers.h5" --set "vars.grid=[$GRID]"
  --set "vars.g_channels=[$G_CHANNELS]" --set "vars.d_channels=[$D_CHANNELS]"
  --set "vars.latent=$LATENT" --set "vars.epochs=$EPOCHS" --set "vars.batch_size=$BATCH"
  --set "distributed.backend=$BACKEND" --set "loggers=[jsonl]")

t_all=$(now)
step data "$PYTHON" "$root/use-cases/3dgan/generate.py" --out "$OUT/showers.h5" \
  --samples "$SAMPLES" --grid "$GRID"
step train-1rank "$ITWIN" train "$cfg" --threads "$CORES" --run-dir "$OUT/train-1rank" "${common[@]}"
step train-2ranks "$ITWIN" train "$cfg" --nproc 2 --threads $((CORES > 2 ? CORES / 2 : 1)) \
  --run-dir "$OUT/train-2ranks" "${common[@]}"
step infer "$ITWIN" infer "$cfg" --threads "$CORES" --run-dir "$OUT/infer" "${common[@]}" \
  --set "vars.weights=$OUT/train-1rank/generator.pt" \
  --set "pipelines.inference.steps.generate.count=$COUNT" \
  --set "pipelines.inference.steps.generate.path=$OUT/generated.h5"
total=$(secs "$t_all" "$(now)")

"$PYTHON" - "$OUT" "$total" <<'PY'
import json, re, sys

out, total = sys.argv[1], sys.argv[2]
dists = ["esum", "long", "trans", "hits", "phys"]


def epochs(run):
    """The epoch points of a run's metrics.jsonl (step points left out), by epoch."""
    seen = {}
    with open(f"{out}/{run}/metrics.jsonl") as f:
        for line in f:
            p = json.loads(line)
            m = p.get("metrics", p)
            if "epoch_time_s" in m:
                seen[p.get("epoch")] = m
    return [seen[k] for k in sorted(seen)]


def wall(name):
    return open(f"{out}/{name}.wall").read().strip()


print(f"\n3DGAN measured in {out} ({total} s in all)")
data_log = open(f"{out}/data.log").read().strip().splitlines()
print(f"data: {data_log[-1] if data_log else ''} ({wall('data')} s)")
for run in ["train-1rank", "train-2ranks"]:
    ep = epochs(run)
    summary = json.load(open(f"{out}/{run}/summary.json"))
    first, last = ep[0], ep[-1]
    print(f"\n{run}: {len(ep)} epochs, {summary.get('discriminator_steps')} discriminator and "
          f"{summary.get('generator_steps')} generator steps, {wall(run)} s wall")
    print(f"  {'':22}" + "".join(f"{d + '_dist':>12}" for d in dists))
    for label, m in [(f"val, epoch 1", first), (f"val, epoch {len(ep)}", last)]:
        print(f"  {label:22}" + "".join(f"{m.get('val_' + d + '_dist', float('nan')):12.4f}"
                                        for d in dists))
    fm = summary.get("metrics", {})
    print(f"  {'test (after training)':22}" +
          "".join(f"{fm.get('test_' + d + '_dist', float('nan')):12.4f}" for d in dists))
    times = [m["epoch_time_s"] for m in ep]
    rates = [m["samples_per_s"] for m in ep]
    print("  epoch time s: " + " ".join(f"{t:.1f}" for t in times) +
          f"   samples/s: " + " ".join(f"{r:.1f}" for r in rates))
    print(f"  training {summary.get('train_seconds', 0):.1f} s, "
          f"{summary.get('samples_per_s', 0):.1f} samples/s over the run (all ranks)")
infer = open(f"{out}/infer.log").read()
gen = re.search(r"generated .*", infer)
print(f"\ninfer: {gen.group(0) if gen else '(no generation line)'}; {wall('infer')} s wall")
PY
