//===- backend/kernels/ConvCommon.h - What every convolution path uses --===//
//
// Included by Conv.cpp only (kernels are one translation unit each): the
// column matrix, channel gathering, the epilogue's affine, and how tasks
// split a batch into chunks of images or a layer's output channels.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/kernels/Kernel.h"

namespace nnck {

NNC_INLINE const ConvParams &convParams(const int64_t *P) {
  return params<ConvParams>(P);
}

/// Column matrix of one image's channel group into Col with row stride Ld:
/// row (c, kh, kw), column (oh, ow); zero where the window reaches into
/// padding.
NNC_INLINE void im2col(const float *X, const Window &G, int64_t Cg, float *Col,
                       int64_t Ld) {
  for (int64_t C = 0; C < Cg; ++C)
    for (int64_t Kh = 0; Kh < G.KH; ++Kh)
      for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
        float *Row = Col + ((C * G.KH + Kh) * G.KW + Kw) * Ld;
        for (int64_t Oh = 0; Oh < G.OH; ++Oh) {
          int64_t Ih = Oh * G.SH - G.PadT + Kh * G.DH;
          float *Dst = Row + Oh * G.OW;
          if (Ih < 0 || Ih >= G.H) {
            zero(Dst, G.OW);
            continue;
          }
          const float *Src = X + (C * G.H + Ih) * G.W;
          int64_t W0 = Kw * G.DW - G.PadL;
          // Columns [Lo, Hi) read inside the row; the rest is padding.
          int64_t Lo = W0 >= 0 ? 0 : minOf(G.OW, (-W0 + G.SW - 1) / G.SW);
          int64_t Last = G.W - 1 - W0; // largest Ow * SW inside
          int64_t Hi = Last < 0 ? 0 : minOf(G.OW, Last / G.SW + 1);
          Hi = maxOf(Hi, Lo);
          for (int64_t Ow = 0; Ow < Lo; ++Ow)
            Dst[Ow] = 0.f;
          if (G.SW == 1)
            copyShort(Dst + Lo, Src + Lo + W0, Hi - Lo);
          else
            for (int64_t Ow = Lo; Ow < Hi; ++Ow)
              Dst[Ow] = Src[Ow * G.SW + W0];
          for (int64_t Ow = Hi; Ow < G.OW; ++Ow)
            Dst[Ow] = 0.f;
        }
      }
}

/// Copies channels [C0, C0 + Rows) of images [N0, N0 + Imgs) of a [N, C, P]
/// tensor into Dst [Rows, Imgs * P].
NNC_INLINE void gatherChannels(const float *X, int64_t C, int64_t P, int64_t N0,
                               int64_t Imgs, int64_t C0, int64_t Rows,
                               float *Dst) {
  int64_t Ld = Imgs * P;
  for (int64_t R = 0; R < Rows; ++R)
    for (int64_t I = 0; I < Imgs; ++I)
      copyShort(Dst + R * Ld + I * P, X + ((N0 + I) * C + C0 + R) * P, P);
}

/// Output channel Ch's affine epilogue y = acc * Scale + Shift: the conv's
/// bias, and with FoldedBatchNorm a folded inference BatchNorm (T[5..8]:
/// scale, bias, mean, var; ConvReals::Epsilon): BN(acc + b) = acc * s +
/// (b - mean) * s + beta with s = scale / sqrt(var + eps), as folding s into
/// the weights would.
NNC_INLINE void affine(void *const *T, const int64_t *P, const double *F,
                       int64_t Ch, float &Scale, float &Shift) {
  const float *Bias = f32(T, 2);
  float B = Bias ? Bias[Ch] : 0.f;
  Scale = 1.f;
  Shift = B;
  if (!convParams(P).FoldedBatchNorm)
    return;
  const float *S = f32(T, 5), *Beta = f32(T, 6), *Mean = f32(T, 7),
              *Var = f32(T, 8);
  Scale = float(double(S[Ch]) /
                __builtin_sqrt(double(Var[Ch]) + reals<ConvReals>(F).Epsilon));
  Shift = (B - Mean[Ch]) * Scale + Beta[Ch];
}

/// Output channels [First, End) of a task: all of them when tasks split the
/// chunks; an even share when there are more tasks than chunks (small
/// batches: the direct and Winograd paths then split the channels).
struct Channels {
  int64_t First, End;
};
NNC_INLINE Channels channelsOf(const Window &G, const int64_t *P,
                               int64_t Task) {
  int64_t Chunks = (G.N + convParams(P).Images - 1) / convParams(P).Images,
          Tasks = convParams(P).Tasks;
  if (Tasks <= Chunks)
    return Channels{0, G.O};
  return Channels{G.O * Task / Tasks, G.O * (Task + 1) / Tasks};
}

/// Runs Body(first image, images, workspace) over task Task's share of the
/// batch's chunks (every chunk when the tasks split channels instead).
template <typename F>
NNC_INLINE void chunksOf(const Window &G, const int64_t *P, float *Work,
                         int64_t Task, F Body) {
  int64_t Tasks = convParams(P).Tasks, PerTask = convParams(P).PerTask,
          Imgs = convParams(P).Images;
  int64_t Chunks = (G.N + Imgs - 1) / Imgs;
  bool All = Tasks > Chunks;
  for (int64_t C = All ? 0 : Chunks * Task / Tasks;
       C < (All ? Chunks : Chunks * (Task + 1) / Tasks); ++C) {
    int64_t N0 = C * Imgs;
    Body(N0, minOf(Imgs, G.N - N0), Work + Task * PerTask);
  }
}

/// One image's input channels into zero-padded planes whose rows are whole
/// vectors (the direct paths' layout: Hq = OH + KH - 1 rows of Wq floats).
NNC_INLINE void paddedPlanes(const float *X, const Window &G, int64_t Hq,
                             int64_t Wq, float *Planes) {
  for (int64_t C = 0; C < G.C; ++C)
    for (int64_t R = 0; R < Hq; ++R) {
      float *Dst = Planes + (C * Hq + R) * Wq;
      int64_t Ih = R - G.PadT;
      zero(Dst, Wq);
      if (Ih < 0 || Ih >= G.H)
        continue;
      int64_t Lo = minOf(Wq, maxOf<int64_t>(G.PadL, 0));
      int64_t Hi = minOf(Wq, G.W + G.PadL);
      copyShort(Dst + Lo, X + (C * G.H + Ih) * G.W + Lo - G.PadL, Hi - Lo);
    }
}

} // namespace nnck
