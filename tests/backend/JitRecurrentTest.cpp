// Rnn, Gru and Lstm compiled, forward and backward through time, against
// the reference interpreter on random inputs: 20 and more steps, every
// direction and layout, sequences of different lengths (one empty), both
// GRU forms, peepholes, clipping and other activations.
#include "../passes/RecurrentCase.h"
#include "JitTestUtil.h"
#include "passes/Autodiff.h"

using namespace nnc;
using namespace nnc::test;

namespace {

void expectJitMatches(RecurrentCase C) {
  C.Steps = 21;
  C.Batch = 5;
  C.Input = 7;
  C.Hidden = 6;
  RecurrentGraph R;
  ASSERT_OK(buildRecurrent(C, R));
  R.G.EntryPoints.push_back({"forward", R.Inputs, R.Outputs, {}});
  auto D = passes::differentiate(R.G, R.Loss, R.Float);
  ASSERT_OK(D);
  std::vector<Value *> Grads;
  for (Value *V : R.Float)
    Grads.push_back(D->Grads.at(V));
  R.G.EntryPoints.push_back({"grads", R.Inputs, Grads, {}});
  ASSERT_OK(verify(R.G));
  auto Jit = makeEngine(R.G, backend::EngineKind::Jit);
  auto Ref = makeEngine(R.G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  expectEnginesAgree(*Jit, *Ref, "forward", R.Feed, 1e-5);
  expectEnginesAgree(*Jit, *Ref, "grads", R.Feed, 1e-4);
}

} // namespace

TEST(JitRecurrent, Rnn) {
  expectJitMatches({OpKind::Rnn});
  expectJitMatches(
      {.Kind = OpKind::Rnn,
       .Direction = "bidirectional",
       .Layout = 1,
       .Lengths = true,
       .Extra = attrs({{"activations", std::string("Relu,Relu")}})});
}

TEST(JitRecurrent, Gru) {
  for (int64_t Linear : {0, 1}) {
    SCOPED_TRACE(Linear);
    Attributes Lbr = attrs({{"linear_before_reset", Linear}});
    expectJitMatches({.Kind = OpKind::Gru, .Extra = Lbr});
    expectJitMatches({.Kind = OpKind::Gru,
                      .Direction = "bidirectional",
                      .Layout = 1,
                      .Lengths = true,
                      .Extra = Lbr});
    expectJitMatches({.Kind = OpKind::Gru,
                      .Direction = "reverse",
                      .Initial = false,
                      .Reads = {false, true},
                      .Extra = Lbr});
  }
}

TEST(JitRecurrent, Lstm) {
  expectJitMatches({.Kind = OpKind::Lstm});
  expectJitMatches({.Kind = OpKind::Lstm,
                    .Direction = "bidirectional",
                    .Layout = 1,
                    .Peepholes = true,
                    .Lengths = true});
  expectJitMatches(
      {.Kind = OpKind::Lstm,
       .Direction = "reverse",
       .Peepholes = true,
       .Reads = {false, true, true},
       .Extra = attrs({{"input_forget", int64_t(1)}, {"clip", 0.6}})});
  expectJitMatches(
      {.Kind = OpKind::Lstm,
       .Bias = false,
       .Initial = false,
       .Extra = attrs({{"activations", std::string("HardSigmoid,Softsign,Elu")},
                       {"activation_alpha", std::vector<double>{0.3, 0, 0.8}},
                       {"activation_beta", std::vector<double>{0.4, 0, 0}}})});
}
