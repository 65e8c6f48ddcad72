#include "../TestUtil.h"
#include "backend/interp/Kernels.h"
#include "frontend/ModelIO.h"
#include "passes/ArenaPlan.h"
#include "passes/TrainStep.h"

#include <cstring>

using namespace nnc;
using namespace nnc::test;
using passes::LiveBuffer;

TEST(MemoryPlanner, ChainReusesMemory) {
  // a -> b -> c, each dying when the next is made: two at a time.
  std::vector<LiveBuffer> B = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  passes::MemoryPlan P = passes::planMemory(B);
  EXPECT_EQ(P.LowerBound, 2048u);
  EXPECT_EQ(P.ArenaBytes, 2048u);
  EXPECT_EQ(P.Offsets[0], P.Offsets[2]);
  EXPECT_EQ(passes::findConflict(B, P).first, -1);
}

TEST(MemoryPlanner, RandomIntervalsNeverConflict) {
  SplitMix64 Rng(1);
  double Worst = 1;
  for (int Case = 0; Case < 300; ++Case) {
    std::vector<LiveBuffer> B(size_t(1 + Rng.next() % 60));
    for (LiveBuffer &L : B) {
      L.First = int64_t(Rng.next() % 50);
      L.Last = L.First + int64_t(Rng.next() % 12);
      L.Bytes = size_t(1 + Rng.next() % 5000);
    }
    passes::MemoryPlan P = passes::planMemory(B);
    ASSERT_EQ(passes::findConflict(B, P).first, -1) << "case " << Case;
    EXPECT_GE(P.ArenaBytes, P.LowerBound);
    for (size_t O : P.Offsets)
      EXPECT_EQ(O % 64, 0u);
    Worst = std::max(Worst, P.ratio());
  }
  // Best fit decreasing stays close to the bound on such inputs.
  EXPECT_LT(Worst, 1.5);
}

namespace {

/// Runs an entry point keeping every computed value in one arena at its
/// planned offset (stored tensors and inputs live outside). The arena has a
/// slot per 4 bytes of the plan holding a full double, so results must equal
/// the interpreter's bit for bit unless live buffers overlap.
Expected<interp::TensorMap> runInArena(const EntryPoint &E,
                                       const passes::ArenaPlan &A,
                                       interp::Interpreter &I,
                                       const interp::TensorMap &Feed) {
  std::vector<double> Arena(A.Plan.ArenaBytes / 4);
  auto Slot = [](const Value *V, size_t Offset, int64_t K) {
    return (Offset + size_t(K) * dtypeSize(V->Type.Elt)) / 4;
  };
  auto Load = [&](const Value *V) -> Tensor {
    if (isStored(V->Kind))
      return I.stored(V);
    if (!isComputed(V->Kind))
      return Feed.at(V->Name);
    Tensor T(V->Type.Elt, V->Type.Dims);
    for (int64_t K = 0; K < T.numElements(); ++K)
      T[K] = Arena[Slot(V, A.Offset.at(V), K)];
    return T;
  };
  interp::Options Opts;
  Opts.Training = true;
  std::map<const Value *, Tensor> NoState;
  interp::EvalContext Ctx{Opts, NoState};
  for (const Node *N : A.Schedule) {
    std::vector<Tensor> Ins;
    for (const Value *V : N->Inputs)
      Ins.push_back(Load(V));
    std::vector<const Tensor *> Args;
    for (const Tensor &T : Ins)
      Args.push_back(&T);
    std::vector<Tensor> Outs;
    for (const Value *V : N->Outputs) {
      if (dtypeSize(V->Type.Elt) % 4 != 0)
        return error("test arena needs 4- or 8-byte elements: ", V->Name);
      Outs.emplace_back(V->Type.Elt, V->Type.Dims);
    }
    NNC_TRY(interp::evalFunction(N->Op)(*N, Ctx, Args, Outs));
    for (size_t K = 0; K < Outs.size(); ++K) {
      const Value *V = N->Outputs[K];
      for (int64_t E2 = 0; E2 < Outs[K].numElements(); ++E2)
        Arena[Slot(V, A.Offset.at(V), E2)] = Outs[K][E2];
    }
  }
  interp::TensorMap Out;
  for (const Value *V : E.Outputs)
    Out[V->Name] = Load(V);
  for (const Update &U : E.Updates)
    Out[U.NewValue->Name] = Load(U.NewValue);
  return Out;
}

class ArenaPlans : public ::testing::TestWithParam<const char *> {};

} // namespace

TEST_P(ArenaPlans, TrainStepRunsCorrectlyFromItsArena) {
  Expected<Graph> G = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + GetParam() + ".json");
  ASSERT_OK(G);
  Graph Infer = G->clone();
  ASSERT_OK(passes::buildTrainStep(*G));
  ASSERT_OK(inferShapes(*G, 8));
  const EntryPoint &E = *G->findEntry("train_step");
  passes::ArenaPlan A = passes::planArena(*G, E);
  EXPECT_LE(A.Plan.ratio(), 1.1) << "training target";
  passes::ArenaPlan AI = passes::planArena(Infer, *Infer.findEntry("infer"));
  EXPECT_LE(AI.Plan.ratio(), 1.02) << "inference target";

  // Random batch of 8; the DropoutMask ops draw the same masks both ways.
  interp::TensorMap Feed;
  SplitMix64 Rng(3);
  for (const Value *V : E.Inputs) {
    Tensor T(V->Type.Elt, V->Type.Dims);
    for (double &X : T.Data)
      X = isInteger(V->Type.Elt) ? double(Rng.next() % 2) : Rng.uniform();
    Feed[V->Name] = T;
  }
  Feed["train.lr"] = tensor({}, {0.01});
  Feed["train.step"] = tensor({}, {1});
  auto I = interp::Interpreter::create(*G);
  ASSERT_OK(I);
  interp::Options Opts;
  Opts.Training = true;
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  auto Want = I->evaluate(Wanted, Feed, Opts);
  ASSERT_OK(Want);
  auto Got = runInArena(E, A, *I, Feed);
  ASSERT_OK(Got);
  for (const auto &[Name, T] : *Want)
    ASSERT_EQ(Got->at(Name).Data, T.Data) << Name;
}

INSTANTIATE_TEST_SUITE_P(Examples, ArenaPlans,
                         ::testing::Values("xor_mlp", "lenet5", "convbn",
                                           "alexnet_tiny", "vgg_tiny", "rbf"));
