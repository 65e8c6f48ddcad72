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

// The activations of ir/PointwiseOps.def; F: their attributes.
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs)                  \
  NNC_SCALAR(Kind) { return nnc::pointwise::value(Unary::Kind, a, F); }
#include "ir/PointwiseOps.def"
NNC_SCALAR(Dropout) { return a; } // inference: the identity
NNC_SCALAR(Add) { return a + b; }
NNC_SCALAR(Sub) { return a - b; }
NNC_SCALAR(Mul) { return a * b; }
NNC_SCALAR(Div) { return a / b; }
NNC_SCALAR(Pow) { return __builtin_powf(a, b); }
NNC_SCALAR(PRelu) { return a > 0 ? a : b * a; } // b: the channel's slope
// a: dy of the reduction, read back over x's shape; F: 1 / count for a mean.
NNC_SCALAR(ReduceGrad) { return a * float(F[0]); }

// UnaryGrad: dx = dy * op'(x) from a = x, b = y = op(x), c = dy.
// F: the op's attributes.
NNC_SCALAR(UnaryGrad) {
  return c * unaryDerivative(params<UnaryGradParams>(P).Op, a, b, F);
}
