//===- tools/CompileCommand.cpp - nnc compile -----------------------------===//
#include "backend/llvm/Aot.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "passes/EntryGraphs.h"
#include "passes/TrainStep.h"
#include "runtime/ThreadPool.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string_view>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec CompileSpec = {
    "compile",
    "MODEL [--aot -o OUT/NAME] [--entry infer,train_step] [--batch N]",
    "Compiles a model's entry points with LLVM at a fixed batch size. With\n"
    "-v, prints each entry's kernels, memory plan (planned / lower bound) and\n"
    "the time of every step: the train step's (training lowering,\n"
    "regularization, autodiff, optimizer), lowering, IR emission, linking\n"
    "the kernel library, optimization and machine code. With --aot, writes "
    "NAME.o and\n"
    "NAME.h for embedding in C or C++ apps (see examples/embed/).",
    withEngineOptions(
        {{"--aot", "", "write an object file and a C header"},
         {"-o", "OUT/NAME", "output path without extension (--aot)"},
         {"--entry", "LIST",
          "entry points, comma-separated (default: infer); train_step is "
          "built from the training table"},
         {"--batch", "N", "batch size compiled for (default 1)"},
         {"--prefix", "NAME",
          "prefix of every exported symbol (default: NAME of -o)"},
         {"--weights-file", "",
          "write the weights to OUT/NAME.weights instead of the object"}},
        CompiledCode | NoFuse | FuseList | VerboseOutput),
    1,
    1};

namespace {

/// -v: the time of each step of the train step, printed as it ends.
class StepTimer : public passes::StepObserver {
public:
  void started() override { Last = std::chrono::steady_clock::now(); }
  Status after(std::string_view Step, const Graph &) override {
    auto Now = std::chrono::steady_clock::now();
    std::printf("%s: %.*s %.1f ms\n", passes::TrainStepName, int(Step.size()),
                Step.data(),
                std::chrono::duration<double>(Now - Last).count() * 1e3);
    Last = Now;
    return Status::success();
  }

private:
  std::chrono::steady_clock::time_point Last = std::chrono::steady_clock::now();
};

void printReport(const std::string &Entry, const backend::CompileReport &R) {
  std::printf("%s: %zu kernels (%zu fused loops of %zu ops); arena %zu "
              "bytes, planned / lower bound %.3f; persistent %zu bytes\n",
              Entry.c_str(), R.Kernels, R.FusedKernels, R.FusedOps,
              R.ArenaBytes,
              R.LowerBound ? double(R.ArenaBytes) / double(R.LowerBound) : 1.0,
              R.PersistentBytes);
  const backend::CompileTimes &T = R.Times;
  std::printf("  lower %.1f ms, emit IR %.1f ms, link kernels %.1f ms, "
              "optimize %.1f ms, machine code %.1f ms; total %.1f ms\n",
              T.Lower * 1e3, T.Emit * 1e3, T.Link * 1e3, T.Optimize * 1e3,
              T.Machine * 1e3,
              (T.Lower + T.Emit + T.Link + T.Optimize + T.Machine) * 1e3);
  if (!R.CacheNote.empty())
    std::printf("  %s\n", R.CacheNote.c_str());
}

} // namespace

Status runCompile(const Args &A) {
  const std::string &Path = A.positional()[0];
  Expected<backend::EngineOptions> EO =
      engineOptions(A, /*CpuListAllowed=*/A.has("--aot"));
  if (!EO.ok())
    return EO.status().withPrefix("nnc compile");
  Expected<int64_t> Batch = A.getInt("--batch", 1);
  if (!Batch.ok())
    return Batch.status();
  std::vector<std::string> Entries = splitList(A.get("--entry", "infer"));
  if (Entries.empty())
    return usageError("nnc compile: --entry names no entry point");
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();

  if (!A.has("--aot")) {
    // Compile only, as the JIT would, and report.
    StepTimer Timer;
    Expected<passes::EntryGraphs> EG = passes::prepareEntries(
        *G, Entries, *Batch, EO->Verbose ? &Timer : nullptr);
    if (!EG.ok())
      return EG.status().withPrefix(Path);
    for (const passes::EntryToCompile &E : EG->Entries) {
      backend::CompileReport R;
      backend::EngineOptions O = *EO;
      if (O.Threads == 0)
        O.Threads = runtime::availableCpus();
      NNC_TRY(
          backend::compileOnly(EG->graphOf(E, *G), *E.Entry, O, E.Training, R)
              .withPrefix(Path));
      printReport(E.Entry->Name, R);
    }
    return Status::success();
  }

  if (!A.has("-o"))
    return usageError("nnc compile --aot: -o OUT/NAME is required");
  std::string Out = A.get("-o");
  std::string Base = Out.substr(Out.find_last_of('/') + 1);
  backend::AotOptions O;
  O.Prefix = A.get("--prefix", Base);
  O.Entries = Entries;
  O.Batch = *Batch;
  O.Engine = *EO;
  O.WeightsInFile = A.has("--weights-file");
  O.Source = Path;
  Expected<backend::AotResult> R = backend::compileAot(*G, O);
  if (!R.ok())
    return R.status().withPrefix(Path);
  NNC_TRY(frontend::writeFileAtomically(Out + ".o", R->Object.data(),
                                        R->Object.size()));
  if (O.WeightsInFile)
    NNC_TRY(frontend::writeFileAtomically(Out + ".weights", R->Weights.data(),
                                          R->Weights.size()));
  NNC_TRY(frontend::writeFileAtomically(Out + ".h", R->Header));
  if (EO->Verbose)
    for (const auto &[Name, Rep] : R->Reports)
      printReport(Name, Rep);
  std::printf("wrote %s.o (%zu bytes) and %s.h%s\n", Out.c_str(),
              R->Object.size(), Out.c_str(),
              O.WeightsInFile ? (" and " + Out + ".weights").c_str() : "");
  return Status::success();
}

} // namespace nnc::tools
