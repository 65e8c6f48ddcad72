//===- backend/llvm/CodeGen.h - Kernel programs to LLVM IR ------*- C++ -*-===//
//
// Emits one native function per entry point, with the signature
// nnc_entry_fn (runtime/nnc_runtime.h): every kernel of the program is a
// call into the kernel library or, for a fused chain, a loop emitted here;
// every buffer is the persistent region, the arena or a caller's tensor at
// a constant offset. The library is linked in afterwards (Jit.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "passes/KernelProgram.h"

#include <map>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace nnc::backend {

/// Where stored tensors (parameters, optimizer state, constants) live in the
/// persistent region: every stored value of the graph, 64-byte aligned.
struct PersistentLayout {
  std::map<const ir::Value *, size_t> Offset;
  size_t Bytes = 0;
};
PersistentLayout layoutPersistent(const ir::Graph &G);

/// Whether the compiled backend can hold a tensor of this type.
bool isCompiledType(ir::DType T);

/// Calls from generated code into the process running it: JIT only, since
/// an AOT object links nothing but libc, libm and libpthread (Jit.h).
struct Instrumentation {
  /// nnc_profile_mark between kernels (NNC_PROFILE).
  bool Profile = false;
  /// nnc_check_numerics on every input and on every value a kernel wrote.
  bool CheckNumerics = false;
};

/// Adds function FnName running entry E (lowered to KP) to M.
Status emitEntry(llvm::Module &M, const ir::Graph &G, const ir::EntryPoint &E,
                 const passes::KernelProgram &KP,
                 const PersistentLayout &Layout, bool Training, int64_t Threads,
                 const std::string &FnName, Instrumentation Inst = {});

} // namespace nnc::backend
