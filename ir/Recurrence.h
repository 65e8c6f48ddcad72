//===- ir/Recurrence.h - RNN, GRU and LSTM: their math, once ----*- C++ -*-===//
//
// The recurrent ops' semantics, written once as templates (ONNX's RNN, GRU
// and LSTM): the reference interpreter instantiates them in double with a
// plain matrix product, the bitcode kernels (backend/kernels) in float with
// the blocked GEMM. Freestanding (no C++ library), since the kernels
// include it too.
//
// The sequence driver follows the fast implementations (oneDNN, cuDNN): the
// input projection X W^T of all steps is one product over T*B rows; only
// H R^T runs per step, one product for all gates; the gate math is one pass
// over the batch.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/PointwiseMath.h"

#include <stdint.h>

namespace nnc::recurrent {

#define NNC_RNN_INLINE inline __attribute__((always_inline))
#define NNC_RNN_LAMBDA __attribute__((always_inline))

/// ONNX's activation functions for recurrent ops; the value is the code
/// kernels receive.
enum class Activation : int64_t {
  Relu,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus,
};

struct ActivationInfo {
  const char *Name;
  bool TakesAlpha, TakesBeta;
  double Alpha, Beta; // defaults: those of the ONNX operator of that name
};

inline constexpr ActivationInfo ActivationTable[] = {
    {"Relu", false, false, 0, 0},
    {"Tanh", false, false, 0, 0},
    {"Sigmoid", false, false, 0, 0},
    {"Affine", true, true, 1.0, 0.0},
    {"LeakyRelu", true, false, 0.01, 0},
    {"ThresholdedRelu", true, false, 1.0, 0},
    {"ScaledTanh", true, true, 1.0, 1.0},
    {"HardSigmoid", true, true, 0.2, 0.5},
    {"Elu", true, false, 1.0, 0},
    {"Softsign", false, false, 0, 0},
    {"Softplus", false, false, 0, 0},
};
inline constexpr int64_t NumActivations =
    int64_t(sizeof(ActivationTable) / sizeof(ActivationTable[0]));

/// e^x in float without a libm call, so that the gate loops vectorize:
/// Cody-Waite range reduction and Cephes' polynomial (about 1 ulp), x
/// clamped to where 2^n stays a normal float.
NNC_RNN_INLINE float vectorExp(float X) {
  X = X < -87.0f ? -87.0f : X > 88.0f ? 88.0f : X;
  float N = __builtin_floorf(X * 1.44269504088896341f + 0.5f);
  float R = X - N * 0.693359375f + N * 2.12194440e-4f;
  float P = 1.9875691500e-4f;
  P = P * R + 1.3981999507e-3f;
  P = P * R + 8.3334519073e-3f;
  P = P * R + 4.1665795894e-2f;
  P = P * R + 1.6666665459e-1f;
  P = P * R + 5.0000001201e-1f;
  P = P * R * R + R + 1.0f;
  return P * __builtin_bit_cast(float, (int32_t(N) + 127) << 23);
}

/// tanh and the logistic sigmoid: libm's in double (the reference), the
/// vectorizable exponential in float (the kernels).
NNC_RNN_INLINE double gateTanh(double X) { return nnc::pointwise::tanhOf(X); }
NNC_RNN_INLINE double gateSigmoid(double X) {
  return nnc::pointwise::sigmoid(X);
}
NNC_RNN_INLINE float gateTanh(float X) {
  float Small = X * (1.0f + X * X * (-1.0f / 3 + X * X * (2.0f / 15)));
  float E = vectorExp(2.0f * X);
  float Y = (E - 1.0f) / (E + 1.0f);
  return X > -0.0625f && X < 0.0625f ? Small : Y;
}
NNC_RNN_INLINE float gateSigmoid(float X) {
  return 1.0f / (1.0f + vectorExp(-X));
}

template <typename T>
NNC_RNN_INLINE T activate(Activation A, T X, T Alpha, T Beta) {
  using namespace nnc::pointwise;
  switch (A) {
  case Activation::Relu:
    return X > 0 ? X : T(0);
  case Activation::Tanh:
    return gateTanh(X);
  case Activation::Sigmoid:
    return gateSigmoid(X);
  case Activation::Affine:
    return Alpha * X + Beta;
  case Activation::LeakyRelu:
    return X >= 0 ? X : Alpha * X;
  case Activation::ThresholdedRelu:
    return X > Alpha ? X : T(0);
  case Activation::ScaledTanh:
    return Alpha * gateTanh(Beta * X);
  case Activation::HardSigmoid: {
    T Y = Alpha * X + Beta;
    return Y < 0 ? T(0) : Y > 1 ? T(1) : Y;
  }
  case Activation::Elu:
    return X >= 0 ? X : Alpha * expm1Of(X);
  case Activation::Softsign:
    return X / (T(1) + absOf(X));
  case Activation::Softplus:
    return X > T(20) ? X : log1pOf(expOf(X));
  }
  return T(__builtin_nan("")); // not a code of this table
}

/// d activate / dx at x.
template <typename T>
NNC_RNN_INLINE T activationDerivative(Activation A, T X, T Alpha, T Beta) {
  using namespace nnc::pointwise;
  switch (A) {
  case Activation::Relu:
    return X > 0 ? T(1) : T(0);
  case Activation::Tanh: {
    T Y = gateTanh(X);
    return T(1) - Y * Y;
  }
  case Activation::Sigmoid: {
    T Y = gateSigmoid(X);
    return Y * (T(1) - Y);
  }
  case Activation::Affine:
    return Alpha;
  case Activation::LeakyRelu:
    return X >= 0 ? T(1) : Alpha;
  case Activation::ThresholdedRelu:
    return X > Alpha ? T(1) : T(0);
  case Activation::ScaledTanh: {
    T Y = gateTanh(Beta * X);
    return Alpha * Beta * (T(1) - Y * Y);
  }
  case Activation::HardSigmoid: {
    T Y = Alpha * X + Beta;
    return Y > 0 && Y < 1 ? Alpha : T(0);
  }
  case Activation::Elu:
    return X >= 0 ? T(1) : Alpha * expOf(X);
  case Activation::Softsign: {
    T D = T(1) + absOf(X);
    return T(1) / (D * D);
  }
  case Activation::Softplus:
    return X > T(20) ? T(1) : gateSigmoid(X);
  }
  return T(__builtin_nan(""));
}

/// The three cells. Gates per unit: RNN 1; GRU 3 (z, r, h); LSTM 4 (i, o,
/// f, c), ONNX's orders.
enum class Cell : int64_t { Rnn, Gru, Lstm };
enum class Direction : int64_t { Forward, Reverse, Bidirectional };

constexpr int64_t gateCount(Cell C) {
  return C == Cell::Rnn ? 1 : C == Cell::Gru ? 3 : 4;
}
/// Activation functions per direction: RNN f; GRU f, g; LSTM f, g, h.
constexpr int64_t activationCount(Cell C) {
  return C == Cell::Rnn ? 1 : C == Cell::Gru ? 2 : 3;
}

/// A recurrent op's sizes and integer attributes, as kernels receive them.
/// Act: each direction's activations, ActivationsPerDirection apart.
struct Params {
  int64_t Kind;      // Cell
  int64_t Direction; // Direction
  int64_t Steps, Batch, Input, Hidden;
  int64_t BatchFirst;        // ONNX layout 1: X [B, T, I], Y [B, T, D, H]
  int64_t InputForget;       // LSTM: f = 1 - i
  int64_t LinearBeforeReset; // GRU: r (H R_h^T + Rb_h), not (r H) R_h^T
  int64_t Save;              // training: keep what the backward pass reads
  int64_t Act[6];
};

/// A gradient node's operands beyond x, w, r and saved, in this order:
/// dy, dy_h, dy_c (those that reach the loss), p, sequence_lens.
struct BackwardParams {
  Params Forward;
  int64_t HasDy, HasDyh, HasDyc, HasPeepholes, HasLengths;
};
/// Clip bounds every gate's input to [-Clip, Clip] (infinity: none).
struct Reals {
  double Clip;
  double Alpha[6], Beta[6];
};

/// The operands and results; null where absent. Lengths: sequence_lens.
/// Saved (training only): what the backward pass reads, savedFloats.
template <typename T> struct Tensors {
  const T *X, *W, *R, *B;
  const int64_t *Lengths;
  const T *H0, *C0, *P;
  T *Y, *Yh, *Yc;
  T *Saved;
};

constexpr int64_t directions(const Params &P) {
  return P.Direction == int64_t(Direction::Bidirectional) ? 2 : 1;
}

/// Floats the forward pass saves for each (step, sequence) of each
/// direction, in X's row order: the gates' inputs (before clipping), the
/// previous h, LSTM's previous and new c, and GRU's H R_h^T + Rb_h
/// (linear_before_reset) or r * H.
constexpr int64_t savedRowFloats(const Params &P) {
  int64_t H = P.Hidden;
  Cell C = Cell(P.Kind);
  return gateCount(C) * H + H + (C == Cell::Lstm ? 2 * H : 0) +
         (C == Cell::Gru ? H : 0);
}
constexpr int64_t savedFloats(const Params &P) {
  return directions(P) * P.Steps * P.Batch * savedRowFloats(P);
}

/// Floats of scratch run() needs: the input projection of all steps, the
/// recurrent projection of one step, the state (h, c) and GRU's r * h.
constexpr int64_t workspaceFloats(const Params &P) {
  int64_t GH = gateCount(Cell(P.Kind)) * P.Hidden;
  return P.Steps * P.Batch * GH + P.Batch * GH + 3 * P.Batch * P.Hidden;
}

/// One direction's activation functions.
template <typename T> struct Functions {
  Activation Kind[3];
  T Alpha[3], Beta[3];
  NNC_RNN_INLINE T apply(int I, T X) const {
    return activate(Kind[I], X, Alpha[I], Beta[I]);
  }
};

template <typename T> NNC_RNN_INLINE T clip(T X, T Bound) {
  return X < -Bound ? -Bound : X > Bound ? Bound : X;
}

/// Where the tensors' elements are, for either layout.
struct Indexing {
  int64_t Steps, Batch, Dirs, Hidden;
  bool BatchFirst;
  /// Row of X (and of the input projection) for step t of sequence b.
  NNC_RNN_INLINE int64_t row(int64_t Step, int64_t B) const {
    return BatchFirst ? B * Steps + Step : Step * Batch + B;
  }
  /// First element of Y's h for step t, direction d, sequence b.
  NNC_RNN_INLINE int64_t y(int64_t Step, int64_t D, int64_t B) const {
    return (BatchFirst ? (B * Steps + Step) * Dirs + D
                       : (Step * Dirs + D) * Batch + B) *
           Hidden;
  }
  /// First element of a state (initial_h, Y_h, ...) of direction d.
  NNC_RNN_INLINE int64_t state(int64_t D, int64_t B) const {
    return (BatchFirst ? B * Dirs + D : D * Batch + B) * Hidden;
  }
};

/// The activation functions of direction D. Written without a loop, so
/// that the struct dissolves into constants in the kernels.
template <typename T>
NNC_RNN_INLINE Functions<T> functionsOf(const Params &P, const Reals &Re,
                                        int64_t D) {
  int64_t PerDir = activationCount(Cell(P.Kind)), A0 = D * PerDir;
  int64_t A1 = A0 + (PerDir > 1 ? 1 : 0), A2 = A0 + (PerDir > 2 ? 2 : 0);
  return {{Activation(P.Act[A0]), Activation(P.Act[A1]), Activation(P.Act[A2])},
          {T(Re.Alpha[A0]), T(Re.Alpha[A1]), T(Re.Alpha[A2])},
          {T(Re.Beta[A0]), T(Re.Beta[A1]), T(Re.Beta[A2])}};
}

/// Step t of sequence B at processing step Step, or -1 when the sequence
/// has ended (a reverse direction walks each sequence from its last step).
NNC_RNN_INLINE int64_t stepOf(const int64_t *Lengths, int64_t Steps,
                              int64_t Step, int64_t B, bool Reverse) {
  int64_t Len = Lengths ? Lengths[B] : Steps;
  return Step >= Len ? -1 : Reverse ? Len - 1 - Step : Step;
}

/// Whether every sequence length (if any are given) is in [0, Steps].
NNC_RNN_INLINE bool lengthsValid(const Params &P, const int64_t *Lengths) {
  for (int64_t B = 0; Lengths && B < P.Batch; ++B)
    if (Lengths[B] < 0 || Lengths[B] > P.Steps)
      return false;
  return true;
}

/// RNN: Hs = f(XW + HR). LSTM: the four gates from XW + HR (+ peepholes),
/// then the cell and hidden states. Writes the new state over Hs (and Cs)
/// and, when Save is not null, the gates' inputs and the states it read.
template <typename T>
NNC_RNN_INLINE void rnnOrLstmCell(const Params &P, const Functions<T> &F,
                                  T Clip, const T *__restrict XW,
                                  const T *__restrict HR,
                                  const T *__restrict Peep, T *__restrict Hs,
                                  T *__restrict Cs, T *__restrict Save) {
  int64_t H = P.Hidden, GH = gateCount(Cell(P.Kind)) * H;
  if (P.Kind == int64_t(Cell::Rnn)) {
    for (int64_t J = 0; J < H; ++J) {
      T Pre = XW[J] + HR[J];
      if (Save) {
        Save[J] = Pre;
        Save[GH + J] = Hs[J];
      }
      Hs[J] = F.apply(0, clip(Pre, Clip));
    }
    return;
  }
  for (int64_t J = 0; J < H; ++J) {
    T Cp = Cs[J];
    T I = XW[J] + HR[J], Fg = XW[2 * H + J] + HR[2 * H + J];
    T G = XW[3 * H + J] + HR[3 * H + J];
    if (Peep) {
      I += Peep[J] * Cp;
      Fg += Peep[2 * H + J] * Cp;
    }
    if (Save) {
      Save[J] = I;
      Save[2 * H + J] = Fg;
      Save[3 * H + J] = G;
      Save[GH + J] = Hs[J];
      Save[GH + H + J] = Cp;
    }
    I = F.apply(0, clip(I, Clip));
    Fg = P.InputForget ? T(1) - I : F.apply(0, clip(Fg, Clip));
    G = F.apply(1, clip(G, Clip));
    T C = Fg * Cp + I * G;
    T O = XW[H + J] + HR[H + J] + (Peep ? Peep[H + J] * C : T(0));
    if (Save) {
      Save[H + J] = O;
      Save[GH + 2 * H + J] = C;
    }
    O = F.apply(0, clip(O, Clip));
    Cs[J] = C;
    Hs[J] = O * F.apply(2, C);
  }
}

/// GRU's update and reset gates: activated over HR's first two thirds,
/// their inputs saved.
template <typename T>
NNC_RNN_INLINE void gruGates(const Params &P, const Functions<T> &F, T Clip,
                             const T *__restrict XW, T *__restrict HR,
                             T *__restrict Save) {
  for (int64_t J = 0; J < 2 * P.Hidden; ++J) {
    T Pre = XW[J] + HR[J];
    if (Save)
      Save[J] = Pre;
    HR[J] = F.apply(0, clip(Pre, Clip));
  }
}

/// GRU's new state, HR's last third holding H R_h^T + Rb_h
/// (linear_before_reset) or (r * H) R_h^T + Rb_h.
template <typename T>
NNC_RNN_INLINE void gruOutput(const Params &P, const Functions<T> &F, T Clip,
                              const T *__restrict XW, const T *__restrict HR,
                              T *__restrict Hs, T *__restrict Save) {
  int64_t H = P.Hidden, GH = 3 * H;
  for (int64_t J = 0; J < H; ++J) {
    T Z = HR[J], R = HR[H + J];
    T Rec = P.LinearBeforeReset ? R * HR[2 * H + J] : HR[2 * H + J];
    T Pre = XW[2 * H + J] + Rec;
    if (Save) {
      Save[2 * H + J] = Pre;
      Save[GH + J] = Hs[J];
      Save[GH + H + J] = P.LinearBeforeReset ? HR[2 * H + J] : R * Hs[J];
    }
    T G = F.apply(1, clip(Pre, Clip));
    Hs[J] = (T(1) - Z) * G + Z * Hs[J];
  }
}

/// Runs the op. Gemm(M, N, K, A, RsA, CsA, Bm, RsB, CsB, C, Ldc, Acc)
/// computes C[M, N] (+)= A[M, K] Bm[K, N], where A(i, k) = A[i RsA + k CsA],
/// Bm(k, j) = Bm[k RsB + j CsB] and rows of C are Ldc apart. Returns false
/// if a sequence length is outside [0, Steps].
template <typename T, typename GemmFn>
NNC_RNN_INLINE bool run(const Params &P, const Reals &Re, const Tensors<T> &Ts,
                        T *Work, GemmFn Gemm) {
  Cell Kind = Cell(P.Kind);
  int64_t Steps = P.Steps, Batch = P.Batch, H = P.Hidden, I = P.Input;
  int64_t GH = gateCount(Kind) * H, Dirs = directions(P);
  int64_t Rows = Steps * Batch, Row = savedRowFloats(P);
  Indexing At{Steps, Batch, Dirs, H, P.BatchFirst != 0};
  T Clip = T(Re.Clip);
  if (!lengthsValid(P, Ts.Lengths))
    return false;
  T *XW = Work, *HR = XW + Rows * GH, *Hs = HR + Batch * GH;
  T *Cs = Hs + Batch * H, *RH = Cs + Batch * H;
  // Without lengths every step of every sequence is written.
  if (Ts.Y && Ts.Lengths) // zero past a sequence's end
    for (int64_t E = 0; E < Steps * Dirs * Batch * H; ++E)
      Ts.Y[E] = T(0);
  if (Ts.Saved && Ts.Lengths) // rows past a sequence's end are read, as zeros
    for (int64_t E = 0; E < Dirs * Rows * Row; ++E)
      Ts.Saved[E] = T(0);
  // One call per direction, each with a constant D: the activation
  // codes fold into the gate loops, which then vectorize.
  auto RunDirection = [&](int64_t D) NNC_RNN_LAMBDA {
    bool Reverse = P.Direction == int64_t(Direction::Reverse) || D == 1;
    Functions<T> F = functionsOf<T>(P, Re, D);
    const T *W = Ts.W + D * GH * I, *R = Ts.R + D * GH * H;
    const T *Wb = Ts.B ? Ts.B + D * 2 * GH : nullptr;
    const T *Rb = Wb ? Wb + GH : nullptr;
    const T *Peep = Ts.P ? Ts.P + D * 3 * H : nullptr;
    T *Saved = Ts.Saved ? Ts.Saved + D * Rows * Row : nullptr;
    // The input projection of every step, with W's bias.
    Gemm(Rows, GH, I, Ts.X, I, 1, W, 1, I, XW, GH, false);
    if (Wb)
      for (int64_t E = 0; E < Rows; ++E)
        for (int64_t J = 0; J < GH; ++J)
          XW[E * GH + J] += Wb[J];
    for (int64_t B = 0; B < Batch; ++B)
      for (int64_t J = 0; J < H; ++J) {
        int64_t S = At.state(D, B) + J;
        Hs[B * H + J] = Ts.H0 ? Ts.H0[S] : T(0);
        Cs[B * H + J] = Ts.C0 ? Ts.C0[S] : T(0);
      }
    // GRU without linear_before_reset multiplies by R_h only after r.
    bool Late = Kind == Cell::Gru && !P.LinearBeforeReset;
    int64_t Early = Late ? 2 * H : GH;
    for (int64_t Step = 0; Step < Steps; ++Step) {
      Gemm(Batch, Early, H, Hs, H, 1, R, 1, H, HR, GH, false);
      for (int64_t B = 0; B < Batch; ++B) {
        int64_t Tb = stepOf(Ts.Lengths, Steps, Step, B, Reverse);
        T *Gates = HR + B * GH;
        if (Rb)
          for (int64_t J = 0; J < Early; ++J)
            Gates[J] += Rb[J];
        if (Tb < 0)
          continue;
        const T *XWt = XW + At.row(Tb, B) * GH;
        T *Save = Saved ? Saved + At.row(Tb, B) * Row : nullptr;
        if (Kind == Cell::Gru)
          gruGates(P, F, Clip, XWt, Gates, Save);
        else
          rnnOrLstmCell(P, F, Clip, XWt, Gates, Peep, Hs + B * H, Cs + B * H,
                        Save);
        if (Late)
          for (int64_t J = 0; J < H; ++J)
            RH[B * H + J] = Gates[H + J] * Hs[B * H + J];
      }
      if (Late)
        Gemm(Batch, H, H, RH, H, 1, R + 2 * H * H, 1, H, HR + 2 * H, GH, false);
      for (int64_t B = 0; B < Batch; ++B) {
        int64_t Tb = stepOf(Ts.Lengths, Steps, Step, B, Reverse);
        if (Tb < 0)
          continue;
        T *Gates = HR + B * GH;
        if (Kind == Cell::Gru) {
          if (Late && Rb)
            for (int64_t J = 0; J < H; ++J)
              Gates[2 * H + J] += Rb[2 * H + J];
          gruOutput(P, F, Clip, XW + At.row(Tb, B) * GH, Gates, Hs + B * H,
                    Saved ? Saved + At.row(Tb, B) * Row : nullptr);
        }
        if (Ts.Y)
          for (int64_t J = 0; J < H; ++J)
            Ts.Y[At.y(Tb, D, B) + J] = Hs[B * H + J];
      }
    }
    for (int64_t B = 0; B < Batch; ++B)
      for (int64_t J = 0; J < H; ++J) {
        if (Ts.Yh)
          Ts.Yh[At.state(D, B) + J] = Hs[B * H + J];
        if (Ts.Yc)
          Ts.Yc[At.state(D, B) + J] = Cs[B * H + J];
      }
  };
  RunDirection(0);
  if (Dirs > 1)
    RunDirection(1);
  return true;
}

#undef NNC_RNN_INLINE
#undef NNC_RNN_LAMBDA

} // namespace nnc::recurrent
