//===- backend/kernels/Workspace.h - Scratch sizes of kernels ---*- C++ -*-===//
//
// Shared by the kernels and the host compiler: the compiler reserves this
// much arena space for a kernel call, the kernel uses exactly that.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnck {

// GEMM blocking (BLIS names): an MR x NR block of C lives in registers;
// KC x NR panels of B stay in L1, MC x KC blocks of A in L2.
constexpr int64_t GemmMR = 6, GemmNR = 16, GemmKC = 256, GemmMC = 144,
                  GemmNC = 512;

constexpr int64_t roundUp(int64_t X, int64_t M) { return (X + M - 1) / M * M; }
constexpr int64_t minI(int64_t A, int64_t B) { return A < B ? A : B; }

/// Floats of packing space one gemm call of this size needs.
constexpr int64_t gemmWorkspace(int64_t M, int64_t N, int64_t K) {
  int64_t Kc = minI(K, GemmKC);
  return roundUp(minI(M, GemmMC), GemmMR) * Kc +
         Kc * roundUp(minI(N, GemmNC), GemmNR) + 16;
}

/// Floats of one im2col matrix: Cg*KH*KW rows, OH*OW columns.
constexpr int64_t colFloats(int64_t Cg, int64_t KH, int64_t KW, int64_t OH,
                            int64_t OW) {
  return roundUp(Cg * KH * KW * OH * OW, 16);
}

} // namespace nnck
