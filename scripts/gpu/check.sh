#!/bin/bash
# The GPU checks of issue 15 as one run on a GPU machine that has CUDA, a PyTorch CUDA wheel,
# meson and ninja, but none of Debian's packages (docs/gpu.md). Prepare on a Debian machine
# with scripts/gpu/fetch-deps.sh, carry .gpu-deps, then run from the repository root:
#
#   scripts/gpu/check.sh          # writes $OUT (default gpu-out/): summary.txt, build.log, *.json
#
# TORCH_DIR=DIR takes that LibTorch (DIR/include, DIR/lib); CONFIGURE_ONLY=1 stops after
# meson setup (to try the script on a machine without a GPU).
# Steps: build itwin against the wheel's LibTorch (+ NCCL from the nvidia-nccl wheel);
# Fashion-MNIST on 1 GPU (fp32 and bf16) against the CPU accuracy; a 1-rank nccl ddp run and
# itwin bench comm on nccl; ResNet-18 samples/s, itwin vs PyTorch eager, fp32 and bf16;
# the monitor's NVML readings. Each step reports and the script goes on; about 6-8 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
OUT=${OUT:-$root/gpu-out}
mkdir -p "$OUT"
S="$OUT/summary.txt"
say() { echo "$*" | tee -a "$S"; }
t0=$SECONDS
sys=$root/.gpu-deps/sysroot
[ -d "$sys" ] || { say "no .gpu-deps/sysroot: run scripts/gpu/fetch-deps.sh on a Debian 12 machine and carry .gpu-deps"; exit 1; }
PY=${PYTHON:-python3}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$S"
torch_dir=${TORCH_DIR:-$($PY -c 'import torch, os; print(os.path.dirname(torch.__file__))')}
abi=$($PY -c 'import torch; print(str(torch.compiled_with_cxx11_abi()).lower())')
say "torch: $($PY -c 'import torch; print(torch.__version__, torch.version.cuda)') at $torch_dir (cxx11 abi $abi)"
cuda=${CUDA_HOME:-/usr/local/cuda}
site=$(dirname "$torch_dir")

# NCCL root for meson: include/nccl.h (+ CUDA's headers beside it), lib/libnccl.so, lib/libcudart.so.
shim=$root/.gpu-build/nccl-root
rm -rf "$shim" && mkdir -p "$shim/include" "$shim/lib"
ln -sf "$cuda"/include/* "$shim/include/"
nccl_h=$(find "$site/nvidia" -name nccl.h 2>/dev/null | head -1)
nccl_so=$(find "$site/nvidia" -name 'libnccl.so*' 2>/dev/null | head -1)
cudart_so=$(ls "$cuda"/lib64/libcudart.so 2>/dev/null || find "$site/nvidia" -name 'libcudart.so*' | head -1)
if [ -n "$nccl_h" ] && [ -n "$nccl_so" ] && [ -n "$cudart_so" ]; then
  ln -sf "$(dirname "$nccl_h")"/nccl*.h "$shim/include/"
  ln -sf "$nccl_so" "$shim/lib/libnccl.so"
  ln -sf "$cudart_so" "$shim/lib/libcudart.so"
  nccl_opt=enabled
else
  say "nccl: not found in the wheels (nccl.h '$nccl_h', libnccl '$nccl_so', cudart '$cudart_so'): building without it"
  nccl_opt=disabled
fi

# pkg-config only sees the carried Debian libraries; at run time only those three are added.
cat > "$root/.gpu-build/pkgconf" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$sys/usr/lib/x86_64-linux-gnu" PKG_CONFIG_SYSROOT_DIR="$sys" \\
PKG_CONFIG_LIBDIR="$sys/usr/lib/x86_64-linux-gnu/pkgconfig:$sys/usr/share/pkgconfig" \\
PKG_CONFIG_SYSTEM_INCLUDE_PATH=/nonexistent PKG_CONFIG_SYSTEM_LIBRARY_PATH=/nonexistent \\
exec "$sys/usr/bin/pkgconf" "\$@"
WRAP
chmod +x "$root/.gpu-build/pkgconf"
rt=$root/.gpu-build/rt
mkdir -p "$rt" && ln -sf "$sys"/usr/lib/x86_64-linux-gnu/lib{yaml-cpp,spdlog,fmt}.so.* "$rt/"
export LD_LIBRARY_PATH="$rt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

build() {  # $1: C++ standard
  local b=$root/.gpu-build/build-$1
  rm -rf "$b"
  PKG_CONFIG="$root/.gpu-build/pkgconf" CXXFLAGS="-isystem $cuda/include" \
    meson setup "$b" -Dbuildtype=release -Dcpp_std="$1" -Dtorch_root="$torch_dir" -Dtorch_cxx11_abi="$abi" \
    -Dnccl="$nccl_opt" -Dnccl_cuda_root="$shim" -Dmpi=disabled -Dgloo=disabled -Dcurl=disabled \
    -Dsci_formats=disabled -Dtests=false >>"$OUT/build.log" 2>&1 &&
    { [ -z "${CONFIGURE_ONLY:-}" ] || { echo "$b"; return 0; }; } &&
    ninja -C "$b" -j"$(nproc)" src/itwin src/itwin-worker >>"$OUT/build.log" 2>&1 && echo "$b"
}
bdir=$(build c++17) || { say "build: c++17 failed (see build.log); trying c++20"; bdir=$(build c++20); } ||
  { say "build: FAILED (tail of build.log below)"; tail -40 "$OUT/build.log" | tee -a "$S"; exit 1; }
[ -z "${CONFIGURE_ONLY:-}" ] || { say "configured: $bdir"; exit 0; }
itwin=$bdir/src/itwin
say "build: ok in $((SECONDS - t0)) s ($bdir)"
"$itwin" backends --json >"$OUT/backends.json" 2>&1; say "backends: $(tr -d '\n ' <"$OUT/backends.json" | cut -c1-300)"

runs=$root/.gpu-build/runs
rm -rf "$runs" && mkdir -p "$runs"
summary() {  # $1 run dir: the values that matter from summary.json
  $PY - "$1" <<'PYEOF'
import json, sys
try:
    s = json.load(open(sys.argv[1] + "/summary.json"))
except Exception as e:
    print("no summary.json:", e); sys.exit(0)
keep = {k: v for k, v in s.items() if k.startswith(("test_", "val_accuracy", "samples_per_s", "status", "device", "train_time"))}
print(json.dumps(keep)[:600])
PYEOF
}
export FASHION_MNIST_DIR=$root/.gpu-deps/fashion-mnist
for prec in fp32 bf16; do
  timeout 240 "$itwin" train use-cases/fashion-mnist/pipeline.yaml --set run.device=cuda \
    --set pipelines.training.steps.train.precision=$prec --run-dir "$runs/fmnist-$prec" >"$OUT/fmnist-$prec.log" 2>&1
  say "fmnist 1 GPU $prec: exit $? $(summary "$runs/fmnist-$prec")  (CPU fp32 reference: test_accuracy 0.889)"
done
cp "$runs/fmnist-fp32/summary.json" "$OUT/fmnist-fp32-summary.json" 2>/dev/null

timeout 120 "$itwin" train use-cases/fashion-mnist/pipeline.yaml --nproc 1 --set vars.epochs=2 \
  --set distributed.backend=nccl --set distributed.strategy=ddp --run-dir "$runs/nccl-ddp" >"$OUT/nccl-ddp.log" 2>&1
say "nccl ddp 1 rank on device buffers: exit $? $(summary "$runs/nccl-ddp")"
timeout 60 "$itwin" bench comm --backend nccl --nproc 1 --max 256M >"$OUT/bench-nccl.txt" 2>&1
say "bench comm nccl 1 rank: exit $? (bench-nccl.txt)"

$PY scripts/gpu/resnet.py script "$runs/resnet18.pt" >>"$OUT/resnet.log" 2>&1 || say "resnet: scripting failed (resnet.log)"
for prec in fp32 bf16; do
  eager=$(timeout 180 $PY scripts/gpu/resnet.py eager --precision $prec 2>>"$OUT/resnet.log")
  timeout 180 "$itwin" train scripts/gpu/resnet.yaml --set vars.model="$runs/resnet18.pt" --set vars.precision=$prec \
    --run-dir "$runs/resnet-$prec" >"$OUT/resnet-$prec.log" 2>&1
  ours=$($PY - "$runs/resnet-$prec/metrics.jsonl" <<'PYEOF'
import json, sys
rates = [json.loads(l).get("samples_per_s") for l in open(sys.argv[1]) if '"samples_per_s"' in l]
print(rates[-1] if rates else "none")
PYEOF
)
  say "resnet18 $prec samples/s: itwin last epoch $ours; PyTorch eager $eager"
done

"$itwin" train use-cases/fashion-mnist/pipeline.yaml --set run.device=cuda --set vars.epochs=1 \
  --set monitor.interval=0.5 --run-dir "$runs/monitor" >"$OUT/monitor.log" 2>&1
$PY - "$runs/monitor/summary.json" <<'PYEOF' | tee -a "$S"
import json, sys
try:
    m = json.load(open(sys.argv[1])).get("monitor", {})
    print("monitor (NVML):", json.dumps(m)[:800])
except Exception as e:
    print("monitor: no summary.json:", e)
PYEOF
say "total: $((SECONDS - t0)) s"
