//===- backend/kernels/Optimizer.cpp - PyTorch's update rules -------------===//
//
// As backend/interp/Optimizer.cpp, in float: (param, grad, lr, weight_decay,
// step, state...) -> (param', state'...). P: OptimizerParams (Params.h);
// F: the optimizer's constants (<Optimizer>Reals). Optional operands absent
// are null in T, so outputs start after the op's declared operands.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

namespace {

struct Common {
  const float *P, *G;
  float Lr, Wd, Step;
  int64_t Count;
  bool Decoupled;
};

NNC_INLINE Common common(void *const *T, const OptimizerParams &Q) {
  return {f32(T, 0),  f32(T, 1),  *f32(T, 2),      *f32(T, 3),
          *f32(T, 4), Q.Elements, Q.Decoupled != 0};
}

/// Weight decay: decoupled shrinks the parameter (AdamW), coupled adds
/// wd * p to the gradient.
NNC_INLINE float decay(const Common &C, float G, float &Param) {
  if (C.Wd == 0)
    return G;
  if (C.Decoupled) {
    Param *= 1 - C.Lr * C.Wd;
    return G;
  }
  return G + C.Wd * Param;
}

} // namespace

// SGD: SgdReals; Variant: nesterov. T[5] the momentum buffer
// when S = 1.
NNC_KERNEL(SgdUpdate) {
  const OptimizerParams &Q = params<OptimizerParams>(P);
  Common C = common(T, Q);
  const SgdReals &R = reals<SgdReals>(F);
  float Mom = float(R.Momentum), Damp = float(R.Dampening);
  bool Nesterov = Q.Variant != 0, HasBuf = Q.StateOperands > 0;
  const float *Buf = HasBuf ? f32(T, 5) : nullptr;
  float *Out = f32(T, 6);
  float *NewBuf = HasBuf ? f32(T, 7) : nullptr;
  bool First = C.Step <= 1;
  for (int64_t I = 0; I < C.Count; ++I) {
    float Param = C.P[I], D = decay(C, C.G[I], Param);
    if (HasBuf && Mom == 0)
      NewBuf[I] = Buf[I];
    if (Mom != 0) {
      // The buffer starts as the first gradient, undamped.
      float B = First ? D : Mom * Buf[I] + (1 - Damp) * D;
      NewBuf[I] = B;
      D = Nesterov ? D + Mom * B : B;
    }
    Out[I] = Param - C.Lr * D;
  }
  return NNC_OK;
}

// Adagrad: AdagradReals. T[5] sum -> T[6] param', T[7] sum'.
NNC_KERNEL(AdagradUpdate) {
  const OptimizerParams &Q = params<OptimizerParams>(P);
  Common C = common(T, Q);
  const AdagradReals &R = reals<AdagradReals>(F);
  float Clr = float(double(C.Lr) / (1 + (double(C.Step) - 1) * R.LrDecay));
  float Eps = float(R.Eps);
  const float *Sum = f32(T, 5);
  float *Out = f32(T, 6), *NewSum = f32(T, 7);
  for (int64_t I = 0; I < C.Count; ++I) {
    float Param = C.P[I], D = decay(C, C.G[I], Param);
    float S = Sum[I] + D * D;
    NewSum[I] = S;
    Out[I] = Param - Clr * D / (__builtin_sqrtf(S) + Eps);
  }
  return NNC_OK;
}

// Adadelta: AdadeltaReals. T[5] square_avg, T[6] acc_delta -> T[7] param',
// T[8] square_avg', T[9] acc_delta'.
NNC_KERNEL(AdadeltaUpdate) {
  const OptimizerParams &Q = params<OptimizerParams>(P);
  Common C = common(T, Q);
  const AdadeltaReals &R = reals<AdadeltaReals>(F);
  float Rho = float(R.Rho), Eps = float(R.Eps);
  const float *Sq = f32(T, 5), *Acc = f32(T, 6);
  float *Out = f32(T, 7), *NewSq = f32(T, 8), *NewAcc = f32(T, 9);
  for (int64_t I = 0; I < C.Count; ++I) {
    float Param = C.P[I], D = decay(C, C.G[I], Param);
    float S = Rho * Sq[I] + (1 - Rho) * D * D;
    float Delta = __builtin_sqrtf(Acc[I] + Eps) / __builtin_sqrtf(S + Eps) * D;
    NewSq[I] = S;
    NewAcc[I] = Rho * Acc[I] + (1 - Rho) * Delta * Delta;
    Out[I] = Param - C.Lr * Delta;
  }
  return NNC_OK;
}

// RMSprop: RmspropReals; Variant: centered. T[5] square_avg and,
// when S >= 2, T[6] the momentum buffer; when centered, T[7] grad_avg.
NNC_KERNEL(RmspropUpdate) {
  const OptimizerParams &Q = params<OptimizerParams>(P);
  Common C = common(T, Q);
  const RmspropReals &R = reals<RmspropReals>(F);
  float Alpha = float(R.Alpha), Eps = float(R.Eps), Mom = float(R.Momentum);
  bool HasBuf = Q.StateOperands > 1, Centered = Q.Variant != 0;
  int O = 8;
  const float *Sq = f32(T, 5), *Buf = HasBuf ? f32(T, 6) : nullptr;
  const float *Mean = Centered ? f32(T, 7) : nullptr;
  float *Out = f32(T, O), *NewSq = f32(T, O + 1);
  float *NewBuf = HasBuf ? f32(T, O + 2) : nullptr;
  float *NewMean = Centered ? f32(T, O + 3) : nullptr;
  for (int64_t I = 0; I < C.Count; ++I) {
    float Param = C.P[I], D = decay(C, C.G[I], Param);
    float S = Alpha * Sq[I] + (1 - Alpha) * D * D, Var = S;
    if (Centered) {
      float M = Alpha * Mean[I] + (1 - Alpha) * D;
      NewMean[I] = M;
      Var = S - M * M;
    }
    float Avg = __builtin_sqrtf(Var) + Eps;
    NewSq[I] = S;
    if (Mom > 0) {
      float B = Mom * Buf[I] + D / Avg;
      NewBuf[I] = B;
      Out[I] = Param - C.Lr * B;
    } else {
      if (HasBuf)
        NewBuf[I] = Buf[I];
      Out[I] = Param - C.Lr * D / Avg;
    }
  }
  return NNC_OK;
}

// Adam: AdamReals; Variant: amsgrad. T[5] m, T[6] v, T[7] the
// largest v (amsgrad) -> T[8] param', T[9] m', T[10] v', T[11] largest v'.
NNC_KERNEL(AdamUpdate) {
  const OptimizerParams &Q = params<OptimizerParams>(P);
  Common C = common(T, Q);
  const AdamReals &R = reals<AdamReals>(F);
  double B1 = R.Beta1, B2 = R.Beta2;
  float Eps = float(R.Eps);
  bool Amsgrad = Q.Variant != 0;
  float StepSize = float(double(C.Lr) / (1 - __builtin_pow(B1, C.Step)));
  float Bc2Sqrt = float(__builtin_sqrt(1 - __builtin_pow(B2, C.Step)));
  const float *M = f32(T, 5), *V = f32(T, 6);
  const float *MaxV = Amsgrad ? f32(T, 7) : nullptr;
  float *Out = f32(T, 8), *NewM = f32(T, 9), *NewV = f32(T, 10);
  float *NewMaxV = Amsgrad ? f32(T, 11) : nullptr;
  float B1f = float(B1), B2f = float(B2);
  for (int64_t I = 0; I < C.Count; ++I) {
    float Param = C.P[I], D = decay(C, C.G[I], Param);
    float Mi = B1f * M[I] + (1 - B1f) * D;
    float Vi = B2f * V[I] + (1 - B2f) * D * D;
    NewM[I] = Mi;
    NewV[I] = Vi;
    if (Amsgrad) {
      Vi = maxOf(MaxV[I], Vi);
      NewMaxV[I] = Vi;
    }
    Out[I] = Param - StepSize * Mi / (__builtin_sqrtf(Vi) / Bc2Sqrt + Eps);
  }
  return NNC_OK;
}

// ai.onnx.preview.training (r, t, x, g, state...) -> (x', state'...): r a
// float scalar, t an int64 step count (steps done before this one). P:
// OnnxOptimizerParams. The optional operands are all
// present, so outputs start at T[5] (Adagrad, Momentum) or T[6] (Adam).

NNC_KERNEL(OnnxAdagrad) {
  double R = *f32(T, 0), Step = double(*in<int64_t>(T, 1));
  const OnnxAdagradReals &Q = reals<OnnxAdagradReals>(F);
  float Lr = float(R / (1 + Step * Q.DecayFactor));
  float Eps = float(Q.Epsilon), Norm = float(Q.NormCoefficient);
  const float *X = f32(T, 2), *G = f32(T, 3), *H = f32(T, 4);
  float *Xn = f32(T, 5), *Hn = f32(T, 6);
  for (int64_t I = 0; I < params<OnnxOptimizerParams>(P).Elements; ++I) {
    float Gr = Norm * X[I] + G[I];
    float Hi = H[I] + Gr * Gr;
    Hn[I] = Hi;
    Xn[I] = X[I] - Lr * Gr / (__builtin_sqrtf(Hi) + Eps);
  }
  return NNC_OK;
}

NNC_KERNEL(OnnxMomentum) {
  float R = *f32(T, 0);
  int64_t Step = *in<int64_t>(T, 1);
  const OnnxMomentumReals &Q = reals<OnnxMomentumReals>(F);
  float Alpha = float(Q.Alpha), Beta = Step > 0 ? float(Q.Beta) : 1.f;
  float Norm = float(Q.NormCoefficient);
  bool Nesterov = params<OnnxOptimizerParams>(P).Nesterov != 0;
  const float *X = f32(T, 2), *G = f32(T, 3), *V = f32(T, 4);
  float *Xn = f32(T, 5), *Vn = f32(T, 6);
  for (int64_t I = 0; I < params<OnnxOptimizerParams>(P).Elements; ++I) {
    float Gr = Norm * X[I] + G[I];
    float Vi = Alpha * V[I] + Beta * Gr;
    Vn[I] = Vi;
    Xn[I] = X[I] - R * (Nesterov ? Gr + Alpha * Vi : Vi);
  }
  return NNC_OK;
}

NNC_KERNEL(OnnxAdam) {
  double R = *f32(T, 0), Step = double(*in<int64_t>(T, 1));
  const OnnxAdamReals &Q = reals<OnnxAdamReals>(F);
  double Alpha = Q.Alpha, Beta = Q.Beta;
  float Ra =
      float(Step > 0 ? R * __builtin_sqrt(1 - __builtin_pow(Beta, Step)) /
                           (1 - __builtin_pow(Alpha, Step))
                     : R);
  float A = float(Alpha), B = float(Beta), Eps = float(Q.Epsilon),
        Norm = float(Q.NormCoefficient), Post = float(Q.NormCoefficientPost);
  const float *X = f32(T, 2), *G = f32(T, 3), *V = f32(T, 4), *H = f32(T, 5);
  float *Xn = f32(T, 6), *Vn = f32(T, 7), *Hn = f32(T, 8);
  for (int64_t I = 0; I < params<OnnxOptimizerParams>(P).Elements; ++I) {
    float Gr = Norm * X[I] + G[I];
    float Vi = A * V[I] + (1 - A) * Gr;
    float Hi = B * H[I] + (1 - B) * Gr * Gr;
    Vn[I] = Vi;
    Hn[I] = Hi;
    Xn[I] = (1 - Post) * (X[I] - Ra * Vi / (__builtin_sqrtf(Hi) + Eps));
  }
  return NNC_OK;
}
