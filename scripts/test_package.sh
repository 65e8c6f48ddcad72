#!/usr/bin/env bash
# The CMake package as an app uses it: install nnc from BUILD_DIR into a
# scratch prefix, build examples/embed against it with find_package(nnc) and
# nnc_add_model(), and run both example programs.
#   scripts/test_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
cmake -S "$src/examples/embed" -B "$tmp/app" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/app" > /dev/null
data=/usr/share/datasets/fashion-mnist
gunzip -c "$data/t10k-images-idx3-ubyte.gz" > "$tmp/images"
gunzip -c "$data/t10k-labels-idx1-ubyte.gz" > "$tmp/labels"
"$tmp/app/classify" "$tmp/images" "$tmp/labels"
"$tmp/app/classify_cpp" "$tmp/images"
