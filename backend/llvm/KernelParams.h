//===- backend/llvm/KernelParams.h - How each op calls its kernel -*- C++
//-*-===//
//
// The host half of the kernel ABI (backend/kernels/Kernel.h): for a node
// with bound shapes, which bitcode function runs it and with which packed
// integer (P) and real (F) parameters and how much workspace. Pointwise
// ops instead give the scalar function a fused loop calls, and how each
// operand is indexed from the loop's position.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Engine.h"
#include "ir/Graph.h"
#include "passes/KernelProgram.h"

#include <string>
#include <vector>

namespace nnc::backend {

struct KernelCall {
  std::string Symbol; // nnc_k_<kernel>
  std::vector<int64_t> P;
  std::vector<double> F;
  size_t WorkspaceBytes = 0;
  /// > 0: the kernel also has nnc_t_<kernel>, run for each of these tasks
  /// before nnc_k_<kernel> finishes.
  int64_t Tasks = 0;
};

/// How the compiled backend lowers an entry for Opts: its fusion flags,
/// training semantics, and each kernel's workspace at Opts.Threads tasks.
/// The JIT, the AOT compiler, nnc dump and nnc info all lower with it.
passes::LoweringOptions loweringOptions(const EngineOptions &Opts,
                                        bool Training);

/// The kernel running a non-fused node. Threads sizes per-task workspace.
Expected<KernelCall> kernelCall(const ir::Node &N, bool Training,
                                int64_t Threads);

/// Appends a conv's epilogue (the nodes after the conv in its kernel: an
/// inference BatchNorm, an activation) to its call: P += {BatchNorm?,
/// activation code}, F += {epsilon, activation parameters}. The
/// BatchNorm's scale, bias, mean and var follow the workspace in T.
void addConvEpilogue(const std::vector<const ir::Node *> &Epilogue,
                     KernelCall &C);

/// BatchNormTrain with its activation fused in (Epi), BatchNormGrad with
/// the activation's gradient fused in (Pro: the UnaryGrad, or a 2x2 max
/// pooling's PoolGrad and the UnaryGrad); see
/// backend/kernels/Normalization.cpp.
void addFusedActivation(const ir::Node &Main,
                        const std::vector<const ir::Node *> &Pro,
                        const std::vector<const ir::Node *> &Epi,
                        KernelCall &C);

/// A training BatchNorm's kernel that keeps its batch statistics
/// (BatchNormTrain) or reads them (BatchNormGrad) in T[Slot]; see
/// backend/kernels/Normalization.cpp.
void addSavedStatistics(const ir::Node &Main, size_t Slot, KernelCall &C);

/// The arena scratch a kernel needs: its main op's, and for a BatchNorm
/// gradient with prologues, a task's dy through them (computed once, read
/// by both passes).
size_t kernelWorkspace(const passes::Kernel &K, bool Training, int64_t Threads);

/// An epilogue with a result of its own, in T[Slot]: a BatchNorm
/// gradient's kernel that also sums dx by channel (a ReduceSum: a conv
/// bias's gradient), a training BatchNorm's kernel that also max-pools
/// each plane it writes (a 2x2 MaxPool).
void addEpilogueResult(const ir::Node &Main, const ir::Node &Epilogue,
                       size_t Slot, KernelCall &C);

/// The scalar function (nnc_s_<op>) of a fusable pointwise node.
KernelCall scalarCall(const ir::Node &N);

/// Element strides of N's operand I over N's output shape: 0 along
/// broadcast dimensions.
std::vector<int64_t> operandStrides(const ir::Node &N, size_t I);

} // namespace nnc::backend
