//===- backend/llvm/PrebuildSharedKernels.cpp - Build-time objects --------===//
//
// Run by the build: compiles the shared routines for the x86-64 levels the
// JIT meets most (SharedKernels.cpp picks them by the target's features),
// so a process does not spend a third of a second compiling them.
//   nnc_prebuild_shared_kernels CPU OUT.o [CPU OUT.o ...]
//
//===----------------------------------------------------------------------===//
#include "backend/llvm/Jit.h"

#include <llvm/Support/MemoryBuffer.h>

#include <cstdio>
#include <string>

int main(int Argc, char **Argv) {
  if (Argc < 3 || Argc % 2 == 0) {
    std::fprintf(stderr, "usage: %s CPU OUT.o [CPU OUT.o ...]\n", Argv[0]);
    return 2;
  }
  for (int I = 1; I + 1 < Argc; I += 2) {
    nnc::Expected<nnc::backend::SharedObject> Obj =
        nnc::backend::compileSharedKernels({Argv[I]});
    if (!Obj.ok()) {
      std::fprintf(stderr, "%s: %s\n", Argv[I], Obj.message().c_str());
      return 1;
    }
    // Temporary file, then rename: a failed build leaves no half object.
    std::string Tmp = std::string(Argv[I + 1]) + ".tmp";
    std::FILE *F = std::fopen(Tmp.c_str(), "wb");
    llvm::StringRef Bytes = (*Obj)->getBuffer();
    bool Ok =
        F && std::fwrite(Bytes.data(), 1, Bytes.size(), F) == Bytes.size();
    Ok = (F && std::fclose(F) == 0) && Ok;
    if (!Ok || std::rename(Tmp.c_str(), Argv[I + 1]) != 0) {
      std::fprintf(stderr, "%s: cannot write\n", Argv[I + 1]);
      std::remove(Tmp.c_str());
      return 1;
    }
  }
  return 0;
}
