//===- ir/ops/Normalization.cpp - BatchNorm and LRN -----------------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

// BatchNorm: x [N, C, ...], scale, bias, running mean and variance all [C].
// Inference normalizes with the running statistics (training graphs use
// BatchNormTrain, ir/ops/Training.cpp).
Status inferBatchNorm(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(checkBatchNorm(N, In));
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
