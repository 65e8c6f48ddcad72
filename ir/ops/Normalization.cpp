//===- ir/ops/Normalization.cpp - BatchNorm and LRN -----------------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

// BatchNorm: x [N, C, ...], scale, bias, running mean and variance all [C].
// Inference uses the running statistics; training uses the batch's and
// updates the running ones with `momentum` (PyTorch's convention).
Status inferBatchNorm(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  int64_t C = In[0].Dims[1];
  for (size_t I = 1; I < 5; ++I)
    if (In[I].rank() != 1 || In[I].Dims[0] != C || In[I].Elt != In[0].Elt)
      return error(operand(N, In, I), " must be ", dtypeName(In[0].Elt), "[", C,
                   "], one per channel of ", operand(N, In, 0));
  if (N.Attrs.getFloat("epsilon") <= 0)
    return error("attribute 'epsilon' must be > 0");
  double M = N.Attrs.getFloat("momentum");
  if (!(M >= 0 && M <= 1))
    return error("attribute 'momentum' must be in [0, 1], found ", M);
  Out = {In[0]};
  return Status::success();
}

int64_t batchNormFlops(const Node &N) { return 2 * outputElements(N); }

// Local response normalization across channels (ONNX's definition):
// y = x / (bias + alpha / size * sum of x^2 over channels
//          [c - floor((size-1)/2), c + ceil((size-1)/2)]) ^ beta.
Status inferLRN(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 3));
  if (N.Attrs.getInt("size") < 1)
    return error("attribute 'size' must be >= 1");
  Out = {In[0]};
  return Status::success();
}

int64_t lrnFlops(const Node &N) {
  return outputElements(N) * (N.Attrs.getInt("size") + 3);
}

} // namespace

void registerNormalizationOps() {
  define({.Kind = OpKind::BatchNorm,
          .Operands = {"x", "scale", "bias", "mean", "var"},
          .MinInputs = 5,
          .Attrs = {{"epsilon", 1e-5}, {"momentum", 0.1}},
          .Infer = inferBatchNorm,
          .Flops = batchNormFlops});
  define({.Kind = OpKind::LRN,
          .Operands = {"x"},
          .Attrs = {{"size", int64_t(5)},
                    {"alpha", 1e-4},
                    {"beta", 0.75},
                    {"bias", 1.0}},
          .Infer = inferLRN,
          .Flops = lrnFlops});
}

} // namespace nnc::ir::ops
