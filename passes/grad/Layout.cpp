//===- passes/grad/Layout.cpp - Rules for data movement and losses --------===//
#include "ir/Verifier.h"
#include "passes/grad/GradRules.h"

#include <algorithm>

namespace nnc::passes::grad {
namespace {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

Status reshape(Context &C, std::vector<Value *> &DIn) {
  DIn[0] = C.op(OpKind::ReshapeLike, {C.DOut[0], C.in(0)});
  return Status::success();
}

Status transpose(Context &C, std::vector<Value *> &DIn) {
  Ints Perm = C.N.Attrs.getInts("perm");
  int64_t Rank = C.in(0)->Type.rank();
  if (Perm.empty())
    for (int64_t I = Rank - 1; I >= 0; --I)
      Perm.push_back(I);
  Ints Inverse(Perm.size());
  for (size_t I = 0; I < Perm.size(); ++I)
    Inverse[size_t(Perm[I])] = int64_t(I);
  DIn[0] = C.op(OpKind::Transpose, {C.DOut[0]}, attrs({{"perm", Inverse}}));
  return Status::success();
}

/// Whether dimension Axis of V grows with the batch size.
bool batchSized(const Value &V, int64_t Axis) {
  Expected<Shape> One = dimsAtBatch(V, 1), Two = dimsAtBatch(V, 2);
  // A graph that cannot be bound at batch 2 has a fixed batch.
  return One.ok() && Two.ok() && (*One)[size_t(Axis)] != (*Two)[size_t(Axis)];
}

Status concat(Context &C, std::vector<Value *> &DIn) {
  int64_t Rank = C.out(0)->Type.rank(), Axis = C.N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  // Concatenated weights (PyTorch's exporter reorders an RNN's gates so)
  // or states are sliced back; the batch axis would change size.
  if (batchSized(*C.out(0), Axis))
    return error("the gradient of a concat along the batch axis is not "
                 "supported");
  int64_t Start = 0;
  for (size_t I = 0; I < C.N.Inputs.size(); ++I) {
    int64_t Size = C.in(I)->Type.Dims[size_t(Axis)];
    if (C.needs(I))
      DIn[I] = C.op(
          OpKind::Slice, {C.DOut[0]},
          attrs({{"axis", Axis}, {"start", Start}, {"end", Start + Size}}));
    Start += Size;
  }
  return Status::success();
}

// A slice's gradient is dy padded with zeros back to x's shape.
Status slice(Context &C, std::vector<Value *> &DIn) {
  int64_t Rank = C.in(0)->Type.rank(), Axis = C.N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  Ints Pads(size_t(2 * Rank), 0);
  Pads[size_t(Axis)] = C.N.Attrs.getInt("start");
  Pads[size_t(Rank + Axis)] =
      C.in(0)->Type.Dims[size_t(Axis)] - C.N.Attrs.getInt("end");
  DIn[0] = C.op(OpKind::Pad, {C.DOut[0]}, attrs({{"pads", Pads}}));
  return Status::success();
}

// Shuffling with groups g is undone by shuffling with C / g groups.
Status channelShuffle(Context &C, std::vector<Value *> &DIn) {
  int64_t Channels = C.in(0)->Type.Dims[1];
  DIn[0] = C.op(OpKind::ChannelShuffle, {C.DOut[0]},
                attrs({{"groups", Channels / C.N.Attrs.getInt("groups")}}));
  return Status::success();
}

template <int Mean> Status reduce(Context &C, std::vector<Value *> &DIn) {
  Attributes A = C.attrsFor(OpKind::ReduceGrad);
  A.set("mean", int64_t(Mean));
  DIn[0] = C.op(OpKind::ReduceGrad, {C.DOut[0], C.in(0)}, A);
  return Status::success();
}

/// A Reshape target for the result of reduction C.N with the reduced axes
/// kept as 1s, and those axes. A kept batch axis stays symbolic (0: copy).
Ints keptShape(const Context &C, Ints &Axes) {
  Ints Kept = C.in(0)->Type.Dims;
  int64_t Rank = int64_t(Kept.size());
  for (int64_t A : C.N.Attrs.getInts("axes"))
    Axes.push_back(A < 0 ? A + Rank : A);
  if (Axes.empty())
    for (int64_t A = 0; A < Rank; ++A)
      Axes.push_back(A);
  for (int64_t A : Axes)
    Kept[size_t(A)] = 1;
  if (Rank > 0 && std::find(Axes.begin(), Axes.end(), 0) == Axes.end())
    Kept[0] = 0;
  return Kept;
}

// The gradient goes to the elements equal to the result, shared equally by
// ties (PyTorch's amax/amin): for a maximum y, the mask is 1 - step(y - x).
template <bool Max>
Status reduceExtreme(Context &C, std::vector<Value *> &DIn) {
  Value *X = C.in(0), *Y = C.out(0), *Dy = C.DOut[0];
  Ints Axes, Kept = keptShape(C, Axes);
  if (!C.N.Attrs.getInt("keepdims")) {
    Y = C.op(OpKind::Reshape, {Y}, attrs({{"shape", Kept}}));
    Dy = C.op(OpKind::Reshape, {Dy}, attrs({{"shape", Kept}}));
  }
  Value *Gap = Max ? C.op(OpKind::Sub, {Y, X}) : C.op(OpKind::Sub, {X, Y});
  Value *One = C.B.constant(C.out(0)->Name + ".one", {}, {1.0}, X->Type.Elt);
  Value *Mask = C.op(OpKind::Sub, {One, C.op(OpKind::Step, {Gap})});
  Value *Count = C.op(OpKind::ReduceSum, {Mask},
                      attrs({{"axes", Axes}, {"keepdims", int64_t(1)}}));
  DIn[0] = C.op(OpKind::Mul, {Mask, C.op(OpKind::Div, {Dy, Count})});
  return Status::success();
}

// Summed over the axes x was broadcast along.
Status expand(Context &C, std::vector<Value *> &DIn) {
  DIn[0] = C.op(OpKind::SumTo, {C.DOut[0], C.in(0)});
  return Status::success();
}

Status pad(Context &C, std::vector<Value *> &DIn) {
  DIn[0] =
      C.op(OpKind::PadGrad, {C.DOut[0], C.in(0)}, C.attrsFor(OpKind::PadGrad));
  return Status::success();
}

Status loss(Context &C, std::vector<Value *> &DIn) {
  Value *D = C.op(OpKind::LossGrad, {C.in(0), C.in(1), C.DOut[0]},
                  attrs({{"loss", std::string(C.N.opName())}}));
  if (C.needs(0))
    DIn[0] = D;
  if (C.needs(1)) {
    // Only MSE is symmetric in its operands; the others take labels.
    if (C.N.Op != OpKind::MseLoss)
      return error("no gradient for operand 'target' (tensor '", C.in(1)->Name,
                   "'): targets must be data");
    DIn[1] = C.op(OpKind::Neg, {D});
  }
  return Status::success();
}

// Class weights are data (a buffer in PyTorch), never trained.
Status nllLoss(Context &C, std::vector<Value *> &DIn) {
  if (C.needs(1) || C.needs(2))
    return error("no gradient for operand '", C.needs(1) ? "labels" : "weights",
                 "' (tensor '", C.in(C.needs(1) ? 1 : 2)->Name,
                 "'): labels and class weights must be data");
  std::vector<Value *> Ins = {C.in(0), C.in(1), C.DOut[0]};
  if (C.N.Inputs.size() > 2)
    Ins.push_back(C.in(2));
  if (C.needs(0))
    DIn[0] = C.op(OpKind::NllLossGrad, Ins, C.attrsFor(OpKind::NllLossGrad));
  return Status::success();
}

} // namespace

void registerLayout() {
  define(OpKind::Flatten, reshape);
  define(OpKind::Reshape, reshape);
  define(OpKind::Transpose, transpose);
  define(OpKind::Concat, concat);
  define(OpKind::ChannelShuffle, channelShuffle);
  define(OpKind::ReduceSum, reduce<0>);
  define(OpKind::ReduceMean, reduce<1>);
  define(OpKind::ReduceMax, reduceExtreme<true>);
  define(OpKind::ReduceMin, reduceExtreme<false>);
  define(OpKind::Expand, expand);
  define(OpKind::Pad, pad);
  define(OpKind::Slice, slice);
  for (OpKind K : {OpKind::MseLoss, OpKind::BceLoss, OpKind::BceWithLogitsLoss,
                   OpKind::SoftmaxCrossEntropy})
    define(K, loss);
  define(OpKind::NllLoss, nllLoss);
}

} // namespace nnc::passes::grad
