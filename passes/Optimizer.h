//===- passes/Optimizer.h - Appending parameter updates ---------*- C++ -*-===//
#pragma once

#include "passes/TrainStep.h"

namespace nnc::passes {

struct OptimizerInputs {
  ir::Value *Lr, *WeightDecay, *Step;
};

/// One update op per (parameter, gradient), with its state tensors; the new
/// parameter and state values are appended to Updates.
Status
appendOptimizer(ir::Graph &G, const ResolvedOptimizer &R,
                const std::vector<std::pair<ir::Value *, ir::Value *>> &Grads,
                const OptimizerInputs &In, std::vector<ir::Update> &Updates);

} // namespace nnc::passes
