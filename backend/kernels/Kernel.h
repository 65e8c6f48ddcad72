//===- backend/kernels/Kernel.h - Shared by the bitcode kernels -*- C++ -*-===//
//
// The kernels in this folder are compiled by clang-19 to LLVM bitcode at
// build time, linked into every generated module and specialized there on
// the model's constant shapes. They are freestanding: no C++ library, no
// allocation, only libm and memcpy/memset, so AOT objects stay
// self-contained.
//
// Every op kernel has one signature:
//   int nnc_k_<Op>(void *const *T, const int64_t *P, const double *F,
//                  const nnc_exec *X)
// T: the op's operands in order (null for an absent optional one), then its
// outputs, then its workspace in the arena, if it asked for one. P: the
// op's parameter struct (Params.h); F: its real parameters, as each kernel
// documents. Both are packed by backend/llvm/*Calls.cpp. Returns 0, or an
// NNC_ERR_* code.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/kernels/Codes.h"
#include "backend/kernels/Params.h"
#include "backend/kernels/Workspace.h"
#include "ir/PointwiseMath.h"
#include "runtime/nnc_runtime.h"

#include <stddef.h>
#include <stdint.h>

#define NNC_KERNEL(Name)                                                       \
  extern "C" int nnc_k_##Name(void *const *T, const int64_t *P,                \
                              const double *F, const nnc_exec *Exec)
// Kernels that split their work into independent tasks (a Tasks field of
// their parameters, Params.h) also have
//   int nnc_t_<Op>(T, P, F, Exec, int64_t Task)
// which the generated code runs for every task, through the runtime's
// parallel_for when there is one; nnc_k_<Op> then finishes (a reduction of
// per-task partial results, or nothing). Each task function is specialized
// on the constant P like the kernels are.
#define NNC_TASK(Name)                                                         \
  extern "C" int nnc_t_##Name(void *const *T, const int64_t *P,                \
                              const double *F, const nnc_exec *Exec,           \
                              int64_t Task)
#define NNC_INLINE static inline __attribute__((always_inline))
#define NNC_METHOD inline __attribute__((always_inline))
/// On a lambda's parameter list: inlined into its caller even when that
/// caller has several call sites (two kernels sharing a path), so it is
/// specialized on the constant parameters with the rest of the task.
#define NNC_LAMBDA __attribute__((always_inline))

namespace nnck {

typedef float v16 __attribute__((ext_vector_type(16), aligned(4)));
typedef float v8 __attribute__((ext_vector_type(8), aligned(4)));

} // namespace nnck

/// The target's vector register width in bits (512 with AVX-512, else 256),
/// defined as a constant by the code generator (backend/llvm/Jit.cpp) when
/// it links this library, so that kernels choose register blockings that fit
/// the target's registers and the unused choice folds away.
extern "C" const int32_t nnc_target_vector_bits;

namespace nnck {

template <typename T> NNC_INLINE T *in(void *const *Ts, int I) {
  return static_cast<T *>(Ts[I]);
}
NNC_INLINE float *f32(void *const *Ts, int I) { return in<float>(Ts, I); }

template <typename T> NNC_INLINE T maxOf(T A, T B) { return A > B ? A : B; }
template <typename T> NNC_INLINE T minOf(T A, T B) { return A < B ? A : B; }

NNC_INLINE void zero(float *P, int64_t N) {
  for (int64_t I = 0; I < N; ++I)
    P[I] = 0.f;
}
NNC_INLINE void copy(float *D, const float *S, int64_t N) {
  __builtin_memcpy(D, S, size_t(N) * sizeof(float));
}
/// D[0:N] = S[0:N] (or += with Add) for the short rows of small images,
/// where a call to memcpy costs more than the copy: 16 floats at a time,
/// then 8, 4 and single ones (a row of 14 is three moves and two floats).
template <bool Add>
NNC_INLINE void moveShort(float *D, const float *S, int64_t N) {
  typedef float v4 __attribute__((ext_vector_type(4), aligned(4)));
  // A macro, not a lambda: a deduced vector type loses aligned(4).
#define NNC_MOVE(V)                                                            \
  if (Add)                                                                     \
    *reinterpret_cast<V *>(D + I) += *reinterpret_cast<const V *>(S + I);      \
  else                                                                         \
    *reinterpret_cast<V *>(D + I) = *reinterpret_cast<const V *>(S + I);
  int64_t I = 0;
  for (; I + 16 <= N; I += 16) {
    NNC_MOVE(v16)
  }
  if (I + 8 <= N) {
    NNC_MOVE(v8)
    I += 8;
  }
  if (I + 4 <= N) {
    NNC_MOVE(v4)
    I += 4;
  }
  for (; I < N; ++I) {
    NNC_MOVE(float)
  }
#undef NNC_MOVE
}
NNC_INLINE void copyShort(float *D, const float *S, int64_t N) {
  moveShort<false>(D, S, N);
}
NNC_INLINE void addShort(float *D, const float *S, int64_t N) {
  moveShort<true>(D, S, N);
}

using nnc::pointwise::sigmoid;
using nnc::pointwise::Unary;

/// An epilogue's activation: a pointwise::Unary code (Identity: none) and
/// its attributes A[0], A[1].
NNC_INLINE float activate(float V, int64_t Code, const double *A) {
  return nnc::pointwise::value(Unary(Code), V, A);
}

/// The sum of a vector's 16 lanes.
NNC_INLINE float laneSum(const v16 &V) {
  typedef float v8x __attribute__((ext_vector_type(8)));
  typedef float v4x __attribute__((ext_vector_type(4)));
  v8x A = __builtin_shufflevector(V, V, 0, 1, 2, 3, 4, 5, 6, 7) +
          __builtin_shufflevector(V, V, 8, 9, 10, 11, 12, 13, 14, 15);
  v4x B = __builtin_shufflevector(A, A, 0, 1, 2, 3) +
          __builtin_shufflevector(A, A, 4, 5, 6, 7);
  return (B[0] + B[2]) + (B[1] + B[3]);
}

/// Stores V's first N (< 16) lanes at Out, 8 and 4 at a time, then one by
/// one: a store per lane dominated the direct conv's short rows.
NNC_INLINE void storeFirst(float *Out, const v16 &V, int64_t N) {
  typedef float v4x __attribute__((ext_vector_type(4), aligned(4)));
  float Lanes[16];
  __builtin_memcpy(Lanes, &V, sizeof(v16));
  int64_t L = 0;
  if (N >= 8) {
    v8 Low = __builtin_shufflevector(V, V, 0, 1, 2, 3, 4, 5, 6, 7);
    __builtin_memcpy(Out, &Low, sizeof(v8));
    L = 8;
  }
  if (N - L >= 4) {
    v4x Quad;
    __builtin_memcpy(&Quad, Lanes + L, sizeof(v4x));
    __builtin_memcpy(Out + L, &Quad, sizeof(v4x));
    L += 4;
  }
  for (; L < N; ++L)
    Out[L] = Lanes[L];
}

/// laneSum of 8 lanes (AVX2's register width).
NNC_INLINE float laneSum(const v8 &V) {
  typedef float v4x __attribute__((ext_vector_type(4)));
  v4x B = __builtin_shufflevector(V, V, 0, 1, 2, 3) +
          __builtin_shufflevector(V, V, 4, 5, 6, 7);
  return (B[0] + B[2]) + (B[1] + B[3]);
}

/// activate() on a vector: ReLU and the identity as vector operations, the
/// others lane by lane.
NNC_INLINE void activateV(v16 &V, int64_t Code, const double *A) {
  if (Code == int64_t(Unary::Identity))
    return;
  if (Code == int64_t(Unary::Relu)) {
    V = __builtin_elementwise_max(V, v16(0.f));
    return;
  }
  for (int L = 0; L < 16; ++L)
    V[L] = activate(V[L], Code, A);
}

/// op'(x) of UnaryGrad's op (a pointwise::Unary code) from x and y = op(x);
/// A: the op's attributes.
NNC_INLINE float unaryDerivative(int64_t Code, float X, float Y,
                                 const double *A) {
  return nnc::pointwise::derivative(Unary(Code), X, Y, A);
}

/// ir::SplitMix64, bit for bit, so compiled random ops draw what the
/// interpreter draws.
struct SplitMix64 {
  uint64_t State;
  NNC_METHOD uint64_t next() {
    uint64_t Z = (State += 0x9e3779b97f4a7c15ULL);
    Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebULL;
    return Z ^ (Z >> 31);
  }
  NNC_METHOD double uniform() { return double(next() >> 11) * 0x1.0p-53; }
};
/// A node's generator: P holds its seed already mixed with its id.
NNC_INLINE SplitMix64 rngFor(uint64_t NodeMix, const nnc_exec *X) {
  return SplitMix64{NodeMix ^ X->seed};
}

// The routines below take their shapes at run time, so they gain nothing
// from being compiled into each model: NNC_SHARED names them, the build
// compiles them for x86-64-v4 and -v3 (other targets: the JIT, once per
// process; backend/llvm/SharedKernels.cpp) and every JIT-compiled model
// calls that copy. AOT objects still carry their own.
#define NNC_SHARED(Name) __asm__("nnc_lib_" #Name)

// GEMM (Gemm.cpp): C[M,N] (+)= A[M,K] B[K,N]; A(i,k) = A[i*RsA + k*CsA],
// B(k,j) = B[k*RsB + j*CsB], C row stride Ldc. Work: gemmWorkspace floats.
void gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t RsA,
          int64_t CsA, const float *B, int64_t RsB, int64_t CsB, float *C,
          int64_t Ldc, bool Accumulate, float *Work) NNC_SHARED(gemm);

// A GEMM whose A is used many times (Winograd's transformed weights): A
// packed once, as gemm packs it, into roundUp(M, GemmMR) * K floats, then
// gemm without packing A. K must be at most GemmKC.
void packGemmA(int64_t M, int64_t K, const float *A, int64_t RsA, int64_t CsA,
               float *Dst) NNC_SHARED(packGemmA);
void gemmPackedA(int64_t M, int64_t N, int64_t K, const float *PackedA,
                 const float *B, int64_t RsB, int64_t CsB, float *C,
                 int64_t Ldc, bool Accumulate, float *Work)
    NNC_SHARED(gemmPackedA);

// A GEMM whose B is used many times (a recurrent layer's R, every step):
// B packed once by packGemmB into packedGemmBFloats(K, N) floats, then gemm
// without packing B (any K and N).
void packGemmB(int64_t K, int64_t N, const float *B, int64_t RsB, int64_t CsB,
               float *Dst) NNC_SHARED(packGemmB);
void gemmPackedB(int64_t M, int64_t N, int64_t K, const float *A, int64_t RsA,
                 int64_t CsA, const float *PackedB, float *C, int64_t Ldc,
                 bool Accumulate, float *Work) NNC_SHARED(gemmPackedB);

// C[M,N] = A B with both operands packed already: A by packGemmA, B as
// gemm packs it (panels of gemmNR() columns, k-major: element (k, j) at
// (j / NR) * K * NR + k * NR + j % NR, the last panel zero-padded). K must
// be at most GemmKC. Winograd's input transform writes B this way.
void gemmPackedAB(int64_t M, int64_t N, int64_t K, const float *PackedA,
                  const float *PackedB, float *C, int64_t Ldc)
    NNC_SHARED(gemmPackedAB);
/// The GEMM micro-kernel's width for this target.
/// Task's share [first, end) of Rows split in Tasks, in whole register
/// blocks of the GEMM's micro-kernel.
NNC_INLINE void rowsOf(int64_t Rows, int64_t Task, int64_t Tasks,
                       int64_t &First, int64_t &End) {
  int64_t Blocks = (Rows + GemmMR - 1) / GemmMR;
  First = minOf(Rows, Blocks * Task / Tasks * GemmMR);
  End = minOf(Rows, Blocks * (Task + 1) / Tasks * GemmMR);
}
NNC_INLINE int64_t gemmNR() { return nnc_target_vector_bits >= 512 ? 32 : 16; }

// C[M,N] (+)= A[M,K] B[N,K]^T with rows of A and B contiguous along K (row
// strides Lda, Ldb): dot products of long rows, as a weight gradient sums
// over many pixels. Needs no packing and no workspace.
void gemmNT(int64_t M, int64_t N, int64_t K, const float *A, int64_t Lda,
            const float *B, int64_t Ldb, float *C, int64_t Ldc, bool Accumulate)
    NNC_SHARED(gemmNT);

} // namespace nnck
