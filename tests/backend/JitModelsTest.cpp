// Every example model compiled by the JIT against the reference interpreter:
// infer, and train_step (forward, backward, optimizer update) with the
// updated parameters and optimizer state compared after two steps. Also on
// a machine-independent CPU target, single-threaded, and unfused. L2
// regularization is on, so its ops are compiled too.
#include "JitTestUtil.h"
#include "backend/llvm/Jit.h"
#include "frontend/ModelIO.h"
#include "passes/TrainStep.h"

using namespace nnc;
using namespace nnc::test;

namespace {

struct Variant {
  const char *Model;
  int64_t Threads;
  const char *Cpu;
  bool Fuse;
};

class JitModels : public ::testing::TestWithParam<Variant> {};

Graph load(const char *Model) {
  Expected<Graph> G = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + Model + ".json");
  EXPECT_TRUE(G.ok()) << G.status().message();
  return G.ok() ? std::move(*G) : Graph();
}

} // namespace

TEST_P(JitModels, InferMatchesTheInterpreter) {
  Variant P = GetParam();
  Graph G = load(P.Model);
  auto Jit = makeEngine(G, backend::EngineKind::Jit, P.Threads, P.Cpu, P.Fuse);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  const EntryPoint *E = G.findEntry("infer");
  ASSERT_NE(E, nullptr);
  for (int64_t Batch : {1, 3, 17})
    expectEnginesAgree(*Jit, *Ref, "infer", inputsFor(*E, Batch, Batch), 1e-5);
}

TEST_P(JitModels, TrainStepMatchesTheInterpreter) {
  Variant P = GetParam();
  Graph G = load(P.Model);
  // Momentum SGD: Adam's first steps are about lr * sign(g), which turns the
  // rounding noise of vanishing gradients (a conv bias before training-mode
  // BatchNorm) into different steps. The update kernels of every optimizer
  // are compared in JitOps.OptimizerUpdates.
  ASSERT_TRUE(G.Training);
  G.Training->Optimizer = OptimizerConfig();
  G.Training->Optimizer.Kind = OptimizerKind::Momentum;
  G.Training->Optimizer.Momentum = 0.9;
  G.Training->L2 = 1e-3;
  auto TS = passes::buildTrainStep(G);
  ASSERT_OK(TS);
  auto Jit = makeEngine(G, backend::EngineKind::Jit, P.Threads, P.Cpu, P.Fuse);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  const EntryPoint *E = G.findEntry("train_step");
  ASSERT_NE(E, nullptr);
  interp::Options Opts;
  Opts.Training = true;
  for (int Step = 1; Step <= 2; ++Step) {
    SCOPED_TRACE("step " + std::to_string(Step));
    interp::TensorMap Feed = inputsFor(*E, 5, uint64_t(Step));
    Feed["train.step"] = tensor({}, {double(Step)});
    Opts.Seed = uint64_t(Step);
    expectEnginesAgree(*Jit, *Ref, "train_step", Feed, 1e-4, Opts);
    // Parameters, optimizer state and running statistics after the step.
    for (const auto &V : G.values()) {
      if (!isStored(V->Kind))
        continue;
      Tensor Want(V->Type.Elt, V->Type.Dims, Ref->read(V.get()));
      Tensor Got(V->Type.Elt, V->Type.Dims, Jit->read(V.get()));
      // A conv bias before training-mode BatchNorm has a gradient that
      // cancels exactly: the oracle's is rounding noise in double, and
      // float rounding noise is what the JIT must give.
      double WantMax = 0, GotMax = 0;
      for (size_t I = 0; I < Want.Data.size(); ++I) {
        WantMax = std::max(WantMax, std::fabs(Want.Data[I]));
        GotMax = std::max(GotMax, std::fabs(Got.Data[I]));
      }
      if (WantMax < 1e-12)
        EXPECT_LT(GotMax, 1e-5) << V->Name << " should vanish";
      else
        EXPECT_LT(relativeError(Got, Want, 1e-3), 1e-4) << V->Name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Examples, JitModels,
    ::testing::Values(
        Variant{"xor_mlp", 2, "", true}, Variant{"lenet5", 2, "", true},
        Variant{"convbn", 2, "", true}, Variant{"alexnet_tiny", 2, "", true},
        Variant{"vgg_tiny", 2, "", true}, Variant{"rbf", 2, "", true},
        Variant{"lstm_fmnist", 2, "", true},
        Variant{"gru_fmnist", 1, "x86-64-v3", true},
        // AVX2-only x86-64 (no AVX-512), one thread, unfused.
        Variant{"lenet5", 1, "x86-64-v3", true},
        Variant{"convbn", 2, "x86-64-v3", false},
        Variant{"lenet5", 1, "", false},
        // SSE4.2 only: no built-in shared kernels fit, the JIT compiles them.
        Variant{"lenet5", 2, "x86-64-v2", true}),
    [](const ::testing::TestParamInfo<Variant> &I) {
      std::string Name = I.param.Model;
      if (*I.param.Cpu)
        Name += "_";
      for (const char *C = I.param.Cpu; *C; ++C)
        Name += *C == '-' ? '_' : *C;
      if (!I.param.Fuse)
        Name += "_unfused";
      return Name + "_" + std::to_string(I.param.Threads) + "threads";
    });

TEST(JitModels, SharedKernelsAreBuiltInForTheLevelsTheyWereBuiltFor) {
  Expected<std::string> V3 = backend::sharedKernelsOrigin({"x86-64-v3"});
  ASSERT_OK(V3);
  EXPECT_EQ(*V3, "x86-64-v3");
  // 512-bit vectors: only the AVX-512 object fits.
  Expected<std::string> V4 = backend::sharedKernelsOrigin({"znver4"});
  ASSERT_OK(V4);
  EXPECT_EQ(*V4, "x86-64-v4");
  Expected<std::string> V2 = backend::sharedKernelsOrigin({"x86-64-v2"});
  ASSERT_OK(V2);
  EXPECT_EQ(*V2, "compiled");
}

TEST(JitModels, UnknownTargetCpuIsAClearError) {
  Graph G = load("xor_mlp");
  backend::EngineOptions O;
  O.TargetCpu = "pentium-9000";
  auto E = backend::createEngine(G, O);
  ASSERT_OK(E);
  const EntryPoint *Entry = G.findEntry("infer");
  auto R = (*E)->run("infer", inputsFor(*Entry, 2, 1));
  ASSERT_FALSE(R.ok());
  EXPECT_NE(R.status().message().find("unknown target CPU 'pentium-9000'"),
            std::string::npos)
      << R.status().message();
}

// At batch 64 a recurrent op's products (each step's, the input projection,
// the weight gradients) run in slices of rows over the threads; each
// element sums in the same order whichever thread computes it, so two
// threads give one thread's bits: outputs, and every stored value after a
// training step.
TEST(JitModels, RecurrentProductsSplitOverThreadsKeepTheBits) {
  for (const char *Model : {"lstm_fmnist", "gru_fmnist"}) {
    SCOPED_TRACE(Model);
    Graph G = load(Model);
    ASSERT_OK(passes::buildTrainStep(G));
    auto One = makeEngine(G, backend::EngineKind::Jit, 1);
    auto Two = makeEngine(G, backend::EngineKind::Jit, 2);
    ASSERT_TRUE(One && Two);
    for (const char *Entry : {"infer", "train_step"}) {
      interp::TensorMap Feed = inputsFor(*G.findEntry(Entry), 64, 3);
      if (Feed.count("train.step"))
        Feed["train.step"] = tensor({}, {1});
      interp::Options O;
      O.Training = std::string(Entry) == "train_step";
      Expected<interp::TensorMap> A = One->run(Entry, Feed, O);
      Expected<interp::TensorMap> B = Two->run(Entry, Feed, O);
      ASSERT_OK(A);
      ASSERT_OK(B);
      for (const auto &[Name, T] : *A)
        EXPECT_EQ(T.Data, B->at(Name).Data) << Entry << ": " << Name;
    }
    for (const auto &V : G.values())
      if (isStored(V->Kind))
        EXPECT_EQ(One->read(V.get()), Two->read(V.get())) << V->Name;
  }
}

class FusedVsUnfused : public ::testing::TestWithParam<const char *> {};

TEST_P(FusedVsUnfused, InferAndTrainStepAgree) {
  // The same model compiled with every fusion and with none: outputs,
  // gradients (through the updated parameters) and optimizer state agree.
  Graph G = load(GetParam());
  Graph T = G.clone();
  // Momentum SGD, as in TrainStepMatchesTheInterpreter: Adam's first step is
  // about lr * sign(g), so two compiles that round a vanishing gradient
  // differently (reassociated sums, Winograd's transforms) would take
  // opposite steps.
  ASSERT_TRUE(T.Training);
  T.Training->Optimizer = OptimizerConfig();
  T.Training->Optimizer.Kind = OptimizerKind::Momentum;
  T.Training->Optimizer.Momentum = 0.9;
  ASSERT_OK(passes::buildTrainStep(T));
  auto Fused = makeEngine(G, backend::EngineKind::Jit, 2, "", true);
  auto Unfused = makeEngine(G, backend::EngineKind::Jit, 2, "", false);
  expectEnginesAgree(*Fused, *Unfused, "infer",
                     inputsFor(*G.findEntry("infer"), 7, 1), 1e-5);
  auto TF = makeEngine(T, backend::EngineKind::Jit, 2, "", true);
  auto TU = makeEngine(T, backend::EngineKind::Jit, 2, "", false);
  interp::TensorMap Feed = inputsFor(*T.findEntry("train_step"), 6, 2);
  Feed["train.step"] = tensor({}, {1});
  interp::Options O;
  O.Training = true;
  O.Seed = 5;
  expectEnginesAgree(*TF, *TU, "train_step", Feed, 1e-4, O);
  // A momentum buffer holds a gradient, and the gradient of a bias before
  // a BatchNorm (convbn's conv1.b) is zero but for the rounding of sums
  // over the batch, about 1e-7 here, which the two compiles order
  // differently: below 1e-2 its values count as zero (1e-6 absolute).
  for (const auto &V : T.values())
    if (isStored(V->Kind)) {
      Tensor A(V->Type.Elt, V->Type.Dims, TF->read(V.get()));
      Tensor B(V->Type.Elt, V->Type.Dims, TU->read(V.get()));
      bool Gradient = V->Name.find("momentum_buffer") != std::string::npos;
      EXPECT_LT(relativeError(A, B, Gradient ? 1e-2 : 1e-3), 1e-4) << V->Name;
    }
}

INSTANTIATE_TEST_SUITE_P(Examples, FusedVsUnfused,
                         ::testing::Values("xor_mlp", "lenet5", "convbn",
                                           "alexnet_tiny", "vgg_tiny", "rbf",
                                           "lstm_fmnist"));

// An app's own buffers: the JIT reads inputs where they lie and writes
// outputs where it is told; the interpreter converts through run(). Both
// give what run() gives.
TEST(JitModels, RunInPlaceReadsTheCallersMemory) {
  Graph G = load("lenet5");
  const EntryPoint *E = G.findEntry("infer");
  ASSERT_NE(E, nullptr);
  backend::TensorMap In = inputsFor(*E, 5, 7);
  for (double &X : In.at("image").Data)
    X = float(X); // what a float32 buffer can hold
  for (backend::EngineKind Kind :
       {backend::EngineKind::Jit, backend::EngineKind::Interp}) {
    auto Engine = makeEngine(G, Kind);
    ASSERT_TRUE(Engine);
    Expected<backend::TensorMap> Want = Engine->run("infer", In);
    ASSERT_OK(Want);
    const backend::Tensor &Image = In.at("image");
    std::vector<float> Pixels(Image.Data.begin(), Image.Data.end());
    backend::TensorViewMap Views{
        {"image", {DType::F32, Image.Dims, Pixels.data()}}};
    std::map<std::string, std::vector<float>> Out;
    auto Allocate = [&](const std::string &Name, DType Elt,
                        const Shape &Dims) -> void * {
      EXPECT_EQ(Elt, DType::F32);
      Out[Name].resize(size_t(numElements(Dims)));
      return Out[Name].data();
    };
    auto Read = Engine->runInPlace("infer", Views, Allocate);
    ASSERT_OK(Read);
    EXPECT_EQ(Read->at("image") == Pixels.data(),
              Kind == backend::EngineKind::Jit);
    ASSERT_EQ(Out.size(), Want->size());
    for (const auto &[Name, T] : *Want)
      for (int64_t I = 0; I < T.numElements(); ++I)
        ASSERT_EQ(Out.at(Name)[size_t(I)], float(T[I]))
            << Name << "[" << I << "]";
    backend::TensorViewMap Wrong{
        {"image", {DType::F32, {5, 28, 28}, Pixels.data()}}};
    auto Bad = Engine->runInPlace("infer", Wrong, Allocate);
    ASSERT_FALSE(Bad.ok());
    EXPECT_NE(Bad.status().message().find("has shape"), std::string::npos)
        << Bad.status().message();
  }
}
