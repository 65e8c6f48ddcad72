//===- backend/interp/Kernels.h - The interpreter's per-op table -*- C++
//-*-===//
#pragma once

#include "backend/interp/Interpreter.h"
#include "ir/Graph.h"
#include "ir/Initializers.h"

namespace nnc::interp {

/// What an op's evaluation may use besides its operands.
struct EvalContext {
  const Options &Opts;
  /// Stored tensors, for ops that update state when training (BatchNorm).
  std::map<const ir::Value *, Tensor> &Stored;

  /// A generator for one node's random choices: its 'seed' attribute mixed
  /// with the run's seed, so runs are reproducible.
  ir::SplitMix64 rngFor(const ir::Node &N) const;
};

/// Out holds tensors already shaped as the node's output types.
using EvalFn = Status (*)(const ir::Node &N, EvalContext &Ctx,
                          const std::vector<const Tensor *> &In,
                          std::vector<Tensor> &Out);

EvalFn evalFunction(ir::OpKind K);

/// NllLoss (and its gradient): each element's -w[t] lp[t] and weight w[t],
/// both 0 where the label is ignore_index; fails on a label out of range.
Status nllTerms(const ir::Node &N, const std::vector<const Tensor *> &In,
                std::vector<double> &Terms, std::vector<double> &Weights);

namespace kernels {
void define(ir::OpKind K, EvalFn F);
void registerElementwise();
void registerActivation();
void registerContraction();
void registerPooling();
void registerNormalization();
void registerRecurrent();
void registerLayout();
void registerLoss();
void registerTraining();
void registerGradient();
void registerOptimizer();
void registerCollective();
} // namespace kernels

} // namespace nnc::interp
