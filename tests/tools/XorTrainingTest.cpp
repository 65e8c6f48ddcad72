// examples/models/xor_mlp.json learns XOR (4 of 4 right) with each of the
// seven optimizers, full batch, on the reference interpreter.
#include "../TestUtil.h"
#include "frontend/ModelIO.h"
#include "tools/Trainer.h"

using namespace nnc;
using namespace nnc::test;

namespace {

runtime::Dataset xorData() {
  runtime::Dataset D;
  D.Count = 4;
  D.ExampleDims = {2};
  D.Features = {0, 0, 0, 1, 1, 0, 1, 1};
  D.Targets = {0, 1, 1, 0};
  D.NumClasses = 2;
  return D;
}

struct Case {
  OptimizerKind Kind;
  double Lr;
  int64_t Epochs;
};

void PrintTo(const Case &C, std::ostream *OS) {
  *OS << optimizerName(C.Kind) << " lr " << C.Lr << " for " << C.Epochs
      << " steps";
}

class XorTraining : public ::testing::TestWithParam<Case> {};

} // namespace

TEST_P(XorTraining, ReachesFullAccuracy) {
  Case C = GetParam();
  Expected<Graph> G = frontend::loadModel(std::string(NNC_SOURCE_DIR) +
                                          "/examples/models/xor_mlp.json");
  ASSERT_OK(G);
  tools::TrainOptions O;
  O.Optimizer = std::string(optimizerName(C.Kind));
  O.Lr = C.Lr;
  O.Epochs = C.Epochs;
  O.Batch = 4;
  auto T = tools::Trainer::create(std::move(*G), O);
  ASSERT_OK(T);
  runtime::Dataset D = xorData();
  ASSERT_OK((*T)->train(D, nullptr));
  Expected<tools::EvalResult> R = (*T)->evaluate(D, 4);
  ASSERT_OK(R);
  EXPECT_EQ(R->Correct, 4) << optimizerName(C.Kind) << " loss " << R->Loss;
  EXPECT_LT(R->Loss, 0.3) << optimizerName(C.Kind);
}

INSTANTIATE_TEST_SUITE_P(
    SevenOptimizers, XorTraining,
    ::testing::Values(Case{OptimizerKind::SGD, 2.0, 3000},
                      Case{OptimizerKind::Momentum, 0.5, 1000},
                      Case{OptimizerKind::Nesterov, 0.5, 1000},
                      Case{OptimizerKind::Adagrad, 0.3, 3000},
                      Case{OptimizerKind::Adadelta, 1.0, 3000},
                      Case{OptimizerKind::RMSprop, 0.02, 1000},
                      Case{OptimizerKind::Adam, 0.05, 1000}),
    [](const auto &Info) {
      return std::string(optimizerName(Info.param.Kind));
    });
