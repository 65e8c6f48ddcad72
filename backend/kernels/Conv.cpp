//===- backend/kernels/Conv.cpp - Convolutions around the blocked GEMM ----===//
//
// Every form is im2col (or col2im) around gemm(), over chunks of images so
// that each GEMM has enough columns to run near the micro-kernel's peak even
// when a layer's images are small:
//   forward           Y_g = W_g x col(X_g)            [Og, chunk pixels]
//   backward-weights  dW_g += dY_g x col(X_g)^T       summed over chunks
//   transposed        col = W_g^T x X_g, then col2im  (also backward-data)
// Chunks are split across tasks; each task has its own workspace slice
// (Workspace.h). P: ConvParams (Params.h): the window, the tasks, workspace
// floats per task, images per chunk, the algorithm the host chose and the
// epilogue; F: ConvReals. The tasks are nnc_t_<Op>. Shared pieces are in
// ConvCommon.h, the Winograd path in Winograd.h; the transposed and
// backward-weights kernels in ConvGrad.cpp.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/ConvCommon.h"
#include "backend/kernels/Kernel.h"
#include "backend/kernels/Winograd.h"

using namespace nnck;

// Conv: X [N,C,H,W], W [O,C/g,KH,KW], optional bias [O] -> Y [N,O,OH,OW],
// then the epilogue on each output row while it is in cache: the bias, a
// folded BatchNorm, an activation (ConvParams).
/// The direct path of nnc_t_Conv (convDirect): per image, the input
/// channels copied into zero-padded planes whose rows are whole vectors,
/// then for blocks of CB output channels and NV vectors of 16 outputs of a
/// row, the outputs accumulate tap by tap from the loaded input vectors.
/// CB x NV accumulators: 8 x 2 keeps both AVX-512 FMA pipes busy (LeNet-5's
/// first layer: 5.4 -> 2.2 us at batch 1); AVX2's 16 registers hold 4 x 1.
template <int64_t CB, int64_t NV>
NNC_INLINE int directConvWith(void *const *T, const int64_t *P, const double *F,
                              int64_t Task, const Window &G) {
  typedef float v16u __attribute__((ext_vector_type(16), aligned(4)));
  const float *Xp = f32(T, 0), *Wt = f32(T, 1);
  float *Y = f32(T, 3);
  int64_t Hq = G.OH + G.KH - 1, Wq = convDirectCols(G.OW, G.KW);
  int64_t Taps = G.C * G.KH * G.KW, Act = convParams(P).Activation;
  float *Planes = f32(T, 4) + Task * convParams(P).PerTask;
  Channels Mine = channelsOf(G, P, Task);
  chunksOf(
      G, P, f32(T, 4), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        for (int64_t N = N0; N < N0 + Imgs; ++N) {
          paddedPlanes(Xp + N * G.C * G.H * G.W, G, Hq, Wq, Planes);
          for (int64_t O0 = Mine.First; O0 < Mine.End; O0 += CB) {
            int64_t Os = minOf<int64_t>(CB, Mine.End - O0);
            float Scale[CB], Shift[CB];
            for (int64_t J = 0; J < Os; ++J)
              affine(T, P, F, O0 + J, Scale[J], Shift[J]);
            for (int64_t Oh = 0; Oh < G.OH; ++Oh)
              for (int64_t Ow = 0; Ow < G.OW; Ow += 16 * NV) {
                // Vectors past the row (a short last block) compute padding.
                int64_t Vs = minOf<int64_t>(NV, (G.OW - Ow + 15) / 16);
                v16 Acc[CB][NV];
#pragma unroll
                for (int64_t J = 0; J < CB; ++J)
#pragma unroll
                  for (int64_t V = 0; V < NV; ++V)
                    Acc[J][V] = 0;
                for (int64_t C = 0; C < G.C; ++C)
                  for (int64_t Kh = 0; Kh < G.KH; ++Kh) {
                    const float *Row = Planes + (C * Hq + Oh + Kh) * Wq + Ow;
                    for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                      v16 Xv[NV];
#pragma unroll
                      for (int64_t V = 0; V < NV; ++V)
                        Xv[V] =
                            *reinterpret_cast<const v16u *>(Row + Kw + 16 * V);
                      int64_t Tap = (C * G.KH + Kh) * G.KW + Kw;
#pragma unroll
                      for (int64_t J = 0; J < CB; ++J)
                        if (J < Os) {
                          float Wj = Wt[(O0 + J) * Taps + Tap];
#pragma unroll
                          for (int64_t V = 0; V < NV; ++V)
                            Acc[J][V] += Wj * Xv[V];
                        }
                    }
                  }
                for (int64_t J = 0; J < Os; ++J)
                  for (int64_t V = 0; V < Vs; ++V) {
                    int64_t At = Ow + 16 * V;
                    int64_t Valid = minOf<int64_t>(16, G.OW - At);
                    float *Out =
                        Y + ((N * G.O + O0 + J) * G.OH + Oh) * G.OW + At;
                    v16 R = Acc[J][V] * Scale[J] + Shift[J];
                    activateV(R, Act, reals<ConvReals>(F).Attrs);
                    if (Valid == 16)
                      __builtin_memcpy(Out, &R, sizeof(v16));
                    else
                      storeFirst(Out, R, Valid);
                  }
              }
          }
        }
      });
  return NNC_OK;
}

NNC_INLINE int directConv(void *const *T, const int64_t *P, const double *F,
                          int64_t Task, const Window &G) {
  if (nnc_target_vector_bits >= 512)
    return directConvWith<8, 2>(T, P, F, Task, G);
  return directConvWith<4, 1>(T, P, F, Task, G);
}

/// The channel-vector path of nnc_t_Conv (convChannelVec): the weights
/// transposed to [taps, O] once per task; per image, the input in
/// zero-padded planes; per block of 16 output channels and ConvVecPixels
/// pixels of an output row, accumulators of 16 channels each take one
/// weight vector and one broadcast input value per tap. PB pixels at a
/// time, at most ConvVecPixels.
template <int64_t PB>
NNC_INLINE int channelVecConvWith(void *const *T, const int64_t *P,
                                  const double *F, int64_t Task,
                                  const Window &G) {
  const float *Xp = f32(T, 0), *Wt = f32(T, 1);
  float *Y = f32(T, 3);
  int64_t Hq = convVecRows(G.OH, G.KH, G.SH, G.DH);
  int64_t Wq = convVecCols(G.OW, G.KW, G.SW, G.DW);
  int64_t Taps = G.C * G.KH * G.KW, Act = convParams(P).Activation;
  float *Wtr = f32(T, 4) + Task * convParams(P).PerTask;
  float *Planes = Wtr + roundUp(Taps * G.O, 16);
  for (int64_t O = 0; O < G.O; ++O)
    for (int64_t K = 0; K < Taps; ++K)
      Wtr[K * G.O + O] = Wt[O * Taps + K];
  // paddedPlanes pads by (PadT, PadL) to Hq x Wq. A short last block of
  // pixels reads past its row (into the next, or the workspace's slack)
  // for lanes it then does not store.
  chunksOf(
      G, P, f32(T, 4), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        for (int64_t N = N0; N < N0 + Imgs; ++N) {
          paddedPlanes(Xp + N * G.C * G.H * G.W, G, Hq, Wq, Planes);
          for (int64_t O0 = 0; O0 < G.O; O0 += 16) {
            float ScaleA[16], ShiftA[16];
            for (int64_t J = 0; J < 16; ++J)
              affine(T, P, F, O0 + J, ScaleA[J], ShiftA[J]);
            v16 Scale, Shift;
            __builtin_memcpy(&Scale, ScaleA, sizeof(v16));
            __builtin_memcpy(&Shift, ShiftA, sizeof(v16));
            for (int64_t Oh = 0; Oh < G.OH; ++Oh)
              for (int64_t Ow0 = 0; Ow0 < G.OW; Ow0 += PB) {
                v16 Acc[PB];
#pragma unroll
                for (int64_t J = 0; J < PB; ++J)
                  Acc[J] = 0;
                for (int64_t C = 0; C < G.C; ++C)
                  for (int64_t Kh = 0; Kh < G.KH; ++Kh) {
                    const float *Row = Planes +
                                       (C * Hq + Oh * G.SH + Kh * G.DH) * Wq +
                                       Ow0 * G.SW;
                    const float *Wk = Wtr + ((C * G.KH + Kh) * G.KW) * G.O + O0;
                    for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                      v16 Wv;
                      __builtin_memcpy(&Wv, Wk + Kw * G.O, sizeof(v16));
                      const float *In = Row + Kw * G.DW;
#pragma unroll
                      for (int64_t J = 0; J < PB; ++J)
                        Acc[J] += In[J * G.SW] * Wv;
                    }
                  }
                int64_t Valid = minOf(PB, G.OW - Ow0);
                float *Out = Y + ((N * G.O + O0) * G.OH + Oh) * G.OW + Ow0;
                for (int64_t J = 0; J < Valid; ++J) {
                  v16 R = Acc[J] * Scale + Shift;
                  activateV(R, Act, reals<ConvReals>(F).Attrs);
#pragma unroll
                  for (int64_t L = 0; L < 16; ++L)
                    Out[L * G.OH * G.OW + J] = R[L];
                }
              }
          }
        }
      });
  return NNC_OK;
}

NNC_INLINE int channelVecConv(void *const *T, const int64_t *P, const double *F,
                              int64_t Task, const Window &G) {
  // 12 accumulators of 16 channels fill AVX-512's registers; AVX2 holds 6
  // (each two registers) with the weight vector.
  if (nnc_target_vector_bits >= 512)
    return channelVecConvWith<ConvVecPixels>(T, P, F, Task, G);
  return channelVecConvWith<ConvVecPixels / 2>(T, P, F, Task, G);
}

NNC_KERNEL(Conv) { return NNC_OK; }
NNC_TASK(Conv) {
  Window G = convParams(P).G;
  int64_t Algorithm = convParams(P).Algorithm;
  if (Algorithm == ConvByWinograd)
    return winogradConv(T, P, F, Task, false);
  if (Algorithm == ConvByDirect)
    return directConv(T, P, F, Task, G);
  if (Algorithm == ConvByChannelVectors)
    return channelVecConv(T, P, F, Task, G);
  const float *Xp = f32(T, 0), *Wt = f32(T, 1);
  float *Y = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  int64_t K = Cg * KK, Pixels = G.OH * G.OW, Act = convParams(P).Activation;
  ConvWork L =
      convWork(ConvForward, Cg, Og, G.O, KK, Pixels, convParams(P).Images);
  chunksOf(G, P, f32(T, 4), Task,
           [&](int64_t N0, int64_t Imgs, float *Work) NNC_LAMBDA {
             int64_t Cols = Imgs * Pixels;
             float *Col = Work + L.Col, *Buf = Work + L.Buf;
             for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
               for (int64_t I = 0; I < Imgs; ++I)
                 im2col(Xp + ((N0 + I) * G.C + Grp * Cg) * G.H * G.W, G, Cg,
                        Col + I * Pixels, Cols);
               // One image writes in place; more go through Buf.
               float *Dst =
                   Imgs == 1 ? Y + (N0 * G.O + Grp * Og) * Pixels : Buf;
               gemm(Og, Cols, K, Wt + Grp * Og * K, K, 1, Col, Cols, 1, Dst,
                    Cols, false, Work + L.Pack);
               for (int64_t O = 0; O < Og; ++O) {
                 float Scale, Shift;
                 affine(T, P, F, Grp * Og + O, Scale, Shift);
                 for (int64_t I = 0; I < Imgs; ++I) {
                   float *Out = Y + ((N0 + I) * G.O + Grp * Og + O) * Pixels;
                   const float *Src =
                       Imgs == 1 ? Out : Buf + O * Cols + I * Pixels;
                   for (int64_t Px = 0; Px < Pixels; ++Px)
                     Out[Px] = activate(Src[Px] * Scale + Shift, Act,
                                        reals<ConvReals>(F).Attrs);
                 }
               }
             }
           });
  return NNC_OK;
}
