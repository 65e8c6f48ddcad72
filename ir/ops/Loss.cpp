//===- ir/ops/Loss.cpp - Losses: scalar means over the batch --------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

// MseLoss, BceLoss, BceWithLogitsLoss: prediction and target of one type,
// mean over every element (PyTorch's reduction='mean').
Status inferPairLoss(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectSameType(N, In, 0, 1));
  Out = {TensorType{In[0].Elt, {}}};
  return Status::success();
}

// SoftmaxCrossEntropy: logits [N, C], integer class labels [N]. NllLoss:
// log-probabilities [N, C] (a LogSoftmax's output), the same labels.
Status inferSoftmaxCE(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 2));
  NNC_TRY(expectInteger(N, In, 1));
  if (In[1].rank() != 1 || In[1].Dims[0] != In[0].Dims[0])
    return error(operand(N, In, 1), " must be [", In[0].Dims[0],
                 "], one class index per row of ", operand(N, In, 0));
  Out = {TensorType{In[0].Elt, {}}};
  return Status::success();
}

int64_t lossFlops(const Node &N) { return 4 * N.Inputs[0]->Type.numElements(); }

void pairLoss(OpKind K) {
  define({.Kind = K,
          .Operands = {"prediction", "target"},
          .MinInputs = 2,
          .Infer = inferPairLoss,
          .Flops = lossFlops});
}

} // namespace

void registerLossOps() {
  pairLoss(OpKind::MseLoss);
  pairLoss(OpKind::BceLoss);
  pairLoss(OpKind::BceWithLogitsLoss);
  define({.Kind = OpKind::SoftmaxCrossEntropy,
          .Operands = {"logits", "labels"},
          .MinInputs = 2,
          .Infer = inferSoftmaxCE,
          .Flops = lossFlops});
  define({.Kind = OpKind::NllLoss,
          .Operands = {"log_probs", "labels"},
          .MinInputs = 2,
          .Infer = inferSoftmaxCE,
          .Flops = lossFlops});
}

} // namespace nnc::ir::ops
