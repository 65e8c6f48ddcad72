#!/usr/bin/env bash
# Runs every test: the Release build, then the same suite built with
# AddressSanitizer and UndefinedBehaviorSanitizer, then each reader's
# libFuzzer target for 45 s (scripts/fuzz.sh).
#   scripts/test.sh             all three
#   scripts/test.sh --quick     the Release build only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
echo "== Release build and tests"
bash scripts/build.sh build
ctest --test-dir build -j"$jobs" --output-on-failure

if [[ "${1:-}" != "--quick" ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
  # -O1 with line tables only: the sanitizers' reports keep file and line,
  # and the build stays within CI's time.
  bash scripts/build.sh build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DNNC_SANITIZE=ON \
    -DNNC_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize -j"$jobs" --output-on-failure

  echo "== Fuzzing every reader (libFuzzer, ASan+UBSan)"
  bash scripts/fuzz.sh "${NNC_FUZZ_SECONDS:-45}"
fi
