#!/bin/bash
# Installs everything itwin needs to build, run and test on Debian 12
# (bookworm). Runs apt as root (or through sudo). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  build-essential pkg-config meson ninja-build git    # toolchain (g++ 12, meson 1.0, ninja 1.11)
  libtorch-dev libgloo-dev zlib1g-dev                 # LibTorch 1.13 (CPU) + Gloo headers for c10d; zlib for .gz data
  libopenblas0-pthread                                # fast BLAS: without it LibTorch uses the reference BLAS (50x slower)
  libopenmpi-dev openmpi-bin                          # OpenMPI 4.1
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev catch2
  libcurl4-openssl-dev                                # MLflow tracking server client (REST over http/https)
  libnetcdf-dev libhdf5-dev                           # NetCDF-C and HDF5 (serial): scientific data readers
  dataset-fashion-mnist                               # /usr/share/datasets/fashion-mnist/*.gz
  python3-torch python3-numpy                         # tests: TorchScript models and checkpoints made/read by PyTorch
  python3-netcdf4 python3-h5py                        # use-cases/*/generate.py: NetCDF and HDF5 data (tests run them)
  clang-format                                        # tests: the format check (scripts/check-format.sh)
  slurm-wlm munge shellcheck procps                   # tests: a real local SLURM cluster (pgrep), generated job scripts linted
  python3-optuna                                      # bench/hpo_vs_optuna: the reference HPO (TPE, successive halving)
  gnuplot-nox                                         # itwin report: plots (PNG, SVG)
  chromium                                            # tests: itwin report's HTML page rendered headless
)
# The real MLflow and TensorBoard the tracking tests read itwin's output with
# (../shared/oracles beside the source tree, on CI and development machines):
# their Debian Python packages. Without the folder those tests skip.
ORACLES="$(cd "$(dirname "$0")/.." && pwd)/../shared/oracles"
if [ -x "$ORACLES/install-deps.sh" ]; then "$ORACLES/install-deps.sh" || exit 1; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
