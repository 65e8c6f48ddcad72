#include "../TestUtil.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

namespace {

std::vector<double> init(Initializer::Scheme K, Shape S, uint64_t Seed = 1,
                         double Gain = 1) {
  Graph G;
  Value *V = G.addValue("w", Role::Parameter, {DType::F32, S});
  V->Init.Kind = K;
  V->Init.Seed = Seed;
  V->Init.Gain = Gain;
  Expected<std::vector<double>> Data = materialize(*V);
  EXPECT_TRUE(Data.ok()) << Data.status().message();
  return Data.ok() ? *Data : std::vector<double>();
}

double mean(const std::vector<double> &X) {
  double S = 0;
  for (double V : X)
    S += V;
  return S / double(X.size());
}

double stddev(const std::vector<double> &X) {
  double M = mean(X), S = 0;
  for (double V : X)
    S += (V - M) * (V - M);
  return std::sqrt(S / double(X.size()));
}

using K = Initializer::Scheme;

} // namespace

TEST(Initializers, SameSeedSameValuesDifferentSeedDifferentValues) {
  EXPECT_EQ(init(K::GlorotUniform, {8, 9}, 3),
            init(K::GlorotUniform, {8, 9}, 3));
  EXPECT_NE(init(K::GlorotUniform, {8, 9}, 3),
            init(K::GlorotUniform, {8, 9}, 4));
}

TEST(Initializers, FansFollowPyTorch) {
  Expected<Fans> F = computeFans({16, 6, 5, 5});
  ASSERT_OK(F);
  EXPECT_EQ(F->In, 6 * 25);
  EXPECT_EQ(F->Out, 16 * 25);
}

TEST(Initializers, UniformSchemesStayInTheirBounds) {
  // Conv weight [32, 16, 3, 3]: fan_in 144, fan_out 288.
  Shape S = {32, 16, 3, 3};
  double Glorot = std::sqrt(6.0 / (144 + 288)), He = std::sqrt(6.0 / 144);
  std::vector<double> G = init(K::GlorotUniform, S);
  std::vector<double> H = init(K::HeUniform, S);
  for (double V : G)
    EXPECT_LE(std::fabs(V), Glorot);
  for (double V : H)
    EXPECT_LE(std::fabs(V), He);
  // U(-b, b) has standard deviation b / sqrt(3).
  EXPECT_NEAR(stddev(G), Glorot / std::sqrt(3.0), 0.05 * Glorot);
  EXPECT_NEAR(stddev(H), He / std::sqrt(3.0), 0.05 * He);
  EXPECT_NEAR(mean(H), 0, 0.05 * He);
}

TEST(Initializers, NormalSchemesHaveTheirStandardDeviation) {
  Shape S = {64, 128};
  EXPECT_NEAR(stddev(init(K::XavierNormal, S)), std::sqrt(2.0 / (128 + 64)),
              0.03 * std::sqrt(2.0 / 192));
  EXPECT_NEAR(stddev(init(K::HeNormal, S, 1, 2.0)), 2 * std::sqrt(2.0 / 128),
              0.03 * 2 * std::sqrt(2.0 / 128));
}

TEST(Initializers, OrthogonalRowsOrColumnsAreOrthonormal) {
  for (Shape S : {Shape{6, 10}, Shape{10, 6}, Shape{4, 2, 3}}) {
    std::vector<double> W = init(K::Orthogonal, S, 7, 1.5);
    int64_t Rows = S[0], Cols = int64_t(W.size()) / Rows;
    // The smaller dimension's vectors are orthonormal (times the gain).
    bool ByRow = Rows <= Cols;
    int64_t Count = ByRow ? Rows : Cols, Len = ByRow ? Cols : Rows;
    auto At = [&](int64_t Vec, int64_t I) {
      return ByRow ? W[size_t(Vec * Cols + I)] : W[size_t(I * Cols + Vec)];
    };
    for (int64_t A = 0; A < Count; ++A)
      for (int64_t B = 0; B < Count; ++B) {
        double Dot = 0;
        for (int64_t I = 0; I < Len; ++I)
          Dot += At(A, I) * At(B, I);
        EXPECT_NEAR(Dot, A == B ? 2.25 : 0.0, 1e-9);
      }
  }
}

TEST(Initializers, ConstantZerosUniform) {
  Graph G;
  Value *V = G.addValue("c", Role::Constant, {DType::F32, {5}});
  V->Init = {K::Constant, 2.5};
  EXPECT_EQ(*materialize(*V), std::vector<double>(5, 2.5));
  V->Init = {K::Uniform, 0, -3, -2, 1, 9};
  Expected<std::vector<double>> U = materialize(*V);
  ASSERT_OK(U);
  for (double X : *U)
    EXPECT_TRUE(X >= -3 && X < -2) << X;
  V->Init = {K::Zeros};
  EXPECT_EQ(*materialize(*V), std::vector<double>(5, 0.0));
}

TEST(Initializers, RawDataRoundTripsThroughEncode) {
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64, DType::U8}) {
    std::vector<double> X = {1, 2, 3, 250};
    EXPECT_EQ(decode(encode(X, T), T), X) << dtypeName(T);
  }
}
