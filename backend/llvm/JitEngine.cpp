#include "backend/llvm/JitEngine.h"

#include "ir/Initializers.h"
#include "runtime/ThreadPool.h"

#include <llvm/ADT/StringRef.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/TargetParser/Host.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

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
  Expected<TensorMap> run(const std::string &Entry, const TensorMap &Inputs,
                          const RunOptions &RunOpts) override;
  Expected<TensorMap> evaluate(const std::vector<const Value *> &Wanted,
                               const TensorMap &Inputs,
                               const RunOptions &RunOpts) override;
  std::vector<double> read(const Value *V) override {
    return fromHost(Persistent.Data + Layout.Offset.at(V), V->Type.Elt,
                    V->Type.numElements());
  }
  void write(const Value *V, const std::vector<double> &Data) override {
    toHost(Data, V->Type.Elt, Persistent.Data + Layout.Offset.at(V));
  }
  EngineKind kind() const override { return EngineKind::Jit; }
  Expected<std::unique_ptr<PreparedRun>>
  prepare(const std::string &Entry, const TensorMap &Inputs,
          const RunOptions &RunOpts) override;
  Expected<std::map<std::string, const void *>>
  runInPlace(const std::string &Entry, const TensorViewMap &Inputs,
             const OutputBuffer &Out, const RunOptions &RunOpts) override;

private:
  /// An entry compiled for a batch, with its input and output buffers.
  struct Bound;
  Expected<std::unique_ptr<Bound>>
  bind(const EntryPoint &E, const TensorMap &Inputs, const RunOptions &RunOpts);
  Status call(Bound &B);

  /// An entry compiled at a batch size, with the graph copy it came from.
  struct Compiled {
    CompiledProgram Program; // of one entry
    const CompiledEntry &entry() const { return Program.Entries.front(); }
  };
  Expected<Compiled *> compiled(const EntryPoint &E, int64_t Batch,
                                bool Training);
  /// E compiled for the batch Inputs have, after checking their shapes.
  Expected<Compiled *> compiledFor(const EntryPoint &E,
                                   const FeedShapes &Inputs,
                                   const RunOptions &RunOpts);
  Expected<TensorMap> runEntry(const EntryPoint &E, const TensorMap &Inputs,
                               const RunOptions &RunOpts);

  Graph &G;
  EngineOptions Opts;
  runtime::ThreadPool Pool;
  PersistentLayout Layout;
  AlignedBuffer Persistent, Arena;
  std::map<std::tuple<std::string, int64_t, bool>, std::unique_ptr<Compiled>>
      Cache;
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
    return It->second.get();
  // An entry evaluate() made up is compiled from a model holding it.
  Graph WithEntry;
  const Graph *Model = &G;
  if (!G.findEntry(E.Name)) {
    WithEntry = G.clone(/*StoredData=*/false);
    std::map<std::string_view, Value *> ByName;
    for (const auto &V : WithEntry.values())
      ByName[V->Name] = V.get();
    EntryPoint Copy{E.Name, {}, {}, {}, E.Training};
    for (const Value *V : E.Inputs)
      Copy.Inputs.push_back(ByName.at(V->Name));
    for (const Value *V : E.Outputs)
      Copy.Outputs.push_back(ByName.at(V->Name));
    WithEntry.EntryPoints.push_back(std::move(Copy));
    Model = &WithEntry;
  }
  CompileOptions O;
  O.Entries = {E.Name};
  O.BuildTrainStep = false;
  O.CopyStoredData = false; // the persistent buffer holds them
  O.Batch = Batch;
  O.Training = Training;
  O.Engine = Opts;
  O.Engine.Threads = Pool.threads();
  O.Layout = &Layout;
  Expected<CompiledProgram> P = compile(*Model, O);
  if (!P.ok())
    return P.status().withPrefix("compiling '" + E.Name + "'");
  const CompileReport &R = P->Entries.front().Report;
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
  auto C = std::make_unique<Compiled>();
  C->Program = std::move(*P);
  return (Cache[Key] = std::move(C)).get();
}

Expected<TensorMap>
JitEngine::evaluate(const std::vector<const Value *> &Wanted,
                    const TensorMap &Inputs, const RunOptions &RunOpts) {
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
  TensorMap Fed;
  for (const Value *V : It->second.Inputs)
    if (auto In = Inputs.find(V->Name); In != Inputs.end())
      Fed.insert(*In);
  return runEntry(It->second, Fed, RunOpts);
}

Expected<TensorMap> JitEngine::run(const std::string &Entry,
                                   const TensorMap &Inputs,
                                   const RunOptions &RunOpts) {
  Expected<const EntryPoint *> EOr = findEntry(G, Entry, feedShapes(Inputs));
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

Expected<JitEngine::Compiled *>
JitEngine::compiledFor(const EntryPoint &E, const FeedShapes &Inputs,
                       const RunOptions &RunOpts) {
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  std::vector<const Value *> Fed;
  G.nodesReaching(Wanted, &Fed);
  Expected<int64_t> Batch = feedBatch(Inputs, Fed);
  if (!Batch.ok())
    return Batch.status();
  Expected<Compiled *> C = compiled(E, *Batch, RunOpts.Training || E.Training);
  if (!C.ok())
    return C.status();
  // The entry as compiled: its values have the batch's shapes.
  std::vector<const Value *> BoundFed;
  for (const Value *V : (*C)->entry().Entry->Inputs)
    for (const Value *F : Fed)
      if (F->Name == V->Name)
        BoundFed.push_back(V);
  NNC_TRY(checkFeedShapes(Inputs, BoundFed));
  return *C;
}

/// Outputs poisoned with NaN, so that an element the code failed to write
/// cannot pass for a result.
void poison(const Value &V, void *Data) {
  if (V.Type.Elt == DType::F32)
    for (int64_t I = 0; I < V.Type.numElements(); ++I)
      static_cast<float *>(Data)[I] = NAN;
}

Expected<std::unique_ptr<JitEngine::Bound>>
JitEngine::bind(const EntryPoint &E, const TensorMap &Inputs,
                const RunOptions &RunOpts) {
  Expected<Compiled *> C = compiledFor(E, feedShapes(Inputs), RunOpts);
  if (!C.ok())
    return C.status();
  auto B = std::make_unique<Bound>();
  B->E = (*C)->entry().Entry;
  B->Seed = RunOpts.Seed;
  B->C = *C;
  for (const Value *V : B->E->Inputs) {
    auto It = Inputs.find(V->Name);
    if (It == Inputs.end()) {
      B->Io.push_back(nullptr); // not read by this entry (checked above)
      continue;
    }
    if (It->second.Data.size() != size_t(V->Type.numElements()))
      return error("input '", V->Name, "' has ", It->second.Data.size(),
                   " values for shape ", shapeString(V->Type.Dims));
    B->Buffers.emplace_back(It->second.Data.size() * elementBytes(V->Type.Elt) +
                            64);
    B->Io.push_back(lineAligned(B->Buffers.back()));
    toHost(It->second.Data, V->Type.Elt, B->Io.back());
  }
  for (const Value *V : B->E->Outputs) {
    B->Buffers.emplace_back(
        size_t(V->Type.numElements()) * elementBytes(V->Type.Elt) + 64);
    B->Io.push_back(lineAligned(B->Buffers.back()));
    poison(*V, B->Io.back());
  }
  return B;
}

Expected<std::map<std::string, const void *>>
JitEngine::runInPlace(const std::string &Entry, const TensorViewMap &Inputs,
                      const OutputBuffer &Out, const RunOptions &RunOpts) {
  Expected<const EntryPoint *> EOr = findEntry(G, Entry, feedShapes(Inputs));
  if (!EOr.ok())
    return EOr.status();
  Expected<Compiled *> C = compiledFor(**EOr, feedShapes(Inputs), RunOpts);
  if (!C.ok())
    return C.status();
  Bound B;
  B.E = (*C)->entry().Entry;
  B.Seed = RunOpts.Seed;
  B.C = *C;
  std::map<std::string, const void *> ReadFrom;
  for (const Value *V : B.E->Inputs) {
    auto It = Inputs.find(V->Name);
    if (It != Inputs.end() && It->second.Elt != V->Type.Elt)
      return error("input '", V->Name, "' is ", dtypeName(It->second.Elt),
                   ", expected ", dtypeName(V->Type.Elt));
    // The compiled code only reads its inputs (the AOT contract).
    void *Data =
        It == Inputs.end() ? nullptr : const_cast<void *>(It->second.Data);
    B.Io.push_back(Data);
    if (Data)
      ReadFrom[V->Name] = Data;
  }
  for (const Value *V : B.E->Outputs) {
    B.Io.push_back(Out(V->Name, V->Type.Elt, V->Type.Dims));
    poison(*V, B.Io.back());
  }
  NNC_TRY(call(B));
  return ReadFrom;
}

Status JitEngine::call(Bound &B) {
  Arena.reserve(std::max<size_t>(B.C->entry().Report.ArenaBytes, 64));
  nnc_exec Exec = Pool.exec(B.Seed);
  Exec.collective = Opts.Collective;
  setProfileLabels(&B.C->entry().Report.Labels);
  (void)takeNumericsFailure();
  int Rc = B.C->entry().Fn(B.Io.data(), Persistent.Data, Arena.Data, &Exec);
  if (std::string F = takeNumericsFailure(); !F.empty())
    return error("entry point '", B.E->Name, "': --check-numerics: ", F);
  if (Rc == NNC_ERR_LABEL)
    return error("entry point '", B.E->Name,
                 "': a label is outside [0, number of classes)");
  if (Rc == NNC_ERR_SEQUENCE_LENGTH)
    return error("entry point '", B.E->Name,
                 "': a sequence length is outside [0, number of steps]");
  if (Rc == NNC_ERR_COLLECTIVE)
    return error("entry point '", B.E->Name,
                 "': summing the gradients over the ranks failed");
  if (Rc != 0)
    return error("entry point '", B.E->Name, "' failed with code ", Rc);
  return Status::success();
}

Expected<TensorMap> JitEngine::runEntry(const EntryPoint &E,
                                        const TensorMap &Inputs,
                                        const RunOptions &RunOpts) {
  Expected<std::unique_ptr<Bound>> B = bind(E, Inputs, RunOpts);
  if (!B.ok())
    return B.status();
  NNC_TRY(call(**B));
  const EntryPoint &CE = *(*B)->E; // shapes bound to the batch
  TensorMap Out;
  for (size_t I = 0; I < CE.Outputs.size(); ++I) {
    const Value *V = CE.Outputs[I];
    Out[V->Name] = Tensor(V->Type.Elt, V->Type.Dims,
                          fromHost((*B)->Io[CE.Inputs.size() + I], V->Type.Elt,
                                   V->Type.numElements()));
  }
  return Out;
}

Expected<std::unique_ptr<PreparedRun>>
JitEngine::prepare(const std::string &Entry, const TensorMap &Inputs,
                   const RunOptions &RunOpts) {
  Expected<const EntryPoint *> EOr = findEntry(G, Entry, feedShapes(Inputs));
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
