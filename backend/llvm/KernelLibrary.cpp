//===- backend/llvm/KernelLibrary.cpp - The embedded kernel bitcode -------===//
#include "backend/llvm/Jit.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>

extern "C" const char nnc_kernel_bitcode_begin[];
extern "C" const char nnc_kernel_bitcode_end[];

namespace nnc::backend {

Expected<std::unique_ptr<llvm::Module>>
loadKernelLibrary(llvm::LLVMContext &Ctx) {
  llvm::StringRef Bytes(
      nnc_kernel_bitcode_begin,
      size_t(nnc_kernel_bitcode_end - nnc_kernel_bitcode_begin));
  llvm::Expected<std::unique_ptr<llvm::Module>> M = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(Bytes, "nnc_kernels.bc"), Ctx);
  if (!M)
    return error("the embedded kernel library does not load: ",
                 llvm::toString(M.takeError()));
  return std::move(*M);
}

} // namespace nnc::backend
