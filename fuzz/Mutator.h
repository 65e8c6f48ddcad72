//===- fuzz/Mutator.h - Damaged copies of valid files ---------*- C++ -*-===//
//
// The generator behind the mutation campaign (nnc_mutate): from a valid
// seed file it makes a damaged copy the way files get damaged and the way
// hand edits go wrong: flipped bits, bytes and words set to boundary values,
// cut, deleted, duplicated or inserted ranges, pieces of another file of the
// same kind and, in text, numbers replaced by extreme ones and structural
// characters dropped or doubled. The same (seed, index) always gives the same
// input, so a failure is reproduced from two numbers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Initializers.h"

#include <cstdint>
#include <vector>

namespace nnc::fuzz {

using Bytes = std::vector<uint8_t>;

/// ir::SplitMix64 (small, fast, and the same on every machine) with the
/// draws the mutations need.
class Random {
public:
  explicit Random(uint64_t Seed) : Gen(Seed) {}
  uint64_t next() { return Gen.next(); }
  /// Uniform in [0, N); N > 0.
  uint64_t below(uint64_t N) { return next() % N; }
  bool oneIn(uint64_t N) { return below(N) == 0; }

private:
  ir::SplitMix64 Gen;
};

/// A damaged copy of Seeds[k] for some k: 1 to 4 mutations, text-aware when
/// Text. Seeds must not be empty.
Bytes mutate(const std::vector<Bytes> &Seeds, bool Text, Random &R);

} // namespace nnc::fuzz
