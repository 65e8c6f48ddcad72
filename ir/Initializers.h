//===- ir/Initializers.h - Values of stored tensors -------------*- C++ -*-===//
//
// Turns a stored tensor's raw data or initializer scheme into numbers. The
// random schemes use their own generator (SplitMix64, Box-Muller), not
// <random>'s distributions, whose output differs between standard libraries:
// the same seed gives the same weights on every machine.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <vector>

namespace nnc::ir {

/// Fan-in and fan-out as PyTorch computes them: dim 1 and dim 0 times the
/// product of the remaining (receptive field) dimensions.
struct Fans {
  double In = 0, Out = 0;
};
Expected<Fans> computeFans(const Shape &S);

/// The tensor's elements in row-major order, as doubles.
Expected<std::vector<double>> materialize(const Value &V);

/// Decodes raw little-endian data of the given type.
std::vector<double> decode(const std::vector<uint8_t> &Raw, DType T);
/// Encodes values as raw little-endian data of the given type.
std::vector<uint8_t> encode(const std::vector<double> &Values, DType T);
/// decode() as int64 (shapes, axes), saturating at int64's range; NaN is 0.
std::vector<int64_t> decodeInts(const std::vector<uint8_t> &Raw, DType T);

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t Seed) : State(Seed) {}
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box-Muller).
  double normal();

private:
  uint64_t State;
  bool HasSpare = false;
  double Spare = 0;
};

} // namespace nnc::ir
