#!/usr/bin/python3
"""Exports a PyTorch LeNet-5 to ONNX, as a PyTorch user would, with a batch
of inputs and PyTorch's outputs for them, so nnc's import can be checked:

    /usr/bin/python3 examples/onnx/export_lenet5.py OUT
    nnc run OUT/lenet5.onnx --input input=OUT/input.bin --output-dir OUT/nnc
    # OUT/nnc/logits.bin must match OUT/logits.bin

OUT/input.bin: float32 [8, 1, 28, 28]; OUT/logits.bin: float32 [8, 10].
The batch dimension is exported as dynamic.
"""
import os
import sys

import torch
import torch.nn as nn


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out/onnx"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = lenet5().eval()
    x = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(out, "lenet5.onnx"),
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}},
                      opset_version=13)
    with open(os.path.join(out, "input.bin"), "wb") as f:
        f.write(x.numpy().tobytes())
    with open(os.path.join(out, "logits.bin"), "wb") as f:
        f.write(y.numpy().tobytes())
    print(f"wrote {out}/lenet5.onnx, input.bin and logits.bin")


if __name__ == "__main__":
    main()
