//===- tools/DumpCommand.cpp - nnc dump -----------------------------------===//
#include "backend/Compile.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "ir/Printer.h"
#include "passes/KernelPrinter.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string_view>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec DumpSpec = {
    "dump",
    "MODEL [--dot] [--batch N] [--print-after STEP] [--entry NAME] [-o DIR]",
    "Prints a model after a step of the compile pipeline: load (the model as\n"
    "read, shapes bound; default); the train step's training-lowering\n"
    "(Dropout, BatchNorm), regularization, autodiff and optimizer "
    "(train-step:\n"
    "the same); the kernel program of --entry after fuse (which ops run as\n"
    "one kernel), liveness, in-place and memory-plan (arena offsets); its\n"
    "LLVM IR after codegen and optimize; its assembly after machine-code; or\n"
    "all. Graphs and kernel programs print as IR text or, with --dot, as\n"
    "Graphviz (fused kernels are shaded clusters). With -o DIR each step\n"
    "shown goes to a file of its own, DIR/NN-STEP.txt, .dot, .ll or .s.",
    withEngineOptions(
        {{"--dot", "", "print Graphviz DOT instead of IR text"},
         {"--batch", "N",
          "bind the batch dimension to N for the shapes shown (default 1)"},
         {"--print-after", "STEP",
          "a step of the pipeline (nnc compile -v lists them), train-step or "
          "all"},
         {"--entry", "NAME",
          "entry point for the steps from fuse on (default: infer, or "
          "train_step after the train step's steps and for all when the "
          "model trains)"},
         {"--training", "",
          "training semantics for --entry (nnc run --training)"},
         {"-o", "DIR", "write one file per step shown into DIR"}},
        NoFuse | FuseList),
    1,
    1};

namespace {

bool isTrainStepStep(std::string_view Step) {
  return std::find(std::begin(passes::TrainStepSteps),
                   std::end(passes::TrainStepSteps),
                   Step) != std::end(passes::TrainStepSteps);
}

/// Prints what the step asked for left (every step: "all"), to stdout or
/// to one file per step.
class StepPrinter : public passes::StepObserver {
public:
  StepPrinter(std::string After, bool Dot, std::string Dir)
      : After(std::move(After)), Dot(Dot), Dir(std::move(Dir)) {}
  Status after(std::string_view Step, const passes::StepResult &R) override {
    if (After != "all" && After != Step)
      return Status::success();
    std::ostringstream OS;
    const char *Ext = print(Step, R, OS);
    if (!Dir.empty()) {
      char Name[96];
      std::snprintf(Name, sizeof(Name), "%02d-%.*s.%s", ++Shown,
                    int(Step.size()), Step.data(), Ext);
      return frontend::writeFileAtomically(Dir + "/" + Name, OS.str());
    }
    if (After == "all" && !Dot)
      std::cout << "// after " << Step << "\n";
    std::cout << OS.str();
    return Status::success();
  }

private:
  /// Writes R as the step's kind of result; returns the file extension.
  const char *print(std::string_view Step, const passes::StepResult &R,
                    std::ostream &OS) const {
    if (R.Code) { // whatever --dot says: code is text
      R.Code(OS);
      return Step == "machine-code" ? "s" : "ll";
    }
    if (R.Kernels) {
      if (!Dot) {
        printKernelProgram(*R.Entry, *R.Kernels, OS);
        return "txt";
      }
      std::vector<std::vector<const ir::Node *>> Groups;
      for (const passes::Kernel &K : R.Kernels->Kernels)
        Groups.push_back(K.Nodes);
      printDot(R.Graph, OS, &Groups);
      return "dot";
    }
    if (Dot)
      printDot(R.Graph, OS);
    else
      printGraph(R.Graph, OS);
    return Dot ? "dot" : "txt";
  }
  std::string After;
  bool Dot;
  std::string Dir;
  int Shown = 0;
};

} // namespace

Status runDump(const Args &A) {
  Expected<Graph> G = frontend::loadModel(A.positional()[0]);
  if (!G.ok())
    return G.status();
  Expected<int64_t> Batch = A.getInt("--batch", 1);
  if (!Batch.ok())
    return Batch.status();
  std::string After = A.get("--print-after", "load");
  if (After == "train-step") // the whole train step, as before the steps
    After = "optimizer";
  if (After != "all" && !backend::isCompileStep(After)) {
    std::string Known;
    for (const char *S : backend::CompileSteps)
      Known += std::string(S) + ", ";
    return usageError("nnc dump: --print-after must be ", Known,
                      "train-step or all, found '", After, "'");
  }
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc dump");
  std::string Dir = A.get("-o", "");
  if (!Dir.empty()) {
    std::error_code EC;
    std::filesystem::create_directories(Dir, EC);
    if (EC)
      return error("nnc dump: cannot create ", Dir, ": ", EC.message());
  }
  bool Trains = G->Training && G->Training->Loss;
  std::string Entry =
      A.get("--entry", isTrainStepStep(After) || (After == "all" && Trains)
                           ? passes::TrainStepName
                           : "infer");
  backend::CompileOptions O;
  O.Entries = {Entry};
  if (isTrainStepStep(After) && Entry != passes::TrainStepName)
    O.Entries.push_back(passes::TrainStepName); // the steps asked for
  O.Batch = *Batch;
  O.Training = A.has("--training");
  O.Engine = *EO;
  O.Engine.CacheDir.clear(); // every step runs, to be shown
  O.StopAfter = After == "all" ? "" : After;
  StepPrinter Printer(After, A.has("--dot"), Dir);
  O.Observer = &Printer;
  Expected<backend::CompiledProgram> P = backend::compile(*G, O);
  if (!P.ok())
    return P.status().withPrefix(A.positional()[0]);
  return Status::success();
}

} // namespace nnc::tools
