//===- backend/kernels/CpuFeatures.cpp - What this CPU can run ------------===//
//
// The mask of CpuFeatures.def rows this CPU and its OS support, read with
// CPUID and XGETBV. An AOT object calls it once to pick the variant it runs
// (backend/llvm/AotDispatch.cpp); it needs no C library, unlike
// __builtin_cpu_supports (libgcc's or compiler-rt's __cpu_model).
//
//===----------------------------------------------------------------------===//
#include <stdint.h>

namespace {

struct Regs {
  uint32_t R[4]; // EAX, EBX, ECX, EDX
};

Regs cpuid(uint32_t Leaf, uint32_t Subleaf) {
  Regs Out = {};
#if defined(__x86_64__)
  __asm__("cpuid"
          : "=a"(Out.R[0]), "=b"(Out.R[1]), "=c"(Out.R[2]), "=d"(Out.R[3])
          : "a"(Leaf), "c"(Subleaf));
#endif
  return Out;
}

/// XCR0: the register states the OS saves on a context switch.
uint64_t savedStates() {
  uint32_t Lo = 0, Hi = 0;
#if defined(__x86_64__)
  __asm__("xgetbv" : "=a"(Lo), "=d"(Hi) : "c"(0));
#endif
  return (uint64_t(Hi) << 32) | Lo;
}

bool osSupports(int OsState, uint64_t Xcr0) {
  const uint64_t AvxState = 0x6;     // XMM, YMM
  const uint64_t Avx512State = 0xe6; // and opmask, ZMM_Hi256, Hi16_ZMM
  if (OsState == 1)
    return (Xcr0 & AvxState) == AvxState;
  if (OsState == 2)
    return (Xcr0 & Avx512State) == Avx512State;
  return true;
}

} // namespace

extern "C" uint64_t nnc_cpu_features(void) {
#if !defined(__x86_64__)
  return 0;
#else
  uint32_t MaxLeaf = cpuid(0, 0).R[0];
  uint32_t MaxExtended = cpuid(0x80000000, 0).R[0];
  bool OsXsave = (cpuid(1, 0).R[2] >> 27) & 1;
  uint64_t Xcr0 = OsXsave ? savedStates() : 0;
  uint64_t Mask = 0;
  int Row = 0;
#define NNC_CPU_FEATURE(Name, Leaf, Subleaf, Register, Bit, OsState)           \
  {                                                                            \
    uint32_t L = Leaf;                                                         \
    bool Present = L >= 0x80000000u ? L <= MaxExtended : L <= MaxLeaf;         \
    if (Present && ((cpuid(L, Subleaf).R[Register] >> (Bit)) & 1) &&           \
        osSupports(OsState, Xcr0))                                             \
      Mask |= uint64_t(1) << Row;                                              \
    ++Row;                                                                     \
  }
#include "backend/kernels/CpuFeatures.def"
  return Mask;
#endif
}
