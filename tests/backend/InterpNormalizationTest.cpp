#include "../TestUtil.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

TEST(InterpBatchNorm, InferenceUsesRunningStatistics) {
  Tensor X = randomTensor({3, 2, 2, 3}, 1);
  Tensor Scale = tensor({2}, {1.5, -0.5}), Bias = tensor({2}, {0.1, 0.2});
  Tensor Mean = tensor({2}, {0.3, -0.2}), Var = tensor({2}, {2.0, 0.5});
  Expected<Tensor> Y = runOp(OpKind::BatchNorm, {X, Scale, Bias, Mean, Var},
                             attrs({{"epsilon", 1e-3}}));
  ASSERT_OK(Y);
  std::vector<double> Want;
  for (int N = 0; N < 3; ++N)
    for (int C = 0; C < 2; ++C)
      for (int I = 0; I < 6; ++I) {
        double V = X.Data[size_t((N * 2 + C) * 6 + I)];
        Want.push_back(Scale.Data[size_t(C)] * (V - Mean.Data[size_t(C)]) /
                           std::sqrt(Var.Data[size_t(C)] + 1e-3) +
                       Bias.Data[size_t(C)]);
      }
  expectNear(*Y, Want, 1e-12);
}

// BatchNormTrain returns the new running statistics; the entry point's
// updates store them after the step.
TEST(InterpBatchNorm, TrainingNormalizesAndUpdatesRunningStatistics) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {4, 3, 2, 2});
  Value *Scale = B.parameter("scale", {3}, {Initializer::Scheme::Constant, 1});
  Value *Bias = B.parameter("bias", {3}, {Initializer::Scheme::Zeros});
  Value *Mean =
      B.parameter("mean", {3}, {Initializer::Scheme::Zeros}, Role::State);
  Value *Var =
      B.parameter("var", {3}, {Initializer::Scheme::Constant, 1}, Role::State);
  std::vector<Value *> Outs =
      B.ops(OpKind::BatchNormTrain, {X, Scale, Bias, Mean, Var},
            attrs({{"momentum", 0.25}}), 3, "bn");
  Value *Y = Outs[0];
  B.entry("train", {X}, {Y});
  G.EntryPoints[0].Updates = {{Mean, Outs[1]}, {Var, Outs[2]}};
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  auto I = interp::Interpreter::create(G);
  ASSERT_OK(I);
  Tensor In = randomTensor({4, 3, 2, 2}, 2, -2, 3);
  auto Out = I->run("train", {{"x", In}});
  ASSERT_OK(Out);
  const Tensor &R = Out->at(Y->Name);
  for (int C = 0; C < 3; ++C) {
    double S = 0, Sq = 0, InSum = 0, InSq = 0;
    for (int N = 0; N < 4; ++N)
      for (int K = 0; K < 4; ++K) {
        double V = R.Data[size_t((N * 3 + C) * 4 + K)];
        double U = In.Data[size_t((N * 3 + C) * 4 + K)];
        S += V, Sq += V * V, InSum += U, InSq += U * U;
      }
    EXPECT_NEAR(S / 16, 0, 1e-12);
    // Biased variance of the normalized batch: var / (var + eps).
    double InMean = InSum / 16, InVar = InSq / 16 - InMean * InMean;
    EXPECT_NEAR(Sq / 16, InVar / (InVar + 1e-5), 1e-9);
    // Running statistics move by momentum toward the batch's mean and
    // unbiased variance, and are stored as the f32 tensors they are.
    EXPECT_NEAR(I->stored(Mean).Data[size_t(C)], float(0.25 * InMean), 1e-12);
    EXPECT_NEAR(I->stored(Var).Data[size_t(C)],
                float(0.75 + 0.25 * InVar * 16 / 15), 1e-12);
  }
}

TEST(InterpLRN, MatchesTheFormulaOddAndEvenSizes) {
  Tensor X = randomTensor({2, 5, 2, 3}, 4);
  for (int64_t Size : {3, 4}) {
    double Alpha = 0.3, Beta = 0.6, K = 1.5;
    Expected<Tensor> Y = runOp(
        OpKind::LRN, {X},
        attrs({{"size", Size}, {"alpha", Alpha}, {"beta", Beta}, {"bias", K}}));
    ASSERT_OK(Y);
    std::vector<double> Want;
    for (int64_t N = 0; N < 2; ++N)
      for (int64_t C = 0; C < 5; ++C)
        for (int64_t I = 0; I < 6; ++I) {
          double Sq = 0;
          // ONNX: channels [c - floor((size-1)/2), c + ceil((size-1)/2)].
          for (int64_t J = C - (Size - 1) / 2; J <= C + Size / 2; ++J)
            if (J >= 0 && J < 5) {
              double V = X.Data[size_t((N * 5 + J) * 6 + I)];
              Sq += V * V;
            }
          Want.push_back(X.Data[size_t((N * 5 + C) * 6 + I)] /
                         std::pow(K + Alpha / double(Size) * Sq, Beta));
        }
    expectNear(*Y, Want, 1e-12);
  }
}
