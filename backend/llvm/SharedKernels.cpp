//===- backend/llvm/SharedKernels.cpp - The shared routines, per target ---===//
//
// One object of the shared routines per process and target: one compiled
// into the binary at build time when the target has its instruction set
// (x86-64-v4 with 512-bit vectors, x86-64-v3), else compiled here on a
// thread of its own, so the first model's compile overlaps it.
//
//===----------------------------------------------------------------------===//
#include "backend/llvm/Jit.h"

#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Target/TargetMachine.h>

#include <map>
#include <mutex>

extern "C" const char nnc_prebuilt_v4_begin[], nnc_prebuilt_v4_end[];
extern "C" const char nnc_prebuilt_v3_begin[], nnc_prebuilt_v3_end[];

namespace nnc::backend {

namespace {

struct Prebuilt {
  const char *Cpu;
  /// What the target must have: the level's instruction set, and 512-bit
  /// vectors exactly when the object uses them (nnc_target_vector_bits).
  const char *Features;
  bool Wide;
  const char *Begin, *End;
};

const Prebuilt ThePrebuilt[] = {
    {"x86-64-v4",
     "+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl,+evex512,+avx2,+fma,"
     "+bmi,+bmi2,+lzcnt,+movbe,+f16c",
     true, nnc_prebuilt_v4_begin, nnc_prebuilt_v4_end},
    {"x86-64-v3", "+avx2,+fma,+bmi,+bmi2,+lzcnt,+movbe,+f16c", false,
     nnc_prebuilt_v3_begin, nnc_prebuilt_v3_end},
};

Expected<SharedObject> findOrCompile(const CodegenOptions &Opts) {
  Expected<std::unique_ptr<llvm::TargetMachine>> TM = createTargetMachine(Opts);
  if (!TM.ok())
    return TM.status();
  const llvm::MCSubtargetInfo &Sub = *(*TM)->getMCSubtargetInfo();
  bool Wide = Sub.checkFeatures("+avx512f,+evex512");
  for (const Prebuilt &P : ThePrebuilt)
    if (P.Wide == Wide && Sub.checkFeatures(P.Features) && P.End > P.Begin)
      return SharedObject(llvm::MemoryBuffer::getMemBuffer(
          llvm::StringRef(P.Begin, size_t(P.End - P.Begin)), P.Cpu,
          /*RequiresNullTerminator=*/false));
  return compileSharedKernels(Opts);
}

} // namespace

std::shared_future<Expected<SharedObject>>
sharedKernels(const CodegenOptions &Opts) {
  static std::mutex Lock;
  static std::map<std::string, std::shared_future<Expected<SharedObject>>>
      Found;
  std::string Key = Opts.TargetCpu.empty() ? "host" : Opts.TargetCpu;
  std::lock_guard<std::mutex> Guard(Lock);
  auto It = Found.find(Key);
  if (It == Found.end())
    It = Found
             .emplace(
                 Key,
                 std::async(std::launch::async, findOrCompile, Opts).share())
             .first;
  return It->second;
}

Expected<std::string> sharedKernelsOrigin(const CodegenOptions &Opts) {
  const Expected<SharedObject> &Obj = sharedKernels(Opts).get();
  if (!Obj.ok())
    return Obj.status();
  std::string Id = (*Obj)->getBufferIdentifier().str();
  for (const Prebuilt &P : ThePrebuilt)
    if (Id == P.Cpu)
      return Id;
  return std::string("compiled");
}

} // namespace nnc::backend
