//===- runtime/Idx.h - IDX files (MNIST, Fashion-MNIST) ---------*- C++ -*-===//
//
// The IDX format: two zero bytes, a type code, the number of dimensions,
// big-endian 32-bit sizes, then big-endian data. Files may be gzipped (read
// through zlib either way).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct IdxArray {
  std::vector<int64_t> Dims;
  /// Elements converted to double, row-major.
  std::vector<double> Values;
  /// True when the file holds unsigned bytes (pixels or class labels).
  bool Unsigned8 = false;
  /// With KeepBytes, unsigned bytes stay here and Values is empty: 60,000
  /// images are 47 MB as bytes, 376 MB as doubles.
  std::vector<uint8_t> Bytes;
};

/// Reads an IDX file, gzipped or not. On failure returns false and sets
/// Error to one line naming the file and the problem.
bool readIdx(const std::string &Path, IdxArray &Out, std::string &Error,
             bool KeepBytes = false);

/// Whether a file name looks like IDX ("...-ubyte", "...-ubyte.gz", ".idx").
bool looksLikeIdx(const std::string &Path);

} // namespace nnc::runtime
