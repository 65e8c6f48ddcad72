//===- tools/ModelChecks.h - What the tools check in a model ---*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <string>

namespace nnc::tools {

/// torch.onnx.export of a model in eval() folds each BatchNorm into the conv
/// before it, and the folded weights get names of the exporter's
/// ("onnx::Conv_16") instead of the module's ("conv.weight"). Training such
/// a model trains the folded convs, without BatchNorm. Prints one warning
/// naming the model and those weights, if it has any.
void warnIfBatchNormFolded(const ir::Graph &G, const std::string &Path);

/// The first stored tensor (parameter, state, constant) of G holding NaN or
/// infinity, or null: such a model is not evaluated and never saved.
const ir::Value *firstNonFiniteTensor(const ir::Graph &G);
/// An error naming Path and that tensor when there is one: "the model is
/// not " + Done ("evaluated", "exported").
Status refuseNonFinite(const ir::Graph &G, const std::string &Path,
                       const char *Done);

/// For "not found" messages, what exists: " (the model has: infer,
/// train_step)", " (its inputs: image)", " (its f32 scalars: loss)".
std::string entryNames(const ir::Graph &G);
std::string inputNames(const std::vector<ir::Value *> &Inputs);
std::string scalarNames(const ir::Graph &G);

} // namespace nnc::tools
