#!/bin/bash
# build.sh [itwin | TARGET...]: configures (once) and builds into $BUILD (default build/).
#   build.sh          everything: the programs, the test programs, the benchmarks
#   build.sh itwin    only what `itwin` needs to run (itwin and itwin-worker)
# At most 2 compile jobs: one LibTorch translation unit needs ~1.5 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
WERROR=false
[ "${CI:-}" = true ] && WERROR=true
if [ -f "$BUILD/build.ninja" ]; then
  meson configure "$BUILD" -Dwerror=$WERROR >/dev/null
else
  meson setup "$BUILD" -Dbuildtype=release -Dwerror=$WERROR
fi
targets=()
for t in "$@"; do
  case $t in
    itwin) targets+=(src/itwin src/itwin-worker) ;;
    *) targets+=("$t") ;;
  esac
done
ninja -C "$BUILD" -j "${ITWIN_BUILD_JOBS:-2}" "${targets[@]}"
