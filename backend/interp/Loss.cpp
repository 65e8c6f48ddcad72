//===- backend/interp/Loss.cpp - Losses (mean over elements or rows) ------===//
#include "backend/interp/Kernels.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

template <typename F> Status meanOver(const Args &In, Results &Out, F Term) {
  const Tensor &P = *In[0], &T = *In[1];
  double Sum = 0;
  for (int64_t I = 0; I < P.numElements(); ++I)
    Sum += Term(P[I], T[I]);
  Out[0][0] = Sum / double(P.numElements());
  return Status::success();
}

Status evalMse(const Node &, EvalContext &, const Args &In, Results &Out) {
  return meanOver(In, Out,
                  [](double P, double T) { return (P - T) * (P - T); });
}

// PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
Status evalBce(const Node &, EvalContext &, const Args &In, Results &Out) {
  return meanOver(In, Out, [](double P, double T) {
    double LogP = std::max(std::log(P), -100.0);
    double Log1mP = std::max(std::log1p(-P), -100.0);
    return -(T * LogP + (1 - T) * Log1mP);
  });
}

// On logits z: max(z, 0) - z t + log(1 + exp(-|z|)), exact and stable.
Status evalBceLogits(const Node &, EvalContext &, const Args &In,
                     Results &Out) {
  return meanOver(In, Out, [](double Z, double T) {
    return std::max(Z, 0.0) - Z * T + std::log1p(std::exp(-std::fabs(Z)));
  });
}

// Mean over rows of logsumexp(z) - z[label], with the max shifted out.
Status evalSoftmaxCE(const Node &, EvalContext &, const Args &In,
                     Results &Out) {
  const Tensor &Z = *In[0], &Labels = *In[1];
  int64_t N = Z.Dims[0], C = Z.Dims[1];
  double Sum = 0;
  for (int64_t R = 0; R < N; ++R) {
    double L = Labels[R];
    if (!(L >= 0 && L < double(C)) || L != std::floor(L))
      return error("label ", L, " in row ", R, " is outside [0, ", C, ")");
    const double *Row = Z.Data.data() + R * C;
    double M = -INFINITY;
    for (int64_t K = 0; K < C; ++K)
      M = std::max(M, Row[K]);
    double S = 0;
    for (int64_t K = 0; K < C; ++K)
      S += std::exp(Row[K] - M);
    Sum += M + std::log(S) - Row[int64_t(L)];
  }
  Out[0][0] = Sum / double(N);
  return Status::success();
}

} // namespace

Status nllTerms(const Node &N, const Args &In, std::vector<double> &Terms,
                std::vector<double> &Weights) {
  const Tensor &Lp = *In[0], &Labels = *In[1];
  const Tensor *W = In.size() > 2 ? In[2] : nullptr;
  int64_t Ignore = N.Attrs.getInt("ignore_index");
  int64_t Rows = Lp.Dims[0], C = Lp.Dims[1];
  int64_t Inner = Lp.numElements() / (Rows * C);
  Terms.assign(size_t(Rows * Inner), 0.0);
  Weights.assign(Terms.size(), 0.0);
  for (int64_t R = 0; R < Rows; ++R)
    for (int64_t D = 0; D < Inner; ++D) {
      int64_t E = R * Inner + D;
      double L = Labels[E];
      if (L == double(Ignore))
        continue;
      if (!(L >= 0 && L < double(C)) || L != std::floor(L))
        return error("label ", L, " at element ", E, " is outside [0, ", C,
                     ")");
      double Wt = W ? (*W)[int64_t(L)] : 1.0;
      Terms[size_t(E)] = -Wt * Lp[(R * C + int64_t(L)) * Inner + D];
      Weights[size_t(E)] = Wt;
    }
  return Status::success();
}

namespace {

Status evalNll(const Node &N, EvalContext &, const Args &In, Results &Out) {
  std::vector<double> Terms, Weights;
  NNC_TRY(nllTerms(N, In, Terms, Weights));
  const std::string &R = N.Attrs.getString("reduction");
  if (R == "none") {
    for (size_t I = 0; I < Terms.size(); ++I)
      Out[0][int64_t(I)] = Terms[I];
    return Status::success();
  }
  double Sum = 0, WSum = 0;
  for (size_t I = 0; I < Terms.size(); ++I) {
    Sum += Terms[I];
    WSum += Weights[I];
  }
  Out[0][0] = R == "sum" ? Sum : Sum / WSum;
  return Status::success();
}

} // namespace

void kernels::registerLoss() {
  define(OpKind::MseLoss, evalMse);
  define(OpKind::BceLoss, evalBce);
  define(OpKind::BceWithLogitsLoss, evalBceLogits);
  define(OpKind::SoftmaxCrossEntropy, evalSoftmaxCE);
  define(OpKind::NllLoss, evalNll);
}

} // namespace nnc::interp
