//===- passes/KernelProgram.h - An entry point as kernels over buffers -*- C++
//-*-===//
//
// The last step before code generation: the nodes an entry point needs, in
// schedule order, grouped into kernels. Chains of pointwise ops become one
// fused loop; reshapes become views of their operand's buffer; every other
// op is one kernel. Each computed value that a kernel writes lives in the
// activation arena at a planned offset; the caller's inputs and the stored
// tensors (persistent region) are not in it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "passes/MemoryPlanner.h"
#include "passes/StepObserver.h"

#include <functional>
#include <map>
#include <set>

namespace nnc::passes {

struct Kernel {
  /// One op, or a fused chain of pointwise ops in evaluation order, or an
  /// op (Nodes[Main]) with others fused into it: a convolution with its
  /// epilogue (an inference BatchNorm, then an activation), applied to each
  /// output tile before it is stored; a training BatchNorm with the
  /// activation after it; a BatchNorm gradient with the activation's
  /// gradient before it (a prologue, Main = 1).
  std::vector<const ir::Node *> Nodes;
  size_t Main = 0;
  /// Non-fused kernels: the values left in memory.
  std::vector<const ir::Value *> Outputs;
  bool Fused = false;
  /// Fused chains: values from outside the chain, and values of the chain
  /// stored to memory (read later, or results of the entry).
  std::vector<const ir::Value *> Reads, Writes;
  /// Scratch the kernel asked for, placed in the arena.
  size_t WorkspaceBytes = 0, WorkspaceOffset = 0;
  /// A training BatchNorm's batch mean and variance (two doubles per
  /// channel): its kernel keeps them in the arena for its gradient's
  /// kernel, which would otherwise compute them from x again. Both kernels
  /// have the buffer's size and offset (fused lowering only).
  size_t StatsBytes = 0, StatsOffset = 0;
  const ir::Node &node() const { return *Nodes[Main]; }
  const ir::Node &last() const { return *Nodes.back(); }
};

struct LoweringOptions {
  bool FuseElementwise = true;
  /// Conv epilogues: an inference BatchNorm folded in as a per-channel
  /// scale and shift (with it, in training: BatchNorm and its activation in
  /// one pass, forward and backward), and a pointwise activation.
  bool FuseConvBn = true, FuseConvAct = true;
  /// Training semantics for ops that have them outside training graphs
  /// (Dropout, BatchNorm, StochasticPool).
  bool Training = false;
  /// Bytes of scratch a kernel needs (backend specific).
  std::function<size_t(const Kernel &)> Workspace;
};

struct KernelProgram {
  std::vector<Kernel> Kernels;
  /// Values that are views of another value's buffer (reshapes): value ->
  /// the value owning the buffer (an arena value, an input or a stored one).
  std::map<const ir::Value *, const ir::Value *> Root;
  /// Kernel positions from the one writing a value to its last reader, for
  /// the values kernels leave in memory (the entry's end: Kernels.size()).
  std::map<const ir::Value *, std::pair<int64_t, int64_t>> Live;
  /// Arena offset of every arena-owning value.
  std::map<const ir::Value *, size_t> Offset;
  /// Values computed straight into the caller's buffer of an entry output
  /// (value -> the output's index) instead of into the arena and copied.
  std::map<const ir::Value *, size_t> OutputSlot;
  /// Values written over an operand's buffer: value -> that operand.
  std::map<const ir::Value *, const ir::Value *> InPlaceOf;
  /// The arena's buffers (values, then workspaces) and their offsets.
  std::vector<LiveBuffer> Buffers;
  MemoryPlan Plan;

  const ir::Value *root(const ir::Value *V) const {
    auto It = Root.find(V);
    return It == Root.end() ? V : It->second;
  }
};

/// Whether an op is a pointwise op the code generator fuses into loops.
bool isFusablePointwise(const ir::Node &N, bool Training);
/// Whether an op only reinterprets its operand's buffer.
bool isView(const ir::Node &N, bool Training);
/// Whether a conv kernel can apply this activation in its epilogue.
bool isEpilogueActivation(const ir::Node &N);

/// The steps of lowerToKernels, in order: scheduling with fusion into
/// kernels, live intervals, buffers taken over in place, the arena's plan.
inline constexpr const char *LoweringSteps[] = {"fuse", "liveness", "in-place",
                                                "memory-plan"};

/// Lowers entry E of G (shapes bound by inferShapes) to kernels and plans
/// their arena. Obs sees the program after each of LoweringSteps; when it
/// has stopped, the program is returned as far as it got.
Expected<KernelProgram> lowerToKernels(const ir::Graph &G,
                                       const ir::EntryPoint &E,
                                       const LoweringOptions &Opts,
                                       StepObserver *Obs);
inline KernelProgram lowerToKernels(const ir::Graph &G, const ir::EntryPoint &E,
                                    const LoweringOptions &Opts) {
  return std::move(*lowerToKernels(G, E, Opts, nullptr));
}

} // namespace nnc::passes
