//===- ir/PointwiseMath.h - Pointwise activations: their math ---*- C++ -*-===//
//
// The value and derivative of every op in ir/PointwiseOps.def, written once
// as templates: the reference interpreter instantiates them in double, the
// bitcode kernels (backend/kernels) in float. Freestanding (no C++ library),
// since the kernels include it too.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnc::pointwise {

/// Every pointwise unary op; the value is the code kernels receive.
enum class Unary : int64_t {
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs) Kind,
#include "ir/PointwiseOps.def"
};

/// One row of ir/PointwiseOps.def.
struct UnaryInfo {
  const char *Name;
  const char *Attrs[2]; // "" for none
  double Defaults[2];
  bool Epilogue;
  const char *Onnx; // "" for none
  bool OnnxAttrs;
};

inline constexpr UnaryInfo UnaryTable[] = {
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs)                  \
  {#Kind, {A0, A1}, {D0, D1}, Epi, Onnx, OnnxAttrs},
#include "ir/PointwiseOps.def"
};
inline constexpr int64_t NumUnary =
    int64_t(sizeof(UnaryTable) / sizeof(UnaryTable[0]));

#define NNC_PW_INLINE inline __attribute__((always_inline))

// libm by type, as the C library names it.
NNC_PW_INLINE float expOf(float X) { return __builtin_expf(X); }
NNC_PW_INLINE double expOf(double X) { return __builtin_exp(X); }
NNC_PW_INLINE float expm1Of(float X) { return __builtin_expm1f(X); }
NNC_PW_INLINE double expm1Of(double X) { return __builtin_expm1(X); }
NNC_PW_INLINE float log1pOf(float X) { return __builtin_log1pf(X); }
NNC_PW_INLINE double log1pOf(double X) { return __builtin_log1p(X); }
NNC_PW_INLINE float logOf(float X) { return __builtin_logf(X); }
NNC_PW_INLINE double logOf(double X) { return __builtin_log(X); }
NNC_PW_INLINE float tanhOf(float X) { return __builtin_tanhf(X); }
NNC_PW_INLINE double tanhOf(double X) { return __builtin_tanh(X); }
NNC_PW_INLINE float sqrtOf(float X) { return __builtin_sqrtf(X); }
NNC_PW_INLINE double sqrtOf(double X) { return __builtin_sqrt(X); }
NNC_PW_INLINE float absOf(float X) { return __builtin_fabsf(X); }
NNC_PW_INLINE double absOf(double X) { return __builtin_fabs(X); }
NNC_PW_INLINE float erfOf(float X) { return __builtin_erff(X); }
NNC_PW_INLINE double erfOf(double X) { return __builtin_erf(X); }

/// 1 / (1 + e^-x), never exponentiating a positive number.
template <typename T> NNC_PW_INLINE T sigmoid(T X) {
  if (X >= 0)
    return T(1) / (T(1) + expOf(-X));
  T E = expOf(X);
  return E / (T(1) + E);
}

/// op(x). A: the op's attributes, in the table's order.
template <typename T> NNC_PW_INLINE T value(Unary Op, T X, const double *A) {
  switch (Op) {
  case Unary::Identity:
    return X;
  case Unary::Step:
    return X > 0 ? T(1) : T(0);
  case Unary::Sigmoid:
    return sigmoid(T(A[0]) * X);
  case Unary::Tanh:
    return tanhOf(X);
  case Unary::Relu:
    return X > 0 ? X : T(0);
  case Unary::LeakyRelu:
    return X > 0 ? X : T(A[0]) * X;
  case Unary::Elu:
    return X > 0 ? X : T(A[0]) * expm1Of(X);
  case Unary::Swish:
    return X * sigmoid(T(A[0]) * X);
  case Unary::Clip: { // as std::min(std::max(x, min), max): NaN stays NaN
    T Low = X < T(A[0]) ? T(A[0]) : X;
    return T(A[1]) < Low ? T(A[1]) : Low;
  }
  case Unary::Exp:
    return expOf(X);
  case Unary::Log:
    return logOf(X);
  case Unary::Sqrt:
    return sqrtOf(X);
  case Unary::Neg:
    return -X;
  case Unary::Abs:
    return absOf(X);
  case Unary::Erf:
    return erfOf(X);
  case Unary::Softplus: { // PyTorch's: log(1 + e^(beta x)) / beta, linear
    T Bx = X * T(A[0]);   // above the threshold
    return Bx > T(A[1]) ? X : log1pOf(expOf(Bx)) / T(A[0]);
  }
  case Unary::Gelu: // x Phi(x), PyTorch's exact GELU
    return X * T(0.5) * (T(1) + erfOf(X * T(0.70710678118654752440)));
  }
  return T(__builtin_nan("")); // not a code of this table
}

/// op'(x), given x and y = op(x) (x is y where derivativeFromOutput holds).
template <typename T>
NNC_PW_INLINE T derivative(Unary Op, T X, T Y, const double *A) {
  switch (Op) {
  case Unary::Identity:
    return T(1);
  case Unary::Step:
    return T(0);
  case Unary::Sigmoid:
    return T(A[0]) * Y * (T(1) - Y);
  case Unary::Tanh:
    return T(1) - Y * Y;
  case Unary::Relu:
    return X > 0 ? T(1) : T(0);
  case Unary::LeakyRelu:
    return X > 0 ? T(1) : T(A[0]);
  case Unary::Elu:
    return X > 0 ? T(1) : Y + T(A[0]);
  case Unary::Swish: {
    T B = T(A[0]), S = sigmoid(B * X);
    return S + B * X * S * (T(1) - S);
  }
  case Unary::Clip: // PyTorch's clamp passes the gradient at the bounds too
    return X >= T(A[0]) && X <= T(A[1]) ? T(1) : T(0);
  case Unary::Exp:
    return Y;
  case Unary::Log:
    return T(1) / X;
  case Unary::Sqrt:
    return T(0.5) / Y;
  case Unary::Neg:
    return T(-1);
  case Unary::Abs:
    return X > 0 ? T(1) : X < 0 ? T(-1) : T(0);
  case Unary::Erf: // 2 / sqrt(pi) exp(-x^2)
    return T(1.1283791670955126) * expOf(-X * X);
  case Unary::Softplus: { // sigmoid(beta x), as PyTorch computes it
    T Bx = X * T(A[0]);
    if (Bx > T(A[1]))
      return T(1);
    T Z = expOf(Bx);
    return Z / (Z + T(1));
  }
  case Unary::Gelu: { // Phi(x) + x phi(x)
    T Cdf = T(0.5) * (T(1) + erfOf(X * T(0.70710678118654752440)));
    T Pdf = expOf(T(-0.5) * X * X) * T(0.39894228040143267794);
    return Cdf + X * Pdf;
  }
  }
  return T(__builtin_nan(""));
}

/// Whether op'(x) follows from y = op(x) alone, so the backward pass reads y
/// in place of x and x need not stay alive (or be stored at all: a conv's
/// output can take the activation in its epilogue). The sign of x is the
/// sign of y for ReLU, leaky ReLU and ELU with non-negative slopes.
constexpr bool derivativeFromOutput(Unary Op, const double *A) {
  switch (Op) {
  case Unary::Identity:
  case Unary::Step:
  case Unary::Relu:
  case Unary::Sigmoid:
  case Unary::Tanh:
  case Unary::Exp:
  case Unary::Sqrt:
  case Unary::Neg:
    return true;
  case Unary::LeakyRelu:
    return A[0] >= 0;
  case Unary::Elu:
    return A[0] > 0;
  case Unary::Swish:
  case Unary::Clip:
  case Unary::Log:
  case Unary::Abs:
  case Unary::Erf:
  case Unary::Softplus:
  case Unary::Gelu:
    return false;
  }
  return false;
}

#undef NNC_PW_INLINE

} // namespace nnc::pointwise
