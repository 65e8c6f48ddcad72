//===- tests/passes/RecurrentCase.h - A recurrent op and its loss -*- C++
//-*-===//
//
// Shared by the gradient checks and the JIT-against-interpreter tests of
// Rnn, Gru and Lstm: one op on random inputs, lowered for training, and a
// scalar from every output the loss reads.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "../TestUtil.h"
#include "passes/TrainStep.h"

namespace nnc::test {

struct RecurrentCase {
  OpKind Kind;
  std::string Direction = "forward";
  int64_t Layout = 0;
  bool Bias = true, Peepholes = false, Initial = true, Lengths = false;
  /// Which outputs the loss reads: y, y_h, y_c.
  std::vector<bool> Reads = {true, true, true};
  Attributes Extra;
  int64_t Steps = 4, Batch = 3, Input = 3, Hidden = 2;
};

struct RecurrentGraph {
  Graph G;
  std::vector<Value *> Inputs, Float; // all inputs; those differentiated
  std::vector<Value *> Outputs;       // y, y_h[, y_c]
  Value *Loss = nullptr;              // sum over outputs read of out * r
  interp::TensorMap Feed;
};

/// C's op on random inputs in [-1, 1], lowered for training.
inline Status buildRecurrent(const RecurrentCase &C, RecurrentGraph &R) {
  const int64_t T = C.Steps, B = C.Batch, I = C.Input, H = C.Hidden;
  bool Lstm = C.Kind == OpKind::Lstm;
  int64_t D = C.Direction == "bidirectional" ? 2 : 1;
  int64_t GH = (Lstm ? 4 : C.Kind == OpKind::Gru ? 3 : 1) * H;
  Shape State = C.Layout ? Shape{B, D, H} : Shape{D, B, H};
  std::vector<std::pair<std::string, Shape>> Operands = {
      {"x", C.Layout ? Shape{B, T, I} : Shape{T, B, I}},
      {"w", {D, GH, I}},
      {"rec", {D, GH, H}}};
  if (C.Bias)
    Operands.push_back({"b", {D, 2 * GH}});
  if (C.Initial) {
    Operands.push_back({"initial_h", State});
    if (Lstm)
      Operands.push_back({"initial_c", State});
  }
  if (Lstm && C.Peepholes)
    Operands.push_back({"p", {D, 3 * H}});
  Builder Bd(R.G);
  uint64_t Seed = 1;
  for (const auto &[Name, Dims] : Operands) {
    R.Inputs.push_back(Bd.input(Name, Dims));
    R.Float.push_back(R.Inputs.back());
    R.Feed[Name] = randomTensor(Dims, Seed++, -1, 1);
  }
  if (C.Lengths) {
    R.Inputs.push_back(Bd.input("sequence_lens", {B}, DType::I64));
    Tensor L(DType::I64, {B});
    for (int64_t K = 0; K < B; ++K) // full, short, empty, ...
      L[K] = double(K % 3 == 0 ? T : K % 3 == 1 ? 1 + K % T : 0);
    R.Feed["sequence_lens"] = L;
  }
  Attributes A = C.Extra;
  A.set("hidden_size", H);
  A.set("direction", C.Direction);
  A.set("layout", C.Layout);
  R.Outputs = Bd.ops(C.Kind, R.Inputs, A, Lstm ? 3 : 2, "rnn");
  NNC_TRY(Bd.status());
  std::vector<Update> Ignored;
  NNC_TRY(passes::lowerForTraining(R.G, Ignored));
  for (size_t K = 0; K < R.Outputs.size(); ++K) {
    if (K >= C.Reads.size() || !C.Reads[K])
      continue;
    Tensor W = randomTensor(R.Outputs[K]->Type.Dims, 50 + K, -1, 1);
    Value *Term = Bd.op(
        OpKind::ReduceSum,
        {Bd.op(OpKind::Mul, {R.Outputs[K], Bd.constant("r" + std::to_string(K),
                                                       W.Dims, W.Data)})},
        attrs({{"keepdims", int64_t(0)}}));
    R.Loss = R.Loss ? Bd.op(OpKind::Add, {R.Loss, Term}) : Term;
  }
  return Bd.status();
}

} // namespace nnc::test
