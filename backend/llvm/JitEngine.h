//===- backend/llvm/JitEngine.h - Entry points compiled with LLVM -*- C++
//-*-===//
//
// The engine that runs compiled code: each entry point is compiled by
// compile() (backend/Compile.h) for each batch size it meets, on a copy
// of the graph, and cached; stored tensors live in one persistent buffer.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Compile.h"
#include "backend/Engine.h"

namespace nnc::backend {

Expected<std::unique_ptr<Engine>> createJitEngine(ir::Graph &G,
                                                  const EngineOptions &Opts);

} // namespace nnc::backend
