#!/usr/bin/env bash
# Five epochs of convbn (two conv-BatchNorm-ReLU blocks) on Fashion-MNIST
# with Adam (lr 1e-3, batch 64) and a cosine learning-rate schedule, which
# must reach at least 91% test accuracy (PyTorch: 91.5-91.8%). Exits
# non-zero below that. About 3 minutes on 2 cores.
#   scripts/train_convbn.sh [BUILD_DIR] [extra nnc train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
mkdir -p out
log=out/train_convbn.log
"$build/tools/nnc" train examples/models/convbn.json --data fashion-mnist \
  --epochs 5 --batch 64 --optimizer adam --lr 1e-3 --schedule cosine \
  --seed 0 --save out/convbn.nnc --progress lines "$@" | tee "$log"
acc=$(grep -o 'accuracy [0-9.]*' "$log" | tail -1 | cut -d' ' -f2)
echo "test accuracy: $acc% (required: 91%)"
awk -v a="$acc" 'BEGIN { exit !(a >= 91.0) }'
