// Every example model runs both entry points on the reference interpreter.
#include "../TestUtil.h"
#include "frontend/ModelIO.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

namespace {

/// Random inputs for an entry point at batch 3: images in [0, 1), class
/// labels in [0, 10), float labels in {0, 1}.
interp::TensorMap randomInputs(const EntryPoint &E, uint64_t Seed) {
  interp::TensorMap In;
  SplitMix64 Rng(Seed);
  for (const Value *V : E.Inputs) {
    Shape Dims = V->DeclaredDims;
    if (!Dims.empty() && Dims[0] == -1)
      Dims[0] = 3;
    Tensor T(V->Type.Elt, Dims);
    for (double &X : T.Data)
      X = isInteger(V->Type.Elt)   ? double(Rng.next() % 10)
          : V->Kind == Role::Label ? double(Rng.next() % 2)
                                   : Rng.uniform();
    In[V->Name] = std::move(T);
  }
  return In;
}

class Examples : public ::testing::TestWithParam<const char *> {};

} // namespace

TEST_P(Examples, InferAndTrainStepRunWithFiniteResults) {
  std::string Path =
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + GetParam() + ".json";
  Expected<Graph> G = frontend::loadModel(Path);
  ASSERT_OK(G);
  auto I = interp::Interpreter::create(*G);
  ASSERT_OK(I);
  for (const char *Entry : {"infer", "train_step"}) {
    SCOPED_TRACE(Entry);
    const EntryPoint *E = G->findEntry(Entry);
    ASSERT_NE(E, nullptr);
    for (bool Training : {false, true}) {
      interp::Options Opts;
      Opts.Training = Training;
      auto Out = I->run(Entry, randomInputs(*E, 5), Opts);
      ASSERT_OK(Out);
      for (const Value *V : E->Outputs) {
        const Tensor &T = Out->at(V->Name);
        EXPECT_EQ(T.Dims.empty() ? 0 : T.Dims[0],
                  std::string(Entry) == "infer" ? 3 : 0);
        for (double X : T.Data)
          ASSERT_TRUE(std::isfinite(X)) << V->Name;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, Examples,
                         ::testing::Values("xor_mlp", "lenet5", "convbn",
                                           "alexnet_tiny", "vgg_tiny", "rbf",
                                           "lstm_fmnist", "gru_fmnist"));
