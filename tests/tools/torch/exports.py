#!/usr/bin/python3
"""Models as PyTorch users export them (tests/tools/PyTorchTest.cpp).

Each case is an ordinary nn.Module exported with torch.onnx.export the way
tutorials do it, with the batch axis dynamic. For every case and batch size
it writes, under OUT:
  <case>.onnx, <case>_b<N>_x.bin (float32 input), <case>_b<N>_y.bin
  (PyTorch's output in eval mode), and a line "<case> <N>" in manifest.txt.
The exports are run at batch sizes other than the one they were traced at,
so shapes computed from x.size(0) must follow the batch.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class FlattenByView(nn.Module):
    """The tutorial idiom x.view(x.size(0), -1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(h.view(h.size(0), -1))


class ReshapeByShape(nn.Module):
    """Shape arithmetic: the batch times the channels as one axis."""

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n * c, h * w).sum(1).reshape(n, c)


class Residual(nn.Module):
    """A residual block with torch.cat and adaptive pooling."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 3, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        h = torch.cat([x, F.relu(self.a(x))], dim=1)
        h = h + self.b(h)
        h = F.adaptive_avg_pool2d(h, 1)
        return self.fc(torch.flatten(h, 1))


def conv_bn_relu():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())


TRAINING = {"training": torch.onnx.TrainingMode.TRAINING,
            "do_constant_folding": False}


def dropout_net():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(),
                         nn.Dropout(0.3), nn.Linear(16, 4))


CASES = {
    # AvgPool2d: PyTorch puts a Pad (often of nothing) before AveragePool.
    "avgpool2": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2)),
                 {}),
    "avgpool_pad_counted": (lambda: nn.AvgPool2d(3, 2, padding=1), {}),
    "avgpool_pad_excluded": (
        lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), {}),
    "avgpool_ceil": (
        lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), {}),
    "flatten_by_view": (FlattenByView, {}),
    # GELU exports as Div, Erf, Add, Mul, Mul.
    "gelu": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.GELU(),
                                   nn.Linear(16, 4)), {}),
    "reshape_by_shape": (ReshapeByShape, {}),
    "residual_cat_adaptive": (Residual, {}),
    # A training-mode export: Dropout names its (unused) mask. Compared in
    # eval mode (nnc run is inference; dropout applies in train_step).
    "dropout_training_export": (dropout_net, TRAINING),
    # Training-mode BatchNorm: five outputs at opset 13, training_mode from
    # 14. nnc run computes it on batch statistics, as PyTorch's train().
    "batchnorm_training_opset13": (conv_bn_relu, dict(TRAINING, opset=13)),
    "batchnorm_training_opset14": (conv_bn_relu, dict(TRAINING, opset=14)),
    "batchnorm_training_opset15": (conv_bn_relu, dict(TRAINING, opset=15)),
}


def save(path, t):
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().numpy().tobytes())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for name, (make, options) in CASES.items():
        torch.manual_seed(0)
        model = make()
        x = torch.rand(2, 1, 8, 8)
        options = dict(options)
        opset = options.pop("opset", 13)
        training = options.get("training") == torch.onnx.TrainingMode.TRAINING
        model.train(training)
        torch.onnx.export(model, (x,), os.path.join(out, name + ".onnx"),
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=opset, **options)
        # Batch statistics for a training BatchNorm, else inference.
        model.train(training and name.startswith("batchnorm"))
        for batch in (3, 5):
            xb = torch.rand(batch, 1, 8, 8)
            with torch.no_grad():
                y = model(xb)
            save(os.path.join(out, f"{name}_b{batch}_x.bin"), xb)
            save(os.path.join(out, f"{name}_b{batch}_y.bin"), y)
            manifest.append(f"{name} {batch}")
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
