//===- passes/AttachLoss.h - A loss for an inference graph ------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

namespace nnc::passes {

/// "softmax-ce" and "nll" (on log-probabilities; both with integer class
/// labels), "mse", "bce" (on probabilities), "bce-logits".
Expected<ir::OpKind> parseLoss(const std::string &Name);

/// Makes an inference graph (an imported ONNX model, say) trainable: adds a
/// label tensor "label" shaped like the output (class indices [N] for
/// softmax-ce), the loss "loss" on the output named Output (empty: the only
/// output of "infer"), and a training table with Optimizer.
Status attachLoss(ir::Graph &G, ir::OpKind Loss, const std::string &Output,
                  const ir::OptimizerConfig &Optimizer);

} // namespace nnc::passes
