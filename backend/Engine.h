//===- backend/Engine.h - Run entry points: JIT or interpreter --*- C++ -*-===//
//
// What the tools run models on. The JIT compiles each entry point for each
// batch size it meets (and caches it); the interpreter is the reference.
// Both take and return double tensors keyed by name, so callers and tests
// treat them alike.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Feed.h"
#include "backend/Tensor.h"
#include "ir/Graph.h"
#include "runtime/nnc_runtime.h"

#include <memory>
#include <string>

namespace nnc::backend {

enum class EngineKind { Jit, Interp };

struct EngineOptions {
  EngineKind Kind = EngineKind::Jit;
  /// Threads for compiled kernels; 0: the CPUs this process may use.
  int64_t Threads = 0;
  /// LLVM CPU name, or "" for this machine.
  std::string TargetCpu;
  /// What the lowering fuses (passes/KernelProgram.h): chains of pointwise
  /// ops into single loops, an inference BatchNorm and an activation into
  /// the preceding conv's epilogue.
  bool FuseElementwise = true, FuseConvBn = true, FuseConvAct = true;
  void setFuse(bool On) { FuseElementwise = FuseConvBn = FuseConvAct = On; }
  /// Where compiled machine code is kept between runs (CompileCache.h);
  /// "" keeps nothing.
  std::string CacheDir;
  /// Print per-pass and LLVM compile times to stderr.
  bool Verbose = false;
  /// Bytes a compiled entry point may need (arena, parameters, inputs and
  /// outputs), checked before anything is allocated; 0: the machine's
  /// physical memory.
  uint64_t MaxMemory = 0;
  /// After every kernel (interpreter: every node), check the values it
  /// wrote and fail naming the first one that holds NaN or infinity, as
  /// TensorFlow's check_numerics; the entry's inputs are checked first.
  bool CheckNumerics = false;
  /// A data-parallel run's gradient sum over the ranks (runtime/
  /// nnc_runtime.h), for train steps built for several ranks; null: one
  /// process. The JIT passes it to every entry it runs.
  const nnc_collective *Collective = nullptr;
};

/// O.MaxMemory, or the machine's physical memory when that is 0.
uint64_t memoryLimit(const EngineOptions &O);
/// An error naming What, its Bytes and the limit when Bytes exceeds it.
Status checkMemory(uint64_t Bytes, const EngineOptions &O,
                   const std::string &What);
/// "1.5 GB": bytes in the largest unit that keeps a number >= 1.
std::string byteSize(double Bytes);

/// Where the tools keep compiled code by default: $XDG_CACHE_HOME/nnc, else
/// $HOME/.cache/nnc, else "" (nothing kept). Defined in CompileCache.cpp.
std::string defaultCompileCacheDir();

/// The code generator this build uses and the machine it targets by
/// default: "LLVM 19.1.7, host CPU znver3".
std::string toolchainDescription();

/// "jit" or "interp".
Expected<EngineKind> parseEngineKind(const std::string &Name);

/// An entry point bound to its inputs, run again and again as an embedding
/// app runs it: on buffers of the compiled types, converted once, with the
/// outputs left where the code wrote them. What benchmarks time.
class PreparedRun {
public:
  virtual ~PreparedRun() = default;
  virtual Status run() = 0;
};

class Engine {
public:
  virtual ~Engine() = default;
  /// Compiles (if need be) and binds an entry point to Inputs for timing.
  virtual Expected<std::unique_ptr<PreparedRun>>
  prepare(const std::string &Entry, const TensorMap &Inputs,
          const RunOptions &Opts = {}) = 0;
  /// Runs an entry point: Inputs keyed by tensor name, with the declared
  /// shapes and any batch size; returns the entry's outputs.
  virtual Expected<TensorMap> run(const std::string &Entry,
                                  const TensorMap &Inputs,
                                  const RunOptions &Opts = {}) = 0;
  /// Runs an entry point on caller memory: each input is read where it
  /// lies, and each output is written to the buffer Out gives for it
  /// (asked for on this thread, before the run). Returns the address each
  /// input was read from: the JIT reads the caller's own; the default
  /// converts through run(), so its addresses are its copies'.
  virtual Expected<std::map<std::string, const void *>>
  runInPlace(const std::string &Entry, const TensorViewMap &Inputs,
             const OutputBuffer &Out, const RunOptions &Opts = {});
  /// Evaluates the given values from the fed tensors (evaluation, tools).
  virtual Expected<TensorMap>
  evaluate(const std::vector<const ir::Value *> &Wanted,
           const TensorMap &Inputs, const RunOptions &Opts = {}) = 0;
  /// Current contents of a stored tensor (parameter, state, constant).
  virtual std::vector<double> read(const ir::Value *V) = 0;
  virtual void write(const ir::Value *V, const std::vector<double> &Data) = 0;
  virtual EngineKind kind() const = 0;
};

/// G must be verified and outlive the engine.
Expected<std::unique_ptr<Engine>> createEngine(ir::Graph &G,
                                               const EngineOptions &Opts);

} // namespace nnc::backend
