//===- tools/OnnxTestCommand.cpp - nnc onnx-test --------------------------===//
//
// Runs ONNX backend test folders: model.onnx and test_data_set_*/ with
// input_*.pb and output_*.pb, comparing as ONNX's runner does
// (|got - want| <= atol + rtol |want|, rtol 1e-3, atol 1e-7).
//
//===----------------------------------------------------------------------===//
#include "backend/Engine.h"
#include "backend/interp/Interpreter.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"
#include "ir/Initializers.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace nnc::tools {

using namespace nnc::ir;
namespace fs = std::filesystem;

const CommandSpec OnnxTestSpec = {
    "onnx-test",
    "DIR...",
    "Runs ONNX backend test folders (or folders of them), compiled by the JIT\n"
    "(--engine interp: on the reference interpreter), and prints 'N passed,\n"
    "N failed, N skipped', with the reason for every skip (an unsupported op,\n"
    "attribute or data type) and failure. Exits 1 if any test failed.",
    withEngineOptions(
        {{"--quiet", "", "print only failures, skips and the summary"}}),
    1,
    1 << 20};

namespace {

enum class Outcome { Pass, Fail, Skip };

std::vector<fs::path> sorted(const fs::path &Dir, const std::string &Prefix) {
  std::vector<fs::path> Out;
  std::error_code EC;
  for (const auto &E : fs::directory_iterator(Dir, EC))
    if (E.path().filename().string().rfind(Prefix, 0) == 0)
      Out.push_back(E.path());
  std::sort(Out.begin(), Out.end(), [](const fs::path &A, const fs::path &B) {
    // input_10.pb after input_9.pb
    std::string SA = A.filename().string(), SB = B.filename().string();
    return SA.size() != SB.size() ? SA.size() < SB.size() : SA < SB;
  });
  return Out;
}

/// Data types the compiled backend does not handle are skips, named.
bool unsupportedByBackend(const std::string &Why) {
  return Why.find("compiled backend does not support") != std::string::npos ||
         Why.find("not supported by the compiled backend") != std::string::npos;
}

/// Tests whose data contradict their own model or cannot be reproduced,
/// each with the reason.
const char *knownInconsistent(const std::string &Test) {
  // onnx/backend/test/case/node/adam.py computes the expected outputs with
  // epsilon = 1e-2 but builds the node without it (the default is 0).
  if (Test == "test_adam_multiple")
    return "its expected outputs use epsilon=1e-2, its model leaves epsilon "
           "at the default 0 (an error in ONNX's test generator)";
  // A training-mode Dropout draws its mask from NumPy's generator.
  if (Test.starts_with("test_training_dropout") &&
      Test.find("zero_ratio") == std::string::npos)
    return "its expected outputs depend on NumPy's random generator "
           "(training-mode Dropout)";
  return nullptr;
}

/// Imports the model (with the values of inputs that fix shapes bound)
/// and compiles it.
Outcome compile(const std::vector<uint8_t> &Bytes, const std::string &Path,
                const frontend::OnnxBindings &Bind,
                const backend::EngineOptions &EO, std::string &Why,
                std::optional<Graph> &G,
                std::unique_ptr<backend::Engine> &Engine) {
  Engine.reset(); // it may refer to the graph replaced below
  Expected<Graph> Imported = frontend::importOnnx(Bytes, Path, Bind);
  if (!Imported.ok()) {
    Why = Imported.status().message();
    // Skips: constructs the importer names as unsupported, and data types
    // nnc does not compute in (integer arithmetic).
    bool Unsupported = Why.find("unsupported") != std::string::npos ||
                       Why.find("not supported") != std::string::npos ||
                       Why.find("must be f32 or f64") != std::string::npos;
    return Unsupported ? Outcome::Skip : Outcome::Fail;
  }
  G = std::move(*Imported);
  Expected<std::unique_ptr<backend::Engine>> I = backend::createEngine(*G, EO);
  if (!I.ok()) {
    Why = I.status().message();
    return unsupportedByBackend(Why) ? Outcome::Skip : Outcome::Fail;
  }
  Engine = std::move(*I);
  return Outcome::Pass;
}

Outcome runCase(const fs::path &Dir, const backend::EngineOptions &EO,
                std::string &Why) {
  if (const char *Reason = knownInconsistent(Dir.filename().string())) {
    Why = Reason;
    return Outcome::Skip;
  }
  std::string Path = (Dir / "model.onnx").string();
  Expected<std::vector<uint8_t>> Bytes = frontend::readFile(Path);
  Expected<std::vector<frontend::OnnxGraphInput>> Ins =
      Bytes.ok()
          ? frontend::onnxGraphInputs(*Bytes, Path)
          : Expected<std::vector<frontend::OnnxGraphInput>>(Bytes.status());
  if (!Ins.ok()) {
    Why = Ins.status().message();
    return Outcome::Fail;
  }
  // Static inputs (a Reshape's shape, Clip's bounds) are bound per data set at
  // import, as a user binds them with nnc import --bind; the others are
  // fed at run time.
  bool Binds = std::any_of(Ins->begin(), Ins->end(),
                           [](const auto &I) { return I.Static; });
  std::optional<Graph> G;
  std::unique_ptr<backend::Engine> Engine;
  if (!Binds)
    if (Outcome O = compile(*Bytes, Path, {}, EO, Why, G, Engine);
        O != Outcome::Pass)
      return O;
  std::vector<fs::path> Sets = sorted(Dir, "test_data_set_");
  if (Sets.empty()) {
    Why = "no test_data_set_* folder";
    return Outcome::Fail;
  }
  for (const fs::path &Set : Sets) {
    backend::TensorMap Feed;
    frontend::OnnxBindings Bind;
    std::vector<fs::path> Inputs = sorted(Set, "input_");
    for (size_t K = 0; K < Inputs.size() && K < Ins->size(); ++K) {
      Expected<frontend::OnnxTensor> T = frontend::readOnnxTensor(Inputs[K]);
      if (!T.ok()) {
        Why = T.status().message();
        return Why.find("not supported") != std::string::npos ? Outcome::Skip
                                                              : Outcome::Fail;
      }
      const frontend::OnnxGraphInput &In = (*Ins)[K];
      if (In.Static)
        Bind[In.Name] = std::move(*T);
      else
        Feed[In.Name] =
            backend::Tensor(T->Elt, T->Dims, decode(T->Raw, T->Elt));
    }
    if (Binds)
      if (Outcome O = compile(*Bytes, Path, Bind, EO, Why, G, Engine);
          O != Outcome::Pass)
        return O;
    const EntryPoint &E = G->EntryPoints.front();
    Expected<backend::TensorMap> Out = Engine->run("infer", Feed);
    if (!Out.ok()) {
      Why = Out.status().message();
      return unsupportedByBackend(Why) ? Outcome::Skip : Outcome::Fail;
    }
    std::vector<fs::path> Wants = sorted(Set, "output_");
    for (size_t K = 0; K < Wants.size() && K < E.Outputs.size(); ++K) {
      Expected<frontend::OnnxTensor> W = frontend::readOnnxTensor(Wants[K]);
      if (!W.ok()) {
        Why = W.status().message();
        return Outcome::Fail;
      }
      const backend::Tensor &Got = Out->at(E.Outputs[K]->Name);
      std::vector<double> Want = decode(W->Raw, W->Elt);
      if (Got.Dims != W->Dims &&
          numElements(Got.Dims) != numElements(W->Dims)) {
        Why = "output " + std::to_string(K) + " has shape " +
              shapeString(Got.Dims) + ", expected " + shapeString(W->Dims);
        return Outcome::Fail;
      }
      for (size_t J = 0; J < Want.size(); ++J) {
        // Results come as double; compare at the output's precision.
        double G2 =
            W->Elt == DType::F32 ? double(float(Got.Data[J])) : Got.Data[J];
        bool BothNan = std::isnan(G2) && std::isnan(Want[J]);
        if (!BothNan &&
            !(std::fabs(G2 - Want[J]) <= 1e-7 + 1e-3 * std::fabs(Want[J]))) {
          Why = Set.filename().string() + ": output " + std::to_string(K) +
                " element " + std::to_string(J) + " is " + std::to_string(G2) +
                ", expected " + std::to_string(Want[J]);
          return Outcome::Fail;
        }
      }
    }
  }
  return Outcome::Pass;
}

void collect(const fs::path &P, std::vector<fs::path> &Cases) {
  if (fs::exists(P / "model.onnx")) {
    Cases.push_back(P);
    return;
  }
  std::vector<fs::path> Subs;
  std::error_code EC;
  for (const auto &E : fs::directory_iterator(P, EC))
    if (E.is_directory())
      Subs.push_back(E.path());
  std::sort(Subs.begin(), Subs.end());
  for (const fs::path &S : Subs)
    collect(S, Cases);
}

} // namespace

Status runOnnxTest(const Args &A) {
  std::vector<fs::path> Cases;
  for (const std::string &P : A.positional()) {
    if (!fs::is_directory(P))
      return error(P, ": not a directory");
    collect(P, Cases);
  }
  bool Quiet = A.has("--quiet");
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc onnx-test");
  if (EO->Threads == 0)
    EO->Threads = 1; // small graphs: threads cost more than they give
  int Passed = 0, Failed = 0, Skipped = 0;
  for (const fs::path &Dir : Cases) {
    std::string Why;
    Outcome O = runCase(Dir, *EO, Why);
    std::string Name = Dir.filename().string();
    if (O == Outcome::Pass) {
      ++Passed;
      if (!Quiet)
        std::printf("PASS %s\n", Name.c_str());
    } else {
      ++(O == Outcome::Fail ? Failed : Skipped);
      std::printf("%s %s: %s\n", O == Outcome::Fail ? "FAIL" : "SKIP",
                  Name.c_str(), Why.c_str());
    }
  }
  std::printf("%d passed, %d failed, %d skipped\n", Passed, Failed, Skipped);
  if (Failed)
    return error(Failed, " ONNX test", Failed > 1 ? "s" : "", " failed");
  return Status::success();
}

} // namespace nnc::tools
