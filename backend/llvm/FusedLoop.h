//===- backend/llvm/FusedLoop.h - One loop for a pointwise chain -*- C++
//-*-===//
#pragma once

#include "passes/KernelProgram.h"

#include <functional>

namespace llvm {
class IRBuilderBase;
class Module;
class Value;
} // namespace llvm

namespace nnc::backend {

/// Emits a loop nest over the chain's shape at the builder's position.
/// Each iteration loads the chain's external operands (broadcast through
/// strides), evaluates every op by calling its scalar function, and stores
/// the values the chain writes. Adjacent dimensions that every operand
/// walks contiguously are merged, so the innermost loop is long and
/// vectorizes.
void emitFusedLoop(llvm::IRBuilderBase &B, llvm::Module &M,
                   const passes::Kernel &K,
                   const std::function<llvm::Value *(const ir::Value *)> &Ptr);

} // namespace nnc::backend
