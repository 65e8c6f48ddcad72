//===- backend/kernels/Loss.cpp - Losses, their gradients, accuracy -------===//
//
// Sums accumulate in double. A label outside [0, classes) returns
// NNC_ERR_LABEL instead of reading out of bounds.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

namespace {

NNC_INLINE bool badLabel(int64_t L, int64_t C) { return L < 0 || L >= C; }

/// log(sum(exp(z))) of one row, with the max shifted out.
NNC_INLINE double logSumExp(const float *Z, int64_t C, float &Max) {
  float M = -__builtin_inff();
  for (int64_t K = 0; K < C; ++K)
    M = maxOf(M, Z[K]);
  float S = 0;
  for (int64_t K = 0; K < C; ++K)
    S += __builtin_expf(Z[K] - M);
  Max = M;
  return double(M) + __builtin_log(double(S));
}

} // namespace

// Elementwise losses (prediction, target) -> mean.
NNC_KERNEL(MseLoss) {
  int64_t Count = params<ElementwiseLossParams>(P).Elements;
  const float *Pr = f32(T, 0), *Tg = f32(T, 1);
  double S = 0;
  for (int64_t I = 0; I < Count; ++I) {
    float D = Pr[I] - Tg[I];
    S += D * D;
  }
  *f32(T, 2) = float(S / double(Count));
  return NNC_OK;
}

// PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
NNC_KERNEL(BceLoss) {
  int64_t Count = params<ElementwiseLossParams>(P).Elements;
  const float *Pr = f32(T, 0), *Tg = f32(T, 1);
  double S = 0;
  for (int64_t I = 0; I < Count; ++I) {
    double Pi = Pr[I], Ti = Tg[I];
    double LogP = maxOf(__builtin_log(Pi), -100.0);
    double Log1mP = maxOf(__builtin_log1p(-Pi), -100.0);
    S -= Ti * LogP + (1 - Ti) * Log1mP;
  }
  *f32(T, 2) = float(S / double(Count));
  return NNC_OK;
}

// On logits z: max(z, 0) - z t + log(1 + exp(-|z|)).
NNC_KERNEL(BceWithLogitsLoss) {
  int64_t Count = params<ElementwiseLossParams>(P).Elements;
  const float *Z = f32(T, 0), *Tg = f32(T, 1);
  double S = 0;
  for (int64_t I = 0; I < Count; ++I) {
    double Zi = Z[I];
    S += maxOf(Zi, 0.0) - Zi * Tg[I] +
         __builtin_log1p(__builtin_exp(-__builtin_fabs(Zi)));
  }
  *f32(T, 2) = float(S / double(Count));
  return NNC_OK;
}

// Row losses (z [N, C], labels i64 [N]) -> mean.
NNC_KERNEL(SoftmaxCrossEntropy) {
  const float *Z = f32(T, 0);
  const int64_t *L = in<int64_t>(T, 1);
  const RowLossParams &Q = params<RowLossParams>(P);
  int64_t N = Q.Rows, C = Q.Classes;
  double S = 0;
  for (int64_t R = 0; R < N; ++R) {
    if (badLabel(L[R], C))
      return NNC_ERR_LABEL;
    float M;
    S += logSumExp(Z + R * C, C, M) - double(Z[R * C + L[R]]);
  }
  *f32(T, 2) = float(S / double(N));
  return NNC_OK;
}

// NllLoss (log_probs [N, C, Inner], labels [N, Inner], weights [C]?) ->
// loss.
NNC_KERNEL(NllLoss) {
  const float *Lp = f32(T, 0);
  const int64_t *L = in<int64_t>(T, 1);
  const NllLossParams &Q = params<NllLossParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner, Red = Q.Reduction,
          Ignore = Q.IgnoreIndex;
  const float *W = Q.Weighted ? f32(T, 2) : nullptr;
  float *Out = f32(T, 3); // slot 2 is the weights, null when absent
  double S = 0, WSum = 0;
  for (int64_t E = 0; E < N * Inner; ++E) {
    float Term = 0;
    if (L[E] != Ignore) {
      if (badLabel(L[E], C))
        return NNC_ERR_LABEL;
      float Wt = W ? W[L[E]] : 1.0f;
      Term = -Wt * Lp[((E / Inner) * C + L[E]) * Inner + E % Inner];
      WSum += Wt;
    }
    if (Red == ReductionNone)
      Out[E] = Term;
    S += Term;
  }
  if (Red != ReductionNone)
    *Out = float(Red == ReductionSum ? S : S / WSum);
  return NNC_OK;
}

// NllLossGrad (log_probs, labels, dloss, weights?) -> d log_probs.
NNC_KERNEL(NllLossGrad) {
  const int64_t *L = in<int64_t>(T, 1);
  const float *Dl = f32(T, 2);
  const NllLossParams &Q = params<NllLossParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner, Red = Q.Reduction,
          Ignore = Q.IgnoreIndex;
  const float *W = Q.Weighted ? f32(T, 3) : nullptr;
  float *G = f32(T, 4);
  float Scale = Red == ReductionNone ? 1.0f : *Dl;
  if (Red == ReductionMean) {
    double WSum = 0;
    for (int64_t E = 0; E < N * Inner; ++E)
      if (L[E] != Ignore && !badLabel(L[E], C))
        WSum += W ? W[L[E]] : 1.0f;
    Scale = float(double(Scale) / WSum);
  }
  zero(G, N * C * Inner);
  for (int64_t E = 0; E < N * Inner; ++E) {
    if (L[E] == Ignore)
      continue;
    if (badLabel(L[E], C))
      return NNC_ERR_LABEL;
    float Wt = W ? W[L[E]] : 1.0f;
    G[((E / Inner) * C + L[E]) * Inner + E % Inner] =
        -Wt * (Red == ReductionNone ? Dl[E] : 1.0f) * Scale;
  }
  return NNC_OK;
}

// CorrectCount (z [N, C], labels [N]) -> rows whose first maximum is the
// label, as f32.
NNC_KERNEL(CorrectCount) {
  const float *Z = f32(T, 0);
  const int64_t *L = in<int64_t>(T, 1);
  const RowLossParams &Q = params<RowLossParams>(P);
  int64_t N = Q.Rows, C = Q.Classes, Correct = 0;
  for (int64_t R = 0; R < N; ++R) {
    const float *Row = Z + R * C;
    int64_t Best = 0;
    for (int64_t K = 1; K < C; ++K)
      if (Row[K] > Row[Best])
        Best = K;
    Correct += Best == L[R];
  }
  *f32(T, 2) = float(Correct);
  return NNC_OK;
}

// LossGrad (prediction, target, dloss) -> d prediction.
NNC_KERNEL(LossGrad) {
  const float *Pr = f32(T, 0);
  float Dl = *f32(T, 2);
  float *G = f32(T, 3);
  const LossGradParams &Q = params<LossGradParams>(P);
  int64_t Kind = Q.Kind;
  if (Kind == LossGradSoftmaxCrossEntropy) {
    const int64_t *L = in<int64_t>(T, 1);
    int64_t N = Q.Rows, C = Q.Classes;
    float Scale = Dl / float(N);
    for (int64_t R = 0; R < N; ++R) {
      if (badLabel(L[R], C))
        return NNC_ERR_LABEL;
      const float *Z = Pr + R * C;
      float *Gr = G + R * C;
      float M;
      double Lse = logSumExp(Z, C, M);
      float Shift = float(Lse);
      for (int64_t K = 0; K < C; ++K)
        Gr[K] = __builtin_expf(Z[K] - Shift) * Scale;
      Gr[L[R]] -= Scale;
    }
    return NNC_OK;
  }
  const float *Tg = f32(T, 1);
  int64_t Count = Q.Elements;
  float Scale = Dl / float(Count);
  for (int64_t I = 0; I < Count; ++I) {
    float Pi = Pr[I], D;
    if (Kind == LossGradMse)
      D = 2 * (Pi - Tg[I]);
    else if (Kind == LossGradBce) // PyTorch's clamp of the denominator
      D = float((double(Pi) - Tg[I]) / maxOf((1 - double(Pi)) * Pi, 1e-12));
    else // LossGradBceWithLogits
      D = sigmoid(Pi) - Tg[I];
    G[I] = D * Scale;
  }
  return NNC_OK;
}
