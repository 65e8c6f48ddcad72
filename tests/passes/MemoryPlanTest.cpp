#include "../TestUtil.h"
#include "backend/interp/Kernels.h"
#include "backend/llvm/KernelParams.h"
#include "frontend/ModelIO.h"
#include "passes/Autodiff.h"
#include "passes/KernelProgram.h"
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

class ArenaPlans : public ::testing::TestWithParam<const char *> {};

/// Entry of G lowered as the JIT lowers it on two threads (kernel
/// workspaces included), fused or not.
passes::KernelProgram lower(const Graph &G, const char *Entry, bool Training,
                            bool Fuse = true) {
  passes::LoweringOptions O;
  O.Training = Training;
  O.FuseElementwise = O.FuseConvBn = O.FuseConvAct = Fuse;
  O.Workspace = [&](const passes::Kernel &K) {
    return backend::kernelWorkspace(K, Training, 2);
  };
  return passes::lowerToKernels(G, *G.findEntry(Entry), O);
}

} // namespace

TEST_P(ArenaPlans, KernelProgramsMeetTheTargetsWithoutConflicts) {
  // The plans the JIT and AOT compile with (every differential test runs
  // from them): no two buffers live at once overlap, and the arena is
  // within 1.1 (training) and 1.02 (inference) of the lower bound.
  Expected<Graph> G = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + GetParam() + ".json");
  ASSERT_OK(G);
  Graph Infer = G->clone();
  ASSERT_OK(passes::buildTrainStep(*G));
  for (int64_t Batch : {1, 8, 64}) {
    SCOPED_TRACE(Batch);
    ASSERT_OK(inferShapes(*G, Batch));
    ASSERT_OK(inferShapes(Infer, Batch));
    passes::KernelProgram T = lower(*G, "train_step", true);
    passes::KernelProgram I = lower(Infer, "infer", false);
    EXPECT_LE(T.Plan.ratio(), 1.1) << "training target";
    EXPECT_LE(I.Plan.ratio(), 1.02) << "inference target";
    for (const passes::KernelProgram *P : {&T, &I}) {
      auto C = passes::findConflict(P->Buffers, P->Plan);
      EXPECT_EQ(C.first, -1) << "buffers " << C.first << " and " << C.second;
      EXPECT_GE(P->Plan.ArenaBytes, P->Plan.LowerBound);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, ArenaPlans,
                         ::testing::Values("xor_mlp", "lenet5", "convbn",
                                           "alexnet_tiny", "vgg_tiny", "rbf"));

namespace {

/// convbn's training graph, shapes bound for Batch.
Expected<Graph> convbnTraining(int64_t Batch) {
  Expected<Graph> G = frontend::loadModel(std::string(NNC_SOURCE_DIR) +
                                          "/examples/models/convbn.json");
  if (!G.ok())
    return G;
  if (auto T = passes::buildTrainStep(*G); !T.ok())
    return T.status();
  if (Status S = inferShapes(*G, Batch); !S.ok())
    return S;
  return G;
}

} // namespace

TEST(KernelPrograms, BatchNormGradientWritesOverABufferThatDiesThere) {
  // convbn's fused PoolGrad+UnaryGrad+BatchNormGrad kernels: dx takes over
  // the buffer of the BatchNorm's x (the conv's output), which dies there;
  // dy is the pooled gradient, a quarter of dx. Unfused, the pooling
  // gradient (dx's size) is stored and peaks beside dx, so the fused step's
  // arena is smaller by about that gradient (3.2 of 27.3 MB at batch 64).
  Expected<Graph> G = convbnTraining(64);
  ASSERT_OK(G);
  passes::KernelProgram Fused = lower(*G, "train_step", true, true),
                        Unfused = lower(*G, "train_step", true, false);
  int InPlace = 0;
  for (const passes::Kernel &K : Fused.Kernels)
    if (K.node().Op == OpKind::BatchNormGrad) {
      ASSERT_EQ(K.Main, 2u) << "the pooling and activation gradients";
      const Value *Dx = K.node().Outputs[0];
      auto It = Fused.InPlaceOf.find(Dx);
      ASSERT_NE(It, Fused.InPlaceOf.end()) << Dx->Name;
      EXPECT_EQ(It->second, K.node().Inputs[0]) << Dx->Name;
      EXPECT_EQ(Fused.Offset.at(Dx), Fused.Offset.at(It->second));
      ++InPlace;
    }
  EXPECT_EQ(InPlace, 2);
  EXPECT_LT(double(Fused.Plan.ArenaBytes),
            0.92 * double(Unfused.Plan.ArenaBytes));
}

TEST(KernelPrograms, BatchNormKeepsItsStatisticsForItsGradient) {
  // Fused, each BatchNormTrain kernel and the BatchNormGrad kernel of the
  // same x share a buffer of two doubles per channel; unfused, none.
  Expected<Graph> G = convbnTraining(8);
  ASSERT_OK(G);
  passes::KernelProgram Fused = lower(*G, "train_step", true, true),
                        Unfused = lower(*G, "train_step", true, false);
  std::map<const Value *, const passes::Kernel *> Forward;
  int Pairs = 0;
  for (const passes::Kernel &K : Fused.Kernels) {
    const Value *X = K.node().Inputs[0];
    if (K.node().Op == OpKind::BatchNormTrain) {
      EXPECT_EQ(K.StatsBytes, size_t(X->Type.Dims[1]) * 16);
      Forward[X] = &K;
    }
    if (K.node().Op == OpKind::BatchNormGrad) {
      ASSERT_TRUE(Forward.count(X));
      EXPECT_EQ(K.StatsBytes, Forward.at(X)->StatsBytes);
      EXPECT_EQ(K.StatsOffset, Forward.at(X)->StatsOffset);
      ++Pairs;
    }
  }
  EXPECT_EQ(Pairs, 2);
  for (const passes::Kernel &K : Unfused.Kernels)
    EXPECT_EQ(K.StatsBytes, 0u);
  auto C = passes::findConflict(Fused.Buffers, Fused.Plan);
  EXPECT_EQ(C.first, -1);
}

TEST(KernelPrograms, BatchNormGradientWritesOverTheGradientItReads) {
  // Without pooling between them: UnaryGrad+BatchNormGrad, and dx takes
  // over the buffer of the activation's incoming gradient, which dies there.
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {2, 3, 6, 6});
  Value *W = B.constant("w", {4, 3, 3, 3}, std::vector<double>(108, 0.1));
  Value *C = B.op(OpKind::Conv, {X, W}, attrs({{"pads", Ints{1, 1, 1, 1}}}));
  Value *S = B.constant("s", {4}, std::vector<double>(4, 1.0));
  Value *Bn = B.ops(OpKind::BatchNormTrain,
                    {C, S, B.constant("b", {4}, std::vector<double>(4, 0.0)),
                     B.constant("m", {4}, std::vector<double>(4, 0.0)),
                     B.constant("v", {4}, std::vector<double>(4, 1.0))},
                    {}, 3)[0];
  Value *Y = B.op(OpKind::Exp, {B.op(OpKind::Relu, {Bn})});
  Value *L = B.op(OpKind::ReduceSum, {Y}, attrs({{"keepdims", int64_t(0)}}));
  ASSERT_OK(B.status());
  auto D = passes::differentiate(G, L, {X, S});
  ASSERT_OK(D);
  G.EntryPoints.push_back({"grads", {X}, {D->Grads.at(X), D->Grads.at(S)}, {}});
  ASSERT_OK(verify(G));
  ASSERT_OK(inferShapes(G, 2));
  passes::KernelProgram P = lower(G, "grads", true);
  int InPlace = 0;
  for (const passes::Kernel &K : P.Kernels)
    if (K.node().Op == OpKind::BatchNormGrad) {
      ASSERT_EQ(K.Main, 1u) << "the activation gradient is fused in";
      const Value *Dx = K.node().Outputs[0];
      auto It = P.InPlaceOf.find(Dx);
      ASSERT_NE(It, P.InPlaceOf.end()) << Dx->Name;
      EXPECT_EQ(It->second, K.Nodes[0]->Inputs[2]) << Dx->Name;
      ++InPlace;
    }
  EXPECT_EQ(InPlace, 1);
}

namespace {

/// x [2, 3, 8, 8] -> conv (4 channels, 3x3) -> relu r, with entries that
/// return r alone, and r beside a view of it, an Exp of it and the input.
Graph convRelu() {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {2, 3, 8, 8});
  Value *W = B.constant("w", {4, 3, 3, 3}, std::vector<double>(108, 0.1));
  Value *R = B.op(OpKind::Relu, {B.op(OpKind::Conv, {X, W}, {}, "c")}, {}, "r");
  Value *F = B.op(OpKind::Flatten, {R}, {}, "f");
  Value *E = B.op(OpKind::Exp, {R}, {}, "e");
  B.entry("alone", {X}, {R});
  B.entry("shared", {X}, {R, F, E, X});
  EXPECT_OK(B.status());
  EXPECT_OK(verify(G));
  EXPECT_OK(inferShapes(G, 2));
  return G;
}

} // namespace

TEST(KernelPrograms, ResultsAreComputedInTheCallersBuffers) {
  // A result's buffer is the caller's: not planned in the arena, and no
  // copy at the end (a conv block's whole output was copied before).
  Graph G = convRelu();
  passes::KernelProgram P = lower(G, "alone", false);
  const Value *R = G.EntryPoints[0].Outputs[0];
  ASSERT_TRUE(P.OutputSlot.count(R));
  EXPECT_EQ(P.OutputSlot.at(R), 0u);
  EXPECT_TRUE(P.Offset.empty()) << "the arena holds only the workspace";
}

TEST(KernelPrograms, ResultsSharingABufferAreCopied) {
  // r and its view f share one buffer, which cannot be both callers'
  // buffers; x is the caller's input. e has a buffer of its own.
  Graph G = convRelu();
  passes::KernelProgram P = lower(G, "shared", false);
  const EntryPoint &E = *G.findEntry("shared");
  EXPECT_FALSE(P.OutputSlot.count(P.root(E.Outputs[0])));
  EXPECT_FALSE(P.OutputSlot.count(P.root(E.Outputs[1])));
  EXPECT_FALSE(P.OutputSlot.count(E.Outputs[3]));
  ASSERT_TRUE(P.OutputSlot.count(E.Outputs[2]));
  EXPECT_EQ(P.OutputSlot.at(E.Outputs[2]), 2u);
}
