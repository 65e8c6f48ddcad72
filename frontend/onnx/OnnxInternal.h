//===- frontend/onnx/OnnxInternal.h - Shared by the importer ----*- C++ -*-===//
#pragma once

#include "frontend/onnx/Onnx.h"
#include "ir/Builder.h"

#include <map>
#include <onnx/onnx_pb.h>

namespace nnc::frontend::onnx_import {

Expected<OnnxTensor> convertTensor(const onnx::TensorProto &T);

struct Context {
  ir::Graph &G;
  ir::Builder B;
  int64_t Opset = 13;
  std::map<std::string, ir::Value *> Values;   // by ONNX name
  std::map<std::string, OnnxTensor> Constants; // initializers, Constant ops

  ir::Value *value(const onnx::NodeProto &N, int I) const;
  /// The data of a constant input (a shape, axes), if it is one.
  const OnnxTensor *constant(const onnx::NodeProto &N, int I) const;
  /// Names node N's outputs.
  void define(const onnx::NodeProto &N, std::vector<ir::Value *> Outs);
  std::string name(const onnx::NodeProto &N) const;
};

/// Attribute access with the ONNX defaults.
int64_t attrInt(const onnx::NodeProto &N, const char *Name, int64_t Default);
double attrFloat(const onnx::NodeProto &N, const char *Name, double Default);
std::vector<int64_t> attrInts(const onnx::NodeProto &N, const char *Name);
std::string attrString(const onnx::NodeProto &N, const char *Name,
                       const std::string &Default);
bool hasAttr(const onnx::NodeProto &N, const char *Name);

struct OpConverter {
  /// Problems visible without shapes (unsupported attribute values); each a
  /// phrase such as "attribute storage_order=1".
  std::vector<std::string> (*Check)(const onnx::NodeProto &N, int64_t Opset);
  Status (*Convert)(Context &C, const onnx::NodeProto &N);
};
// Converters defined outside OnnxOps.cpp.
Status convertConv(Context &C, const onnx::NodeProto &N);
Status convertConvTranspose(Context &C, const onnx::NodeProto &N);
Status convertMaxPool(Context &C, const onnx::NodeProto &N);
Status convertAveragePool(Context &C, const onnx::NodeProto &N);
Status convertSoftmaxCrossEntropyLoss(Context &C, const onnx::NodeProto &N);
Status convertNegativeLogLikelihoodLoss(Context &C, const onnx::NodeProto &N);

const OpConverter *findConverter(const std::string &OpType);
/// Attributes of N that its converter does not understand.
std::vector<std::string> unknownAttributes(const onnx::NodeProto &N);

} // namespace nnc::frontend::onnx_import
