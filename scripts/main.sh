#!/usr/bin/env bash
# The main job: install dependencies, build, describe the LeNet-5 example,
# train it for one epoch on Fashion-MNIST through the LLVM JIT, evaluate the
# checkpoint, then compile it ahead of time and run the embedded C app
# (examples/embed) on the 10,000 test images.
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
echo "== nnc compile -v: the training step's kernels, memory plan, compile times"
$nnc compile "$model" --entry train_step --batch 64 -v
echo
echo "== nnc train: one epoch on Fashion-MNIST (JIT)"
bash scripts/train_lenet5.sh build
echo
echo "== nnc eval out/lenet5.nnc"
$nnc eval out/lenet5.nnc --data fashion-mnist
echo
echo "== nnc compile --aot: out/embed/lenet5.o + lenet5.h, built into examples/embed/classify.c"
mkdir -p out/embed
$nnc compile out/lenet5.nnc --aot -o out/embed/lenet5 -v
cc -O2 -Iout/embed examples/embed/classify.c out/embed/lenet5.o -lm \
  -o out/embed/classify
gunzip -c "$data/t10k-images-idx3-ubyte.gz" > out/embed/t10k-images-idx3-ubyte
gunzip -c "$data/t10k-labels-idx1-ubyte.gz" > out/embed/t10k-labels-idx1-ubyte
echo "nm -u out/embed/lenet5.o (only libc and libm):" $(nm -u out/embed/lenet5.o | awk '{print $2}')
out/embed/classify out/embed/t10k-images-idx3-ubyte out/embed/t10k-labels-idx1-ubyte
echo
echo "main: done (checkpoint: out/lenet5.nnc; embedded app: out/embed/classify)"
