//===- passes/KernelPrinter.h - A kernel program as text ----------*- C++
//-*-===//
//
// What nnc dump shows after each lowering step: the kernels with their ops
// and stored values; once computed, each stored value's live interval, the
// buffers taken over in place, and the arena's offsets.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/KernelProgram.h"

#include <iosfwd>

namespace nnc::passes {

void printKernelProgram(const ir::EntryPoint &E, const KernelProgram &P,
                        std::ostream &OS);

} // namespace nnc::passes
