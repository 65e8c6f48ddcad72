//===- ir/ops/Recurrent.cpp - Rnn, Gru and Lstm ---------------------------===//
//
// ONNX's RNN, GRU and LSTM (ir/Recurrence.h has their math). Attributes as
// ONNX names them, except that 'activations' is one comma-separated string
// (empty: the defaults) and activation_alpha / activation_beta hold one
// value per listed activation (empty: each function's default), where
// ONNX lists values only for the functions that take them.
//
//===----------------------------------------------------------------------===//
#include "ir/RecurrentOps.h"
#include "ir/ops/OpHelpers.h"

#include <cctype>

namespace nnc::ir {

using recurrent::Activation;
using recurrent::Cell;
using namespace nnc::ir::ops;

bool isRecurrent(OpKind K) {
  return K == OpKind::Rnn || K == OpKind::Gru || K == OpKind::Lstm;
}

bool isRecurrentGrad(OpKind K) {
  return K == OpKind::RnnGrad || K == OpKind::GruGrad || K == OpKind::LstmGrad;
}

Cell cellOf(OpKind K) {
  return K == OpKind::Lstm || K == OpKind::LstmGrad ? Cell::Lstm
         : K == OpKind::Gru || K == OpKind::GruGrad ? Cell::Gru
                                                    : Cell::Rnn;
}

OpKind recurrentGradOf(OpKind K) {
  return K == OpKind::Lstm  ? OpKind::LstmGrad
         : K == OpKind::Gru ? OpKind::GruGrad
                            : OpKind::RnnGrad;
}

size_t recurrentOutputs(OpKind K) { return cellOf(K) == Cell::Lstm ? 3 : 2; }

RecurrentGradOperands recurrentGradOperands(const Node &N) {
  RecurrentGradOperands O;
  size_t Next = 4;
  const Ints &Has = N.Attrs.getInts("gradients");
  for (size_t I = 0; I < 3; ++I)
    if (I < Has.size() && Has[I])
      O.Dy[I] = Next++;
  if (N.Attrs.getInt("peepholes"))
    O.Peepholes = Next++;
  if (N.Attrs.getInt("lengths"))
    O.Lengths = Next++;
  return O;
}

RecurrentOperands recurrentOperands(const Node &N) {
  RecurrentOperands O;
  size_t Next = 4, Given = N.Inputs.size();
  auto Take = [&]() -> std::optional<size_t> {
    size_t I = Next++;
    return I < Given ? std::optional<size_t>(I) : std::nullopt;
  };
  O.InitialH = Take();
  if (N.Op == OpKind::Lstm) {
    O.InitialC = Take();
    O.Peepholes = Take();
  }
  O.Lengths = Take();
  return O;
}

std::optional<Activation> findActivation(std::string_view Name) {
  for (int64_t I = 0; I < recurrent::NumActivations; ++I) {
    std::string_view Known = recurrent::ActivationTable[I].Name;
    bool Same = Known.size() == Name.size();
    for (size_t C = 0; Same && C < Name.size(); ++C)
      Same = std::tolower(static_cast<unsigned char>(Name[C])) ==
             std::tolower(static_cast<unsigned char>(Known[C]));
    if (Same)
      return Activation(I);
  }
  return std::nullopt;
}

namespace {

std::vector<std::string> splitNames(const std::string &List) {
  std::vector<std::string> Names;
  size_t Begin = 0;
  while (Begin <= List.size() && !List.empty()) {
    size_t End = List.find(',', Begin);
    if (End == std::string::npos)
      End = List.size();
    std::string Name = List.substr(Begin, End - Begin);
    while (!Name.empty() && Name.front() == ' ')
      Name.erase(Name.begin());
    while (!Name.empty() && Name.back() == ' ')
      Name.pop_back();
    Names.push_back(Name);
    Begin = End + 1;
  }
  return Names;
}

/// The activations, alphas and betas of every direction.
Status resolveActivations(const Node &N, recurrent::Params &P,
                          recurrent::Reals &R) {
  Cell C = cellOf(N.Op);
  int64_t PerDir = recurrent::activationCount(C);
  int64_t Count = PerDir * recurrent::directions(P);
  std::vector<std::string> Names = splitNames(N.Attrs.getString("activations"));
  if (Names.empty()) {
    const char *Defaults[] = {C == Cell::Rnn ? "Tanh" : "Sigmoid", "Tanh",
                              "Tanh"};
    for (int64_t I = 0; I < Count; ++I)
      Names.push_back(Defaults[I % PerDir]);
  }
  if (int64_t(Names.size()) != Count)
    return error("attribute 'activations' lists ", Names.size(),
                 " functions, expected ", Count, " (", PerDir,
                 " per direction)");
  const std::vector<double> &Alpha = N.Attrs.getFloats("activation_alpha");
  const std::vector<double> &Beta = N.Attrs.getFloats("activation_beta");
  for (const auto *List : {&Alpha, &Beta})
    if (!List->empty() && int64_t(List->size()) != Count)
      return error("attribute '",
                   List == &Alpha ? "activation_alpha" : "activation_beta",
                   "' has ", List->size(), " values, expected one per ",
                   "activation (", Count, ") or none");
  for (int64_t I = 0; I < Count; ++I) {
    std::optional<Activation> A = findActivation(Names[size_t(I)]);
    if (!A)
      return error("unknown activation '", Names[size_t(I)],
                   "' (expected Relu, Tanh, Sigmoid, Affine, LeakyRelu, "
                   "ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign "
                   "or Softplus)");
    const recurrent::ActivationInfo &Info =
        recurrent::ActivationTable[int64_t(*A)];
    P.Act[I] = int64_t(*A);
    R.Alpha[I] = Alpha.empty() ? Info.Alpha : Alpha[size_t(I)];
    R.Beta[I] = Beta.empty() ? Info.Beta : Beta[size_t(I)];
  }
  return Status::success();
}

/// Params and Reals from the attributes and x's shape.
Expected<std::pair<recurrent::Params, recurrent::Reals>>
resolve(const Node &N, const Shape &X) {
  recurrent::Params P{};
  recurrent::Reals R{};
  P.Kind = int64_t(cellOf(N.Op));
  const std::string &Dir = N.Attrs.getString("direction");
  if (Dir == "forward")
    P.Direction = int64_t(recurrent::Direction::Forward);
  else if (Dir == "reverse")
    P.Direction = int64_t(recurrent::Direction::Reverse);
  else if (Dir == "bidirectional")
    P.Direction = int64_t(recurrent::Direction::Bidirectional);
  else
    return error("attribute 'direction' is '", Dir,
                 "', expected forward, reverse or bidirectional");
  int64_t Layout = N.Attrs.getInt("layout");
  if (Layout != 0 && Layout != 1)
    return error("attribute 'layout' is ", Layout,
                 ", expected 0 ([steps, batch, ...]) or 1 ([batch, steps, "
                 "...])");
  P.BatchFirst = Layout;
  P.Hidden = N.Attrs.getInt("hidden_size");
  // Bounded so that gates x hidden and the weights' sizes cannot overflow.
  if (P.Hidden < 1 || P.Hidden > (int64_t(1) << 24))
    return error("attribute 'hidden_size' is ", P.Hidden,
                 ", expected in [1, 16777216]");
  if (X.size() == 3) {
    P.Steps = X[Layout ? 1 : 0];
    P.Batch = X[Layout ? 0 : 1];
    P.Input = X[2];
  }
  if (cellOf(N.Op) == Cell::Lstm)
    P.InputForget = N.Attrs.getInt("input_forget") != 0;
  if (cellOf(N.Op) == Cell::Gru)
    P.LinearBeforeReset = N.Attrs.getInt("linear_before_reset") != 0;
  P.Save = isRecurrent(N.Op) && N.Attrs.getInt("save_for_backward") != 0;
  R.Clip = N.Attrs.getFloat("clip");
  if (!(R.Clip > 0))
    return error("attribute 'clip' is ", R.Clip,
                 ", expected > 0 (inf: no clipping)");
  NNC_TRY(resolveActivations(N, P, R));
  return std::make_pair(P, R);
}

Status expectShape(const Node &N, const Types &In, size_t I, const Shape &Want,
                   DType Elt) {
  if (In[I].Dims != Want || In[I].Elt != Elt)
    return error(operand(N, In, I), " must be ", dtypeName(Elt),
                 shapeString(Want));
  return Status::success();
}

/// x checked, the attributes resolved against its shape.
Expected<std::pair<recurrent::Params, recurrent::Reals>>
checkedParams(const Node &N, const Types &In) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 3));
  return resolve(N, In[0].Dims);
}

/// Shapes of a state (initial_h, y_h, ...) and of y, by layout.
Shape stateShape(const recurrent::Params &P) {
  int64_t D = recurrent::directions(P);
  return P.BatchFirst ? Shape{P.Batch, D, P.Hidden}
                      : Shape{D, P.Batch, P.Hidden};
}
Shape outputShape(const recurrent::Params &P) {
  int64_t D = recurrent::directions(P);
  return P.BatchFirst ? Shape{P.Batch, P.Steps, D, P.Hidden}
                      : Shape{P.Steps, D, P.Batch, P.Hidden};
}

Status inferRecurrent(const Node &N, const Types &In, Types &Out) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      checkedParams(N, In);
  if (!PR.ok())
    return PR.status();
  const recurrent::Params &P = PR->first;
  int64_t D = recurrent::directions(P), H = P.Hidden;
  int64_t GH = recurrent::gateCount(cellOf(N.Op)) * H;
  DType F = In[0].Elt;
  if (P.Steps < 1 || P.Batch < 1 || P.Input < 1)
    return error(operand(N, In, 0),
                 " must have steps, batch and features >= 1");
  RecurrentOperands O = recurrentOperands(N);
  NNC_TRY(expectShape(N, In, O.W, {D, GH, P.Input}, F));
  NNC_TRY(expectShape(N, In, O.R, {D, GH, H}, F));
  if (In.size() > O.B)
    NNC_TRY(expectShape(N, In, O.B, {D, 2 * GH}, F));
  if (O.Peepholes)
    NNC_TRY(expectShape(N, In, *O.Peepholes, {D, 3 * H}, F));
  Shape State = stateShape(P);
  for (std::optional<size_t> S : {O.InitialH, O.InitialC})
    if (S)
      NNC_TRY(expectShape(N, In, *S, State, F));
  if (O.Lengths) {
    NNC_TRY(expectInteger(N, In, *O.Lengths));
    NNC_TRY(expectShape(N, In, *O.Lengths, {P.Batch}, In[*O.Lengths].Elt));
  }
  Out = {TensorType{F, outputShape(P)}, TensorType{F, State}};
  if (N.Op == OpKind::Lstm)
    Out.push_back(TensorType{F, State});
  if (P.Save) // in X's row order
    Out.push_back(TensorType{
        F, {D, In[0].Dims[0], In[0].Dims[1], recurrent::savedRowFloats(P)}});
  return Status::success();
}

// The gradients of a recurrent op (ir/RecurrenceBackward.h): operands x,
// w, r and what the forward saved, then those of dy, dy_h, dy_c that
// reach the loss ('gradients' says which), then p and sequence_lens when
// the forward had them. Results: dx, dw, dr, db, [dp,] dh0[, dc0], shaped
// as the forward's operands.
Status inferRecurrentGrad(const Node &N, const Types &In, Types &Out) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      checkedParams(N, In);
  if (!PR.ok())
    return PR.status();
  const recurrent::Params &P = PR->first;
  RecurrentGradOperands O = recurrentGradOperands(N);
  size_t Given =
      4 + size_t(O.Peepholes.has_value()) + size_t(O.Lengths.has_value());
  for (const std::optional<size_t> &Dy : O.Dy)
    Given += Dy.has_value();
  if (In.size() != Given)
    return error("takes ", Given, " operands by its attributes, found ",
                 In.size());
  int64_t D = recurrent::directions(P), H = P.Hidden;
  int64_t GH = recurrent::gateCount(cellOf(N.Op)) * H;
  DType F = In[0].Elt;
  NNC_TRY(expectShape(N, In, 1, {D, GH, P.Input}, F));
  NNC_TRY(expectShape(N, In, 2, {D, GH, H}, F));
  NNC_TRY(expectShape(
      N, In, 3, {D, In[0].Dims[0], In[0].Dims[1], recurrent::savedRowFloats(P)},
      F));
  Shape State = stateShape(P), Y = outputShape(P);
  for (size_t I = 0; I < 3; ++I)
    if (O.Dy[I])
      NNC_TRY(expectShape(N, In, *O.Dy[I], I == 0 ? Y : State, F));
  Out = {In[0], In[1], In[2], TensorType{F, {D, 2 * GH}}};
  if (cellOf(N.Op) == Cell::Lstm)
    Out.push_back(TensorType{F, {D, 3 * H}});
  Out.push_back(TensorType{F, State});
  if (cellOf(N.Op) == Cell::Lstm)
    Out.push_back(TensorType{F, State});
  return Status::success();
}

/// Two flops per multiply-add of the projections, plus the gate math.
int64_t recurrentFlops(const Node &N) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      resolve(N, N.Inputs[0]->Type.Dims);
  if (!PR.ok())
    return 0;
  const recurrent::Params &P = PR->first;
  int64_t GH = recurrent::gateCount(cellOf(N.Op)) * P.Hidden;
  int64_t PerStep = 2 * P.Batch * GH * (P.Input + P.Hidden) + 8 * P.Batch * GH;
  return recurrent::directions(P) * P.Steps * PerStep;
}

/// Twice the forward's: the gates' gradients meet W and R twice each.
int64_t recurrentGradFlops(const Node &N) { return 2 * recurrentFlops(N); }

std::vector<AttrSpec> recurrentAttrs(OpKind K) {
  Cell C = cellOf(K);
  std::vector<AttrSpec> A = {{"hidden_size", int64_t(0), true},
                             {"direction", std::string("forward")},
                             {"activations", std::string()},
                             {"activation_alpha", Floats{}},
                             {"activation_beta", Floats{}},
                             {"clip", Inf},
                             {"layout", int64_t(0)}};
  if (C == Cell::Lstm)
    A.push_back({"input_forget", int64_t(0)});
  if (C == Cell::Gru)
    A.push_back({"linear_before_reset", int64_t(0)});
  if (isRecurrent(K)) {
    A.push_back({"save_for_backward", int64_t(0)});
  } else {
    A.push_back({"gradients", Ints{}, true});
    A.push_back({"peepholes", int64_t(0)});
    A.push_back({"lengths", int64_t(0)});
  }
  return A;
}

} // namespace

Expected<std::pair<recurrent::Params, recurrent::Reals>>
recurrentParams(const Node &N) {
  return resolve(N, N.Inputs[0]->Type.Dims);
}

namespace ops {

void registerRecurrentOps() {
  for (OpKind K : {OpKind::Rnn, OpKind::Gru})
    define({.Kind = K,
            .Operands = {"x", "w", "r", "b", "initial_h", "sequence_lens"},
            .MinInputs = 3,
            .NumOutputs = -1,
            .Attrs = recurrentAttrs(K),
            .Infer = inferRecurrent,
            .Flops = recurrentFlops});
  define({.Kind = OpKind::Lstm,
          .Operands = {"x", "w", "r", "b", "initial_h", "initial_c", "p",
                       "sequence_lens"},
          .MinInputs = 3,
          .NumOutputs = -1,
          .Attrs = recurrentAttrs(OpKind::Lstm),
          .Infer = inferRecurrent,
          .Flops = recurrentFlops});
  // The operands after 'saved' are those the attributes say, in this
  // order; the names are those of the most common case.
  for (OpKind K : {OpKind::RnnGrad, OpKind::GruGrad, OpKind::LstmGrad})
    define({.Kind = K,
            .Operands = {"x", "w", "r", "saved", "dy", "dy_h", "dy_c", "p",
                         "sequence_lens"},
            .MinInputs = 4,
            .NumOutputs = -1,
            .Attrs = recurrentAttrs(K),
            .Infer = inferRecurrentGrad,
            .Flops = recurrentGradFlops});
}

} // namespace ops
} // namespace nnc::ir
