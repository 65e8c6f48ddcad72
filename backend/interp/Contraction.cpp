//===- backend/interp/Contraction.cpp - MatMul, Dense, convs, RBF ---------===//
//
// Convolutions are im2col (or col2im for the transposed form) around an
// Eigen GEMM: few lines, easy to trust, fast enough to train small models.
//
//===----------------------------------------------------------------------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"
#include "ir/Geometry.h"

#include <Eigen/Core>
#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

/// Eigen blocks its GEMM by the cache sizes CPUID reports, and the blocking
/// decides the order in which sums are taken: fixed sizes (a common server
/// core's) give the reference the same bits on every machine.
struct FixedGemmBlocking {
  FixedGemmBlocking() { Eigen::setCpuCacheSizes(32 << 10, 1 << 20, 32 << 20); }
};
const FixedGemmBlocking GemmBlocking;

Status evalMatMul(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &A = *In[0], &B = *In[1];
  size_t R = B.Dims.size();
  int64_t K = B.Dims[R - 2], N = B.Dims[R - 1];
  int64_t Batches = B.numElements() / (K * N),
          M = A.numElements() / K / Batches;
  for (int64_t I = 0; I < Batches; ++I)
    Map(Out[0].Data.data() + I * M * N, M, N) =
        MapC(A.Data.data() + I * M * K, M, K) *
        MapC(B.Data.data() + I * K * N, K, N);
  return Status::success();
}

Status evalDense(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0], &W = *In[1];
  int64_t N = X.Dims[0], K = X.Dims[1], M = W.Dims[0];
  Map Y(Out[0].Data.data(), N, M);
  Y = MapC(X.Data.data(), N, K) * MapC(W.Data.data(), M, K).transpose();
  if (In.size() > 2)
    Y.rowwise() += Eigen::Map<const Eigen::RowVectorXd>(In[2]->Data.data(), M);
  return Status::success();
}

Expected<Window2D> windowOf(const Node &N, const Args &In) {
  return convWindow(N, TensorType{In[0]->Elt, In[0]->Dims},
                    TensorType{In[1]->Elt, In[1]->Dims});
}

void addChannelBias(Tensor &Y, const Tensor &B) {
  int64_t C = Y.Dims[1], Inner = Y.Dims[2] * Y.Dims[3];
  for (int64_t I = 0; I < Y.numElements(); ++I)
    Y[I] += B[(I / Inner) % C];
}

Status evalConv(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Expected<Window2D> GOr = windowOf(N, In);
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t K = Cg * G.KH * G.KW, Pixels = G.OH * G.OW;
  Mat Col;
  for (int64_t Img = 0; Img < G.N; ++Img)
    for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
      im2col(In[0]->Data.data() + (Img * G.C + Grp * Cg) * G.H * G.W, G, Cg,
             Col);
      Map(Out[0].Data.data() + (Img * G.O + Grp * Og) * Pixels, Og, Pixels) =
          MapC(In[1]->Data.data() + Grp * Og * K, Og, K) * Col;
    }
  if (In.size() > 2)
    addChannelBias(Out[0], *In[2]);
  return Status::success();
}

// The transposed conv scatters every input pixel through the kernel:
// columns W_g^T x X_g, then col2im adds them into the output.
Status evalConvTranspose(const Node &N, EvalContext &, const Args &In,
                         Results &Out) {
  Expected<Window2D> GOr = windowOf(N, In);
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t KK = G.KH * G.KW, Pixels = G.H * G.W;
  Tensor &Y = Out[0];
  std::fill(Y.Data.begin(), Y.Data.end(), 0.0);
  for (int64_t Img = 0; Img < G.N; ++Img)
    for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
      Mat Col = MapC(In[1]->Data.data() + Grp * Cg * Og * KK, Cg, Og * KK)
                    .transpose() *
                MapC(In[0]->Data.data() + (Img * G.C + Grp * Cg) * Pixels, Cg,
                     Pixels);
      double *Dst = Y.Data.data() + (Img * G.O + Grp * Og) * G.OH * G.OW;
      for (int64_t O = 0; O < Og; ++O)
        for (int64_t Kh = 0; Kh < G.KH; ++Kh)
          for (int64_t Kw = 0; Kw < G.KW; ++Kw)
            for (int64_t Ih = 0; Ih < G.H; ++Ih)
              for (int64_t Iw = 0; Iw < G.W; ++Iw) {
                int64_t Oh = Ih * G.SH - G.PadT + Kh * G.DH;
                int64_t Ow = Iw * G.SW - G.PadL + Kw * G.DW;
                if (Oh < 0 || Oh >= G.OH || Ow < 0 || Ow >= G.OW)
                  continue;
                Dst[(O * G.OH + Oh) * G.OW + Ow] +=
                    Col((O * G.KH + Kh) * G.KW + Kw, Ih * G.W + Iw);
              }
    }
  if (In.size() > 2)
    addChannelBias(Y, *In[2]);
  return Status::success();
}

Status evalRbf(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0], &Mu = *In[1], &Beta = *In[2];
  int64_t N = X.Dims[0], D = X.Dims[1], K = Mu.Dims[0];
  for (int64_t I = 0; I < N; ++I)
    for (int64_t J = 0; J < K; ++J) {
      double Dist = 0;
      for (int64_t E = 0; E < D; ++E) {
        double Diff = X[I * D + E] - Mu[J * D + E];
        Dist += Diff * Diff;
      }
      Out[0][I * K + J] = std::exp(-Beta[J] * Dist);
    }
  return Status::success();
}

} // namespace

void kernels::registerContraction() {
  define(OpKind::MatMul, evalMatMul);
  define(OpKind::Dense, evalDense);
  define(OpKind::Conv, evalConv);
  define(OpKind::ConvTranspose, evalConvTranspose);
  define(OpKind::Rbf, evalRbf);
}

} // namespace nnc::interp
