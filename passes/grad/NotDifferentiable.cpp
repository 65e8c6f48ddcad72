//===- passes/grad/NotDifferentiable.cpp - Ops with no gradient -----------===//
//
// Ops that say so, rather than lacking a rule: autodiff reports them as not
// differentiable where the loss depends on something through them, and the
// completeness test (tests/backend/OpCompletenessTest.cpp) finds any op
// that is in neither list.
//
//===----------------------------------------------------------------------===//
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {

using namespace nnc::ir;

void registerNotDifferentiable() {
  // Integer results, or a result that does not vary smoothly with x.
  for (OpKind K :
       {OpKind::ArgMax, OpKind::MaxPoolIndices, OpKind::CorrectCount})
    notDifferentiable(K);
  // What autodiff and the training lowering emit: nnc takes first
  // derivatives only.
  for (OpKind K :
       {OpKind::UnaryGrad, OpKind::SumTo, OpKind::ReshapeLike,
        OpKind::PReluGrad, OpKind::MaxoutGrad, OpKind::SoftmaxGrad,
        OpKind::ConvGradWeights, OpKind::RbfGrad, OpKind::PoolGrad,
        OpKind::BatchNormGrad, OpKind::LRNGrad, OpKind::ReduceGrad,
        OpKind::PadGrad, OpKind::LossGrad, OpKind::NllLossGrad,
        OpKind::RnnGrad, OpKind::GruGrad, OpKind::LstmGrad})
    notDifferentiable(K);
  // Optimizer updates come after the gradient.
  for (OpKind K :
       {OpKind::SgdUpdate, OpKind::AdagradUpdate, OpKind::AdadeltaUpdate,
        OpKind::RmspropUpdate, OpKind::AdamUpdate, OpKind::OnnxAdagrad,
        OpKind::OnnxMomentum, OpKind::OnnxAdam})
    notDifferentiable(K);
}

} // namespace nnc::passes::grad
