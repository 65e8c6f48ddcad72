//===- frontend/TorchRecurrent.cpp - nn.LSTM-style layers in model files --===//
//
// Each layer becomes one ONNX-form op with layout = batch_first, so that
// batch-first data needs no transposes: its y [.., directions, hidden]
// reshapes to PyTorch's [.., directions x hidden] in place, and the next
// layer reads that. Only the states move: PyTorch's h_0 and h_n are
// [layers x directions, batch, hidden] whatever batch_first says.
//
//===----------------------------------------------------------------------===//
#include "frontend/TorchRecurrent.h"

#include "ir/Builder.h"
#include "ir/RecurrentOps.h"

#include <array>

namespace nnc::frontend {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

namespace {

constexpr std::array<const char *, 7> TorchOptions = {
    "num_layers", "bidirectional", "batch_first", "bias",
    "dropout",    "nonlinearity",  "proj_size"};

/// The module's options, checked.
struct TorchLayer {
  int64_t Hidden = 0, Layers = 1, Directions = 1;
  bool BatchFirst = false, Bias = true;
  double Dropout = 0;
  std::string Nonlinearity = "tanh";
};

const char *moduleName(OpKind K) {
  return K == OpKind::Lstm ? "nn.LSTM" : K == OpKind::Gru ? "nn.GRU" : "nn.RNN";
}

Expected<int64_t> intOption(const Attributes &A, const std::string &Where,
                            const char *Name, int64_t Default, int64_t Min,
                            int64_t Max) {
  const AttrValue *V = A.find(Name);
  if (!V)
    return Default;
  const int64_t *I = std::get_if<int64_t>(V);
  if (!I || *I < Min || *I > Max)
    return error(Where, ": '", Name, "' must be an integer (i) in [", Min, ", ",
                 Max, "], found ", attrValueString(*V));
  return *I;
}

Expected<TorchLayer> readOptions(OpKind K, const Attributes &A,
                                 const std::string &Where) {
  for (const auto &[Name, V] : A) {
    bool Known = Name == "hidden_size";
    for (const char *O : TorchOptions)
      Known = Known || Name == O;
    if (!Known)
      return error(Where, ": '", Name, "' is not an option of ", moduleName(K),
                   " (hidden_size, num_layers, bidirectional, batch_first, "
                   "bias, dropout",
                   K == OpKind::Rnn ? ", nonlinearity" : "",
                   "); ONNX's options need a node without PyTorch's");
  }
  TorchLayer L;
  Expected<int64_t> Hidden =
      intOption(A, Where, "hidden_size", 0, 1, int64_t(1) << 24);
  Expected<int64_t> Layers = intOption(A, Where, "num_layers", 1, 1, 1024);
  Expected<int64_t> Bidi = intOption(A, Where, "bidirectional", 0, 0, 1);
  Expected<int64_t> First = intOption(A, Where, "batch_first", 0, 0, 1);
  Expected<int64_t> Bias = intOption(A, Where, "bias", 1, 0, 1);
  Expected<int64_t> Proj = intOption(A, Where, "proj_size", 0, 0, 0);
  for (const auto *E : {&Hidden, &Layers, &Bidi, &First, &Bias, &Proj})
    if (!E->ok())
      return E->status();
  if (*Hidden == 0)
    return error(Where, ": 'hidden_size' is required");
  L.Hidden = *Hidden;
  L.Layers = *Layers;
  L.Directions = *Bidi ? 2 : 1;
  L.BatchFirst = *First != 0;
  L.Bias = *Bias != 0;
  if (const AttrValue *V = A.find("dropout")) {
    const double *F = std::get_if<double>(V);
    if (!F || !(*F >= 0 && *F < 1))
      return error(Where, ": 'dropout' must be a number (f) in [0, 1), found ",
                   attrValueString(*V));
    L.Dropout = *F;
  }
  if (const AttrValue *V = A.find("nonlinearity")) {
    const std::string *S = std::get_if<std::string>(V);
    if (K != OpKind::Rnn)
      return error(Where, ": 'nonlinearity' is an option of nn.RNN only");
    if (!S || (*S != "tanh" && *S != "relu"))
      return error(Where, ": 'nonlinearity' must be \"tanh\" or \"relu\", ",
                   "found ", attrValueString(*V));
    L.Nonlinearity = *S;
  }
  return L;
}

/// Adds nodes to G, naming their outputs after the layer.
class LayerBuilder {
public:
  LayerBuilder(Graph &G, std::string Name) : G(G), Name(std::move(Name)) {}

  Value *value(const std::string &Suffix) {
    return G.addValue(Name + "." + Suffix, Role::Activation,
                      TensorType{DType::F32, {}});
  }
  /// One node; its output is Out or else a new value named Suffix.
  Value *op(OpKind K, std::vector<Value *> Ins, Attributes A,
            const std::string &Suffix, Value *Out = nullptr) {
    if (!Out)
      Out = value(Suffix);
    add(K, Suffix, std::move(Ins), {Out}, std::move(A));
    return Out;
  }
  Node *add(OpKind K, const std::string &Suffix, std::vector<Value *> Ins,
            std::vector<Value *> Outs, Attributes A) {
    Node *N =
        G.addNode(K, Name + "." + Suffix, std::move(Ins), std::move(Outs));
    N->Version = 1;
    N->Attrs = std::move(A);
    return N;
  }
  Value *zeros(const std::string &Suffix, Shape Dims) {
    Value *V = G.addValue(Name + "." + Suffix, Role::Constant,
                          TensorType{DType::F32, Dims});
    V->Data.assign(size_t(numElements(Dims)) * sizeof(float), 0);
    return V;
  }

private:
  Graph &G;
  std::string Name;
};

/// The module's operands, split by what they are.
struct TorchOperands {
  Value *X = nullptr;
  std::vector<std::array<Value *, 3>> Layers; // w, r, b (null: no bias)
  Value *H0 = nullptr, *C0 = nullptr, *Lengths = nullptr;
};

Expected<TorchOperands> splitOperands(OpKind K, const TorchLayer &L,
                                      const std::vector<Value *> &Ins,
                                      const std::string &Where) {
  size_t PerLayer = L.Bias ? 3 : 2, Fixed = 1 + size_t(L.Layers) * PerLayer;
  size_t Extra = K == OpKind::Lstm ? 3 : 2; // h_0[, c_0], sequence_lens
  if (Ins.size() < Fixed || Ins.size() > Fixed + Extra)
    return error(Where, ": expected ", Fixed, " to ", Fixed + Extra,
                 " inputs (x, then w, r", L.Bias ? ", b" : "",
                 " for each layer, then h_0", K == OpKind::Lstm ? ", c_0" : "",
                 " and sequence_lens), found ", Ins.size());
  TorchOperands O;
  O.X = Ins[0];
  for (int64_t I = 0; I < L.Layers; ++I) {
    size_t At = 1 + size_t(I) * PerLayer;
    O.Layers.push_back({Ins[At], Ins[At + 1], L.Bias ? Ins[At + 2] : nullptr});
  }
  // Then h_0[, c_0] in order; an integer operand last is sequence_lens, so
  // that lengths need no initial states before them.
  std::vector<Value *> Rest(Ins.begin() + std::ptrdiff_t(Fixed), Ins.end());
  if (!Rest.empty() && isInteger(Rest.back()->Type.Elt)) {
    O.Lengths = Rest.back();
    Rest.pop_back();
  }
  if (Rest.size() > (K == OpKind::Lstm ? 2u : 1u))
    return error(Where, ": the operand after ",
                 K == OpKind::Lstm ? "h_0 and c_0" : "h_0",
                 " must be sequence_lens (int64)");
  O.H0 = Rest.size() > 0 ? Rest[0] : nullptr;
  O.C0 = Rest.size() > 1 ? Rest[1] : nullptr;
  return O;
}

/// Layer Index's slice of a PyTorch state [layers x directions, batch,
/// hidden], in the layout of the layer's op.
Value *layerState(LayerBuilder &B, const TorchLayer &L, Value *State,
                  int64_t Index, const std::string &What) {
  std::string Suffix = "l" + std::to_string(Index) + "." + What;
  Value *S = State;
  if (L.Layers > 1)
    S = B.op(OpKind::Slice, {S},
             attrs({{"axis", int64_t(0)},
                    {"start", Index * L.Directions},
                    {"end", (Index + 1) * L.Directions}}),
             Suffix);
  if (L.BatchFirst)
    S = B.op(OpKind::Transpose, {S}, attrs({{"perm", Ints{1, 0, 2}}}),
             Suffix + ".batch_first");
  return S;
}

/// The layers' final states joined as PyTorch's [layers x directions,
/// batch, hidden], written to Out.
void joinStates(LayerBuilder &B, const TorchLayer &L,
                const std::vector<Value *> &States, Value *Out,
                const std::string &What) {
  int64_t Axis = L.BatchFirst ? 1 : 0;
  if (!L.BatchFirst && States.size() == 1)
    return; // the layer wrote Out itself
  Value *Joined = States.size() == 1
                      ? States[0]
                      : B.op(OpKind::Concat, States, attrs({{"axis", Axis}}),
                             L.BatchFirst ? What + ".batch_first" : What,
                             L.BatchFirst ? nullptr : Out);
  if (L.BatchFirst)
    B.op(OpKind::Transpose, {Joined}, attrs({{"perm", Ints{1, 0, 2}}}), What,
         Out);
}

/// The layer op's y [steps, directions, batch, hidden] (batch first:
/// [batch, steps, directions, hidden]) as PyTorch's [.., directions x
/// hidden], written to Out when given.
Value *flattenDirections(LayerBuilder &B, const TorchLayer &L, Value *Y,
                         const std::string &Suffix, Value *Out) {
  if (!L.BatchFirst && L.Directions == 2)
    Y = B.op(OpKind::Transpose, {Y}, attrs({{"perm", Ints{0, 2, 1, 3}}}),
             Suffix + ".steps_batch");
  Ints Shape = L.BatchFirst || L.Directions == 2 ? Ints{0, 0, -1}
                                                 : Ints{0, -1, L.Hidden};
  return B.op(OpKind::Reshape, {Y}, attrs({{"shape", Shape}}), Suffix, Out);
}

} // namespace

bool isTorchRecurrent(const Attributes &A) {
  for (const char *O : TorchOptions)
    if (A.has(O))
      return true;
  return false;
}

Status addTorchRecurrent(Graph &G, OpKind K, const std::string &Name,
                         const std::vector<Value *> &Ins,
                         const std::vector<Value *> &Outs,
                         const Attributes &A) {
  std::string Where = "node '" + Name + "' (" + std::string(opName(K)) +
                      ", as " + moduleName(K) + ")";
  Expected<TorchLayer> L = readOptions(K, A, Where);
  if (!L.ok())
    return L.status();
  size_t NumOuts = recurrentOutputs(K);
  if (Outs.size() != NumOuts)
    return error(Where, ": expected ", NumOuts, " outputs (y, h_n",
                 K == OpKind::Lstm ? ", c_n" : "", "), found ", Outs.size());
  Expected<TorchOperands> O = splitOperands(K, *L, Ins, Where);
  if (!O.ok())
    return O.status();

  int64_t D = L->Directions, GH = recurrent::gateCount(cellOf(K)) * L->Hidden;
  Attributes LayerAttrs =
      attrs({{"hidden_size", L->Hidden},
             {"direction", std::string(D == 2 ? "bidirectional" : "forward")},
             {"layout", int64_t(L->BatchFirst)}});
  if (K == OpKind::Gru) // PyTorch's GRU resets after the recurrent product
    LayerAttrs.set("linear_before_reset", int64_t(1));
  if (K == OpKind::Rnn)
    LayerAttrs.set("activations",
                   std::string(L->Nonlinearity == "relu"
                                   ? (D == 2 ? "Relu,Relu" : "Relu")
                                   : (D == 2 ? "Tanh,Tanh" : "Tanh")));

  LayerBuilder B(G, Name);
  // Zero initial states of the batch's size, when sequence_lens is given
  // without them: lengths [batch] lends the batch size to Expand.
  auto ZeroState = [&](const std::string &What) {
    Shape One = L->BatchFirst ? Shape{1, D, L->Hidden} : Shape{D, 1, L->Hidden};
    Ints To = L->BatchFirst ? Ints{0, D, L->Hidden} : Ints{D, 0, L->Hidden};
    return B.op(OpKind::Expand, {B.zeros(What + ".zero", One), O->Lengths},
                attrs({{"shape", To}}), What);
  };
  Value *In = O->X;
  std::vector<Value *> FinalH, FinalC;
  for (int64_t I = 0; I < L->Layers; ++I) {
    std::string Layer = "l" + std::to_string(I);
    if (I > 0 && L->Dropout > 0) // between layers, while training
      In =
          B.op(OpKind::Dropout, {In},
               attrs({{"ratio", L->Dropout}, {"seed", I}}), Layer + ".dropout");
    auto [W, R, Bias] = O->Layers[size_t(I)];
    std::vector<Value *> Operands = {In, W, R};
    bool Later = O->H0 || O->C0 || O->Lengths;
    if (Bias || Later)
      Operands.push_back(Bias ? Bias : B.zeros(Layer + ".b", {D, 2 * GH}));
    if (Later)
      Operands.push_back(O->H0 ? layerState(B, *L, O->H0, I, "h_0")
                               : ZeroState(Layer + ".h_0"));
    if (K == OpKind::Lstm && (O->C0 || O->Lengths)) {
      Operands.push_back(O->C0 ? layerState(B, *L, O->C0, I, "c_0")
                               : ZeroState(Layer + ".c_0"));
      if (O->Lengths)
        Operands.push_back(B.zeros(Layer + ".p", {D, 3 * L->Hidden}));
    }
    if (O->Lengths)
      Operands.push_back(O->Lengths);
    // One layer in ONNX's layout: its states are PyTorch's as they are.
    bool Direct = L->Layers == 1 && !L->BatchFirst;
    std::vector<Value *> LayerOuts = {
        B.value(Layer + ".y"), Direct ? Outs[1] : B.value(Layer + ".y_h")};
    if (K == OpKind::Lstm)
      LayerOuts.push_back(Direct ? Outs[2] : B.value(Layer + ".y_c"));
    B.add(K, Layer, Operands, LayerOuts, LayerAttrs);
    FinalH.push_back(LayerOuts[1]);
    if (K == OpKind::Lstm)
      FinalC.push_back(LayerOuts[2]);
    bool Last = I + 1 == L->Layers;
    In = flattenDirections(B, *L, LayerOuts[0], Layer + ".output",
                           Last ? Outs[0] : nullptr);
  }
  joinStates(B, *L, FinalH, Outs[1], "h_n");
  if (K == OpKind::Lstm)
    joinStates(B, *L, FinalC, Outs[2], "c_n");
  return Status::success();
}

} // namespace nnc::frontend
