#!/usr/bin/python3
"""--threads 2 against --threads 1, on free cores and on a machine that can
run only one of the two threads at a time.

Modes:
  free       nothing else runs;
  one-cpu    nnc is confined to one CPU (taskset -c 0): its two threads
             share it, as on a machine whose vCPUs deliver one core;
  busy       a CPU-bound process is pinned to CPU 1 and nnc runs unpinned,
             as on a shared machine with a busy neighbour.
For each case, runs of 1 and 2 threads alternate --repeats times; each run
is `nnc bench` (fused, its own median over --rounds rounds); the figure is
the median over the repeats. Prints t1, t2 and t2 / t1 (> 1: the second
thread makes it slower).

    /usr/bin/python3 bench/thread_scaling.py --nnc build/tools/nnc
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [("lenet5", "infer", 64), ("lenet5", "train_step", 64),
         ("lenet5", "infer", 1), ("convbn", "infer", 1),
         ("convbn", "infer", 64), ("convbn", "train_step", 64),
         ("lstm_fmnist", "infer", 64), ("lstm_fmnist", "train_step", 64),
         ("gru_fmnist", "infer", 64), ("gru_fmnist", "train_step", 64)]


def fused_ms(nnc, case, threads, rounds, wrapper):
    model, entry, batch = case
    path = os.path.join(HERE, "..", "examples", "models", model + ".json")
    out = subprocess.run(
        wrapper + [nnc, "bench", path, "--entry", entry, "--batch",
                   str(batch), "--threads", str(threads), "--rounds",
                   str(rounds)],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split()
        if len(cols) > 3 and cols[2] == "fused":
            value = cols[3]
            scale = 1e-3 if value.endswith("us") else 1.0
            return float(value.rstrip("ums")) * scale
    sys.exit(f"thread_scaling: no fused time in nnc bench's output:\n{out}")


def run_mode(nnc, mode, repeats, rounds, only):
    wrapper = ["taskset", "-c", "0"] if mode == "one-cpu" else []
    busy = None
    if mode == "busy":
        busy = subprocess.Popen(["taskset", "-c", "1", "sh", "-c",
                                 "while :; do :; done"])
    try:
        for case in CASES:
            name = f"{case[0]} {case[1]} @{case[2]}"
            if only not in name:
                continue
            times = {1: [], 2: []}
            for _ in range(repeats):
                for threads in (1, 2):
                    times[threads].append(
                        fused_ms(nnc, case, threads, rounds, wrapper))
            t1 = statistics.median(times[1])
            t2 = statistics.median(times[2])
            print(f"{mode:8} {name:24} {t1:9.3f} {t2:9.3f} {t2 / t1:7.2f}",
                  flush=True)
    finally:
        if busy:
            busy.kill()
            busy.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default="build/tools/nnc")
    ap.add_argument("--modes", default="free,one-cpu,busy")
    ap.add_argument("--cases", default="",
                    help="only cases whose name contains this")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("thread_scaling: needs two CPUs")
    print(f"{'mode':8} {'case':24} {'t1 (ms)':>9} {'t2 (ms)':>9} "
          f"{'t2 / t1':>7}")
    for mode in args.modes.split(","):
        run_mode(args.nnc, mode, args.repeats, args.rounds, args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
