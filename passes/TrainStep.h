//===- passes/TrainStep.h - Forward + backward + update as one entry -*- C++
//-*-===//
#pragma once

#include "ir/Graph.h"
#include "passes/DataParallel.h"
#include "passes/StepObserver.h"

namespace nnc::passes {

/// Hyper-parameters with every default resolved as PyTorch has them for the
/// optimizer at hand.
struct ResolvedOptimizer {
  ir::OptimizerKind Kind;
  double Lr, WeightDecay, Momentum, Dampening, Alpha, Eps, Rho, Beta1, Beta2,
      LrDecay, InitialAccumulatorValue;
  bool Nesterov, Decoupled, Amsgrad, Centered, Maximize;
};
Expected<ResolvedOptimizer> resolveOptimizer(const ir::OptimizerConfig &C);

/// The name of the entry point buildTrainStep adds.
inline constexpr const char *TrainStepName = "train_step";

/// The values of a "train_step" entry point that callers feed and read.
struct TrainStep {
  std::vector<ir::Value *> DataInputs; // images, labels
  ir::Value *Lr = nullptr, *WeightDecay = nullptr, *Step = nullptr; // scalars
  ir::Value *Loss = nullptr;    // the data loss, without regularization
  ir::Value *Correct = nullptr; // rows classified right (classifiers only)
  ResolvedOptimizer Optimizer;
};

/// Turns a model with a training table into one with a "train_step" entry
/// point, in this order:
///   lowerForTraining   Dropout -> x * DropoutMask(x); BatchNorm ->
///                      BatchNormTrain, whose running statistics become
///                      updates;
///   regularize         loss + l1 * sum|w| + l2 * sum w^2 over weights
///                      (trainable parameters of rank >= 2);
///   differentiate      gradients of every trainable parameter;
///   appendOptimizer    with Parallel.Ranks > 1, the gradients' means over
///                      the ranks first (passes/DataParallel.h); then
///                      one update op per parameter; optimizer state
///                      tensors "<param>.<slot>" (PyTorch's slot names) are
///                      created, or reused when G already has them (a
///                      checkpoint).
/// lr, weight decay and the step number (1 on the first step) are runtime
/// inputs "train.lr", "train.weight_decay", "train.step". G is modified; keep
/// a clone for inference. Without BatchStatistics, BatchNorm keeps using
/// (and does not move) its running statistics, as PyTorch's BatchNorm in
/// eval() (nnc step --bn-mode eval). Obs sees the graph after each step:
/// TrainStepSteps names them, in order.
Expected<TrainStep> buildTrainStep(ir::Graph &G, bool BatchStatistics = true,
                                   StepObserver *Obs = nullptr,
                                   const DataParallel &Parallel = {});
inline constexpr const char *TrainStepSteps[] = {
    "training-lowering", "regularization", "autodiff", "optimizer"};

/// The first lowering step alone: training semantics for Dropout and
/// BatchNorm. Appends the running-statistics updates to Updates, also for
/// the BatchNormTrain nodes a training-mode export already has.
Status lowerForTraining(ir::Graph &G, std::vector<ir::Update> &Updates,
                        bool LowerDropout = true, bool LowerBatchNorm = true);

/// PyTorch's eval() for a graph with BatchNormTrain nodes (a training-mode
/// ONNX export): each becomes a BatchNorm on its running statistics, which
/// its running-statistics outputs then pass on unchanged.
Status useRunningStatistics(ir::Graph &G);

} // namespace nnc::passes
