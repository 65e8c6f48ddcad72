//===- frontend/onnx/OnnxInternal.h - Shared by the importer ----*- C++ -*-===//
#pragma once

#include "frontend/onnx/Onnx.h"
#include "frontend/onnx/OnnxFold.h"
#include "ir/Builder.h"

#include <map>
#include <onnx/onnx_pb.h>
#include <set>

namespace nnc::frontend::onnx_import {

Expected<OnnxTensor> convertTensor(const onnx::TensorProto &T);

/// A zero Pad on spatial axes, waiting to be folded into the padding of the
/// Conv or AveragePool that reads it (PyTorch exports AvgPool2d so).
struct PendingPad {
  std::string Source;
  std::vector<int64_t>
      Pads;         // ONNX order: the begins of every axis, then the ends
  std::string Node; // the Pad's name, for the op if it is not folded
};

struct Context {
  ir::Graph &G;
  ir::Builder B;
  int64_t Opset = 13;
  /// Exported by torch.onnx, whose semantics win where they differ from
  /// ONNX's reference (the running variance's update).
  bool FromPyTorch = false;
  std::map<std::string, ir::Value *> Values;   // by ONNX name
  std::map<std::string, OnnxTensor> Constants; // initializers, Constant ops
  /// Values known at import, by ONNX name; those not (yet) needed at run
  /// time have no IR value.
  std::map<std::string, Folded> Known;
  std::map<std::string, PendingPad> Pads;
  /// ConstantOfShape zeros of a batch-dependent shape (PyTorch's default
  /// initial state of a recurrent layer): read only as such a state.
  std::set<std::string> ZeroFills;
  /// Names some node or graph output reads.
  std::set<std::string> Consumed;
  /// Every IR value's dimensions at batch 2, computed when Batch2Nodes
  /// differs from the graph's node count (OnnxFold.cpp).
  std::map<const ir::Value *, ir::Shape> DimsAtBatch2;
  size_t Batch2Nodes = size_t(-1);

  ir::Value *value(const onnx::NodeProto &N, int I) const;
  /// The data of a constant input (a shape, axes), if it is one.
  const OnnxTensor *constant(const onnx::NodeProto &N, int I) const;
  /// A known input, possibly batch-dependent, if it is one.
  const Folded *known(const onnx::NodeProto &N, int I) const;
  /// Names node N's outputs.
  void define(const onnx::NodeProto &N, std::vector<ir::Value *> Outs);
  std::string name(const onnx::NodeProto &N) const;
};

/// How messages name a node: its name, else its first output, else "?".
std::string nodeLabel(const onnx::NodeProto &N);

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
Status convertRecurrent(Context &C, const onnx::NodeProto &N);

const OpConverter *findConverter(const std::string &OpType);

/// Replaces chains of ONNX ops that exporters write for an op nnc has
/// (PyTorch's GELU) by that op (OnnxPatterns.cpp).
void recognizeCompositions(onnx::GraphProto &G);

/// Whether nodes of this type can be evaluated at import (OnnxFold.cpp).
bool isFoldable(const std::string &OpType);
/// Evaluates N into C.Known (and C.Constants) when all its inputs are known
/// (Shape and Size need only their input's shape); false when some input is
/// computed at run time.
Expected<bool> foldNode(Context &C, const onnx::NodeProto &N);
/// Dimensions of input I of N as A * batch + B.
Expected<std::vector<Affine>> dimsOf(Context &C, const onnx::NodeProto &N,
                                     int I);
/// Makes the known value Name an IR constant, for an op that reads it at
/// run time or a graph output; an error when that cannot be (bool data, a
/// value that depends on the batch size).
Status materializeKnown(Context &C, const std::string &Name);
/// A Reshape target computed from Shape(x): elements equal to the batch
/// size become 0 (copy) or -1 (infer), for input X.
Expected<std::vector<int64_t>> reshapeTarget(Context &C, const Folded &Shape,
                                             const ir::Value *X);

// Converters in OnnxLayout.cpp.
Status convertReshape(Context &C, const onnx::NodeProto &N);
Status convertSqueeze(Context &C, const onnx::NodeProto &N);
Status convertUnsqueeze(Context &C, const onnx::NodeProto &N);
Status convertReduceSum(Context &C, const onnx::NodeProto &N);
Status convertReduceMean(Context &C, const onnx::NodeProto &N);
Status convertReduceMax(Context &C, const onnx::NodeProto &N);
Status convertReduceMin(Context &C, const onnx::NodeProto &N);
Status convertExpand(Context &C, const onnx::NodeProto &N);
Status convertSlice(Context &C, const onnx::NodeProto &N);
/// Pad: a pad of no size is the identity; a zero pad on spatial axes is
/// left pending for the following Conv or AveragePool to fold; any other
/// pad is an op.
Status convertPad(Context &C, const onnx::NodeProto &N);
/// Makes the pending Pad Name an op, for a reader that cannot fold it (no
/// effect if Name is not a pending Pad).
Status materializePad(Context &C, const std::string &Name);
/// An operand compiled into the graph (a shape, axes, bounds) that is not
/// known at import.
Status runTimeValue(const onnx::NodeProto &N, int I, const char *What);
/// Attributes of N that its converter does not understand.
std::vector<std::string> unknownAttributes(const onnx::NodeProto &N);

} // namespace nnc::frontend::onnx_import
