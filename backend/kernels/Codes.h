//===- backend/kernels/Codes.h - Integer codes kernels read -----*- C++ -*-===//
//
// Shared by the kernels and the host code that packs their parameters
// (backend/llvm/KernelParams.cpp), so each code has one definition. The
// pointwise activations' codes are pointwise::Unary (ir/PointwiseMath.h);
// padding modes are PadMode (PadIndex.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnck {

/// LossGradParams::Kind: the loss differentiated.
enum LossGradKind : int64_t {
  LossGradSoftmaxCrossEntropy = 0,
  LossGradMse = 1,
  LossGradBce = 2,
  LossGradBceWithLogits = 3,
};

/// NllLossParams::Reduction, as PyTorch's reduction argument.
enum NllReduction : int64_t {
  ReductionNone = 0,
  ReductionSum = 1,
  ReductionMean = 2,
};

/// PoolGradParams::Kind: where dy goes back to.
enum PoolGradKind : int64_t {
  PoolGradMax = 0, // also a sampled stochastic pooling (training)
  PoolGradAvg = 1,
  PoolGradStochasticExpectation = 2, // stochastic pooling at inference
  PoolGradGlobalAvg = 3,
  PoolGradGlobalMax = 4,
};

} // namespace nnck
