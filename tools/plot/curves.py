# Draws the curves of an nnc train --log file: loss and accuracy against
# the step, for the training rows (every N steps, and per epoch) and the
# validation and test evaluations. Called by nnc plot as
#   python3 curves.py LOG OUT FORMAT
# and writes OUT through a temporary file, so OUT is never half-written.
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(path):
    with open(path, newline="") as f:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return list(csv.DictReader(f))


def number(v):
    if v is None or v == "":
        return None
    return float(v)


def series(data, kind, column):
    xs, ys = [], []
    for r in data:
        if r.get("kind") == kind and number(r.get(column)) is not None:
            xs.append(number(r["step"]))
            ys.append(number(r[column]))
    return xs, ys


def main():
    log, out, fmt = sys.argv[1:4]
    data = rows(log)
    if not data:
        sys.exit(f"{log}: no rows to draw")
    fig, (loss, acc) = plt.subplots(1, 2, figsize=(11, 4))
    curves = [("step", "train", "train (running)", ":"),
              ("epoch", "train", "train", "-"),
              ("epoch", "val", "validation", "-"),
              ("epoch", "test", "test", "-")]
    for ax, metric in ((loss, "loss"), (acc, "accuracy")):
        for kind, split, label, style in curves:
            xs, ys = series(data, kind, f"{split}_{metric}")
            if xs:
                ax.plot(xs, ys, style, marker="o" if kind == "epoch" else None,
                        label=label)
        ax.set_xlabel("step")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.suptitle(os.path.basename(log))
    fig.tight_layout()
    tmp = out + ".tmp"
    fig.savefig(tmp, format=fmt)
    os.replace(tmp, out)


main()
