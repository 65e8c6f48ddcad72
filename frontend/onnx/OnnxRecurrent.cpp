//===- frontend/onnx/OnnxRecurrent.cpp - RNN, GRU and LSTM ----------------===//
//
// ONNX's recurrent nodes become Rnn, Gru and Lstm (ir/RecurrentOps.h),
// whose operands put sequence_lens last: x, w, r, b, initial_h,
// [initial_c, p,] sequence_lens. An initial state known to be
// zero (PyTorch builds one from Shape, Gather and Expand when none is
// given) is the op's default and left out; another absent operand before a
// present one becomes zeros. Activation alphas and betas, which ONNX lists
// only for the functions that take them, are listed per function.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxInternal.h"
#include "ir/RecurrentOps.h"

#include <limits>
#include <optional>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;

namespace {

// ONNX's operand positions.
enum OnnxOperand { X, W, R, B, Lengths, InitialH, InitialC, Peepholes };

std::vector<std::string> attrStrings(const onnx::NodeProto &N,
                                     const char *Name) {
  for (const auto &A : N.attribute())
    if (A.name() == Name)
      return {A.strings().begin(), A.strings().end()};
  return {};
}

std::vector<double> attrFloats(const onnx::NodeProto &N, const char *Name) {
  for (const auto &A : N.attribute())
    if (A.name() == Name)
      return {A.floats().begin(), A.floats().end()};
  return {};
}

/// 'activations' as one string, with an alpha and a beta for each function.
Status activationAttrs(const onnx::NodeProto &N, Attributes &A) {
  std::vector<std::string> Names = attrStrings(N, "activations");
  std::vector<double> Alphas = attrFloats(N, "activation_alpha");
  std::vector<double> Betas = attrFloats(N, "activation_beta");
  std::string List;
  std::vector<double> Alpha, Beta;
  size_t NextAlpha = 0, NextBeta = 0;
  for (const std::string &Name : Names) {
    std::optional<recurrent::Activation> Act = findActivation(Name);
    if (!Act)
      return error("attribute 'activations': unknown function '", Name, "'");
    const recurrent::ActivationInfo &Info =
        recurrent::ActivationTable[int64_t(*Act)];
    List += (List.empty() ? "" : ",") + std::string(Info.Name);
    Alpha.push_back(Info.TakesAlpha && NextAlpha < Alphas.size()
                        ? Alphas[NextAlpha++]
                        : Info.Alpha);
    Beta.push_back(Info.TakesBeta && NextBeta < Betas.size() ? Betas[NextBeta++]
                                                             : Info.Beta);
  }
  if (NextAlpha < Alphas.size() || NextBeta < Betas.size())
    return error("attribute 'activation_alpha' or 'activation_beta' has more "
                 "values than the activations take");
  A.set("activations", List);
  if (!Names.empty()) {
    A.set("activation_alpha", Alpha);
    A.set("activation_beta", Beta);
  }
  return Status::success();
}

/// Whether operand I is known at import to be all zeros.
bool knownZero(const Context &C, const onnx::NodeProto &N, int I) {
  const Folded *K = C.known(N, I);
  if (!K)
    return false;
  for (const Affine &E : K->E)
    if (E.A != 0 || E.B != 0)
      return false;
  return true;
}

/// Operand I as an IR value (null when absent or a known zero state).
Expected<Value *> operandOf(Context &C, const onnx::NodeProto &N, int I) {
  if (I >= N.input_size() || N.input(I).empty())
    return nullptr;
  if (C.ZeroFills.count(N.input(I)) && I != InitialH && I != InitialC)
    return error("input '", N.input(I), "' is zeros of a batch-dependent ",
                 "shape, which nnc reads only as an initial state");
  if ((I == InitialH || I == InitialC) &&
      (knownZero(C, N, I) || C.ZeroFills.count(N.input(I))))
    return nullptr;
  if (C.Known.count(N.input(I)) && !C.Values.count(N.input(I))) {
    if (I == Lengths) // the compiled backend holds integers as int64
      C.Known.at(N.input(I)).Elt = DType::I64;
    NNC_TRY(materializeKnown(C, N.input(I)));
  }
  Value *V = C.value(N, I);
  if (!V)
    return error("input '", N.input(I), "' is not defined");
  if (I == Lengths && V->Type.Elt == DType::I32 && V->Kind == Role::Input) {
    // Fed at run time: nnc takes integer inputs as int64.
    V->Type.Elt = DType::I64;
  }
  return V;
}

/// Zeros of the given shape, for an absent operand before a present one.
Value *zeros(Context &C, const onnx::NodeProto &N, const char *What,
             const Shape &Dims) {
  std::string Name = C.name(N) + "." + What + ".zeros";
  Value *V = C.G.addValue(Name, Role::Constant, TensorType{DType::F32, Dims});
  V->Data.assign(size_t(numElements(Dims)) * sizeof(float), 0);
  return V;
}

} // namespace

Status convertRecurrent(Context &C, const onnx::NodeProto &N) {
  OpKind K = N.op_type() == "LSTM"  ? OpKind::Lstm
             : N.op_type() == "GRU" ? OpKind::Gru
                                    : OpKind::Rnn;
  int64_t H = attrInt(N, "hidden_size", 0);
  if (H < 1)
    return error("attribute 'hidden_size' is required and must be >= 1");
  std::string Direction = attrString(N, "direction", "forward");
  Attributes A;
  A.set("hidden_size", H);
  A.set("direction", Direction);
  A.set("clip", attrFloat(N, "clip", std::numeric_limits<double>::infinity()));
  A.set("layout", attrInt(N, "layout", 0));
  if (K == OpKind::Lstm)
    A.set("input_forget", attrInt(N, "input_forget", 0));
  if (K == OpKind::Gru)
    A.set("linear_before_reset", attrInt(N, "linear_before_reset", 0));
  NNC_TRY(activationAttrs(N, A));

  std::vector<int> Order = {X, W, R, B, InitialH};
  if (K == OpKind::Lstm) {
    Order.push_back(InitialC);
    Order.push_back(Peepholes);
  }
  Order.push_back(Lengths);
  std::vector<Value *> Ins;
  for (int I : Order) {
    Expected<Value *> V = operandOf(C, N, I);
    if (!V.ok())
      return V.status();
    Ins.push_back(*V);
  }
  while (!Ins.empty() && !Ins.back())
    Ins.pop_back();
  if (Ins.size() < 3 || !Ins[0] || !Ins[1] || !Ins[2])
    return error("inputs X, W and R are required");
  const Shape &Xd = Ins[0]->Type.Dims;
  int64_t D = Direction == "bidirectional" ? 2 : 1;
  int64_t GH = recurrent::gateCount(cellOf(K)) * H;
  for (size_t I = 3; I < Ins.size(); ++I) {
    if (Ins[I])
      continue;
    int Which = Order[I];
    if (Which == B)
      Ins[I] = zeros(C, N, "b", {D, 2 * GH});
    else if (Which == Peepholes)
      Ins[I] = zeros(C, N, "p", {D, 3 * H});
    else if (Xd.size() == 3 && Ins[0]->Kind == Role::Input &&
             Ins[0]->DeclaredDims == Xd) { // a batch fixed at export
      int64_t Batch = Xd[attrInt(N, "layout", 0) ? 0 : 1];
      Shape State =
          attrInt(N, "layout", 0) ? Shape{Batch, D, H} : Shape{D, Batch, H};
      Ins[I] =
          zeros(C, N, Which == InitialH ? "initial_h" : "initial_c", State);
    } else {
      return error("input '", Which == InitialH ? "initial_h" : "initial_c",
                   "' is absent while a later one is given, and the batch "
                   "size is not fixed: give it (zeros are the default)");
    }
  }
  C.define(N, C.B.ops(K, Ins, A, K == OpKind::Lstm ? 3 : 2, C.name(N)));
  return Status::success();
}

} // namespace nnc::frontend::onnx_import
