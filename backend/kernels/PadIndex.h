//===- backend/kernels/PadIndex.h - Padded index to source -----*- C++ -*-===//
//
// Shared by the Pad kernels and the reference interpreter: freestanding
// (no C++ library), as the kernel library must be.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnck {

/// Pad's modes, as the kernels' P and the interpreter number them.
enum PadMode : int64_t { PadConstant = 0, PadReflect = 1, PadEdge = 2 };

/// The element of an axis of N elements, padded by Begin, that padded index
/// O copies, or -1 for the constant. Reflect mirrors without repeating the
/// edge, again and again for pads longer than the axis (NumPy's); edge
/// repeats the edge.
static inline int64_t padSource(int64_t O, int64_t N, int64_t Begin,
                                int64_t Mode) {
  int64_t I = O - Begin;
  if (I >= 0 && I < N)
    return I;
  if (Mode == PadConstant)
    return -1;
  if (Mode == PadEdge || N == 1)
    return I < 0 ? 0 : N - 1;
  int64_t Period = 2 * (N - 1);
  I %= Period;
  if (I < 0)
    I += Period;
  return I < N ? I : Period - I;
}

} // namespace nnck
