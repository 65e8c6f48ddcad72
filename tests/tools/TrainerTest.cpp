// The training loop's use of the engines: a smaller last batch stepped by
// the interpreter instead of a compile of its own, and compiles started
// ahead on other threads, give what plain compiled steps give.
#include "tools/Trainer.h"
#include "../TestUtil.h"
#include "frontend/ModelIO.h"
#include "ir/Initializers.h"

#include <cmath>

using namespace nnc;
using namespace nnc::test;

namespace {

/// N random 28x28 images in [0, 1) with labels in [0, 10).
runtime::Dataset randomImages(int64_t N, uint64_t Seed) {
  runtime::Dataset D;
  D.Count = N;
  D.ExampleDims = {1, 28, 28};
  D.NumClasses = 10;
  SplitMix64 Rng(Seed);
  for (int64_t I = 0; I < N * 28 * 28; ++I)
    D.Features.push_back(Rng.uniform());
  for (int64_t I = 0; I < N; ++I)
    D.Targets.push_back(double(Rng.next() % 10));
  return D;
}

struct Trained {
  std::map<std::string, std::vector<double>> Stored;
  double TestLoss = 0;
};

/// convbn (BatchNorm, dropout) for two epochs of 80 examples at batch 32: a
/// last batch of 16 in each. Momentum SGD, not the model's Adam: the conv
/// biases feeding BatchNorm have gradients of pure rounding noise, which
/// Adam scales up to full-size steps of random sign.
Trained trainConvbn(bool InterpretTail) {
  Trained Out;
  Expected<Graph> G = frontend::loadModel(std::string(NNC_SOURCE_DIR) +
                                          "/examples/models/convbn.json");
  EXPECT_OK(G);
  if (!G.ok())
    return Out;
  tools::TrainOptions O;
  O.Epochs = 2;
  O.Batch = 32;
  O.Seed = 3;
  O.InterpretTail = InterpretTail;
  O.Optimizer = std::string(optimizerName(OptimizerKind::Momentum));
  O.Lr = 0.05;
  O.Momentum = 0.9;
  auto T = tools::Trainer::create(std::move(*G), O);
  EXPECT_OK(T);
  if (!T.ok())
    return Out;
  (*T)->compileAhead();
  runtime::Dataset Train = randomImages(80, 1), Test = randomImages(40, 2);
  double Last = NAN;
  (*T)->OnEpoch = [&](const tools::EpochReport &R) {
    Last = R.Test ? R.Test->Loss : NAN;
  };
  EXPECT_OK((*T)->train(Train, &Test));
  Out.TestLoss = Last;
  Graph C = (*T)->checkpoint();
  for (const auto &V : C.values())
    if (V->Kind == Role::Parameter || V->Kind == Role::State) {
      Expected<std::vector<double>> Data = materialize(*V);
      EXPECT_OK(Data);
      if (Data.ok())
        Out.Stored[V->Name] = *Data;
    }
  return Out;
}

} // namespace

TEST(Trainer, LastBatchOnTheInterpreterMatchesACompiledOne) {
  Trained Interpreted = trainConvbn(true), Compiled = trainConvbn(false);
  ASSERT_FALSE(Compiled.Stored.empty());
  ASSERT_EQ(Interpreted.Stored.size(), Compiled.Stored.size());
  for (const auto &[Name, Want] : Compiled.Stored) {
    const std::vector<double> &Got = Interpreted.Stored.at(Name);
    ASSERT_EQ(Got.size(), Want.size()) << Name;
    double MaxDiff = 0, MaxRef = 0;
    for (size_t I = 0; I < Want.size(); ++I) {
      MaxDiff = std::max(MaxDiff, std::abs(Got[I] - Want[I]));
      MaxRef = std::max(MaxRef, std::abs(Want[I]));
    }
    // Relative, or absolute for tensors that stay near zero: the conv biases
    // ahead of BatchNorm only ever receive rounding noise.
    EXPECT_LE(MaxDiff, 1e-4 * std::max(MaxRef, 0.1)) << Name;
  }
  EXPECT_NEAR(Interpreted.TestLoss, Compiled.TestLoss,
              1e-4 * std::abs(Compiled.TestLoss));
  EXPECT_TRUE(std::isfinite(Compiled.TestLoss));
}
