//===- tools/FoldedBatchNorm.h - Warn before training folded convs -*- C++
//-*-===//
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

} // namespace nnc::tools
