//===- passes/Autodiff.h - Reverse-mode differentiation ---------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <map>

namespace nnc::passes {

struct AutodiffResult {
  /// Gradient of the loss for each requested value that the loss depends
  /// on; values the loss does not depend on are absent.
  std::map<const ir::Value *, ir::Value *> Grads;
};

/// Appends to G the nodes computing d Loss / d V for every V in Wrt: plain
/// reverse mode, one vector-Jacobian rule per op (passes/grad/*.cpp). An op
/// on the path without a rule is an error naming it. Loss must be a scalar.
Expected<AutodiffResult> differentiate(ir::Graph &G, ir::Value *Loss,
                                       const std::vector<ir::Value *> &Wrt);

} // namespace nnc::passes
