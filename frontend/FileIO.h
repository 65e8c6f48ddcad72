//===- frontend/FileIO.h - Reading and atomically writing files -*- C++ -*-===//
#pragma once

#include "ir/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::frontend {

Expected<std::vector<uint8_t>> readFile(const std::string &Path);

/// Writes Bytes to Path through a temporary file in the same directory and a
/// rename, so Path holds either its old contents or all of the new ones.
Status writeFileAtomically(const std::string &Path, const void *Bytes,
                           size_t Size);
inline Status writeFileAtomically(const std::string &Path,
                                  const std::string &Text) {
  return writeFileAtomically(Path, Text.data(), Text.size());
}

/// "a/b/model.json" -> "json"; "" if there is no extension.
std::string extensionOf(const std::string &Path);
/// The directory part of Path, "." if none.
std::string directoryOf(const std::string &Path);

} // namespace nnc::frontend
