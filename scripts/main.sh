#!/usr/bin/env bash
# The main job: install dependencies, build, then describe and run the LeNet-5
# example on Fashion-MNIST test images (reference interpreter).
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
echo "== nnc run $model on the first 16 Fashion-MNIST test images"
$nnc run "$model" --input image="$data/t10k-images-idx3-ubyte.gz" --limit 16 \
  --output-dir "$out"
$nnc run "$model" --entry train_step --limit 16 --output-dir "$out" \
  --input image="$data/t10k-images-idx3-ubyte.gz" \
  --input label="$data/t10k-labels-idx1-ubyte.gz"
echo
echo "main: done (outputs in $out; the model is untrained until 'nnc train' lands)"
