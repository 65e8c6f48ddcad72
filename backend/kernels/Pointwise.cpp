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
NNC_SCALAR(Erf) { return __builtin_erff(a); }
NNC_SCALAR(Add) { return a + b; }
NNC_SCALAR(Sub) { return a - b; }
NNC_SCALAR(Mul) { return a * b; }
NNC_SCALAR(Div) { return a / b; }
NNC_SCALAR(Pow) { return __builtin_powf(a, b); }
NNC_SCALAR(PRelu) { return a > 0 ? a : b * a; } // b: the channel's slope
// a: dy of the reduction, read back over x's shape; F: 1 / count for a mean.
NNC_SCALAR(ReduceGrad) { return a * float(F[0]); }

// UnaryGrad: dx = dy * op'(x) from a = x, b = y = op(x), c = dy.
// P[0]: the op (UnaryGradOp in backend/llvm/KernelParams.h); F: slope,
// alpha, beta, min, max.
NNC_SCALAR(UnaryGrad) { return c * unaryDerivative(P[0], a, b, F); }
