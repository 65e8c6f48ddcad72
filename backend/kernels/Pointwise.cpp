//===- backend/kernels/Pointwise.cpp - Bodies of fused elementwise loops --===//
//
// One scalar function per pointwise op. The code generator emits a loop
// nest per fused chain and calls these in its body; they are always inlined
// and their parameters are constants, so the loop vectorizes as one.
//
// Signature: float nnc_s_<Op>(float a, float b, float c, const double *F,
//                             const int64_t *P)
// a, b, c are the op's operands (unused ones are 0); F its real attributes.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

#define NNC_SCALAR(Name)                                                       \
  extern "C" __attribute__((always_inline)) float nnc_s_##Name(                \
      float a, float b, float c, const double *F, const int64_t *P)

NNC_SCALAR(Identity) { return a; }
NNC_SCALAR(Dropout) { return a; } // inference: the identity
NNC_SCALAR(Step) { return a > 0 ? 1.f : 0.f; }
NNC_SCALAR(Sigmoid) { return sigmoid(float(F[0]) * a); } // F: slope
NNC_SCALAR(Tanh) { return __builtin_tanhf(a); }
NNC_SCALAR(Relu) { return a > 0 ? a : 0.f; }
NNC_SCALAR(LeakyRelu) { return a > 0 ? a : float(F[0]) * a; } // F: alpha
NNC_SCALAR(Elu) { return a > 0 ? a : float(F[0]) * __builtin_expm1f(a); }
NNC_SCALAR(Swish) { return a * sigmoid(float(F[0]) * a); } // F: beta
NNC_SCALAR(Clip) { return minOf(maxOf(a, float(F[0])), float(F[1])); }
NNC_SCALAR(Exp) { return __builtin_expf(a); }
NNC_SCALAR(Log) { return __builtin_logf(a); }
NNC_SCALAR(Sqrt) { return __builtin_sqrtf(a); }
NNC_SCALAR(Neg) { return -a; }
NNC_SCALAR(Abs) { return __builtin_fabsf(a); }
NNC_SCALAR(Add) { return a + b; }
NNC_SCALAR(Sub) { return a - b; }
NNC_SCALAR(Mul) { return a * b; }
NNC_SCALAR(Div) { return a / b; }
NNC_SCALAR(PRelu) { return a > 0 ? a : b * a; } // b: the channel's slope

// UnaryGrad: dx = dy * op'(x) from a = x, b = y = op(x), c = dy.
// P[0]: the op (UnaryGradOp in backend/llvm/KernelParams.h); F: slope,
// alpha, beta, min, max.
NNC_SCALAR(UnaryGrad) {
  float X = a, Y = b, D;
  switch (P[0]) {
  case 0: // Identity, Dropout
    D = 1.f;
    break;
  case 1: // Step
    D = 0.f;
    break;
  case 2: // Sigmoid
    D = float(F[0]) * Y * (1.f - Y);
    break;
  case 3: // Tanh
    D = 1.f - Y * Y;
    break;
  case 4: // Relu
    D = X > 0 ? 1.f : 0.f;
    break;
  case 5: // LeakyRelu
    D = X > 0 ? 1.f : float(F[1]);
    break;
  case 6: // Elu
    D = X > 0 ? 1.f : Y + float(F[1]);
    break;
  case 7: { // Swish
    float B = float(F[2]), S = sigmoid(B * X);
    D = S + B * X * S * (1.f - S);
    break;
  }
  case 8: // Clip: PyTorch's clamp passes the gradient at the bounds too
    D = X >= float(F[3]) && X <= float(F[4]) ? 1.f : 0.f;
    break;
  case 9: // Exp
    D = Y;
    break;
  case 10: // Log
    D = 1.f / X;
    break;
  case 11: // Sqrt
    D = 0.5f / Y;
    break;
  case 12: // Neg
    D = -1.f;
    break;
  default: // Abs
    D = X > 0 ? 1.f : X < 0 ? -1.f : 0.f;
    break;
  }
  return c * D;
}
