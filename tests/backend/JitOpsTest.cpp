// Every op the backend compiles, forward and backward: the JIT against the
// reference interpreter on fresh random non-zero inputs (JitOpCheck.h's
// checkOp); the optimizer updates are in JitOptimizerOpsTest.cpp.
#include "JitOpCheck.h"
#include "ir/Pointwise.h"
#include "passes/Autodiff.h"

using namespace nnc;
using namespace nnc::test;

namespace {

std::vector<OpCase> pointwiseCases() {
  std::vector<OpCase> Cs;
  // Every activation of the table, with its default attributes, on its
  // domain.
  for (int64_t I = 0; I < pointwise::NumUnary; ++I) {
    Unary U = Unary(I);
    bool Positive = U == Unary::Log || U == Unary::Sqrt;
    Cs.push_back({opKindOf(U),
                  {rnd({3, 4, 5}, uint64_t(I), Positive ? 0.2 : -2.5, 3)},
                  {true}});
  }
  Cs.push_back({OpKind::Dropout, {rnd({3, 4, 5}, 1, -2, 2)}, {true}});
  Cs.push_back({OpKind::Sigmoid,
                {rnd({7, 9}, 4, -3, 3)},
                {true},
                attrs({{"slope", 1.7}})});
  Cs.push_back(
      {OpKind::LeakyRelu, {rnd({7, 9}, 5)}, {true}, attrs({{"alpha", 0.2}})});
  Cs.push_back(
      {OpKind::Elu, {rnd({7, 9}, 6)}, {true}, attrs({{"alpha", 0.7}})});
  Cs.push_back(
      {OpKind::Swish, {rnd({7, 9}, 7)}, {true}, attrs({{"beta", 1.3}})});
  Cs.push_back({OpKind::Softplus,
                {rnd({7, 9}, 9, -3, 3)},
                {true},
                attrs({{"beta", 2.0}, {"threshold", 1.5}})});
  Cs.push_back({OpKind::Clip,
                {rnd({7, 9}, 8)},
                {true},
                attrs({{"min", -0.73}, {"max", 0.61}})});
  for (OpKind K : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div}) {
    Cs.push_back(
        {K, {rnd({3, 1, 5}, 9), rnd({4, 1}, 10, 0.5, 2)}, {true, true}});
    Cs.push_back({K, {rnd({2, 3}, 11), rnd({2, 3}, 12, 0.5, 2)}, {true, true}});
    Cs.push_back(
        {K, {rnd({4, 3, 5, 6}, 13), rnd({3, 1, 1}, 14, 0.5, 2)}, {true, true}});
  }
  // Pow on positive bases (the gradient of the exponent takes log a).
  Cs.push_back({OpKind::Pow,
                {rnd({3, 1, 5}, 19, 0.5, 2), rnd({4, 1}, 20, -1.5, 2.5)},
                {true, true}});
  Cs.push_back({OpKind::Pow,
                {rnd({2, 3}, 21, 0.5, 2), rnd({}, 22, -1.5, 2.5)},
                {true, true}});
  Cs.push_back({OpKind::PRelu,
                {rnd({3, 4, 2, 3}, 15), rnd({4}, 16, 0.1, 0.5)},
                {true, true}});
  Cs.push_back(
      {OpKind::PRelu, {rnd({3, 4}, 17), rnd({1}, 18, 0.1, 0.5)}, {true, true}});
  return Cs;
}

std::vector<OpCase> otherCases() {
  Tensor Mean = rnd({3}, 40), Var = rnd({3}, 41, 0.5, 2);
  return {
      {OpKind::Maxout,
       {rnd({2, 6, 3}, 20)},
       {true},
       attrs({{"pieces", int64_t(3)}})},
      {OpKind::Softmax,
       {rnd({3, 4, 2}, 21, -3, 3)},
       {true},
       attrs({{"axis", int64_t(1)}})},
      {OpKind::LogSoftmax, {rnd({3, 5}, 22, -3, 3)}, {true}},
      {OpKind::MatMul, {rnd({2, 3, 4}, 23), rnd({4, 5}, 24)}, {true, true}},
      // Past one register block in every dimension, with remainders.
      {OpKind::MatMul, {rnd({29, 300}, 25), rnd({300, 37}, 26)}, {true, true}},
      {OpKind::MatMul,
       {rnd({3, 2, 9, 20}, 30), rnd({3, 2, 20, 17}, 31)},
       {true, true},
       {},
       1,
       "batched"},
      {OpKind::Dense,
       {rnd({3, 5}, 27), rnd({4, 5}, 28), rnd({4}, 29)},
       {true, true, true}},
      {OpKind::Dense, {rnd({70, 33}, 30), rnd({19, 33}, 31)}, {true, true}},
      {OpKind::Conv,
       {rnd({3, 4, 7, 6}, 32), rnd({6, 2, 3, 2}, 33), rnd({6}, 34)},
       {true, true, true},
       attrs({{"strides", Ints{2, 2}},
              {"pads", Ints{1, 1, 1, 1}},
              {"dilations", Ints{2, 2}},
              {"group", int64_t(2)}}),
       1,
       "odd geometry"},
      // Few taps (C * KH * KW <= 32): the direct conv, with a row longer
      // than one vector and a partial block of output channels.
      {OpKind::Conv,
       {rnd({2, 2, 6, 19}, 94), rnd({6, 2, 3, 3}, 95), rnd({6}, 96)},
       {true, true, true},
       attrs({{"pads", Ints{1, 0, 2, 1}}}),
       1,
       "direct"},
      // The direct conv's weight gradient blocks rows of up to 3, 5 and 8
      // taps (on AVX2; AVX-512 takes up to 8 at once): 5 and 7 here, with
      // partial blocks of output channels.
      {OpKind::Conv,
       {rnd({2, 1, 9, 21}, 109), rnd({5, 1, 5, 5}, 110), rnd({5}, 111)},
       {true, true, true},
       attrs({{"pads", Ints{2, 2, 2, 2}}}),
       1,
       "direct, 5 taps a row"},
      {OpKind::Conv,
       {rnd({2, 1, 6, 12}, 112), rnd({3, 1, 3, 7}, 113)},
       {true, true},
       {},
       1,
       "direct, 7 taps a row"},
      // The channel-vector conv with rows of 7 taps: more than AVX2's block
      // of 6 accumulators in the weight gradient.
      {OpKind::Conv,
       {rnd({2, 3, 5, 17}, 114), rnd({16, 3, 2, 7}, 115), rnd({16}, 116)},
       {true, true, true},
       attrs({{"pads", Ints{0, 3, 1, 3}}}),
       1,
       "channel-vector, 7 taps a row"},
      // 3x3 stride 1 with 16+ channels: Winograd F(2x2, 3x3), with odd
      // output sizes (partial tiles) and asymmetric padding.
      {OpKind::Conv,
       {rnd({2, 16, 7, 9}, 86), rnd({16, 16, 3, 3}, 87), rnd({16}, 88)},
       {true, true, true},
       attrs({{"pads", Ints{1, 1, 1, 1}}}),
       1,
       "winograd"},
      {OpKind::Conv,
       {rnd({3, 17, 6, 5}, 89), rnd({18, 17, 3, 3}, 90)},
       {true, true},
       attrs({{"pads", Ints{0, 1, 2, 0}}}),
       1,
       "winograd, asymmetric pads"},
      // Rows of more than eight tiles: whole and partial 16-wide stores.
      {OpKind::Conv,
       {rnd({1, 16, 4, 33}, 106), rnd({16, 16, 3, 3}, 107), rnd({16}, 108)},
       {true, true, true},
       attrs({{"pads", Ints{1, 1, 1, 1}}}),
       1,
       "winograd, long rows"},
      {OpKind::Conv,
       {rnd({2, 3, 5, 4}, 35), rnd({3, 1, 3, 3}, 36)},
       {true, true},
       attrs({{"group", int64_t(3)}, {"pads", Ints{1, 1, 1, 1}}}),
       1,
       "depthwise"},
      {OpKind::Conv,
       {rnd({2, 3, 4, 3}, 37), rnd({5, 3, 1, 1}, 38)},
       {true, true},
       {},
       1,
       "pointwise"},
      {OpKind::Conv,
       {rnd({5, 6, 12, 12}, 39), rnd({16, 6, 5, 5}, 42), rnd({16}, 43)},
       {true, true, true},
       {},
       1,
       "lenet-like"},
      // Output channels in sixteens, too many taps for the direct conv:
      // the channel-vector conv, here with strides, dilation, asymmetric
      // pads, two blocks of channels and a partial block of pixels (and in
      // the weight gradient, a partial block of tap rows).
      {OpKind::Conv,
       {rnd({2, 5, 15, 29}, 97), rnd({32, 5, 2, 4}, 98), rnd({32}, 99)},
       {true, true, true},
       attrs({{"strides", Ints{1, 2}},
              {"pads", Ints{1, 2, 0, 1}},
              {"dilations", Ints{2, 1}}}),
       1,
       "channel-vector"},
      // Stride 1, input channels in sixteens: the gather form, with a
      // partial block of output channels, an odd row (a partial block of
      // pixels) and bottom/right pads that cut the input.
      {OpKind::ConvTranspose,
       {rnd({2, 32, 5, 9}, 103), rnd({32, 7, 3, 2}, 104), rnd({7}, 105)},
       {true, true, true},
       attrs({{"pads", Ints{2, 0, 1, 1}}}),
       1,
       "gather"},
      // Stride 1, 3x3, 16+ channels, asymmetric pads.
      {OpKind::ConvTranspose,
       {rnd({2, 16, 5, 6}, 91), rnd({16, 20, 3, 3}, 92), rnd({20}, 93)},
       {true, true, true},
       attrs({{"pads", Ints{1, 0, 2, 1}}}),
       1,
       "winograd"},
      {OpKind::ConvTranspose,
       {rnd({3, 4, 3, 4}, 44), rnd({4, 3, 3, 2}, 45), rnd({6}, 46)},
       {true, true, true},
       attrs({{"strides", Ints{2, 2}},
              {"pads", Ints{1, 1, 1, 1}},
              {"dilations", Ints{2, 1}},
              {"group", int64_t(2)},
              {"output_padding", Ints{1, 0}}})},
      {OpKind::Rbf,
       {rnd({3, 4}, 47), rnd({5, 4}, 48), rnd({5}, 49, 0.1, 1)},
       {true, true, true}},
      {OpKind::MaxPool,
       {rnd({3, 2, 7, 6}, 50)},
       {true},
       attrs({{"kernel_shape", Ints{3, 2}},
              {"strides", Ints{2, 1}},
              {"pads", Ints{1, 1, 1, 1}},
              {"dilations", Ints{2, 1}}})},
      // 2x2 windows tiling the input: PoolGrad's fast path, by one (3
      // windows a row), by four (5) and by eight (11), with ties.
      {OpKind::MaxPool,
       {rnd({3, 2, 8, 6}, 53)},
       {true},
       attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}})},
      {OpKind::MaxPool,
       {tied({2, 3, 6, 10}, 54)},
       {true},
       attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}})},
      {OpKind::MaxPool,
       {tied({2, 3, 4, 22}, 55)},
       {true},
       attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}})},
      {OpKind::MaxPool,
       {rnd({2, 3, 4, 22}, 56)},
       {true},
       attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}})},
      {OpKind::MaxPoolIndices,
       {rnd({3, 2, 7, 6}, 51)},
       {},
       attrs({{"kernel_shape", Ints{3, 2}},
              {"strides", Ints{2, 1}},
              {"pads", Ints{1, 1, 1, 1}},
              {"dilations", Ints{2, 1}},
              {"storage_order", int64_t(1)}})},
      {OpKind::MaxPoolIndices,
       {rnd({2, 3, 5, 5}, 52)},
       {},
       attrs({{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t(1)}})},
      {OpKind::AvgPool,
       {rnd({2, 3, 5, 5}, 51)},
       {true},
       attrs({{"kernel_shape", Ints{2, 3}},
              {"pads", Ints{1, 1, 1, 1}},
              {"ceil_mode", int64_t(1)},
              {"count_include_pad", int64_t(1)}})},
      {OpKind::AvgPool,
       {rnd({2, 3, 5, 5}, 52)},
       {true},
       attrs({{"kernel_shape", Ints{2, 3}},
              {"pads", Ints{1, 1, 1, 1}},
              {"ceil_mode", int64_t(1)},
              {"count_include_pad", int64_t(0)}})},
      {OpKind::GlobalAvgPool, {rnd({3, 2, 4, 3}, 53)}, {true}},
      {OpKind::GlobalMaxPool, {rnd({3, 2, 4, 3}, 54)}, {true}},
      {OpKind::StochasticPool,
       {rnd({2, 2, 4, 6}, 55, 0.1, 2)},
       {true},
       attrs({{"kernel_shape", Ints{2, 3}}})},
      {OpKind::BatchNorm,
       {rnd({4, 3, 2, 3}, 56), rnd({3}, 57), rnd({3}, 58), Mean, Var},
       {true, true, true, false, false}},
      {OpKind::BatchNormTrain,
       {rnd({4, 3, 2, 3}, 59), rnd({3}, 60), rnd({3}, 61), Mean, Var},
       {true, true, true, false, false},
       {},
       3},
      {OpKind::LRN,
       {rnd({2, 5, 2, 3}, 62)},
       {true},
       attrs({{"size", int64_t(3)},
              {"alpha", 0.3},
              {"beta", 0.6},
              {"bias", 1.5}})},
      {OpKind::LRN,
       {rnd({2, 5, 2, 3}, 63)},
       {true},
       attrs({{"size", int64_t(4)},
              {"alpha", 0.3},
              {"beta", 0.6},
              {"bias", 1.5}})},
      {OpKind::Flatten, {rnd({3, 2, 2}, 64)}, {true}},
      {OpKind::Reshape,
       {rnd({3, 4}, 65)},
       {true},
       attrs({{"shape", Ints{2, -1}}})},
      {OpKind::Transpose,
       {rnd({2, 3, 4}, 66)},
       {true},
       attrs({{"perm", Ints{1, 2, 0}}})},
      {OpKind::Concat,
       {rnd({2, 1, 3}, 67), rnd({2, 3, 3}, 68), rnd({2, 2, 3}, 69)},
       {true, true, true}},
      {OpKind::ChannelShuffle,
       {rnd({2, 6, 2, 1}, 70)},
       {true},
       attrs({{"groups", int64_t(3)}})},
      {OpKind::ReduceSum,
       {rnd({3, 4, 2}, 71)},
       {true},
       attrs({{"axes", Ints{1}}})},
      {OpKind::ReduceMean,
       {rnd({3, 4, 2}, 72)},
       {true},
       attrs({{"axes", Ints{0, 2}}, {"keepdims", int64_t(0)}})},
      {OpKind::ReduceMax,
       {rnd({3, 4, 2}, 171)},
       {true},
       attrs({{"axes", Ints{1}}})},
      {OpKind::ReduceMin,
       {rnd({3, 4, 2}, 172)},
       {true},
       attrs({{"axes", Ints{0, -1}}, {"keepdims", int64_t(0)}})},
      // Ties share the gradient: every element of a row equal.
      {OpKind::ReduceMax,
       {tensor({2, 3}, {0.5, 0.5, 0.5, -1, 2, 2})},
       {true},
       attrs({{"axes", Ints{1}}}),
       1,
       "ties"},
      {OpKind::Expand,
       {rnd({3, 1}, 173)},
       {true},
       attrs({{"shape", Ints{2, 1, 6}}})},
      {OpKind::Expand,
       {rnd({1, 4, 1}, 174), rnd({3, 2}, 175)},
       {true, false},
       attrs({{"shape", Ints{0, 4, 5}}}),
       1,
       "batch"},
      {OpKind::Pad,
       {rnd({2, 3, 4}, 176)},
       {true},
       attrs({{"pads", Ints{0, 1, 2, 1, -1, 3}}, {"value", 0.25}})},
      {OpKind::Pad,
       {rnd({2, 3, 4}, 177)},
       {true},
       attrs({{"pads", Ints{1, 2, 5, 0, 4, 1}},
              {"mode", std::string("reflect")}}),
       1,
       "reflect"},
      {OpKind::Pad,
       {rnd({2, 1, 4}, 178)},
       {true},
       attrs(
           {{"pads", Ints{0, 2, 3, 1, 1, -2}}, {"mode", std::string("edge")}}),
       1,
       "edge"},
      {OpKind::ArgMax, {rnd({3, 4, 2}, 73)}, {}, attrs({{"axis", int64_t(1)}})},
      {OpKind::Slice,
       {rnd({3, 4}, 74)},
       {},
       attrs(
           {{"axis", int64_t(1)}, {"start", int64_t(1)}, {"end", int64_t(3)}})},
      {OpKind::MseLoss, {rnd({3, 4}, 75), rnd({3, 4}, 76)}, {true, true}},
      {OpKind::BceLoss,
       {rnd({3, 2}, 77, 0.05, 0.95), rnd({3, 2}, 78, 0, 1)},
       {true, false}},
      {OpKind::BceWithLogitsLoss,
       {rnd({3, 2}, 79, -3, 3), rnd({3, 2}, 80, 0, 1)},
       {true, false}},
      {OpKind::SoftmaxCrossEntropy,
       {rnd({4, 5}, 81, -3, 3), tensor({4}, {0, 4, 2, 2}, DType::I64)},
       {true, false}},
      {OpKind::NllLoss,
       {rnd({4, 5}, 82, -3, -0.1), tensor({4}, {1, 0, 4, 1}, DType::I64)},
       {true, false}},
      {OpKind::NllLoss,
       {rnd({3, 4, 2}, 84, -3, -0.1),
        tensor({3, 2}, {1, 3, 0, 2, 3, 1}, DType::I64),
        tensor({4}, {0.5, 2, 1.5, 0.25})},
       {true, false, false},
       attrs(
           {{"reduction", std::string("mean")}, {"ignore_index", int64_t(3)}}),
       1,
       "weighted, ignore_index, mean"},
      {OpKind::NllLoss,
       {rnd({3, 4, 2}, 85, -3, -0.1),
        tensor({3, 2}, {1, 3, 0, 2, 3, 1}, DType::I64)},
       {true, false},
       attrs(
           {{"reduction", std::string("none")}, {"ignore_index", int64_t(0)}}),
       1,
       "none, ignore_index"},
      {OpKind::NllLoss,
       {rnd({3, 4, 2}, 86, -3, -0.1),
        tensor({3, 2}, {1, 3, 0, 2, 3, 1}, DType::I64),
        tensor({4}, {0.5, 2, 1.5, 0.25})},
       {true, false, false},
       attrs({{"reduction", std::string("sum")}}),
       1,
       "weighted, sum"},
      {OpKind::CorrectCount,
       {rnd({6, 5}, 83), tensor({6}, {1, 0, 4, 1, 2, 3}, DType::I64)},
       {}},
  };
}

} // namespace

TEST(JitOps, PointwiseForwardAndBackward) {
  for (const OpCase &C : pointwiseCases()) {
    SCOPED_TRACE(std::string(opName(C.K)) + " " +
                 shapeString(C.Inputs[0].Dims));
    checkOp(C);
  }
}

TEST(JitOps, EveryOtherOpForwardAndBackward) {
  for (const OpCase &C : otherCases()) {
    SCOPED_TRACE(std::string(opName(C.K)) + " " + C.Label);
    checkOp(C);
  }
}

TEST(JitOps, TrainingModeRandomOpsDrawWhatTheInterpreterDraws) {
  // Dropout, stochastic pooling and BatchNorm with batch statistics, with the
  // same run seed on both engines.
  for (uint64_t Seed : {0, 7}) {
    checkOp({OpKind::Dropout,
             {rnd({4, 50}, 90)},
             {true},
             attrs({{"ratio", 0.3}, {"seed", int64_t(5)}})},
            true, Seed);
    checkOp({OpKind::StochasticPool,
             {rnd({2, 3, 6, 6}, 91, 0.1, 2)},
             {true},
             attrs({{"kernel_shape", Ints{2, 2}}})},
            true, Seed);
    checkOp({OpKind::DropoutMask,
             {rnd({3, 40}, 92)},
             {},
             attrs({{"ratio", 0.5}, {"seed", int64_t(3)}})},
            true, Seed);
  }
  Tensor Mean = rnd({3}, 93), Var = rnd({3}, 94, 0.5, 2);
  checkOp({OpKind::BatchNorm,
           {rnd({4, 3, 2, 3}, 95), rnd({3}, 96), rnd({3}, 97), Mean, Var},
           {}},
          true);
}

TEST(JitOps, ResultsInTheCallersBuffersOrCopiedThere) {
  // Kernels write results straight into the caller's buffers unless two
  // results share one (a value and its view) or a result is an input.
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {2, 3, 9, 7});
  Tensor W = rnd({5, 3, 3, 3}, 3);
  Value *R = B.op(OpKind::Relu,
                  {B.op(OpKind::Conv, {X, B.constant("w", W.Dims, W.Data)},
                        attrs({{"pads", std::vector<int64_t>{1, 1, 1, 1}}}))});
  Value *F = B.op(OpKind::Flatten, {R});
  Value *E = B.op(OpKind::Exp, {R});
  B.entry("alone", {X}, {R});
  B.entry("shared", {X}, {R, F, E, X});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  auto Jit = makeEngine(G, backend::EngineKind::Jit);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  interp::TensorMap Feed = {{"x", rnd({2, 3, 9, 7}, 4)}};
  expectEnginesAgree(*Jit, *Ref, "alone", Feed, 1e-5);
  expectEnginesAgree(*Jit, *Ref, "shared", Feed, 1e-5);
}
