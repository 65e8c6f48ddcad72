// Convolutions against direct loops written from the definition, on odd
// sizes: batch 3, non-square, stride 2, padding 1, dilation 2, groups 2.
#include "../TestUtil.h"

using namespace nnc;
using namespace nnc::test;

namespace {

struct ConvCase {
  int64_t N, C, H, W, O, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G;
};

Attributes convAttrs(const ConvCase &P) {
  return attrs({{"strides", Ints{P.SH, P.SW}},
                {"pads", Ints{P.PT, P.PL, P.PB, P.PR}},
                {"dilations", Ints{P.DH, P.DW}},
                {"group", P.G}});
}

/// y[n,o,i,j] = b[o] + sum_{c in o's group, kh, kw}
///              x[n, c, i*sh - pt + kh*dh, j*sw - pl + kw*dw] * w[o, c', kh,
///              kw]
Tensor directConv(const ConvCase &P, const Tensor &X, const Tensor &Wt,
                  const Tensor &B) {
  int64_t OH = (P.H + P.PT + P.PB - P.DH * (P.KH - 1) - 1) / P.SH + 1;
  int64_t OW = (P.W + P.PL + P.PR - P.DW * (P.KW - 1) - 1) / P.SW + 1;
  int64_t Cg = P.C / P.G, Og = P.O / P.G;
  Tensor Y(DType::F32, {P.N, P.O, OH, OW});
  for (int64_t N = 0; N < P.N; ++N)
    for (int64_t O = 0; O < P.O; ++O)
      for (int64_t I = 0; I < OH; ++I)
        for (int64_t J = 0; J < OW; ++J) {
          double Acc = B.Data[size_t(O)];
          for (int64_t Cl = 0; Cl < Cg; ++Cl)
            for (int64_t Kh = 0; Kh < P.KH; ++Kh)
              for (int64_t Kw = 0; Kw < P.KW; ++Kw) {
                int64_t Y0 = I * P.SH - P.PT + Kh * P.DH;
                int64_t X0 = J * P.SW - P.PL + Kw * P.DW;
                if (Y0 < 0 || Y0 >= P.H || X0 < 0 || X0 >= P.W)
                  continue;
                int64_t C = (O / Og) * Cg + Cl;
                Acc += X.Data[size_t(((N * P.C + C) * P.H + Y0) * P.W + X0)] *
                       Wt.Data[size_t(((O * Cg + Cl) * P.KH + Kh) * P.KW + Kw)];
              }
          Y.Data[size_t(((N * P.O + O) * OH + I) * OW + J)] = Acc;
        }
  return Y;
}

void checkConv(const ConvCase &P) {
  Tensor X = randomTensor({P.N, P.C, P.H, P.W}, 1);
  Tensor Wt = randomTensor({P.O, P.C / P.G, P.KH, P.KW}, 2);
  Tensor B = randomTensor({P.O}, 3);
  Expected<Tensor> Y = runOp(OpKind::Conv, {X, Wt, B}, convAttrs(P));
  ASSERT_OK(Y);
  Tensor Want = directConv(P, X, Wt, B);
  EXPECT_EQ(Y->Dims, Want.Dims);
  expectNear(*Y, Want.Data, 1e-12);
}

double dot(const Tensor &A, const Tensor &B) {
  double S = 0;
  for (size_t I = 0; I < A.Data.size(); ++I)
    S += A.Data[I] * B.Data[I];
  return S;
}

} // namespace

TEST(InterpConv, OddSizesStridePadDilationGroups) {
  checkConv({3, 4, 11, 8, 6, 3, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2});
}

TEST(InterpConv, AsymmetricPaddingAndStrides) {
  checkConv({2, 3, 7, 9, 5, 3, 3, 1, 2, 1, 0, 2, 1, 1, 1, 1});
}

TEST(InterpConv, Depthwise) {
  checkConv({3, 5, 6, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5});
}

TEST(InterpConv, DepthwiseMultiplier) {
  checkConv({2, 3, 6, 5, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3});
}

TEST(InterpConv, Pointwise1x1) {
  checkConv({3, 5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1});
}

TEST(InterpConv, WithoutBias) {
  ConvCase P{2, 3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1};
  Tensor X = randomTensor({2, 3, 5, 5}, 1), Wt = randomTensor({4, 3, 3, 3}, 2);
  Expected<Tensor> Y = runOp(OpKind::Conv, {X, Wt}, convAttrs(P));
  ASSERT_OK(Y);
  expectNear(*Y, directConv(P, X, Wt, Tensor(DType::F32, {4})).Data, 1e-12);
}

// A transposed conv is the adjoint of the conv with the same geometry:
// <conv(x, w), y> = <x, conv_transpose(y, w')>, where w' is w viewed with
// its two channel axes per group exchanged (both are [O, C/g, kh, kw] here
// read as ConvTranspose's [C_in, C_out/g, kh, kw] with C_in = O).
TEST(InterpConvTranspose, IsTheAdjointOfConv) {
  for (ConvCase P :
       {ConvCase{3, 4, 9, 8, 6, 3, 2, 2, 2, 1, 1, 1, 1, 2, 1, 2},
        ConvCase{2, 3, 7, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1}}) {
    Tensor X = randomTensor({P.N, P.C, P.H, P.W}, 4);
    Tensor Wt = randomTensor({P.O, P.C / P.G, P.KH, P.KW}, 5);
    Expected<Tensor> Cx = runOp(OpKind::Conv, {X, Wt}, convAttrs(P));
    ASSERT_OK(Cx);
    Tensor Y = randomTensor(Cx->Dims, 6);
    // Pick output_padding so the transposed output is exactly H x W.
    int64_t OH = Cx->Dims[2], OW = Cx->Dims[3];
    int64_t OPH = P.H - ((OH - 1) * P.SH - P.PT - P.PB + P.DH * (P.KH - 1) + 1);
    int64_t OPW = P.W - ((OW - 1) * P.SW - P.PL - P.PR + P.DW * (P.KW - 1) + 1);
    Attributes A = convAttrs(P);
    A.set("output_padding", Ints{OPH, OPW});
    Expected<Tensor> Ty = runOp(OpKind::ConvTranspose, {Y, Wt}, A);
    ASSERT_OK(Ty);
    ASSERT_EQ(Ty->Dims, X.Dims);
    EXPECT_NEAR(dot(*Cx, Y), dot(X, *Ty), 1e-9 * std::fabs(dot(*Cx, Y)) + 1e-9);
  }
}

TEST(InterpConvTranspose, HandExample) {
  // 1 channel, 2x2 input, 2x2 kernel of ones, stride 2: each input pixel
  // becomes a 2x2 block; bias 0.5 is added everywhere.
  Tensor X = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor Wt = tensor({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor B = tensor({1}, {0.5});
  Expected<Tensor> Y = runOp(OpKind::ConvTranspose, {X, Wt, B},
                             attrs({{"strides", Ints{2, 2}}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{1, 1, 4, 4}));
  expectNear(*Y, {1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5,
                  3.5, 3.5, 4.5, 4.5});
  // Stride 1 overlaps: y = full correlation with ones.
  Y = runOp(OpKind::ConvTranspose, {X, Wt});
  ASSERT_OK(Y);
  expectNear(*Y, {1, 3, 2, 4, 10, 6, 3, 7, 4});
}

TEST(InterpDense, MatchesLoops) {
  Tensor X = randomTensor({3, 5}, 1), W = randomTensor({4, 5}, 2),
         B = randomTensor({4}, 3);
  Expected<Tensor> Y = runOp(OpKind::Dense, {X, W, B});
  ASSERT_OK(Y);
  std::vector<double> Want;
  for (int N = 0; N < 3; ++N)
    for (int M = 0; M < 4; ++M) {
      double S = B.Data[size_t(M)];
      for (int K = 0; K < 5; ++K)
        S += X.Data[size_t(N * 5 + K)] * W.Data[size_t(M * 5 + K)];
      Want.push_back(S);
    }
  expectNear(*Y, Want, 1e-12);
}

TEST(InterpMatMul, HandValuesAndBatchedLeft) {
  Expected<Tensor> Y =
      runOp(OpKind::MatMul, {tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                             tensor({3, 2}, {7, 8, 9, 10, 11, 12})});
  ASSERT_OK(Y);
  expectNear(*Y, {58, 64, 139, 154});
  Y = runOp(OpKind::MatMul,
            {tensor({2, 1, 2}, {1, 2, 3, 4}), tensor({2, 2}, {1, 0, 0, 2})});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 1, 2}));
  expectNear(*Y, {1, 4, 3, 8});
  // Batched: batch 0 times diag(1, 2), batch 1 times [[0, 1], [1, 0]].
  Y = runOp(OpKind::MatMul, {tensor({2, 1, 2}, {1, 2, 3, 4}),
                             tensor({2, 2, 2}, {1, 0, 0, 2, 0, 1, 1, 0})});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 1, 2}));
  expectNear(*Y, {1, 4, 4, 3});
}

TEST(InterpRbf, GaussianOfSquaredDistance) {
  // x = (1, 2), centers (1, 2) and (0, 0), betas 0.5 and 0.1:
  // exp(0) = 1 and exp(-0.1 * 5).
  Expected<Tensor> Y =
      runOp(OpKind::Rbf, {tensor({1, 2}, {1, 2}), tensor({2, 2}, {1, 2, 0, 0}),
                          tensor({2}, {0.5, 0.1})});
  ASSERT_OK(Y);
  expectNear(*Y, {1, std::exp(-0.5)});
}
