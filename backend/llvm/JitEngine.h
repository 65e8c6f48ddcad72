//===- backend/llvm/JitEngine.h - Entry points compiled with LLVM -*- C++
//-*-===//
#pragma once

#include "backend/Engine.h"
#include "backend/llvm/CodeGen.h"
#include "backend/llvm/Jit.h"
#include "passes/KernelProgram.h"

namespace nnc::backend {

Expected<std::unique_ptr<Engine>> createJitEngine(ir::Graph &G,
                                                  const EngineOptions &Opts);

/// What one compile of an entry point at a batch size produced.
struct CompileReport {
  size_t ArenaBytes = 0, LowerBound = 0, PersistentBytes = 0;
  size_t Kernels = 0, FusedKernels = 0, FusedOps = 0;
  /// Bytes the kernels read and write in memory, each value counted once
  /// per kernel touching it (values a fused kernel keeps in registers are
  /// not): an estimate of the memory traffic of one run.
  size_t TrafficBytes = 0;
  CompileTimes Times;
  /// One label per kernel: "Conv[64,6,28,28]", "fused Add+Relu[...]".
  std::vector<std::string> Labels;
  /// What the compile cache did, when it is worth saying (-v).
  std::string CacheNote;
};

/// Lowers entry E of G at G's bound shapes and emits it into M as function
/// FnName (LLVM IR, not yet optimized). Layout: where stored tensors live
/// (default: layoutPersistent(G)).
Status compileEntryIR(ir::Graph &G, const ir::EntryPoint &E,
                      const EngineOptions &Opts, bool Training, llvm::Module &M,
                      const std::string &FnName, CompileReport &Report,
                      Instrumentation Inst = {},
                      const PersistentLayout *Layout = nullptr);

/// Compiles entry E to machine code without running it and reports the
/// steps (nnc compile).
Status compileOnly(ir::Graph &G, const ir::EntryPoint &E,
                   const EngineOptions &Opts, bool Training,
                   CompileReport &Report);

/// An entry point as machine code in this process.
struct CompiledEntry {
  std::unique_ptr<JitModule> Module;
  nnc_entry_fn Fn = nullptr;
};

/// compileEntryIR, then the kernel library linked in, the module optimized
/// for the target and compiled to machine code (or that code taken from the
/// compile cache, Opts.CacheDir): the steps `nnc compile -v` reports on.
Expected<CompiledEntry> compileEntry(ir::Graph &G, const ir::EntryPoint &E,
                                     const EngineOptions &Opts, bool Training,
                                     CompileReport &Report);

} // namespace nnc::backend
