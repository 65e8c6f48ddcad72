//===- fuzz/FuzzMain.cpp - A libFuzzer driver for one reader -------------===//
//
// Built once per target with NNC_FUZZ_TARGET set to its name (fuzz/
// CMakeLists.txt). Refusing an input is the expected outcome for most of
// them; what libFuzzer looks for is a crash, a sanitizer report, a leak or a
// hang.
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzTargets.h"

#include <cstdio>
#include <cstdlib>

namespace {
const nnc::fuzz::FuzzTarget &target() {
  static const nnc::fuzz::FuzzTarget *T =
      nnc::fuzz::findFuzzTarget(NNC_FUZZ_TARGET);
  if (!T) {
    std::fprintf(stderr, "no fuzz target named '%s'\n", NNC_FUZZ_TARGET);
    std::exit(2);
  }
  return *T;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  (void)target().Run(Data, Size);
  return 0;
}
