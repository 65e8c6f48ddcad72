#!/usr/bin/python3
"""Times the example models in nnc and in PyTorch's fastest configuration,
interleaved in one run, and prints nnc's speed-up for each case.

The baseline is honest or nothing is printed:
- PyTorch (Debian's python3-torch) runs in a child process
  (bench/torch_worker.py) with torch at --threads threads, OpenBLAS at 1
  thread (its own pool would fight torch's), and OPENBLAS_CORETYPE and
  OPENBLAS_L2_SIZE unset for that process only;
- before anything is timed, torch.mm must reach 25% of one core's FMA peak
  (bench/nnc_engine_bench's peak/fma), or the run stops: on the reference
  BLAS it reaches about 5 GFLOP/s and every ratio would be fiction;
- every case is timed in each of PyTorch's variants (eager NCHW, eager
  channels_last and, for inference, frozen TorchScript with
  optimize_for_inference), and the fastest is the baseline; the table names it;
- rounds alternate between nnc (one bench/nnc_engine_bench process, its
  cases in random order) and PyTorch (all cases and variants, in random
  order); each figure is the median over the rounds.

    /usr/bin/python3 bench/pytorch_compare.py --build build --threads 2 [--epoch]
"""
import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [(m, e, b) for m in ("lenet5", "convbn", "lstm_fmnist", "gru_fmnist")
         for e, b in (("train_step", 64), ("infer", 1), ("infer", 64))]
BLOCK_CASES = [("block", "infer", 64), ("block", "train", 64)]


def torch_env(threads):
    """The environment of PyTorch's processes: its fastest configuration."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = str(threads)
    return env


class TorchWorker:
    def __init__(self, threads):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "torch_worker.py"),
             str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=torch_env(threads))

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("pytorch_compare: the PyTorch worker died")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def peak_gflops(build):
    exe = os.path.join(build, "bench", "nnc_engine_bench")
    out = subprocess.run([exe, "--benchmark_filter=peak/fma",
                          "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"][0]["GFLOP/s"]


def nnc_round(build, threads):
    """One nnc_engine_bench run over every case, in random order: seconds
    per call and GFLOP per call, by case."""
    exe = os.path.join(build, "bench", "nnc_engine_bench")
    out = subprocess.run(
        [exe, "--benchmark_filter=(lenet5|convbn|lstm_fmnist|gru_fmnist)/.*/"
         "batch:(1|64)/jit|block/",
         f"--threads={threads}", "--benchmark_format=json",
         "--benchmark_enable_random_interleaving=true"],
        check=True, capture_output=True, text=True).stdout
    times, gflop = {}, {}
    for b in json.loads(out)["benchmarks"]:
        parts = b["run_name"].split("/")
        if parts[0] == "block":
            times[("block", parts[1], parts[2])] = b["real_time"] / 1e3
            continue
        key = (parts[0], parts[1], int(parts[2].split(":")[1]))
        if key in CASES:
            times[key] = b["real_time"] / 1e3  # ms -> s
            gflop[key] = b["GFLOP/s"] * times[key]
    return times, gflop


def torch_round(worker, repeats=3):
    """Every case in every PyTorch variant once, in random order."""
    jobs = [(c, v) for c in CASES + BLOCK_CASES
            for v in worker.ask(op="variants", case=c)]
    random.shuffle(jobs)
    return {(c, v): worker.ask(op="time", case=c, variant=v, repeats=repeats)
            for c, v in jobs}


def check_baseline(config, core_peak):
    """Refuses to go on when PyTorch's BLAS is far below the machine."""
    print(f"PyTorch {config['torch']}: torch threads {config['threads']}, "
          f"OpenBLAS threads {config['openblas_threads']}, "
          f"BLAS {config['blas']}; torch.mm {config['mm_gflops']:.0f} "
          f"GFLOP/s = {100 * config['mm_gflops'] / core_peak:.0f}% of one "
          f"core's FMA peak ({core_peak:.0f} GFLOP/s)")
    if config["mm_gflops"] < 0.25 * core_peak:
        sys.exit("pytorch_compare: torch.mm runs below 25% of one core's "
                 "peak: PyTorch is not on an optimized BLAS (install "
                 "libopenblas0-pthread: bash scripts/setup.sh --bench); no "
                 "ratios printed")


def idx(path):
    import torch
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]),
                            dtype=torch.uint8).reshape(dims)


def torch_epoch(threads, layout):
    """One LeNet-5 epoch on Fashion-MNIST as a PyTorch user writes it (data
    preloaded as tensors, Adam, batch 64, shuffled) in the given memory
    layout, and the test accuracy; in a child process so that its peak RSS
    is its own."""
    code = f"""
import resource, time, torch, torch.nn.functional as F, sys
sys.path.insert(0, {HERE!r})
from torch_worker import lenet5
from pytorch_compare import idx
torch.set_num_threads({threads}); torch.manual_seed(0)
fmt = torch.{layout}
d = "/usr/share/datasets/fashion-mnist/"
start = time.perf_counter()
x = idx(d + "train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
y = idx(d + "train-labels-idx1-ubyte.gz").long()
tx = idx(d + "t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
ty = idx(d + "t10k-labels-idx1-ubyte.gz").long()
m = lenet5().to(memory_format=fmt)
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
perm = torch.randperm(60000)
for i in range(0, 60000, 64):
    b = perm[i:i + 64]
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(m(x[b].contiguous(memory_format=fmt)), y[b]).backward()
    opt.step()
m.eval()
with torch.no_grad():
    acc = (m(tx.contiguous(memory_format=fmt)).argmax(1) == ty).float().mean().item()
t = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(t, rss, acc)
"""
    out = subprocess.run(["/usr/bin/python3", "-c", code], check=True,
                         capture_output=True, text=True,
                         env=torch_env(threads)).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def nnc_epoch(build, threads, cache_dir):
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
                          "--progress", "none", "--threads", str(threads),
                          "--cache-dir", cache_dir],
                         check=True, capture_output=True, text=True)
    t = time.perf_counter() - start
    out = run.stdout
    rss = float(run.stderr.strip().splitlines()[-1]) / 1024
    acc = float(out.split("accuracy ")[-1].split("%")[0]) / 100
    return t, rss, acc


def print_cases(ours, gflop, theirs, peak):
    print(f"{'case':24} {'nnc':>10} {'PyTorch':>10} {'ratio':>6} "
          f"{'GFLOP/s':>8} {'% peak':>7}  PyTorch's fastest variant")
    for case in CASES:
        mine = statistics.median(ours[case])
        best, variant = min((statistics.median(t), v)
                            for (c, v), t in theirs.items() if c == case)
        rate = statistics.median(gflop[case]) / mine
        name, entry, batch = case
        print(f"{name + ' ' + entry + ' @' + str(batch):24} "
              f"{mine * 1e3:8.3f}ms {best * 1e3:8.3f}ms {best / mine:6.2f} "
              f"{rate:8.1f} {100 * rate / peak:6.1f}%  {variant}")


def print_block(ours, theirs):
    print(f"{'conv-BN-ReLU block @64':24} {'fused':>10} {'unfused':>10} "
          f"{'PyTorch':>10} {'unf/fus':>7} {'PyT/fus':>7}  PyTorch variant")
    for case in BLOCK_CASES:
        mode = case[1]
        fused = statistics.median(ours[("block", mode, "fused")])
        unfused = statistics.median(ours[("block", mode, "unfused")])
        best, variant = min((statistics.median(t), v)
                            for (c, v), t in theirs.items() if c == case)
        label = mode + (" (fwd+bwd)" if mode == "train" else "")
        print(f"{label:24} {fused * 1e3:8.3f}ms {unfused * 1e3:8.3f}ms "
              f"{best * 1e3:8.3f}ms {unfused / fused:7.2f} "
              f"{best / fused:7.2f}  {variant}")


def compare_epochs(build, threads):
    """nnc train (first with an empty compile cache, then from it) against
    PyTorch's loop in both layouts, interleaved; the fastest PyTorch loop is
    the baseline."""
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        cold = nnc_epoch(build, threads, cache)
        torch_runs = {"eager": torch_epoch(threads, "contiguous_format")}
        warm = nnc_epoch(build, threads, cache)
        torch_runs["channels_last"] = torch_epoch(threads, "channels_last")
    layout = min(torch_runs, key=lambda k: torch_runs[k][0])
    t_t, t_rss, t_acc = torch_runs[layout]
    print(f"LeNet-5 epoch (process start to test accuracy), {threads} "
          f"threads:")
    for label, (t, rss, acc) in (("nnc, empty compile cache", cold),
                                 ("nnc, from the compile cache", warm),
                                 (f"PyTorch ({layout}, fastest)",
                                  torch_runs[layout])):
        print(f"  {label:30} {t:6.2f} s, peak RSS {rss:6.0f} MiB, "
              f"test accuracy {100 * acc:.2f}%")
    other = [k for k in torch_runs if k != layout][0]
    print(f"  (PyTorch {other}: {torch_runs[other][0]:.2f} s)")
    print(f"  PyTorch / nnc: time {t_t / cold[0]:.2f} (cached "
          f"{t_t / warm[0]:.2f}), memory {t_rss / cold[1]:.2f}; the cache "
          f"saves {cold[0] - warm[0]:.2f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int,
                    default=len(os.sched_getaffinity(0)))
    ap.add_argument("--rounds", type=int, default=5,
                    help="nnc and PyTorch rounds, alternating")
    ap.add_argument("--epoch", action="store_true",
                    help="also time a whole LeNet-5 training epoch")
    args = ap.parse_args()
    core = peak_gflops(args.build)
    worker = TorchWorker(args.threads)
    check_baseline(worker.ask(op="config"), core)
    print(f"machine: {cpu_model()}, {len(os.sched_getaffinity(0))} CPUs "
          f"usable; nnc and PyTorch at {args.threads} threads; "
          f"{args.rounds} interleaved rounds, medians")
    ours, gflop, theirs = {}, {}, {}
    for r in range(args.rounds):
        sides = ["nnc", "torch"]
        random.shuffle(sides)
        for side in sides:
            if side == "nnc":
                t, g = nnc_round(args.build, args.threads)
                for k in t:
                    ours.setdefault(k, []).append(t[k])
                for k in g:
                    gflop.setdefault(k, []).append(g[k])
            else:
                for k, v in torch_round(worker).items():
                    theirs.setdefault(k, []).append(v)
    worker.close()
    print_cases(ours, gflop, theirs, core * args.threads)
    print()
    print_block(ours, theirs)
    if args.epoch:
        print()
        compare_epochs(args.build, args.threads)
    return 0


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
