//===- backend/kernels/Workspace.h - Scratch sizes of kernels ---*- C++ -*-===//
//
// Shared by the kernels and the host compiler: the compiler reserves this
// much arena space for a kernel call, the kernel uses exactly that.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <stdint.h>

namespace nnck {

// GEMM blocking (BLIS names): an MR x NR block of C lives in registers
// (NR: the widest micro-kernel's, 32 with AVX-512; AVX2 uses 16);
// KC x NR panels of B stay in L1, MC x KC blocks of A in L2.
constexpr int64_t GemmMR = 6, GemmNR = 32, GemmKC = 384, GemmMC = 144,
                  GemmNC = 512;

/// Dense layers with at most this many rows use dot products, not GEMM.
constexpr int64_t DenseDotRows = 4;

constexpr int64_t roundUp(int64_t X, int64_t M) { return (X + M - 1) / M * M; }
constexpr int64_t minI(int64_t A, int64_t B) { return A < B ? A : B; }

/// The depth of one K block: K split evenly into blocks of at most GemmKC,
/// so no block is a short remainder.
constexpr int64_t gemmKc(int64_t K) {
  int64_t Blocks = (K + GemmKC - 1) / GemmKC;
  return Blocks ? (K + Blocks - 1) / Blocks : 0;
}

/// Floats of packing space one gemm call of this size needs.
constexpr int64_t gemmWorkspace(int64_t M, int64_t N, int64_t K) {
  int64_t Kc = gemmKc(K);
  return roundUp(minI(M, GemmMC), GemmMR) * Kc +
         Kc * roundUp(minI(N, GemmNC), GemmNR) + 16;
}

/// Floats of a B operand packed whole by packGemmB: the column blocks are
/// multiples of the widest panel, so only the last one is rounded up.
constexpr int64_t packedGemmBFloats(int64_t K, int64_t N) {
  return K * roundUp(N, GemmNR);
}

/// Floats of a recurrent op's R [gates x hidden, hidden] packed as a step's
/// product reads it: as R^T (forward) or as R (backward).
constexpr int64_t recurrentPackedRFloats(int64_t H, int64_t GH) {
  int64_t Forward = packedGemmBFloats(H, GH),
          Backward = packedGemmBFloats(GH, H);
  return Forward > Backward ? Forward : Backward;
}

/// How many packed copies of R a recurrent op keeps: none where every step
/// takes dot products (a forward pass of at most DenseDotRows sequences).
constexpr int64_t recurrentPackedRCopies(bool Backward, int64_t Batch) {
  return Backward || Batch > DenseDotRows ? 2 : 0;
}

/// Floats of one im2col matrix: Cg*KH*KW rows, OH*OW columns.
constexpr int64_t colFloats(int64_t Cg, int64_t KH, int64_t KW, int64_t OH,
                            int64_t OW) {
  return roundUp(Cg * KH * KW * OH * OW, 16);
}

} // namespace nnck

namespace nnck {

/// The three convolution kernels.
enum ConvKind : int64_t {
  ConvForward = 0,
  ConvBackwardWeights = 1,
  ConvTransposed = 2
};

/// One task's slice of a conv kernel's workspace, in floats: the column
/// matrix of a chunk of images, a buffer of the chunk's channels (output
/// before scattering, gathered dY or gathered X), a partial weight
/// gradient, and GEMM packing space (backward-weights' gemmNT needs none).
/// Pixels: output pixels (forward, backward-weights) or input pixels
/// (transposed).
struct ConvWork {
  int64_t Col = 0, Buf = 0, Partial = 0, Pack = 0, Total = 0;
};

constexpr int64_t convColRows(int64_t Kind, int64_t Cg, int64_t Og,
                              int64_t KK) {
  return Kind == ConvTransposed ? Og * KK : Cg * KK;
}

constexpr ConvWork convWork(int64_t Kind, int64_t Cg, int64_t Og, int64_t O,
                            int64_t KK, int64_t Pixels, int64_t Images) {
  int64_t Cols = Images * Pixels, Rows = convColRows(Kind, Cg, Og, KK);
  ConvWork W;
  W.Buf = roundUp(Rows * Cols, 16);
  W.Partial = W.Buf + roundUp((Kind == ConvTransposed ? Cg : Og) * Cols, 16);
  W.Pack =
      W.Partial + (Kind == ConvBackwardWeights ? roundUp(O * Cg * KK, 16) : 0);
  int64_t Gemm = Kind == ConvForward           ? gemmWorkspace(Og, Cols, Rows)
                 : Kind == ConvBackwardWeights ? 0
                                               : gemmWorkspace(Rows, Cols, Cg);
  W.Total = roundUp(W.Pack + Gemm, 16);
  return W;
}

/// Images per GEMM: enough columns to fill the micro-kernel's panels well
/// (at least 512), as long as the column matrix stays in L2 (1 MB).
constexpr int64_t convChunkImages(int64_t N, int64_t Rows, int64_t Pixels) {
  int64_t Want = (512 + Pixels - 1) / Pixels;
  int64_t Budget = (1 << 18) / (Rows * Pixels > 0 ? Rows * Pixels : 1);
  int64_t I = Want < Budget ? Want : Budget;
  I = I < N ? I : N;
  return I < 1 ? 1 : I;
}

/// Winograd F(2x2, 3x3) (Lavin & Gray, 2016) runs a conv as 16 GEMMs of
/// 4x4-transformed weights and input tiles, 2.25x fewer multiplies than
/// im2col. Used for 3x3, stride-1, undilated, ungrouped convs whose channels
/// fill those GEMMs.
constexpr bool convWinograd(int64_t KH, int64_t KW, int64_t SH, int64_t SW,
                            int64_t DH, int64_t DW, int64_t Groups, int64_t C,
                            int64_t O) {
  return KH == 3 && KW == 3 && SH == 1 && SW == 1 && DH == 1 && DW == 1 &&
         Groups == 1 && C >= 16 && O >= 16;
}

/// A stride-1 3x3 ConvTranspose is the conv of its input with the filters
/// flipped and their channel axes swapped, padded by 2 - pad: Winograd too,
/// where that padding is not negative.
constexpr bool convTransposeWinograd(int64_t KH, int64_t KW, int64_t SH,
                                     int64_t SW, int64_t DH, int64_t DW,
                                     int64_t Groups, int64_t C, int64_t O,
                                     int64_t PadT, int64_t PadL) {
  return convWinograd(KH, KW, SH, SW, DH, DW, Groups, C, O) && PadT >= 0 &&
         PadL >= 0 && PadT <= 2 && PadL <= 2;
}

/// Convs whose filters are tiny (LeNet's and convbn's first layers: one
/// input channel) have too short a reduction for a GEMM to pay for im2col
/// and packing: they run directly, a row of 16 outputs of several output
/// channels from each loaded row of the zero-padded input.
constexpr bool convDirect(int64_t KH, int64_t KW, int64_t SH, int64_t SW,
                          int64_t DH, int64_t DW, int64_t Groups, int64_t C) {
  return SH == 1 && SW == 1 && DH == 1 && DW == 1 && Groups == 1 &&
         C * KH * KW <= 32;
}

/// Row length of the direct conv's padded planes: whole blocks of two
/// vectors (the widest register block), then the taps' reach.
constexpr int64_t convDirectCols(int64_t OW, int64_t KW) {
  return roundUp(OW, 32) + KW - 1;
}
/// The direct conv's workspace per task: one image's zero-padded planes.
constexpr int64_t convDirectFloats(int64_t C, int64_t KH, int64_t KW,
                                   int64_t OH, int64_t OW) {
  return roundUp(C * (OH + KH - 1) * convDirectCols(OW, KW) + 16, 16);
}

/// The channel-vector direct conv: 16 output channels of one pixel in a
/// vector, a row of pixels in registers, one broadcast input value per
/// pixel and tap. For layers too wide for convDirect whose output channels
/// come in sixteens and whose weights stay in L1/L2 (LeNet-5's 6 -> 16,
/// 5x5): an im2col GEMM of 16 rows wastes most of its time copying.
constexpr bool convChannelVec(int64_t KH, int64_t KW, int64_t Groups, int64_t C,
                              int64_t O) {
  return Groups == 1 && O % 16 == 0 && O <= 64 && C * KH * KW * O <= 32768 &&
         KW <= 12;
}
/// Pixels per register block (AVX-512's 32 registers hold 12 accumulators
/// with room to spare; AVX2 splits each in two).
constexpr int64_t ConvVecPixels = 12;
/// Rows and row length of the zero-padded input planes it reads.
constexpr int64_t convVecRows(int64_t OH, int64_t KH, int64_t SH, int64_t DH) {
  return (OH - 1) * SH + (KH - 1) * DH + 1;
}
constexpr int64_t convVecCols(int64_t OW, int64_t KW, int64_t SW, int64_t DW) {
  return (OW - 1) * SW + (KW - 1) * DW + 1;
}
/// Per task: the weights as [taps, O], then one image's padded planes with
/// slack for a last register block that reads past its row.
constexpr int64_t convVecFloats(int64_t C, int64_t KH, int64_t KW, int64_t SH,
                                int64_t SW, int64_t DH, int64_t DW, int64_t OH,
                                int64_t OW, int64_t O) {
  return roundUp(C * KH * KW * O, 16) +
         roundUp(C * convVecRows(OH, KH, SH, DH) * convVecCols(OW, KW, SW, DW) +
                     ConvVecPixels * SW + 16,
                 16);
}

/// The channel-vector weight gradient (convChannelVec shapes): 16 output
/// channels of dW[., tap] in a vector, summed over pixels as dY at the
/// pixel (16 channels, from dY transposed to [pixels, O]) times one
/// broadcast input value per tap. Per task: the sum so far as [taps, O],
/// the partial dW [O, taps] it becomes, one image's padded planes and its
/// transposed dY.
struct ConvVecGradWork {
  int64_t TapSum = 0, Partial = 0, Planes = 0, Dyt = 0, Total = 0;
};
constexpr ConvVecGradWork convVecGradWork(int64_t C, int64_t KH, int64_t KW,
                                          int64_t SH, int64_t SW, int64_t DH,
                                          int64_t DW, int64_t OH, int64_t OW,
                                          int64_t O) {
  int64_t Taps = C * KH * KW;
  ConvVecGradWork W;
  W.Partial = roundUp(Taps * O, 16);
  W.Planes = W.Partial + roundUp(Taps * O, 16);
  W.Dyt = W.Planes +
          roundUp(C * convVecRows(OH, KH, SH, DH) * convVecCols(OW, KW, SW, DW),
                  16);
  W.Total = W.Dyt + roundUp(OH * OW * O, 16);
  return W;
}
/// Tap rows (c, kh) per register block of the weight gradient: as many
/// rows of KW taps as make at most MaxAcc accumulators.
constexpr int64_t convVecGradRows(int64_t KW, int64_t MaxAcc) {
  return KW >= MaxAcc ? 1 : MaxAcc / KW;
}

/// ConvTranspose in gather form: stride and dilation 1, no groups, input
/// channels in sixteens (the backward-data pass of a conv with such output
/// channels). Each output is a sum over taps and input channels of the
/// input zero-padded by (KH - 1 - PadT, KW - 1 - PadL) times the flipped
/// kernel: a vector of 16 input channels per output pixel and channel,
/// then one horizontal sum; no column matrix and no scatter.
constexpr bool convTransposeGather(int64_t KH, int64_t KW, int64_t SH,
                                   int64_t SW, int64_t DH, int64_t DW,
                                   int64_t Groups, int64_t C, int64_t PadT,
                                   int64_t PadL) {
  return SH == 1 && SW == 1 && DH == 1 && DW == 1 && Groups == 1 &&
         C % 16 == 0 && PadT >= 0 && PadL >= 0 && PadT <= KH - 1 &&
         PadL <= KW - 1;
}
/// Output pixels of a row per register block: the most either target takes
/// (AVX2 4, AVX-512 2).
constexpr int64_t ConvGatherPixels = 4;
/// Per task: the flipped weights [O, taps, C], then one image's padded
/// input transposed to [rows, cols, C] (OH + KH - 1 rows of OW + KW - 1),
/// with slack for a last block reading past the last row.
struct ConvGatherWork {
  int64_t Weights = 0, Input = 0, Total = 0;
};
constexpr ConvGatherWork convGatherWork(int64_t C, int64_t O, int64_t KH,
                                        int64_t KW, int64_t OH, int64_t OW) {
  ConvGatherWork W;
  W.Input = roundUp(O * KH * KW * C, 16);
  W.Total = W.Input +
            roundUp(((OH + KH - 1) * (OW + KW - 1) + ConvGatherPixels) * C, 16);
  return W;
}

/// The direct weight gradient (convDirect shapes with rows of at most 8
/// taps): per task, one image's zero-padded input planes, its dY rows padded
/// to whole vectors, and a partial gradient.
constexpr bool convDirectGrad(int64_t KH, int64_t KW, int64_t SH, int64_t SW,
                              int64_t DH, int64_t DW, int64_t Groups,
                              int64_t C) {
  return convDirect(KH, KW, SH, SW, DH, DW, Groups, C) && KW <= 8;
}
constexpr int64_t convDirectGradDy(int64_t C, int64_t KH, int64_t KW,
                                   int64_t OH, int64_t OW) {
  return convDirectFloats(C, KH, KW, OH, OW);
}
constexpr int64_t convDirectGradPartial(int64_t C, int64_t KH, int64_t KW,
                                        int64_t OH, int64_t OW, int64_t O) {
  return convDirectGradDy(C, KH, KW, OH, OW) +
         roundUp(O * OH * roundUp(OW, 16), 16);
}
constexpr int64_t convDirectGradFloats(int64_t C, int64_t KH, int64_t KW,
                                       int64_t OH, int64_t OW, int64_t O) {
  return convDirectGradPartial(C, KH, KW, OH, OW, O) +
         roundUp(O * C * KH * KW, 16);
}

/// 2x2 output tiles of one image.
constexpr int64_t winogradTiles(int64_t OH, int64_t OW) {
  return ((OH + 1) / 2) * ((OW + 1) / 2);
}

/// The row stride of Winograd's padded input plane: 2 * tiles + 2 columns,
/// rounded up to whole vectors, and one more vector, so that two vectors
/// read from any eight tiles' first column stay in the row.
constexpr int64_t winogradPlaneStride(int64_t OW) {
  return roundUp(2 * ((OW + 1) / 2) + 2, 16) + 16;
}

/// Images per chunk: transformed input and products ([16, C + O, tiles])
/// within L2 (1 MB), at least one image.
constexpr int64_t winogradChunkImages(int64_t N, int64_t C, int64_t O,
                                      int64_t Tiles) {
  int64_t PerImage = 16 * (C + O) * Tiles;
  int64_t I = (1 << 18) / (PerImage > 0 ? PerImage : 1);
  I = I < N ? I : N;
  return I < 1 ? 1 : I;
}

/// One task's workspace, in floats: transformed weights U [16, O, C], the
/// chunk's transformed input V [16, C, tiles] and products M [16, O,
/// tiles] (tiles rounded up to whole panels), two zero-padded input planes,
/// GEMM packing space.
struct WinogradWork {
  int64_t U = 0, UPacked = 0, V = 0, M = 0, Plane = 0, Pack = 0, Total = 0;
};
constexpr WinogradWork winogradWork(int64_t C, int64_t O, int64_t OH,
                                    int64_t OW, int64_t Images) {
  int64_t Tiles = Images * winogradTiles(OH, OW);
  int64_t PlaneFloats = (2 * ((OH + 1) / 2) + 2) * winogradPlaneStride(OW);
  WinogradWork W;
  W.UPacked = roundUp(16 * O * C, 16);
  W.V = W.UPacked + roundUp(16 * roundUp(O, GemmMR) * C, 16);
  // V holds whole panels of GemmNR tiles (gemmPackedAB's B layout), each
  // of the 16 matrices followed by a cache line of spacing.
  W.M = W.V + roundUp(16 * (C * roundUp(Tiles, GemmNR) + 16), 16);
  W.Plane = W.M + roundUp(16 * (O * roundUp(Tiles, GemmNR) + 16), 16);
  W.Pack = W.Plane + roundUp(2 * PlaneFloats, 16);
  W.Total = roundUp(W.Pack + gemmWorkspace(O, Tiles, C), 16);
  return W;
}

} // namespace nnck
