//===- backend/kernels/Params.h - Kernels' typed parameters -----*- C++ -*-===//
//
// What the host tells a kernel, one struct per kernel family: filled by
// backend/llvm/*Calls.cpp (setParams) and read by the kernels
// (params<T>(P)), so both sides name every field and cannot disagree on an
// order. Every field is an int64_t: the generated code passes the struct as
// a constant int64 array, which makes each field a constant in the kernel
// specialized on it. Kernels not yet moved here read P[n] as documented
// where they are defined.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnck {

/// The 2-D window of a conv or pooling, as ir::Window2D.
struct Window {
  int64_t N, C, H, W, KH, KW, SH, SW, PadT, PadL, PadB, PadR, DH, DW, OH, OW, O,
      Groups;
};

/// MaxPool and AvgPool, split into Tasks tasks over the planes.
struct PoolParams {
  Window G;
  int64_t CountIncludePad; // AvgPool
  int64_t Tasks;
};

/// StochasticPool, sequential (one random stream).
struct StochasticPoolParams {
  Window G;
  int64_t SeedMix; // the node's, mixed with the run's seed
  int64_t Sample;  // 1: draw (training); 0: the expectation
};

/// MaxPoolIndices: the flat index of each maximum.
struct MaxPoolIndicesParams {
  Window G;
  int64_t ColumnMajor; // ONNX storage_order 1: h + w * H within the plane
};

/// GlobalAvgPool and GlobalMaxPool.
struct GlobalPoolParams {
  int64_t Planes, Size; // N*C planes of Size elements
};

/// PoolGrad (x, y, dy) -> dx, split into Tasks tasks over the planes.
struct PoolGradParams {
  Window G;     // unused for the global poolings
  int64_t Kind; // PoolGradKind (Codes.h)
  int64_t CountIncludePad;
  int64_t Planes, Size; // as GlobalPoolParams
  int64_t Tasks;
};

/// MseLoss, BceLoss, BceWithLogitsLoss: the mean over Elements.
struct ElementwiseLossParams {
  int64_t Elements;
};

/// SoftmaxCrossEntropy and CorrectCount over [Rows, Classes] logits.
struct RowLossParams {
  int64_t Rows, Classes;
};

/// NllLoss and NllLossGrad over log-probabilities [N, C, Inner].
struct NllLossParams {
  int64_t N, C, Inner;
  int64_t Reduction; // NllReduction (Codes.h)
  int64_t IgnoreIndex;
  int64_t Weighted; // 1: class weights are an operand
};

/// LossGrad: Rows and Classes for the row losses, Elements for the others.
struct LossGradParams {
  int64_t Kind; // LossGradKind (Codes.h)
  int64_t Rows, Classes, Elements;
};

/// DropoutMask and training-mode Dropout.
struct DropoutParams {
  int64_t SeedMix, Elements;
};

/// The torch.optim updates (param, grad, lr, weight decay, step, state...).
struct OptimizerParams {
  int64_t Elements;
  int64_t Decoupled;     // AdamW-style weight decay
  int64_t StateOperands; // how many state tensors follow
  int64_t Variant;       // SGD nesterov, RMSprop centered, Adam amsgrad
};

/// ONNX's Adagrad, Momentum and Adam training ops.
struct OnnxOptimizerParams {
  int64_t Elements;
  int64_t Nesterov; // Momentum
};

template <typename T> inline const T &params(const int64_t *P) {
  return *reinterpret_cast<const T *>(P);
}

} // namespace nnck
