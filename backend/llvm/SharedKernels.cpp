//===- backend/llvm/SharedKernels.cpp - Generic routines, compiled once ---===//
//
// The GEMMs take their shapes at run time, so compiling them into every
// model buys nothing and costs half of a LeNet-5 compile. The JIT compiles
// them (NNC_SHARED in backend/kernels/Kernel.h) once per process and target,
// on a thread of their own so the first model's compile overlaps it, and
// links the object into each model's JIT.
//
//===----------------------------------------------------------------------===//
#include "backend/llvm/Jit.h"

#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Support/SmallVectorMemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>

#include <map>
#include <mutex>

namespace nnc::backend {

namespace {

/// Deletes what nothing external reaches, before the pipeline spends time on
/// it.
void dropUnused(llvm::Module &M) {
  llvm::ModuleAnalysisManager MAM;
  llvm::GlobalDCEPass().run(M, MAM);
}

Expected<SharedObject> buildSharedKernels(const CodegenOptions &Opts) {
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
  llvm::SmallVector<char, 0> Buffer;
  llvm::raw_svector_ostream OS(Buffer);
  llvm::legacy::PassManager PM;
  if ((*TM)->addPassesToEmitFile(PM, OS, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return error("the target cannot emit object files");
  PM.run(**M);
  return SharedObject(std::make_shared<llvm::SmallVectorMemoryBuffer>(
      std::move(Buffer), "nnc_shared_kernels.o",
      /*RequiresNullTerminator=*/false));
}

} // namespace

std::shared_future<Expected<SharedObject>>
sharedKernels(const CodegenOptions &Opts) {
  static std::mutex Lock;
  static std::map<std::string, std::shared_future<Expected<SharedObject>>>
      Built;
  std::string Key = Opts.TargetCpu.empty() ? "host" : Opts.TargetCpu;
  std::lock_guard<std::mutex> Guard(Lock);
  auto It = Built.find(Key);
  if (It == Built.end())
    It = Built
             .emplace(Key,
                      std::async(std::launch::async, buildSharedKernels, Opts)
                          .share())
             .first;
  return It->second;
}

} // namespace nnc::backend
