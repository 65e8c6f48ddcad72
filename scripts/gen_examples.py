#!/usr/bin/env python3
"""Writes the example models in examples/models/ as nnc FlatBuffers JSON.

The models are written with nnc.builder (python/nnc/builder.py). Run it
after changing a model here:
    python3 scripts/gen_examples.py
"""
import os
import sys

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "examples", "models")
# The package's builder, by itself: it needs no build of nnc.
sys.path.insert(0, os.path.join(HERE, "..", "python", "nnc"))
from builder import Model, adam  # noqa: E402


def xor_mlp():
    m = Model("xor_mlp", "2-2-1 perceptron with sigmoids; binary cross-entropy")
    x = m.tensor("x", [-1, 2], "INPUT")
    y = m.tensor("y", [-1, 1], "LABEL")
    h = m.op("Sigmoid", [m.dense(x, 2, 2, "fc1", init="GLOROT_UNIFORM")], "h")
    p = m.op("Sigmoid", [m.dense(h, 2, 1, "fc2", init="GLOROT_UNIFORM")], "prob")
    loss = m.op("BceLoss", [p, y], "loss")
    m.finish([x], [p], [x, y], loss, adam(0.05))
    return m


def lenet5():
    m = Model("lenet5", "LeNet-5 for 28x28 grey images (Fashion-MNIST)")
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h = m.op("Relu", [m.conv(x, 1, 6, 5, "conv1", pad=2)], "relu1")
    h = m.maxpool(h, "pool1")
    h = m.op("Relu", [m.conv(h, 6, 16, 5, "conv2")], "relu2")
    h = m.maxpool(h, "pool2")
    h = m.op("Flatten", [h], "flatten")
    h = m.op("Relu", [m.dense(h, 400, 120, "fc1")], "relu3")
    h = m.op("Relu", [m.dense(h, 120, 84, "fc2")], "relu4")
    logits = m.dense(h, 84, 10, "fc3", init="GLOROT_UNIFORM",
                     out="logits")
    m.classifier(x, logits, adam())
    return m


def convbn():
    m = Model("convbn", "Two conv-BatchNorm-ReLU-pool blocks and an MLP head")
    m.pytorch_init = True
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h = x
    for i, (cin, cout) in enumerate([(1, 32), (32, 64)], 1):
        h = m.conv(h, cin, cout, 3, f"conv{i}", pad=1)
        h = m.batchnorm(h, cout, f"bn{i}")
        h = m.op("Relu", [h], f"relu{i}")
        h = m.maxpool(h, f"pool{i}")
    h = m.op("Flatten", [h], "flatten")
    h = m.op("Relu", [m.dense(h, 64 * 7 * 7, 128, "fc1")], "relu3")
    h = m.op("Dropout", [h], "dropout", ratio=0.25, seed=7)
    logits = m.dense(h, 128, 10, "fc2", init="GLOROT_UNIFORM",
                     out="logits")
    m.classifier(x, logits, adam())
    return m


def alexnet_tiny():
    m = Model("alexnet_tiny", "AlexNet-style: LRN, overlapping max pooling, "
              "dropout; for 28x28 inputs")
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h = m.op("Relu", [m.conv(x, 1, 32, 5, "conv1", pad=2)], "relu1")
    h = m.op("LRN", [h], "lrn1", size=5, alpha=1e-4, beta=0.75, bias=2.0)
    h = m.maxpool(h, "pool1", k=3, stride=2)                       # 13x13
    h = m.op("Relu", [m.conv(h, 32, 64, 5, "conv2", pad=2)], "relu2")
    h = m.op("LRN", [h], "lrn2", size=5, alpha=1e-4, beta=0.75, bias=2.0)
    h = m.maxpool(h, "pool2", k=3, stride=2)                       # 6x6
    h = m.op("Relu", [m.conv(h, 64, 96, 3, "conv3", pad=1)], "relu3")
    h = m.op("Relu", [m.conv(h, 96, 96, 3, "conv4", pad=1)], "relu4")
    h = m.op("Relu", [m.conv(h, 96, 64, 3, "conv5", pad=1)], "relu5")
    h = m.maxpool(h, "pool5", k=3, stride=2)                       # 2x2
    h = m.op("Flatten", [h], "flatten")
    h = m.op("Relu", [m.dense(h, 64 * 2 * 2, 256, "fc1")], "relu6")
    h = m.op("Dropout", [h], "drop1", ratio=0.5, seed=11)
    h = m.op("Relu", [m.dense(h, 256, 128, "fc2")], "relu7")
    h = m.op("Dropout", [h], "drop2", ratio=0.5, seed=12)
    logits = m.dense(h, 128, 10, "fc3", init="GLOROT_UNIFORM",
                     out="logits")
    m.classifier(x, logits, {"kind": "MOMENTUM", "lr": 0.01, "momentum": 0.9})
    return m


def vgg_tiny():
    m = Model("vgg_tiny", "VGG-style: stacks of 3x3 convs, 2x2 max pooling")
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h, cin = x, 1
    for stage, cout in enumerate([32, 64], 1):
        for j in (1, 2):
            name = f"conv{stage}_{j}"
            h = m.op("Relu", [m.conv(h, cin, cout, 3, name, pad=1)],
                     f"relu{stage}_{j}")
            cin = cout
        h = m.maxpool(h, f"pool{stage}")
    h = m.op("Flatten", [h], "flatten")
    h = m.op("Relu", [m.dense(h, 64 * 7 * 7, 128, "fc1")], "relu_fc1")
    h = m.op("Dropout", [h], "dropout", ratio=0.5, seed=5)
    logits = m.dense(h, 128, 10, "fc2", init="GLOROT_UNIFORM",
                     out="logits")
    m.classifier(x, logits, adam())
    return m


def rbf():
    m = Model("rbf", "RBF network: y_k = exp(-beta_k ||x - mu_k||^2) over the "
              "pixels, then a linear read-out")
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h = m.op("Flatten", [x], "flatten")
    mu = m.param("rbf.centers", [64, 784], m.init("UNIFORM", low=0.0, high=0.5))
    beta = m.param("rbf.beta", [64], {"scheme": "CONSTANT", "value": 0.02})
    h = m.op("Rbf", [h, mu, beta], "rbf")
    logits = m.dense(h, 64, 10, "readout", init="GLOROT_UNIFORM",
                     out="logits")
    m.classifier(x, logits, adam(1e-2))
    return m


def rows_as_sequence(kind):
    """A recurrent classifier over the rows of the image: each of the 28
    rows is one step of 28 features (the Reshape to [batch, 28, 28] with
    layout=1 says so), and the last hidden state feeds a linear layer."""
    name = kind.lower() + "_fmnist"
    m = Model(name, f"{kind} over the image rows (28 steps of 28 pixels), "
              "128 hidden units, the last hidden state to 10 classes")
    m.pytorch_init = True
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    rows = m.op("Reshape", [x], "rows", shape=[0, 28, 28])
    outs = m.recurrent(kind, rows, 28, 128, kind.lower(), layout=1)
    last = m.op("Flatten", [outs[1]], "last")  # y_h: [batch, 1, 128]
    logits = m.dense(last, 128, 10, "fc", out="logits")
    m.classifier(x, logits, adam())
    return m


def lstm_fmnist():
    return rows_as_sequence("Lstm")


def gru_fmnist():
    return rows_as_sequence("Gru")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for make in (xor_mlp, lenet5, convbn, alexnet_tiny, vgg_tiny, rbf,
                 lstm_fmnist, gru_fmnist):
        m = make()
        path = os.path.join(OUT, m.name + ".json")
        m.write(path, producer="scripts/gen_examples.py")
        print("wrote", os.path.normpath(path))
