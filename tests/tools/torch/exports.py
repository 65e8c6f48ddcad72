#!/usr/bin/python3
"""Models as PyTorch users export them (tests/tools/PyTorchTest.cpp).

Each case is an ordinary nn.Module exported with torch.onnx.export the way
tutorials do it, with the batch axis dynamic. For every case and batch size
it writes, under OUT:
  <case>.onnx, <case>_b<N>_x.bin (float32 input), <case>_b<N>_y.bin
  (PyTorch's output in eval mode), and a line "<case> <N>" in manifest.txt.
The exports are run at batch sizes other than the one they were traced at,
so shapes computed from x.size(0) must follow the batch.

For the gradients, <case>_loss.onnx is the same model with a scalar loss
sum(model(x) * r) (r fixed), and <case>_b<N>_grad/ holds d loss / d x (as
x.bin) and d loss / d p for every parameter, named as in the export.
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


class Maxout(nn.Module):
    """Maxout over pairs of channels, written as view(...).amax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        h = self.conv(x)
        return h.view(h.size(0), 2, 2, 6, 6).amax(2)


class MinMax(nn.Module):
    """torch.max over a dimension (values only) and amin over two."""

    def forward(self, x):
        values, _ = torch.max(x, dim=3)
        return values + x.amin(dim=(1, 2), keepdim=False).unsqueeze(1)


class ExpandAs(nn.Module):
    """A per-channel parameter expanded to x, and a learned token expanded
    over the batch (as ViT's class token)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(1, 3, 1, 1))
        self.token = nn.Parameter(torch.randn(1, 3, 8, 8))
        self.conv = nn.Conv2d(1, 3, 1)

    def forward(self, x):
        h = self.conv(x)
        token = self.token.expand(x.size(0), -1, -1, -1)
        return self.scale.expand_as(h) * h + token


class Padded(nn.Module):
    """F.pad in one mode, then a conv, so that the pad is an op."""

    def __init__(self, mode, pads, value=0.0, channels=2):
        super().__init__()
        self.mode, self.pads, self.value = mode, pads, value
        self.conv = nn.Conv2d(channels, 2, 3)

    def forward(self, x):
        h = torch.cat([x, x * x], dim=1)
        if self.mode == "constant":
            h = F.pad(h, self.pads, value=self.value)
        else:
            h = F.pad(h, self.pads, mode=self.mode)
        return self.conv(h)


class Recurrent(nn.Module):
    """nn.LSTM, nn.GRU or nn.RNN over the image as 32 steps of 2 features;
    returns every step's output and the last hidden state. The batch axis
    of x stays first, so with batch_first=False the module transposes."""

    def __init__(self, kind, batch_first, layers, bidirectional, **kw):
        super().__init__()
        make = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.batch_first = batch_first
        self.rnn = make(2, 5, num_layers=layers, bidirectional=bidirectional,
                        batch_first=batch_first, **kw)

    def forward(self, x):
        x = x.reshape(x.size(0), 32, 2)
        if not self.batch_first:
            x = x.transpose(0, 1)
        y, h = self.rnn(x)
        if isinstance(h, tuple):
            h = h[0]
        if not self.batch_first:
            y = y.transpose(0, 1)
        return torch.cat([y.flatten(1), h.transpose(0, 1).flatten(1)], 1)


# The exporter reorders and concatenates the gates' weights into tensors of
# its own naming, so only d loss / d x is compared by name for these; the
# weights' gradients by name are compared in tests/tools/torch/recurrent.py,
# whose models name them.
RECURRENT = {"x_grad_only": True}


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
    # Softplus exports as ONNX Softplus (beta != 1: between Mul and Div).
    "softplus": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.Softplus()),
                 {}),
    "softplus_beta": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3),
                                            nn.Softplus(beta=2.0)), {}),
    "gelu_after_conv": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.GELU()),
                        {}),
    "reshape_by_shape": (ReshapeByShape, {}),
    # LayerNormalization is an op from opset 17; up to 16 PyTorch writes it
    # as ReduceMean, Sub, Pow, Sqrt, Add, Div (the error's work-around).
    "layernorm_opset16": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3),
                                                nn.LayerNorm([3, 6, 6])),
                          {"opset": 16}),
    "maxout_amax": (Maxout, {}),
    "max_dim_amin": (MinMax, {}),
    "expand_as_and_batch": (ExpandAs, {}),
    "pad_reflect": (lambda: Padded("reflect", (1, 2, 2, 1)), {}),
    "pad_replicate": (lambda: Padded("replicate", (3, 0, 1, 2)), {}),
    "pad_constant_value": (lambda: Padded("constant", (1, 1, 0, 2), 0.5), {}),
    "pad_channels_and_crop": (lambda: Padded("constant", (-1, 1, 0, 0, 1, 2),
                                                     channels=5),
                              {}),
    "residual_cat_adaptive": (Residual, {}),
    # A training-mode export: Dropout names its (unused) mask. Compared in
    # eval mode (nnc run is inference; dropout applies in train_step).
    "dropout_training_export": (dropout_net, TRAINING),
    # Training-mode BatchNorm: five outputs at opset 13, training_mode from
    # 14. nnc run computes it on batch statistics, as PyTorch's train().
    "batchnorm_training_opset13": (conv_bn_relu, dict(TRAINING, opset=13)),
    "batchnorm_training_opset14": (conv_bn_relu, dict(TRAINING, opset=14)),
    "batchnorm_training_opset15": (conv_bn_relu, dict(TRAINING, opset=15)),
    # Each kind one- and bidirectional, one and two layers, batch_first
    # both ways; the zero initial states PyTorch builds from the batch size.
    "lstm_batch_first": (lambda: Recurrent("lstm", True, 1, False), RECURRENT),
    "lstm_bidirectional_2_layers": (lambda: Recurrent("lstm", False, 2, True),
                                    RECURRENT),
    "gru_batch_first_2_layers": (lambda: Recurrent("gru", True, 2, False),
                                 RECURRENT),
    "gru_bidirectional": (lambda: Recurrent("gru", False, 1, True),
                          RECURRENT),
    "rnn_tanh": (lambda: Recurrent("rnn", False, 1, False), RECURRENT),
    "rnn_tanh_bidirectional_2_layers": (
        lambda: Recurrent("rnn", True, 2, True), RECURRENT),
    "rnn_relu_bidirectional": (
        lambda: Recurrent("rnn", True, 1, True, nonlinearity="relu"),
        RECURRENT),
    "rnn_relu_2_layers": (
        lambda: Recurrent("rnn", False, 2, False, nonlinearity="relu"),
        RECURRENT),
}


class WithLoss(nn.Module):
    """sum(model(x) * r): a scalar whose gradient reaches every output."""

    def __init__(self, model, r):
        super().__init__()
        self.m = model
        self.register_buffer("r", r)

    def forward(self, x):
        return (self.m(x) * self.r).sum()


def export(model, x, path, opset, options, outputs):
    axes = {"x": {0: "batch"}}
    if outputs == ["y"]:
        axes["y"] = {0: "batch"}
    torch.onnx.export(model, (x,), path, input_names=["x"],
                      output_names=outputs, dynamic_axes=axes,
                      opset_version=opset, **options)


def save_grads(model, xb, out, x_only=False):
    """d loss / d x and d loss / d p of every parameter, into out/."""
    os.makedirs(out, exist_ok=True)
    xb = xb.clone().requires_grad_(True)
    model.zero_grad()
    model(xb).backward()
    save(os.path.join(out, "x.bin"), xb.grad)
    for name, p in [] if x_only else model.named_parameters():
        if p.grad is not None:
            save(os.path.join(out, name + ".bin"), p.grad)


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
        x_only = options.pop("x_grad_only", False)
        training = options.get("training") == torch.onnx.TrainingMode.TRAINING
        model.train(training)
        export(model, x, os.path.join(out, name + ".onnx"), opset, options,
               ["y"])
        with torch.no_grad():
            r = torch.randn(model(x).shape[1:])
        # Parameters keep their names: nothing is folded into them.
        loss = WithLoss(model, r)
        export(loss, x, os.path.join(out, name + "_loss.onnx"), opset,
               dict(options, do_constant_folding=False), ["loss"])
        # Batch statistics for a training BatchNorm, else inference.
        model.train(training and name.startswith("batchnorm"))
        for batch in (3, 5):
            xb = torch.rand(batch, 1, 8, 8) - 0.5
            with torch.no_grad():
                y = model(xb)
            stem = os.path.join(out, f"{name}_b{batch}")
            save(stem + "_x.bin", xb)
            save(stem + "_y.bin", y)
            save_grads(loss, xb, stem + "_grad", x_only)
            manifest.append(f"{name} {batch}")
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    # For nnc train on Fashion-MNIST: a training-mode export with BatchNorm.
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10))
    export(net.train(), torch.rand(2, 1, 28, 28),
           os.path.join(out, "fashion_bn_training.onnx"), 13, TRAINING, ["y"])


if __name__ == "__main__":
    main()
