// Backpropagation through time for Rnn, Gru and Lstm against central
// differences in double precision: every operand that has a gradient,
// through every output, in every direction and layout, with clipping,
// peepholes, input_forget, both GRU forms, other activations and sequences
// of different lengths.
#include "GradCheck.h"
#include "RecurrentCase.h"

using namespace nnc;
using namespace nnc::test;

namespace {

using Config = RecurrentCase;

Expected<GradCheckResult> check(const Config &C) {
  RecurrentGraph R;
  NNC_TRY(buildRecurrent(C, R));
  return gradCheckGraph(R.G, R.Loss, R.Inputs, std::move(R.Feed), R.Float);
}

} // namespace

TEST(RecurrentGradients, Rnn) {
  EXPECT_GRADIENTS_MATCH(check({OpKind::Rnn}));
  EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Rnn,
                                .Direction = "bidirectional",
                                .Layout = 1,
                                .Lengths = true}));
  EXPECT_GRADIENTS_MATCH(
      check({.Kind = OpKind::Rnn,
             .Direction = "reverse",
             .Bias = false,
             .Initial = false,
             .Extra = attrs({{"activations", std::string("Relu")}})}));
  EXPECT_GRADIENTS_MATCH(
      check({.Kind = OpKind::Rnn,
             .Extra = attrs({{"activations", std::string("ScaledTanh")},
                             {"activation_alpha", std::vector<double>{1.3}},
                             {"activation_beta", std::vector<double>{0.7}}})}));
}

TEST(RecurrentGradients, Gru) {
  for (int64_t Linear : {0, 1}) {
    SCOPED_TRACE(Linear);
    Attributes Lbr = attrs({{"linear_before_reset", Linear}});
    EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Gru, .Extra = Lbr}));
    EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Gru,
                                  .Direction = "bidirectional",
                                  .Lengths = true,
                                  .Extra = Lbr}));
    EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Gru,
                                  .Direction = "reverse",
                                  .Layout = 1,
                                  .Reads = {false, true},
                                  .Extra = Lbr}));
  }
  EXPECT_GRADIENTS_MATCH(check(
      {.Kind = OpKind::Gru,
       .Extra = attrs({{"activations", std::string("HardSigmoid,Softsign")},
                       {"activation_alpha", std::vector<double>{0.3, 0}},
                       {"activation_beta", std::vector<double>{0.45, 0}},
                       {"clip", 0.9}})}));
}

TEST(RecurrentGradients, Lstm) {
  EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Lstm, .Peepholes = true}));
  EXPECT_GRADIENTS_MATCH(check({.Kind = OpKind::Lstm,
                                .Direction = "bidirectional",
                                .Layout = 1,
                                .Peepholes = true,
                                .Lengths = true}));
  EXPECT_GRADIENTS_MATCH(
      check({.Kind = OpKind::Lstm,
             .Direction = "reverse",
             .Initial = false,
             .Reads = {false, false, true},
             .Extra = attrs({{"input_forget", int64_t(1)}, {"clip", 0.7}})}));
  EXPECT_GRADIENTS_MATCH(check(
      {.Kind = OpKind::Lstm,
       .Reads = {true, false, false},
       .Extra = attrs({{"activations", std::string("Sigmoid,Softplus,Elu")},
                       {"activation_alpha", std::vector<double>{0, 0, 0.8}},
                       {"activation_beta", std::vector<double>{0, 0, 0}}})}));
}

// The forward pass keeps what the backward reads only when asked to.
TEST(RecurrentGradients, WithoutSavedStateIsAnError) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {2, 1, 2});
  Value *W = B.input("w", {1, 2, 2});
  Value *R = B.input("r", {1, 2, 2});
  Value *Y = B.ops(OpKind::Rnn, {X, W, R}, attrs({{"hidden_size", int64_t(2)}}),
                   2, "rnn")[0];
  Value *Loss = B.op(OpKind::ReduceSum, {Y}, attrs({{"keepdims", int64_t(0)}}));
  ASSERT_OK(B.status());
  auto D = passes::differentiate(G, Loss, {W});
  ASSERT_FALSE(D.ok());
  EXPECT_NE(D.status().message().find("save_for_backward"), std::string::npos)
      << D.status().message();
}
