//===- ir/ops/Activation.cpp - Activations across channels or an axis -----===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

// Maxout: channel c of the output is the max over input channels
// [c*pieces, (c+1)*pieces).
Status inferMaxout(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  int64_t K = N.Attrs.getInt("pieces");
  if (K < 1 || In[0].Dims[1] % K != 0)
    return error("attribute 'pieces' (", K, ") must be >= 1 and divide the ",
                 In[0].Dims[1], " channels of ", operand(N, In, 0));
  Out = {In[0]};
  Out[0].Dims[1] /= K;
  return Status::success();
}

Status inferSoftmax(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 1));
  Expected<int64_t> Axis = normalizeAxis(N.Attrs.getInt("axis"), In[0].rank());
  if (!Axis.ok())
    return Axis.status();
  Out = {In[0]};
  return Status::success();
}

int64_t softmaxFlops(const Node &N) { return 4 * outputElements(N); }

} // namespace

void registerActivationOps() {
  define({.Kind = OpKind::Maxout,
          .Operands = {"x"},
          .Attrs = {{"pieces", int64_t(2)}},
          .Infer = inferMaxout,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::Softmax,
          .Operands = {"x"},
          .Attrs = {{"axis", int64_t(-1)}},
          .Infer = inferSoftmax,
          .Flops = softmaxFlops});
  define({.Kind = OpKind::LogSoftmax,
          .Operands = {"x"},
          .Attrs = {{"axis", int64_t(-1)}},
          .Infer = inferSoftmax,
          .Flops = softmaxFlops});
}

} // namespace nnc::ir::ops
