#!/usr/bin/env bash
# Builds the libFuzzer drivers (clang-19, ASan+UBSan) and runs each reader's
# target for a while from seed corpora made of the examples, the ONNX test
# data, Fashion-MNIST and a checkpoint.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Crashing inputs are written to build-fuzz/crashes/<target>/; copy each to
# tests/data/fuzz/<target>/ with the fix, so the tests replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(model json onnx idx csv checkpoint)
dir=build-fuzz

CC=clang-19 CXX=clang++-19 cmake -S . -B "$dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DNNC_SANITIZE=ON -DNNC_FUZZ=ON -DNNC_BUILD_TESTS=OFF \
  -DNNC_BUILD_BENCH=OFF >/dev/null
if ! ninja -C "$dir" "${targets[@]/#/nnc_fuzz_}" >"$dir/build.log" 2>&1; then
  tail -40 "$dir/build.log"
  exit 1
fi
# The seeds need the nnc tool (to convert and to train a checkpoint).
[[ -x build/tools/nnc ]] || bash scripts/build.sh build
python3 scripts/fuzz_seeds.py build/tools/nnc "$dir/seeds"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
run_one() {
  local t=$1 corpus=$dir/corpus/$1 crashes=$dir/crashes/$1
  mkdir -p "$corpus" "$crashes"
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: a reader
  # must refuse what does not fit, not allocate it.
  "$dir/fuzz/nnc_fuzz_$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" "$dir/seeds/$t" \
    >"$dir/$t.log" 2>&1
}
# Two targets at a time: CI has two cores.
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    run_one "$t" &
    pids+=("$!:$t")
  done
  for p in "${pids[@]}"; do
    wait "${p%%:*}" || failed+=("${p#*:}")
  done
done
for t in "${targets[@]}"; do
  runs=$(grep -m1 'stat::number_of_executed_units' "$dir/$t.log" | awk '{print $2}')
  echo "fuzz $t: ${runs:-?} inputs executed in ${seconds} s"
done
if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "fuzz $t FAILED; the report:"
    grep -A30 -m1 'ERROR\|runtime error\|deadly signal\|Timeout\|out-of-memory' \
      "$dir/$t.log" | head -40
    ls "$dir/crashes/$t"
  done
  exit 1
fi
