//===- passes/DataParallel.h - Gradients averaged over ranks ----*- C++ -*-===//
//
// Data-parallel training as PyTorch's DistributedDataParallel does it: each
// rank runs the train step on its share of the batch, and every gradient
// is replaced by its mean over the ranks before the optimizer reads it.
// The gradients travel in buckets of about BucketBytes, filled in the order
// the backward pass computes them; a bucket's sum starts as soon as its
// last gradient is computed and is waited for just before the first update
// that needs it, so communication overlaps the rest of the backward pass.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <utility>
#include <vector>

namespace nnc::passes {

struct DataParallel {
  /// Processes that train together; 1: no collectives at all.
  int64_t Ranks = 1;
  /// A bucket closes once it holds at least this many bytes.
  int64_t BucketBytes = 1 << 20;
  /// PyTorch's SyncBatchNorm: a training BatchNorm normalizes with the
  /// statistics of the whole global batch, not the rank's share of it.
  /// LocalBatch is each rank's batch, for the unbiased running variance.
  bool SyncBatchNorm = false;
  int64_t LocalBatch = 0;
};

/// Replaces the gradient of each (parameter, gradient) pair by its mean
/// over the ranks: AllReduceStart/AllReduceWait pairs (ir/ops/
/// Collective.cpp), one per bucket.
Status
averageGradients(ir::Graph &G, const DataParallel &D,
                 std::vector<std::pair<ir::Value *, ir::Value *>> &Grads);

/// With D.SyncBatchNorm, each BatchNormTrain becomes its math over the
/// global batch: the mean over the ranks of each rank's channel means, then
/// of its mean squared deviations from that, then the normalization and
/// the running statistics as pointwise ops. Autodiff differentiates it
/// (through the ranks: passes/grad/Collective.cpp). Runs after the training
/// lowering.
Status synchronizeBatchNorm(ir::Graph &G, const DataParallel &D);

/// Moves each AllReduceStart right after the node computing its last
/// gradient and each AllReduceWait right before the first node reading
/// what it returns. Run once the optimizer's updates are in the graph.
Status scheduleCollectives(ir::Graph &G);

} // namespace nnc::passes
