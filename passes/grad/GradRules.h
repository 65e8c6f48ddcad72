//===- passes/grad/GradRules.h - Vector-Jacobian rules per op ---*- C++ -*-===//
#pragma once

#include "ir/Builder.h"

namespace nnc::passes::grad {

/// What a rule sees: the forward node, the gradients of its outputs (null
/// where an output does not reach the loss) and which inputs need one.
struct Context {
  ir::Builder &B;
  const ir::Node &N;
  std::vector<ir::Value *> DOut;
  std::vector<bool> Needs;

  ir::Value *in(size_t I) const { return N.Inputs[I]; }
  ir::Value *out(size_t I) const { return N.Outputs[I]; }
  bool needs(size_t I) const { return I < Needs.size() && Needs[I]; }
  /// A new node named after the forward node.
  ir::Value *op(ir::OpKind K, std::vector<ir::Value *> Ins,
                ir::Attributes A = {});
  std::vector<ir::Value *> ops(ir::OpKind K, std::vector<ir::Value *> Ins,
                               ir::Attributes A, size_t NumOutputs);
  /// The forward node's attributes that Target's op table entry accepts.
  ir::Attributes attrsFor(ir::OpKind Target) const;
};

/// Fills DIn (one slot per input, null for "no gradient").
using Rule = Status (*)(Context &C, std::vector<ir::Value *> &DIn);

Rule ruleFor(ir::OpKind K);

void define(ir::OpKind K, Rule R);
/// Says that K has no gradient (an argmax, an optimizer update, a gradient
/// op: nnc takes no second derivatives); autodiff then reports K as not
/// differentiable where the loss depends on it through K.
void notDifferentiable(ir::OpKind K);
bool isNotDifferentiable(ir::OpKind K);
void registerElementwise();
void registerContraction();
void registerPooling();
void registerLayout();
void registerRecurrent();
void registerCollective();
void registerNotDifferentiable();

} // namespace nnc::passes::grad
