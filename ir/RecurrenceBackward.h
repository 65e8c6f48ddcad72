//===- ir/RecurrenceBackward.h - RNN, GRU, LSTM backward, once --*- C++ -*-===//
//
// Backpropagation through time for ir/Recurrence.h's ops, from what their
// forward pass saved; instantiated in double by the interpreter and in
// float by the kernels, like the forward. Per step, one product carries
// the gradient to the previous hidden state; the weight gradients and dx
// are products over the whole sequence at the end.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Recurrence.h"

namespace nnc::recurrent {

#define NNC_RNN_INLINE inline __attribute__((always_inline))
#define NNC_RNN_LAMBDA __attribute__((always_inline))

/// The incoming gradients (null where no gradient reaches that output) and
/// the gradients computed, each shaped as the operand it belongs to.
template <typename T> struct Gradients {
  const T *Dy, *Dyh, *Dyc;
  T *Dx, *Dw, *Dr, *Db, *Dp, *Dh0, *Dc0;
};

/// The gate-input gradients of every step: one array, or for GRU two (its
/// recurrent side differs from the input side, r scaling the candidate's).
constexpr int64_t gradientSides(Cell C) { return C == Cell::Gru ? 2 : 1; }

/// Floats of scratch runBackward() needs.
constexpr int64_t backwardWorkspaceFloats(const Params &P) {
  int64_t GH = gateCount(Cell(P.Kind)) * P.Hidden, H = P.Hidden;
  int64_t Rows = P.Steps * P.Batch, Sides = gradientSides(Cell(P.Kind));
  return Sides * Rows * GH + P.Batch * GH + 5 * P.Batch * H;
}

/// d(activation of clip(x)) / dx.
template <typename T>
NNC_RNN_INLINE T clippedDerivative(const Functions<T> &F, int K, T X, T Clip) {
  if (X < -Clip || X > Clip)
    return T(0);
  return activationDerivative(F.Kind[K], X, F.Alpha[K], F.Beta[K]);
}

/// One LSTM step of one sequence: from dh and dc (replaced by dc of the
/// previous step) to the gates' input gradients Gx (= Gr), accumulating
/// the peepholes' gradient into Dp.
template <typename T>
NNC_RNN_INLINE void lstmBackward(const Params &P, const Functions<T> &F, T Clip,
                                 const T *Sv, const T *Peep, const T *Dh, T *Dc,
                                 T *Gx, T *Dp) {
  int64_t H = P.Hidden, GH = 4 * H;
  for (int64_t J = 0; J < H; ++J) {
    T PI = Sv[J], PO = Sv[H + J], PF = Sv[2 * H + J], PG = Sv[3 * H + J];
    T Cp = Sv[GH + H + J], C = Sv[GH + 2 * H + J];
    T I = F.apply(0, clip(PI, Clip)), O = F.apply(0, clip(PO, Clip));
    T Fg = P.InputForget ? T(1) - I : F.apply(0, clip(PF, Clip));
    T G = F.apply(1, clip(PG, Clip));
    T DC =
        Dc[J] +
        Dh[J] * O * activationDerivative(F.Kind[2], C, F.Alpha[2], F.Beta[2]);
    T DPo = Dh[J] * F.apply(2, C) * clippedDerivative(F, 0, PO, Clip);
    if (Peep)
      DC += DPo * Peep[H + J];
    T DI = DC * G, DG = DC * I, DF = DC * Cp, DCp = DC * Fg;
    T DPf = T(0);
    if (P.InputForget)
      DI -= DF;
    else
      DPf = DF * clippedDerivative(F, 0, PF, Clip);
    T DPi = DI * clippedDerivative(F, 0, PI, Clip);
    T DPg = DG * clippedDerivative(F, 1, PG, Clip);
    if (Peep) {
      DCp += DPi * Peep[J] + DPf * Peep[2 * H + J];
      Dp[J] += DPi * Cp;
      Dp[H + J] += DPo * C;
      Dp[2 * H + J] += DPf * Cp;
    }
    Gx[J] = DPi;
    Gx[H + J] = DPo;
    Gx[2 * H + J] = DPf;
    Gx[3 * H + J] = DPg;
    Dc[J] = DCp;
  }
}

/// GRU, first part: dh's share through z and the candidate. Direct: dh's
/// share that reaches the previous h without R. Without
/// linear_before_reset, Gx's first third holds dz until gruBackwardLate.
template <typename T>
NNC_RNN_INLINE void gruBackward(const Params &P, const Functions<T> &F, T Clip,
                                const T *Sv, const T *Dh, T *Gx, T *Gr,
                                T *Direct) {
  int64_t H = P.Hidden, GH = 3 * H;
  for (int64_t J = 0; J < H; ++J) {
    T PZ = Sv[J], PR = Sv[H + J], PH = Sv[2 * H + J];
    T Hp = Sv[GH + J], Extra = Sv[GH + H + J];
    T Z = F.apply(0, clip(PZ, Clip)), R = F.apply(0, clip(PR, Clip));
    T G = F.apply(1, clip(PH, Clip));
    T DZ = Dh[J] * (Hp - G);
    T DPh = Dh[J] * (T(1) - Z) * clippedDerivative(F, 1, PH, Clip);
    Direct[J] = Dh[J] * Z;
    Gx[2 * H + J] = DPh;
    if (!P.LinearBeforeReset) {
      Gx[J] = DZ; // finished by gruBackwardLate
      Gr[2 * H + J] = DPh;
      continue;
    }
    T DR = DPh * Extra; // Extra: H R_h^T + Rb_h
    Gx[J] = Gr[J] = DZ * clippedDerivative(F, 0, PZ, Clip);
    Gx[H + J] = Gr[H + J] = DR * clippedDerivative(F, 0, PR, Clip);
    Gr[2 * H + J] = DPh * R;
  }
}

/// GRU without linear_before_reset, second part: Late = dpre_h R_h, which
/// reaches r through r * H and the previous h through r.
template <typename T>
NNC_RNN_INLINE void gruBackwardLate(const Params &P, const Functions<T> &F,
                                    T Clip, const T *Sv, const T *Late, T *Gx,
                                    T *Gr, T *Direct) {
  int64_t H = P.Hidden, GH = 3 * H;
  for (int64_t J = 0; J < H; ++J) {
    T PZ = Sv[J], PR = Sv[H + J], Hp = Sv[GH + J];
    T R = F.apply(0, clip(PR, Clip));
    Direct[J] += Late[J] * R;
    Gx[J] = Gr[J] = Gx[J] * clippedDerivative(F, 0, PZ, Clip);
    Gx[H + J] = Gr[H + J] = Late[J] * Hp * clippedDerivative(F, 0, PR, Clip);
  }
}

/// The whole-sequence products of one direction: dx (+)= Gx W, dW = Gx^T X,
/// dR = Gr^T H_prev (GRU without linear_before_reset: its h rows from
/// r * H_prev), and the biases' gradients, the column sums.
template <typename T, typename GemmFn>
NNC_RNN_INLINE void weightGradients(const Params &P, const Tensors<T> &Ts,
                                    const Gradients<T> &G, int64_t D,
                                    const T *Saved, const T *Gx, const T *Gr,
                                    GemmFn Gemm) {
  int64_t H = P.Hidden, I = P.Input, GH = gateCount(Cell(P.Kind)) * H;
  int64_t Rows = P.Steps * P.Batch, Row = savedRowFloats(P);
  const T *W = Ts.W + D * GH * I;
  Gemm(Rows, I, GH, Gx, GH, 1, W, I, 1, G.Dx, I, D > 0);
  Gemm(GH, I, Rows, Gx, 1, GH, Ts.X, I, 1, G.Dw + D * GH * I, I, false);
  bool Late = P.Kind == int64_t(Cell::Gru) && !P.LinearBeforeReset;
  T *Dr = G.Dr + D * GH * H;
  int64_t Early = Late ? 2 * H : GH;
  Gemm(Early, H, Rows, Gr, 1, GH, Saved + GH, Row, 1, Dr, H, false);
  if (Late)
    Gemm(H, H, Rows, Gr + 2 * H, 1, GH, Saved + GH + H, Row, 1, Dr + 2 * H * H,
         H, false);
  T *Db = G.Db + D * 2 * GH;
  for (int64_t J = 0; J < 2 * GH; ++J)
    Db[J] = T(0);
  for (int64_t E = 0; E < Rows; ++E)
    for (int64_t J = 0; J < GH; ++J)
      Db[J] += Gx[E * GH + J];
  if (Gr == Gx) { // LSTM, RNN: both biases add to the same gate inputs
    for (int64_t J = 0; J < GH; ++J)
      Db[GH + J] = Db[J];
    return;
  }
  for (int64_t E = 0; E < Rows; ++E)
    for (int64_t J = 0; J < GH; ++J)
      Db[GH + J] += Gr[E * GH + J];
}

/// Backpropagation through time. Saved is what run() saved; Gemm as for
/// run(). Returns false if a sequence length is outside [0, Steps].
template <typename T, typename GemmFn>
NNC_RNN_INLINE bool runBackward(const Params &P, const Reals &Re,
                                const Tensors<T> &Ts, const Gradients<T> &G,
                                T *Work, GemmFn Gemm) {
  Cell Kind = Cell(P.Kind);
  int64_t Steps = P.Steps, Batch = P.Batch, H = P.Hidden;
  int64_t GH = gateCount(Kind) * H, Dirs = directions(P);
  int64_t Rows = Steps * Batch, Row = savedRowFloats(P);
  Indexing At{Steps, Batch, Dirs, H, P.BatchFirst != 0};
  T Clip = T(Re.Clip);
  if (!lengthsValid(P, Ts.Lengths))
    return false;
  // LSTM's and RNN's input and recurrent sides agree: Gr is Gx.
  int64_t Sides = gradientSides(Kind);
  T *Gx = Work, *Gr = Gx + (Sides - 1) * Rows * GH;
  T *StepG = Gx + Sides * Rows * GH;
  T *Dh = StepG + Batch * GH, *Dc = Dh + Batch * H, *Direct = Dc + Batch * H;
  T *Late = Direct + Batch * H, *DhNew = Late + Batch * H;
  bool IsLate = Kind == Cell::Gru && !P.LinearBeforeReset;
  int64_t Early = IsLate ? 2 * H : GH;
  // One call per direction, each with a constant D: the activation
  // codes fold into the gate loops, which then vectorize.
  auto RunDirection = [&](int64_t D) NNC_RNN_LAMBDA {
    bool Reverse = P.Direction == int64_t(Direction::Reverse) || D == 1;
    Functions<T> F = functionsOf<T>(P, Re, D);
    const T *R = Ts.R + D * GH * H, *Saved = Ts.Saved + D * Rows * Row;
    const T *Peep = Ts.P ? Ts.P + D * 3 * H : nullptr;
    T *Dp = G.Dp ? G.Dp + D * 3 * H : nullptr;
    if (Ts.Lengths) // and Gr: rows past a sequence's end stay zero
      for (int64_t E = 0; E < Sides * Rows * GH; ++E)
        Gx[E] = T(0);
    for (int64_t J = 0; Dp && J < 3 * H; ++J)
      Dp[J] = T(0);
    for (int64_t B = 0; B < Batch; ++B)
      for (int64_t J = 0; J < H; ++J) {
        int64_t S = At.state(D, B) + J;
        Dh[B * H + J] = G.Dyh ? G.Dyh[S] : T(0);
        Dc[B * H + J] = G.Dyc ? G.Dyc[S] : T(0);
      }
    for (int64_t Step = Steps - 1; Step >= 0; --Step) {
      for (int64_t B = 0; B < Batch; ++B) {
        int64_t Tb = stepOf(Ts.Lengths, Steps, Step, B, Reverse);
        if (Tb < 0)
          continue;
        T *DhB = Dh + B * H;
        if (G.Dy)
          for (int64_t J = 0; J < H; ++J)
            DhB[J] += G.Dy[At.y(Tb, D, B) + J];
        int64_t E = At.row(Tb, B);
        const T *Sv = Saved + E * Row;
        T *GxE = Gx + E * GH, *GrE = Gr + E * GH;
        for (int64_t J = 0; J < H; ++J)
          Direct[B * H + J] = T(0);
        if (Kind == Cell::Lstm)
          lstmBackward(P, F, Clip, Sv, Peep, DhB, Dc + B * H, GxE, Dp);
        else if (Kind == Cell::Gru)
          gruBackward(P, F, Clip, Sv, DhB, GxE, GrE, Direct + B * H);
        else
          for (int64_t J = 0; J < H; ++J)
            GxE[J] = DhB[J] * clippedDerivative(F, 0, Sv[J], Clip);
      }
      // This step's recurrent-side gradients, a row per sequence: where
      // every sequence is at the same step, read where they lie.
      const T *StepA = StepG;
      int64_t StepRs = GH;
      if (!Ts.Lengths && !IsLate) {
        int64_t Tb = stepOf(Ts.Lengths, Steps, Step, 0, Reverse);
        StepA = Gr + At.row(Tb, 0) * GH;
        StepRs = (At.row(Tb, 1) - At.row(Tb, 0)) * GH;
      }
      for (int64_t B = 0; StepA == StepG && B < Batch; ++B) {
        int64_t Tb = stepOf(Ts.Lengths, Steps, Step, B, Reverse);
        const T *Src = Tb < 0 ? nullptr : Gr + At.row(Tb, B) * GH;
        for (int64_t J = 0; J < GH; ++J)
          StepG[B * GH + J] = Src ? Src[J] : T(0);
      }
      if (IsLate) {
        Gemm(Batch, H, H, StepG + 2 * H, GH, 1, R + 2 * H * H, H, 1, Late, H,
             false);
        for (int64_t B = 0; B < Batch; ++B) {
          int64_t Tb = stepOf(Ts.Lengths, Steps, Step, B, Reverse);
          if (Tb < 0)
            continue;
          int64_t E = At.row(Tb, B);
          gruBackwardLate(P, F, Clip, Saved + E * Row, Late + B * H,
                          Gx + E * GH, Gr + E * GH, Direct + B * H);
          for (int64_t J = 0; J < 2 * H; ++J)
            StepG[B * GH + J] = Gr[E * GH + J];
        }
      }
      Gemm(Batch, H, Early, StepA, StepRs, 1, R, H, 1, DhNew, H, false);
      for (int64_t B = 0; B < Batch; ++B)
        if (stepOf(Ts.Lengths, Steps, Step, B, Reverse) >= 0)
          for (int64_t J = 0; J < H; ++J)
            Dh[B * H + J] = DhNew[B * H + J] + Direct[B * H + J];
    }
    for (int64_t B = 0; B < Batch; ++B)
      for (int64_t J = 0; J < H; ++J) {
        int64_t S = At.state(D, B) + J;
        G.Dh0[S] = Dh[B * H + J];
        if (G.Dc0)
          G.Dc0[S] = Dc[B * H + J];
      }
    weightGradients(P, Ts, G, D, Saved, Gx, Gr, Gemm);
  };
  RunDirection(0);
  if (Dirs > 1)
    RunDirection(1);
  return true;
}

#undef NNC_RNN_INLINE
#undef NNC_RNN_LAMBDA

} // namespace nnc::recurrent
