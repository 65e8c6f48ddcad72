#!/usr/bin/env python3
"""Writes the example models in examples/models/ as nnc FlatBuffers JSON.

Model files join tensors and nodes by index; this script keeps that
bookkeeping out of human hands. Run it after changing a model here:
    python3 scripts/gen_examples.py
"""
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "models")


class Model:
    def __init__(self, name, description):
        self.name, self.description = name, description
        self.tensors, self.nodes, self.index = [], [], {}
        self.seed = 0

    def tensor(self, name, shape=None, role="ACTIVATION", dtype=None, init=None):
        assert name not in self.index, name
        t = {"name": name, "role": role}
        if dtype:
            t["dtype"] = dtype
        if shape is not None:
            t["shape"] = shape
        if init:
            t["init"] = init
        self.index[name] = len(self.tensors)
        self.tensors.append(t)
        return name

    # PyTorch's default for Conv2d and Linear weights, kaiming_uniform with
    # a = sqrt(5), is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): HE_UNIFORM with gain
    # 1/sqrt(6). Models compared with a PyTorch baseline use it.
    pytorch_init = False

    def init(self, scheme, **kw):
        self.seed += 1
        if scheme == "HE_UNIFORM" and self.pytorch_init and "gain" not in kw:
            kw["gain"] = 1 / 6 ** 0.5
        return dict(scheme=scheme, seed=self.seed, **kw)

    def param(self, name, shape, init, role="PARAMETER"):
        return self.tensor(name, shape, role, init=init)

    def op(self, op, inputs, name, **attrs):
        self.tensor(name)
        node = {"name": name, "op": op,
                "inputs": [self.index[i] for i in inputs],
                "outputs": [self.index[name]]}
        if attrs:
            node["attributes"] = [attr(k, v) for k, v in attrs.items()]
        self.nodes.append(node)
        return name

    # Layers with their parameters.
    def conv(self, x, cin, cout, k, name, pad=0, stride=1):
        w = self.param(name + ".w", [cout, cin, k, k], self.init("HE_UNIFORM"))
        b = self.param(name + ".b", [cout], {"scheme": "ZEROS"})
        return self.op("Conv", [x, w, b], name, pads=[pad] * 4,
                       strides=[stride, stride])

    def dense(self, x, fin, fout, name, init="HE_UNIFORM", out=None):
        w = self.param(name + ".w", [fout, fin], self.init(init))
        b = self.param(name + ".b", [fout], {"scheme": "ZEROS"})
        return self.op("Dense", [x, w, b], out or name)

    def batchnorm(self, x, c, name):
        ones = {"scheme": "CONSTANT", "value": 1.0}
        zeros = {"scheme": "ZEROS"}
        s = self.param(name + ".scale", [c], ones)
        b = self.param(name + ".bias", [c], zeros)
        m = self.param(name + ".mean", [c], zeros, role="STATE")
        v = self.param(name + ".var", [c], ones, role="STATE")
        return self.op("BatchNorm", [x, s, b, m, v], name)

    def maxpool(self, x, name, k=2, stride=None):
        attrs = {"kernel_shape": [k, k]}
        if stride:
            attrs["strides"] = [stride, stride]
        return self.op("MaxPool", [x], name, **attrs)

    def output(self, name):
        self.tensors[self.index[name]]["role"] = "OUTPUT"

    def classifier(self, image, logits, optimizer):
        """Softmax cross-entropy head: infer -> logits, train_step -> loss."""
        label = self.tensor("label", [-1], "LABEL", dtype="I64")
        loss = self.op("SoftmaxCrossEntropy", [logits, label], "loss")
        self.finish([image], [logits], [image, label], loss, optimizer,
                    metrics=["accuracy"])

    def finish(self, infer_in, infer_out, train_in, loss, optimizer, metrics=()):
        for t in infer_out + [loss]:
            self.output(t)
        idx = lambda names: [self.index[n] for n in names]
        self.entry_points = [
            {"name": "infer", "inputs": idx(infer_in), "outputs": idx(infer_out)},
            {"name": "train_step", "inputs": idx(train_in), "outputs": idx([loss])},
        ]
        self.training = {"loss": self.index[loss], "optimizer": optimizer,
                         "metrics": list(metrics), "batch_size": 64}

    def write(self):
        doc = {"schema_version": 1, "name": self.name,
               "description": self.description, "producer": "scripts/gen_examples.py",
               "tensors": self.tensors, "nodes": self.nodes,
               "entry_points": self.entry_points, "training": self.training}
        path = os.path.join(OUT, self.name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print("wrote", os.path.normpath(path))


def attr(name, v):
    if isinstance(v, bool) or isinstance(v, int):
        return {"name": name, "i": int(v)}
    if isinstance(v, float):
        return {"name": name, "f": v}
    if isinstance(v, str):
        return {"name": name, "s": v}
    if all(isinstance(x, int) for x in v):
        return {"name": name, "ints": list(v)}
    return {"name": name, "floats": [float(x) for x in v]}


def adam(lr=1e-3):
    return {"kind": "ADAM", "lr": lr, "betas": [0.9, 0.999], "eps": 1e-8}


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


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for make in (xor_mlp, lenet5, convbn, alexnet_tiny, vgg_tiny, rbf):
        make().write()
