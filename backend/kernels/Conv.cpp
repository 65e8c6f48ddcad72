//===- backend/kernels/Conv.cpp - Convolutions around the blocked GEMM ----===//
//
// Every form is im2col (or col2im) around gemm(): forward is W_g x col(X_g);
// the transposed conv (and so backward-data) is col2im(W_g^T x X_g);
// backward-weights is dY_g x col(X_g)^T summed over the batch. A 1x1 conv
// with unit stride and no padding reads its input as the column matrix.
// Images are split across tasks; each task has its own slice of workspace.
//
// P: the window (Kernel.h), then P[18] tasks and P[19] floats per task.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

namespace nnck {
namespace {

NNC_INLINE bool isPointwise(const Window &G) {
  return G.KH == 1 && G.KW == 1 && G.SH == 1 && G.SW == 1 && G.PadT == 0 &&
         G.PadL == 0 && G.PadB == 0 && G.PadR == 0;
}

/// Column matrix of one image's channel group: row (c, kh, kw), column
/// (oh, ow); zero where the window reaches into padding.
NNC_INLINE void im2col(const float *X, const Window &G, int64_t Cg,
                       float *Col) {
  for (int64_t C = 0; C < Cg; ++C)
    for (int64_t Kh = 0; Kh < G.KH; ++Kh)
      for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
        float *Row = Col + ((C * G.KH + Kh) * G.KW + Kw) * G.OH * G.OW;
        for (int64_t Oh = 0; Oh < G.OH; ++Oh) {
          int64_t Ih = Oh * G.SH - G.PadT + Kh * G.DH;
          float *Dst = Row + Oh * G.OW;
          if (Ih < 0 || Ih >= G.H) {
            zero(Dst, G.OW);
            continue;
          }
          const float *Src = X + (C * G.H + Ih) * G.W;
          for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
            int64_t Iw = Ow * G.SW - G.PadL + Kw * G.DW;
            Dst[Ow] = Iw >= 0 && Iw < G.W ? Src[Iw] : 0.f;
          }
        }
      }
}

/// Splits the batch over P[18] tasks; Body(first, end, workspace).
template <typename F>
NNC_INLINE void overImages(const Window &G, const int64_t *P, float *Work,
                           const nnc_exec *X, F Body) {
  int64_t Tasks = P[18], PerTask = P[19];
  auto Task = [&](int64_t T) {
    Body(G.N * T / Tasks, G.N * (T + 1) / Tasks, Work + T * PerTask, T);
  };
  parallelFor(X, Tasks, Task);
}

} // namespace
} // namespace nnck

using namespace nnck;

// Conv: X [N,C,H,W], W [O,C/g,KH,KW], optional bias [O] -> Y [N,O,OH,OW].
NNC_KERNEL(Conv) {
  Window G = window(P);
  const float *Xp = f32(T, 0), *Wt = f32(T, 1), *Bias = f32(T, 2);
  float *Y = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t K = Cg * G.KH * G.KW, Pixels = G.OH * G.OW;
  bool Direct = isPointwise(G);
  overImages(G, P, f32(T, 4), Exec,
             [&](int64_t Begin, int64_t End, float *Work, int64_t) {
               float *Col = Work;
               float *Pack = Work + colFloats(Cg, G.KH, G.KW, G.OH, G.OW);
               for (int64_t Img = Begin; Img < End; ++Img)
                 for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
                   const float *Src = Xp + (Img * G.C + Grp * Cg) * G.H * G.W;
                   if (!Direct)
                     im2col(Src, G, Cg, Col);
                   float *Dst = Y + (Img * G.O + Grp * Og) * Pixels;
                   gemm(Og, Pixels, K, Wt + Grp * Og * K, K, 1,
                        Direct ? Src : Col, Pixels, 1, Dst, Pixels, false,
                        Pack);
                   if (Bias)
                     for (int64_t O = 0; O < Og; ++O) {
                       float B = Bias[Grp * Og + O];
                       for (int64_t I = 0; I < Pixels; ++I)
                         Dst[O * Pixels + I] += B;
                     }
                 }
             });
  return NNC_OK;
}

// ConvTranspose: X [N,C,H,W], W [C,O/g,KH,KW], optional bias [O].
NNC_KERNEL(ConvTranspose) {
  Window G = window(P);
  const float *Xp = f32(T, 0), *Wt = f32(T, 1), *Bias = f32(T, 2);
  float *Y = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t KK = G.KH * G.KW, Pixels = G.H * G.W, OutPixels = G.OH * G.OW;
  overImages(G, P, f32(T, 4), Exec,
             [&](int64_t Begin, int64_t End, float *Work, int64_t) {
               float *Col = Work;
               float *Pack = Work + roundUp(Og * KK * Pixels, 16);
               for (int64_t Img = Begin; Img < End; ++Img) {
                 zero(Y + Img * G.O * OutPixels, G.O * OutPixels);
                 for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
                   // Col [Og*KK, Pixels] = W_g^T x X_g.
                   gemm(Og * KK, Pixels, Cg, Wt + Grp * Cg * Og * KK, 1,
                        Og * KK, Xp + (Img * G.C + Grp * Cg) * Pixels, Pixels,
                        1, Col, Pixels, false, Pack);
                   float *Dst = Y + (Img * G.O + Grp * Og) * OutPixels;
                   for (int64_t O = 0; O < Og; ++O)
                     for (int64_t Kh = 0; Kh < G.KH; ++Kh)
                       for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                         const float *Row =
                             Col + ((O * G.KH + Kh) * G.KW + Kw) * Pixels;
                         for (int64_t Ih = 0; Ih < G.H; ++Ih) {
                           int64_t Oh = Ih * G.SH - G.PadT + Kh * G.DH;
                           if (Oh < 0 || Oh >= G.OH)
                             continue;
                           float *Out = Dst + (O * G.OH + Oh) * G.OW;
                           for (int64_t Iw = 0; Iw < G.W; ++Iw) {
                             int64_t Ow = Iw * G.SW - G.PadL + Kw * G.DW;
                             if (Ow >= 0 && Ow < G.OW)
                               Out[Ow] += Row[Ih * G.W + Iw];
                           }
                         }
                       }
                 }
                 if (Bias)
                   for (int64_t O = 0; O < G.O; ++O)
                     for (int64_t I = 0; I < OutPixels; ++I)
                       Y[(Img * G.O + O) * OutPixels + I] += Bias[O];
               }
             });
  return NNC_OK;
}

// ConvGradWeights: X [N,C,H,W], dY [N,O,OH,OW] -> dW [O,C/g,KH,KW]. Each
// task sums its images into its own partial dW (task 0: the output); the
// partials are added at the end.
NNC_KERNEL(ConvGradWeights) {
  Window G = window(P);
  const float *Xp = f32(T, 0), *Dy = f32(T, 1);
  float *Dw = f32(T, 2), *Work = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t K = Cg * G.KH * G.KW, Pixels = G.OH * G.OW;
  int64_t WFloats = G.O * K, Tasks = P[18], PerTask = P[19];
  int64_t ColF = colFloats(Cg, G.KH, G.KW, G.OH, G.OW);
  bool Direct = isPointwise(G);
  overImages(G, P, Work, Exec,
             [&](int64_t Begin, int64_t End, float *W, int64_t Task) {
               float *Col = W, *Partial = W + ColF;
               float *Pack = Partial + roundUp(WFloats, 16);
               float *Acc = Task == 0 ? Dw : Partial;
               zero(Acc, WFloats);
               for (int64_t Img = Begin; Img < End; ++Img)
                 for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
                   const float *Src = Xp + (Img * G.C + Grp * Cg) * G.H * G.W;
                   if (!Direct)
                     im2col(Src, G, Cg, Col);
                   // dW_g [Og, K] += dY_g [Og, Pixels] x Col^T.
                   gemm(Og, K, Pixels, Dy + (Img * G.O + Grp * Og) * Pixels,
                        Pixels, 1, Direct ? Src : Col, 1, Pixels,
                        Acc + Grp * Og * K, K, true, Pack);
                 }
             });
  for (int64_t Task = 1; Task < Tasks; ++Task) {
    const float *Partial = Work + Task * PerTask + ColF;
    for (int64_t I = 0; I < WFloats; ++I)
      Dw[I] += Partial[I];
  }
  return NNC_OK;
}
