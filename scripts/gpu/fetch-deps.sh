#!/bin/bash
# Prepares, on a Debian 12 machine with network, what scripts/gpu/check.sh needs on a GPU
# machine that has CUDA, a PyTorch CUDA wheel, CMake, meson and ninja but none of Debian's
# packages: the header-only and small libraries itwin builds against (as .deb files unpacked
# into .gpu-deps/sysroot), pkgconf to find them, and the Fashion-MNIST files. Nothing is
# installed here; .gpu-deps/ is ignored by git and carried to the GPU machine.
#
#   scripts/gpu/fetch-deps.sh            # then carry .gpu-deps and run scripts/gpu/check.sh there
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-deps
pkgs=(libcli11-dev nlohmann-json3-dev libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
      libyaml-cpp-dev libyaml-cpp0.7 zlib1g-dev zlib1g pkgconf-bin libpkgconf3)
rm -rf "$dest" && mkdir -p "$dest/debs" "$dest/sysroot" "$dest/fashion-mnist"
(cd "$dest/debs" && apt-get download "${pkgs[@]}")
for f in "$dest"/debs/*.deb; do dpkg -x "$f" "$dest/sysroot"; done
rm -rf "$dest/debs" "$dest/sysroot/usr/share/doc" "$dest/sysroot/usr/share/man"
fmnist=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
cp "$fmnist"/*-ubyte.gz "$dest/fashion-mnist/"
echo "ready: $(du -sh "$dest" | cut -f1) in $dest (carry it: run(carry=['.gpu-deps'], command='scripts/gpu/check.sh'))"
