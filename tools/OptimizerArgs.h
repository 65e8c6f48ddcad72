//===- tools/OptimizerArgs.h - torch.optim's arguments, by name -*- C++ -*-===//
//
// `--optimizer NAME` and `--hparams JSON` for nnc step and nnc train: the
// constructor arguments of torch.optim 1.13's SGD, Adam, AdamW, RMSprop,
// Adagrad and Adadelta under their PyTorch names.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <map>
#include <string>
#include <vector>

namespace nnc::tools {

/// Starts C afresh as optimizer Name: sgd, momentum, nesterov, adagrad,
/// adadelta, rmsprop, adam, or adamw (Adam with decoupled weight decay,
/// PyTorch's default of 0.01).
Status setOptimizer(const std::string &Name, ir::OptimizerConfig &C);

/// Sets the hyper-parameters a JSON object names, e.g. {"lr": 0.01,
/// "betas": [0.9, 0.99], "amsgrad": true}.
Status applyHparams(const std::string &Json, ir::OptimizerConfig &C);

/// A flat JSON object of numbers, booleans, null and number arrays.
Expected<std::map<std::string, std::vector<double>>>
parseHparams(const std::string &S);

} // namespace nnc::tools
