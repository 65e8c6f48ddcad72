//===- ir/OpTable.h - One definition per op ---------------------*- C++ -*-===//
//
// Every op is described once here: its operands, attributes with defaults,
// shape inference and forward cost. Families register their ops from
// ir/ops/*.cpp. Later layers key their own per-op tables (reference
// evaluation, gradient rules, lowering) by the same OpKind.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attributes.h"
#include "ir/Status.h"
#include "ir/Types.h"

#include <string>
#include <string_view>
#include <vector>

namespace nnc::ir {

enum class OpKind : uint16_t {
#define NNC_OP(Kind, Family) Kind,
#include "ir/Ops.def"
};

constexpr size_t NumOpKinds = 0
#define NNC_OP(Kind, Family) +1
#include "ir/Ops.def"
    ;

class Node;

/// Computes output types from input types. Inputs are non-null for every
/// operand present; the node gives names for messages and the attributes.
using InferFn = Status (*)(const Node &N, const std::vector<TensorType> &In,
                           std::vector<TensorType> &Out);
/// Forward floating-point operations of a shape-inferred node; a multiply-add
/// counts as two.
using FlopsFn = int64_t (*)(const Node &N);

/// NllLoss's ignore_index when no label is to be ignored.
inline constexpr int64_t NoIgnoreIndex = INT64_MIN;

struct AttrSpec {
  std::string Name;
  AttrValue Default; // its alternative gives the attribute's kind
  bool Required = false;
};

struct OpInfo {
  OpKind Kind;
  std::string Name;
  /// Operand names in order; those past MinInputs are optional. A Variadic op
  /// takes one or more operands of the first name's kind.
  std::vector<std::string> Operands;
  int MinInputs = 1;
  bool Variadic = false;
  /// -1: as many as the op's inference produces (optimizers: one per state).
  int NumOutputs = 1;
  std::vector<AttrSpec> Attrs;
  InferFn Infer = nullptr;
  FlopsFn Flops = nullptr;

  const AttrSpec *findAttr(std::string_view AttrName) const;
  int maxInputs() const { return Variadic ? 1 << 20 : int(Operands.size()); }
};

const OpInfo &opInfo(OpKind K);
std::string_view opName(OpKind K);
/// Looks an op up by its name in model files; null if there is none.
const OpInfo *findOp(std::string_view Name);
/// All ops, in Ops.def order.
const std::vector<OpInfo> &allOps();

} // namespace nnc::ir
