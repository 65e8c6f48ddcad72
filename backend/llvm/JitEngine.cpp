#include "backend/llvm/JitEngine.h"

#include "backend/llvm/CodeGen.h"
#include "backend/llvm/CompileCache.h"
#include "backend/llvm/KernelParams.h"
#include "ir/Initializers.h"
#include "runtime/ThreadPool.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <tuple>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

double since(std::chrono::steady_clock::time_point T) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - T)
      .count();
}

/// 64-byte aligned, zeroed bytes.
struct AlignedBuffer {
  char *Data = nullptr;
  size_t Size = 0;
  void reserve(size_t Bytes) {
    if (Bytes <= Size)
      return;
    std::free(Data);
    Size = (Bytes + 63) / 64 * 64;
    Data = static_cast<char *>(std::aligned_alloc(64, Size));
    std::memset(Data, 0, Size);
  }
  ~AlignedBuffer() { std::free(Data); }
};

void toHost(const std::vector<double> &Src, DType T, void *Dst) {
  if (T == DType::I64) {
    auto *D = static_cast<int64_t *>(Dst);
    for (size_t I = 0; I < Src.size(); ++I)
      D[I] = int64_t(Src[I]);
    return;
  }
  auto *D = static_cast<float *>(Dst);
  for (size_t I = 0; I < Src.size(); ++I)
    D[I] = float(Src[I]);
}

std::vector<double> fromHost(const void *Src, DType T, int64_t N) {
  std::vector<double> Out(static_cast<size_t>(N));
  for (int64_t I = 0; I < N; ++I)
    Out[size_t(I)] = T == DType::I64
                         ? double(static_cast<const int64_t *>(Src)[I])
                         : double(static_cast<const float *>(Src)[I]);
  return Out;
}

size_t elementBytes(DType T) { return T == DType::I64 ? 8 : 4; }

class JitEngine : public Engine {
public:
  JitEngine(Graph &G, const EngineOptions &Opts)
      : G(G), Opts(Opts), Pool(Opts.Threads) {}

  Status init();
  Expected<interp::TensorMap> run(const std::string &Entry,
                                  const interp::TensorMap &Inputs,
                                  const interp::Options &RunOpts) override;
  Expected<interp::TensorMap> evaluate(const std::vector<const Value *> &Wanted,
                                       const interp::TensorMap &Inputs,
                                       const interp::Options &RunOpts) override;
  std::vector<double> read(const Value *V) override {
    return fromHost(Persistent.Data + Layout.Offset.at(V), V->Type.Elt,
                    V->Type.numElements());
  }
  void write(const Value *V, const std::vector<double> &Data) override {
    toHost(Data, V->Type.Elt, Persistent.Data + Layout.Offset.at(V));
  }
  EngineKind kind() const override { return EngineKind::Jit; }
  Expected<std::unique_ptr<PreparedRun>>
  prepare(const std::string &Entry, const interp::TensorMap &Inputs,
          const interp::Options &RunOpts) override;

private:
  /// An entry compiled for a batch, with its input and output buffers.
  struct Bound;
  Expected<std::unique_ptr<Bound>> bind(const EntryPoint &E,
                                        const interp::TensorMap &Inputs,
                                        const interp::Options &RunOpts);
  Status call(Bound &B);

  struct Compiled {
    std::unique_ptr<JitModule> Module;
    nnc_entry_fn Fn = nullptr;
    size_t ArenaBytes = 0;
    std::vector<std::string> Labels;
  };
  Expected<Compiled *> compiled(const EntryPoint &E, int64_t Batch,
                                bool Training);
  Expected<interp::TensorMap> runEntry(const EntryPoint &E,
                                       const interp::TensorMap &Inputs,
                                       const interp::Options &RunOpts);

  Graph &G;
  EngineOptions Opts;
  runtime::ThreadPool Pool;
  PersistentLayout Layout;
  AlignedBuffer Persistent, Arena;
  std::map<std::tuple<std::string, int64_t, bool>, Compiled> Cache;
  /// Entry points made up for evaluate(), keyed by their name.
  std::map<std::string, EntryPoint> Synthetic;
};

Status JitEngine::init() {
  Layout = layoutPersistent(G);
  Persistent.reserve(std::max<size_t>(Layout.Bytes, 64));
  for (const auto &[V, Offset] : Layout.Offset) {
    if (!isCompiledType(V->Type.Elt))
      return error("tensor '", V->Name, "' is ", dtypeName(V->Type.Elt),
                   ", which the compiled backend does not support");
    Expected<std::vector<double>> Data = materialize(*V);
    if (!Data.ok())
      return Data.status();
    toHost(*Data, V->Type.Elt, Persistent.Data + Offset);
  }
  return Status::success();
}

Expected<JitEngine::Compiled *>
JitEngine::compiled(const EntryPoint &E, int64_t Batch, bool Training) {
  auto Key = std::make_tuple(E.Name, Batch, Training);
  if (auto It = Cache.find(Key); It != Cache.end())
    return &It->second;
  EngineOptions O = Opts;
  O.Threads = Pool.threads();
  CompileReport R;
  Expected<CompiledEntry> CE = compileEntry(G, E, O, Training, R);
  if (!CE.ok())
    return CE.status().withPrefix("compiling '" + E.Name + "'");
  if (Opts.Verbose)
    std::fprintf(stderr,
                 "jit: %s at batch %lld: %zu kernels (%zu fused loops of %zu "
                 "ops); arena %zu bytes, planned / lower bound %.3f; "
                 "lower %.1f ms, emit %.1f ms, link %.1f ms, optimize %.1f "
                 "ms, machine code %.1f ms, waiting for the shared kernels "
                 "%.1f ms\n",
                 E.Name.c_str(), (long long)Batch, R.Kernels, R.FusedKernels,
                 R.FusedOps, R.ArenaBytes,
                 R.LowerBound ? double(R.ArenaBytes) / double(R.LowerBound)
                              : 1.0,
                 R.Times.Lower * 1e3, R.Times.Emit * 1e3, R.Times.Link * 1e3,
                 R.Times.Optimize * 1e3, R.Times.Machine * 1e3,
                 R.Times.SharedWait * 1e3);
  if (Opts.Verbose && !R.CacheNote.empty())
    std::fprintf(stderr, "jit: %s: %s\n", E.Name.c_str(), R.CacheNote.c_str());
  Compiled &C = Cache[Key];
  C.Module = std::move(CE->Module);
  C.Fn = CE->Fn;
  C.ArenaBytes = R.ArenaBytes;
  C.Labels = std::move(R.Labels);
  return &C;
}

Expected<interp::TensorMap>
JitEngine::evaluate(const std::vector<const Value *> &Wanted,
                    const interp::TensorMap &Inputs,
                    const interp::Options &RunOpts) {
  // An entry point of just these values, compiled once.
  std::string Name = "eval";
  for (const Value *V : Wanted)
    Name += "." + std::to_string(V->Id);
  auto It = Synthetic.find(Name);
  if (It == Synthetic.end()) {
    std::vector<const Value *> Fed;
    G.nodesReaching(Wanted, &Fed);
    EntryPoint E;
    E.Name = Name;
    for (const Value *V : Fed)
      E.Inputs.push_back(const_cast<Value *>(V));
    for (const Value *V : Wanted)
      E.Outputs.push_back(const_cast<Value *>(V));
    It = Synthetic.emplace(Name, std::move(E)).first;
  }
  interp::TensorMap Fed;
  for (const Value *V : It->second.Inputs)
    if (auto In = Inputs.find(V->Name); In != Inputs.end())
      Fed.insert(*In);
  return runEntry(It->second, Fed, RunOpts);
}

Expected<interp::TensorMap> JitEngine::run(const std::string &Entry,
                                           const interp::TensorMap &Inputs,
                                           const interp::Options &RunOpts) {
  Expected<const EntryPoint *> EOr = interp::findEntry(G, Entry, Inputs);
  if (!EOr.ok())
    return EOr.status();
  return runEntry(**EOr, Inputs, RunOpts);
}

struct JitEngine::Bound {
  const EntryPoint *E = nullptr;
  Compiled *C = nullptr;
  uint64_t Seed = 0;
  std::vector<std::vector<char>> Buffers;
  std::vector<void *> Io;
};

/// The first cache-line boundary in a buffer allocated with 64 bytes to
/// spare: kernels write outputs in place, in whole vectors.
void *lineAligned(std::vector<char> &Buf) {
  auto A = reinterpret_cast<uintptr_t>(Buf.data());
  return Buf.data() + ((64 - A % 64) % 64);
}

Expected<std::unique_ptr<JitEngine::Bound>>
JitEngine::bind(const EntryPoint &E, const interp::TensorMap &Inputs,
                const interp::Options &RunOpts) {
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  std::vector<const Value *> Fed;
  G.nodesReaching(Wanted, &Fed);
  NNC_TRY(interp::bindBatch(G, Inputs, Fed));
  int64_t Batch = 1;
  for (const Value *V : Fed)
    if (!V->DeclaredDims.empty() && V->DeclaredDims[0] == -1)
      Batch = V->Type.Dims[0];

  auto B = std::make_unique<Bound>();
  B->E = &E;
  B->Seed = RunOpts.Seed;
  Expected<Compiled *> C = compiled(E, Batch, RunOpts.Training);
  if (!C.ok())
    return C.status();
  B->C = *C;
  // Inputs converted to the compiled types; outputs poisoned with NaN so an
  // element the code failed to write cannot pass for a result.
  for (const Value *V : E.Inputs) {
    auto It = Inputs.find(V->Name);
    if (It == Inputs.end()) {
      B->Io.push_back(nullptr); // not read by this entry (checked above)
      continue;
    }
    B->Buffers.emplace_back(It->second.Data.size() * elementBytes(V->Type.Elt) +
                            64);
    B->Io.push_back(lineAligned(B->Buffers.back()));
    toHost(It->second.Data, V->Type.Elt, B->Io.back());
  }
  for (const Value *V : E.Outputs) {
    B->Buffers.emplace_back(
        size_t(V->Type.numElements()) * elementBytes(V->Type.Elt) + 64);
    B->Io.push_back(lineAligned(B->Buffers.back()));
    if (V->Type.Elt == DType::F32)
      for (int64_t I = 0; I < V->Type.numElements(); ++I)
        static_cast<float *>(B->Io.back())[I] = NAN;
  }
  return B;
}

Status JitEngine::call(Bound &B) {
  Arena.reserve(std::max<size_t>(B.C->ArenaBytes, 64));
  nnc_exec Exec = Pool.exec(B.Seed);
  setProfileLabels(&B.C->Labels);
  (void)takeNumericsFailure();
  int Rc = B.C->Fn(B.Io.data(), Persistent.Data, Arena.Data, &Exec);
  if (std::string F = takeNumericsFailure(); !F.empty())
    return error("entry point '", B.E->Name, "': --check-numerics: ", F);
  if (Rc == NNC_ERR_LABEL)
    return error("entry point '", B.E->Name,
                 "': a label is outside [0, number of classes)");
  if (Rc != 0)
    return error("entry point '", B.E->Name, "' failed with code ", Rc);
  return Status::success();
}

Expected<interp::TensorMap>
JitEngine::runEntry(const EntryPoint &E, const interp::TensorMap &Inputs,
                    const interp::Options &RunOpts) {
  Expected<std::unique_ptr<Bound>> B = bind(E, Inputs, RunOpts);
  if (!B.ok())
    return B.status();
  NNC_TRY(call(**B));
  interp::TensorMap Out;
  for (size_t I = 0; I < E.Outputs.size(); ++I) {
    const Value *V = E.Outputs[I];
    Out[V->Name] = interp::Tensor(V->Type.Elt, V->Type.Dims,
                                  fromHost((*B)->Io[E.Inputs.size() + I],
                                           V->Type.Elt, V->Type.numElements()));
  }
  return Out;
}

Expected<std::unique_ptr<PreparedRun>>
JitEngine::prepare(const std::string &Entry, const interp::TensorMap &Inputs,
                   const interp::Options &RunOpts) {
  Expected<const EntryPoint *> EOr = interp::findEntry(G, Entry, Inputs);
  if (!EOr.ok())
    return EOr.status();
  Expected<std::unique_ptr<Bound>> B = bind(**EOr, Inputs, RunOpts);
  if (!B.ok())
    return B.status();
  struct Run : PreparedRun {
    JitEngine &J;
    std::unique_ptr<Bound> B;
    Run(JitEngine &J, std::unique_ptr<Bound> B) : J(J), B(std::move(B)) {}
    Status run() override { return J.call(*B); }
  };
  return std::unique_ptr<PreparedRun>(
      std::make_unique<Run>(*this, std::move(*B)));
}

} // namespace

Status compileEntryIR(Graph &G, const EntryPoint &E, const EngineOptions &Opts,
                      bool Training, llvm::Module &M, const std::string &FnName,
                      CompileReport &R, Instrumentation Inst,
                      const PersistentLayout *Given) {
  auto Start = std::chrono::steady_clock::now();
  int64_t Threads = std::max<int64_t>(Opts.Threads, 1);
  passes::KernelProgram KP =
      passes::lowerToKernels(G, E, loweringOptions(Opts, Training));
  PersistentLayout Layout = Given ? *Given : layoutPersistent(G);
  R.ArenaBytes = KP.Plan.ArenaBytes;
  R.LowerBound = KP.Plan.LowerBound;
  R.PersistentBytes = Layout.Bytes;
  uint64_t Io = 0;
  for (const auto *Vs : {&E.Inputs, &E.Outputs})
    for (const Value *V : *Vs)
      Io += V->Type.bytes();
  NNC_TRY(checkMemory(KP.Plan.ArenaBytes + Layout.Bytes + Io, Opts,
                      "entry point '" + E.Name + "' (activations " +
                          byteSize(double(KP.Plan.ArenaBytes)) +
                          ", inputs and outputs " + byteSize(double(Io)) +
                          ")"));
  R.Kernels = KP.Kernels.size();
  for (const passes::Kernel &K : KP.Kernels) {
    std::string L = K.Fused ? "fused " : "";
    for (const Node *N : K.Nodes)
      L += std::string(L.empty() || L == "fused " ? "" : "+") +
           std::string(N->opName());
    R.Labels.push_back(L + shapeString(K.Nodes.front()->Outputs[0]->Type.Dims));
  }
  for (const passes::Kernel &K : KP.Kernels) {
    std::set<const Value *> Touched;
    std::set<const Value *> Inside;
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
  }
  for (const passes::Kernel &K : KP.Kernels)
    if (K.Fused) {
      ++R.FusedKernels;
      R.FusedOps += K.Nodes.size();
    }
  R.Times.Lower += since(Start);

  Start = std::chrono::steady_clock::now();
  NNC_TRY(emitEntry(M, G, E, KP, Layout, Training, Threads, FnName, Inst));
  R.Times.Emit += since(Start);
  return Status::success();
}

/// The optimized module's object file: from the compile cache when it holds
/// one for this module, target and build, else optimized and emitted here
/// (and stored).
static Expected<std::vector<char>> machineCode(llvm::Module &M,
                                               const EngineOptions &Opts,
                                               const std::string &FnName,
                                               CompileReport &R) {
  Expected<std::unique_ptr<llvm::TargetMachine>> TM =
      createTargetMachine({Opts.TargetCpu});
  if (!TM.ok())
    return TM.status();
  // NNC_DUMP_IR asks for the optimized module, which a cached entry lacks.
  bool UseCache = !Opts.CacheDir.empty() && !std::getenv("NNC_DUMP_IR") &&
                  !nncBuildId().empty();
  CompileCache Cache(Opts.CacheDir);
  CacheKey Key{};
  if (UseCache) {
    auto Start = std::chrono::steady_clock::now();
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
  NNC_TRY(optimizeModule(M, **TM, {FnName}, R.Times,
                         /*SharedKernelsElsewhere=*/true));
  auto Start = std::chrono::steady_clock::now();
  Expected<std::vector<char>> Object = emitObject(M, **TM);
  R.Times.Machine += since(Start);
  if (!Object.ok() || !UseCache)
    return Object;
  if (Status S = Cache.store(Key, *Object); !S.ok())
    R.CacheNote = S.message() + " (compiled code not cached)";
  return Object;
}

Expected<CompiledEntry> compileEntry(Graph &G, const EntryPoint &E,
                                     const EngineOptions &Opts, bool Training,
                                     CompileReport &R) {
  // Started now, the shared kernels compile while this entry does.
  (void)sharedKernels({Opts.TargetCpu});
  llvm::LLVMContext Ctx;
  llvm::Module M("nnc." + E.Name, Ctx);
  // NNC_PROFILE=1: timestamps between kernels (see Jit.h).
  NNC_TRY(compileEntryIR(
      G, E, Opts, Training, M, "nnc_entry", R,
      {std::getenv("NNC_PROFILE") != nullptr, Opts.CheckNumerics}));
  Expected<std::vector<char>> Object = machineCode(M, Opts, "nnc_entry", R);
  if (!Object.ok())
    return Object.status();

  auto Start = std::chrono::steady_clock::now();
  const Expected<SharedObject> &Shared = sharedKernels({Opts.TargetCpu}).get();
  R.Times.SharedWait += since(Start);
  if (!Shared.ok())
    return Shared.status();
  Start = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<JitModule>> J =
      JitModule::createFromObject(*Object, {Opts.TargetCpu}, *Shared);
  if (!J.ok())
    return J.status();
  Expected<nnc_entry_fn> Fn = (*J)->lookup("nnc_entry");
  if (!Fn.ok())
    return Fn.status();
  R.Times.Machine += since(Start);
  return CompiledEntry{std::move(*J), *Fn};
}

Status compileOnly(Graph &G, const EntryPoint &E, const EngineOptions &Opts,
                   bool Training, CompileReport &R) {
  return compileEntry(G, E, Opts, Training, R).status();
}

Expected<std::unique_ptr<Engine>> createJitEngine(Graph &G,
                                                  const EngineOptions &Opts) {
  auto J = std::make_unique<JitEngine>(G, Opts);
  NNC_TRY(J->init());
  return std::unique_ptr<Engine>(std::move(J));
}

std::string toolchainDescription() {
  return std::string("LLVM ") + LLVM_VERSION_STRING + ", host CPU " +
         llvm::sys::getHostCPUName().str();
}

} // namespace nnc::backend
