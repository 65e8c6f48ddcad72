//===- tools/DumpCommand.cpp - nnc dump -----------------------------------===//
#include "backend/llvm/KernelParams.h"
#include "frontend/ModelIO.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/KernelProgram.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"

#include <algorithm>
#include <iostream>
#include <string_view>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec DumpSpec = {
    "dump",
    "MODEL [--dot] [--batch N] [--print-after STEP] [--entry NAME]",
    "Prints a model's IR as text, or as a Graphviz graph with --dot, after a\n"
    "step of the pipeline: load (the model as read; default); the train\n"
    "step's training-lowering (Dropout, BatchNorm), regularization,\n"
    "autodiff and optimizer (train-step: the same); fuse (the kernel\n"
    "program of --entry: which ops run as one kernel; with --dot, fused\n"
    "kernels are shaded clusters); or all.",
    withEngineOptions(
        {{"--dot", "", "print Graphviz DOT instead of IR text"},
         {"--batch", "N",
          "bind the batch dimension to N for the shapes shown (default 1)"},
         {"--print-after", "STEP",
          "load, training-lowering, regularization, autodiff, optimizer "
          "(or train-step), fuse or all"},
         {"--entry", "NAME",
          "entry point for fuse (default: infer, or train_step after "
          "train-step)"},
         {"--training", "",
          "training semantics for fuse (nnc run --training)"}},
        NoFuse | FuseList),
    1,
    1};

namespace {

void printKernels(const Graph &G, const EntryPoint &E,
                  const passes::KernelProgram &P) {
  std::cout << "kernel program of '" << E.Name << "' (" << P.Kernels.size()
            << " kernels; arena " << P.Plan.ArenaBytes
            << " bytes, planned / lower bound " << P.Plan.ratio() << ")\n";
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    const passes::Kernel &Kn = P.Kernels[K];
    std::string Ops, Names;
    for (const Node *N : Kn.Nodes) {
      Ops += (Ops.empty() ? "" : "+") + std::string(N->opName());
      Names += (Names.empty() ? "" : ", ") + N->Name;
    }
    const char *Kind = Kn.Fused              ? "fused loop"
                       : Kn.Nodes.size() > 1 ? "fused kernel"
                                             : "kernel";
    // What the kernel leaves in memory (a fused kernel may store more than
    // its last op's result: a BatchNorm's activation before the pooling).
    std::string Stored;
    for (const Value *V : Kn.Fused ? Kn.Writes : Kn.Outputs)
      Stored += (Stored.empty() ? "" : ", ") + V->Name + " " + V->Type.str();
    std::cout << "  " << K << ": " << Kind << " " << Ops << " [" << Names
              << "] -> " << Stored << "\n";
  }
}

/// The steps --print-after names, in pipeline order: the model as loaded,
/// the train step's steps, then the kernel program.
std::vector<std::string> dumpSteps() {
  std::vector<std::string> Steps = {"load"};
  Steps.insert(Steps.end(), std::begin(passes::TrainStepSteps),
               std::end(passes::TrainStepSteps));
  Steps.push_back("fuse");
  return Steps;
}

/// Prints the graph after the step asked for (every step: "all").
class GraphPrinter : public passes::StepObserver {
public:
  GraphPrinter(std::string After, bool Dot)
      : After(std::move(After)), Dot(Dot) {}
  bool wants(std::string_view Step) const {
    return After == "all" || After == Step;
  }
  Status after(std::string_view Step, const Graph &G) override {
    if (!wants(Step))
      return Status::success();
    if (After == "all" && !Dot)
      std::cout << "// after " << Step << "\n";
    if (Dot)
      printDot(G, std::cout);
    else
      printGraph(G, std::cout);
    return Status::success();
  }

private:
  std::string After;
  bool Dot;
};

} // namespace

Status runDump(const Args &A) {
  Expected<Graph> G = frontend::loadModel(A.positional()[0]);
  if (!G.ok())
    return G.status();
  Expected<int64_t> Batch = A.getInt("--batch", 1);
  if (!Batch.ok())
    return Batch.status();
  std::vector<std::string> Steps = dumpSteps();
  std::string After = A.get("--print-after", "load");
  if (After == "train-step") // the whole train step, as before the steps
    After = Steps[Steps.size() - 2];
  if (After != "all" &&
      std::find(Steps.begin(), Steps.end(), After) == Steps.end()) {
    std::string Known;
    for (const std::string &S : Steps)
      Known += S + ", ";
    return usageError("nnc dump: --print-after must be ", Known,
                      "train-step or all, found '", After, "'");
  }
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc dump");
  bool Dot = A.has("--dot");
  GraphPrinter Printer(After, Dot);
  NNC_TRY(inferShapes(*G, *Batch));
  NNC_TRY(Printer.after("load", *G));
  std::string Entry = A.get("--entry", "infer");
  bool TrainStepAsked = After == "all" ||
                        (After != "load" && After != "fuse") ||
                        (After == "fuse" && Entry == passes::TrainStepName);
  if (TrainStepAsked) {
    Expected<passes::TrainStep> TS =
        passes::buildTrainStep(*G, /*BatchStatistics=*/true, &Printer);
    if (!TS.ok())
      return TS.status();
    NNC_TRY(inferShapes(*G, *Batch));
    if (!A.has("--entry"))
      Entry = passes::TrainStepName;
  }
  if (!Printer.wants("fuse"))
    return Status::success();
  const EntryPoint *E = G->findEntry(Entry);
  if (!E)
    return usageError("nnc dump: no entry point '", Entry, "'", entryNames(*G));
  bool Training = A.has("--training") || E->Training;
  passes::KernelProgram P =
      passes::lowerToKernels(*G, *E, backend::loweringOptions(*EO, Training));
  if (!Dot) {
    if (After == "all")
      std::cout << "// after fuse\n";
    printKernels(*G, *E, P);
    return Status::success();
  }
  std::vector<std::vector<const Node *>> Groups;
  for (const passes::Kernel &K : P.Kernels)
    Groups.push_back(K.Nodes);
  printDot(*G, std::cout, &Groups);
  return Status::success();
}

} // namespace nnc::tools
