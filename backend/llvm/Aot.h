//===- backend/llvm/Aot.h - Object file and C header for an app -*- C++ -*-===//
//
// Ahead-of-time compilation: the chosen entry points at a fixed batch size
// become one relocatable object (kernels included, weights embedded as
// read-only data unless they go to a side file) and one C header. The
// object's only undefined symbols are libc/libm ones; every symbol it
// defines starts with the prefix.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Compile.h"
#include "ir/Graph.h"

#include <string>
#include <vector>

namespace nnc::backend {

struct AotOptions {
  std::string Prefix;               // a C identifier
  std::vector<std::string> Entries; // "infer", "train_step", ...
  int64_t Batch = 1;
  /// Its fusion flags, target CPUs and Threads, the tasks a parallel kernel
  /// is split into (the parallel_for hook may run them on that many
  /// threads; 0: DefaultThreads). TargetCpu may list several CPUs,
  /// "x86-64-v3,x86-64-v4": the object then holds a variant for each and
  /// picks one at run time (AotDispatch.h); "" is this machine.
  EngineOptions Engine;
  static constexpr int64_t DefaultThreads = 4;
  /// A train_step for data-parallel training (passes/DataParallel.h): the
  /// app passes the collective in nnc_exec.
  passes::DataParallel Parallel;
  /// Weights go to a side file instead of the object.
  bool WeightsInFile = false;
  std::string Source; // the model file, for the header's comment
};

struct AotResult {
  std::vector<char> Object;
  std::string Header;
  std::vector<uint8_t> Weights; // the persistent image (always filled)
  size_t ArenaBytes = 0;        // the largest entry's, on any variant
  std::vector<std::pair<std::string, CompileReport>> Reports;
};

/// G must be verified; train_step, when asked, is built from its training
/// table by compile() (backend/Compile.h), which runs the graph steps; the
/// entries' steps run once per target CPU.
Expected<AotResult> compileAot(const ir::Graph &G, const AotOptions &Opts);

} // namespace nnc::backend
