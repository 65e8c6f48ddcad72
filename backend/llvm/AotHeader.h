//===- backend/llvm/AotHeader.h - The C header of an AOT object -*- C++ -*-===//
//
// The header an application includes with an AOT object: sizes, shapes and
// the state layout as macros, the entry functions, and for C++ a small
// class. It compiles as C99 (-pedantic -Wall -Wextra) and C++11; tensor
// names become unique identifiers that are never keywords or the header's
// own names.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Compile.h"
#include "backend/llvm/CodeGen.h"
#include "ir/Graph.h"

#include <string>
#include <utility>
#include <vector>

namespace nnc::backend {

struct AotHeaderInput {
  std::string Prefix, Source, ModelName;
  /// The variants' CPUs, in the order they are preferred, each with the
  /// features it needs.
  std::vector<std::string> TargetCpus;
  int64_t Batch = 1;
  bool WeightsInFile = false;
  std::vector<const ir::EntryPoint *> Entries;
  const PersistentLayout *Layout = nullptr;
  size_t ArenaBytes = 0;
  std::vector<std::pair<std::string, CompileReport>> Reports;
};

std::string aotHeader(const AotHeaderInput &In);

/// Whether an entry's C function takes this input by value (an f32 scalar:
/// the learning rate, the step).
bool passedByValue(const ir::Value *V);

} // namespace nnc::backend
