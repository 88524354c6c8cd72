#!/bin/bash
# Builds itwin and runs the whole test suite; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# 2 cores shared by several ranks and tests: one thread each, no spinning.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$SECONDS
scripts/build.sh || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
echo "build: $((SECONDS - start)) s"
rm -rf "$BUILD/tests/junit" && mkdir -p "$BUILD/tests/junit"
t0=$SECONDS
meson test -C "$BUILD" --print-errorlogs --num-processes 1 "$@"
rc=$?
echo "tests: $((SECONDS - t0)) s"
scripts/test-summary.sh "$BUILD" || rc=1
exit $rc
