//===- backend/kernels/Winograd.h - Winograd F(2x2, 3x3) convolution -----===//
//
// Included by Conv.cpp only: 3x3 stride-1 convs (and transposed convs, as
// the equivalent conv) with 16+ channels, as 16 GEMMs between an input and
// an output transform.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/kernels/ConvCommon.h"

namespace nnck {

// --- Winograd F(2x2, 3x3) ------------------------------------------------
// Y = A^T [ (G g G^T) . (B^T d B) ] A over 4x4 input tiles d stepping by 2:
// the elementwise products of the 16 transformed positions, summed over
// input channels, are 16 GEMMs [O, C] x [C, tiles].

/// U [16, O, C] = G g G^T for every 3x3 filter g of W [O, C, 3, 3], or
/// (Transposed: a ConvTranspose's W [C, O, 3, 3]) of W's filters flipped.
NNC_INLINE void winogradWeights(const float *W, int64_t O, int64_t C,
                                Channels Os, bool Transposed, float *U) {
  for (int64_t Oc = Os.First * C; Oc < Os.End * C; ++Oc) {
    float G[9];
    const float *Src =
        Transposed ? W + ((Oc % C) * O + Oc / C) * 9 : W + Oc * 9;
#pragma unroll
    for (int K = 0; K < 9; ++K)
      G[K] = Transposed ? Src[8 - K] : Src[K];
    float T[4][3]; // G g
#pragma unroll
    for (int J = 0; J < 3; ++J) {
      float A = G[J], B = G[3 + J], D = G[6 + J];
      T[0][J] = A;
      T[1][J] = 0.5f * (A + B + D);
      T[2][J] = 0.5f * (A - B + D);
      T[3][J] = D;
    }
#pragma unroll
    for (int I = 0; I < 4; ++I) {
      float A = T[I][0], B = T[I][1], D = T[I][2];
      float Row[4] = {A, 0.5f * (A + B + D), 0.5f * (A - B + D), D};
#pragma unroll
      for (int J = 0; J < 4; ++J)
        U[(I * 4 + J) * O * C + Oc] = Row[J];
    }
  }
}

/// D[0:N] = lanes [From, From + N) of X, one by one: from registers, where
/// a copy through memory would wait for the vector's store.
NNC_INLINE void storeLanes(float *D, const v8 &X, int64_t From, int64_t N) {
#pragma unroll
  for (int L = 0; L < 8; ++L)
    if (L >= From && L < From + N)
      D[L - From] = X[L];
}

/// V[k, c, tile] = (B^T d B)[k] for image X's channels, eight tiles of a
/// tile row at a time. Each channel is first copied into one of two
/// zero-padded planes whose rows (winogradPlaneStride floats) have room for two
/// whole vectors past any eight tiles' start, so the transform reads without
/// bounds checks; lanes past the row's last tile are computed and dropped.
NNC_INLINE void winogradInput(const float *__restrict X, const Window &G,
                              int64_t Ld, int64_t KStride, int64_t Tile0,
                              int64_t NR, float *__restrict Plane,
                              float *__restrict V) {
  int64_t TY = (G.OH + 1) / 2, TX = (G.OW + 1) / 2;
  int64_t Hp = 2 * TY + 2, Wp = 2 * TX + 2, Wq = winogradPlaneStride(G.OW);
  // Channel C + 1 is copied into the other plane before channel C is read:
  // whole-vector loads right after the copy's narrower stores would wait
  // for them (store forwarding fails).
  auto Pad = [&](int64_t C, float *__restrict Dst) NNC_LAMBDA {
    const float *Xc = X + C * G.H * G.W;
    for (int64_t R = 0; R < Hp; ++R, Dst += Wq) {
      int64_t Ih = R - G.PadT;
      if (Ih < 0 || Ih >= G.H) {
        zero(Dst, Wp);
        continue;
      }
      int64_t Lo = minOf(Wp, maxOf<int64_t>(G.PadL, 0));
      int64_t Hi = minOf(Wp, G.W + G.PadL);
      zero(Dst, Lo);
      copyShort(Dst + Lo, Xc + Ih * G.W + (Lo - G.PadL), Hi - Lo);
      zero(Dst + Hi, Wp - Hi);
    }
  };
  int64_t PlaneFloats = Hp * Wq;
  Pad(0, Plane);
  for (int64_t C = 0; C < G.C; ++C) {
    const float *Cur = Plane + (C % 2) * PlaneFloats;
    if (C + 1 < G.C)
      Pad(C + 1, Plane + ((C + 1) % 2) * PlaneFloats);
    for (int64_t Ty = 0; Ty < TY; ++Ty)
      for (int64_t Tx = 0; Tx < TX; Tx += 8) {
        // B^T d down the columns: rows 2Ty..2Ty+3, 32 columns from 2Tx.
        const float *D = Cur + 2 * Ty * Wq + 2 * Tx;
        v16 Lo[4], Hi[4];
#pragma unroll
        for (int R = 0; R < 4; ++R) {
          __builtin_memcpy(&Lo[R], D + R * Wq, sizeof(v16));
          __builtin_memcpy(&Hi[R], D + R * Wq + 16, sizeof(v16));
        }
        v16 TL[4] = {Lo[0] - Lo[2], Lo[1] + Lo[2], Lo[2] - Lo[1],
                     Lo[1] - Lo[3]};
        v16 TH[4] = {Hi[0] - Hi[2], Hi[1] + Hi[2], Hi[2] - Hi[1],
                     Hi[1] - Hi[3]};
        // Then along the rows: tile j's columns 2j..2j+3 are the even and
        // odd lanes, and both shifted by one pair.
        v8 Out[16];
#pragma unroll
        for (int I = 0; I < 4; ++I) {
          v8 E0 =
              __builtin_shufflevector(TL[I], TH[I], 0, 2, 4, 6, 8, 10, 12, 14);
          v8 O1 =
              __builtin_shufflevector(TL[I], TH[I], 1, 3, 5, 7, 9, 11, 13, 15);
          v8 E2 =
              __builtin_shufflevector(TL[I], TH[I], 2, 4, 6, 8, 10, 12, 14, 16);
          v8 O3 =
              __builtin_shufflevector(TL[I], TH[I], 3, 5, 7, 9, 11, 13, 15, 17);
          Out[4 * I + 0] = E0 - E2;
          Out[4 * I + 1] = O1 + E2;
          Out[4 * I + 2] = E2 - O1;
          Out[4 * I + 3] = O1 - O3;
        }
        // Row-major V [16, channels, Ld], or (NR > 0) gemmPackedAB's
        // panels of NR tiles: tile t of channel c at (t / NR) * channels *
        // NR + c * NR + t % NR within each of the 16 matrices. Within a
        // panel, a whole vector may run past this row's tiles: those slots
        // belong to tiles written later, or to the padding after the last.
        int64_t Tile = Tile0 + Ty * TX + Tx, N = minOf<int64_t>(8, TX - Tx);
        if (NR && Tile % NR + 8 <= NR) {
          float *Dst = V + ((Tile / NR) * G.C + C) * NR + Tile % NR;
#pragma unroll
          for (int K = 0; K < 16; ++K)
            __builtin_memcpy(Dst + K * KStride, &Out[K], sizeof(v8));
          continue;
        }
        // Exactly N tiles, split where a panel ends.
        int64_t First = NR ? minOf(N, NR - Tile % NR) : N;
        float *Dst = NR ? V + ((Tile / NR) * G.C + C) * NR + Tile % NR
                        : V + C * Ld + Tile;
        float *Next = NR ? V + ((Tile / NR + 1) * G.C + C) * NR : Dst + First;
#pragma unroll
        for (int K = 0; K < 16; ++K) {
          storeLanes(Dst + K * KStride, Out[K], 0, First);
          storeLanes(Next + K * KStride, Out[K], First, N - First);
        }
      }
  }
}

/// One image's output from the products M [16, O, tiles] (row stride Ld,
/// matrix stride KStride): A^T m A for eight tiles of a tile row at once,
/// the epilogue, and the two output rows they make, interleaved in
/// registers. Reads up to seven tiles past the image's last, which M's
/// spacing keeps inside the workspace.
NNC_INLINE void winogradOutput(const float *__restrict M, const Window &G,
                               int64_t Ld, int64_t KStride, int64_t Tile0,
                               float *__restrict Y, void *const *T,
                               const int64_t *P, const double *F, Channels Os) {
  int64_t TY = (G.OH + 1) / 2, TX = (G.OW + 1) / 2,
          Act = convParams(P).Activation;
  for (int64_t O = Os.First; O < Os.End; ++O) {
    float Scale, Shift;
    affine(T, P, F, O, Scale, Shift);
    float *Yo = Y + O * G.OH * G.OW;
    for (int64_t Ty = 0; Ty < TY; ++Ty)
      for (int64_t Tx = 0; Tx < TX; Tx += 8) {
        const float *Mt = M + O * Ld + Tile0 + Ty * TX + Tx;
        v8 Mv[16];
#pragma unroll
        for (int K = 0; K < 16; ++K)
          __builtin_memcpy(&Mv[K], Mt + K * KStride, sizeof(v8));
        int64_t Cols = minOf<int64_t>(16, G.OW - 2 * Tx);
#pragma unroll
        for (int R = 0; R < 2; ++R) {
          if (2 * Ty + R >= G.OH)
            break;
          // Row R of A^T m, then its two output columns per tile.
          v8 Tm[4];
#pragma unroll
          for (int J = 0; J < 4; ++J)
            Tm[J] = R == 0 ? Mv[J] + Mv[4 + J] + Mv[8 + J]
                           : Mv[4 + J] - Mv[8 + J] - Mv[12 + J];
          v8 Y0 = Tm[0] + Tm[1] + Tm[2], Y1 = Tm[1] - Tm[2] - Tm[3];
          v16 Row = __builtin_shufflevector(Y0, Y1, 0, 8, 1, 9, 2, 10, 3, 11, 4,
                                            12, 5, 13, 6, 14, 7, 15);
          Row = Row * Scale + Shift;
          activateV(Row, Act, reals<ConvReals>(F).Attrs);
          float *Dst = Yo + (2 * Ty + R) * G.OW + 2 * Tx;
          if (Cols == 16) {
            __builtin_memcpy(Dst, &Row, sizeof(v16));
            continue;
          }
          v8 Left = __builtin_shufflevector(Row, Row, 0, 1, 2, 3, 4, 5, 6, 7);
          v8 Right =
              __builtin_shufflevector(Row, Row, 8, 9, 10, 11, 12, 13, 14, 15);
          if (Cols >= 8) {
            __builtin_memcpy(Dst, &Left, sizeof(v8));
            storeLanes(Dst + 8, Right, 0, Cols - 8);
          } else {
            storeLanes(Dst, Left, 0, Cols);
          }
        }
      }
  }
}

/// The Winograd path of nnc_t_Conv (and of nnc_t_ConvTranspose, as the
/// equivalent conv): weights transformed once per task, then chunks of
/// images through the input transform, 16 GEMMs and the output transform
/// with the epilogue.
NNC_INLINE int winogradConv(void *const *T, const int64_t *P, const double *F,
                            int64_t Task, bool Transposed) {
  Window G = convParams(P).G;
  if (Transposed) {
    G.PadT = 2 - G.PadT;
    G.PadL = 2 - G.PadL;
  }
  const float *Xp = f32(T, 0), *Wt = f32(T, 1);
  float *Y = f32(T, 3);
  int64_t Per = winogradTiles(G.OH, G.OW);
  WinogradWork L = winogradWork(G.C, G.O, G.OH, G.OW, convParams(P).Images);
  float *Work = f32(T, 4) + Task * convParams(P).PerTask;
  Channels Os = channelsOf(G, P, Task);
  winogradWeights(Wt, G.O, G.C, Os, Transposed, Work + L.U);
  // The 16 weight matrices are the A of every chunk's GEMMs: packed once.
  int64_t Rows = Os.End - Os.First, Strip = roundUp(Rows, GemmMR) * G.C;
  bool Packed = G.C <= GemmKC;
  if (Packed)
    for (int64_t K = 0; K < 16; ++K)
      packGemmA(Rows, G.C, Work + L.U + (K * G.O + Os.First) * G.C, G.C, 1,
                Work + L.UPacked + K * Strip);
  int64_t ZeroedFor = -1; // the chunk size V's padding tiles were zeroed for
  chunksOf(
      G, P, f32(T, 4), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        int64_t Ld = Imgs * Per;
        float *V = Work + L.V, *M = Work + L.M;
        // Packed A: V is written as gemmPackedAB's B panels, so the 16 GEMMs
        // copy nothing. The padding tiles of the last panel only make
        // columns of M no output reads; they are zeroed once per chunk size
        // (not garbage from the arena, which could be slow denormals), and
        // the input transform's whole-vector stores leave finite values
        // there. The 16
        // matrices are a cache line further apart than their size: whole
        // panels would put the 16 stores of a tile in one L1 set.
        // M's rows are whole panels too, so every GEMM store is a full vector,
        // and its matrices are spaced for the output transform's 16 streams.
        int64_t NR = Packed ? gemmNR() : 0;
        int64_t LdV = Packed ? roundUp(Ld, NR) : Ld;
        int64_t KStride = Packed ? G.C * LdV + 16 : G.C * Ld;
        int64_t MStride = G.O * LdV + 16;
        if (Packed && LdV > Ld && ZeroedFor != Ld)
          for (int64_t K = 0; K < 16; ++K)
            for (int64_t C = 0; C < G.C; ++C)
              zero(V + K * KStride + ((Ld / NR) * G.C + C) * NR + Ld % NR,
                   LdV - Ld);
        ZeroedFor = Ld;
        for (int64_t I = 0; I < Imgs; ++I)
          winogradInput(Xp + (N0 + I) * G.C * G.H * G.W, G, LdV, KStride,
                        I * Per, NR, Work + L.Plane, V);
        for (int64_t K = 0; K < 16; ++K)
          if (Packed)
            gemmPackedAB(Rows, LdV, G.C, Work + L.UPacked + K * Strip,
                         V + K * KStride, M + K * MStride + Os.First * LdV,
                         LdV);
          else
            gemm(Rows, Ld, G.C, Work + L.U + (K * G.O + Os.First) * G.C, G.C, 1,
                 V + K * G.C * Ld, Ld, 1, M + K * MStride + Os.First * LdV, LdV,
                 false, Work + L.Pack);
        for (int64_t I = 0; I < Imgs; ++I)
          winogradOutput(M, G, LdV, MStride, I * Per,
                         Y + (N0 + I) * G.O * G.OH * G.OW, T, P, F, Os);
      });
  return NNC_OK;
}

} // namespace nnck
