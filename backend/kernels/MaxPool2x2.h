//===- backend/kernels/MaxPool2x2.h - Rows of 2x2 max pooling --*- C++ -*-===//
//
// 2x2 max pooling with stride 2, a row of windows at a time, forward and
// backward, vectorized by splitting even and odd columns. The gradient
// sends each window's dy to the first element, kh-major, equal to the
// pooled value (as the interpreter's PoolGrad). Shared by MaxPool and
// PoolGrad, and by the BatchNorm kernels that fuse them.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/kernels/Kernel.h"

namespace nnck {

/// Even and odd lanes of 2L floats, and back: the shuffles a row of 2x2
/// windows needs, spelled out for the two widths it is run at (by
/// reference: always inlined, and vectors by value would change the ABI).
template <int L> struct Deinterleave;
template <> struct Deinterleave<8> {
  typedef float F __attribute__((ext_vector_type(8), aligned(4)));
  typedef float F2 __attribute__((ext_vector_type(16), aligned(4)));
  NNC_INLINE void split(const F2 &V, F &Even, F &Odd) {
    Even = __builtin_shufflevector(V, V, 0, 2, 4, 6, 8, 10, 12, 14);
    Odd = __builtin_shufflevector(V, V, 1, 3, 5, 7, 9, 11, 13, 15);
  }
  NNC_INLINE void join(const F &Even, const F &Odd, F2 &V) {
    V = __builtin_shufflevector(Even, Odd, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5,
                                13, 6, 14, 7, 15);
  }
};
template <> struct Deinterleave<4> {
  typedef float F __attribute__((ext_vector_type(4), aligned(4)));
  typedef float F2 __attribute__((ext_vector_type(8), aligned(4)));
  NNC_INLINE void split(const F2 &V, F &Even, F &Odd) {
    Even = __builtin_shufflevector(V, V, 0, 2, 4, 6);
    Odd = __builtin_shufflevector(V, V, 1, 3, 5, 7);
  }
  NNC_INLINE void join(const F &Even, const F &Odd, F2 &V) {
    V = __builtin_shufflevector(Even, Odd, 0, 4, 1, 5, 2, 6, 3, 7);
  }
};

/// Windows [0, OW) of a row of 2x2 max-pooling windows tiling the input
/// (rows X and X + Xs): dy goes to the first element, kh-major, equal to
/// the pooled value, the others get 0 (in rows Dx and Dx + Ds). L <= OW
/// windows at a time, selects by masks, so the row vectorizes; a last
/// partial group overlaps the one before (each output is a function of the
/// inputs alone, so writing it twice is harmless).
template <int L>
NNC_INLINE void maxPoolGrad2x2Row(const float *X, int64_t Xs, const float *Y,
                                  const float *Dy, float *Dx, int64_t Ds,
                                  int64_t OW) {
  using S = Deinterleave<L>;
  typedef typename S::F F;
  typedef typename S::F2 F2;
  typedef int32_t I __attribute__((ext_vector_type(L), aligned(4)));
  auto Run = [&](int64_t Ow) NNC_LAMBDA {
    F2 Top, Bottom;
    F Yo, D;
    __builtin_memcpy(&Top, X + 2 * Ow, sizeof(F2));
    __builtin_memcpy(&Bottom, X + Xs + 2 * Ow, sizeof(F2));
    __builtin_memcpy(&Yo, Y + Ow, sizeof(F));
    __builtin_memcpy(&D, Dy + Ow, sizeof(F));
    F TopEven, TopOdd, BottomEven, BottomOdd;
    S::split(Top, TopEven, TopOdd);
    S::split(Bottom, BottomEven, BottomOdd);
    I A = TopEven == Yo;
    I B = ~A & (TopOdd == Yo);
    I C = ~A & ~B & (BottomEven == Yo);
    I E = ~A & ~B & ~C;
    I Bits;
    __builtin_memcpy(&Bits, &D, sizeof(I));
    F Da, Db, Dc, De;
    I Ma = Bits & A, Mb = Bits & B, Mc = Bits & C, Me = Bits & E;
    __builtin_memcpy(&Da, &Ma, sizeof(F));
    __builtin_memcpy(&Db, &Mb, sizeof(F));
    __builtin_memcpy(&Dc, &Mc, sizeof(F));
    __builtin_memcpy(&De, &Me, sizeof(F));
    F2 OutTop, OutBottom;
    S::join(Da, Db, OutTop);
    S::join(Dc, De, OutBottom);
    __builtin_memcpy(Dx + 2 * Ow, &OutTop, sizeof(F2));
    __builtin_memcpy(Dx + Ds + 2 * Ow, &OutBottom, sizeof(F2));
  };
  int64_t Ow = 0;
  for (; Ow + L <= OW; Ow += L)
    Run(Ow);
  if (Ow < OW)
    Run(OW - L);
}

/// Y[0:OW] = the maxima of the 2x2 windows of rows X and X + Xs, L <= OW
/// at a time as maxPoolGrad2x2Row goes.
template <int L>
NNC_INLINE void maxPool2x2Row(const float *X, int64_t Xs, float *Y,
                              int64_t OW) {
  using S = Deinterleave<L>;
  typedef typename S::F F;
  typedef typename S::F2 F2;
  auto Run = [&](int64_t Ow) NNC_LAMBDA {
    F2 Top, Bottom;
    __builtin_memcpy(&Top, X + 2 * Ow, sizeof(F2));
    __builtin_memcpy(&Bottom, X + Xs + 2 * Ow, sizeof(F2));
    F TopEven, TopOdd, BottomEven, BottomOdd;
    S::split(Top, TopEven, TopOdd);
    S::split(Bottom, BottomEven, BottomOdd);
    // maxOf's order, lane by lane: the second where unordered.
    F Top2 = TopEven > TopOdd ? TopEven : TopOdd;
    F Bottom2 = BottomEven > BottomOdd ? BottomEven : BottomOdd;
    F M = Top2 > Bottom2 ? Top2 : Bottom2;
    __builtin_memcpy(Y + Ow, &M, sizeof(F));
  };
  int64_t Ow = 0;
  for (; Ow + L <= OW; Ow += L)
    Run(Ow);
  if (Ow < OW)
    Run(OW - L);
}

/// maxPool2x2Row for any number of windows: 8 or 4 at a time, or one by
/// one in a row of fewer than 4.
NNC_INLINE void maxPool2x2Run(const float *X, int64_t Xs, float *Y,
                              int64_t OW) {
  if (OW >= 8)
    return maxPool2x2Row<8>(X, Xs, Y, OW);
  if (OW >= 4)
    return maxPool2x2Row<4>(X, Xs, Y, OW);
  for (int64_t Ow = 0; Ow < OW; ++Ow)
    Y[Ow] = maxOf(maxOf(X[2 * Ow], X[2 * Ow + 1]),
                  maxOf(X[Xs + 2 * Ow], X[Xs + 2 * Ow + 1]));
}

/// maxPoolGrad2x2Row for any number of windows: 8 or 4 at a time, or one
/// by one in a row of fewer than 4.
NNC_INLINE void maxPoolGrad2x2Run(const float *X, int64_t Xs, const float *Y,
                                  const float *Dy, float *Dx, int64_t Ds,
                                  int64_t OW) {
  if (OW >= 8)
    return maxPoolGrad2x2Row<8>(X, Xs, Y, Dy, Dx, Ds, OW);
  if (OW >= 4)
    return maxPoolGrad2x2Row<4>(X, Xs, Y, Dy, Dx, Ds, OW);
  for (int64_t Ow = 0; Ow < OW; ++Ow) {
    const float *X0 = X + 2 * Ow, *X1 = X0 + Xs;
    float *D0 = Dx + 2 * Ow, *D1 = D0 + Ds;
    float Yo = Y[Ow], D = Dy[Ow];
    bool A = X0[0] == Yo, B = !A & (X0[1] == Yo);
    bool C = !A & !B & (X1[0] == Yo), E = !A & !B & !C;
    D0[0] = A ? D : 0.f;
    D0[1] = B ? D : 0.f;
    D1[0] = C ? D : 0.f;
    D1[1] = E ? D : 0.f;
  }
}

} // namespace nnck
