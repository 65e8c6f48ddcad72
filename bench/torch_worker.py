#!/usr/bin/python3
"""PyTorch's side of bench/pytorch_compare.py, in a process of its own.

pytorch_compare.py starts this with the thread configuration it compares
(torch at N threads, OpenBLAS at 1, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
unset) and sends one JSON request per line on stdin; each answer is one JSON
line on stdout. Requests:

  {"op": "config"}  torch version and threads, BLAS library, torch.mm GFLOP/s
  {"op": "time", "case": [model, entry, batch], "variant": V, "repeats": R}
                    median seconds per call of the case in variant V
  {"op": "variants", "case": [...]}   the variants a case is timed in

Models are LeNet-5, convbn, lstm_fmnist and gru_fmnist as
scripts/gen_examples.py defines them, and the conv-BN-ReLU block of issue 5
("block", "infer"|"train", 64).
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# LeNet-5 as scripts/gen_examples.py defines it, from the export example.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "examples", "onnx"))
from export_lenet5 import lenet5  # noqa: E402


def convbn():
    layers = []
    for cin, cout in [(1, 32), (32, 64)]:
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                   nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 7 * 7, 128),
                         nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


class LstmRows(nn.Module):
    """lstm_fmnist: the image rows as 28 steps, the last h to 10 classes."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.rnn(x.reshape(x.size(0), 28, 28))
        return self.fc(h[0])


class GruRows(nn.Module):
    """gru_fmnist, as LstmRows."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        _, h = self.rnn(x.reshape(x.size(0), 28, 28))
        return self.fc(h[0])


def block():
    return nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64),
                         nn.ReLU())


MODELS = {"lenet5": lenet5, "convbn": convbn, "block": block,
          "lstm_fmnist": LstmRows, "gru_fmnist": GruRows}
LAYOUTS = {"eager": torch.contiguous_format,
           "channels_last": torch.channels_last}


def variants(case):
    """Training runs eager in either memory layout; inference also as
    frozen TorchScript with optimize_for_inference."""
    _, entry, _ = case
    if entry in ("train_step", "train"):
        return list(LAYOUTS)
    return list(LAYOUTS) + ["frozen"]


def loaded_blas():
    """The BLAS shared library this process has mapped."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path)
            if name.startswith(("libopenblas", "libblas", "libmkl",
                                "libblis")):
                return os.path.realpath(path)
    return "none found"


def mm_gflops():
    n = 1024
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def median_time(fn, repeats, inner):
    fn()  # warm-up
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


class Runner:
    """Builds each (case, variant) once and times it on request."""

    def __init__(self):
        self.made = {}

    def make(self, case, variant):
        key = (tuple(case), variant)
        if key not in self.made:
            self.made[key] = self.build(case, variant)
        return self.made[key]

    def build(self, case, variant):
        name, entry, batch = case
        torch.manual_seed(0)
        cin = 32 if name == "block" else 1
        side = 14 if name == "block" else 28
        x = torch.rand(batch, cin, side, side)
        if entry in ("train_step", "train"):
            m = MODELS[name]().train().to(memory_format=LAYOUTS[variant])
            xi = x.contiguous(memory_format=LAYOUTS[variant])
            if name == "block":  # forward and backward of the block alone
                xi.requires_grad_()
                r = torch.rand(batch, 64, side, side)
                return lambda: (m(xi) * r).sum().backward()
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)
            y = torch.randint(0, 10, (batch,))

            def step():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(m(xi), y).backward()
                opt.step()
            return step
        if variant == "frozen":
            m = torch.jit.optimize_for_inference(
                torch.jit.freeze(torch.jit.script(MODELS[name]().eval())))
            xi = x
        else:
            m = MODELS[name]().eval().to(memory_format=LAYOUTS[variant])
            xi = x.contiguous(memory_format=LAYOUTS[variant])

        def infer():
            with torch.no_grad():
                m(xi)
        return infer

    def time(self, case, variant, repeats):
        fn = self.make(case, variant)
        # About 20 ms a sample, so every sample spans many calls.
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-6)
        inner = max(1, min(200, int(0.02 / once)))
        return median_time(fn, repeats, inner)


def serve():
    runner = Runner()
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "config":
            out = {"torch": torch.__version__,
                   "threads": torch.get_num_threads(),
                   "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                   "blas": loaded_blas(),
                   "mm_gflops": mm_gflops()}
        elif req["op"] == "variants":
            out = variants(req["case"])
        else:
            out = runner.time(req["case"], req["variant"], req["repeats"])
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[1]))
    serve()
