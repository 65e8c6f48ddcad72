//===- backend/llvm/CompileCache.h - Compiled objects kept on disk -*- C++
//-*-=//
//
// A persistent cache of the JIT's machine code, as JAX/XLA's compilation
// cache: the object file of an optimized entry point, stored under a key
// that hashes the generated (unoptimized) module, the target CPU and its
// features, the LLVM version and this nnc build. The module already says
// everything about the graph and the options that reaches the code (shapes,
// fusion, thread count, training), so equal keys mean equal code.
//
// An entry is a file <dir>/<key>.o: a header (magic, key, payload size,
// payload SHA-256) and the object. A file that is short, unreadable or whose
// key or checksum does not match is a miss, recompiled and replaced, never
// trusted. Writers write a temporary file in the same folder and rename it,
// so concurrent processes only ever see whole entries.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Engine.h"
#include "ir/Status.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc::backend {

using CacheKey = std::array<uint8_t, 32>;

/// An identity of this nnc build (its GNU build-id note), or "" when the
/// binary has none; without one, nothing is cached.
const std::string &nncBuildId();

class CompileCache {
public:
  /// Dir is created when the first entry is stored.
  explicit CompileCache(std::string Dir) : Dir(std::move(Dir)) {}

  /// The key of M (not yet optimized) compiled for TM by this build.
  static CacheKey key(const llvm::Module &M, const llvm::TargetMachine &TM);

  /// The stored object for Key, or nothing (absent, or rejected: Why says
  /// why, for -v).
  std::optional<std::vector<char>> load(const CacheKey &Key,
                                        std::string &Why) const;
  /// Stores Object under Key (write, then rename).
  Status store(const CacheKey &Key, const std::vector<char> &Object) const;

  std::string pathOf(const CacheKey &Key) const;

private:
  std::string Dir;
};

} // namespace nnc::backend
