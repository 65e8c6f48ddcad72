//===- backend/kernels/Activation.cpp - Softmax, maxout and their grads ---===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

namespace {

/// Softmax or log-softmax along an axis; the max is shifted out so large
/// logits neither overflow nor lose bits.
NNC_INLINE void softmax(const float *X, float *Y, const int64_t *P, bool Log) {
  const SoftmaxParams &Q = params<SoftmaxParams>(P);
  int64_t Outer = Q.Outer, Extent = Q.Extent, Inner = Q.Inner;
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I = 0; I < Inner; ++I) {
      const float *Xr = X + O * Extent * Inner + I;
      float *Yr = Y + O * Extent * Inner + I;
      float M = -__builtin_inff();
      for (int64_t K = 0; K < Extent; ++K)
        M = maxOf(M, Xr[K * Inner]);
      float Sum = 0;
      for (int64_t K = 0; K < Extent; ++K) {
        float E = __builtin_expf(Xr[K * Inner] - M);
        Yr[K * Inner] = E;
        Sum += E;
      }
      if (Log) {
        float Shift = M + __builtin_logf(Sum);
        for (int64_t K = 0; K < Extent; ++K)
          Yr[K * Inner] = Xr[K * Inner] - Shift;
      } else {
        float Inv = 1.f / Sum;
        for (int64_t K = 0; K < Extent; ++K)
          Yr[K * Inner] *= Inv;
      }
    }
}

} // namespace

NNC_KERNEL(Softmax) {
  softmax(f32(T, 0), f32(T, 1), P, false);
  return NNC_OK;
}
NNC_KERNEL(LogSoftmax) {
  softmax(f32(T, 0), f32(T, 1), P, true);
  return NNC_OK;
}

// SoftmaxGrad (y, dy) -> dx.
// Softmax: dx = y (dy - sum(dy y)); LogSoftmax: dx = dy - e^y sum(dy).
NNC_KERNEL(SoftmaxGrad) {
  const float *Y = f32(T, 0), *Dy = f32(T, 1);
  float *Dx = f32(T, 2);
  const SoftmaxParams &Q = params<SoftmaxParams>(P);
  int64_t Outer = Q.Outer, Extent = Q.Extent, Inner = Q.Inner;
  bool Log = Q.Log != 0;
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I = 0; I < Inner; ++I) {
      int64_t Base = O * Extent * Inner + I;
      float Sum = 0;
      for (int64_t K = 0; K < Extent; ++K) {
        int64_t At = Base + K * Inner;
        Sum += Log ? Dy[At] : Dy[At] * Y[At];
      }
      for (int64_t K = 0; K < Extent; ++K) {
        int64_t At = Base + K * Inner;
        Dx[At] =
            Log ? Dy[At] - __builtin_expf(Y[At]) * Sum : Y[At] * (Dy[At] - Sum);
      }
    }
  return NNC_OK;
}

// Maxout: X [outer, C*K, inner] -> Y [outer, C, inner], K pieces.
NNC_KERNEL(Maxout) {
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  const MaxoutParams &Q = params<MaxoutParams>(P);
  int64_t Outer = Q.Outer, C = Q.C, Inner = Q.Inner, K = Q.Pieces;
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t Ch = 0; Ch < C; ++Ch) {
      float *Dst = Y + (O * C + Ch) * Inner;
      const float *Src = X + (O * C * K + Ch * K) * Inner;
      for (int64_t I = 0; I < Inner; ++I)
        Dst[I] = Src[I];
      for (int64_t Pc = 1; Pc < K; ++Pc)
        for (int64_t I = 0; I < Inner; ++I)
          Dst[I] = maxOf(Dst[I], Src[Pc * Inner + I]);
    }
  return NNC_OK;
}

// MaxoutGrad (x, dy) -> dx: dy goes to the first piece holding the max.
NNC_KERNEL(MaxoutGrad) {
  const float *X = f32(T, 0), *Dy = f32(T, 1);
  float *Dx = f32(T, 2);
  const MaxoutParams &Q = params<MaxoutParams>(P);
  int64_t Outer = Q.Outer, C = Q.C, Inner = Q.Inner, K = Q.Pieces;
  zero(Dx, Outer * C * K * Inner);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        int64_t Best = (O * C * K + Ch * K) * Inner + I;
        for (int64_t Pc = 1; Pc < K; ++Pc) {
          int64_t At = (O * C * K + Ch * K + Pc) * Inner + I;
          if (X[At] > X[Best])
            Best = At;
        }
        Dx[Best] = Dy[(O * C + Ch) * Inner + I];
      }
  return NNC_OK;
}

// PReluGrad (x, slope, dy) -> (dx, dslope).
NNC_KERNEL(PReluGrad) {
  const float *X = f32(T, 0), *Slope = f32(T, 1), *Dy = f32(T, 2);
  float *Dx = f32(T, 3), *Ds = f32(T, 4);
  const PReluGradParams &Q = params<PReluGradParams>(P);
  int64_t C = Q.C, Inner = Q.Inner, Total = Q.Elements;
  bool PerChannel = Q.PerChannel != 0;
  zero(Ds, PerChannel ? C : 1);
  for (int64_t I = 0; I < Total; ++I) {
    int64_t Ch = PerChannel ? (I / Inner) % C : 0;
    Dx[I] = X[I] > 0 ? Dy[I] : Slope[Ch] * Dy[I];
    if (X[I] <= 0)
      Ds[Ch] += Dy[I] * X[I];
  }
  return NNC_OK;
}

// Rbf (x [N,D], mu [K,D], beta [K]) -> y [N,K] = exp(-beta |x - mu|^2).
NNC_KERNEL(Rbf) {
  const float *X = f32(T, 0), *Mu = f32(T, 1), *Beta = f32(T, 2);
  float *Y = f32(T, 3);
  const RbfParams &Q = params<RbfParams>(P);
  int64_t N = Q.N, D = Q.D, K = Q.K;
  for (int64_t I = 0; I < N; ++I)
    for (int64_t J = 0; J < K; ++J) {
      float Dist = 0;
      for (int64_t E = 0; E < D; ++E) {
        float Diff = X[I * D + E] - Mu[J * D + E];
        Dist += Diff * Diff;
      }
      Y[I * K + J] = __builtin_expf(-Beta[J] * Dist);
    }
  return NNC_OK;
}

// RbfGrad (x, mu, beta, y, dy) -> (dx, dmu, dbeta).
NNC_KERNEL(RbfGrad) {
  const float *X = f32(T, 0), *Mu = f32(T, 1), *Beta = f32(T, 2),
              *Y = f32(T, 3), *Dy = f32(T, 4);
  float *Dx = f32(T, 5), *Dmu = f32(T, 6), *Db = f32(T, 7);
  const RbfParams &Q = params<RbfParams>(P);
  int64_t N = Q.N, D = Q.D, K = Q.K;
  zero(Dx, N * D);
  zero(Dmu, K * D);
  zero(Db, K);
  for (int64_t I = 0; I < N; ++I)
    for (int64_t J = 0; J < K; ++J) {
      float E = Dy[I * K + J] * Y[I * K + J], D2 = 0;
      for (int64_t C = 0; C < D; ++C) {
        float Diff = X[I * D + C] - Mu[J * D + C];
        D2 += Diff * Diff;
        Dx[I * D + C] -= 2 * Beta[J] * E * Diff;
        Dmu[J * D + C] += 2 * Beta[J] * E * Diff;
      }
      Db[J] -= E * D2;
    }
  return NNC_OK;
}
