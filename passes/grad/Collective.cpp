//===- passes/grad/Collective.cpp - Gradients through ranks' means --------===//
//
// y = mean over ranks of x (an AllReduceStart/AllReduceWait pair, as a
// synchronized BatchNorm's statistics are). Each rank's loss reads the same
// y, so x's gradient on a rank is the mean over ranks of y's gradients: the
// same pair, in reverse. The wait's rule packs and starts; the start's rule
// waits and unpacks.
//
//===----------------------------------------------------------------------===//
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {

using namespace nnc::ir;

namespace {

Status allReduceWait(Context &C, std::vector<Value *> &DIn) {
  std::vector<Value *> DOut;
  for (size_t I = 0; I < C.N.Outputs.size(); ++I) {
    Value *D = C.DOut[I];
    if (!D) { // an output the loss does not read
      const TensorType &T = C.out(I)->Type;
      D = C.B.constant(C.N.Name + ".zero" + std::to_string(I), T.Dims,
                       std::vector<double>(size_t(T.numElements()), 0.0),
                       T.Elt);
    }
    DOut.push_back(D);
  }
  DIn[0] = C.op(OpKind::AllReduceStart, DOut);
  return Status::success();
}

Status allReduceStart(Context &C, std::vector<Value *> &DIn) {
  std::vector<Value *> Means =
      C.ops(OpKind::AllReduceWait, {C.DOut[0]}, allReduceWaitAttrs(C.N.Inputs),
            C.N.Inputs.size());
  for (size_t I = 0; I < DIn.size(); ++I)
    DIn[I] = C.needs(I) ? Means[I] : nullptr;
  return Status::success();
}

} // namespace

void registerCollective() {
  define(OpKind::AllReduceStart, allReduceStart);
  define(OpKind::AllReduceWait, allReduceWait);
}

} // namespace nnc::passes::grad
