// The compile pipeline: its steps in order, the model left as it was,
// stopping after a step, verifying after each, and the JIT binding shapes
// on its own copies.
#include "backend/Compile.h"
#include "JitTestUtil.h"
#include "frontend/ModelIO.h"

#include <algorithm>

using namespace nnc;
using namespace nnc::test;

namespace {

Graph example(const std::string &Model) {
  Expected<Graph> G = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + Model + ".json");
  EXPECT_OK(G.status());
  return G.ok() ? std::move(*G) : Graph();
}

/// Records each step's name, with the entry it belongs to.
struct StepLog : passes::StepObserver {
  std::vector<std::string> Steps;
  Status after(std::string_view Step, const passes::StepResult &R) override {
    std::string Name(Step);
    if (R.Entry)
      Name = R.Entry->Name + ":" + Name;
    EXPECT_EQ(bool(R.Kernels), Step == "fuse" || Step == "liveness" ||
                                   Step == "in-place" || Step == "memory-plan")
        << Name;
    EXPECT_EQ(bool(R.Code),
              Step == "codegen" || Step == "optimize" || Step == "machine-code")
        << Name;
    Steps.push_back(Name);
    return Status::success();
  }
};

std::vector<std::string> shapes(const Graph &G) {
  std::vector<std::string> Out;
  for (const auto &V : G.values())
    Out.push_back(V->Name + V->Type.str());
  return Out;
}

TEST(Compile, RunsEveryStepInOrderAndLeavesTheModelAsItWas) {
  Graph G = example("lenet5");
  std::vector<std::string> Before = shapes(G);
  size_t Entries = G.EntryPoints.size();
  StepLog Log;
  backend::CompileOptions O;
  O.Entries = {"infer", "train_step"};
  O.Batch = 3;
  O.Engine.Threads = 1;
  O.Engine.CacheDir.clear();
  O.Observer = &Log;
  O.VerifyEach = true;
  Expected<backend::CompiledProgram> P = backend::compile(G, O);
  ASSERT_OK(P.status());
  std::vector<std::string> Want = {"load", "training-lowering",
                                   "regularization", "autodiff", "optimizer"};
  for (const char *Entry : {"infer", "train_step"})
    for (size_t S = 5; S < std::size(backend::CompileSteps); ++S)
      Want.push_back(std::string(Entry) + ":" + backend::CompileSteps[S]);
  EXPECT_EQ(Log.Steps, Want);
  EXPECT_EQ(shapes(G), Before);
  EXPECT_EQ(G.EntryPoints.size(), Entries);
  ASSERT_EQ(P->Entries.size(), 2u);
  EXPECT_FALSE(P->Entries[0].Entry->Training);
  EXPECT_TRUE(P->Entries[1].Entry->Training);
  for (const backend::CompiledEntry &E : P->Entries) {
    EXPECT_NE(E.Fn, nullptr);
    EXPECT_EQ(E.Report.StepSeconds.size(), 7u);
    EXPECT_EQ(P->graphOf(*E.Entry).findValue("image")->Type.Dims[0], 3);
  }
  // Every stored tensor of the train step, optimizer state included.
  EXPECT_NE(P->Layout.Offset.count(P->TrainStepGraph->findValue("conv1.w")),
            0u);
}

TEST(Compile, StopsAfterTheStepAsked) {
  Graph G = example("convbn");
  for (const char *Stop : {"optimizer", "memory-plan", "codegen"}) {
    StepLog Log;
    backend::CompileOptions O;
    O.Entries = {"train_step"};
    O.Observer = &Log;
    O.StopAfter = Stop;
    Expected<backend::CompiledProgram> P = backend::compile(G, O);
    ASSERT_OK(P.status());
    ASSERT_FALSE(Log.Steps.empty());
    EXPECT_NE(Log.Steps.back().find(Stop), std::string::npos) << Stop;
    ASSERT_EQ(P->Entries.size(), 1u);
    EXPECT_EQ(P->Entries[0].Fn, nullptr);
    EXPECT_TRUE(P->TrainStep.has_value());
  }
}

TEST(Compile, AnUnknownEntryNamesTheOnesThereAre) {
  Graph G = example("xor_mlp");
  backend::CompileOptions O;
  O.Entries = {"predict"};
  Expected<backend::CompiledProgram> P = backend::compile(G, O);
  ASSERT_FALSE(P.ok());
  EXPECT_NE(P.status().message().find("no entry point 'predict' (the model "
                                      "has: infer, train_step)"),
            std::string::npos)
      << P.status().message();
}

TEST(Compile, TrainingSemanticsAreTheEntrysFlag) {
  Graph G = example("convbn");
  backend::CompileOptions O;
  O.StopAfter = "load";
  O.Training = true;
  Expected<backend::CompiledProgram> P = backend::compile(G, O);
  ASSERT_OK(P.status());
  EXPECT_TRUE(P->Entries.at(0).Entry->Training);
  EXPECT_FALSE(G.findEntry("infer")->Training);
}

TEST(Compile, ABuiltTrainStepIsNotBuiltAgain) {
  Expected<backend::TrainingGraph> T =
      backend::buildTrainingGraph(example("xor_mlp"));
  ASSERT_OK(T.status());
  EXPECT_TRUE(T->Graph.findEntry("train_step")->Training);
  Expected<backend::TrainingGraph> Again =
      backend::buildTrainingGraph(T->Graph);
  ASSERT_FALSE(Again.ok());
  EXPECT_NE(Again.status().message().find("built already"), std::string::npos);
  StepLog Log;
  backend::CompileOptions O;
  O.Entries = {"train_step"};
  O.Observer = &Log;
  O.StopAfter = "fuse";
  ASSERT_OK(backend::compile(T->Graph, O).status());
  EXPECT_EQ(Log.Steps, (std::vector<std::string>{"load", "train_step:fuse"}));
}

// The JIT binds each batch size on a copy: the graph it runs keeps the
// shapes it had, and two batch sizes in turn each get their own code.
TEST(Compile, TheJitLeavesItsGraphsShapesAlone) {
  Graph G = example("lenet5");
  std::vector<std::string> Before = shapes(G);
  std::unique_ptr<backend::Engine> E = makeEngine(G, backend::EngineKind::Jit);
  ASSERT_NE(E, nullptr);
  for (int64_t Batch : {5, 2, 5}) {
    Expected<interp::TensorMap> Out =
        E->run("infer", inputsFor(*G.findEntry("infer"), Batch, 7));
    ASSERT_OK(Out.status());
    EXPECT_EQ(Out->begin()->second.Dims[0], Batch);
  }
  EXPECT_EQ(shapes(G), Before);
}

} // namespace
