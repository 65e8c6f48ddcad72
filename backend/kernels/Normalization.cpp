//===- backend/kernels/Normalization.cpp - BatchNorm and LRN --------------===//
//
// BatchNorm kernels: P is BatchNormParams (Params.h), split into tasks over
// the channels (nnc_t_<Op>); F: BatchNormReals. Channel statistics accumulate
// in double.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"
#include "backend/kernels/MaxPool2x2.h"

using namespace nnck;

namespace {

/// Mean and biased variance of channel Ch of X [N, C, Inner].
NNC_INLINE void moments(const float *X, int64_t N, int64_t C, int64_t Inner,
                        int64_t Ch, double &Mean, double &Var) {
  double S = 0;
  for (int64_t B = 0; B < N; ++B) {
    const float *R = X + (B * C + Ch) * Inner;
    float Part = 0;
    for (int64_t I = 0; I < Inner; ++I)
      Part += R[I];
    S += Part;
  }
  double Count = double(N * Inner);
  Mean = S / Count;
  double V = 0;
  float M = float(Mean);
  for (int64_t B = 0; B < N; ++B) {
    const float *R = X + (B * C + Ch) * Inner;
    float Part = 0;
    for (int64_t I = 0; I < Inner; ++I)
      Part += (R[I] - M) * (R[I] - M);
    V += Part;
  }
  Var = V / Count;
}

/// y = act(scale (x - mean) / sqrt(var + eps) + bias) over channel Ch: one
/// pass; Act and ActF as activate() (0: none). With Pooled, each plane
/// (PH x PW) is also max-pooled over 2x2 windows while it is in cache.
NNC_INLINE void normalize(const float *X, float *Y, int64_t N, int64_t C,
                          int64_t Inner, int64_t Ch, float Scale, float Bias,
                          double Mean, double Var, double Eps, int64_t Act = 0,
                          const double *ActF = nullptr, float *Pooled = nullptr,
                          int64_t PH = 0, int64_t PW = 0) {
  float A = float(Scale / __builtin_sqrt(Var + Eps));
  float B = float(Bias - Mean * double(A));
  for (int64_t Bt = 0; Bt < N; ++Bt) {
    const float *R = X + (Bt * C + Ch) * Inner;
    float *D = Y + (Bt * C + Ch) * Inner;
    for (int64_t I = 0; I < Inner; ++I)
      D[I] = activate(R[I] * A + B, Act, ActF);
    if (!Pooled)
      continue;
    // As the MaxPool kernel's 2x2 path.
    int64_t OW = PW / 2;
    for (int64_t Oh = 0; Oh < PH / 2; ++Oh)
      maxPool2x2Run(D + 2 * Oh * PW, PW,
                    Pooled + ((Bt * C + Ch) * (PH / 2) + Oh) * OW, OW);
  }
}

} // namespace

// BatchNorm (x, scale, bias, mean, var) -> y, by the running statistics or
// (Mode) the batch's.
NNC_KERNEL(BatchNorm) { return NNC_OK; }
NNC_TASK(BatchNorm) {
  const float *X = f32(T, 0), *Scale = f32(T, 1), *Bias = f32(T, 2),
              *Mean = f32(T, 3), *Var = f32(T, 4);
  float *Y = f32(T, 5);
  const BatchNormParams &Q = params<BatchNormParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner;
  for (int64_t Ch = C * Task / Q.Tasks; Ch < C * (Task + 1) / Q.Tasks; ++Ch) {
    double M = Mean[Ch], V = Var[Ch];
    if (Q.Mode)
      moments(X, N, C, Inner, Ch, M, V);
    normalize(X, Y, N, C, Inner, Ch, Scale[Ch], Bias[Ch], M, V,
              reals<BatchNormReals>(F).Epsilon);
  }
  return NNC_OK;
}

// BatchNormTrain (x, scale, bias, running_mean, running_var) ->
// (y, running_mean', running_var'): y from the batch's mean and biased
// variance; the running statistics move toward the batch's mean and
// (Mode ? unbiased : biased) variance by the momentum (PyTorch). A fused
// activation (its attributes in Attrs) applies in the same pass; the batch's
// statistics and y max-pooled 2x2 may go to further slots (Params.h).
NNC_KERNEL(BatchNormTrain) { return NNC_OK; }
NNC_TASK(BatchNormTrain) {
  const float *X = f32(T, 0), *Scale = f32(T, 1), *Bias = f32(T, 2),
              *RMean = f32(T, 3), *RVar = f32(T, 4);
  float *Y = f32(T, 5), *NewMean = f32(T, 6), *NewVar = f32(T, 7);
  const BatchNormParams &Q = params<BatchNormParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner;
  const BatchNormReals &R = reals<BatchNormReals>(F);
  double Count = double(N * Inner), Mom = R.Momentum;
  for (int64_t Ch = C * Task / Q.Tasks; Ch < C * (Task + 1) / Q.Tasks; ++Ch) {
    double M, V;
    moments(X, N, C, Inner, Ch, M, V);
    normalize(X, Y, N, C, Inner, Ch, Scale[Ch], Bias[Ch], M, V, R.Epsilon,
              Q.Activation, R.Attrs,
              Q.PooledSlot ? f32(T, int(Q.PooledSlot)) : nullptr, Q.PoolH,
              Q.PoolW);
    if (Q.StatisticsSlot) {
      in<double>(T, int(Q.StatisticsSlot))[2 * Ch] = M;
      in<double>(T, int(Q.StatisticsSlot))[2 * Ch + 1] = V;
    }
    double Unbiased = Q.Mode ? V * Count / (Count - 1) : V;
    NewMean[Ch] = float((1 - Mom) * RMean[Ch] + Mom * M);
    NewVar[Ch] = float((1 - Mom) * RVar[Ch] + Mom * Unbiased);
  }
  return NNC_OK;
}

namespace {

/// BatchNormGrad's dy, computed through the prologues fused into it as it
/// is read: an activation's gradient (Op >= 0), and before that the
/// gradient of a 2x2 max pooling of an H x W plane (W > 0).
struct GradIn {
  const float *Dz, *Ux, *Uy, *Px, *Py;
  int64_t Op, H, W;
  const double *F;

  static constexpr int64_t Room = 1024; // floats of a chunk, in L1

  /// Chunk(I, N, D) for consecutive runs of the plane at offset Base:
  /// D[0:N] (writable, a local buffer) holds dy of elements [I, I + N).
  /// In a buffer, the loops over a run vectorize even where the kernel
  /// writes dx over what it reads.
  template <typename V>
  NNC_METHOD void chunks(int64_t Base, int64_t Inner, V Chunk) const {
    float Buf[Room];
    auto Run = [&](int64_t I, int64_t N, float *D) NNC_LAMBDA {
      if (Op >= 0)
        for (int64_t J = 0; J < N; ++J)
          D[J] *= unaryDerivative(Op, Ux[Base + I + J], Uy[Base + I + J], F);
      Chunk(I, N, D);
    };
    if (W == 0) {
      for (int64_t I = 0; I < Inner; I += Room) {
        int64_t N = minOf(Room, Inner - I);
        copy(Buf, Dz + Base + I, N);
        Run(I, N, Buf);
      }
      return;
    }
    // Each window's dy goes to its first element equal to the pooled
    // value, as PoolGrad routes it. Whole pairs of rows per run where they
    // fit, else pieces of both rows.
    int64_t OW = W / 2, Pairs = Room / (2 * W);
    int64_t Piece = Pairs > 0 ? OW : Room / 4; // windows per row and run
    for (int64_t Oh = 0; Oh < H / 2;) {
      int64_t Rows = Pairs > 0 ? minOf(Pairs, H / 2 - Oh) : 1;
      for (int64_t Ow0 = 0; Ow0 < OW; Ow0 += Piece) {
        int64_t Wins = minOf(Piece, OW - Ow0);
        for (int64_t R = 0; R < Rows; ++R) {
          int64_t Row = 2 * (Oh + R) * W, Pooled = Base / 4 + (Oh + R) * OW;
          maxPoolGrad2x2Run(Px + Base + Row + 2 * Ow0, W, Py + Pooled + Ow0,
                            Dz + Pooled + Ow0, Buf + 2 * R * 2 * Wins, 2 * Wins,
                            Wins);
        }
        if (Pairs > 0) { // whole rows: one run
          Run(2 * Oh * W, 2 * Rows * W, Buf);
        } else {
          Run(2 * Oh * W + 2 * Ow0, 2 * Wins, Buf);
          Run((2 * Oh + 1) * W + 2 * Ow0, 2 * Wins, Buf + 2 * Wins);
        }
      }
      Oh += Rows;
    }
  }
};

} // namespace

// BatchNormGrad (x, scale, mean, var, dy) -> (dx, dscale, dbias). Mode:
// training (the batch's statistics, through which the gradient flows).
// A fused activation gradient (Activation >= 0, the UnaryGrad code; Attrs
// its attributes): T[4] is the activation's dy and dy = T[4] *
// op'(T[9], T[10]), computed as it is read, so the masked gradient is never
// stored. Before that, a fused 2x2 max pooling's gradient: T[4] is the
// pooling's dy, T[11] and T[12] its x and y. With prologues, the workspace
// T[8] keeps each task's dy for the second pass (N x inner floats).
NNC_KERNEL(BatchNormGrad) { return NNC_OK; }
NNC_TASK(BatchNormGrad) {
  const float *X = f32(T, 0), *Scale = f32(T, 1), *Mean = f32(T, 2),
              *Var = f32(T, 3);
  float *Dx = f32(T, 5), *Dscale = f32(T, 6), *Dbias = f32(T, 7);
  const BatchNormParams &Q = params<BatchNormParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner, Op = Q.Activation;
  GradIn Dy{f32(T, 4),
            Op >= 0 ? f32(T, 9) : nullptr,
            Op >= 0 ? f32(T, 10) : nullptr,
            Q.PoolW ? f32(T, 11) : nullptr,
            Q.PoolW ? f32(T, 12) : nullptr,
            Op,
            Q.PoolH,
            Q.PoolW,
            reals<BatchNormReals>(F).Attrs};
  bool Training = Q.Mode != 0;
  double M = double(N * Inner);
  // With prologues, dy through them is kept for the second pass.
  float *Kept = Q.DyInWorkspace ? f32(T, 8) + Task * N * Inner : nullptr;
  for (int64_t Ch = C * Task / Q.Tasks; Ch < C * (Task + 1) / Q.Tasks; ++Ch) {
    double Mu = Mean[Ch], V = Var[Ch];
    if (Training && Q.StatisticsSlot) {
      Mu = in<double>(T, int(Q.StatisticsSlot))[2 * Ch];
      V = in<double>(T, int(Q.StatisticsSlot))[2 * Ch + 1];
    } else if (Training) {
      moments(X, N, C, Inner, Ch, Mu, V);
    }
    double InvStd = 1 / __builtin_sqrt(V + reals<BatchNormReals>(F).Epsilon);
    double SumDy = 0, SumDyXhat = 0;
    float Mf = float(Mu);
    for (int64_t B = 0; B < N; ++B) {
      int64_t Base = (B * C + Ch) * Inner;
      const float *Xr = X + Base;
      float S0 = 0, S1 = 0;
      Dy.chunks(Base, Inner, [&](int64_t I, int64_t N, float *D) NNC_LAMBDA {
        for (int64_t J = 0; J < N; ++J) {
          S0 += D[J];
          S1 += D[J] * (Xr[I + J] - Mf);
        }
        if (Kept)
          copy(Kept + B * Inner + I, D, N);
      });
      SumDy += S0;
      SumDyXhat += double(S1) * InvStd;
    }
    Dscale[Ch] = float(SumDyXhat);
    Dbias[Ch] = float(SumDy);
    // dx = scale * invstd / M * (M dy - sum(dy) - xhat sum(dy xhat)), or
    // scale * invstd * dy with fixed statistics.
    float A = float(Scale[Ch] * InvStd);
    float Bm = Training ? float(SumDy / M) : 0.f;
    float Cx = Training ? float(SumDyXhat / M * InvStd) : 0.f;
    for (int64_t B = 0; B < N; ++B) {
      int64_t Base = (B * C + Ch) * Inner;
      const float *Xr = X + Base;
      float *Out = Dx + Base;
      auto Write = [&](int64_t I, int64_t N, float *D) NNC_LAMBDA {
        for (int64_t J = 0; J < N; ++J)
          D[J] = A * (D[J] - Bm - (Xr[I + J] - Mf) * Cx);
        copy(Out + I, D, N);
      };
      if (!Kept) {
        Dy.chunks(Base, Inner, Write);
        continue;
      }
      // Through a local buffer still: dx may be written over x.
      float Buf[GradIn::Room];
      for (int64_t I = 0; I < Inner; I += GradIn::Room) {
        int64_t Len = minOf(GradIn::Room, Inner - I);
        copy(Buf, Kept + B * Inner + I, Len);
        Write(I, Len, Buf);
      }
    }
    if (Q.DxSumSlot) {
      // Summed as the Reduce kernel sums (rows of SumRows, in order), so the
      // fused and unfused steps agree: a bias before a BatchNorm has a
      // gradient of zero, and what both compute is rounding.
      float Sum = 0;
      for (int64_t B = 0; B < N; ++B)
        for (int64_t R = 0; R < Inner; R += Q.SumRows) {
          const float *Row = Dx + (B * C + Ch) * Inner + R;
          float Part = 0;
          for (int64_t J = 0; J < Q.SumRows; ++J)
            Part += Row[J];
          Sum += Part;
        }
      f32(T, int(Q.DxSumSlot))[Ch] = Sum;
    }
  }
  return NNC_OK;
}

namespace {
/// LRN's S for every element: bias + alpha/size * sum of x^2 over channels
/// [c - floor((size-1)/2), c + ceil((size-1)/2)].
NNC_INLINE float lrnScale(const float *X, int64_t C, int64_t Inner, int64_t B,
                          int64_t Ch, int64_t I, int64_t Size, float Alpha,
                          float Bias) {
  int64_t Before = (Size - 1) / 2, After = Size - 1 - Before;
  float Sq = 0;
  for (int64_t K = maxOf<int64_t>(0, Ch - Before);
       K <= minOf<int64_t>(C - 1, Ch + After); ++K) {
    float V = X[(B * C + K) * Inner + I];
    Sq += V * V;
  }
  return Bias + Alpha / float(Size) * Sq;
}
} // namespace

// LRN: F = LrnReals.
NNC_KERNEL(LRN) {
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  const LrnParams &Q = params<LrnParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner, Size = Q.Size;
  const LrnReals &R = reals<LrnReals>(F);
  float Alpha = float(R.Alpha), Beta = float(R.Beta), Bias = float(R.Bias);
  for (int64_t B = 0; B < N; ++B)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        int64_t At = (B * C + Ch) * Inner + I;
        float S = lrnScale(X, C, Inner, B, Ch, I, Size, Alpha, Bias);
        Y[At] = X[At] * __builtin_powf(S, -Beta);
      }
  return NNC_OK;
}

// LRNGrad (x, dy) -> dx, F as LRN:
// dx_i = dy_i S_i^-beta - 2 alpha beta / size x_i sum_c dy_c x_c S_c^(-beta-1).
NNC_KERNEL(LRNGrad) {
  const float *X = f32(T, 0), *Dy = f32(T, 1);
  float *Dx = f32(T, 2);
  const LrnParams &Q = params<LrnParams>(P);
  int64_t N = Q.N, C = Q.C, Inner = Q.Inner, Size = Q.Size;
  const LrnReals &R = reals<LrnReals>(F);
  float Alpha = float(R.Alpha), Beta = float(R.Beta), Bias = float(R.Bias);
  int64_t Before = (Size - 1) / 2, After = Size - 1 - Before;
  for (int64_t B = 0; B < N; ++B)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        int64_t Here = (B * C + Ch) * Inner + I;
        float Acc = 0;
        for (int64_t K = maxOf<int64_t>(0, Ch - After);
             K <= minOf<int64_t>(C - 1, Ch + Before); ++K) {
          int64_t There = (B * C + K) * Inner + I;
          float S = lrnScale(X, C, Inner, B, K, I, Size, Alpha, Bias);
          Acc += Dy[There] * X[There] * __builtin_powf(S, -Beta - 1);
        }
        float S = lrnScale(X, C, Inner, B, Ch, I, Size, Alpha, Bias);
        Dx[Here] = Dy[Here] * __builtin_powf(S, -Beta) -
                   2 * Alpha * Beta / float(Size) * X[Here] * Acc;
      }
  return NNC_OK;
}
