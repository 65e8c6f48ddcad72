//===- backend/llvm/SharedKernelObject.cpp - Shared routines' object ------===//
//
// The GEMMs take their shapes at run time, so compiling them into every
// model buys nothing and costs half of a LeNet-5 compile. They (NNC_SHARED
// in backend/kernels/Kernel.h) are compiled on their own into an object
// file: at build time for the common x86-64 levels (PrebuildSharedKernels),
// at run time for other targets (SharedKernels.cpp).
//
//===----------------------------------------------------------------------===//
#include "backend/llvm/Jit.h"

#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>

namespace nnc::backend {

namespace {

/// Deletes what nothing external reaches, before the pipeline spends time on
/// it.
void dropUnused(llvm::Module &M) {
  llvm::ModuleAnalysisManager MAM;
  llvm::GlobalDCEPass().run(M, MAM);
}

} // namespace

Expected<SharedObject> compileSharedKernels(const CodegenOptions &Opts) {
  llvm::LLVMContext Ctx;
  Expected<std::unique_ptr<llvm::TargetMachine>> TM =
      createTargetMachine(Opts, /*ForObject=*/true);
  if (!TM.ok())
    return TM.status();
  Expected<std::unique_ptr<llvm::Module>> M = loadKernelLibrary(Ctx);
  if (!M.ok())
    return M.status();
  // Everything but the shared routines becomes internal and unused, and the
  // pipeline drops it.
  NNC_TRY(prepareForTarget(**M, **TM, isSharedKernel));
  dropUnused(**M);
  runO3(**M, **TM);
  Expected<std::vector<char>> Object = emitObject(**M, **TM);
  if (!Object.ok())
    return Object.status();
  return SharedObject(llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(Object->data(), Object->size()), "nnc_shared_kernels.o"));
}

} // namespace nnc::backend
