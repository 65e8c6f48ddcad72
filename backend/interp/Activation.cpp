//===- backend/interp/Activation.cpp - Maxout, softmax --------------------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

Status evalMaxout(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  int64_t K = N.Attrs.getInt("pieces");
  int64_t Outer, C, Inner;
  splitAt(Out[0].Dims, 1, Outer, C, Inner);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        double M = -INFINITY;
        for (int64_t P = 0; P < K; ++P)
          M = std::max(M, X[(O * C * K + Ch * K + P) * Inner + I]);
        Out[0][(O * C + Ch) * Inner + I] = M;
      }
  return Status::success();
}

/// Softmax or log-softmax along an axis, shifted by the max so that large
/// logits neither overflow nor lose precision.
Status softmax(const Node &N, const Args &In, Results &Out, bool Log) {
  const Tensor &X = *In[0];
  int64_t Rank = int64_t(X.Dims.size());
  int64_t Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  int64_t Outer, Extent, Inner;
  splitAt(X.Dims, Axis, Outer, Extent, Inner);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I = 0; I < Inner; ++I) {
      auto At = [&](int64_t K) { return (O * Extent + K) * Inner + I; };
      double M = -INFINITY;
      for (int64_t K = 0; K < Extent; ++K)
        M = std::max(M, X[At(K)]);
      double Sum = 0;
      for (int64_t K = 0; K < Extent; ++K)
        Sum += std::exp(X[At(K)] - M);
      double LogSum = std::log(Sum);
      for (int64_t K = 0; K < Extent; ++K)
        Out[0][At(K)] =
            Log ? X[At(K)] - M - LogSum : std::exp(X[At(K)] - M) / Sum;
    }
  return Status::success();
}

Status evalSoftmax(const Node &N, EvalContext &, const Args &In, Results &Out) {
  return softmax(N, In, Out, false);
}

Status evalLogSoftmax(const Node &N, EvalContext &, const Args &In,
                      Results &Out) {
  return softmax(N, In, Out, true);
}

} // namespace

void kernels::registerActivation() {
  define(OpKind::Maxout, evalMaxout);
  define(OpKind::Softmax, evalSoftmax);
  define(OpKind::LogSoftmax, evalLogSoftmax);
}

} // namespace nnc::interp
