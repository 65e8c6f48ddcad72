//===- frontend/onnx/OnnxExport.h - A model out as ONNX ---------*- C++ -*-===//
//
// nnc export: an entry point (infer) with the model's current values as an
// ONNX model any ONNX runtime serves. Ops map one to one where ONNX has the
// op; an RBF layer is written out as the ops it is made of; what ONNX cannot
// express is reported, naming every such node, and nothing is written.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::frontend {

struct OnnxExportOptions {
  std::string Entry = "infer";
  /// 13 to 17: the ops written mean the same in all of them.
  int64_t Opset = 13;
  /// Inference BatchNorms after a conv are folded into its weights and
  /// bias (the conv must be the BatchNorm's only reader's producer).
  bool FoldBatchNorm = false;
};

/// G's entry O.Entry (G verified: shapes at batch 1) as a serialized
/// ModelProto, checked by ONNX's own checker. Name prefixes errors.
Expected<std::vector<uint8_t>> exportOnnx(const ir::Graph &G,
                                          const OnnxExportOptions &O,
                                          const std::string &Name);

} // namespace nnc::frontend
