//===- backend/Compile.h - The compile pipeline, model to machine code -*- C++
//-*-===//
//
// One function takes a model to native entry points, as a list of named
// steps (compile() in Compile.cpp reads top to bottom):
//
//   load                the model copied, its shapes bound to the batch
//   training-lowering   +
//   regularization      | the train step, when train_step is asked and
//   autodiff            | the model has none yet (passes/TrainStep.h)
//   optimizer           + (and the gradients' mean over ranks)
//   fuse                +
//   liveness            | each entry lowered to kernels over one arena
//   in-place            | (passes/KernelProgram.h)
//   memory-plan         +
//   codegen             the kernels as an LLVM function
//   optimize            the kernel library linked in, LLVM's O3
//   machine-code        native code, loaded into this process
//
// Every step runs through one helper that times it (-v), verifies the
// graph it left (VerifyEach) and shows it to an observer (nnc dump). The
// JIT, nnc compile, dump, info and bench call compile(); the AOT compiler
// runs the same steps per target CPU (Aot.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Engine.h"
#include "backend/llvm/CodeGen.h"
#include "backend/llvm/Jit.h"
#include "passes/KernelProgram.h"
#include "passes/TrainStep.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::backend {

/// compile()'s steps, in order.
inline constexpr const char *CompileSteps[] = {
    "load",     "training-lowering", "regularization",
    "autodiff", "optimizer",         "fuse",
    "liveness", "in-place",          "memory-plan",
    "codegen",  "optimize",          "machine-code"};
/// Whether Step is one of CompileSteps; one of the graph steps, load to
/// optimizer.
bool isCompileStep(std::string_view Step);
bool isGraphStep(std::string_view Step);

struct CompileOptions {
  /// The entry points to compile, by name. train_step is built from the
  /// model's training table unless the model holds a built one (an entry
  /// with the training flag); a model file's own train_step entry only
  /// names the loss's inputs.
  std::vector<std::string> Entries = {"infer"};
  /// false: every entry compiles as the model has it, train_step too (an
  /// engine running the model's entries).
  bool BuildTrainStep = true;
  /// What the shapes are bound to, on the model's copy.
  int64_t Batch = 1;
  /// Whether the copy carries the stored tensors' contents: an object's
  /// weight image is made from them; an engine keeps its own.
  bool CopyStoredData = true;
  /// Training semantics for every entry, not only train_step (nnc run
  /// --training): dropout drops, BatchNorm on the batch's statistics.
  bool Training = false;
  /// A built train_step's BatchNorm: batch statistics (PyTorch's train()),
  /// or the running ones, not moved (eval(); nnc step --bn-mode eval).
  bool BatchStatistics = true;
  /// A built train_step's ranks: with more than one, its gradients are
  /// averaged over them (passes/DataParallel.h), in the optimizer step.
  passes::DataParallel Parallel;
  /// Fusion, threads, target CPU, compile cache, memory limit, numerics
  /// checks and -v. Threads 0: the CPUs this process may use.
  EngineOptions Engine;
  /// Sees what every step left.
  passes::StepObserver *Observer = nullptr;
  /// Verify the graph after every graph step, so that a step that breaks
  /// it is named (with CopyStoredData only).
  bool VerifyEach = false;
  /// The last step to run; "": all of them. The graph steps (load to
  /// optimizer) always all run: naming one stops before the entries'.
  std::string StopAfter;
  /// Where stored tensors live, keyed by the model's values (the JIT
  /// engine's persistent buffer). Default: every stored tensor of the
  /// graph holding train_step, or, for inference entries alone, the ones
  /// they read.
  const PersistentLayout *Layout = nullptr;
};

/// What compiling one entry point produced.
struct CompileReport {
  size_t ArenaBytes = 0, LowerBound = 0, PersistentBytes = 0;
  size_t Kernels = 0, FusedKernels = 0, FusedOps = 0;
  /// Bytes the kernels read and write in memory, each value counted once
  /// per kernel touching it (values a fused kernel keeps in registers are
  /// not): an estimate of the memory traffic of one run.
  size_t TrafficBytes = 0;
  CompileTimes Times;
  /// Each step of this entry and how long it took, in order (-v).
  std::vector<std::pair<std::string, double>> StepSeconds;
  /// One label per kernel: "Conv[64,6,28,28]", "fused Add+Relu[...]".
  std::vector<std::string> Labels;
  /// What the compile cache did, when it is worth saying (-v).
  std::string CacheNote;
};

struct CompiledEntry {
  /// In CompiledProgram::graphOf(*Entry).
  const ir::EntryPoint *Entry = nullptr;
  CompileReport Report;
  /// After machine-code: the entry, callable.
  std::unique_ptr<JitModule> Module;
  nnc_entry_fn Fn = nullptr;
};

struct CompiledProgram {
  /// The model's copy, shapes bound to the batch; inference entries (and
  /// train_step when the model had one) compile from it.
  ir::Graph Inference;
  /// A copy with the train step built, when compile() built one.
  std::optional<ir::Graph> TrainStepGraph;
  std::optional<passes::TrainStep> TrainStep;
  /// The graph-level steps and their seconds (train step building).
  std::vector<std::pair<std::string, double>> StepSeconds;
  /// Stored tensors, keyed by the values of the graph holding train_step
  /// when there is one, else of Inference.
  PersistentLayout Layout;
  std::vector<CompiledEntry> Entries;

  const ir::Graph &graphOf(const ir::EntryPoint &E) const {
    return E.Training && TrainStepGraph ? *TrainStepGraph : Inference;
  }
  const ir::Graph &stateGraph() const {
    return TrainStepGraph ? *TrainStepGraph : Inference;
  }
};

/// Runs compile()'s steps on Model (which is not changed) for O.
Expected<CompiledProgram> compile(const ir::Graph &Model,
                                  const CompileOptions &O);

/// A model's copy with its train step built: compile()'s graph steps
/// alone, for engines that compile its entries as they meet batch sizes
/// (nnc train, step, bench).
struct TrainingGraph {
  ir::Graph Graph;
  passes::TrainStep Step;
};
Expected<TrainingGraph>
buildTrainingGraph(const ir::Graph &Model, bool BatchStatistics = true,
                   const passes::DataParallel &Parallel = {});

/// The steps of one entry from fuse to codegen, as compile() runs them:
/// entry E of G (shapes bound), lowered and emitted into M as FnName over
/// Layout. Obs sees each step. For compilers that put several entries in
/// one module (Aot.cpp).
Status emitEntryCode(const ir::Graph &G, const ir::EntryPoint &E,
                     const EngineOptions &Opts, const PersistentLayout &Layout,
                     llvm::Module &M, const std::string &FnName,
                     Instrumentation Inst, passes::StepObserver *Obs,
                     CompileReport &R);

/// L re-keyed to the values of To with the same names (a graph's copy).
PersistentLayout layoutFor(const PersistentLayout &L, const ir::Graph &To);

} // namespace nnc::backend
