//===- frontend/onnx/OnnxOps.cpp - ONNX ops as nnc ops --------------------===//
#include "frontend/onnx/OnnxInternal.h"
#include "ir/Initializers.h"
#include "ir/Pointwise.h"

#include <algorithm>
#include <limits>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

bool hasAttr(const onnx::NodeProto &N, const char *Name) {
  for (const auto &A : N.attribute())
    if (A.name() == Name)
      return true;
  return false;
}

static const onnx::AttributeProto *findAttr(const onnx::NodeProto &N,
                                            const char *Name) {
  for (const auto &A : N.attribute())
    if (A.name() == Name)
      return &A;
  return nullptr;
}

int64_t attrInt(const onnx::NodeProto &N, const char *Name, int64_t Default) {
  const auto *A = findAttr(N, Name);
  return A ? A->i() : Default;
}

double attrFloat(const onnx::NodeProto &N, const char *Name, double Default) {
  const auto *A = findAttr(N, Name);
  return A ? double(A->f()) : Default;
}

Ints attrInts(const onnx::NodeProto &N, const char *Name) {
  const auto *A = findAttr(N, Name);
  return A ? Ints(A->ints().begin(), A->ints().end()) : Ints();
}

std::string attrString(const onnx::NodeProto &N, const char *Name,
                       const std::string &Default) {
  const auto *A = findAttr(N, Name);
  return A ? A->s() : Default;
}

namespace {

using Problems = std::vector<std::string>;
Problems noProblems(const onnx::NodeProto &, int64_t) { return {}; }

Status same(Context &C, const onnx::NodeProto &N, OpKind K, Attributes A = {}) {
  std::vector<Value *> Ins;
  for (int I = 0; I < N.input_size(); ++I)
    if (Value *V = C.value(N, I))
      Ins.push_back(V);
  C.define(N, {C.B.op(K, Ins, std::move(A), C.name(N))});
  return Status::success();
}

// An activation of ir/PointwiseOps.def, from the ONNX op its row names.
Status convertPointwise(Context &C, const onnx::NodeProto &N) {
  for (int64_t I = 0; I < pointwise::NumUnary; ++I) {
    const pointwise::UnaryInfo &Row = pointwise::UnaryTable[I];
    if (N.op_type() != Row.Onnx)
      continue;
    Attributes A;
    for (int J = 0; Row.OnnxAttrs && J < 2; ++J)
      if (*Row.Attrs[J])
        A.set(Row.Attrs[J], attrFloat(N, Row.Attrs[J], Row.Defaults[J]));
    return same(C, N, opKindOf(Unary(I)), std::move(A));
  }
  return error("ONNX op '", N.op_type(), "' is not in the pointwise table");
}

#define SIMPLE(Op, Kind)                                                       \
  Status convert##Op(Context &C, const onnx::NodeProto &N) {                   \
    return same(C, N, OpKind::Kind);                                           \
  }
SIMPLE(GlobalAveragePool, GlobalAvgPool)
SIMPLE(GlobalMaxPool, GlobalMaxPool)
#undef SIMPLE

// Before opset 7, broadcast=1 stretched B over A with B's dimensions
// starting at A's 'axis' (default: aligned to the end, as NumPy's rule
// does); giving B trailing ones makes it NumPy broadcasting.
Value *legacyBroadcast(Context &C, const onnx::NodeProto &N, Value *A,
                       Value *B) {
  if (!attrInt(N, "broadcast", 0) || !hasAttr(N, "axis"))
    return B;
  int64_t Axis = attrInt(N, "axis", 0);
  if (Axis < 0)
    Axis += A->Type.rank();
  Shape S = B->Type.Dims;
  while (int64_t(S.size()) < A->Type.rank() - Axis)
    S.push_back(1);
  if (S == B->Type.Dims)
    return B;
  return C.B.op(OpKind::Reshape, {B},
                attrs({{"shape", std::vector<int64_t>(S.begin(), S.end())}}),
                C.name(N) + ".b_aligned");
}

#define BINARY(Op)                                                             \
  Status convert##Op(Context &C, const onnx::NodeProto &N) {                   \
    Value *A = C.value(N, 0);                                                  \
    C.define(N,                                                                \
             {C.B.op(OpKind::Op, {A, legacyBroadcast(C, N, A, C.value(N, 1))}, \
                     {}, C.name(N))});                                         \
    return Status::success();                                                  \
  }
BINARY(Add)
BINARY(Sub)
BINARY(Mul)
BINARY(Div)
#undef BINARY

// nnc's PRelu has one slope per channel (dim 1). ONNX broadcasts the slope
// NumPy-style: PyTorch's [C, 1, 1] is per-channel and maps onto it; any
// other slope becomes relu(x) - slope * relu(-x).
Status convertPRelu(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0), *Slope = C.value(N, 1);
  int64_t Channels = X->Type.rank() >= 2 ? X->Type.Dims[1] : 1;
  int64_t Count = Slope->Type.numElements();
  // Before opset 7 a 1-D slope was per channel, whatever the rank of x.
  bool Legacy = C.Opset < 7 && Slope->Type.rank() == 1;
  bool PerChannel =
      Count == 1 || (Count == Channels && Slope->Type.Dims[0] == Channels &&
                     (Legacy || Slope->Type.rank() == X->Type.rank() - 1));
  std::string Name = C.name(N);
  if (PerChannel && isStored(Slope->Kind)) {
    Slope->Type.Dims = Slope->DeclaredDims = {Count};
    C.define(N, {C.B.op(OpKind::PRelu, {X, Slope}, {}, Name)});
    return Status::success();
  }
  Value *Pos = C.B.op(OpKind::Relu, {X}, {}, Name + ".pos");
  Value *Neg =
      C.B.op(OpKind::Relu, {C.B.op(OpKind::Neg, {X}, {}, Name + ".negx")}, {},
             Name + ".neg");
  Value *Scaled = C.B.op(OpKind::Mul, {Slope, Neg}, {}, Name + ".scaled");
  C.define(N, {C.B.op(OpKind::Sub, {Pos, Scaled}, {}, Name)});
  return Status::success();
}

Status convertMatMul(Context &C, const onnx::NodeProto &N) {
  Value *A = C.value(N, 0), *B = C.value(N, 1);
  const Shape &AD = A->Type.Dims, &BD = B->Type.Dims;
  if (AD.size() < 2 || BD.size() < 2 ||
      (BD.size() > 2 &&
       (AD.size() != BD.size() ||
        !std::equal(AD.begin(), AD.end() - 2, BD.begin(), BD.end() - 2))))
    return error("MatMul of ", A->Type.str(), " and ", B->Type.str(),
                 " is not supported (the right operand must be a matrix or "
                 "have the left one's batch dimensions; no 1-D operands, no "
                 "broadcast batches)");
  return same(C, N, OpKind::MatMul);
}

Value *scalar(Context &C, const std::string &Name, double V, DType T) {
  return C.B.constant(Name, {}, {V}, T);
}

// Y = alpha * A' B' + beta * C; the common Linear form becomes Dense.
Status convertGemm(Context &C, const onnx::NodeProto &N) {
  Value *A = C.value(N, 0), *B = C.value(N, 1), *Bias = C.value(N, 2);
  if (A->Type.rank() != 2 || B->Type.rank() != 2)
    return error("Gemm's A and B must be matrices, found ", A->Type.str(),
                 " and ", B->Type.str());
  double Alpha = attrFloat(N, "alpha", 1), Beta = attrFloat(N, "beta", 1);
  bool TA = attrInt(N, "transA", 0), TB = attrInt(N, "transB", 0);
  std::string Name = C.name(N);
  if (TB && !TA && Alpha == 1 &&
      (!Bias || (Beta == 1 && Bias->Type.rank() == 1 &&
                 Bias->Type.Dims[0] == B->Type.Dims[0]))) {
    std::vector<Value *> Ins = {A, B};
    if (Bias)
      Ins.push_back(Bias);
    C.define(N, {C.B.op(OpKind::Dense, Ins, {}, Name)});
    return Status::success();
  }
  if (TA)
    A = C.B.op(OpKind::Transpose, {A}, {}, Name + ".a_t");
  if (TB)
    B = C.B.op(OpKind::Transpose, {B}, {}, Name + ".b_t");
  Value *Y = C.B.op(OpKind::MatMul, {A, B}, {},
                    Bias || Alpha != 1 ? Name + ".ab" : Name);
  if (Alpha != 1)
    Y = C.B.op(OpKind::Mul, {Y, scalar(C, Name + ".alpha", Alpha, Y->Type.Elt)},
               {}, Bias ? Name + ".scaled" : Name);
  if (Bias) {
    if (Beta != 1)
      Bias = C.B.op(OpKind::Mul,
                    {Bias, scalar(C, Name + ".beta", Beta, Y->Type.Elt)}, {},
                    Name + ".c");
    Y = C.B.op(OpKind::Add, {Y, Bias}, {}, Name);
  }
  C.define(N, {Y});
  return Status::success();
}

// ONNX's momentum weighs the running statistic (0.9); nnc's, as PyTorch's,
// weighs the batch's (0.1).
Status convertBatchNorm(Context &C, const onnx::NodeProto &N) {
  std::vector<Value *> Ins;
  for (int I = 0; I < 5; ++I)
    Ins.push_back(C.value(N, I));
  double Eps = attrFloat(N, "epsilon", 1e-5);
  double Momentum = 1 - attrFloat(N, "momentum", 0.9);
  // Opsets 9 to 13 have no training_mode: naming the running statistics'
  // outputs (PyTorch's training exports) is what means training. The saved
  // mean and variance are for ONNX's own gradient, which nnc derives.
  bool Training = attrInt(N, "training_mode", 0) != 0;
  for (int I = 1; I < N.output_size(); ++I)
    Training |= !N.output(I).empty();
  for (int I = 3; I < N.output_size(); ++I)
    if (C.Consumed.count(N.output(I)))
      return error("output '", N.output(I), "' (the saved batch statistics) ",
                   "is read, which is not supported");
  if (Training) {
    // ONNX moves the running variance by the batch's biased variance,
    // PyTorch by the unbiased one.
    C.define(N, C.B.ops(OpKind::BatchNormTrain, Ins,
                        attrs({{"epsilon", Eps},
                               {"momentum", Momentum},
                               {"unbiased", int64_t(C.FromPyTorch)}}),
                        3, C.name(N)));
    return Status::success();
  }
  C.define(N, {C.B.op(OpKind::BatchNorm, Ins,
                      attrs({{"epsilon", Eps}, {"momentum", Momentum}}),
                      C.name(N))});
  return Status::success();
}

Problems checkBatchNorm(const onnx::NodeProto &N, int64_t) {
  Problems P;
  if (attrInt(N, "spatial", 1) != 1)
    P.push_back("attribute spatial=0");
  if (hasAttr(N, "is_test") && attrInt(N, "is_test", 0) == 0)
    P.push_back("attribute is_test=0 (training before opset 7)");
  return P;
}

Status convertLRN(Context &C, const onnx::NodeProto &N) {
  return same(C, N, OpKind::LRN,
              attrs({{"size", attrInt(N, "size", 1)},
                     {"alpha", attrFloat(N, "alpha", 1e-4)},
                     {"beta", attrFloat(N, "beta", 0.75)},
                     {"bias", attrFloat(N, "bias", 1.0)}}));
}

// Dropout is the identity at inference; nnc's training lowering applies it
// in train_step at its ratio. A training-mode export (training_mode true)
// is the same op: its randomness is nnc's, not NumPy's.
Status convertDropout(Context &C, const onnx::NodeProto &N) {
  double Ratio = attrFloat(N, "ratio", 0.5);
  if (const OnnxTensor *R = C.constant(N, 1))
    Ratio = decode(R->Raw, R->Elt).at(0);
  else if (N.input_size() > 1 && !N.input(1).empty())
    return runTimeValue(N, 1, "ratio");
  if (N.input_size() > 2 && !N.input(2).empty() && !C.constant(N, 2))
    return runTimeValue(N, 2, "training_mode");
  // Training exports name the mask; it is fine as long as nothing reads it.
  if (N.output_size() > 1 && C.Consumed.count(N.output(1)))
    return error("output 'mask' is read, which is not supported (bool "
                 "tensors cannot be computed at run time)");
  C.define(N, {C.B.op(OpKind::Dropout, {C.value(N, 0)},
                      attrs({{"ratio", Ratio}}), C.name(N))});
  return Status::success();
}

Status convertFlatten(Context &C, const onnx::NodeProto &N) {
  return same(C, N, OpKind::Flatten, attrs({{"axis", attrInt(N, "axis", 1)}}));
}

// Clip: bounds as attributes before opset 11, as optional constant inputs
// from 11 on.
Status convertClip(Context &C, const onnx::NodeProto &N) {
  const double Inf = std::numeric_limits<double>::infinity();
  double Bound[2] = {attrFloat(N, "min", -Inf), attrFloat(N, "max", Inf)};
  for (int I = 1; I <= 2; ++I) {
    if (const OnnxTensor *T = C.constant(N, I))
      Bound[I - 1] = decode(T->Raw, T->Elt).at(0);
    else if (C.value(N, I))
      return runTimeValue(N, I, I == 1 ? "min" : "max");
  }
  C.define(N,
           {C.B.op(OpKind::Clip, {C.value(N, 0)},
                   attrs({{"min", Bound[0]}, {"max", Bound[1]}}), C.name(N))});
  return Status::success();
}

Status convertTranspose(Context &C, const onnx::NodeProto &N) {
  return same(C, N, OpKind::Transpose, attrs({{"perm", attrInts(N, "perm")}}));
}

Status convertConcat(Context &C, const onnx::NodeProto &N) {
  return same(C, N, OpKind::Concat, attrs({{"axis", attrInt(N, "axis", 1)}}));
}

// Before opset 13, (Log)Softmax flattens its input to 2-D at 'axis'
// (default 1) and normalizes the rows; from 13 on it works along one axis
// (default -1).
Status softmax(Context &C, const onnx::NodeProto &N, OpKind K) {
  Value *X = C.value(N, 0);
  if (C.Opset >= 13) {
    C.define(N, {C.B.op(K, {X}, attrs({{"axis", attrInt(N, "axis", -1)}}),
                        C.name(N))});
    return Status::success();
  }
  int64_t Axis = attrInt(N, "axis", 1);
  if (Axis < 0)
    Axis += X->Type.rank();
  if (Axis == X->Type.rank() - 1) {
    C.define(N, {C.B.op(K, {X}, attrs({{"axis", Axis}}), C.name(N))});
    return Status::success();
  }
  Value *Flat =
      C.B.op(OpKind::Flatten, {X}, attrs({{"axis", Axis}}), C.name(N) + ".2d");
  Value *Y =
      C.B.op(K, {Flat}, attrs({{"axis", int64_t(1)}}), C.name(N) + ".rows");
  C.define(N, {C.B.op(OpKind::ReshapeLike, {Y, X}, {}, C.name(N))});
  return Status::success();
}

Status convertSoftmax(Context &C, const onnx::NodeProto &N) {
  return softmax(C, N, OpKind::Softmax);
}
Status convertLogSoftmax(Context &C, const onnx::NodeProto &N) {
  return softmax(C, N, OpKind::LogSoftmax);
}

/// clip(alpha x + beta, 0, 1) from nnc ops.
Value *hardSigmoid(Context &C, Value *X, double Alpha, double Beta,
                   const std::string &Name, const std::string &Out) {
  Value *Scaled =
      C.B.op(OpKind::Mul, {X, scalar(C, Name + ".alpha", Alpha, X->Type.Elt)},
             {}, Name + ".ax");
  Value *Shifted = C.B.op(
      OpKind::Add, {Scaled, scalar(C, Name + ".beta", Beta, X->Type.Elt)}, {},
      Name + ".axb");
  return C.B.op(OpKind::Clip, {Shifted}, attrs({{"min", 0.0}, {"max", 1.0}}),
                Out);
}

Status convertHardSigmoid(Context &C, const onnx::NodeProto &N) {
  std::string Name = C.name(N);
  C.define(N, {hardSigmoid(C, C.value(N, 0), attrFloat(N, "alpha", 0.2),
                           attrFloat(N, "beta", 0.5), Name, Name)});
  return Status::success();
}

// HardSwish(x) = x * HardSigmoid(x) with alpha 1/6, beta 1/2.
Status convertHardSwish(Context &C, const onnx::NodeProto &N) {
  std::string Name = C.name(N);
  Value *X = C.value(N, 0);
  Value *Gate = hardSigmoid(C, X, 1.0 / 6, 0.5, Name, Name + ".gate");
  C.define(N, {C.B.op(OpKind::Mul, {X, Gate}, {}, Name)});
  return Status::success();
}

// Pow: a constant exponent of 2, 1 or 1/2 (squared distances of RBF layers,
// hand-written losses) becomes the cheaper Mul, Identity or Sqrt; any other
// exponent, broadcast, the general Pow. A constant integer exponent is
// converted to the base's type, as ONNX's type rules allow.
Status convertPow(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0);
  std::string Name = C.name(N);
  const OnnxTensor *E = C.constant(N, 1);
  std::vector<double> V = E ? decode(E->Raw, E->Elt) : std::vector<double>();
  if (V.size() == 1 && (V[0] == 0.5 || V[0] == 1 || V[0] == 2)) {
    C.define(N, {V[0] == 2   ? C.B.op(OpKind::Mul, {X, X}, {}, Name)
                 : V[0] == 1 ? C.B.op(OpKind::Identity, {X}, {}, Name)
                             : C.B.op(OpKind::Sqrt, {X}, {}, Name)});
    return Status::success();
  }
  Value *Y = C.value(N, 1);
  if (E && E->Elt != X->Type.Elt)
    Y = C.B.constant(Name + ".exponent", E->Dims, V, X->Type.Elt);
  else if (Y->Type.Elt != X->Type.Elt)
    return error("an exponent of element type ", dtypeName(Y->Type.Elt),
                 " computed at run time, with a base of element type ",
                 dtypeName(X->Type.Elt),
                 ", is not supported (nnc has no Cast)");
  Y = legacyBroadcast(C, N, X, Y);
  C.define(N, {C.B.op(OpKind::Pow, {X, Y}, {}, Name)});
  return Status::success();
}

// ai.onnx.preview.training: one node updates n tensors, inputs R, T, X1..n,
// G1..n, then each state S1..n; outputs X'1..n, then each state'. Each
// tensor becomes one update op.
Status convertTrainingUpdate(Context &C, const onnx::NodeProto &N, OpKind K,
                             int States, Attributes A) {
  int PerTensor = 2 + States, Count = (N.input_size() - 2) / PerTensor;
  std::vector<std::vector<Value *>> Outs(size_t(1 + States));
  for (int I = 0; I < Count; ++I) {
    std::vector<Value *> Ins = {C.value(N, 0), C.value(N, 1)};
    for (int J = 0; J < PerTensor; ++J)
      Ins.push_back(C.value(N, 2 + J * Count + I));
    std::vector<Value *> R = C.B.ops(K, Ins, A, size_t(1 + States),
                                     C.name(N) + "." + std::to_string(I));
    for (size_t J = 0; J < R.size(); ++J)
      Outs[J].push_back(R[J]);
  }
  std::vector<Value *> All;
  for (const auto &O : Outs)
    All.insert(All.end(), O.begin(), O.end());
  C.define(N, All);
  return Status::success();
}

template <int PerTensor>
Problems checkTrainingUpdate(const onnx::NodeProto &N, int64_t) {
  Problems P;
  if (N.input_size() < 2 + PerTensor || (N.input_size() - 2) % PerTensor)
    P.push_back(std::to_string(N.input_size()) + " inputs (expected R, T and " +
                std::to_string(PerTensor) + " per tensor)");
  std::string Mode = attrString(N, "mode", "standard");
  if (N.op_type() == "Momentum" && Mode != "standard" && Mode != "nesterov")
    P.push_back("mode '" + Mode + "'");
  return P;
}

Status convertAdagrad(Context &C, const onnx::NodeProto &N) {
  return convertTrainingUpdate(
      C, N, OpKind::OnnxAdagrad, 1,
      attrs({{"decay_factor", attrFloat(N, "decay_factor", 0)},
             {"epsilon", attrFloat(N, "epsilon", 0)},
             {"norm_coefficient", attrFloat(N, "norm_coefficient", 0)}}));
}

Status convertMomentum(Context &C, const onnx::NodeProto &N) {
  return convertTrainingUpdate(
      C, N, OpKind::OnnxMomentum, 1,
      attrs({{"alpha", attrFloat(N, "alpha", 0)},
             {"beta", attrFloat(N, "beta", 0)},
             {"nesterov",
              int64_t(attrString(N, "mode", "standard") == "nesterov")},
             {"norm_coefficient", attrFloat(N, "norm_coefficient", 0)}}));
}

Status convertAdam(Context &C, const onnx::NodeProto &N) {
  return convertTrainingUpdate(
      C, N, OpKind::OnnxAdam, 2,
      attrs({{"alpha", attrFloat(N, "alpha", 0.9)},
             {"beta", attrFloat(N, "beta", 0.999)},
             {"epsilon", attrFloat(N, "epsilon", 0)},
             {"norm_coefficient", attrFloat(N, "norm_coefficient", 0)},
             {"norm_coefficient_post",
              attrFloat(N, "norm_coefficient_post", 0)}}));
}

struct Entry {
  const char *OpType;
  std::vector<std::string> Attrs; // the attributes understood
  OpConverter Converter;
};

const std::vector<std::string> RecurrentAttrs = {
    "activation_alpha", "activation_beta", "activations", "clip",
    "direction",        "hidden_size",     "layout"};

std::vector<std::string> with(std::vector<std::string> List, const char *Name) {
  List.push_back(Name);
  return List;
}

const std::vector<Entry> &table() {
  using P = Problems (*)(const onnx::NodeProto &, int64_t);
  P None = noProblems;
  static const std::vector<Entry> T = [None] {
    std::vector<Entry> Ops = {
        {"PRelu", {}, {None, convertPRelu}},
        {"Add", {"broadcast", "axis"}, {None, convertAdd}},
        {"Sub", {"broadcast", "axis"}, {None, convertSub}},
        {"Mul", {"broadcast", "axis"}, {None, convertMul}},
        {"Div", {"broadcast", "axis"}, {None, convertDiv}},
        {"MatMul", {}, {None, convertMatMul}},
        {"Gemm",
         {"alpha", "beta", "transA", "transB", "broadcast"},
         {None, convertGemm}},
        {"Conv",
         {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
         {None, convertConv}},
        {"ConvTranspose",
         {"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
          "output_shape", "pads", "strides"},
         {None, convertConvTranspose}},
        {"MaxPool",
         {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
          "storage_order", "strides"},
         {None, convertMaxPool}},
        {"AveragePool",
         {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
          "strides"},
         {None, convertAveragePool}},
        {"GlobalAveragePool", {}, {None, convertGlobalAveragePool}},
        {"GlobalMaxPool", {}, {None, convertGlobalMaxPool}},
        {"BatchNormalization",
         {"epsilon", "momentum", "training_mode", "is_test", "spatial"},
         {checkBatchNorm, convertBatchNorm}},
        {"LRN", {"alpha", "beta", "bias", "size"}, {None, convertLRN}},
        {"RNN", RecurrentAttrs, {None, convertRecurrent}},
        {"GRU",
         with(RecurrentAttrs, "linear_before_reset"),
         {None, convertRecurrent}},
        {"LSTM",
         with(RecurrentAttrs, "input_forget"),
         {None, convertRecurrent}},
        {"Dropout", {"ratio", "seed", "is_test"}, {None, convertDropout}},
        {"Flatten", {"axis"}, {None, convertFlatten}},
        {"Reshape", {"allowzero"}, {None, convertReshape}},
        {"Pad", {"mode", "pads", "value"}, {None, convertPad}},
        {"Transpose", {"perm"}, {None, convertTranspose}},
        {"Squeeze", {"axes"}, {None, convertSqueeze}},
        {"Unsqueeze", {"axes"}, {None, convertUnsqueeze}},
        {"Clip", {"min", "max"}, {None, convertClip}},
        {"Concat", {"axis"}, {None, convertConcat}},
        {"Softmax", {"axis"}, {None, convertSoftmax}},
        {"LogSoftmax", {"axis"}, {None, convertLogSoftmax}},
        {"ReduceSum",
         {"axes", "keepdims", "noop_with_empty_axes"},
         {None, convertReduceSum}},
        {"ReduceMean", {"axes", "keepdims"}, {None, convertReduceMean}},
        {"ReduceMax", {"axes", "keepdims"}, {None, convertReduceMax}},
        {"ReduceMin", {"axes", "keepdims"}, {None, convertReduceMin}},
        {"Expand", {}, {None, convertExpand}},
        {"Slice", {"starts", "ends", "axes"}, {None, convertSlice}},
        {"HardSigmoid", {"alpha", "beta"}, {None, convertHardSigmoid}},
        {"HardSwish", {}, {None, convertHardSwish}},
        {"SoftmaxCrossEntropyLoss",
         {"ignore_index", "reduction"},
         {None, convertSoftmaxCrossEntropyLoss}},
        {"NegativeLogLikelihoodLoss",
         {"ignore_index", "reduction"},
         {None, convertNegativeLogLikelihoodLoss}},
        {"Pow", {"broadcast", "axis"}, {None, convertPow}},
        // Domain ai.onnx.preview.training.
        {"Adagrad",
         {"decay_factor", "epsilon", "norm_coefficient"},
         {checkTrainingUpdate<3>, convertAdagrad}},
        {"Momentum",
         {"alpha", "beta", "mode", "norm_coefficient"},
         {checkTrainingUpdate<3>, convertMomentum}},
        {"Adam",
         {"alpha", "beta", "epsilon", "norm_coefficient",
          "norm_coefficient_post"},
         {checkTrainingUpdate<4>, convertAdam}},
    };
    for (const pointwise::UnaryInfo &Row : pointwise::UnaryTable)
      if (*Row.Onnx) {
        std::vector<std::string> Attrs;
        for (int J = 0; Row.OnnxAttrs && J < 2; ++J)
          if (*Row.Attrs[J])
            Attrs.push_back(Row.Attrs[J]);
        Ops.push_back({Row.Onnx, Attrs, {None, convertPointwise}});
      }
    return Ops;
  }();
  return T;
}

} // namespace

const OpConverter *findConverter(const std::string &OpType) {
  for (const Entry &E : table())
    if (OpType == E.OpType)
      return &E.Converter;
  return nullptr;
}

Problems unknownAttributes(const onnx::NodeProto &N) {
  Problems P;
  for (const Entry &E : table())
    if (N.op_type() == E.OpType)
      for (const auto &A : N.attribute())
        // consumed_inputs (opsets 1 to 5) is a hint for in-place execution.
        if (A.name() != "consumed_inputs" &&
            std::find(E.Attrs.begin(), E.Attrs.end(), A.name()) ==
                E.Attrs.end())
          P.push_back("attribute '" + A.name() + "'");
  return P;
}

} // namespace nnc::frontend::onnx_import
