#!/usr/bin/python3
"""PyTorch references for nnc grad and nnc step (tests/tools/PyTorchTest.cpp).

Builds a small conv-BatchNorm-ReLU-pool-linear classifier whose loss is part
of the model, exports it to ONNX, and writes, under OUT:
  model.onnx, x.bin (float32 [4,1,6,6]), y.bin (int64 [4]); folded.onnx:
  the model exported in eval(), its BatchNorm folded into the conv;
  grad/<param>.bin and grad/loss.bin: gradients in train() mode, and
  grad/<buffer>.bin: the running statistics after that forward pass;
  grad_eval/: the gradients in eval() mode (on random running statistics);
  step_<name>/<param>.bin: the parameters after 3 steps of each optimizer on
  the same batch, and manifest.txt: "<name> <nnc optimizer> <hparams JSON>".
"""
import copy
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(h.flatten(1))


class WithLoss(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, y):
        return F.cross_entropy(self.net(x), y)


def save(path, t):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().numpy().tobytes())


OPTIMIZERS = [
    ("sgd", "sgd", {"lr": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", "momentum", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1)),
    ("nesterov", "nesterov", {"lr": 0.05, "momentum": 0.9,
                              "weight_decay": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                               weight_decay=0.01)),
    ("adagrad", "adagrad", {"lr": 0.05, "lr_decay": 0.01},
     lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01)),
    ("adadelta", "adadelta", {"lr": 1.0, "rho": 0.8},
     lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.8)),
    ("rmsprop", "rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5},
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5)),
    ("adam", "adam", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-7},
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-7)),
    # The arguments that change the math, and those that only pick an
    # implementation (accepted, ignored).
    ("rmsprop_centered", "rmsprop",
     {"lr": 0.01, "alpha": 0.9, "centered": True, "weight_decay": 0.01},
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True,
                                   weight_decay=0.01)),
    ("rmsprop_centered_momentum", "rmsprop",
     {"lr": 0.01, "momentum": 0.5, "centered": True},
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True)),
    ("rmsprop_maximize", "rmsprop", {"lr": 0.01, "maximize": True},
     lambda p: torch.optim.RMSprop(p, lr=0.01, maximize=True)),
    # beta2 0.5: v follows the shrinking gradients down, so its running
    # maximum differs from it within three steps.
    ("adam_amsgrad", "adam",
     {"lr": 0.05, "betas": [0.9, 0.5], "amsgrad": True, "weight_decay": 0.01},
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.9, 0.5), amsgrad=True,
                                weight_decay=0.01)),
    ("adamw", "adamw", {"lr": 0.01},
     lambda p: torch.optim.AdamW(p, lr=0.01)),
    ("adamw_amsgrad", "adamw",
     {"lr": 0.05, "betas": [0.9, 0.5], "amsgrad": True, "weight_decay": 0.1},
     lambda p: torch.optim.AdamW(p, lr=0.05, betas=(0.9, 0.5), amsgrad=True,
                                 weight_decay=0.1)),
    ("sgd_maximize", "momentum",
     {"lr": 0.05, "momentum": 0.9, "maximize": True, "weight_decay": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, maximize=True,
                               weight_decay=0.01)),
    ("adagrad_maximize", "adagrad", {"lr": 0.05, "maximize": True},
     lambda p: torch.optim.Adagrad(p, lr=0.05, maximize=True)),
    ("adadelta_maximize", "adadelta",
     {"lr": 1.0, "maximize": True, "weight_decay": 0.01},
     lambda p: torch.optim.Adadelta(p, lr=1.0, maximize=True,
                                    weight_decay=0.01)),
    ("adam_implementation_args", "adam",
     {"lr": 0.01, "maximize": True, "foreach": False, "capturable": False,
      "differentiable": False, "fused": False},
     lambda p: torch.optim.Adam(p, lr=0.01, maximize=True, foreach=False,
                                capturable=False, differentiable=False,
                                fused=False)),
]


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    model = WithLoss(Net())
    x = torch.rand(4, 1, 6, 6)
    y = torch.tensor([1, 7, 3, 3])
    with torch.no_grad():  # for eval(); drawn after x
        model.net.bn.running_mean.uniform_(-0.5, 0.5)
        model.net.bn.running_var.uniform_(0.5, 2)
    save(os.path.join(out, "x.bin"), x)
    save(os.path.join(out, "y.bin"), y)
    initial = copy.deepcopy(model)
    # Exported as trained: eval mode would fold the BatchNorm into the conv.
    # Tracing runs the forward pass once in train(): the running statistics
    # saved in the file have moved once, and nnc starts from those.
    exported = copy.deepcopy(model).train()
    torch.onnx.export(exported, (x, y), os.path.join(out, "model.onnx"),
                      input_names=["x", "y"], output_names=["loss"],
                      opset_version=15, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.TRAINING)
    # An eval() export, in which PyTorch folds the BatchNorm into the conv.
    torch.onnx.export(copy.deepcopy(model).eval(), (x, y),
                      os.path.join(out, "folded.onnx"),
                      input_names=["x", "y"], output_names=["loss"],
                      opset_version=15)
    params = dict(model.named_parameters())

    model.train()
    loss = model(x, y)
    loss.backward()
    save(os.path.join(out, "grad", "loss.bin"), loss)
    for name, p in params.items():
        save(os.path.join(out, "grad", name + ".bin"), p.grad)
    moved = copy.deepcopy(exported).train()
    moved(x, y)
    for name in ("running_mean", "running_var"):
        save(os.path.join(out, "grad", "net.bn." + name + ".bin"),
             getattr(moved.net.bn, name))

    evaluated = copy.deepcopy(exported).eval()
    evaluated(x, y).backward()
    for name, p in evaluated.named_parameters():
        save(os.path.join(out, "grad_eval", name + ".bin"), p.grad)

    lines = []
    for name, kind, hparams, make in OPTIMIZERS:
        m = copy.deepcopy(initial).train()
        opt = make(m.parameters())
        for _ in range(3):
            opt.zero_grad()
            m(x, y).backward()
            opt.step()
        for pname, p in m.named_parameters():
            save(os.path.join(out, "step_" + name, pname + ".bin"), p)
        hp = json.dumps(hparams, separators=(',', ':'))
        lines.append(f"{name} {kind} {hp}")
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
