#include "../TestUtil.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

TEST(InterpActivation, SoftmaxHandValues) {
  // softmax(1, 2, 3) = e^k / (e + e^2 + e^3).
  double Z = std::exp(1) + std::exp(2) + std::exp(3);
  Expected<Tensor> Y =
      runOp(OpKind::Softmax, {tensor({2, 3}, {1, 2, 3, 0, 0, 0})});
  ASSERT_OK(Y);
  expectNear(*Y, {std::exp(1) / Z, std::exp(2) / Z, std::exp(3) / Z, 1. / 3,
                  1. / 3, 1. / 3});
  Y = runOp(OpKind::LogSoftmax, {tensor({1, 3}, {1, 2, 3})});
  ASSERT_OK(Y);
  expectNear(*Y, {1 - std::log(Z), 2 - std::log(Z), 3 - std::log(Z)});
}

TEST(InterpActivation, SoftmaxAlongAnInnerAxis) {
  // Axis 1 of [2, 2, 2]: pairs (x[n,0,k], x[n,1,k]).
  Tensor X = tensor({2, 2, 2}, {0, 1, std::log(3.0), 1, 5, 5, 5, 5});
  Expected<Tensor> Y =
      runOp(OpKind::Softmax, {X}, attrs({{"axis", int64_t(1)}}));
  ASSERT_OK(Y);
  expectNear(*Y, {0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5});
}

TEST(InterpActivation, SoftmaxIsStableForHugeLogits) {
  Expected<Tensor> Y =
      runOp(OpKind::LogSoftmax, {tensor({1, 3}, {1e4, 1e4, -1e4})});
  ASSERT_OK(Y);
  expectNear(*Y, {-std::log(2.0), -std::log(2.0), -2e4 - std::log(2.0)});
  Y = runOp(OpKind::Softmax, {tensor({1, 2}, {1e4, 0})});
  ASSERT_OK(Y);
  expectNear(*Y, {1, 0});
}

TEST(InterpActivation, MaxoutTakesTheMaxOfEachGroupOfChannels) {
  // x [1, 6, 2] with pieces 3: out channel c = max of channels 3c..3c+2.
  Tensor X = randomTensor({1, 6, 2}, 9);
  Expected<Tensor> Y =
      runOp(OpKind::Maxout, {X}, attrs({{"pieces", int64_t(3)}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{1, 2, 2}));
  for (int C = 0; C < 2; ++C)
    for (int I = 0; I < 2; ++I) {
      double M = std::max({X.Data[size_t((3 * C) * 2 + I)],
                           X.Data[size_t((3 * C + 1) * 2 + I)],
                           X.Data[size_t((3 * C + 2) * 2 + I)]});
      EXPECT_EQ(Y->Data[size_t(C * 2 + I)], M);
    }
}
