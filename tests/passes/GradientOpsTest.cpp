// Every differentiable op: the gradient autodiff derives against central
// differences in double precision, on random non-zero inputs with odd
// shapes. Relative error must stay under 1e-6.
#include "GradCheck.h"
#include "ir/Pointwise.h"

using namespace nnc;
using namespace nnc::test;

namespace {

Tensor rnd(Shape S, uint64_t Seed, double Lo = -1, double Hi = 1) {
  return randomTensor(std::move(S), Seed, Lo, Hi);
}

Expected<GradCheckResult> unary(OpKind K, Attributes A = {}, double Lo = -2,
                                double Hi = 2) {
  return gradCheckOp(K, {rnd({3, 4, 5}, 1, Lo, Hi)}, {true}, std::move(A));
}

} // namespace

TEST(Gradients, PointwiseUnary) {
  // Every activation of the table, with its default attributes, on its
  // domain.
  for (int64_t I = 0; I < pointwise::NumUnary; ++I) {
    Unary U = Unary(I);
    SCOPED_TRACE(unaryInfo(U).Name);
    bool Positive = U == Unary::Log || U == Unary::Sqrt;
    EXPECT_GRADIENTS_MATCH(unary(opKindOf(U), {}, Positive ? 0.2 : -2.5, 3));
  }
  EXPECT_GRADIENTS_MATCH(unary(OpKind::Dropout));
  EXPECT_GRADIENTS_MATCH(unary(OpKind::Sigmoid, attrs({{"slope", 1.7}})));
  EXPECT_GRADIENTS_MATCH(unary(OpKind::LeakyRelu, attrs({{"alpha", 0.2}})));
  EXPECT_GRADIENTS_MATCH(unary(OpKind::Elu, attrs({{"alpha", 0.7}})));
  EXPECT_GRADIENTS_MATCH(unary(OpKind::Swish, attrs({{"beta", 1.3}})));
  // Both sides of the threshold (the inputs avoid it).
  EXPECT_GRADIENTS_MATCH(
      unary(OpKind::Softplus, attrs({{"beta", 2.0}, {"threshold", 1.5}})));
  // Clip between the bounds and outside them (the inputs avoid the bounds).
  EXPECT_GRADIENTS_MATCH(
      unary(OpKind::Clip, attrs({{"min", -0.73}, {"max", 0.61}})));
}

TEST(Gradients, BroadcastingBinary) {
  for (OpKind K : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div}) {
    SCOPED_TRACE(opName(K));
    EXPECT_GRADIENTS_MATCH(gradCheckOp(
        K, {rnd({3, 1, 5}, 2), rnd({4, 1}, 3, 0.5, 2)}, {true, true}));
    EXPECT_GRADIENTS_MATCH(
        gradCheckOp(K, {rnd({2, 3}, 4), rnd({2, 3}, 5, 0.5, 2)}, {true, true}));
  }
}

TEST(Gradients, PowOfBaseAndExponent) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Pow, {rnd({3, 1, 5}, 10, 0.5, 2), rnd({4, 1}, 11, -1.5, 2.5)},
      {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Pow, {rnd({2, 3}, 12, 0.5, 2), rnd({}, 13, -1.5, 2.5)},
      {true, true}));
}

TEST(Gradients, ChannelActivations) {
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::PRelu, {rnd({3, 4, 2, 3}, 6), rnd({4}, 7, 0.1, 0.5)},
                  {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Maxout, {rnd({2, 6, 3}, 8)},
                                     {true}, attrs({{"pieces", int64_t(3)}})));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Softmax,
                                     {rnd({3, 4, 2}, 9, -3, 3)}, {true},
                                     attrs({{"axis", int64_t(1)}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::LogSoftmax, {rnd({3, 5}, 10, -3, 3)}, {true}));
}

TEST(Gradients, MatMulAndDense) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::MatMul, {rnd({2, 3, 4}, 11), rnd({4, 5}, 12)}, {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::MatMul, {rnd({2, 2, 3, 4}, 16), rnd({2, 2, 4, 5}, 17)},
      {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Dense, {rnd({3, 5}, 13), rnd({4, 5}, 14), rnd({4}, 15)},
      {true, true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Dense, {rnd({3, 5}, 13), rnd({4, 5}, 14)}, {true, true}));
}

TEST(Gradients, ConvOddGeometry) {
  // Batch 3, non-square, stride 2, padding 1, dilation 2, groups 2.
  Attributes A = attrs({{"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}},
                        {"dilations", Ints{2, 2}},
                        {"group", int64_t(2)}});
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::Conv,
                  {rnd({3, 4, 7, 6}, 16), rnd({6, 2, 3, 2}, 17), rnd({6}, 18)},
                  {true, true, true}, A));
}

TEST(Gradients, ConvDepthwisePointwiseAsymmetric) {
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::Conv, {rnd({2, 3, 5, 4}, 19), rnd({3, 1, 3, 3}, 20)},
                  {true, true},
                  attrs({{"group", int64_t(3)}, {"pads", Ints{1, 1, 1, 1}}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::Conv, {rnd({2, 3, 4, 3}, 21), rnd({5, 3, 1, 1}, 22)},
                  {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Conv, {rnd({2, 2, 6, 5}, 23), rnd({3, 2, 3, 3}, 24)},
      {true, true},
      attrs({{"pads", Ints{1, 0, 2, 1}}, {"strides", Ints{2, 1}}})));
}

TEST(Gradients, ConvTransposeOddGeometry) {
  Attributes A = attrs({{"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}},
                        {"dilations", Ints{2, 1}},
                        {"group", int64_t(2)},
                        {"output_padding", Ints{1, 0}}});
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::ConvTranspose,
                  {rnd({3, 4, 3, 4}, 25), rnd({4, 3, 3, 2}, 26), rnd({6}, 27)},
                  {true, true, true}, A));
}

TEST(Gradients, Rbf) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::Rbf, {rnd({3, 4}, 28), rnd({5, 4}, 29), rnd({5}, 30, 0.1, 1)},
      {true, true, true}));
}

TEST(Gradients, Pooling) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::MaxPool, {rnd({3, 2, 7, 6}, 31)},
                                     {true},
                                     attrs({{"kernel_shape", Ints{3, 2}},
                                            {"strides", Ints{2, 1}},
                                            {"pads", Ints{1, 1, 1, 1}},
                                            {"dilations", Ints{2, 1}}})));
  for (int64_t Include : {0, 1})
    EXPECT_GRADIENTS_MATCH(
        gradCheckOp(OpKind::AvgPool, {rnd({2, 3, 5, 5}, 32)}, {true},
                    attrs({{"kernel_shape", Ints{2, 3}},
                           {"pads", Ints{1, 1, 1, 1}},
                           {"ceil_mode", int64_t(1)},
                           {"count_include_pad", Include}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::GlobalAvgPool, {rnd({3, 2, 4, 3}, 33)}, {true}));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::GlobalMaxPool, {rnd({3, 2, 4, 3}, 34)}, {true}));
  // Stochastic pooling at inference is the expectation sum(a^2) / sum(a).
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::StochasticPool,
                                     {rnd({2, 2, 4, 6}, 35, 0.1, 2)}, {true},
                                     attrs({{"kernel_shape", Ints{2, 3}}})));
}

TEST(Gradients, StochasticPoolTrainingRoutesToTheSample) {
  // When training, y is one sampled element: dy flows to it alone, so the
  // input gradient has exactly one non-zero (= dy) per window.
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {1, 3, 4, 4});
  Value *Y = B.op(OpKind::StochasticPool, {X},
                  attrs({{"kernel_shape", Ints{2, 2}}}), "y");
  Value *L = B.op(OpKind::ReduceSum, {Y}, attrs({{"keepdims", int64_t(0)}}));
  ASSERT_OK(B.status());
  auto D = passes::differentiate(G, L, {X});
  ASSERT_OK(D);
  G.EntryPoints.push_back({"g", {X}, {Y, D->Grads.at(X)}, {}});
  ASSERT_OK(verify(G));
  auto I = interp::Interpreter::create(G);
  ASSERT_OK(I);
  interp::Options Train;
  Train.Training = true;
  Tensor In = rnd({1, 3, 4, 4}, 36, 0.1, 1);
  auto Out = I->run("g", {{"x", In}}, Train);
  ASSERT_OK(Out);
  const Tensor &Dx = Out->at(D->Grads.at(X)->Name), &Yv = Out->at("y");
  double Total = 0;
  int NonZero = 0;
  for (size_t K = 0; K < Dx.Data.size(); ++K) {
    Total += Dx.Data[K];
    if (Dx.Data[K] != 0) {
      ++NonZero;
      EXPECT_EQ(Dx.Data[K], 1.0);
      bool IsAnOutput = false;
      for (double V : Yv.Data)
        IsAnOutput |= V == In.Data[K];
      EXPECT_TRUE(IsAnOutput);
    }
  }
  EXPECT_EQ(NonZero, 12);
  EXPECT_EQ(Total, 12.0);
}

TEST(Gradients, Normalization) {
  Tensor Mean = rnd({3}, 40), Var = rnd({3}, 41, 0.5, 2);
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::BatchNorm,
      {rnd({4, 3, 2, 3}, 37), rnd({3}, 38), rnd({3}, 39), Mean, Var},
      {true, true, true, false, false}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::BatchNormTrain,
      {rnd({4, 3, 2, 3}, 42), rnd({3}, 43), rnd({3}, 44), Mean, Var},
      {true, true, true, false, false}, {}, false, 3));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::BatchNormTrain,
                  {rnd({5, 2}, 45), rnd({2}, 46), rnd({2}, 47), rnd({2}, 48),
                   rnd({2}, 49, 0.5, 2)},
                  {true, true, true, false, false}, {}, false, 3));
  for (int64_t Size : {3, 4})
    EXPECT_GRADIENTS_MATCH(gradCheckOp(
        OpKind::LRN, {rnd({2, 5, 2, 3}, 50)}, {true},
        attrs({{"size", Size}, {"alpha", 0.3}, {"beta", 0.6}, {"bias", 1.5}})));
}

TEST(Gradients, Layout) {
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::Flatten, {rnd({3, 2, 2}, 51)}, {true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Reshape, {rnd({3, 4}, 52)}, {true},
                                     attrs({{"shape", Ints{2, -1}}})));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Transpose, {rnd({2, 3, 4}, 53)},
                                     {true}, attrs({{"perm", Ints{1, 2, 0}}})));
  // Slices of weights (as PyTorch exports an RNN's gates), along axis 0
  // too: the gradient pads dy back.
  for (int64_t Axis : {0, 2})
    EXPECT_GRADIENTS_MATCH(gradCheckOp(
        OpKind::Slice, {rnd({5, 3, 4}, 54)}, {true},
        attrs({{"axis", Axis}, {"start", int64_t(1)}, {"end", int64_t(3)}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::Concat,
                  {rnd({2, 1, 3}, 54), rnd({2, 3, 3}, 55), rnd({2, 2, 3}, 56)},
                  {true, true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::ChannelShuffle,
                                     {rnd({2, 6, 2, 1}, 57)}, {true},
                                     attrs({{"groups", int64_t(3)}})));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::ReduceSum, {rnd({3, 4, 2}, 58)},
                                     {true}, attrs({{"axes", Ints{1}}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::ReduceMean, {rnd({3, 4, 2}, 59)}, {true},
                  attrs({{"axes", Ints{0, 2}}, {"keepdims", int64_t(0)}})));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::ReduceMax, {rnd({3, 4, 2}, 158)},
                                     {true}, attrs({{"axes", Ints{1}}})));
  EXPECT_GRADIENTS_MATCH(
      gradCheckOp(OpKind::ReduceMin, {rnd({3, 4, 2}, 159)}, {true},
                  attrs({{"axes", Ints{0, 2}}, {"keepdims", int64_t(0)}})));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Expand, {rnd({3, 1}, 160)}, {true},
                                     attrs({{"shape", Ints{2, 1, 4}}})));
  for (const char *Mode : {"constant", "reflect", "edge"}) {
    SCOPED_TRACE(Mode);
    EXPECT_GRADIENTS_MATCH(gradCheckOp(OpKind::Pad, {rnd({2, 3, 4}, 161)},
                                       {true},
                                       attrs({{"pads", Ints{1, 0, 5, 0, 2, -1}},
                                              {"mode", std::string(Mode)},
                                              {"value", 0.5}})));
  }
}

TEST(Gradients, ReduceMaxAndMinShareTheGradientAmongTies) {
  // PyTorch's amax/amin: dy divided equally among the elements equal to
  // the result.
  for (OpKind K : {OpKind::ReduceMax, OpKind::ReduceMin}) {
    Graph G;
    Builder B(G);
    Value *X = B.input("x", {2, 3});
    Value *Y =
        B.op(K, {X}, attrs({{"axes", Ints{1}}, {"keepdims", int64_t(0)}}), "y");
    Value *R = B.constant("r", {2}, {3.0, -2.0});
    Value *L = B.op(OpKind::ReduceSum, {B.op(OpKind::Mul, {Y, R})},
                    attrs({{"keepdims", int64_t(0)}}));
    ASSERT_OK(B.status());
    auto D = passes::differentiate(G, L, {X});
    ASSERT_OK(D);
    G.EntryPoints.push_back({"g", {X}, {D->Grads.at(X)}, {}});
    ASSERT_OK(verify(G));
    auto I = interp::Interpreter::create(G);
    ASSERT_OK(I);
    double T = K == OpKind::ReduceMax ? 2 : -1; // the tied extreme
    auto Out =
        I->run("g", {{"x", tensor({2, 3}, {0.5, 0.5, 0.5, T, 0.5, T})}}, {});
    ASSERT_OK(Out);
    EXPECT_EQ(Out->at(D->Grads.at(X)->Name).Data,
              (std::vector<double>{1, 1, 1, -1, 0, -1}));
  }
}

TEST(Gradients, Losses) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::MseLoss, {rnd({3, 4}, 60), rnd({3, 4}, 61)}, {true, true}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::BceLoss, {rnd({3, 2}, 62, 0.05, 0.95), rnd({3, 2}, 63, 0, 1)},
      {true, false}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::BceWithLogitsLoss,
      {rnd({3, 2}, 64, -3, 3), rnd({3, 2}, 65, 0, 1)}, {true, false}));
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::SoftmaxCrossEntropy,
      {rnd({4, 5}, 66, -3, 3), tensor({4}, {0, 4, 2, 2}, DType::I64)},
      {true, false}));
}

TEST(Gradients, NllLossAfterLogSoftmax) {
  EXPECT_GRADIENTS_MATCH(gradCheckOp(
      OpKind::NllLoss,
      {rnd({4, 5}, 68, -3, -0.1), tensor({4}, {1, 0, 4, 1}, DType::I64)},
      {true, false}));
}

// [N, C, d] inputs, class weights, an ignored label, each reduction.
TEST(Gradients, NllLossWeightedIgnoredEveryReduction) {
  Tensor Lp = rnd({3, 4, 2}, 69, -3, -0.1);
  Tensor Labels = tensor({3, 2}, {1, 3, 0, 2, 3, 1}, DType::I64);
  Tensor W = tensor({4}, {0.5, 2, 1.5, 0.25});
  for (std::string R : {"mean", "sum", "none"}) {
    SCOPED_TRACE(R);
    EXPECT_GRADIENTS_MATCH(
        gradCheckOp(OpKind::NllLoss, {Lp, Labels, W}, {true, false, false},
                    attrs({{"reduction", R}, {"ignore_index", int64_t(3)}})));
  }
  auto R = gradCheckOp(OpKind::NllLoss, {Lp, Labels, W}, {true, false, true});
  ASSERT_FALSE(R.ok());
  EXPECT_NE(R.status().message().find("no gradient for operand 'weights'"),
            std::string::npos)
      << R.status().message();
}

TEST(Gradients, LossOnDataTargetsOnly) {
  auto R = gradCheckOp(OpKind::BceLoss,
                       {rnd({3, 2}, 62, 0.05, 0.95), rnd({3, 2}, 63, 0, 1)},
                       {true, true});
  ASSERT_FALSE(R.ok());
  EXPECT_NE(R.status().message().find("no gradient for operand 'target'"),
            std::string::npos)
      << R.status().message();
}

// Ops without a gradient say so (passes/grad/NotDifferentiable.cpp).
TEST(Gradients, OpWithoutAGradientIsAnErrorNamingIt) {
  auto R = gradCheckOp(OpKind::PadGrad, {rnd({3, 6}, 67), rnd({3, 4}, 68)},
                       {true, false},
                       attrs({{"pads", std::vector<int64_t>{0, 1, 0, 1}}}));
  ASSERT_FALSE(R.ok());
  EXPECT_NE(R.status().message().find(
                "node 'out' (PadGrad): PadGrad is not differentiable"),
            std::string::npos)
      << R.status().message();
}
