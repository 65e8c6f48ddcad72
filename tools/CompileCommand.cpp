//===- tools/CompileCommand.cpp - nnc compile -----------------------------===//
#include "backend/Compile.h"
#include "backend/llvm/Aot.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"

#include <cstdio>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec CompileSpec = {
    "compile",
    "MODEL [--aot -o OUT/NAME] [--entry infer,train_step] [--batch N]",
    "Compiles a model's entry points with LLVM at a fixed batch size. With\n"
    "-v, prints each entry's kernels, memory plan (planned / lower bound) and\n"
    "the time of every step of the pipeline (nnc dump --print-after names\n"
    "them). With --aot, writes NAME.o and NAME.h for embedding in C or C++\n"
    "apps (see examples/embed/).",
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
          "write the weights to OUT/NAME.weights instead of the object"},
         {"--ranks", "N",
          "train_step for data-parallel training over N processes: its "
          "gradients are averaged through exec->collective "
          "(runtime/nnc_runtime.h); --batch is each rank's"},
         {"--sync-bn", "",
          "with --ranks: BatchNorm on the global batch's statistics"}},
        CompiledCode | NoFuse | FuseList | VerboseOutput),
    1,
    1};

namespace {

/// The steps' times: "NAME: step 1.2 ms", one line each.
void printSteps(const char *Name,
                const std::vector<std::pair<std::string, double>> &Steps) {
  for (const auto &[Step, Seconds] : Steps)
    std::printf("%s: %s %.1f ms\n", Name, Step.c_str(), Seconds * 1e3);
}

void printReport(const std::string &Entry, const backend::CompileReport &R) {
  std::printf("%s: %zu kernels (%zu fused loops of %zu ops); arena %zu "
              "bytes, planned / lower bound %.3f; persistent %zu bytes\n",
              Entry.c_str(), R.Kernels, R.FusedKernels, R.FusedOps,
              R.ArenaBytes,
              R.LowerBound ? double(R.ArenaBytes) / double(R.LowerBound) : 1.0,
              R.PersistentBytes);
  double Total = 0;
  std::string Steps;
  for (const auto &[Step, Seconds] : R.StepSeconds) {
    char Line[64];
    std::snprintf(Line, sizeof(Line), "%s %.1f ms", Step.c_str(),
                  Seconds * 1e3);
    Steps += (Steps.empty() ? "" : ", ") + std::string(Line);
    Total += Seconds;
  }
  if (!Steps.empty())
    std::printf("  %s; total %.1f ms (linking the kernel library %.1f ms of "
                "optimize)\n",
                Steps.c_str(), Total * 1e3, R.Times.Link * 1e3);
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
  Expected<int64_t> Ranks = A.getInt("--ranks", 1);
  if (!Ranks.ok())
    return Ranks.status();
  if (*Ranks < 1)
    return usageError("nnc compile: --ranks must be >= 1, found ", *Ranks);
  if (A.has("--sync-bn") && *Ranks == 1)
    return usageError("nnc compile: --sync-bn needs --ranks above 1");
  passes::DataParallel Parallel{*Ranks, 1 << 20, A.has("--sync-bn"), *Batch};
  std::vector<std::string> Entries = splitList(A.get("--entry", "infer"));
  if (Entries.empty())
    return usageError("nnc compile: --entry names no entry point");
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();

  if (!A.has("--aot")) {
    // Compile only, as the JIT would, and report.
    backend::CompileOptions O;
    O.Entries = Entries;
    O.Batch = *Batch;
    O.Engine = *EO;
    O.Parallel = Parallel;
    Expected<backend::CompiledProgram> P = backend::compile(*G, O);
    if (!P.ok())
      return P.status().withPrefix(Path);
    if (EO->Verbose) {
      // load, then the train step's steps when one was built.
      printSteps("model", {P->StepSeconds.begin(), P->StepSeconds.begin() + 1});
      printSteps(passes::TrainStepName,
                 {P->StepSeconds.begin() + 1, P->StepSeconds.end()});
    }
    for (const backend::CompiledEntry &E : P->Entries)
      printReport(E.Entry->Name, E.Report);
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
  O.Parallel = Parallel;
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
