#!/usr/bin/env bash
# The main job: install dependencies, build, describe the LeNet-5 example,
# train it for one epoch on Fashion-MNIST and evaluate the checkpoint
# (reference interpreter; the LLVM JIT comes with issue 4).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build

nnc=build/tools/nnc
model=examples/models/lenet5.json
data=/usr/share/datasets/fashion-mnist
out=out/lenet5-run

echo
echo "== nnc info $model"
$nnc info "$model"
echo
echo "== nnc run $model on the first 16 Fashion-MNIST test images (untrained)"
$nnc run "$model" --input image="$data/t10k-images-idx3-ubyte.gz" --limit 16 \
  --output-dir "$out"
echo
echo "== nnc train: one epoch on Fashion-MNIST (reference interpreter)"
bash scripts/train_lenet5.sh build
echo
echo "== nnc eval out/lenet5.nnc"
$nnc eval out/lenet5.nnc --data fashion-mnist
echo
echo "main: done (checkpoint: out/lenet5.nnc)"
