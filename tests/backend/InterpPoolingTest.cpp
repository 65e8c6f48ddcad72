#include "../TestUtil.h"

#include <set>

using namespace nnc;
using namespace nnc::test;

TEST(InterpPool, MaxPoolAgainstLoopsOddSizes) {
  // Batch 3, 2 channels, 9x7, kernel 3x2, stride 2x1, padding 1, dilation 2x1.
  Tensor X = randomTensor({3, 2, 9, 7}, 8);
  Expected<Tensor> Y = runOp(OpKind::MaxPool, {X},
                             attrs({{"kernel_shape", Ints{3, 2}},
                                    {"strides", Ints{2, 1}},
                                    {"pads", Ints{1, 1, 1, 1}},
                                    {"dilations", Ints{2, 1}}}));
  ASSERT_OK(Y);
  int64_t OH = (9 + 2 - 2 * 2 - 1) / 2 + 1, OW = (7 + 2 - 1 - 1) / 1 + 1;
  ASSERT_EQ(Y->Dims, (Shape{3, 2, OH, OW}));
  std::vector<double> Want;
  for (int64_t P = 0; P < 6; ++P)
    for (int64_t I = 0; I < OH; ++I)
      for (int64_t J = 0; J < OW; ++J) {
        double M = -1e300;
        for (int64_t A = 0; A < 3; ++A)
          for (int64_t B = 0; B < 2; ++B) {
            int64_t R = I * 2 - 1 + A * 2, C = J - 1 + B;
            if (R >= 0 && R < 9 && C >= 0 && C < 7)
              M = std::max(M, X.Data[size_t((P * 9 + R) * 7 + C)]);
          }
        Want.push_back(M);
      }
  expectNear(*Y, Want, 0);
}

TEST(InterpPool, AvgPoolCountIncludePadBothWays) {
  // 3x3 input 1..9, kernel 2, stride 2, padding 1: windows are the corners
  // {1}, {2,3}, {4,7}, {5,6,8,9} plus padding.
  Tensor X = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Attributes A =
      attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  Expected<Tensor> Y = runOp(OpKind::AvgPool, {X}, A);
  ASSERT_OK(Y);
  expectNear(*Y, {1. / 4, 5. / 4, 11. / 4, 28. / 4});
  A.set("count_include_pad", int64_t(0));
  Y = runOp(OpKind::AvgPool, {X}, A);
  ASSERT_OK(Y);
  expectNear(*Y, {1, 2.5, 5.5, 7});
}

TEST(InterpPool, CeilModeAddsAPartialWindow) {
  // 1x5, kernel 2, stride 2, ceil: windows {1,2}, {3,4}, {5}.
  Tensor X = tensor({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  Attributes A =
      attrs({{"kernel_shape", Ints{1, 2}}, {"ceil_mode", int64_t(1)}});
  Expected<Tensor> Y = runOp(OpKind::MaxPool, {X}, A);
  ASSERT_OK(Y);
  expectNear(*Y, {2, 4, 5});
  // PyTorch divides the partial window by its clipped size (1), not 2.
  Y = runOp(OpKind::AvgPool, {X}, A);
  ASSERT_OK(Y);
  expectNear(*Y, {1.5, 3.5, 5});
}

TEST(InterpPool, GlobalPools) {
  Tensor X = tensor({1, 2, 2, 2}, {1, 2, 3, 6, -1, -5, -3, -7});
  Expected<Tensor> Y = runOp(OpKind::GlobalAvgPool, {X});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{1, 2, 1, 1}));
  expectNear(*Y, {3, -4});
  Y = runOp(OpKind::GlobalMaxPool, {X});
  ASSERT_OK(Y);
  expectNear(*Y, {6, -1});
}

TEST(InterpPool, StochasticPoolInferenceIsTheProbabilityWeightedSum) {
  // Window {1, 2, 3, 0}: p = a / 6, output sum(p a) = (1 + 4 + 9) / 6.
  // An all-zero window gives 0.
  Tensor X = tensor({1, 1, 2, 4}, {1, 2, 0, 0, 3, 0, 0, 0});
  Expected<Tensor> Y =
      runOp(OpKind::StochasticPool, {X}, attrs({{"kernel_shape", Ints{2, 2}}}));
  ASSERT_OK(Y);
  expectNear(*Y, {14. / 6, 0});
}

TEST(InterpPool, StochasticPoolTrainingSamplesInProportion) {
  // One 2x2 window {1, 3, 0, 0} repeated over 4000 planes: picks 3 with
  // probability 3/4, never a zero.
  std::vector<double> Data;
  for (int I = 0; I < 4000; ++I)
    Data.insert(Data.end(), {1, 3, 0, 0});
  Tensor X = tensor({1, 4000, 2, 2}, Data);
  Attributes A = attrs({{"kernel_shape", Ints{2, 2}}, {"seed", int64_t(3)}});
  Expected<Tensor> Y = runOp(OpKind::StochasticPool, {X}, A, /*Training=*/true);
  ASSERT_OK(Y);
  int Threes = 0;
  for (double V : Y->Data) {
    EXPECT_TRUE(V == 1 || V == 3) << V;
    Threes += V == 3;
  }
  // Binomial(4000, 0.75): 3000 +- 27 (1 sigma).
  EXPECT_NEAR(Threes, 3000, 150);
}
