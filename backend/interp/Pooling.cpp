//===- backend/interp/Pooling.cpp - Windowed and global pooling -----------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"
#include "ir/Geometry.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

/// Runs Fn over the windows of node N's pooling of X.
template <typename F> Status pool(const Node &N, const Tensor &X, F Fn) {
  Expected<Window2D> G = poolWindow(N, TensorType{X.Elt, X.Dims});
  if (!G.ok())
    return G.status();
  forEachWindow(*G,
                [&](int64_t O, int64_t Oh, int64_t Ow,
                    const std::vector<int64_t> &W) { Fn(*G, O, Oh, Ow, W); });
  return Status::success();
}

Status evalMaxPool(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  return pool(N, X,
              [&](const Window2D &, int64_t O, int64_t, int64_t,
                  const std::vector<int64_t> &W) {
                double M = -INFINITY;
                for (int64_t I : W)
                  M = std::max(M, X[I]);
                Out[0][O] = M;
              });
}

// The first maximum's flat index in x, as MaxPool picks it.
Status evalMaxPoolIndices(const Node &N, EvalContext &, const Args &In,
                          Results &Out) {
  const Tensor &X = *In[0];
  bool ColumnMajor = N.Attrs.getInt("storage_order") == 1;
  int64_t H = X.Dims[2], W = X.Dims[3];
  return pool(N, X,
              [&](const Window2D &, int64_t O, int64_t, int64_t,
                  const std::vector<int64_t> &Win) {
                if (Win.empty()) { // only padding: no element to point at
                  Out[0][O] = -1;
                  return;
                }
                int64_t Best = Win[0];
                for (int64_t I : Win)
                  if (X[I] > X[Best])
                    Best = I;
                int64_t Plane = Best / (H * W), Hi = Best / W % H,
                        Wi = Best % W;
                Out[0][O] =
                    double(ColumnMajor ? Plane * H * W + Hi + Wi * H : Best);
              });
}

Status evalAvgPool(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  bool IncludePad = N.Attrs.getInt("count_include_pad") != 0;
  return pool(N, X,
              [&](const Window2D &G, int64_t O, int64_t Oh, int64_t Ow,
                  const std::vector<int64_t> &W) {
                double Sum = 0;
                for (int64_t I : W)
                  Sum += X[I];
                double Count = avgPoolCount(G, IncludePad, Oh, Ow, W.size());
                Out[0][O] = Sum / Count;
              });
}

// Stochastic pooling over non-negative activations: p_i = a_i / sum(a).
// Training samples one a_i with probability p_i; inference returns the
// expectation sum(p_i a_i). An all-zero window gives 0.
Status evalStochasticPool(const Node &N, EvalContext &Ctx, const Args &In,
                          Results &Out) {
  const Tensor &X = *In[0];
  SplitMix64 Rng = Ctx.rngFor(N);
  bool Sample = Ctx.Opts.Training;
  return pool(N, X,
              [&](const Window2D &, int64_t O, int64_t, int64_t,
                  const std::vector<int64_t> &W) {
                double Sum = 0;
                for (int64_t I : W)
                  Sum += std::max(X[I], 0.0);
                double R = Sample ? Rng.uniform() * Sum : 0;
                double Y = 0;
                if (Sum > 0 && Sample) {
                  // Walk the cumulative weights; the last positive
                  // element catches rounding at the top end.
                  for (int64_t I : W) {
                    double P = std::max(X[I], 0.0);
                    if (P > 0)
                      Y = X[I];
                    if (R < P)
                      break;
                    R -= P;
                  }
                } else if (Sum > 0) {
                  for (int64_t I : W)
                    Y += std::max(X[I], 0.0) * X[I] / Sum;
                }
                Out[0][O] = Y;
              });
}

template <bool Max>
Status evalGlobalPool(const Node &, EvalContext &, const Args &In,
                      Results &Out) {
  const Tensor &X = *In[0];
  int64_t Planes = X.Dims[0] * X.Dims[1];
  int64_t Size = X.numElements() / Planes;
  for (int64_t P = 0; P < Planes; ++P) {
    double Acc = Max ? -INFINITY : 0;
    for (int64_t I = 0; I < Size; ++I)
      Acc = Max ? std::max(Acc, X[P * Size + I]) : Acc + X[P * Size + I];
    Out[0][P] = Max ? Acc : Acc / double(Size);
  }
  return Status::success();
}

} // namespace

void kernels::registerPooling() {
  define(OpKind::MaxPool, evalMaxPool);
  define(OpKind::MaxPoolIndices, evalMaxPoolIndices);
  define(OpKind::AvgPool, evalAvgPool);
  define(OpKind::GlobalAvgPool, evalGlobalPool<false>);
  define(OpKind::GlobalMaxPool, evalGlobalPool<true>);
  define(OpKind::StochasticPool, evalStochasticPool);
}

} // namespace nnc::interp
