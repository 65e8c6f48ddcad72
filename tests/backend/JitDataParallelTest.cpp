// A train step built for several ranks (passes/DataParallel.h), run in one
// process with a collective that stands in for ranks holding the same
// batch: the gradients' means are the gradients, so every stored value
// after the step has the bits of the single-process step. Also where the
// buckets' starts and waits land in the schedule, and their errors.
#include "JitTestUtil.h"
#include "frontend/ModelIO.h"
#include "passes/TrainStep.h"

#include <set>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::test;

namespace {

Graph load(const char *Model) {
  Expected<Graph> G = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + Model + ".json");
  EXPECT_TRUE(G.ok()) << G.status().message();
  return G.ok() ? std::move(*G) : Graph();
}

/// Two ranks with the same data: the sum is twice each value. A wait must
/// follow its own start, once; Fail makes the next start fail.
struct TwinRanks {
  std::set<float *> Pending;
  int Starts = 0, Waits = 0, MaxInFlight = 0;
  bool Fail = false;
  nnc_collective Hook{&start, &wait, this, 2};

  static int start(void *C, float *Data, int64_t N) {
    auto *T = static_cast<TwinRanks *>(C);
    if (T->Fail || !T->Pending.insert(Data).second)
      return 1;
    for (int64_t I = 0; I < N; ++I)
      Data[I] *= 2;
    ++T->Starts;
    T->MaxInFlight = std::max(T->MaxInFlight, int(T->Pending.size()));
    return 0;
  }
  static int wait(void *C, float *Data) {
    auto *T = static_cast<TwinRanks *>(C);
    ++T->Waits;
    return T->Pending.erase(Data) ? 0 : 1;
  }
};

std::unique_ptr<backend::Engine> engineWith(Graph &G, const nnc_collective *C) {
  backend::EngineOptions O;
  O.Threads = 1;
  O.Collective = C;
  Expected<std::unique_ptr<backend::Engine>> E = backend::createEngine(G, O);
  EXPECT_TRUE(E.ok()) << E.status().message();
  return E.ok() ? std::move(*E) : nullptr;
}

interp::TensorMap stepInputs(const Graph &G) {
  interp::TensorMap Feed = inputsFor(*G.findEntry("train_step"), 16, 5);
  Feed["train.step"] = tensor({}, {1});
  return Feed;
}

/// One train step of One in one process and of Two on Twins' ranks, from
/// the same inputs: the engines, for their stored values, and the outputs.
struct TwoSteps {
  std::unique_ptr<backend::Engine> A, B;
  interp::TensorMap OutA, OutB;
};

void runTwoSteps(Graph &One, Graph &Two, TwinRanks &Twins, TwoSteps &S) {
  S.A = engineWith(One, nullptr);
  S.B = engineWith(Two, &Twins.Hook);
  ASSERT_TRUE(S.A && S.B);
  interp::Options O;
  O.Training = true;
  Expected<interp::TensorMap> RA = S.A->run("train_step", stepInputs(One), O);
  Expected<interp::TensorMap> RB = S.B->run("train_step", stepInputs(Two), O);
  ASSERT_OK(RA);
  ASSERT_OK(RB);
  S.OutA = *RA;
  S.OutB = *RB;
}

int count(const Graph &G, OpKind K) {
  int N = 0;
  for (const auto &Node : G.nodes())
    N += Node->Op == K;
  return N;
}

TEST(JitDataParallel, TwinRanksTrainAsOneProcess) {
  for (const char *Model : {"lenet5", "convbn"}) {
    SCOPED_TRACE(Model);
    Graph One = load(Model), Two = load(Model);
    ASSERT_OK(passes::buildTrainStep(One));
    // 4 KB buckets: a bucket per gradient or two, several in flight.
    ASSERT_OK(passes::buildTrainStep(Two, true, nullptr, {2, 4096}));
    EXPECT_EQ(count(One, OpKind::AllReduceStart), 0);
    int Buckets = count(Two, OpKind::AllReduceStart);
    EXPECT_GT(Buckets, 2);
    EXPECT_EQ(count(Two, OpKind::AllReduceWait), Buckets);
    TwinRanks Twins;
    TwoSteps S;
    ASSERT_NO_FATAL_FAILURE(runTwoSteps(One, Two, Twins, S));
    EXPECT_EQ(Twins.Starts, Buckets);
    EXPECT_EQ(Twins.Waits, Buckets);
    EXPECT_TRUE(Twins.Pending.empty());
    EXPECT_GT(Twins.MaxInFlight, 1); // starts do not wait for each other
    for (const auto &[Name, T] : S.OutA)
      EXPECT_EQ(T.Data, S.OutB.at(Name).Data) << Name;
    for (const auto &V : One.values()) {
      if (isStored(V->Kind)) {
        EXPECT_EQ(S.A->read(V.get()), S.B->read(Two.findValue(V->Name)))
            << V->Name;
      }
    }
  }
}

TEST(JitDataParallel, SynchronizedBatchNormOnTwinRanksIsBatchNorm) {
  // The global batch is the local one twice: its statistics are the
  // local ones, and the decomposed BatchNorm (differentiated through the
  // ranks) trains as the fused kernel does, to rounding; the running
  // variance's unbiasing counts the twice-as-large batch. Without dropout,
  // whose masks follow the nodes' places in the graph, and with momentum
  // SGD: Adam's first step is lr * sign(g), and the conv biases under the
  // BatchNorms have gradients that are rounding noise.
  Graph One = load("convbn"), Two = load("convbn"), Plain = load("convbn");
  for (Graph *G : {&One, &Two}) {
    for (const auto &N : G->nodes())
      if (N->Op == OpKind::Dropout)
        N->Attrs.set("ratio", 0.0);
    G->Training->Optimizer = OptimizerConfig();
    G->Training->Optimizer.Kind = OptimizerKind::Momentum;
    G->Training->Optimizer.Momentum = 0.9;
  }
  ASSERT_OK(passes::buildTrainStep(One));
  ASSERT_OK(passes::buildTrainStep(Two, true, nullptr, {2, 4096, true, 16}));
  ASSERT_OK(passes::buildTrainStep(Plain, true, nullptr, {2, 4096}));
  EXPECT_EQ(count(Two, OpKind::BatchNormTrain), 0);
  // Per BatchNorm: mean and variance forward, their gradients backward;
  // then the gradient buckets.
  EXPECT_EQ(count(Two, OpKind::AllReduceStart),
            count(One, OpKind::BatchNormTrain) * 4 +
                count(Plain, OpKind::AllReduceStart));
  TwinRanks Twins;
  TwoSteps S;
  ASSERT_NO_FATAL_FAILURE(runTwoSteps(One, Two, Twins, S));
  EXPECT_TRUE(Twins.Pending.empty());
  for (const auto &[Name, T] : S.OutA)
    EXPECT_LT(relativeError(S.OutB.at(Name), T), 1e-5) << Name;
  for (const auto &V : One.values())
    if (isStored(V->Kind)) {
      Tensor Want(V->Type.Elt, V->Type.Dims, S.A->read(V.get()));
      Tensor Got(V->Type.Elt, V->Type.Dims, S.B->read(Two.findValue(V->Name)));
      // Floor: the conv biases' gradients are zero but for rounding.
      EXPECT_LT(relativeError(Got, Want, 1e-2), 1e-4) << V->Name;
    }
}

TEST(JitDataParallel, SynchronizedBatchNormMatchesTheInterpreter) {
  Graph G = load("convbn");
  ASSERT_OK(passes::buildTrainStep(G, true, nullptr, {2, 1 << 20, true, 4}));
  auto Jit = makeEngine(G, backend::EngineKind::Jit, 1);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  interp::Options O;
  O.Training = true;
  interp::TensorMap Feed = inputsFor(*G.findEntry("train_step"), 4, 9);
  Feed["train.step"] = tensor({}, {1});
  expectEnginesAgree(*Jit, *Ref, "train_step", Feed, 1e-4, O);
}

TEST(JitDataParallel, StartsFollowTheirGradientsAndWaitsPrecedeTheUpdates) {
  Graph G = load("lenet5");
  ASSERT_OK(passes::buildTrainStep(G, true, nullptr, {2, 4096}));
  const auto &Nodes = G.nodes();
  for (size_t I = 0; I < Nodes.size(); ++I) {
    const Node &N = *Nodes[I];
    if (N.Op == OpKind::AllReduceStart) {
      // Only other starts stand between the last gradient and its start.
      size_t Last = 0;
      for (const Value *In : N.Inputs)
        Last = std::max(Last, size_t(In->Producer->Id));
      for (size_t J = Last + 1; J < I; ++J)
        EXPECT_EQ(Nodes[J]->Op, OpKind::AllReduceStart) << N.Name;
    }
    if (N.Op == OpKind::AllReduceWait) {
      // ... and only other waits between a wait and its first reader.
      size_t Reader = I + 1;
      auto ReadsThis = [&](const Node &R) {
        for (const Value *In : R.Inputs)
          for (const Value *Out : N.Outputs)
            if (In == Out)
              return true;
        return false;
      };
      while (Reader < Nodes.size() && !ReadsThis(*Nodes[Reader]))
        ++Reader;
      ASSERT_LT(Reader, Nodes.size()) << N.Name << " has no reader";
      for (size_t J = I + 1; J < Reader; ++J)
        EXPECT_EQ(Nodes[J]->Op, OpKind::AllReduceWait) << N.Name;
    }
  }
}

TEST(JitDataParallel, AMeanOfMeansKeepsItsOrder) {
  // A start reading what a wait returns: the schedule leaves the valid
  // order as built rather than failing.
  Graph G;
  Builder B(G);
  Value *X = G.addValue("x", Role::Input, TensorType{DType::F32, {4}});
  Value *First = B.op(OpKind::AllReduceStart, {X});
  Value *Mean =
      B.ops(OpKind::AllReduceWait, {First}, allReduceWaitAttrs({X}), 1)[0];
  Value *Second = B.op(OpKind::AllReduceStart, {Mean});
  B.ops(OpKind::AllReduceWait, {Second}, allReduceWaitAttrs({Mean}), 1);
  ASSERT_OK(B.status());
  std::vector<const Node *> Before;
  for (const auto &N : G.nodes())
    Before.push_back(N.get());
  ASSERT_OK(passes::scheduleCollectives(G));
  for (size_t I = 0; I < Before.size(); ++I)
    EXPECT_EQ(G.nodes()[I].get(), Before[I]);
}

TEST(JitDataParallel, OneProcessMatchesTheInterpreter) {
  // Without a collective the buckets only move the gradients: the JIT and
  // the interpreter run the same step.
  Graph G = load("lenet5");
  ASSERT_OK(passes::buildTrainStep(G, true, nullptr, {2, 4096}));
  auto Jit = makeEngine(G, backend::EngineKind::Jit, 1);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  interp::Options O;
  O.Training = true;
  expectEnginesAgree(*Jit, *Ref, "train_step", stepInputs(G), 1e-4, O);
}

TEST(JitDataParallel, AFailedCollectiveFailsTheStep) {
  Graph G = load("lenet5");
  ASSERT_OK(passes::buildTrainStep(G, true, nullptr, {2, 1 << 20}));
  TwinRanks Twins;
  Twins.Fail = true;
  auto E = engineWith(G, &Twins.Hook);
  ASSERT_TRUE(E);
  interp::Options O;
  O.Training = true;
  Expected<interp::TensorMap> R = E->run("train_step", stepInputs(G), O);
  ASSERT_FALSE(R.ok());
  EXPECT_NE(
      R.status().message().find("summing the gradients over the ranks failed"),
      std::string::npos)
      << R.status().message();
}

TEST(JitDataParallel, ABucketSizeBelowOneByteIsRefused) {
  Graph G = load("lenet5");
  Expected<passes::TrainStep> S =
      passes::buildTrainStep(G, true, nullptr, {2, 0});
  ASSERT_FALSE(S.ok());
  EXPECT_NE(S.status().message().find("bucket size must be >= 1"),
            std::string::npos)
      << S.status().message();
}

} // namespace
