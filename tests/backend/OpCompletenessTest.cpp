// Every op of the op table has what each layer needs: shape inference, a
// reference evaluation, a gradient rule or an explicit "not
// differentiable". (Kernels: backend/llvm/KernelParams.cpp's kernelCall
// names every op, or the build fails under -Werror=switch.)
#include "../TestUtil.h"
#include "backend/interp/Kernels.h"
#include "ir/Pointwise.h"
#include "passes/grad/GradRules.h"

using namespace nnc;
using namespace nnc::test;

TEST(OpCompleteness, EveryOpHasShapeInferenceAndAReferenceEvaluation) {
  for (const OpInfo &Op : allOps()) {
    SCOPED_TRACE(Op.Name);
    EXPECT_NE(Op.Infer, nullptr);
    EXPECT_NE(Op.Flops, nullptr);
    EXPECT_NE(interp::evalFunction(Op.Kind), nullptr);
  }
}

TEST(OpCompleteness, EveryOpHasAGradientRuleOrSaysItHasNone) {
  for (const OpInfo &Op : allOps())
    EXPECT_NE(passes::grad::ruleFor(Op.Kind), nullptr)
        << Op.Name << " has neither a gradient rule nor notDifferentiable";
}

TEST(OpCompleteness, EveryPointwiseRowIsAnOpWithItsAttributes) {
  for (int64_t I = 0; I < pointwise::NumUnary; ++I) {
    const pointwise::UnaryInfo &Row = pointwise::UnaryTable[I];
    SCOPED_TRACE(Row.Name);
    const OpInfo *Op = findOp(Row.Name);
    ASSERT_NE(Op, nullptr);
    EXPECT_EQ(unaryOf(Op->Kind), Unary(I));
    EXPECT_EQ(opKindOf(Unary(I)), Op->Kind);
    for (int A = 0; A < 2; ++A)
      if (*Row.Attrs[A]) {
        EXPECT_NE(Op->findAttr(Row.Attrs[A]), nullptr) << Row.Attrs[A];
        // UnaryGrad carries it to the derivative.
        EXPECT_NE(opInfo(OpKind::UnaryGrad).findAttr(Row.Attrs[A]), nullptr)
            << Row.Attrs[A];
      }
  }
}
