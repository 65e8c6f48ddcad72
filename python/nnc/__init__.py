"""nnc from Python: models loaded, compiled and trained by the nnc compiler.

    import nnc, numpy as np
    model = nnc.load("examples/models/lenet5.json")
    infer = model.compile("infer")
    logits = infer(image=np.zeros((8, 1, 28, 28), np.float32))["logits"]
    trainer = model.trainer(optimizer="adam", lr=1e-3)
    loss = trainer.step(image=images, label=labels)

Everything runs through the same code as the nnc tool; its errors raise
nnc.Error with nnc's message. See docs/python.md.
"""
import json as _json

from ._nnc import Error, Function, Model, Trainer
from ._nnc import _load_onnx
from ._nnc import load as _load
from ._nnc import main as _main

__all__ = ["Error", "Function", "Model", "Trainer", "from_torch", "load",
           "main"]


def load(path):
    """A model from a .nnc, .json or .onnx file, verified."""
    return _load(str(path))


def from_torch(module, example_inputs, input_names=None, output_names=None,
               opset=13):
    """A torch.nn.Module as an nnc model, through torch.onnx in memory.

    example_inputs is a tensor or a tuple of them (their first dimension is
    the batch, any size then); the module is exported as it is (call
    .eval() first for inference). Only this function needs torch.
    """
    import io

    import torch

    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    input_names = input_names or [f"input{i}" if len(example_inputs) > 1
                                  else "input"
                                  for i in range(len(example_inputs))]
    buffer = io.BytesIO()
    with torch.no_grad():
        outputs = module(*example_inputs)
    count = len(outputs) if isinstance(outputs, (tuple, list)) else 1
    output_names = output_names or [f"output{i}" if count > 1 else "output"
                                    for i in range(count)]
    batch = {name: {0: "N"} for name in input_names + output_names}
    torch.onnx.export(module, tuple(example_inputs), buffer,
                      input_names=input_names, output_names=output_names,
                      dynamic_axes=batch, opset_version=opset)
    return _load_onnx(buffer.getvalue(), type(module).__name__)


def main(args):
    """Runs the nnc command line with args; returns its exit status."""
    return _main([str(a) for a in args])


def _trainer(self, optimizer="sgd", loss=None, batch_statistics=True,
             engine="jit", threads=0, attach_loss=None, output=None,
             **hparams):
    """The model's train step, compiled, stepped on batches you bring.

    optimizer is torch.optim's name (sgd, momentum, nesterov, adagrad,
    adadelta, rmsprop, adam, adamw) and hparams its arguments by name (lr,
    betas, weight_decay, ...); loss names the scalar minimized (default: the
    model's training loss). A model without a loss (one from PyTorch) gets
    one with attach_loss: "softmax-ce" or "nll" (class labels "label"),
    "mse", "bce", "bce-logits", on its only output or on output. Dropout is
    off, so steps are reproducible; batch_statistics=False uses BatchNorm's
    running statistics (eval()).
    """
    return self._trainer(loss=loss or "", optimizer=optimizer,
                         hparams=_json.dumps(hparams),
                         batch_statistics=batch_statistics, engine=engine,
                         threads=threads, attach_loss=attach_loss or "",
                         output=output or "")


Model.trainer = _trainer
