//===- backend/kernels/Gemm.cpp - Blocked, register-tiled SGEMM -----------===//
//
// The GotoBLAS/BLIS structure: B is packed in KC x NC panels, A in MC x KC
// blocks, and a 6 x 16 micro-kernel keeps its block of C in vector
// registers (6 zmm on AVX-512, 12 ymm on AVX2), doing one broadcast and one
// FMA per loaded value of A. Operands are read through strides, so
// transposed operands need no copy.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

namespace nnck {
namespace {

constexpr int64_t MR = GemmMR;

/// Packs the Mc x Kc block of A at (I0, K0) as MR-row strips, k-major,
/// zero-padding the last strip.
NNC_INLINE void packA(int64_t Mc, int64_t Kc, const float *A, int64_t Rs,
                      int64_t Cs, float *Dst) {
  for (int64_t I = 0; I < Mc; I += MR) {
    int64_t Rows = minOf(MR, Mc - I);
    if (Rows == MR && Rs == 1) { // a transposed A: MR adjacent values per k
      for (int64_t K = 0; K < Kc; ++K)
        __builtin_memcpy(Dst + K * MR, A + I + K * Cs, MR * sizeof(float));
      Dst += Kc * MR;
      continue;
    }
    for (int64_t K = 0; K < Kc; ++K) {
      for (int64_t R = 0; R < Rows; ++R)
        Dst[K * MR + R] = A[(I + R) * Rs + K * Cs];
      for (int64_t R = Rows; R < MR; ++R)
        Dst[K * MR + R] = 0.f;
    }
    Dst += Kc * MR;
  }
}

/// Packs the Kc x Nc panel of B as NR-column strips, k-major.
template <int64_t NR>
NNC_INLINE void packB(int64_t Kc, int64_t Nc, const float *B, int64_t Rs,
                      int64_t Cs, float *Dst) {
  for (int64_t J = 0; J < Nc; J += NR) {
    int64_t Cols = minOf(NR, Nc - J);
    if (Cols == NR && Cs == 1) {
      for (int64_t K = 0; K < Kc; ++K)
        __builtin_memcpy(Dst + K * NR, B + K * Rs + J, NR * sizeof(float));
    } else {
      // Transposed B (contiguous along k): read each column's run of k
      // contiguously; the writes stay within the L1-sized panel.
      for (int64_t C = 0; C < Cols; ++C)
        for (int64_t K = 0; K < Kc; ++K)
          Dst[K * NR + C] = B[K * Rs + (J + C) * Cs];
      for (int64_t C = Cols; C < NR; ++C)
        for (int64_t K = 0; K < Kc; ++K)
          Dst[K * NR + C] = 0.f;
    }
    Dst += Kc * NR;
  }
}

/// C[0:Rows, 0:Cols] (+)= Apanel x Bpanel over Kc: MR x NR accumulators,
/// NR / 16 vectors per row (one broadcast of A per row and k). A is packed
/// (MR values per k), or with Direct read where it lies, element (r, k) at
/// A[r * Rs + k * Ks] (rows past Rows read as the last one, unstored).
template <int64_t NR, bool Direct = false>
NNC_INLINE void microKernel(int64_t Kc, const float *A, const float *B,
                            float *C, int64_t Ldc, int64_t Rows, int64_t Cols,
                            bool Accumulate, int64_t Rs = 0, int64_t Ks = 0) {
  constexpr int64_t NV = NR / 16;
  v16 Acc[MR][NV];
#pragma unroll
  for (int64_t R = 0; R < MR; ++R)
#pragma unroll
    for (int64_t V = 0; V < NV; ++V)
      Acc[R][V] = 0;
  for (int64_t K = 0; K < Kc; ++K) {
    v16 Bv[NV];
#pragma unroll
    for (int64_t V = 0; V < NV; ++V)
      __builtin_memcpy(&Bv[V], B + K * NR + V * 16, sizeof(v16));
    const float *Ak = A + K * (Direct ? Ks : MR);
#pragma unroll
    for (int64_t R = 0; R < MR; ++R) {
      float X = Direct ? Ak[minOf(R, Rows - 1) * Rs] : Ak[R];
#pragma unroll
      for (int64_t V = 0; V < NV; ++V)
        Acc[R][V] += X * Bv[V];
    }
  }
  // Acc is only indexed by constants (unrolled loops, a guard on Rows):
  // a run-time index would put it in memory, stored on every k.
#pragma unroll
  for (int64_t R = 0; R < MR; ++R) {
    if (R >= Rows)
      break;
    if (Cols == NR) {
#pragma unroll
      for (int64_t V = 0; V < NV; ++V) {
        float *Out = C + R * Ldc + V * 16;
        v16 Old;
        __builtin_memcpy(&Old, Out, sizeof(v16));
        v16 New = Accumulate ? Old + Acc[R][V] : Acc[R][V];
        __builtin_memcpy(Out, &New, sizeof(v16));
      }
      continue;
    }
    float Row[NR];
#pragma unroll
    for (int64_t V = 0; V < NV; ++V) {
      v16 X = Acc[R][V];
      __builtin_memcpy(Row + V * 16, &X, sizeof(v16));
    }
    for (int64_t J = 0; J < Cols; ++J)
      C[R * Ldc + J] = Accumulate ? C[R * Ldc + J] + Row[J] : Row[J];
  }
}

/// Packs all of B as gemmWith would, panel after panel (for each column
/// block, each depth block): K * roundUp(N, NR) floats.
template <int64_t NR>
void packAllB(int64_t K, int64_t N, const float *B, int64_t RsB, int64_t CsB,
              float *Dst) {
  int64_t KcMax = gemmKc(K);
  for (int64_t Jc = 0; Jc < N; Jc += GemmNC) {
    int64_t Nc = minOf(GemmNC, N - Jc);
    for (int64_t Pc = 0; Pc < K; Pc += KcMax) {
      int64_t Kc = minOf(KcMax, K - Pc);
      packB<NR>(Kc, Nc, B + Pc * RsB + Jc * CsB, RsB, CsB, Dst);
      Dst += Kc * roundUp(Nc, NR);
    }
  }
}

/// Packed: B as packAllB packs it, or null to pack B panel by panel.
/// Inlined into each caller, so that the choice folds away.
template <int64_t NR>
NNC_INLINE void gemmWith(int64_t M, int64_t N, int64_t K, const float *A,
                         int64_t RsA, int64_t CsA, const float *B, int64_t RsB,
                         int64_t CsB, float *C, int64_t Ldc, bool Accumulate,
                         float *Work, const float *Packed = nullptr) {
  int64_t KcMax = gemmKc(K);
  float *PackB = Work;
  float *PackA = Work + KcMax * roundUp(minOf(N, GemmNC), NR);
  for (int64_t Jc = 0; Jc < N; Jc += GemmNC) {
    int64_t Nc = minOf(GemmNC, N - Jc);
    for (int64_t Pc = 0; Pc < K; Pc += KcMax) {
      int64_t Kc = minOf(KcMax, K - Pc);
      bool Acc = Accumulate || Pc > 0;
      if (Packed) {
        PackB = const_cast<float *>(Packed);
        Packed += Kc * roundUp(Nc, NR);
      } else {
        packB<NR>(Kc, Nc, B + Pc * RsB + Jc * CsB, RsB, CsB, PackB);
      }
      // One panel of B: each row of A is used once, so packing it costs
      // more than it saves (narrow products: a layer's input gradient).
      if (Nc <= NR) {
        for (int64_t Ir = 0; Ir < M; Ir += MR)
          microKernel<NR, true>(Kc, A + Ir * RsA + Pc * CsA, PackB,
                                C + Ir * Ldc + Jc, Ldc, minOf(MR, M - Ir), Nc,
                                Acc, RsA, CsA);
        continue;
      }
      for (int64_t Ic = 0; Ic < M; Ic += GemmMC) {
        int64_t Mc = minOf(GemmMC, M - Ic);
        packA(Mc, Kc, A + Ic * RsA + Pc * CsA, RsA, CsA, PackA);
        for (int64_t Jr = 0; Jr < Nc; Jr += NR)
          for (int64_t Ir = 0; Ir < Mc; Ir += MR)
            microKernel<NR>(Kc, PackA + Ir * Kc, PackB + Jr * Kc,
                            C + (Ic + Ir) * Ldc + Jc + Jr, Ldc,
                            minOf(MR, Mc - Ir), minOf(NR, Nc - Jr), Acc);
      }
    }
  }
}

/// gemmWith for an A packed once by packGemmA, K within one block.
template <int64_t NR>
void gemmPackedAWith(int64_t M, int64_t N, int64_t K, const float *PackedA,
                     const float *B, int64_t RsB, int64_t CsB, float *C,
                     int64_t Ldc, bool Accumulate, float *Work) {
  float *PackB = Work;
  for (int64_t Jc = 0; Jc < N; Jc += GemmNC) {
    int64_t Nc = minOf(GemmNC, N - Jc);
    packB<NR>(K, Nc, B + Jc * CsB, RsB, CsB, PackB);
    for (int64_t Ic = 0; Ic < M; Ic += GemmMC) {
      int64_t Mc = minOf(GemmMC, M - Ic);
      for (int64_t Jr = 0; Jr < Nc; Jr += NR)
        for (int64_t Ir = 0; Ir < Mc; Ir += MR)
          microKernel<NR>(K, PackedA + (Ic + Ir) * K, PackB + Jr * K,
                          C + (Ic + Ir) * Ldc + Jc + Jr, Ldc,
                          minOf(MR, Mc - Ir), minOf(NR, Nc - Jr), Accumulate);
    }
  }
}

template <int64_t NR>
void gemmPackedABWith(int64_t M, int64_t N, int64_t K, const float *PackedA,
                      const float *PackedB, float *C, int64_t Ldc) {
  // One B panel (K x NR) stays in L1 across every strip of A.
  for (int64_t Jr = 0; Jr < N; Jr += NR)
    for (int64_t Ir = 0; Ir < M; Ir += MR)
      microKernel<NR>(K, PackedA + Ir * K, PackedB + Jr * K, C + Ir * Ldc + Jr,
                      Ldc, minOf(MR, M - Ir), minOf(NR, N - Jr), false);
}

} // namespace

void gemmPackedAB(int64_t M, int64_t N, int64_t K, const float *PackedA,
                  const float *PackedB, float *C, int64_t Ldc) {
  if (nnc_target_vector_bits >= 512)
    gemmPackedABWith<32>(M, N, K, PackedA, PackedB, C, Ldc);
  else
    gemmPackedABWith<16>(M, N, K, PackedA, PackedB, C, Ldc);
}

void packGemmA(int64_t M, int64_t K, const float *A, int64_t RsA, int64_t CsA,
               float *Dst) {
  packA(M, K, A, RsA, CsA, Dst);
}

void gemmPackedA(int64_t M, int64_t N, int64_t K, const float *PackedA,
                 const float *B, int64_t RsB, int64_t CsB, float *C,
                 int64_t Ldc, bool Accumulate, float *Work) {
  if (nnc_target_vector_bits >= 512)
    gemmPackedAWith<32>(M, N, K, PackedA, B, RsB, CsB, C, Ldc, Accumulate,
                        Work);
  else
    gemmPackedAWith<16>(M, N, K, PackedA, B, RsB, CsB, C, Ldc, Accumulate,
                        Work);
}

void packGemmB(int64_t K, int64_t N, const float *B, int64_t RsB, int64_t CsB,
               float *Dst) {
  if (nnc_target_vector_bits >= 512)
    packAllB<32>(K, N, B, RsB, CsB, Dst);
  else
    packAllB<16>(K, N, B, RsB, CsB, Dst);
}

void gemmPackedB(int64_t M, int64_t N, int64_t K, const float *A, int64_t RsA,
                 int64_t CsA, const float *PackedB, float *C, int64_t Ldc,
                 bool Accumulate, float *Work) {
  if (nnc_target_vector_bits >= 512)
    gemmWith<32>(M, N, K, A, RsA, CsA, nullptr, 0, 0, C, Ldc, Accumulate, Work,
                 PackedB);
  else
    gemmWith<16>(M, N, K, A, RsA, CsA, nullptr, 0, 0, C, Ldc, Accumulate, Work,
                 PackedB);
}

void gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t RsA,
          int64_t CsA, const float *B, int64_t RsB, int64_t CsB, float *C,
          int64_t Ldc, bool Accumulate, float *Work) {
  if (K == 0) {
    if (!Accumulate)
      for (int64_t I = 0; I < M; ++I)
        zero(C + I * Ldc, N);
    return;
  }
  // 6 x 32 keeps 12 zmm accumulators busy (two FMA pipes of latency 4
  // need 8 in flight); 6 x 16 is 12 ymm, all AVX2 can hold.
  if (nnc_target_vector_bits >= 512)
    gemmWith<32>(M, N, K, A, RsA, CsA, B, RsB, CsB, C, Ldc, Accumulate, Work);
  else
    gemmWith<16>(M, N, K, A, RsA, CsA, B, RsB, CsB, C, Ldc, Accumulate, Work);
}

namespace {

/// An unaligned vector load (a template parameter loses the typedef's
/// aligned(4), so a plain dereference would assume full alignment).
template <typename V> NNC_INLINE void loadu(V &X, const float *P) {
  __builtin_memcpy(&X, P, sizeof(V));
}

/// C[0:BM, 0:BN] (+)= the dot products of BM rows of A with BN rows of B
/// over K: BM x BN vector accumulators, summed across lanes at the end.
template <typename V, int BM, int BN>
NNC_INLINE void ntBlock(int64_t K, const float *A, int64_t Lda, const float *B,
                        int64_t Ldb, float *C, int64_t Ldc, bool Accumulate) {
  constexpr int64_t W = sizeof(V) / sizeof(float);
  V Acc[BM][BN];
#pragma unroll
  for (int I = 0; I < BM; ++I)
#pragma unroll
    for (int J = 0; J < BN; ++J)
      Acc[I][J] = 0;
  int64_t T = 0;
  for (; T + W <= K; T += W) {
    V Av[BM], Bv[BN];
#pragma unroll
    for (int I = 0; I < BM; ++I)
      loadu(Av[I], A + I * Lda + T);
#pragma unroll
    for (int J = 0; J < BN; ++J)
      loadu(Bv[J], B + J * Ldb + T);
#pragma unroll
    for (int I = 0; I < BM; ++I)
#pragma unroll
      for (int J = 0; J < BN; ++J)
        Acc[I][J] += Av[I] * Bv[J];
  }
#pragma unroll
  for (int I = 0; I < BM; ++I)
#pragma unroll
    for (int J = 0; J < BN; ++J) {
      float S = 0;
#pragma unroll
      for (int64_t L = 0; L < W; ++L)
        S += Acc[I][J][L];
      for (int64_t R = T; R < K; ++R)
        S += A[I * Lda + R] * B[J * Ldb + R];
      float &Out = C[I * Ldc + J];
      Out = Accumulate ? Out + S : S;
    }
}

template <typename V, int BM, int BN>
NNC_INLINE void gemmNTWith(int64_t M, int64_t N, int64_t K, const float *A,
                           int64_t Lda, const float *B, int64_t Ldb, float *C,
                           int64_t Ldc, bool Accumulate) {
  int64_t I = 0;
  for (; I + BM <= M; I += BM) {
    int64_t J = 0;
    for (; J + BN <= N; J += BN)
      ntBlock<V, BM, BN>(K, A + I * Lda, Lda, B + J * Ldb, Ldb, C + I * Ldc + J,
                         Ldc, Accumulate);
    for (; J < N; ++J)
      ntBlock<V, BM, 1>(K, A + I * Lda, Lda, B + J * Ldb, Ldb, C + I * Ldc + J,
                        Ldc, Accumulate);
  }
  for (; I < M; ++I) {
    int64_t J = 0;
    for (; J + BN <= N; J += BN)
      ntBlock<V, 1, BN>(K, A + I * Lda, Lda, B + J * Ldb, Ldb, C + I * Ldc + J,
                        Ldc, Accumulate);
    for (; J < N; ++J)
      ntBlock<V, 1, 1>(K, A + I * Lda, Lda, B + J * Ldb, Ldb, C + I * Ldc + J,
                       Ldc, Accumulate);
  }
}

} // namespace

// 4 x 4 accumulators in zmm registers (two FMA pipes of latency 4 need 8 in
// flight; 16 plus 8 loaded rows fit AVX-512's 32), 2 x 4 in AVX2's 16 ymm.
void gemmNT(int64_t M, int64_t N, int64_t K, const float *A, int64_t Lda,
            const float *B, int64_t Ldb, float *C, int64_t Ldc,
            bool Accumulate) {
  if (nnc_target_vector_bits >= 512)
    gemmNTWith<v16, 4, 4>(M, N, K, A, Lda, B, Ldb, C, Ldc, Accumulate);
  else
    gemmNTWith<v8, 2, 4>(M, N, K, A, Lda, B, Ldb, C, Ldc, Accumulate);
}

} // namespace nnck

using namespace nnck;

// MatMul: A [M, K] (any leading shape), B [K, N]; or batched, Batches
// products of A [M, K] and B [K, N] (MatMulParams).
NNC_KERNEL(MatMul) { return NNC_OK; }
NNC_TASK(MatMul) {
  const MatMulParams &Q = params<MatMulParams>(P);
  int64_t M = Q.M, N = Q.N, K = Q.K, Batches = Q.Batches, First, End;
  float *Work = f32(T, 3) + Task * Q.PerTask;
  if (Batches > 1) {
    for (int64_t I = Batches * Task / Q.Tasks;
         I < Batches * (Task + 1) / Q.Tasks; ++I)
      gemm(M, N, K, f32(T, 0) + I * M * K, K, 1, f32(T, 1) + I * K * N, N, 1,
           f32(T, 2) + I * M * N, N, false, Work);
    return NNC_OK;
  }
  rowsOf(M, Task, Q.Tasks, First, End);
  if (First < End)
    gemm(End - First, N, K, f32(T, 0) + First * K, K, 1, f32(T, 1), N, 1,
         f32(T, 2) + First * N, N, false, Work);
  return NNC_OK;
}

/// Y[j] = X . W[j] + Bias[j] for j in [First, End) in blocks of R rows of
/// W: R independent accumulators share each loaded vector of X (one dot
/// product at a time waits on its own FMA latency). Returns where the
/// blocks stopped.
template <int64_t R>
NNC_INLINE int64_t denseDots(const float *X, const float *W, const float *Bias,
                             float *Y, int64_t K, int64_t First, int64_t End) {
  int64_t J = First;
  for (; J + R <= End; J += R) {
    v16 Acc[R];
#pragma unroll
    for (int64_t Q = 0; Q < R; ++Q)
      Acc[Q] = 0;
    int64_t E = 0;
    for (; E + 16 <= K; E += 16) {
      v16 Xv;
      __builtin_memcpy(&Xv, X + E, sizeof(v16));
#pragma unroll
      for (int64_t Q = 0; Q < R; ++Q) {
        v16 Wv;
        __builtin_memcpy(&Wv, W + (J + Q) * K + E, sizeof(v16));
        Acc[Q] += Xv * Wv;
      }
    }
    for (int64_t Q = 0; Q < R; ++Q) {
      float S = laneSum(Acc[Q]);
      for (int64_t Rest = E; Rest < K; ++Rest)
        S += X[Rest] * W[(J + Q) * K + Rest];
      Y[J + Q] = S + (Bias ? Bias[J + Q] : 0.f);
    }
  }
  return J;
}

// Dense: X [N, K], W [M, K], optional bias [M]; Y = X W^T + b.
// DenseParams. A few rows (batch-1 inference) are dot products over W's
// contiguous rows: packing W for the GEMM would cost more than using it.
NNC_KERNEL(Dense) { return NNC_OK; }
NNC_TASK(Dense) {
  const DenseParams &Q = params<DenseParams>(P);
  int64_t N = Q.Rows, K = Q.K, M = Q.Features, First, End;
  const float *X = f32(T, 0), *W = f32(T, 1);
  float *Y = f32(T, 3);
  const float *Bias = f32(T, 2);
  if (N <= DenseDotRows) {
    // Tasks split the output features here.
    for (int64_t I = 0; I < N; ++I) {
      int64_t J = M * Task / Q.Tasks, End = M * (Task + 1) / Q.Tasks;
      if (nnc_target_vector_bits >= 512)
        J = denseDots<8>(X + I * K, W, Bias, Y + I * M, K, J, End);
      else
        J = denseDots<4>(X + I * K, W, Bias, Y + I * M, K, J, End);
      for (; J < End; ++J) {
        const float *Xr = X + I * K, *Wr = W + J * K;
        float S = 0;
        for (int64_t E = 0; E < K; ++E)
          S += Xr[E] * Wr[E];
        Y[I * M + J] = S + (Bias ? Bias[J] : 0.f);
      }
    }
    return NNC_OK;
  }
  rowsOf(N, Task, Q.Tasks, First, End);
  if (First >= End)
    return NNC_OK;
  gemm(End - First, M, K, X + First * K, K, 1, W, 1, K, Y + First * M, M, false,
       f32(T, 4) + Task * Q.PerTask);
  if (Bias)
    for (int64_t I = First; I < End; ++I)
      for (int64_t J = 0; J < M; ++J)
        Y[I * M + J] += Bias[J];
  return NNC_OK;
}
