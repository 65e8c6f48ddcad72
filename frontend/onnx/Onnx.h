//===- frontend/onnx/Onnx.h - Importing ONNX models -------------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::frontend {

/// A tensor from an ONNX TensorProto file (the backend tests' .pb data).
struct OnnxTensor {
  std::string Name;
  ir::DType Elt = ir::DType::F32;
  ir::Shape Dims;
  std::vector<uint8_t> Raw; // little-endian
};
Expected<OnnxTensor> readOnnxTensor(const std::string &Path);

/// Values for graph inputs that are compiled into the graph (a Reshape's
/// target shape, ReduceSum's axes, Clip's bounds), by input name. nnc
/// compiles static graphs, so such an input is given at import and becomes
/// a constant.
using OnnxBindings = std::map<std::string, OnnxTensor>;

/// Imports an ONNX model (opset 1 to 17) into a verified graph: graph inputs
/// become inputs (a symbolic first dimension becomes the batch), initializers
/// become trainable parameters, outputs the "infer" entry point. Every
/// unsupported op and attribute in the file is reported in one message,
/// before anything is built.
Expected<ir::Graph> importOnnx(const std::vector<uint8_t> &Bytes,
                               const std::string &Name,
                               const OnnxBindings &Bind = {});

/// A graph input of an ONNX model (initializers excluded), in file order,
/// and whether its value is compiled into the graph (a shape, axes, bounds),
/// so that it must be bound at import.
struct OnnxGraphInput {
  std::string Name;
  bool Static = false;
};
Expected<std::vector<OnnxGraphInput>>
onnxGraphInputs(const std::vector<uint8_t> &Bytes, const std::string &Name);

} // namespace nnc::frontend
