//===- backend/kernels/Params.h - Kernels' typed parameters -----*- C++ -*-===//
//
// What the host tells a kernel, one struct per kernel family: filled by
// backend/llvm/*Calls.cpp (setParams) and read by the kernels
// (params<T>(P)), so both sides name every field and cannot disagree on an
// order. Every field is an int64_t: the generated code passes the struct as
// a constant int64 array, which makes each field a constant in the kernel
// specialized on it. The real parameters (F) are typed the same way.
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

/// MatMul: A [M, K] x B [K, N], or Batches such products; Tasks split A's
/// rows (one product) or the batches, each with PerTask floats of
/// workspace.
struct MatMulParams {
  int64_t M, N, K, Tasks, PerTask, Batches;
};

/// Dense: X [Rows, K] x W [Features, K]^T; Tasks split the rows, or the
/// features for a few rows (dot products), each with PerTask floats.
struct DenseParams {
  int64_t Rows, K, Features, Tasks, PerTask;
};

/// Conv, ConvTranspose and ConvGradWeights: chunks of Images images split
/// into Tasks tasks, each with PerTask floats of workspace.
struct ConvParams {
  Window G;
  int64_t Tasks, PerTask, Images;
  int64_t Algorithm; // ConvAlgorithm (Codes.h)
  /// Conv's epilogue on each output row: a folded inference BatchNorm
  /// (T[5..8]) and a pointwise::Unary activation (Identity: none).
  int64_t FoldedBatchNorm, Activation;
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

/// Softmax, LogSoftmax and SoftmaxGrad along an axis split in three.
struct SoftmaxParams {
  int64_t Outer, Extent, Inner;
  int64_t Log; // SoftmaxGrad: of LogSoftmax
};

/// Maxout and MaxoutGrad: x [Outer, C * Pieces, Inner] -> y [Outer, C, Inner].
struct MaxoutParams {
  int64_t Outer, C, Inner, Pieces;
};

/// PReluGrad (x, slope, dy) -> (dx, dslope).
struct PReluGradParams {
  int64_t C, Inner;
  int64_t PerChannel; // else one slope
  int64_t Elements;
};

/// BatchNorm, BatchNormTrain and BatchNormGrad over x [N, C, Inner], split
/// into Tasks tasks over the channels. Fusion fills the fields after Tasks
/// (backend/llvm/KernelParams.cpp); a slot of 0 means none.
struct BatchNormParams {
  int64_t N, C, Inner;
  /// BatchNorm: normalize by the batch's statistics (nnc run --training);
  /// BatchNormTrain: the running variance moves by the unbiased variance;
  /// BatchNormGrad: training (the gradient flows through the statistics).
  int64_t Mode;
  /// BatchNormTrain: a fused activation's pointwise::Unary code (Identity:
  /// none); BatchNormGrad: a fused activation gradient's (-1: none).
  int64_t Activation;
  int64_t Tasks;
  /// A fused 2x2 max pooling: BatchNormTrain pools y's PoolH x PoolW
  /// planes into T[PooledSlot]; BatchNormGrad takes the gradient of one
  /// that pooled PoolH x PoolW planes.
  int64_t PoolH, PoolW, PooledSlot;
  /// The batch's mean and variance (doubles, by channel), which
  /// BatchNormTrain writes and BatchNormGrad reads.
  int64_t StatisticsSlot;
  /// BatchNormGrad: dx summed by channel too (a conv bias's gradient), in
  /// rows of SumRows as the Reduce kernel sums.
  int64_t DxSumSlot, SumRows;
  /// BatchNormGrad with prologues: the workspace keeps each task's dy.
  int64_t DyInWorkspace;
};

/// Rbf and RbfGrad: x [N, D], centers [K, D].
struct RbfParams {
  int64_t N, D, K;
};

/// LRN and LRNGrad over x [N, C, Inner].
struct LrnParams {
  int64_t N, C, Inner, Size;
};

/// Layout kernels walk shapes padded in front to rank 6 (leading 1s).
constexpr int StridedRank = 6;

/// Gather: y[i] = scale * x[sum_d i_d Strides_d] over y's Dims (stride 0
/// where x broadcasts). Transpose, Expand, ReduceGrad.
struct GatherParams {
  int64_t Dims[StridedRank], Strides[StridedRank];
  int64_t OutputSlot; // y is T[OutputSlot]
};

/// Reduce and ReduceExtreme: y[sum_d i_d Strides_d] accumulates x[i] over
/// x's Dims (stride 0 on reduced dims).
struct ReduceParams {
  int64_t Dims[StridedRank], Strides[StridedRank];
  int64_t OutputElements;
  int64_t OutputSlot; // y is T[OutputSlot]
};

/// Pad and PadGrad: the padded dims, x's, and the pads before each.
struct PadParams {
  int64_t Dims[StridedRank], XDims[StridedRank], Begins[StridedRank];
  int64_t Mode; // PadMode (PadIndex.h)
};

/// Concat of Count inputs; Count row lengths (axis times inner elements,
/// one per input) follow the struct in P.
struct ConcatParams {
  int64_t Count, Outer, OutRow;
};

/// ChannelShuffle: channels viewed as [Groups, PerGroup] are transposed.
struct ChannelShuffleParams {
  int64_t Batch, Groups, PerGroup, Inner;
};

/// ArgMax along an axis split in three.
struct AxisParams {
  int64_t Outer, Extent, Inner;
};

/// Slice along an axis: Length elements from Start.
struct SliceParams {
  int64_t Outer, Extent, Inner, Start, Length;
};

/// Rnn, Gru, Lstm and their gradients take nnc::recurrent::Params (or
/// BackwardParams), then this: a large product may run in Slices slices of
/// rows at once through the caller's parallel_for, each packing into its own
/// PackFloats of the workspace.
struct RecurrentSlices {
  int64_t Slices, PackFloats;
};

/// AllReduceStart and AllReduceWait: a bucket of Tensors gradients. Each
/// gradient's element count follows in P, in operand (output) order.
struct BucketParams {
  int64_t Tensors;
};

/// UnaryGrad's scalar function in fused loops: the op differentiated.
struct UnaryGradParams {
  int64_t Op; // pointwise::Unary
};

template <typename T> inline const T &params(const int64_t *P) {
  return *reinterpret_cast<const T *>(P);
}

// The real parameters (F), typed the same way: double fields, filled with
// setReals and read with reals<T>(F). Pointwise functions in fused loops
// take their op's attributes (ir/PointwiseOps.def) as an array instead.

/// Gather and Reduce: the factor every value is scaled by (ReduceExtreme:
/// 1 for the maximum, -1 for the minimum).
struct ScaleReals {
  double Scale;
};

/// Pad: the constant padded with.
struct PadReals {
  double Value;
};

/// DropoutMask and Dropout: the probability of a zero.
struct DropoutReals {
  double Ratio;
};

/// LRN and LRNGrad.
struct LrnReals {
  double Alpha, Beta, Bias;
};

/// The BatchNorm kernels; Attrs: the fused activation's (BatchNormTrain)
/// or activation gradient's (BatchNormGrad) attributes.
struct BatchNormReals {
  double Epsilon, Momentum;
  double Attrs[2];
};

/// Conv's epilogue: the folded BatchNorm's epsilon and the activation's
/// attributes.
struct ConvReals {
  double Epsilon;
  double Attrs[2];
};

/// The torch.optim updates' constants, by optimizer.
struct SgdReals {
  double Momentum, Dampening;
};
struct AdagradReals {
  double LrDecay, Eps;
};
struct AdadeltaReals {
  double Rho, Eps;
};
struct RmspropReals {
  double Alpha, Eps, Momentum;
};
struct AdamReals {
  double Beta1, Beta2, Eps;
};

/// ONNX's training ops (ai.onnx.preview.training).
struct OnnxAdagradReals {
  double DecayFactor, Epsilon, NormCoefficient;
};
struct OnnxMomentumReals {
  double Alpha, Beta, NormCoefficient;
};
struct OnnxAdamReals {
  double Alpha, Beta, Epsilon, NormCoefficient, NormCoefficientPost;
};

template <typename T> inline const T &reals(const double *F) {
  return *reinterpret_cast<const T *>(F);
}

} // namespace nnck
