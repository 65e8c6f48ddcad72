"""Authoring nnc models in Python: layers, loss and optimizer, written as
the JSON model files nnc reads (scripts/gen_examples.py makes the example
models with it). Pure Python: it needs neither the native module nor nnc.

    from nnc.builder import Model, adam
    m = Model("mlp", "a one-hidden-layer classifier")
    x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
    h = m.op("Flatten", [x], "flatten")
    h = m.op("Relu", [m.dense(h, 784, 128, "fc1")], "relu")
    m.classifier(x, m.dense(h, 128, 10, "fc2", out="logits"), adam())
    m.write("mlp.json")
"""
import json


class Model:
    """A model under construction: tensors by name, nodes, a loss and an
    optimizer; written as the JSON nnc reads (docs/model-format.md)."""

    def __init__(self, name, description):
        self.name, self.description = name, description
        self.tensors, self.nodes, self.index = [], [], {}
        self.seed = 0

    def tensor(self, name, shape=None, role="ACTIVATION", dtype=None, init=None):
        assert name not in self.index, name
        t = {"name": name, "role": role}
        if dtype:
            t["dtype"] = dtype
        if shape is not None:
            t["shape"] = shape
        if init:
            t["init"] = init
        self.index[name] = len(self.tensors)
        self.tensors.append(t)
        return name

    # PyTorch's default for Conv2d and Linear weights, kaiming_uniform with
    # a = sqrt(5), is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): HE_UNIFORM with gain
    # 1/sqrt(6). Models compared with a PyTorch baseline use it.
    pytorch_init = False

    def init(self, scheme, **kw):
        self.seed += 1
        if scheme == "HE_UNIFORM" and self.pytorch_init and "gain" not in kw:
            kw["gain"] = 1 / 6 ** 0.5
        return dict(scheme=scheme, seed=self.seed, **kw)

    def param(self, name, shape, init, role="PARAMETER"):
        return self.tensor(name, shape, role, init=init)

    def op(self, op, inputs, name, **attrs):
        self.tensor(name)
        node = {"name": name, "op": op,
                "inputs": [self.index[i] for i in inputs],
                "outputs": [self.index[name]]}
        if attrs:
            node["attributes"] = [attr(k, v) for k, v in attrs.items()]
        self.nodes.append(node)
        return name

    def ops(self, op, inputs, name, outputs, **attrs):
        """A node named name with several outputs (tensors named outputs)."""
        for o in outputs:
            self.tensor(o)
        node = {"name": name, "op": op,
                "inputs": [self.index[i] for i in inputs],
                "outputs": [self.index[o] for o in outputs]}
        if attrs:
            node["attributes"] = [attr(k, v) for k, v in attrs.items()]
        self.nodes.append(node)
        return outputs

    # Layers with their parameters.
    def conv(self, x, cin, cout, k, name, pad=0, stride=1):
        w = self.param(name + ".w", [cout, cin, k, k], self.init("HE_UNIFORM"))
        b = self.param(name + ".b", [cout], {"scheme": "ZEROS"})
        return self.op("Conv", [x, w, b], name, pads=[pad] * 4,
                       strides=[stride, stride])

    def dense(self, x, fin, fout, name, init="HE_UNIFORM", out=None):
        w = self.param(name + ".w", [fout, fin], self.init(init))
        b = self.param(name + ".b", [fout], {"scheme": "ZEROS"})
        return self.op("Dense", [x, w, b], out or name)

    # PyTorch's module options: a node that sets one is nn.RNN / nn.GRU /
    # nn.LSTM with them (docs/model-format.md).
    TORCH_OPTIONS = ("num_layers", "bidirectional", "batch_first", "bias",
                     "dropout", "nonlinearity")

    def recurrent(self, op, x, features, hidden, name, **attrs):
        """An Rnn, Gru or Lstm layer over x; weights initialized as PyTorch
        does, U(-1/sqrt(hidden), 1/sqrt(hidden)). With ONNX's attributes
        (layout=1: x is [batch, steps, features]; direction), one layer,
        returning every step's h, the last h (and the last c). With
        PyTorch's options (num_layers=2, batch_first=True, ...), the module,
        returning y, h_n (and c_n) shaped as PyTorch's."""
        gates = {"Rnn": 1, "Gru": 3, "Lstm": 4}[op] * hidden
        torch_form = any(k in attrs for k in self.TORCH_OPTIONS)
        if torch_form:
            dirs = 2 if attrs.get("bidirectional") else 1
            layers = attrs.get("num_layers", 1)
        else:
            dirs = 2 if attrs.get("direction") == "bidirectional" else 1
            layers = 1
        bound = hidden ** -0.5
        u = lambda: self.init("UNIFORM", low=-bound, high=bound)
        operands = [x]
        for k in range(layers):
            prefix = f"{name}.l{k}" if torch_form else name
            fin = features if k == 0 else dirs * hidden
            operands.append(self.param(prefix + ".w", [dirs, gates, fin], u()))
            operands.append(self.param(prefix + ".r", [dirs, gates, hidden],
                                       u()))
            if attrs.get("bias", True):
                operands.append(self.param(prefix + ".b", [dirs, 2 * gates],
                                           u()))
        states = ["h_n", "c_n"] if torch_form else ["y_h", "y_c"]
        outs = [name + ".y", f"{name}.{states[0]}"]
        if op == "Lstm":
            outs.append(f"{name}.{states[1]}")
        return self.ops(op, operands, name, outs, hidden_size=hidden,
                        **attrs)

    def batchnorm(self, x, c, name):
        ones = {"scheme": "CONSTANT", "value": 1.0}
        zeros = {"scheme": "ZEROS"}
        s = self.param(name + ".scale", [c], ones)
        b = self.param(name + ".bias", [c], zeros)
        m = self.param(name + ".mean", [c], zeros, role="STATE")
        v = self.param(name + ".var", [c], ones, role="STATE")
        return self.op("BatchNorm", [x, s, b, m, v], name)

    def maxpool(self, x, name, k=2, stride=None):
        attrs = {"kernel_shape": [k, k]}
        if stride:
            attrs["strides"] = [stride, stride]
        return self.op("MaxPool", [x], name, **attrs)

    def output(self, name):
        self.tensors[self.index[name]]["role"] = "OUTPUT"

    def classifier(self, image, logits, optimizer):
        """Softmax cross-entropy head: infer -> logits, train_step -> loss."""
        label = self.tensor("label", [-1], "LABEL", dtype="I64")
        loss = self.op("SoftmaxCrossEntropy", [logits, label], "loss")
        self.finish([image], [logits], [image, label], loss, optimizer,
                    metrics=["accuracy"])

    def finish(self, infer_in, infer_out, train_in, loss, optimizer, metrics=()):
        for t in infer_out + [loss]:
            self.output(t)
        idx = lambda names: [self.index[n] for n in names]
        self.entry_points = [
            {"name": "infer", "inputs": idx(infer_in), "outputs": idx(infer_out)},
            {"name": "train_step", "inputs": idx(train_in), "outputs": idx([loss])},
        ]
        self.training = {"loss": self.index[loss], "optimizer": optimizer,
                         "metrics": list(metrics), "batch_size": 64}

    def document(self, producer="nnc.builder"):
        """The model as the JSON document nnc reads (a dict)."""
        return {"schema_version": 1, "name": self.name,
                "description": self.description, "producer": producer,
                "tensors": self.tensors, "nodes": self.nodes,
                "entry_points": self.entry_points, "training": self.training}

    def write(self, path, producer="nnc.builder"):
        """Writes the model as JSON (nnc convert turns it into .nnc)."""
        with open(path, "w") as f:
            json.dump(self.document(producer), f, indent=1)
            f.write("\n")


def attr(name, v):
    if isinstance(v, bool) or isinstance(v, int):
        return {"name": name, "i": int(v)}
    if isinstance(v, float):
        return {"name": name, "f": v}
    if isinstance(v, str):
        return {"name": name, "s": v}
    if all(isinstance(x, int) for x in v):
        return {"name": name, "ints": list(v)}
    return {"name": name, "floats": [float(x) for x in v]}


def adam(lr=1e-3):
    """torch.optim.Adam's defaults, with lr."""
    return {"kind": "ADAM", "lr": lr, "betas": [0.9, 0.999], "eps": 1e-8}
