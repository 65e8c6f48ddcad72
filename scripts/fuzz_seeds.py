#!/usr/bin/env python3
"""Seed corpora for scripts/fuzz.sh: usage: fuzz_seeds.py NNC OUT_DIR.

model, json: the example models (as .nnc and JSON); checkpoint: checkpoints
of two of them after a few training steps; onnx: the ONNX backend test
models; idx: the first Fashion-MNIST examples (fuzz/FuzzTargets.cpp's
length-prefixed images+labels form); csv: small tables.
"""
import glob
import gzip
import os
import shutil
import subprocess
import sys

nnc, out = sys.argv[1], sys.argv[2]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
shutil.rmtree(out, ignore_errors=True)
for t in ["model", "json", "onnx", "idx", "csv", "checkpoint"]:
    os.makedirs(os.path.join(out, t))


def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def run(*args):
    subprocess.run([nnc, *args], check=True, stdout=subprocess.DEVNULL)


for path in sorted(glob.glob(os.path.join(root, "examples/models/*.json"))):
    name = os.path.basename(path)[:-5]
    shutil.copy(path, os.path.join(out, "json", name + ".json"))
    run("convert", path, os.path.join(out, "model", name + ".nnc"))

xor = os.path.join(out, "xor.csv")
with open(xor, "w") as f:
    f.write("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
models = os.path.join(root, "examples/models")
run("train", os.path.join(models, "xor_mlp.json"), "--data", "csv:" + xor,
    "--batch", "2", "--max-steps", "3", "--progress", "none",
    "--save", os.path.join(out, "checkpoint", "xor_adam.nnc"))
run("train", os.path.join(models, "xor_mlp.json"), "--data", "csv:" + xor,
    "--batch", "2", "--max-steps", "2", "--optimizer", "rmsprop",
    "--hparams", '{"centered": true, "momentum": 0.9}', "--progress", "none",
    "--save", os.path.join(out, "checkpoint", "xor_rmsprop.nnc"))
os.remove(xor)

for i, path in enumerate(sorted(glob.glob(
        "/usr/share/libonnx-testdata/data/**/model.onnx", recursive=True))):
    if os.path.getsize(path) <= 65536:
        shutil.copy(path, os.path.join(out, "onnx", "%04d.onnx" % i))


def idx_head(path, count, example_bytes):
    with gzip.open(path, "rb") as f:
        data = f.read(4 + 4 * (1 if example_bytes == 1 else 3) +
                      count * example_bytes)
    dims = 1 if example_bytes == 1 else 3
    return (data[:4] + count.to_bytes(4, "big") + data[8:4 + 4 * dims] +
            data[4 + 4 * dims:])


fashion = "/usr/share/datasets/fashion-mnist"
for count in [1, 3]:
    images = idx_head(fashion + "/train-images-idx3-ubyte.gz", count, 784)
    labels = idx_head(fashion + "/train-labels-idx1-ubyte.gz", count, 1)
    put("idx", "fashion%d" % count,
        len(images).to_bytes(4, "big") + images + labels)
    gz = gzip.compress(images)
    put("idx", "fashion%d_gz" % count, len(gz).to_bytes(4, "big") + gz + labels)

put("csv", "xor.csv", b"a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
put("csv", "regression.csv", b"# x, y\n0.5,-1.25e3,3.5\n1e-3, 2 ,-0.75\n")
put("csv", "noheader.csv", b"1,2,3,0\n4,5,6,2\n")
