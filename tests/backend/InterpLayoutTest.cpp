#include "../TestUtil.h"

using namespace nnc;
using namespace nnc::test;

TEST(InterpLayout, FlattenAndReshapeKeepOrder) {
  Tensor X = randomTensor({3, 2, 2}, 1);
  Expected<Tensor> Y = runOp(OpKind::Flatten, {X});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{3, 4}));
  EXPECT_EQ(Y->Data, X.Data);
  Y = runOp(OpKind::Reshape, {X}, attrs({{"shape", Ints{2, -1}}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 6}));
  EXPECT_EQ(Y->Data, X.Data);
}

TEST(InterpLayout, Transpose) {
  // x[i][j][k] = 100i + 10j + k, shape [2, 3, 2]; perm (2, 0, 1):
  // y[k][i][j] = x[i][j][k].
  std::vector<double> D;
  for (int I = 0; I < 2; ++I)
    for (int J = 0; J < 3; ++J)
      for (int K = 0; K < 2; ++K)
        D.push_back(100 * I + 10 * J + K);
  Expected<Tensor> Y = runOp(OpKind::Transpose, {tensor({2, 3, 2}, D)},
                             attrs({{"perm", Ints{2, 0, 1}}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 2, 3}));
  EXPECT_EQ(Y->Data, (std::vector<double>{0, 10, 20, 100, 110, 120, 1, 11, 21,
                                          101, 111, 121}));
}

TEST(InterpLayout, ConcatAlongChannelsAndLastAxis) {
  Tensor A = tensor({2, 1, 2}, {1, 2, 3, 4}),
         B = tensor({2, 2, 2}, {5, 6, 7, 8, 9, 10, 11, 12});
  Expected<Tensor> Y = runOp(OpKind::Concat, {A, B});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 3, 2}));
  EXPECT_EQ(Y->Data,
            (std::vector<double>{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}));
  Y = runOp(OpKind::Concat,
            {tensor({2, 1}, {1, 2}), tensor({2, 2}, {3, 4, 5, 6})},
            attrs({{"axis", int64_t(-1)}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{1, 3, 4, 2, 5, 6}));
}

TEST(InterpLayout, ChannelShuffle) {
  // 6 channels in 2 groups: (0 1 2)(3 4 5) -> 0 3 1 4 2 5.
  Expected<Tensor> Y =
      runOp(OpKind::ChannelShuffle, {tensor({1, 6, 1, 1}, {0, 1, 2, 3, 4, 5})},
            attrs({{"groups", int64_t(2)}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(InterpLayout, Reductions) {
  Tensor X = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Expected<Tensor> Y =
      runOp(OpKind::ReduceSum, {X}, attrs({{"axes", Ints{1}}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Dims, (Shape{2, 1}));
  EXPECT_EQ(Y->Data, (std::vector<double>{6, 15}));
  Y = runOp(OpKind::ReduceMean, {X},
            attrs({{"axes", Ints{0}}, {"keepdims", int64_t(0)}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{2.5, 3.5, 4.5}));
  Y = runOp(OpKind::ReduceMean, {X});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{3.5}));
}

TEST(InterpLayout, ArgMaxTakesTheFirstMaximum) {
  Expected<Tensor> Y =
      runOp(OpKind::ArgMax, {tensor({3, 3}, {1, 5, 5, 9, 0, 1, -2, -1, -3})});
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Elt, DType::I64);
  EXPECT_EQ(Y->Data, (std::vector<double>{1, 0, 1}));
  Y = runOp(OpKind::ArgMax, {tensor({2, 2}, {1, 4, 3, 2})},
            attrs({{"axis", int64_t(0)}}));
  ASSERT_OK(Y);
  EXPECT_EQ(Y->Data, (std::vector<double>{1, 0}));
}
