//===- backend/llvm/Jit.h - Optimize generated modules, run them in ORC -*- C++
//-*-===//
#pragma once

#include "ir/Status.h"
#include "runtime/nnc_runtime.h"

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class MemoryBuffer;
class StringRef;
class Module;
class TargetMachine;
} // namespace llvm

/// Called between kernels when NNC_PROFILE is set: K is the kernel just
/// finished, -1 at the start of an entry.
extern "C" void nnc_profile_mark(int64_t K);

/// Called on every input and every value a kernel wrote when an entry is
/// compiled with --check-numerics: remembers the first one (on this thread)
/// that holds NaN or infinity, naming it by What.
extern "C" void nnc_check_numerics(const float *Data, int64_t Count,
                                   const char *What);

namespace nnc::backend {

/// The first non-finite value nnc_check_numerics saw on this thread since
/// the last call, as "what holding NaN at element I", or "".
std::string takeNumericsFailure();

/// Kernel labels of the entry being run, for the profile (JitEngine).
void setProfileLabels(const std::vector<std::string> *Labels);

struct CodegenOptions {
  /// "" or "host": this machine's CPU and features; otherwise an LLVM CPU
  /// name ("x86-64-v3", "znver4"), its default features.
  std::string TargetCpu;
};

/// Seconds spent in each phase of one compile, for `-v`.
struct CompileTimes {
  double Lower = 0, Emit = 0, Link = 0, Optimize = 0, Machine = 0;
  /// Waiting for sharedKernels() (built once per process, in parallel).
  double SharedWait = 0;
};

/// A fresh context with the kernel library parsed into a module of it.
Expected<std::unique_ptr<llvm::Module>>
loadKernelLibrary(llvm::LLVMContext &Ctx);

/// The target machine for Opts (host CPU by default); position-independent
/// code when it is for an object file that apps link.
Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodegenOptions &Opts, bool ForObject = false);

/// Sets M up for TM: triple, data layout, the vector-width constant, the
/// CPU and features on every function, kernels marked for inlining; keeps
/// only the globals Keep names external. Verifies the result.
Status prepareForTarget(llvm::Module &M, llvm::TargetMachine &TM,
                        const std::function<bool(llvm::StringRef)> &Keep);

/// M compiled by TM to an object file's bytes.
Expected<std::vector<char>> emitObject(llvm::Module &M,
                                       llvm::TargetMachine &TM);

/// M compiled by TM to assembly text (nnc dump --print-after machine-code).
Expected<std::string> emitAssembly(const llvm::Module &M,
                                   llvm::TargetMachine &TM);

/// LLVM's O3 pipeline for TM.
void runO3(llvm::Module &M, llvm::TargetMachine &TM);

/// Whether a kernel-library function is one of the routines the JIT
/// compiles once per process (NNC_SHARED in backend/kernels/Kernel.h).
bool isSharedKernel(llvm::StringRef Name);

/// Links the kernel library into M, keeps only Entries external, sets the
/// target's CPU and features on every function and runs the O3 pipeline.
/// With SharedKernelsElsewhere the shared routines stay declarations, to be
/// resolved to sharedKernels().
Status optimizeModule(llvm::Module &M, llvm::TargetMachine &TM,
                      const std::vector<std::string> &Entries,
                      CompileTimes &Times, bool SharedKernelsElsewhere = false);

/// The shared routines (NNC_SHARED) compiled for Opts' target, as an
/// object file (SharedKernelObject.cpp).
using SharedObject = std::shared_ptr<const llvm::MemoryBuffer>;
Expected<SharedObject> compileSharedKernels(const CodegenOptions &Opts);

/// The shared routines for Opts' target: the build's object when the target
/// has its instruction set, else compiled once per process and target on a
/// thread of its own (the first call starts either; SharedKernels.cpp).
std::shared_future<Expected<SharedObject>>
sharedKernels(const CodegenOptions &Opts);
/// Where sharedKernels(Opts) came from: "x86-64-v4" or "x86-64-v3" (built
/// in), or "compiled" (for -v and tests).
Expected<std::string> sharedKernelsOrigin(const CodegenOptions &Opts);

/// An optimized module compiled to machine code in this process.
class JitModule {
public:
  /// An object file emitted for Opts' target (emitObject), linked as is.
  static Expected<std::unique_ptr<JitModule>>
  createFromObject(const std::vector<char> &Object, const CodegenOptions &Opts,
                   SharedObject Shared = nullptr);
  ~JitModule();
  Expected<nnc_entry_fn> lookup(const std::string &Name);

private:
  JitModule();
  struct Impl;
  std::unique_ptr<Impl> I;
};

} // namespace nnc::backend
