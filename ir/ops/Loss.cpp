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

// SoftmaxCrossEntropy: logits [N, C], int64 class labels [N].
Status inferSoftmaxCE(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 2));
  if (In[1].Elt != DType::I64 || In[1].rank() != 1 ||
      In[1].Dims[0] != In[0].Dims[0])
    return error(operand(N, In, 1), " must be i64[", In[0].Dims[0],
                 "], one class index per row of ", operand(N, In, 0));
  Out = {TensorType{In[0].Elt, {}}};
  return Status::success();
}

// NllLoss (PyTorch's nll_loss, ONNX's NegativeLogLikelihoodLoss):
// log-probabilities [N, C, d1.., dk], int64 labels [N, d1.., dk], optional
// class weights [C]. Element loss -w[t] lp[n, t, d]; a label equal to
// ignore_index counts neither loss nor weight. 'none' keeps the labels'
// shape; 'mean' divides the sum by the summed weights.
Status inferNll(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  Shape Want = In[0].Dims;
  Want.erase(Want.begin() + 1);
  if (In[1].Elt != DType::I64 || In[1].Dims != Want)
    return error(operand(N, In, 1), " must be i64", shapeString(Want),
                 ": one class index per element of ", operand(N, In, 0),
                 " without its class dimension 1");
  if (In.size() > 2 &&
      (In[2].Elt != In[0].Elt || In[2].Dims != Shape{In[0].Dims[1]}))
    return error(operand(N, In, 2),
                 " must be one weight per class: ", dtypeName(In[0].Elt), "[",
                 In[0].Dims[1], "]");
  const std::string &R = N.Attrs.getString("reduction");
  if (R != "mean" && R != "sum" && R != "none")
    return error("attribute 'reduction' is '", R,
                 "', expected 'mean', 'sum' or 'none'");
  Out = {TensorType{In[0].Elt, R == "none" ? Want : Shape{}}};
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
          .Operands = {"log_probs", "labels", "weights"},
          .MinInputs = 2,
          .Attrs = {{"reduction", std::string("mean")},
                    {"ignore_index", NoIgnoreIndex}},
          .Infer = inferNll,
          .Flops = lossFlops});
}

} // namespace nnc::ir::ops
