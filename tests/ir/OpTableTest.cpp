#include "ir/OpTable.h"
#include "backend/interp/Kernels.h"

#include <gtest/gtest.h>
#include <set>

using namespace nnc::ir;

TEST(OpTable, EveryOpIsDefinedAndEvaluable) {
  ASSERT_EQ(allOps().size(), NumOpKinds);
  std::set<std::string> Names;
  for (size_t I = 0; I < NumOpKinds; ++I) {
    const OpInfo &Info = allOps()[I];
    SCOPED_TRACE(Info.Name);
    EXPECT_EQ(size_t(Info.Kind), I);
    EXPECT_TRUE(Names.insert(Info.Name).second) << "duplicate name";
    EXPECT_NE(Info.Infer, nullptr);
    EXPECT_NE(Info.Flops, nullptr);
    EXPECT_FALSE(Info.Operands.empty());
    EXPECT_LE(Info.MinInputs, int(Info.Operands.size()));
    EXPECT_NE(nnc::interp::evalFunction(Info.Kind), nullptr)
        << "no reference evaluation";
    EXPECT_EQ(findOp(Info.Name), &Info);
  }
}

TEST(OpTable, UnknownNameIsNotFound) {
  EXPECT_EQ(findOp("Frobnicate"), nullptr);
  EXPECT_EQ(findOp("conv"), nullptr) << "names are case-sensitive";
}

// Every op in DEVELOPERS.md's scope list has an op (or is a composition noted
// here): residual add = Add, depthwise/1x1/dilated = Conv attributes.
TEST(OpTable, CoversTheScopeList) {
  for (const char *Name : {"Step",
                           "Sigmoid",
                           "Tanh",
                           "Relu",
                           "LeakyRelu",
                           "Elu",
                           "PRelu",
                           "Maxout",
                           "Swish",
                           "Softmax",
                           "MseLoss",
                           "BceLoss",
                           "SoftmaxCrossEntropy",
                           "Dropout",
                           "BatchNorm",
                           "LRN",
                           "Conv",
                           "ConvTranspose",
                           "MaxPool",
                           "AvgPool",
                           "GlobalAvgPool",
                           "StochasticPool",
                           "Rbf",
                           "ChannelShuffle",
                           "Concat",
                           "Add",
                           "Dense"})
    EXPECT_NE(findOp(Name), nullptr) << Name;
}
