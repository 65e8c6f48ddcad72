#!/usr/bin/python3
"""PyTorch references for recurrent layers written in nnc's model format
with PyTorch's options (tests/tools/PyTorchTest.cpp).

For each case, an nn.LSTM, nn.GRU or nn.RNN with random weights, 20 steps,
and the loss sum(y * ry) + sum(h_n * rh) [+ sum(c_n * rc)]. Writes under
OUT/<case>/:
  model.json: the same layer as an nnc model (an Lstm/Gru/Rnn node with
    num_layers, bidirectional, batch_first, bias, nonlinearity), its weights
    in ONNX's layout and gate order, named l<k>.w, l<k>.r, l<k>.b;
  x.bin, h0.bin, c0.bin, lengths.bin (int64): the inputs the case has;
  y.bin, h_n.bin, c_n.bin: the outputs;
  grad/<name>.bin: d loss / d every weight (by the names above) and input;
  adam/<name>.bin: the weights after two Adam steps (lr 0.01);
and OUT/manifest.txt: "<case> <inputs, comma-separated>".
Sequences of different lengths go through pack_padded_sequence, as PyTorch
users feed them; outputs past a sequence's end are zeros there as in nnc.
"""
import json
import os
import sys

import torch
import torch.nn as nn

STEPS, BATCH, FEATURES, HIDDEN = 20, 3, 3, 4
# PyTorch's gates, in ONNX's order: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n ->
# z,r,h.
ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}
MODULE = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
OP = {"lstm": "Lstm", "gru": "Gru", "rnn": "Rnn"}

CASES = {
    "lstm": dict(kind="lstm"),
    "lstm_bidirectional_2_layers_batch_first_lengths": dict(
        kind="lstm", layers=2, bidirectional=True, batch_first=True,
        lengths=True, states=True),
    "lstm_no_bias_2_layers_states": dict(kind="lstm", layers=2, bias=False,
                                         states=True),
    "gru_bidirectional_batch_first": dict(kind="gru", bidirectional=True,
                                          batch_first=True, states=True),
    "gru_2_layers_lengths": dict(kind="gru", layers=2, lengths=True),
    "rnn_tanh_bidirectional_2_layers": dict(kind="rnn", layers=2,
                                            bidirectional=True),
    "rnn_tanh_batch_first_lengths": dict(kind="rnn", batch_first=True,
                                         lengths=True),
    "rnn_relu_2_layers_states": dict(kind="rnn", layers=2,
                                     nonlinearity="relu", states=True),
    "rnn_relu_batch_first_lengths": dict(kind="rnn", batch_first=True,
                                         nonlinearity="relu", lengths=True),
    "rnn_relu_bidirectional_lengths_states": dict(
        kind="rnn", bidirectional=True, nonlinearity="relu", lengths=True,
        states=True),
}


def onnx_form(kind, module, layer, directions, which):
    """PyTorch's weight (ih, hh) or both biases of one layer as ONNX's
    [directions, gates x hidden, ...] tensor, gates reordered."""
    def one(suffix):
        def get(name):
            t = getattr(module, f"{name}_l{layer}{suffix}")
            chunks = t.reshape(len(ORDER[kind]), HIDDEN, *t.shape[1:])
            return chunks[ORDER[kind]].reshape(t.shape)
        if which == "b":
            return torch.cat([get("bias_ih"), get("bias_hh")])
        return get("weight_" + which)
    suffixes = ["", "_reverse"][:directions]
    return torch.stack([one(s) for s in suffixes])


def weights(kind, module, layers, directions, bias, grad=False):
    out = {}
    for layer in range(layers):
        for which, name in (("ih", "w"), ("hh", "r"), ("b", "b")):
            if which == "b" and not bias:
                continue
            if grad:
                saved = {n: p.data for n, p in module.named_parameters()}
                for n, p in module.named_parameters():
                    p.data = p.grad
                t = onnx_form(kind, module, layer, directions, which)
                for n, p in module.named_parameters():
                    p.data = saved[n]
            else:
                t = onnx_form(kind, module, layer, directions, which)
            out[f"l{layer}.{name}"] = t.detach().clone()
    return out


def run(module, case, x, h0, c0, lengths):
    kind, first = case["kind"], case.get("batch_first", False)
    inp = x
    if lengths is not None:
        inp = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=first,
                                                enforce_sorted=False)
    state = None
    if h0 is not None:
        state = (h0, c0) if kind == "lstm" else h0
    y, h = module(inp, state)
    if lengths is not None:
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=first,
                                                total_length=STEPS)
    return (y, h[0], h[1]) if kind == "lstm" else (y, h)


def tensor_json(name, role, t=None, shape=None, dtype="F32", buffer=0):
    d = {"name": name, "role": role}
    if dtype != "F32":
        d["dtype"] = dtype
    if shape is not None:
        d["shape"] = list(shape)
    if buffer:
        d["buffer"] = buffer
    return d


def model_json(name, case, params, inputs, outs, rs):
    """The model: the layer, then the loss sum(out * r) over its outputs."""
    buffers = [{}]
    tensors = []

    def stored(tname, role, t):
        buffers.append({"data": list(t.contiguous().numpy().tobytes())})
        tensors.append(tensor_json(tname, role, shape=t.shape,
                                   buffer=len(buffers) - 1))

    for iname, t in inputs.items():
        dtype = "I64" if t.dtype == torch.int64 else "F32"
        tensors.append(tensor_json(iname, "INPUT", shape=t.shape,
                                   dtype=dtype))
    for pname, t in params.items():
        stored(pname, "PARAMETER", t)
    attrs = [{"name": "hidden_size", "i": HIDDEN},
             {"name": "num_layers", "i": case.get("layers", 1)},
             {"name": "bidirectional", "i": int(case.get("bidirectional",
                                                         False))},
             {"name": "batch_first", "i": int(case.get("batch_first", False))},
             {"name": "bias", "i": int(case.get("bias", True))}]
    if "nonlinearity" in case:
        attrs.append({"name": "nonlinearity", "s": case["nonlinearity"]})
    nodes = [{"name": "rnn", "op": OP[case["kind"]],
              "inputs": ["x", *params, *list(inputs)[1:]],
              "outputs": list(outs),
              "attributes": attrs}]
    terms = []
    for out in outs:
        tensors.append(tensor_json(out, "OUTPUT"))
        stored("r_" + out, "CONSTANT", rs[out])
        for suffix in ("weighted", "sum"):
            tensors.append(tensor_json(f"{out}.{suffix}", "ACTIVATION"))
        nodes.append({"op": "Mul", "inputs": [out, "r_" + out],
                      "outputs": [out + ".weighted"]})
        nodes.append({"op": "ReduceSum", "inputs": [out + ".weighted"],
                      "outputs": [out + ".sum"],
                      "attributes": [{"name": "axes", "ints": [0, 1, 2]}]})
        terms.append(out + ".sum")
    total = terms[0]
    for i, term in enumerate(terms[1:]):
        name = "loss" if i == len(terms) - 2 else f"partial{i}"
        tensors.append(tensor_json(name, "OUTPUT" if name == "loss"
                                   else "ACTIVATION"))
        nodes.append({"op": "Add", "inputs": [total, term],
                      "outputs": [name]})
        total = name
    return {"schema_version": 1, "name": name, "tensors": tensors,
            "buffers": buffers, "nodes": nodes,
            "entry_points": [
                {"name": "infer", "inputs": list(inputs),
                 "outputs": list(outs)},
                {"name": "train_step", "inputs": list(inputs),
                 "outputs": ["loss"]}],
            "training": {"loss": "loss",
                         "optimizer": {"kind": "ADAM", "lr": 0.01}}}


def save(path, t):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().numpy().tobytes())


def make_case(out, name, case):
    kind, layers = case["kind"], case.get("layers", 1)
    directions = 2 if case.get("bidirectional") else 1
    bias, first = case.get("bias", True), case.get("batch_first", False)
    kw = {"nonlinearity": case["nonlinearity"]} if "nonlinearity" in case \
        else {}
    module = MODULE[kind](FEATURES, HIDDEN, num_layers=layers,
                          bidirectional=directions == 2, batch_first=first,
                          bias=bias, **kw)
    shape = (BATCH, STEPS, FEATURES) if first else (STEPS, BATCH, FEATURES)
    inputs = {"x": torch.randn(shape)}
    state_shape = (layers * directions, BATCH, HIDDEN)
    if case.get("states"):
        inputs["h0"] = torch.randn(state_shape)
        if kind == "lstm":
            inputs["c0"] = torch.randn(state_shape)
    if case.get("lengths"):
        inputs["lengths"] = torch.tensor([STEPS - 7, STEPS, STEPS - 13])
    outs = ["y", "h_n", "c_n"] if kind == "lstm" else ["y", "h_n"]

    def forward(grad_inputs):
        fed = {k: (v.clone().requires_grad_(True) if grad_inputs and
                   v.dtype == torch.float32 else v) for k, v in inputs.items()}
        results = run(module, case, fed["x"], fed.get("h0"), fed.get("c0"),
                      fed.get("lengths"))
        return fed, dict(zip(outs, results))

    _, results = forward(False)
    rs = {o: torch.randn(results[o].shape) for o in outs}
    d = os.path.join(out, name)
    params = weights(kind, module, layers, directions, bias)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(model_json(name, case, params, inputs, outs, rs), f)
    for k, v in inputs.items():
        save(os.path.join(d, k + ".bin"), v)
    for o in outs:
        save(os.path.join(d, o + ".bin"), results[o])

    def loss_of(results):
        return sum((results[o] * rs[o]).sum() for o in outs)

    module.zero_grad()
    fed, results = forward(True)
    loss_of(results).backward()
    for k, v in fed.items():
        if v.dtype == torch.float32:
            save(os.path.join(d, "grad", k + ".bin"), v.grad)
    for pname, g in weights(kind, module, layers, directions, bias,
                            grad=True).items():
        save(os.path.join(d, "grad", pname + ".bin"), g)

    adam = torch.optim.Adam(module.parameters(), lr=0.01)
    for _ in range(2):
        adam.zero_grad()
        _, results = forward(False)
        loss_of(results).backward()
        adam.step()
    for pname, t in weights(kind, module, layers, directions, bias).items():
        save(os.path.join(d, "adam", pname + ".bin"), t)
    return f"{name} {','.join(inputs)}"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for i, (name, case) in enumerate(CASES.items()):
        torch.manual_seed(i)
        manifest.append(make_case(out, name, case))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
