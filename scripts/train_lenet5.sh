#!/usr/bin/env bash
# The full acceptance run: one epoch of LeNet-5 on Fashion-MNIST with Adam
# (lr 1e-3, batch 64), which must reach at least 84% test accuracy (PyTorch
# with the same setup: 84.4-85.2%). Exits non-zero below that.
#   scripts/train_lenet5.sh [BUILD_DIR] [extra nnc train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
mkdir -p out
log=out/train_lenet5.log
"$build/tools/nnc" train examples/models/lenet5.json --data fashion-mnist \
  --epochs 1 --batch 64 --optimizer adam --lr 1e-3 --seed 0 \
  --save out/lenet5.nnc --progress lines "$@" | tee "$log"
acc=$(grep -o 'accuracy [0-9.]*' "$log" | tail -1 | cut -d' ' -f2)
echo "test accuracy: $acc% (required: 84%)"
awk -v a="$acc" 'BEGIN { exit !(a >= 84.0) }'
