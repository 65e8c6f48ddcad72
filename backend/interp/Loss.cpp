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

// Mean over rows of -log_probs[label].
Status evalNll(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &P = *In[0], &Labels = *In[1];
  int64_t N = P.Dims[0], C = P.Dims[1];
  double Sum = 0;
  for (int64_t R = 0; R < N; ++R) {
    double L = Labels[R];
    if (!(L >= 0 && L < double(C)) || L != std::floor(L))
      return error("label ", L, " in row ", R, " is outside [0, ", C, ")");
    Sum -= P[R * C + int64_t(L)];
  }
  Out[0][0] = Sum / double(N);
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
