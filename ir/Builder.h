//===- ir/Builder.h - Building graphs in C++ --------------------*- C++ -*-===//
//
// For tests and for users who build models in code. Each op is checked and
// typed as it is added; the first error sticks (status()) and later calls
// still return a usable (untyped) value, so call sites need no checks until
// the end:
//
//   Builder B(G);
//   Value *X = B.input("x", {-1, 4});
//   Value *H = B.op(OpKind::Relu, {B.op(OpKind::Dense, {X, W, Bias})});
//   B.entry("infer", {X}, {H});
//   if (!B.status().ok()) ...
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace nnc::ir {

class Builder {
public:
  explicit Builder(Graph &G) : G(G) {}

  /// A graph input; a leading -1 is the batch dimension (bound to 1 while
  /// building).
  Value *input(std::string Name, Shape Dims, DType T = DType::F32);
  Value *label(std::string Name, Shape Dims, DType T = DType::I64);
  Value *parameter(std::string Name, Shape Dims, Initializer Init,
                   Role R = Role::Parameter);
  Value *constant(std::string Name, Shape Dims,
                  const std::vector<double> &Values, DType T = DType::F32);

  /// Adds a node with one output named Name (or "<op>_<n>").
  Value *op(OpKind K, std::vector<Value *> Inputs, Attributes A = {},
            std::string Name = "");

  /// Adds a node with NumOutputs outputs named Name.0, Name.1, ... (or
  /// Name alone when there is one).
  std::vector<Value *> ops(OpKind K, std::vector<Value *> Inputs, Attributes A,
                           size_t NumOutputs, std::string Name = "");

  void entry(std::string Name, std::vector<Value *> Inputs,
             std::vector<Value *> Outputs);

  Status status() const { return Error; }

private:
  Value *fed(std::string Name, Role R, Shape Dims, DType T);
  std::string freshName(std::string_view Base);

  Graph &G;
  Status Error;
  int Counter = 0;
};

/// Attribute-list shorthand: attrs({{"axis", int64_t(1)}}).
inline Attributes
attrs(std::initializer_list<std::pair<std::string, AttrValue>> L) {
  Attributes A;
  for (const auto &[Name, V] : L)
    A.set(Name, V);
  return A;
}

/// AllReduceWait's attributes for outputs shaped as Like's values
/// (ir/ops/Collective.cpp): their dimensions one after another, and ranks.
Attributes allReduceWaitAttrs(const std::vector<Value *> &Like);

} // namespace nnc::ir
