// Shape inference of every op, with odd sizes: non-square, stride 2,
// padding 1, dilation 2, groups 2, batch 3. Expected sizes are worked out
// here from the textbook formula, not by the code under test.
#include "../TestUtil.h"

using namespace nnc;
using namespace nnc::test;

namespace {

TensorType f32(Shape S) { return {DType::F32, std::move(S)}; }
TensorType i64(Shape S) { return {DType::I64, std::move(S)}; }

Shape shapeOf(OpKind K, const std::vector<TensorType> &In, Attributes A = {}) {
  Expected<TensorType> T = inferOp(K, In, std::move(A));
  EXPECT_TRUE(T.ok()) << T.status().message();
  return T.ok() ? T->Dims : Shape{};
}

std::string errorOf(OpKind K, const std::vector<TensorType> &In,
                    Attributes A = {}) {
  Expected<TensorType> T = inferOp(K, In, std::move(A));
  EXPECT_FALSE(T.ok());
  return T.ok() ? "" : T.status().message();
}

/// floor((in + pads - dilation * (k - 1) - 1) / stride) + 1
int64_t convOut(int64_t In, int64_t K, int64_t S, int64_t P, int64_t D) {
  return (In + 2 * P - D * (K - 1) - 1) / S + 1;
}

} // namespace

TEST(ShapeInference, ElementwiseKeepsShape) {
  for (OpKind K : {OpKind::Identity, OpKind::Step, OpKind::Sigmoid,
                   OpKind::Tanh, OpKind::Relu, OpKind::LeakyRelu, OpKind::Elu,
                   OpKind::Swish, OpKind::Clip, OpKind::Exp, OpKind::Log,
                   OpKind::Sqrt, OpKind::Neg, OpKind::Abs, OpKind::Dropout})
    EXPECT_EQ(shapeOf(K, {f32({3, 5, 7})}), (Shape{3, 5, 7})) << opName(K);
}

TEST(ShapeInference, BinaryBroadcasts) {
  EXPECT_EQ(shapeOf(OpKind::Add, {f32({3, 1, 5}), f32({4, 1})}),
            (Shape{3, 4, 5}));
  EXPECT_EQ(shapeOf(OpKind::Mul, {f32({3, 4}), f32({})}), (Shape{3, 4}));
  EXPECT_NE(errorOf(OpKind::Sub, {f32({3, 4}), f32({5})}).find("broadcast"),
            std::string::npos);
  EXPECT_EQ(shapeOf(OpKind::PRelu, {f32({3, 4, 5, 6}), f32({4})}),
            (Shape{3, 4, 5, 6}));
  EXPECT_FALSE(errorOf(OpKind::PRelu, {f32({3, 4, 5}), f32({3})}).empty());
}

TEST(ShapeInference, ActivationsOverChannels) {
  EXPECT_EQ(shapeOf(OpKind::Maxout, {f32({3, 6, 5, 7})},
                    attrs({{"pieces", int64_t(3)}})),
            (Shape{3, 2, 5, 7}));
  EXPECT_FALSE(
      errorOf(OpKind::Maxout, {f32({3, 5})}, attrs({{"pieces", int64_t(2)}}))
          .empty());
  EXPECT_EQ(shapeOf(OpKind::Softmax, {f32({3, 10})}), (Shape{3, 10}));
  EXPECT_FALSE(
      errorOf(OpKind::LogSoftmax, {f32({3, 10})}, attrs({{"axis", int64_t(2)}}))
          .empty());
}

TEST(ShapeInference, MatMulAndDense) {
  EXPECT_EQ(shapeOf(OpKind::MatMul, {f32({3, 5}), f32({5, 7})}), (Shape{3, 7}));
  EXPECT_EQ(shapeOf(OpKind::MatMul, {f32({2, 3, 5}), f32({5, 7})}),
            (Shape{2, 3, 7}));
  EXPECT_EQ(shapeOf(OpKind::MatMul, {f32({4, 2, 3, 5}), f32({4, 2, 5, 7})}),
            (Shape{4, 2, 3, 7}));
  EXPECT_NE(errorOf(OpKind::MatMul, {f32({2, 3, 5}), f32({3, 5, 7})})
                .find("batch dimensions"),
            std::string::npos);
  EXPECT_EQ(shapeOf(OpKind::Dense, {f32({3, 5}), f32({7, 5}), f32({7})}),
            (Shape{3, 7}));
  EXPECT_NE(errorOf(OpKind::Dense, {f32({3, 5}), f32({7, 4})}).find("'w'"),
            std::string::npos);
  EXPECT_FALSE(
      errorOf(OpKind::Dense, {f32({3, 5}), f32({7, 5}), f32({6})}).empty());
}

TEST(ShapeInference, ConvOddSizes) {
  // Batch 3, 4 channels, 11x8, stride 2, padding 1, dilation 2, groups 2.
  Attributes A = attrs({{"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}},
                        {"dilations", Ints{2, 2}},
                        {"group", int64_t(2)}});
  Shape S = shapeOf(OpKind::Conv,
                    {f32({3, 4, 11, 8}), f32({6, 2, 3, 2}), f32({6})}, A);
  EXPECT_EQ(S, (Shape{3, 6, convOut(11, 3, 2, 1, 2), convOut(8, 2, 2, 1, 2)}));
  // Depthwise and 1x1.
  EXPECT_EQ(shapeOf(OpKind::Conv, {f32({3, 5, 9, 7}), f32({5, 1, 3, 3})},
                    attrs({{"group", int64_t(5)}})),
            (Shape{3, 5, 7, 5}));
  EXPECT_EQ(shapeOf(OpKind::Conv, {f32({3, 5, 9, 7}), f32({8, 5, 1, 1})}),
            (Shape{3, 8, 9, 7}));
  // Asymmetric pads: top 1, left 0, bottom 2, right 1.
  EXPECT_EQ(shapeOf(OpKind::Conv, {f32({1, 1, 5, 5}), f32({1, 1, 3, 3})},
                    attrs({{"pads", Ints{1, 0, 2, 1}}})),
            (Shape{1, 1, 6, 4}));
}

TEST(ShapeInference, ConvErrorsNameTheOperand) {
  std::string E = errorOf(OpKind::Conv, {f32({3, 4, 8, 8}), f32({6, 3, 3, 3})});
  EXPECT_NE(E.find("input channels"), std::string::npos) << E;
  E = errorOf(OpKind::Conv, {f32({3, 4, 8, 8}), f32({6, 2, 3, 3})},
              attrs({{"group", int64_t(3)}}));
  EXPECT_NE(E.find("group"), std::string::npos) << E;
  E = errorOf(OpKind::Conv, {f32({3, 4, 2, 2}), f32({6, 4, 5, 5})});
  EXPECT_NE(E.find("empty"), std::string::npos) << E;
  E = errorOf(OpKind::Conv, {f32({3, 4, 8}), f32({6, 4, 3, 3})});
  EXPECT_NE(E.find("4-D"), std::string::npos) << E;
}

TEST(ShapeInference, ConvTransposeOddSizes) {
  // out = (in - 1) * stride - pads + dilation * (k - 1) + output_padding + 1
  Attributes A = attrs({{"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}},
                        {"dilations", Ints{2, 1}},
                        {"group", int64_t(2)},
                        {"output_padding", Ints{1, 0}}});
  Shape S =
      shapeOf(OpKind::ConvTranspose, {f32({3, 4, 5, 6}), f32({4, 3, 3, 2})}, A);
  EXPECT_EQ(S, (Shape{3, 6, (5 - 1) * 2 - 2 + 2 * 2 + 1 + 1,
                      (6 - 1) * 2 - 2 + 1 * 1 + 0 + 1}));
}

TEST(ShapeInference, Pooling) {
  Attributes A = attrs({{"kernel_shape", Ints{3, 2}},
                        {"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}}});
  EXPECT_EQ(shapeOf(OpKind::MaxPool, {f32({3, 2, 9, 6})}, A),
            (Shape{3, 2, convOut(9, 3, 2, 1, 1), convOut(6, 2, 2, 1, 1)}));
  // Strides default to the kernel, as in PyTorch.
  EXPECT_EQ(shapeOf(OpKind::AvgPool, {f32({3, 2, 9, 6})},
                    attrs({{"kernel_shape", Ints{2, 2}}})),
            (Shape{3, 2, 4, 3}));
  // ceil_mode rounds up: (9 - 2) / 2 + 1 = 4.5 -> 5.
  EXPECT_EQ(
      shapeOf(OpKind::MaxPool, {f32({1, 1, 9, 9})},
              attrs({{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t(1)}})),
      (Shape{1, 1, 5, 5}));
  EXPECT_EQ(shapeOf(OpKind::GlobalAvgPool, {f32({3, 5, 7, 2})}),
            (Shape{3, 5, 1, 1}));
  EXPECT_EQ(shapeOf(OpKind::StochasticPool, {f32({3, 2, 6, 6})},
                    attrs({{"kernel_shape", Ints{3, 3}}})),
            (Shape{3, 2, 2, 2}));
  EXPECT_NE(errorOf(OpKind::MaxPool, {f32({3, 2, 6, 6})}).find("kernel_shape"),
            std::string::npos);
}

TEST(ShapeInference, Normalization) {
  TensorType C = f32({4});
  EXPECT_EQ(shapeOf(OpKind::BatchNorm, {f32({3, 4, 5, 2}), C, C, C, C}),
            (Shape{3, 4, 5, 2}));
  EXPECT_NE(errorOf(OpKind::BatchNorm, {f32({3, 4, 5, 2}), C, C, f32({5}), C})
                .find("'mean'"),
            std::string::npos);
  EXPECT_EQ(
      shapeOf(OpKind::LRN, {f32({3, 7, 2, 5})}, attrs({{"size", int64_t(3)}})),
      (Shape{3, 7, 2, 5}));
}

TEST(ShapeInference, Layout) {
  EXPECT_EQ(shapeOf(OpKind::Flatten, {f32({3, 4, 5, 2})}), (Shape{3, 40}));
  EXPECT_EQ(shapeOf(OpKind::Reshape, {f32({3, 4, 5})},
                    attrs({{"shape", Ints{0, -1, 2}}})),
            (Shape{3, 10, 2}));
  EXPECT_FALSE(errorOf(OpKind::Reshape, {f32({3, 4, 5})},
                       attrs({{"shape", Ints{7, -1}}}))
                   .empty());
  EXPECT_EQ(shapeOf(OpKind::Transpose, {f32({3, 4, 5})},
                    attrs({{"perm", Ints{2, 0, 1}}})),
            (Shape{5, 3, 4}));
  EXPECT_EQ(shapeOf(OpKind::Transpose, {f32({3, 4, 5})}), (Shape{5, 4, 3}));
  EXPECT_EQ(shapeOf(OpKind::Concat, {f32({3, 4, 5}), f32({3, 2, 5})}),
            (Shape{3, 6, 5}));
  EXPECT_FALSE(
      errorOf(OpKind::Concat, {f32({3, 4, 5}), f32({3, 2, 6})}).empty());
  EXPECT_EQ(shapeOf(OpKind::ChannelShuffle, {f32({3, 6, 2, 2})},
                    attrs({{"groups", int64_t(3)}})),
            (Shape{3, 6, 2, 2}));
  EXPECT_EQ(
      shapeOf(OpKind::ReduceSum, {f32({3, 4, 5})}, attrs({{"axes", Ints{1}}})),
      (Shape{3, 1, 5}));
  EXPECT_EQ(shapeOf(OpKind::ReduceMean, {f32({3, 4, 5})},
                    attrs({{"axes", Ints{0, -1}}, {"keepdims", int64_t(0)}})),
            (Shape{4}));
  Expected<TensorType> Arg = inferOp(OpKind::ArgMax, {f32({3, 10})});
  ASSERT_OK(Arg);
  EXPECT_EQ(*Arg, i64({3}));
}

TEST(ShapeInference, LossesAreScalars) {
  EXPECT_EQ(shapeOf(OpKind::MseLoss, {f32({3, 4}), f32({3, 4})}), Shape{});
  EXPECT_EQ(shapeOf(OpKind::BceWithLogitsLoss, {f32({3, 1}), f32({3, 1})}),
            Shape{});
  EXPECT_EQ(shapeOf(OpKind::SoftmaxCrossEntropy, {f32({3, 10}), i64({3})}),
            Shape{});
  EXPECT_EQ(shapeOf(OpKind::NllLoss, {f32({3, 10}), i64({3})}), Shape{});
  EXPECT_EQ(shapeOf(OpKind::NllLoss, {f32({3, 10, 4, 5}), i64({3, 4, 5})},
                    attrs({{"reduction", std::string("none")}})),
            (Shape{3, 4, 5}));
  EXPECT_EQ(shapeOf(OpKind::NllLoss, {f32({3, 10, 4}), i64({3, 4}), f32({10})},
                    attrs({{"reduction", std::string("sum")}})),
            Shape{});
  EXPECT_NE(errorOf(OpKind::SoftmaxCrossEntropy, {f32({3, 10}), f32({3})})
                .find("must be i64[3]"),
            std::string::npos);
  EXPECT_FALSE(
      errorOf(OpKind::SoftmaxCrossEntropy, {f32({3, 10}), i64({4})}).empty());
  EXPECT_FALSE(errorOf(OpKind::MseLoss, {f32({3, 4}), f32({4, 3})}).empty());
}

TEST(ShapeInference, RbfLayer) {
  EXPECT_EQ(shapeOf(OpKind::Rbf, {f32({3, 5}), f32({7, 5}), f32({7})}),
            (Shape{3, 7}));
  EXPECT_FALSE(
      errorOf(OpKind::Rbf, {f32({3, 5}), f32({7, 4}), f32({7})}).empty());
}

TEST(ShapeInference, AttributeErrors) {
  EXPECT_NE(errorOf(OpKind::Relu, {f32({3})}, attrs({{"alpha", 0.1}}))
                .find("unknown attribute 'alpha'"),
            std::string::npos);
  EXPECT_NE(errorOf(OpKind::Conv, {f32({1, 1, 4, 4}), f32({1, 1, 3, 3})},
                    attrs({{"group", std::string("two")}}))
                .find("must be int"),
            std::string::npos);
  EXPECT_NE(errorOf(OpKind::Reshape, {f32({3})}).find("missing required"),
            std::string::npos);
  EXPECT_NE(errorOf(OpKind::Dropout, {f32({3})}, attrs({{"ratio", 1.5}}))
                .find("ratio"),
            std::string::npos);
  // Ints widen to float where the op takes a float.
  EXPECT_EQ(
      shapeOf(OpKind::LeakyRelu, {f32({3})}, attrs({{"alpha", int64_t(0)}})),
      Shape{3});
}

TEST(ShapeInference, HugeShapesAreErrorsNotOverflows) {
  const int64_t Big = int64_t(1) << 62;
  EXPECT_NE(
      errorOf(OpKind::Reshape, {f32({4})}, attrs({{"shape", Ints{Big, Big}}}))
          .find("more than"),
      std::string::npos);
  EXPECT_NE(
      errorOf(OpKind::Reshape, {f32({4})}, attrs({{"shape", Ints{Big, -1}}}))
          .find("more than"),
      std::string::npos);
  EXPECT_EQ(
      shapeOf(OpKind::Flatten, {f32({2, 3, 4})}, attrs({{"axis", int64_t(2)}})),
      (Shape{6, 4}));
  EXPECT_NE(
      errorOf(OpKind::Expand, {f32({1})}, attrs({{"shape", Ints{Big, Big}}})),
      "");
  EXPECT_NE(errorOf(OpKind::Pad, {f32({2})}, attrs({{"pads", Ints{Big, 0}}}))
                .find("exceed"),
            std::string::npos);
}
