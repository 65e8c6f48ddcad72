#!/usr/bin/python3
"""Data-parallel training on one machine over loopback: samples per second
of `nnc train` at 1, 2 and 4 MPI ranks, and the time per step rank 0 spends
waiting for the gradients' sums.

Each configuration runs --steps training steps of the global batch (the
first compile excluded: the figure is the epoch's own clock, which starts
after it) and the configurations alternate --repeats times; the figure is
the median. Threads per rank are chosen so that ranks x threads = the CPUs
this process may use, and more ranks than CPUs run oversubscribed (one
thread each). Says which machine it ran on and how many cores really run
in parallel (two busy processes against one).

    /usr/bin/python3 bench/data_parallel.py --nnc build/tools/nnc
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl_vader_single_copy_mechanism="none")


def parallel_cores():
    """Loop iterations of two busy processes together over one alone."""
    code = "import time\nt=time.perf_counter()+1\nn=0\n" \
           "while time.perf_counter()<t: n+=1\nprint(n)"
    one = max(int(subprocess.run(["python3", "-c", code],
                                 capture_output=True, text=True).stdout)
              for _ in range(2))
    procs = [subprocess.Popen(["python3", "-c", code], stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    two = sum(int(p.communicate()[0]) for p in procs)
    return two / one


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def run(nnc, model, ranks, threads, batch, steps):
    path = os.path.join(HERE, "..", "examples", "models", model + ".json")
    log = f"/tmp/nnc_data_parallel_{os.getpid()}.csv"
    cmd = [nnc, "train", path, "--data", "fashion-mnist", "--batch",
           str(batch), "--max-steps", str(steps), "--limit-test", "64",
           "--threads", str(threads), "--progress", "none", "-v",
           "--log", log]
    if ranks > 1:
        cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)] + cmd
    else:
        cmd += ["--distributed", "off"]
    out = subprocess.run(cmd, env=ENV, check=True, capture_output=True,
                         text=True).stdout
    # The log's images/s: the epoch's own clock, at full precision.
    with open(log) as f:
        row = list(csv.DictReader(f))[-1]
    os.remove(log)
    wait = re.search(r"waited ([0-9.]+) ms", out)
    return float(row["images_per_second"]), float(wait.group(1)) if wait else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nnc", default=os.path.join(HERE, "..", "build",
                                                  "tools", "nnc"))
    ap.add_argument("--models", default="lenet5,convbn")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cpus = len(os.sched_getaffinity(0))
    print(f"machine: {cpu_model()}, {cpus} CPUs for this process; two busy "
          f"processes ran {parallel_cores():.2f}x as much as one")
    configs = [(1, cpus), (2, max(1, cpus // 2)), (4, max(1, cpus // 4))]
    for model in args.models.split(","):
        got = {c: [] for c in configs}
        for _ in range(args.repeats):
            for ranks, threads in configs:
                got[(ranks, threads)].append(
                    run(args.nnc, model, ranks, threads, args.batch,
                        args.steps))
        base = statistics.median(s for s, _ in got[configs[0]])
        print(f"\n{model}, global batch {args.batch}, {args.steps} steps")
        print("ranks x threads   samples/s   vs 1 rank   wait ms/step (rank 0)")
        for ranks, threads in configs:
            rate = statistics.median(s for s, _ in got[(ranks, threads)])
            wait = statistics.median(w for _, w in got[(ranks, threads)])
            over = " (oversubscribed)" if ranks * threads > cpus else ""
            print(f"{ranks} x {threads:<14}{rate:10.0f}   {rate / base:8.2f}   "
                  f"{wait:10.3f}{over}")


if __name__ == "__main__":
    main()
