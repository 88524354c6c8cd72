#!/bin/bash
# Configures (once) and builds itwin into $BUILD (default: build/).
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
ninja -C "$BUILD" -j "${ITWIN_BUILD_JOBS:-2}"
