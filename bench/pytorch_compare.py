#!/usr/bin/python3
"""Times the example models in PyTorch and in nnc, in the same run.

PyTorch (Debian's python3-torch) runs LeNet-5 and convbn, defined as in
scripts/gen_examples.py, at the same thread count: a training step (forward,
cross-entropy, backward, Adam) at batch 64, and inference at batch 1 and 64
as eager NCHW, eager channels_last and frozen TorchScript with
optimize_for_inference; the fastest variant is the baseline. nnc's times come
from bench/nnc_engine_bench (JIT), run from here. Every time is the median
of several repeats. Prints our time, PyTorch's, the ratio (>1: nnc is
faster), GFLOP/s and the fraction of the machine's peak (threads x one
core's FMA-loop peak, bench/nnc_engine_bench's peak/fma).

    /usr/bin/python3 bench/pytorch_compare.py --build build --threads 2
"""
import argparse
import gzip
import json
import resource
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def convbn():
    layers = []
    for cin, cout in [(1, 32), (32, 64)]:
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                   nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 7 * 7, 128),
                         nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


MODELS = {"lenet5": lenet5, "convbn": convbn}


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


def torch_train_step(name, batch, repeats):
    model = MODELS[name]().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    best = None
    for layout in (torch.contiguous_format, torch.channels_last):
        m = model.to(memory_format=layout)
        xi = x.contiguous(memory_format=layout)

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(m(xi), y).backward()
            opt.step()

        t = median_time(step, repeats, 5)
        best = t if best is None else min(best, t)
    return best


def torch_infer(name, batch, repeats):
    model = MODELS[name]().eval()
    x = torch.rand(batch, 1, 28, 28)
    times = {}
    with torch.no_grad():
        times["eager"] = median_time(lambda: model(x), repeats, 20)
        cl = model.to(memory_format=torch.channels_last)
        xc = x.contiguous(memory_format=torch.channels_last)
        times["channels_last"] = median_time(lambda: cl(xc), repeats, 20)
        frozen = torch.jit.optimize_for_inference(
            torch.jit.freeze(torch.jit.script(MODELS[name]().eval())))
        times["frozen"] = median_time(lambda: frozen(x), repeats, 20)
    return min(times.values()), min(times, key=times.get)


def peak_gflops(build):
    exe = os.path.join(build, "bench", "nnc_engine_bench")
    out = subprocess.run([exe, "--benchmark_filter=peak/fma",
                          "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"][0]["GFLOP/s"]


def torch_block(train, repeats):
    """The conv-BN-ReLU block (N=64, 32->64, 14x14, 3x3 pad 1): inference
    (eager, channels_last, frozen + optimize_for_inference) or forward and
    backward in training mode (eager, channels_last)."""
    def make():
        return nn.Sequential(nn.Conv2d(32, 64, 3, padding=1),
                             nn.BatchNorm2d(64), nn.ReLU())
    x = torch.rand(64, 32, 14, 14)
    times = {}
    if not train:
        with torch.no_grad():
            m = make().eval()
            times["eager"] = median_time(lambda: m(x), repeats, 10)
            cl = make().eval().to(memory_format=torch.channels_last)
            xc = x.contiguous(memory_format=torch.channels_last)
            times["channels_last"] = median_time(lambda: cl(xc), repeats, 10)
            frozen = torch.jit.optimize_for_inference(
                torch.jit.freeze(torch.jit.script(make().eval())))
            times["frozen"] = median_time(lambda: frozen(x), repeats, 10)
    else:
        r = torch.rand(64, 64, 14, 14)
        for name, layout in (("eager", torch.contiguous_format),
                             ("channels_last", torch.channels_last)):
            m = make().train().to(memory_format=layout)
            xi = x.contiguous(memory_format=layout).requires_grad_()

            def step():
                (m(xi) * r).sum().backward()
            times[name] = median_time(step, repeats, 5)
    best = min(times, key=times.get)
    return times[best], best


def nnc_times(build, threads, repeats):
    exe = os.path.join(build, "bench", "nnc_engine_bench")
    out = subprocess.run(
        [exe, "--benchmark_filter=(lenet5|convbn)/.*/batch:(1|64)/jit|block/",
         f"--threads={threads}", "--benchmark_format=json",
         f"--benchmark_repetitions={repeats}",
         # Repetitions of all cases in random order: the machine's speed
         # drifts, and fused against unfused is a ratio of two of them.
         "--benchmark_enable_random_interleaving=true",
         "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    times, flops = {}, {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        if b["run_name"].startswith("block/"):
            _, mode, variant = b["run_name"].split("/")[:3]
            times[("block", mode, variant)] = b["real_time"] / 1e3
            continue
        model, entry, batch, _ = b["run_name"].split("/")[:4]
        key = (model, entry, int(batch.split(":")[1]))
        times[key] = b["real_time"] / 1e3  # ms -> s
        flops[key] = b["GFLOP/s"] * times[key]
    return times, flops


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]),
                            dtype=torch.uint8).reshape(dims)


def torch_epoch(threads):
    """One LeNet-5 epoch on Fashion-MNIST as a PyTorch user writes it (data
    preloaded as tensors, Adam, batch 64, shuffled) and the test accuracy;
    run in a child process so its peak RSS is its own."""
    code = f"""
import resource, time, torch, torch.nn.functional as F, sys
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from pytorch_compare import lenet5, idx
torch.set_num_threads({threads}); torch.manual_seed(0)
d = "/usr/share/datasets/fashion-mnist/"
start = time.perf_counter()
x = idx(d + "train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
y = idx(d + "train-labels-idx1-ubyte.gz").long()
tx = idx(d + "t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
ty = idx(d + "t10k-labels-idx1-ubyte.gz").long()
m = lenet5(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
perm = torch.randperm(60000)
for i in range(0, 60000, 64):
    b = perm[i:i + 64]
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(m(x[b]), y[b]).backward()
    opt.step()
m.eval()
with torch.no_grad():
    acc = (m(tx).argmax(1) == ty).float().mean().item()
t = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(t, rss, acc)
"""
    out = subprocess.run(["/usr/bin/python3", "-c", code], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def nnc_epoch(build, threads):
    """nnc train for one LeNet-5 epoch (compile, 938 steps, test
    evaluation): wall time and peak RSS of the process."""
    exe = os.path.join(build, "tools", "nnc")
    model = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "examples", "models", "lenet5.json")
    start = time.perf_counter()
    # GNU time reports this process's peak RSS alone (RUSAGE_CHILDREN would
    # include the benchmark processes run before).
    run = subprocess.run(["/usr/bin/time", "-f", "%M", exe, "train", model,
                          "--data", "fashion-mnist", "--epochs", "1",
                          "--progress", "none", "--threads", str(threads)],
                         check=True, capture_output=True, text=True)
    t = time.perf_counter() - start
    out = run.stdout
    rss = float(run.stderr.strip().splitlines()[-1]) / 1024
    acc = float(out.split("accuracy ")[-1].split("%")[0]) / 100
    return t, rss, acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epoch", action="store_true",
                    help="also time a whole LeNet-5 training epoch")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ours, gflop = nnc_times(args.build, args.threads, args.repeats)
    core = peak_gflops(args.build)
    peak = core * args.threads
    print(f"threads {args.threads}; peak {core:.0f} GFLOP/s per core (FMA "
          f"loop), {peak:.0f} for {args.threads}; PyTorch {torch.__version__}")
    print(f"{'case':32} {'nnc':>10} {'PyTorch':>10} {'ratio':>7} "
          f"{'GFLOP/s':>8} {'% peak':>7}  PyTorch variant")
    for name in MODELS:
        for entry, batch in (("train_step", 64), ("infer", 1),
                             ("infer", 64)):
            if entry == "train_step":
                theirs, variant = torch_train_step(name, batch,
                                                   args.repeats), "best"
            else:
                theirs, variant = torch_infer(name, batch, args.repeats)
            key = (name, entry, batch)
            mine = ours[key]
            rate = gflop[key] / mine
            print(f"{name + ' ' + entry + ' @' + str(batch):32} "
                  f"{mine * 1e3:8.3f}ms {theirs * 1e3:8.3f}ms "
                  f"{theirs / mine:7.2f} {rate:8.1f} {100 * rate / peak:6.1f}%"
                  f"  {variant}")
    print()
    print(f"{'conv-BN-ReLU block @64':32} {'fused':>10} {'unfused':>10} "
          f"{'PyTorch':>10} {'unf/fus':>7} {'PyT/fus':>7}  PyTorch variant")
    for mode in ("infer", "train"):
        theirs, variant = torch_block(mode == "train", args.repeats)
        fused = ours[("block", mode, "fused")]
        unfused = ours[("block", mode, "unfused")]
        print(f"{mode + (' (fwd+bwd)' if mode == 'train' else ''):32} "
              f"{fused * 1e3:8.3f}ms {unfused * 1e3:8.3f}ms "
              f"{theirs * 1e3:8.3f}ms {unfused / fused:7.2f} "
              f"{theirs / fused:7.2f}  {variant}")
    if args.epoch:
        print()
        ours_t, ours_rss, ours_acc = nnc_epoch(args.build, args.threads)
        t_t, t_rss, t_acc = torch_epoch(args.threads)
        print(f"LeNet-5 epoch (train + test eval), {args.threads} threads:")
        print(f"  nnc     {ours_t:6.1f} s, peak RSS {ours_rss:6.0f} MiB, "
              f"test accuracy {100 * ours_acc:.2f}%")
        print(f"  PyTorch {t_t:6.1f} s, peak RSS {t_rss:6.0f} MiB, "
              f"test accuracy {100 * t_acc:.2f}%")
        print(f"  PyTorch / nnc: time {t_t / ours_t:.2f}, "
              f"memory {t_rss / ours_rss:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
