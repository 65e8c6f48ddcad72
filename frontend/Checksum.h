//===- frontend/Checksum.h - Integrity of binary model files ----*- C++ -*-===//
//
// A binary model (.nnc) of schema version 2 or later ends with a trailer:
// the 8 bytes "NNCSUM01", then the little-endian 64-bit FNV-1a hash of every
// byte before the trailer. FNV-1a's steps are bijections, so any change to
// one byte changes the hash: a flipped bit in a checkpoint is an error, not
// changed weights. FlatBuffers ignores the bytes after its buffer.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::frontend {

constexpr size_t ChecksumTrailerBytes = 16;

uint64_t fnv1a64(const uint8_t *Bytes, size_t Size);

/// Appends the trailer for the bytes so far.
void appendChecksum(std::vector<uint8_t> &Bytes);

/// Checks and removes the trailer. A file without one is accepted only when
/// its schema version predates checksums (HasTrailer tells the caller).
Status stripChecksum(std::vector<uint8_t> &Bytes, const std::string &Path,
                     bool &HasTrailer);

/// Appends the checksum line to JSON text.
void appendJsonChecksum(std::string &Text);

/// Checks and removes the checksum line, when the text ends with one.
Status stripJsonChecksum(std::string &Text, const std::string &Path);

} // namespace nnc::frontend
