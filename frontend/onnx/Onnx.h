//===- frontend/onnx/Onnx.h - Importing ONNX models -------------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::frontend {

/// Imports an ONNX model (opset 6 to 17) into a verified graph: graph inputs
/// become inputs (a symbolic first dimension becomes the batch), initializers
/// become trainable parameters, outputs the "infer" entry point. Every
/// unsupported op and attribute in the file is reported in one message,
/// before anything is built.
Expected<ir::Graph> importOnnx(const std::vector<uint8_t> &Bytes,
                               const std::string &Name);

/// A tensor from an ONNX TensorProto file (the backend tests' .pb data).
struct OnnxTensor {
  std::string Name;
  ir::DType Elt = ir::DType::F32;
  ir::Shape Dims;
  std::vector<uint8_t> Raw; // little-endian
};
Expected<OnnxTensor> readOnnxTensor(const std::string &Path);

} // namespace nnc::frontend
