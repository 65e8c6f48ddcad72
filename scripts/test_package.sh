#!/usr/bin/env bash
# The CMake package as an app uses it: install nnc from BUILD_DIR into a
# scratch prefix, build examples/embed against it with find_package(nnc) and
# nnc_add_model(), check that libnnc_pool needs only libc and libm and exports only its C
# interface, and run
# both example programs.
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
# The pool library needs nothing an AOT object does not: libc and libm.
lib=$(find "$tmp/prefix" -name libnnc_pool.so)
needed=$(readelf -d "$lib" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | sort)
for so in $needed; do
  case $so in
  libc.so.* | libm.so.* | ld-linux*) ;;
  *) echo "error: $lib needs $so; expected only libc and libm" >&2; exit 1 ;;
  esac
done
# ...and exports only its C interface, not the C++ runtime inside it.
if nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^nnc_'; then
  echo "error: $lib exports the symbols above; expected only nnc_*" >&2
  exit 1
fi
data=/usr/share/datasets/fashion-mnist
gunzip -c "$data/t10k-images-idx3-ubyte.gz" > "$tmp/images"
gunzip -c "$data/t10k-labels-idx1-ubyte.gz" > "$tmp/labels"
"$tmp/app/classify" "$tmp/images" "$tmp/labels"
"$tmp/app/classify_cpp" "$tmp/images"
