#include "../TestUtil.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

TEST(InterpLoss, MeanSquaredError) {
  Expected<Tensor> L = runOp(OpKind::MseLoss, {tensor({2, 2}, {1, 2, 3, 4}),
                                               tensor({2, 2}, {0, 2, 5, 4})});
  ASSERT_OK(L);
  EXPECT_TRUE(L->Dims.empty());
  expectNear(*L, {(1 + 0 + 4 + 0) / 4.0});
}

TEST(InterpLoss, BinaryCrossEntropyOnProbabilities) {
  Expected<Tensor> L = runOp(
      OpKind::BceLoss, {tensor({2, 1}, {0.8, 0.3}), tensor({2, 1}, {1, 0})});
  ASSERT_OK(L);
  expectNear(*L, {-(std::log(0.8) + std::log(0.7)) / 2});
  // p = 0 with target 1: PyTorch clamps the log at -100.
  L = runOp(OpKind::BceLoss, {tensor({1}, {0}), tensor({1}, {1})});
  ASSERT_OK(L);
  expectNear(*L, {100});
}

TEST(InterpLoss, BinaryCrossEntropyOnLogitsIsStable) {
  Tensor Z = randomTensor({3, 2}, 2, -4, 4), T = randomTensor({3, 2}, 3, 0, 1);
  Expected<Tensor> L = runOp(OpKind::BceWithLogitsLoss, {Z, T});
  ASSERT_OK(L);
  double Want = 0;
  for (size_t I = 0; I < 6; ++I) {
    double P = 1 / (1 + std::exp(-Z.Data[I]));
    Want -= T.Data[I] * std::log(P) + (1 - T.Data[I]) * std::log(1 - P);
  }
  expectNear(*L, {Want / 6}, 1e-12);
  // Logits of +-1e4: the naive formula gives inf or nan.
  L = runOp(OpKind::BceWithLogitsLoss,
            {tensor({2}, {1e4, -1e4}), tensor({2}, {0, 0})});
  ASSERT_OK(L);
  expectNear(*L, {1e4 / 2});
}

TEST(InterpLoss, SoftmaxCrossEntropyOnIntegerLabels) {
  Tensor Z = randomTensor({3, 4}, 5, -2, 2);
  Tensor Labels = tensor({3}, {2, 0, 3}, DType::I64);
  Expected<Tensor> L = runOp(OpKind::SoftmaxCrossEntropy, {Z, Labels});
  ASSERT_OK(L);
  double Want = 0;
  for (int R = 0; R < 3; ++R) {
    double S = 0;
    for (int K = 0; K < 4; ++K)
      S += std::exp(Z.Data[size_t(R * 4 + K)]);
    Want -= std::log(
        std::exp(Z.Data[size_t(R * 4 + int(Labels.Data[size_t(R)]))]) / S);
  }
  expectNear(*L, {Want / 3}, 1e-12);
}

TEST(InterpLoss, SoftmaxCrossEntropyIsStableForLogitsOf1e4) {
  Expected<Tensor> L = runOp(OpKind::SoftmaxCrossEntropy,
                             {tensor({2, 3}, {1e4, 0, -1e4, 1e4, 1e4, 0}),
                              tensor({2}, {0, 2}, DType::I64)});
  ASSERT_OK(L);
  // Row 0: log(1 + e^-1e4 + ...) ~ 0; row 1: 1e4 + log 2.
  expectNear(*L, {(0 + 1e4 + std::log(2.0)) / 2});
  EXPECT_TRUE(std::isfinite(L->Data[0]));
}

TEST(InterpLoss, NegativeLogLikelihoodOfLogProbabilities) {
  // -(log_p[0][2] + log_p[1][0]) / 2
  Expected<Tensor> L =
      runOp(OpKind::NllLoss, {tensor({2, 3}, {-1, -2, -0.5, -0.25, -3, -4}),
                              tensor({2}, {2, 0}, DType::I64)});
  ASSERT_OK(L);
  expectNear(*L, {(0.5 + 0.25) / 2});
}

// log_probs [N=2, C=3, d=2]; labels [2, 2] with one ignored (-100); class
// weights. Element terms by hand: -w[t] lp[n, t, d].
TEST(InterpLoss, NllLossWithWeightsIgnoreIndexAndReductions) {
  Tensor Lp = tensor({2, 3, 2}, {-1, -2, -3, -4, -5, -6, //
                                 -0.5, -0.25, -1.5, -2.5, -3.5, -4.5});
  Tensor T = tensor({2, 2}, {2, -100, 0, 1}, DType::I64);
  Tensor W = tensor({3}, {2, 3, 4});
  // n0 d0: t=2 -> -4 * -5; n0 d1 ignored; n1 d0: t=0 -> -2 * -0.5;
  // n1 d1: t=1 -> -3 * -2.5.
  std::vector<double> Terms = {20, 0, 1, 7.5};
  auto Run = [&](const char *R) {
    return runOp(OpKind::NllLoss, {Lp, T, W},
                 attrs({{"reduction", std::string(R)},
                        {"ignore_index", int64_t(-100)}}));
  };
  Expected<Tensor> None = Run("none"), Sum = Run("sum"), Mean = Run("mean");
  ASSERT_OK(None);
  ASSERT_OK(Sum);
  ASSERT_OK(Mean);
  EXPECT_EQ(None->Dims, (Shape{2, 2}));
  expectNear(*None, Terms);
  expectNear(*Sum, {28.5});
  expectNear(*Mean, {28.5 / (4 + 2 + 3)}); // over the weights counted
}

TEST(InterpLoss, LabelOutOfRangeIsAnError) {
  Expected<Tensor> L =
      runOp(OpKind::SoftmaxCrossEntropy, {tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                                          tensor({2}, {0, 3}, DType::I64)});
  ASSERT_FALSE(L.ok());
  EXPECT_NE(L.status().message().find("label 3 in row 1 is outside [0, 3)"),
            std::string::npos)
      << L.status().message();
  EXPECT_NE(L.status().message().find("node 'out' (SoftmaxCrossEntropy)"),
            std::string::npos);
}
