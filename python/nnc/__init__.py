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
from ._nnc import load as _load
from ._nnc import main as _main

__all__ = ["Error", "Function", "Model", "Trainer", "load", "main"]


def load(path):
    """A model from a .nnc, .json or .onnx file, verified."""
    return _load(str(path))


def main(args):
    """Runs the nnc command line with args; returns its exit status."""
    return _main([str(a) for a in args])


def _trainer(self, optimizer="sgd", loss=None, batch_statistics=True,
             engine="jit", threads=0, **hparams):
    """The model's train step, compiled, stepped on batches you bring.

    optimizer is torch.optim's name (sgd, momentum, nesterov, adagrad,
    adadelta, rmsprop, adam, adamw) and hparams its arguments by name (lr,
    betas, weight_decay, ...); loss names the scalar minimized (default: the
    model's training loss). Dropout is off, so steps are reproducible;
    batch_statistics=False uses BatchNorm's running statistics (eval()).
    """
    return self._trainer(loss=loss or "", optimizer=optimizer,
                         hparams=_json.dumps(hparams),
                         batch_statistics=batch_statistics, engine=engine,
                         threads=threads)


Model.trainer = _trainer
