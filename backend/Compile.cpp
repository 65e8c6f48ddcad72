//===- backend/Compile.cpp - The compile pipeline
//--------------------------===//
#include "backend/Compile.h"

#include "backend/llvm/CompileCache.h"
#include "backend/llvm/KernelParams.h"
#include "ir/Verifier.h"
#include "runtime/ThreadPool.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_os_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <ostream>
#include <set>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point T) {
  return std::chrono::duration<double>(Clock::now() - T).count();
}

/// The helper every step runs through: it times the step, verifies the
/// graph a graph step left (on a copy: verifying canonicalizes), shows
/// the step to the caller's observer, and notes when StopAfter has run.
class StepRunner : public passes::StepObserver {
public:
  explicit StepRunner(const CompileOptions &O) : O(O) {}
  /// Where the next steps' times go.
  void recordInto(std::vector<std::pair<std::string, double>> *Times) {
    Into = Times;
  }
  void started() override { Last = Clock::now(); }
  Status after(std::string_view Step, const passes::StepResult &R) override {
    if (Into)
      Into->push_back({std::string(Step), since(Last)});
    if (O.VerifyEach && !R.Entry) {
      Graph Copy = R.Graph.clone();
      NNC_TRY(verify(Copy).withPrefix("after step " + std::string(Step)));
    }
    if (O.Observer)
      NNC_TRY(O.Observer->after(Step, R));
    Stopped |= Step == O.StopAfter;
    Last = Clock::now();
    return Status::success();
  }
  bool stopped() const override { return Stopped; }
  /// Whether a caller's observer sees the steps.
  bool watched() const { return O.Observer != nullptr; }

private:
  const CompileOptions &O;
  std::vector<std::pair<std::string, double>> *Into = nullptr;
  Clock::time_point Last = Clock::now();
  bool Stopped = false;
};

/// The kernels' labels and what the report counts of a lowered entry.
void describeKernels(const passes::KernelProgram &KP, CompileReport &R) {
  R.ArenaBytes = KP.Plan.ArenaBytes;
  R.LowerBound = KP.Plan.LowerBound;
  R.Kernels = KP.Kernels.size();
  for (const passes::Kernel &K : KP.Kernels) {
    std::string L = K.Fused ? "fused " : "";
    for (const Node *N : K.Nodes)
      L += std::string(L.empty() || L == "fused " ? "" : "+") +
           std::string(N->opName());
    R.Labels.push_back(L + shapeString(K.Nodes.front()->Outputs[0]->Type.Dims));
    std::set<const Value *> Touched, Inside;
    for (const Node *N : K.Nodes)
      for (const Value *Out : N->Outputs)
        Inside.insert(Out);
    for (const Node *N : K.Nodes)
      for (const Value *In : N->Inputs)
        if (In && !Inside.count(In))
          Touched.insert(In);
    if (K.Fused)
      Touched.insert(K.Writes.begin(), K.Writes.end());
    else
      Touched.insert(K.Outputs.begin(), K.Outputs.end());
    for (const Value *V : Touched)
      R.TrafficBytes += V->Type.bytes();
    if (K.Fused) {
      ++R.FusedKernels;
      R.FusedOps += K.Nodes.size();
    }
  }
}

/// fuse, liveness, in-place, memory-plan; then the entry's memory is
/// checked against the limit before anything is allocated.
Expected<passes::KernelProgram> lowerEntry(const Graph &G, const EntryPoint &E,
                                           const EngineOptions &Opts,
                                           const PersistentLayout &Layout,
                                           passes::StepObserver *Obs,
                                           CompileReport &R) {
  auto Start = Clock::now();
  Expected<passes::KernelProgram> KP =
      passes::lowerToKernels(G, E, loweringOptions(Opts, E.Training), Obs);
  if (!KP.ok())
    return KP.status();
  R.PersistentBytes = Layout.Bytes;
  uint64_t Io = 0;
  for (const auto *Vs : {&E.Inputs, &E.Outputs})
    for (const Value *V : *Vs)
      Io += V->Type.bytes();
  NNC_TRY(checkMemory(KP->Plan.ArenaBytes + Layout.Bytes + Io, Opts,
                      "entry point '" + E.Name + "' (activations " +
                          byteSize(double(KP->Plan.ArenaBytes)) +
                          ", inputs and outputs " + byteSize(double(Io)) +
                          ")"));
  describeKernels(*KP, R);
  R.Times.Lower += since(Start);
  return KP;
}

/// codegen: the kernel program as function FnName of M.
Status codegen(const Graph &G, const EntryPoint &E,
               const passes::KernelProgram &KP, const EngineOptions &Opts,
               const PersistentLayout &Layout, llvm::Module &M,
               const std::string &FnName, Instrumentation Inst,
               passes::StepObserver *Obs, CompileReport &R) {
  auto Start = Clock::now();
  int64_t Threads = std::max<int64_t>(Opts.Threads, 1);
  NNC_TRY(emitEntry(M, G, E, KP, Layout, E.Training, Threads, FnName, Inst));
  R.Times.Emit += since(Start);
  return passes::observe(Obs, "codegen",
                         {G, &E, nullptr, [&M](std::ostream &OS) {
                            llvm::raw_os_ostream Out(OS);
                            M.print(Out, nullptr);
                          }});
}

/// optimize and machine-code: M's object file, from the compile cache when
/// it holds one for this module, target and build (optimize then does not
/// run), else optimized and emitted here (and stored).
Expected<std::vector<char>> machineCode(const Graph &G, const EntryPoint &E,
                                        llvm::Module &M,
                                        const EngineOptions &Opts,
                                        StepRunner &Steps, CompileReport &R) {
  Expected<std::unique_ptr<llvm::TargetMachine>> TM =
      createTargetMachine({Opts.TargetCpu});
  if (!TM.ok())
    return TM.status();
  // A cached entry has no optimized module to show (observers,
  // NNC_DUMP_IR).
  bool UseCache = !Opts.CacheDir.empty() && !std::getenv("NNC_DUMP_IR") &&
                  !nncBuildId().empty() && !Steps.watched();
  CompileCache Cache(Opts.CacheDir);
  CacheKey Key{};
  if (UseCache) {
    auto Start = Clock::now();
    Key = CompileCache::key(M, **TM);
    std::string Why;
    std::optional<std::vector<char>> Hit = Cache.load(Key, Why);
    R.Times.Machine += since(Start);
    if (Hit) {
      R.CacheNote =
          "machine code from the compile cache (" + Cache.pathOf(Key) + ")";
      return std::move(*Hit);
    }
    if (Why != "not cached")
      R.CacheNote = Why + "; recompiled";
  }
  auto Print = [&M](std::ostream &OS) {
    llvm::raw_os_ostream Out(OS);
    M.print(Out, nullptr);
  };
  NNC_TRY(optimizeModule(M, **TM, {"nnc_entry"}, R.Times,
                         /*SharedKernelsElsewhere=*/true));
  NNC_TRY(Steps.after("optimize", {G, &E, nullptr, Print}));
  if (Steps.stopped())
    return std::vector<char>();
  std::string Assembly;
  if (Steps.watched()) {
    Expected<std::string> A = emitAssembly(M, **TM);
    if (!A.ok())
      return A.status();
    Assembly = std::move(*A);
  }
  auto Start = Clock::now();
  Expected<std::vector<char>> Object = emitObject(M, **TM);
  R.Times.Machine += since(Start);
  if (!Object.ok())
    return Object;
  NNC_TRY(Steps.after(
      "machine-code",
      {G, &E, nullptr, [&Assembly](std::ostream &OS) { OS << Assembly; }}));
  if (UseCache)
    if (Status S = Cache.store(Key, *Object); !S.ok())
      R.CacheNote = S.message() + " (compiled code not cached)";
  return Object;
}

/// An entry's steps from fuse to machine code, loaded into this process.
Status compileEntry(const Graph &G, const EntryPoint &E,
                    const EngineOptions &Opts, const PersistentLayout &Layout,
                    StepRunner &Steps, CompiledEntry &C) {
  // Started now, the shared kernels compile while this entry does.
  (void)sharedKernels({Opts.TargetCpu});
  CompileReport &R = C.Report;
  Expected<passes::KernelProgram> KP =
      lowerEntry(G, E, Opts, Layout, &Steps, R);
  if (!KP.ok() || Steps.stopped())
    return KP.status();
  llvm::LLVMContext Ctx;
  llvm::Module M("nnc." + E.Name, Ctx);
  // NNC_PROFILE=1: timestamps between kernels (see Jit.h).
  Instrumentation Inst{std::getenv("NNC_PROFILE") != nullptr,
                       Opts.CheckNumerics};
  NNC_TRY(codegen(G, E, *KP, Opts, Layout, M, "nnc_entry", Inst, &Steps, R));
  if (Steps.stopped())
    return Status::success();
  Expected<std::vector<char>> Object = machineCode(G, E, M, Opts, Steps, R);
  if (!Object.ok() || Steps.stopped())
    return Object.status();

  auto Start = Clock::now();
  const Expected<SharedObject> &Shared = sharedKernels({Opts.TargetCpu}).get();
  R.Times.SharedWait += since(Start);
  if (!Shared.ok())
    return Shared.status();
  Start = Clock::now();
  Expected<std::unique_ptr<JitModule>> J =
      JitModule::createFromObject(*Object, {Opts.TargetCpu}, *Shared);
  if (!J.ok())
    return J.status();
  Expected<nnc_entry_fn> Fn = (*J)->lookup("nnc_entry");
  if (!Fn.ok())
    return Fn.status();
  R.Times.Machine += since(Start);
  C.Module = std::move(*J);
  C.Fn = *Fn;
  return Status::success();
}

/// The stored tensors that inference entries read, laid out as
/// layoutPersistent would: an inference object from a checkpoint carries
/// its parameters and BatchNorm statistics, not the optimizer's state.
PersistentLayout layoutRead(const Graph &G,
                            const std::vector<const EntryPoint *> &Entries) {
  std::set<const Value *> Read;
  for (const EntryPoint *E : Entries) {
    std::vector<const Value *> Wanted(E->Outputs.begin(), E->Outputs.end());
    for (const Node *N : G.nodesReaching(Wanted))
      for (const Value *In : N->Inputs)
        if (In && isStored(In->Kind))
          Read.insert(In);
  }
  PersistentLayout L;
  for (const auto &V : G.values())
    if (Read.count(V.get())) {
      L.Offset[V.get()] = L.Bytes;
      L.Bytes += (V->Type.bytes() + passes::ArenaAlignment - 1) /
                 passes::ArenaAlignment * passes::ArenaAlignment;
    }
  return L;
}

/// The entry points Names of P's graphs, or an error listing the model's.
Expected<std::vector<const EntryPoint *>>
findEntries(const CompiledProgram &P, const std::vector<std::string> &Names) {
  std::vector<const EntryPoint *> Found;
  for (const std::string &Name : Names) {
    const EntryPoint *E = P.Inference.findEntry(Name);
    if (P.TrainStepGraph && Name == passes::TrainStepName)
      E = P.TrainStepGraph->findEntry(Name);
    if (!E) {
      std::string Known;
      for (const EntryPoint &X : P.Inference.EntryPoints)
        Known += (Known.empty() ? "" : ", ") + X.Name;
      if (!P.Inference.Training)
        Known += "; train_step is built from a training table, which this "
                 "model has not";
      return error("no entry point '", Name, "' (the model has: ", Known, ")");
    }
    Found.push_back(E);
  }
  return Found;
}

bool hasBuiltTrainStep(const Graph &G) {
  const EntryPoint *E = G.findEntry(passes::TrainStepName);
  return E && E->Training;
}

} // namespace

// CompileSteps lists the passes' own step names, in the order they run.
constexpr size_t GraphSteps = 1 + std::size(passes::TrainStepSteps);
static_assert(std::size(CompileSteps) ==
              GraphSteps + std::size(passes::LoweringSteps) + 3);
static_assert(std::string_view(CompileSteps[1]) == passes::TrainStepSteps[0] &&
              std::string_view(CompileSteps[4]) == passes::TrainStepSteps[3] &&
              std::string_view(CompileSteps[5]) == passes::LoweringSteps[0] &&
              std::string_view(CompileSteps[8]) == passes::LoweringSteps[3]);

bool isGraphStep(std::string_view Step) {
  return std::find(std::begin(CompileSteps),
                   std::begin(CompileSteps) + GraphSteps,
                   Step) != std::begin(CompileSteps) + GraphSteps;
}

bool isCompileStep(std::string_view Step) {
  return std::find(std::begin(CompileSteps), std::end(CompileSteps), Step) !=
         std::end(CompileSteps);
}

PersistentLayout layoutFor(const PersistentLayout &L, const Graph &To) {
  std::map<std::string_view, const Value *> ByName;
  for (const auto &V : To.values())
    ByName[V->Name] = V.get();
  PersistentLayout R;
  R.Bytes = L.Bytes;
  for (const auto &[V, Off] : L.Offset)
    if (auto It = ByName.find(V->Name); It != ByName.end())
      R.Offset[It->second] = Off;
  return R;
}

Status emitEntryCode(const Graph &G, const EntryPoint &E,
                     const EngineOptions &Opts, const PersistentLayout &Layout,
                     llvm::Module &M, const std::string &FnName,
                     Instrumentation Inst, passes::StepObserver *Obs,
                     CompileReport &R) {
  Expected<passes::KernelProgram> KP = lowerEntry(G, E, Opts, Layout, Obs, R);
  if (!KP.ok())
    return KP.status();
  return codegen(G, E, *KP, Opts, Layout, M, FnName, Inst, Obs, R);
}

Expected<CompiledProgram> compile(const Graph &Model, const CompileOptions &O) {
  StepRunner Steps(O);
  CompiledProgram P;
  Steps.recordInto(&P.StepSeconds);
  Steps.started();

  if (O.VerifyEach && !O.CopyStoredData) // the verifier checks the data
    return error("compile: VerifyEach needs CopyStoredData");
  // load: the model is not changed; every step works on copies.
  P.Inference = Model.clone(O.CopyStoredData);
  NNC_TRY(inferShapes(P.Inference, O.Batch));
  if (O.Training)
    for (EntryPoint &E : P.Inference.EntryPoints)
      E.Training = true;
  NNC_TRY(Steps.after("load", {P.Inference}));

  // training-lowering, regularization, autodiff, optimizer.
  bool BuildTrainStep =
      O.BuildTrainStep && !hasBuiltTrainStep(Model) &&
      std::count(O.Entries.begin(), O.Entries.end(), passes::TrainStepName);
  if (BuildTrainStep) {
    P.TrainStepGraph = Model.clone(O.CopyStoredData);
    Expected<passes::TrainStep> TS = passes::buildTrainStep(
        *P.TrainStepGraph, O.BatchStatistics, &Steps, O.Parallel);
    if (!TS.ok())
      return TS.status().withPrefix(passes::TrainStepName);
    P.TrainStep = *TS;
    NNC_TRY(inferShapes(*P.TrainStepGraph, O.Batch));
  }
  Expected<std::vector<const EntryPoint *>> Entries = findEntries(P, O.Entries);
  if (!Entries.ok())
    return Entries.status();

  // Where stored tensors live: the engine's buffer, or laid out here.
  if (O.Layout)
    P.Layout = layoutFor(*O.Layout, P.stateGraph());
  else if (P.TrainStepGraph || hasBuiltTrainStep(Model))
    P.Layout = layoutPersistent(P.stateGraph());
  else
    P.Layout = layoutRead(P.Inference, *Entries);

  for (const EntryPoint *E : *Entries)
    P.Entries.emplace_back().Entry = E;
  if (Steps.stopped() || isGraphStep(O.StopAfter))
    return P;

  // fuse ... machine-code, for each entry.
  EngineOptions Opts = O.Engine;
  if (Opts.Threads == 0)
    Opts.Threads = runtime::availableCpus();
  for (CompiledEntry &C : P.Entries) {
    Steps.recordInto(&C.Report.StepSeconds);
    Steps.started();
    const Graph &G = P.graphOf(*C.Entry);
    NNC_TRY(compileEntry(G, *C.Entry, Opts, layoutFor(P.Layout, G), Steps, C));
    if (Steps.stopped())
      break;
  }
  return P;
}

Expected<TrainingGraph>
buildTrainingGraph(const Graph &Model, bool BatchStatistics,
                   const passes::DataParallel &Parallel) {
  if (hasBuiltTrainStep(Model))
    return error("the model's train step is built already");
  CompileOptions O;
  O.Entries = {passes::TrainStepName};
  O.BatchStatistics = BatchStatistics;
  O.Parallel = Parallel;
  O.StopAfter = "optimizer";
  Expected<CompiledProgram> P = compile(Model, O);
  if (!P.ok())
    return P.status();
  return TrainingGraph{std::move(*P->TrainStepGraph), *P->TrainStep};
}

} // namespace nnc::backend
