//===- backend/interp/Pooling.cpp - Windowed and global pooling -----------===//
#include "backend/interp/Kernels.h"
#include "ir/Geometry.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

/// Calls Fn(plane, out_index, window) for every output element, where window
/// lists the in-bounds input offsets (within the plane) of its window.
template <typename F>
Status forEachWindow(const Node &N, const Tensor &X, F Fn) {
  Expected<Window2D> GOr = poolWindow(N, TensorType{X.Elt, X.Dims});
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  std::vector<int64_t> Window;
  for (int64_t Plane = 0; Plane < G.N * G.C; ++Plane)
    for (int64_t Oh = 0; Oh < G.OH; ++Oh)
      for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
        Window.clear();
        for (int64_t Kh = 0; Kh < G.KH; ++Kh)
          for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
            int64_t Ih = Oh * G.SH - G.PadT + Kh * G.DH;
            int64_t Iw = Ow * G.SW - G.PadL + Kw * G.DW;
            if (Ih >= 0 && Ih < G.H && Iw >= 0 && Iw < G.W)
              Window.push_back(Plane * G.H * G.W + Ih * G.W + Iw);
          }
        Fn(G, Plane, (Plane * G.OH + Oh) * G.OW + Ow, Oh, Ow, Window);
      }
  return Status::success();
}

Status evalMaxPool(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  return forEachWindow(N, X,
                       [&](const Window2D &, int64_t, int64_t O, int64_t,
                           int64_t, const std::vector<int64_t> &W) {
                         double M = -INFINITY;
                         for (int64_t I : W)
                           M = std::max(M, X[I]);
                         Out[0][O] = M;
                       });
}

Status evalAvgPool(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  bool IncludePad = N.Attrs.getInt("count_include_pad") != 0;
  return forEachWindow(N, X,
                       [&](const Window2D &G, int64_t, int64_t O, int64_t Oh,
                           int64_t Ow, const std::vector<int64_t> &W) {
                         double Sum = 0;
                         for (int64_t I : W)
                           Sum += X[I];
                         double Count = double(W.size());
                         if (IncludePad) {
                           // PyTorch divides by the window clipped to the
                           // padded input, so a ceil-mode window hanging past
                           // the padding is not over-counted.
                           int64_t H0 = Oh * G.SH - G.PadT,
                                   W0 = Ow * G.SW - G.PadL;
                           int64_t H1 = std::min(H0 + G.KH, G.H + G.PadB);
                           int64_t W1 = std::min(W0 + G.KW, G.W + G.PadR);
                           Count = double((H1 - H0) * (W1 - W0));
                         }
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
  return forEachWindow(N, X,
                       [&](const Window2D &, int64_t, int64_t O, int64_t,
                           int64_t, const std::vector<int64_t> &W) {
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
  define(OpKind::AvgPool, evalAvgPool);
  define(OpKind::GlobalAvgPool, evalGlobalPool<false>);
  define(OpKind::GlobalMaxPool, evalGlobalPool<true>);
  define(OpKind::StochasticPool, evalStochasticPool);
}

} // namespace nnc::interp
