#!/usr/bin/env bash
# The mutation campaign: COUNT damaged copies of valid models, checkpoints
# and data files (fuzz/Mutator.h) through every reader and what follows it,
# with the nnc_mutate of BUILD_DIR (under the sanitizers in build-sanitize).
# Fails on any signal, sanitizer report, leak, input taking over 10 s, or
# refusal that is not one line naming the file.
#   scripts/mutate.sh BUILD_DIR [COUNT] [SEED]
set -euo pipefail
build=$(cd "$1" && pwd)
count=${2:-10000}
seed=${3:-1}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/fuzz_seeds.py "$build/tools/nnc" "$tmp/seeds"
"$build/fuzz/nnc_mutate" "$tmp/seeds" --count "$count" --seed "$seed" \
  --jobs "$(nproc)" --timeout 10 --keep "$build/mutate-failures"
