#include "../TestUtil.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

namespace {

void checkUnary(OpKind K, double (*Ref)(double), Attributes A = {},
                double Lo = -3, double Hi = 3) {
  Tensor X = randomTensor({3, 5, 2}, 11, Lo, Hi);
  Expected<Tensor> Y = runOp(K, {X}, A);
  ASSERT_OK(Y);
  std::vector<double> Want;
  for (double V : X.Data)
    Want.push_back(Ref(V));
  expectNear(*Y, Want, 1e-12);
}

} // namespace

TEST(InterpElementwise, Activations) {
  checkUnary(OpKind::Identity, [](double X) { return X; });
  checkUnary(OpKind::Step, [](double X) { return X > 0 ? 1.0 : 0.0; });
  checkUnary(OpKind::Sigmoid, [](double X) { return 1 / (1 + std::exp(-X)); });
  checkUnary(
      OpKind::Sigmoid, [](double X) { return 1 / (1 + std::exp(-2.5 * X)); },
      attrs({{"slope", 2.5}}));
  checkUnary(OpKind::Tanh, [](double X) {
    return (std::exp(X) - std::exp(-X)) / (std::exp(X) + std::exp(-X));
  });
  checkUnary(OpKind::Relu, [](double X) { return std::max(X, 0.0); });
  checkUnary(OpKind::LeakyRelu, [](double X) { return X < 0 ? 0.01 * X : X; });
  checkUnary(
      OpKind::LeakyRelu, [](double X) { return X < 0 ? 0.2 * X : X; },
      attrs({{"alpha", 0.2}}));
  checkUnary(OpKind::Elu, [](double X) { return X < 0 ? std::exp(X) - 1 : X; });
  checkUnary(OpKind::Swish, [](double X) { return X / (1 + std::exp(-X)); });
  checkUnary(
      OpKind::Clip, [](double X) { return X < -1    ? -1
                                          : X > 0.5 ? 0.5
                                                    : X; },
      attrs({{"min", -1.0}, {"max", 0.5}}));
  checkUnary(OpKind::Exp, [](double X) { return std::exp(X); });
  checkUnary(OpKind::Neg, [](double X) { return -X; });
  checkUnary(OpKind::Abs, [](double X) { return X < 0 ? -X : X; });
  checkUnary(
      OpKind::Log, [](double X) { return std::log(X); }, {}, 0.1, 5);
  checkUnary(
      OpKind::Sqrt, [](double X) { return std::pow(X, 0.5); }, {}, 0.1, 5);
}

// PyTorch's softplus: log(1 + e^(beta x)) / beta, and x where beta x
// exceeds the threshold.
TEST(InterpElementwise, Softplus) {
  checkUnary(OpKind::Softplus,
             [](double X) { return std::log(1 + std::exp(X)); });
  checkUnary(
      OpKind::Softplus,
      [](double X) {
        return 2 * X > 1.5 ? X : std::log(1 + std::exp(2 * X)) / 2;
      },
      attrs({{"beta", 2.0}, {"threshold", 1.5}}));
}

// PyTorch's exact GELU: x Phi(x).
TEST(InterpElementwise, Gelu) {
  checkUnary(OpKind::Gelu,
             [](double X) { return X * 0.5 * std::erfc(-X / std::sqrt(2.0)); });
}

TEST(InterpElementwise, SigmoidIsStableForLargeInputs) {
  Expected<Tensor> Y =
      runOp(OpKind::Sigmoid, {tensor({4}, {-1e4, -800, 800, 1e4})});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{0, 0, 1, 1}));
}

TEST(InterpElementwise, BroadcastingBinaryOps) {
  // a [2,1,3] op b [2,1] -> [2,2,3]; out[i][j][k] = a[i][0][k] op b[j][0].
  Tensor A = tensor({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  Tensor B = tensor({2, 1}, {10, 20});
  std::vector<double> Sum, Quot;
  for (int I = 0; I < 2; ++I)
    for (int J = 0; J < 2; ++J)
      for (int K = 0; K < 3; ++K) {
        Sum.push_back(A.Data[size_t(I * 3 + K)] + B.Data[size_t(J)]);
        Quot.push_back(A.Data[size_t(I * 3 + K)] / B.Data[size_t(J)]);
      }
  Expected<Tensor> Y = runOp(OpKind::Add, {A, B});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 2, 3}));
  expectNear(*Y, Sum);
  Y = runOp(OpKind::Div, {A, B});
  ASSERT_OK(Y);
  expectNear(*Y, Quot);
  Y = runOp(OpKind::Pow,
            {tensor({2, 2}, {2, 9, 4, 0.5}), tensor({2}, {3, -0.5})});
  ASSERT_OK(Y);
  expectNear(*Y, {8, 1.0 / 3, 64, std::sqrt(2.0)});
  Y = runOp(OpKind::Sub, {tensor({2}, {5, 7}), tensor({}, {2})});
  ASSERT_OK(Y);
  expectNear(*Y, {3, 5});
  Y = runOp(OpKind::Mul,
            {tensor({2, 2}, {1, 2, 3, 4}), tensor({2}, {10, 100})});
  ASSERT_OK(Y);
  expectNear(*Y, {10, 200, 30, 400});
}

TEST(InterpElementwise, PReluHasOneSlopePerChannel) {
  // x [2, 3, 2]: channel c's negative values are scaled by slope[c].
  Tensor X = randomTensor({2, 3, 2}, 5);
  Tensor S = tensor({3}, {0.1, 0.2, 0.3});
  Expected<Tensor> Y = runOp(OpKind::PRelu, {X, S});
  ASSERT_OK(Y);
  std::vector<double> Want;
  for (int N = 0; N < 2; ++N)
    for (int C = 0; C < 3; ++C)
      for (int I = 0; I < 2; ++I) {
        double V = X.Data[size_t((N * 3 + C) * 2 + I)];
        Want.push_back(V > 0 ? V : S.Data[size_t(C)] * V);
      }
  expectNear(*Y, Want);
}

TEST(InterpElementwise, DropoutIsIdentityAtInference) {
  Tensor X = randomTensor({4, 50}, 3);
  Expected<Tensor> Y = runOp(OpKind::Dropout, {X}, attrs({{"ratio", 0.3}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, X.Data);
}

TEST(InterpElementwise, DropoutWhenTrainingIsInvertedAndSeeded) {
  Tensor X = randomTensor({100, 100}, 3);
  Attributes A = attrs({{"ratio", 0.3}, {"seed", int64_t(42)}});
  Expected<Tensor> Y = runOp(OpKind::Dropout, {X}, A, /*Training=*/true, 1);
  Expected<Tensor> Again = runOp(OpKind::Dropout, {X}, A, true, 1);
  Expected<Tensor> Other = runOp(OpKind::Dropout, {X}, A, true, 2);
  ASSERT_OK(Y);
  ASSERT_OK(Again);
  ASSERT_OK(Other);
  EXPECT_EQ(Y->Data, Again->Data);
  EXPECT_NE(Y->Data, Other->Data);
  int Dropped = 0;
  for (size_t I = 0; I < X.Data.size(); ++I) {
    if (Y->Data[I] == 0)
      ++Dropped;
    else
      EXPECT_NEAR(Y->Data[I], X.Data[I] / 0.7, 1e-12);
  }
  // 10,000 Bernoulli(0.3) draws: 3000 +- 46 (1 sigma).
  EXPECT_NEAR(Dropped, 3000, 250);
}
