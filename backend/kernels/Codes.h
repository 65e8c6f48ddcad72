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

/// ConvParams::Algorithm: how a conv kernel computes its form, chosen once
/// on the host (backend/llvm/ContractionCalls.cpp, from Workspace.h's
/// shape tests).
enum ConvAlgorithm : int64_t {
  ConvByIm2col = 0,         // any form: im2col or col2im around the GEMM
  ConvByWinograd = 1,       // forward and transposed 3x3, stride 1
  ConvByDirect = 2,         // forward and weight gradient of tiny filters
  ConvByChannelVectors = 3, // forward and weight gradient, 16 channels wide
  ConvByGather = 4,         // transposed, input channels in sixteens
};

} // namespace nnck
