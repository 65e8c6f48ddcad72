//===- backend/interp/Elementwise.cpp - Pointwise ops ---------------------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"
#include "ir/Pointwise.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

template <typename F> Status mapUnary(const Args &In, Results &Out, F Fn) {
  const Tensor &X = *In[0];
  for (int64_t I = 0; I < X.numElements(); ++I)
    Out[0][I] = Fn(X[I]);
  return Status::success();
}

// The activations of ir/PointwiseOps.def, by their math in double.
Status evalUnary(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Unary U = *unaryOf(N.Op);
  std::array<double, 2> A = unaryAttrs(U, N.Attrs);
  return mapUnary(In, Out,
                  [&](double X) { return pointwise::value(U, X, A.data()); });
}

// Inverted dropout: kept elements are scaled by 1 / (1 - ratio) so the
// expected value is unchanged and inference is the identity.
Status evalDropout(const Node &N, EvalContext &Ctx, const Args &In,
                   Results &Out) {
  const Tensor &X = *In[0];
  double P = N.Attrs.getFloat("ratio");
  if (!Ctx.Opts.Training || P == 0)
    return mapUnary(In, Out, [](double V) { return V; });
  SplitMix64 Rng = Ctx.rngFor(N);
  double Scale = 1 / (1 - P);
  for (int64_t I = 0; I < X.numElements(); ++I)
    Out[0][I] = Rng.uniform() < P ? 0.0 : X[I] * Scale;
  return Status::success();
}

/// NumPy broadcasting: each operand is read through strides that are 0 along
/// the dimensions it is broadcast over.
template <typename F>
Status broadcastBinary(const Args &In, Results &Out, F Fn) {
  const Tensor &A = *In[0], &B = *In[1];
  Tensor &Y = Out[0];
  size_t R = Y.Dims.size();
  auto Aligned = [R](const Tensor &T) {
    std::vector<int64_t> S(R, 0);
    std::vector<int64_t> TS = stridesOf(T.Dims);
    size_t Off = R - T.Dims.size();
    for (size_t I = 0; I < T.Dims.size(); ++I)
      S[Off + I] = T.Dims[I] == 1 ? 0 : TS[I];
    return S;
  };
  std::vector<int64_t> SA = Aligned(A), SB = Aligned(B);
  std::vector<int64_t> Idx(R, 0);
  for (int64_t I = 0; I < Y.numElements(); ++I) {
    int64_t OA = 0, OB = 0;
    for (size_t D = 0; D < R; ++D)
      OA += Idx[D] * SA[D], OB += Idx[D] * SB[D];
    Y[I] = Fn(A[OA], B[OB]);
    for (size_t D = R; D-- > 0;) {
      if (++Idx[D] < Y.Dims[D])
        break;
      Idx[D] = 0;
    }
  }
  return Status::success();
}

#define BINARY(Name, Expr)                                                     \
  Status eval##Name(const Node &, EvalContext &, const Args &In,               \
                    Results &Out) {                                            \
    return broadcastBinary(In, Out,                                            \
                           [](double A, double B) { return (Expr); });         \
  }

BINARY(Add, A + B)
BINARY(Sub, A - B)
BINARY(Mul, A *B)
BINARY(Div, A / B)
BINARY(Pow, std::pow(A, B))
#undef BINARY

// PRelu: one learned slope per channel (axis 1), or one for all.
Status evalPRelu(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0], &Slope = *In[1];
  int64_t C = X.Dims.size() >= 2 ? X.Dims[1] : 1;
  int64_t Inner = 1;
  for (size_t I = 2; I < X.Dims.size(); ++I)
    Inner *= X.Dims[I];
  for (int64_t I = 0; I < X.numElements(); ++I) {
    int64_t Channel = Slope.numElements() == 1 ? 0 : (I / Inner) % C;
    Out[0][I] = X[I] > 0 ? X[I] : Slope[Channel] * X[I];
  }
  return Status::success();
}

} // namespace

void kernels::registerElementwise() {
  for (int64_t I = 0; I < pointwise::NumUnary; ++I)
    define(opKindOf(Unary(I)), evalUnary);
  define(OpKind::Dropout, evalDropout);
  define(OpKind::Add, evalAdd);
  define(OpKind::Sub, evalSub);
  define(OpKind::Mul, evalMul);
  define(OpKind::Div, evalDiv);
  define(OpKind::Pow, evalPow);
  define(OpKind::PRelu, evalPRelu);
}

} // namespace nnc::interp
