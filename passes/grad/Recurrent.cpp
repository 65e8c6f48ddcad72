//===- passes/grad/Recurrent.cpp - Backpropagation through time -----------===//
#include "ir/RecurrentOps.h"
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {
namespace {

using namespace nnc::ir;

/// Rnn, Gru, Lstm: one gradient node over the whole sequence, reading what
/// the forward saved (the training lowering asks it to).
Status recurrent(Context &C, std::vector<Value *> &DIn) {
  const Node &N = C.N;
  size_t NumOut = recurrentOutputs(N.Op);
  if (N.Outputs.size() <= NumOut)
    return error("the forward pass kept nothing for the backward pass "
                 "(attribute save_for_backward is 0)");
  RecurrentOperands O = recurrentOperands(N);
  if (O.Lengths && C.needs(*O.Lengths))
    return error("sequence lengths have no gradient");
  std::vector<Value *> Ins = {C.in(O.X), C.in(O.W), C.in(O.R),
                              N.Outputs[NumOut]};
  std::vector<int64_t> Has;
  for (size_t I = 0; I < NumOut; ++I) {
    Has.push_back(C.DOut[I] != nullptr);
    if (C.DOut[I])
      Ins.push_back(C.DOut[I]);
  }
  if (O.Peepholes)
    Ins.push_back(C.in(*O.Peepholes));
  if (O.Lengths)
    Ins.push_back(C.in(*O.Lengths));
  OpKind Grad = recurrentGradOf(N.Op);
  Attributes A = C.attrsFor(Grad);
  A.set("gradients", Has);
  A.set("peepholes", int64_t(O.Peepholes.has_value()));
  A.set("lengths", int64_t(O.Lengths.has_value()));
  bool Lstm = N.Op == OpKind::Lstm;
  std::vector<Value *> D = C.ops(Grad, Ins, A, Lstm ? 7 : 5);
  DIn[O.X] = D[0];
  DIn[O.W] = D[1];
  DIn[O.R] = D[2];
  if (N.Inputs.size() > O.B)
    DIn[O.B] = D[3];
  if (O.Peepholes)
    DIn[*O.Peepholes] = D[4];
  if (O.InitialH)
    DIn[*O.InitialH] = D[Lstm ? 5 : 4];
  if (O.InitialC)
    DIn[*O.InitialC] = D[6];
  return Status::success();
}

} // namespace

void registerRecurrent() {
  for (OpKind K : {OpKind::Rnn, OpKind::Gru, OpKind::Lstm})
    define(K, recurrent);
}

} // namespace nnc::passes::grad
