// The example models' outputs, bit for bit, against references stored in
// tests/data/golden_outputs.txt: infer, and two train_step updates, on the
// JIT (fused and unfused, one thread, an AVX2 target, so any x86-64 machine
// with AVX2 computes the same bits) and on the reference interpreter.
// Refactorings that must not change results (the op table, the kernel
// interface, the compile pipeline) are checked by this test. After a change
// that is meant to change results, regenerate the file with
//   NNC_UPDATE_GOLDEN=1 build/tests/nnc_tests --gtest_filter='Golden*'
// and say why in the commit.
#include "JitTestUtil.h"
#include "frontend/ModelIO.h"
#include "passes/TrainStep.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using namespace nnc;
using namespace nnc::test;

namespace {

const std::string GoldenPath =
    std::string(NNC_SOURCE_DIR) + "/tests/data/golden_outputs.txt";

/// FNV-1a over the values as the engine computed them: f32 bits for the
/// JIT, f64 bits for the interpreter.
uint64_t fingerprint(const std::vector<double> &Data, bool AsFloat) {
  uint64_t H = 0xcbf29ce484222325ULL;
  auto Mix = [&H](const void *P, size_t N) {
    for (size_t I = 0; I < N; ++I)
      H = (H ^ static_cast<const unsigned char *>(P)[I]) * 0x100000001b3ULL;
  };
  for (double X : Data) {
    if (AsFloat) {
      float F = float(X);
      Mix(&F, sizeof F);
    } else {
      Mix(&X, sizeof X);
    }
  }
  return H;
}

/// inputsFor's, with weight decay.
interp::TensorMap feed(const EntryPoint &E, int64_t Batch, uint64_t Seed) {
  interp::TensorMap In = inputsFor(E, Batch, Seed);
  if (In.count("train.weight_decay"))
    In["train.weight_decay"] = tensor({}, {1e-4});
  return In;
}

struct Engine {
  const char *Name;
  backend::EngineKind Kind;
  bool Fuse;
};
const Engine Engines[] = {{"jit", backend::EngineKind::Jit, true},
                          {"jit-unfused", backend::EngineKind::Jit, false},
                          {"interp", backend::EngineKind::Interp, true}};

/// "model engine entry tensor" -> fingerprint, for every output of infer
/// and of two train steps, and every stored tensor after them.
void fingerprintModel(const std::string &Model,
                      std::map<std::string, uint64_t> &Out) {
  Expected<Graph> Loaded = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + Model + ".json");
  ASSERT_OK(Loaded);
  Graph &G = *Loaded;
  ASSERT_TRUE(G.Training);
  G.Training->L2 = 1e-3;
  ASSERT_OK(passes::buildTrainStep(G));
  for (const Engine &En : Engines) {
    std::string Key = Model + " " + En.Name + " ";
    bool AsFloat = En.Kind == backend::EngineKind::Jit;
    auto E = makeEngine(G, En.Kind, 1, "x86-64-v3", En.Fuse);
    ASSERT_TRUE(E);
    auto Infer = E->run("infer", feed(*G.findEntry("infer"), 3, 11));
    ASSERT_OK(Infer);
    for (const auto &[Name, T] : *Infer)
      Out[Key + "infer " + Name] = fingerprint(T.Data, AsFloat);
    interp::Options Opts;
    Opts.Training = true;
    for (int Step = 1; Step <= 2; ++Step) {
      interp::TensorMap In = feed(*G.findEntry("train_step"), 2, 20 + Step);
      In["train.step"] = tensor({}, {double(Step)});
      Opts.Seed = uint64_t(Step);
      auto R = E->run("train_step", In, Opts);
      ASSERT_OK(R);
      for (const auto &[Name, T] : *R)
        Out[Key + "train_step" + std::to_string(Step) + " " + Name] =
            fingerprint(T.Data, AsFloat);
    }
    for (const auto &V : G.values())
      if (isStored(V->Kind))
        Out[Key + "stored " + V->Name] = fingerprint(E->read(V.get()), AsFloat);
  }
}

std::map<std::string, uint64_t> readGolden() {
  std::map<std::string, uint64_t> M;
  std::ifstream In(GoldenPath);
  std::string Line;
  while (std::getline(In, Line)) {
    if (Line.empty() || Line[0] == '#')
      continue;
    size_t Sp = Line.rfind(' ');
    M[Line.substr(0, Sp)] = std::stoull(Line.substr(Sp + 1), nullptr, 16);
  }
  return M;
}

} // namespace

TEST(Golden, ExampleModelsComputeTheStoredBits) {
  std::map<std::string, uint64_t> Got;
  for (const char *Model :
       {"xor_mlp", "lenet5", "convbn", "alexnet_tiny", "vgg_tiny", "rbf"})
    fingerprintModel(Model, Got);
  if (const char *U = std::getenv("NNC_UPDATE_GOLDEN"); U && *U == '1') {
    std::ofstream F(GoldenPath);
    F << "# model engine entry tensor -> FNV-1a of its values "
         "(tests/backend/GoldenOutputsTest.cpp)\n";
    for (const auto &[Key, H] : Got) {
      char Hex[17];
      std::snprintf(Hex, sizeof Hex, "%016llx", (unsigned long long)H);
      F << Key << ' ' << Hex << '\n';
    }
    ASSERT_TRUE(F.good()) << GoldenPath;
    GTEST_SKIP() << "rewrote " << GoldenPath;
  }
  std::map<std::string, uint64_t> Want = readGolden();
  ASSERT_FALSE(Want.empty()) << GoldenPath << " is missing or empty";
  EXPECT_EQ(Got.size(), Want.size());
  for (const auto &[Key, H] : Want) {
    auto It = Got.find(Key);
    if (It == Got.end())
      ADD_FAILURE() << Key << ": no longer computed";
    else
      EXPECT_EQ(It->second, H) << Key << ": the bits changed";
  }
}
