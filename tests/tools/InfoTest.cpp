// nnc info as a model summary: layers, optimizer, a checkpoint's state.
#include "RunNnc.h"

using namespace nnc;
using namespace nnc::test;

namespace {

TEST(NncInfo, ListsEveryLayerWithShapeParametersAndFlops) {
  Result R = runNnc("info " + exampleModel("lenet5"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "layers of infer (output shapes at batch 1):"))
      << R.Out;
  // conv1: 6 filters of 1x5x5 and 6 biases; 6*28*28 outputs of 25 MACs.
  EXPECT_TRUE(contains(R.Out, "conv1                    Conv                 "
                              "[1,6,28,28]                 156        235,200"))
      << R.Out;
  EXPECT_TRUE(contains(R.Out, "  total  ")) << R.Out;
  EXPECT_TRUE(contains(R.Out, "61,706")) << R.Out;
}

TEST(NncInfo, ShowsEveryHyperParameterAndACheckpointsState) {
  TempDir D;
  Result R = runNnc("train " + exampleModel("convbn") +
                    " --data fashion-mnist --limit-train 256 --limit-test 64 "
                    "--batch 64 --max-steps 2 --optimizer momentum "
                    "--momentum 0.9 --lr 0.01 --save " +
                    D.file("ck.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  R = runNnc("info " + D.file("ck.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "optimizer momentum lr=0.01 momentum=0.9 "
                              "dampening=0 weight_decay=0 nesterov=false "
                              "maximize=false"))
      << R.Out;
  EXPECT_TRUE(contains(R.Out, "checkpoint: 2 optimizer steps taken")) << R.Out;
  // 421,834 momentum values, one per trainable parameter.
  size_t At = R.Out.find("optimizer slot momentum_buffer ");
  ASSERT_NE(At, std::string::npos) << R.Out;
  EXPECT_EQ(R.Out.find("421,834 values in 12 tensors\n", At),
            R.Out.find('\n', At) - 28)
      << R.Out;
  At = R.Out.find("BatchNorm running statistics ");
  ASSERT_NE(At, std::string::npos) << R.Out;
  EXPECT_EQ(R.Out.find("192 values in 4 tensors\n", At),
            R.Out.find('\n', At) - 23)
      << R.Out;
}

} // namespace
