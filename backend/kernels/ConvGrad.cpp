//===- backend/kernels/ConvGrad.cpp - Transposed conv, weight gradient ----===//
//
// ConvTranspose, which is also Conv's gradient for its input, and
// ConvGradWeights, around the blocked GEMM as Conv.cpp describes (the same
// P layout), with direct and channel-vector paths for small kernels.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/ConvCommon.h"
#include "backend/kernels/Kernel.h"
#include "backend/kernels/Winograd.h"

using namespace nnck;

/// nnc_t_ConvTranspose in gather form (convTransposeGather): see
/// convGatherWork. Blocks of CB output channels by PB pixels of a row keep
/// their sums in registers, V's lanes apart; every tap loads one input
/// vector per pixel and one weight vector per channel.
template <typename V, int64_t CB, int64_t PB>
NNC_INLINE int gatherConvTransposeWith(void *const *T, const int64_t *P,
                                       int64_t Task, const Window &G) {
  const float *Xp = f32(T, 0), *Wt = f32(T, 1), *Bias = f32(T, 2);
  float *Y = f32(T, 3);
  ConvGatherWork L = convGatherWork(G.C, G.O, G.KH, G.KW, G.OH, G.OW);
  float *Wf = f32(T, 4) + Task * convParams(P).PerTask + L.Weights;
  float *Xt = f32(T, 4) + Task * convParams(P).PerTask + L.Input;
  int64_t KK = G.KH * G.KW, Wq = G.OW + G.KW - 1, Hq = G.OH + G.KH - 1;
  int64_t Top = G.KH - 1 - G.PadT, Left = G.KW - 1 - G.PadL;
  // Wf[o, k, c] = W[c, o, KK - 1 - k].
  for (int64_t C = 0; C < G.C; ++C)
    for (int64_t O = 0; O < G.O; ++O)
      for (int64_t K = 0; K < KK; ++K)
        Wf[(O * KK + K) * G.C + C] = Wt[(C * G.O + O) * KK + KK - 1 - K];
  chunksOf(
      G, P, f32(T, 4), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        for (int64_t N = N0; N < N0 + Imgs; ++N) {
          // The input, padded and transposed: only the rows and columns the
          // windows reach (the padding below and right may cut the input).
          zero(Xt, (Hq * Wq + PB) * G.C);
          for (int64_t C = 0; C < G.C; ++C)
            for (int64_t Ih = 0; Ih < G.H; ++Ih) {
              int64_t R = Ih + Top;
              if (R >= Hq)
                break;
              const float *Src = Xp + ((N * G.C + C) * G.H + Ih) * G.W;
              for (int64_t Iw = 0; Iw < G.W && Iw + Left < Wq; ++Iw)
                Xt[(R * Wq + Iw + Left) * G.C + C] = Src[Iw];
            }
          for (int64_t O0 = 0; O0 < G.O; O0 += CB) {
            int64_t Os = minOf<int64_t>(CB, G.O - O0);
            for (int64_t Oy = 0; Oy < G.OH; ++Oy)
              for (int64_t Ox = 0; Ox < G.OW; Ox += PB) {
                constexpr int64_t Lanes = sizeof(V) / sizeof(float);
                V Acc[CB][PB];
#pragma unroll
                for (int64_t J = 0; J < CB; ++J)
#pragma unroll
                  for (int64_t Px = 0; Px < PB; ++Px)
                    Acc[J][Px] = 0;
                for (int64_t Kh = 0; Kh < G.KH; ++Kh)
                  for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                    const float *Xr = Xt + ((Oy + Kh) * Wq + Ox + Kw) * G.C;
                    const float *Wk = Wf + (O0 * KK + Kh * G.KW + Kw) * G.C;
                    for (int64_t C0 = 0; C0 < G.C; C0 += Lanes) {
                      // Channels past Os read the last one's weights (their
                      // sums are not stored): no branch in the block.
                      V Wv[CB];
#pragma unroll
                      for (int64_t J = 0; J < CB; ++J)
                        __builtin_memcpy(
                            &Wv[J],
                            Wk + minOf<int64_t>(J, Os - 1) * KK * G.C + C0,
                            sizeof(V));
#pragma unroll
                      for (int64_t Px = 0; Px < PB; ++Px) {
                        V Xv;
                        __builtin_memcpy(&Xv, Xr + Px * G.C + C0, sizeof(V));
#pragma unroll
                        for (int64_t J = 0; J < CB; ++J)
                          Acc[J][Px] += Xv * Wv[J];
                      }
                    }
                  }
                // Pixels past the row (a short last block) are not stored.
                int64_t Ps = minOf<int64_t>(PB, G.OW - Ox);
                for (int64_t J = 0; J < Os; ++J) {
                  float B = Bias ? Bias[O0 + J] : 0.f;
                  float *Out = Y + ((N * G.O + O0 + J) * G.OH + Oy) * G.OW + Ox;
                  for (int64_t Px = 0; Px < Ps; ++Px)
                    Out[Px] = laneSum(Acc[J][Px]) + B;
                }
              }
          }
        }
      });
  return NNC_OK;
}

NNC_INLINE int gatherConvTranspose(void *const *T, const int64_t *P,
                                   int64_t Task, const Window &G) {
  // 6 x 2 accumulators of 16 lanes (6 x 4 measured slower: LeNet-5's
  // 0.31 -> 0.34 ms). AVX2's 16 registers hold 3 x 4 of 8 lanes with the
  // loaded vectors (3 x 2 of 16 lanes spilled).
  if (nnc_target_vector_bits >= 512)
    return gatherConvTransposeWith<v16, 6, 2>(T, P, Task, G);
  return gatherConvTransposeWith<v8, 3, ConvGatherPixels>(T, P, Task, G);
}

// ConvTranspose: X [N,C,H,W], W [C,O/g,KH,KW], optional bias [O].
NNC_KERNEL(ConvTranspose) { return NNC_OK; }
NNC_TASK(ConvTranspose) {
  Window G = convParams(P).G;
  int64_t Algorithm = convParams(P).Algorithm;
  if (Algorithm == ConvByWinograd)
    return winogradConv(T, P, F, Task, true);
  if (Algorithm == ConvByGather)
    return gatherConvTranspose(T, P, Task, G);
  const float *Xp = f32(T, 0), *Wt = f32(T, 1), *Bias = f32(T, 2);
  float *Y = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  int64_t Pixels = G.H * G.W, OutPixels = G.OH * G.OW;
  ConvWork L =
      convWork(ConvTransposed, Cg, Og, G.O, KK, Pixels, convParams(P).Images);
  chunksOf(G, P, f32(T, 4), Task,
           [&](int64_t N0, int64_t Imgs, float *Work) NNC_LAMBDA {
             int64_t Cols = Imgs * Pixels;
             float *Col = Work + L.Col, *Xc = Work + L.Buf;
             zero(Y + N0 * G.O * OutPixels, Imgs * G.O * OutPixels);
             for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
               gatherChannels(Xp, G.C, Pixels, N0, Imgs, Grp * Cg, Cg, Xc);
               // Col [Og*KK, Cols] = W_g^T x X_g.
               gemm(Og * KK, Cols, Cg, Wt + Grp * Cg * Og * KK, 1, Og * KK, Xc,
                    Cols, 1, Col, Cols, false, Work + L.Pack);
               for (int64_t I = 0; I < Imgs; ++I) {
                 float *Dst = Y + ((N0 + I) * G.O + Grp * Og) * OutPixels;
                 for (int64_t O = 0; O < Og; ++O)
                   for (int64_t Kh = 0; Kh < G.KH; ++Kh)
                     for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                       const float *Row = Col +
                                          ((O * G.KH + Kh) * G.KW + Kw) * Cols +
                                          I * Pixels;
                       for (int64_t Ih = 0; Ih < G.H; ++Ih) {
                         int64_t Oh = Ih * G.SH - G.PadT + Kh * G.DH;
                         if (Oh < 0 || Oh >= G.OH)
                           continue;
                         float *Out = Dst + (O * G.OH + Oh) * G.OW;
                         const float *In = Row + Ih * G.W;
                         int64_t W0 = Kw * G.DW - G.PadL;
                         if (G.SW == 1 && W0 >= 0 && W0 + G.W <= G.OW) {
                           addShort(Out + W0, In, G.W);
                           continue;
                         }
                         for (int64_t Iw = 0; Iw < G.W; ++Iw) {
                           int64_t Ow = Iw * G.SW + W0;
                           if (Ow >= 0 && Ow < G.OW)
                             Out[Ow] += In[Iw];
                         }
                       }
                     }
               }
             }
             if (Bias)
               for (int64_t I = 0; I < Imgs; ++I)
                 for (int64_t O = 0; O < G.O; ++O) {
                   float *Out = Y + ((N0 + I) * G.O + O) * OutPixels;
                   for (int64_t Px = 0; Px < OutPixels; ++Px)
                     Out[Px] += Bias[O];
                 }
           });
  return NNC_OK;
}

// ConvGradWeights: X [N,C,H,W], dY [N,O,OH,OW] -> dW [O,C/g,KH,KW]. Each
// task sums its chunks into its own partial dW (task 0: the output);
// nnc_k_ConvGradWeights adds the partials.
/// The direct weight gradient (convDirectGrad): dW[o, c, kh, kw] is the
/// sum over pixels of dY[o] times the input shifted by (kh, kw); blocks of
/// OB output channels by a row of at most MaxKw taps accumulate in vectors
/// of V, one loaded input and dY vector feeding several.
template <typename V, int64_t OB, int64_t MaxKw>
NNC_INLINE int directGradWeightsWith(void *const *T, const int64_t *P,
                                     int64_t Task, const Window &G) {
  constexpr int64_t Lanes = sizeof(V) / sizeof(float);
  const float *Xp = f32(T, 0), *Dy = f32(T, 1);
  float *Dw = f32(T, 2), *Work = f32(T, 3) + Task * convParams(P).PerTask;
  int64_t Hq = G.OH + G.KH - 1, OWr = roundUp(G.OW, 16), Wq = OWr + G.KW - 1;
  int64_t Taps = G.C * G.KH * G.KW;
  float *Planes = Work;
  float *Rows = Work + convDirectGradDy(G.C, G.KH, G.KW, G.OH, G.OW);
  float *Acc = Task == 0 ? Dw
                         : Work + convDirectGradPartial(G.C, G.KH, G.KW, G.OH,
                                                        G.OW, G.O);
  zero(Acc, G.O * Taps);
  chunksOf(
      G, P, f32(T, 3), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        for (int64_t N = N0; N < N0 + Imgs; ++N) {
          paddedPlanes(Xp + N * G.C * G.H * G.W, G, Hq, Wq, Planes);
          for (int64_t R = 0; R < G.O * G.OH; ++R) {
            copyShort(Rows + R * OWr, Dy + (N * G.O * G.OH + R) * G.OW, G.OW);
            zero(Rows + R * OWr + G.OW, OWr - G.OW);
          }
          for (int64_t O0 = 0; O0 < G.O; O0 += OB) {
            int64_t Os = minOf<int64_t>(OB, G.O - O0);
            for (int64_t C = 0; C < G.C; ++C)
              for (int64_t Kh = 0; Kh < G.KH; ++Kh) {
                V S[OB][MaxKw];
#pragma unroll
                for (int J = 0; J < OB; ++J)
#pragma unroll
                  for (int Kw = 0; Kw < MaxKw; ++Kw)
                    S[J][Kw] = 0;
                for (int64_t Oh = 0; Oh < G.OH; ++Oh)
                  for (int64_t Ow = 0; Ow < OWr; Ow += Lanes) {
                    const float *In = Planes + (C * Hq + Oh + Kh) * Wq + Ow;
                    V D[OB];
#pragma unroll
                    for (int J = 0; J < OB; ++J)
                      if (J < Os)
                        __builtin_memcpy(
                            &D[J], Rows + ((O0 + J) * G.OH + Oh) * OWr + Ow,
                            sizeof(V));
#pragma unroll
                    for (int Kw = 0; Kw < MaxKw; ++Kw)
                      if (Kw < G.KW) {
                        V Xv;
                        __builtin_memcpy(&Xv, In + Kw, sizeof(V));
#pragma unroll
                        for (int J = 0; J < OB; ++J)
                          if (J < Os)
                            S[J][Kw] += D[J] * Xv;
                      }
                  }
                for (int64_t J = 0; J < Os; ++J)
                  for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
                    float Sum = 0;
                    for (int L = 0; L < Lanes; ++L)
                      Sum += S[J][Kw][L];
                    Acc[(O0 + J) * Taps + (C * G.KH + Kh) * G.KW + Kw] += Sum;
                  }
              }
          }
        }
      });
  return NNC_OK;
}

NNC_INLINE int directGradWeights(void *const *T, const int64_t *P, int64_t Task,
                                 const Window &G) {
  // Accumulators, dY vectors and the loaded input within the registers:
  // AVX-512's 32 hold 4 x 8 (rows of up to 8 taps); AVX2's 16 hold
  // 3 x 3, 2 x 5 or 1 x 8 of 8 lanes.
  if (nnc_target_vector_bits >= 512)
    return directGradWeightsWith<v16, 4, 8>(T, P, Task, G);
  if (G.KW <= 3)
    return directGradWeightsWith<v8, 3, 3>(T, P, Task, G);
  if (G.KW <= 5)
    return directGradWeightsWith<v8, 2, 5>(T, P, Task, G);
  return directGradWeightsWith<v8, 1, 8>(T, P, Task, G);
}

/// The channel-vector weight gradient (convChannelVec shapes, not
/// convDirectGrad): see convVecGradWork. Taps go in blocks of R rows (c,
/// kh) of KW taps, R * KW accumulators of 16 output channels each; every
/// pixel loads one dY vector and R * KW broadcast inputs.
/// NV vectors of 16 output channels per block: with two (AVX-512, O in
/// 32s), each broadcast input value feeds two FMAs, and the loop is no
/// longer bound by its loads. At most MaxAcc accumulators (of NV vectors).
template <int64_t NV, int64_t MaxAcc>
NNC_INLINE int channelVecGradWeightsWith(void *const *T, const int64_t *P,
                                         int64_t Task, const Window &G) {
  const float *Xp = f32(T, 0), *Dy = f32(T, 1);
  float *Dw = f32(T, 2), *Work = f32(T, 3) + Task * convParams(P).PerTask;
  ConvVecGradWork L =
      convVecGradWork(G.C, G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.OH, G.OW, G.O);
  int64_t Hq = convVecRows(G.OH, G.KH, G.SH, G.DH);
  int64_t Wq = convVecCols(G.OW, G.KW, G.SW, G.DW);
  int64_t Taps = G.C * G.KH * G.KW, Pixels = G.OH * G.OW;
  int64_t Rows = G.C * G.KH, R = convVecGradRows(G.KW, MaxAcc);
  float *TapSum = Work + L.TapSum, *Planes = Work + L.Planes,
        *Dyt = Work + L.Dyt;
  zero(TapSum, Taps * G.O);
  chunksOf(
      G, P, f32(T, 3), Task, [&](int64_t N0, int64_t Imgs, float *) NNC_LAMBDA {
        for (int64_t N = N0; N < N0 + Imgs; ++N) {
          paddedPlanes(Xp + N * G.C * G.H * G.W, G, Hq, Wq, Planes);
          const float *DyN = Dy + N * G.O * Pixels;
          for (int64_t O = 0; O < G.O; ++O)
            for (int64_t Px = 0; Px < Pixels; ++Px)
              Dyt[Px * G.O + O] = DyN[O * Pixels + Px];
          for (int64_t O0 = 0; O0 < G.O; O0 += 16 * NV)
            for (int64_t Row0 = 0; Row0 < Rows; Row0 += R) {
              // Rows past the last (a short last block) repeat it, unused.
              int64_t RowOff[MaxAcc];
              for (int64_t J = 0; J < R; ++J) {
                int64_t Rw = minOf(Row0 + J, Rows - 1);
                RowOff[J] = ((Rw / G.KH) * Hq + (Rw % G.KH) * G.DH) * Wq;
              }
              v16 Acc[MaxAcc][NV];
#pragma unroll
              for (int64_t A = 0; A < MaxAcc; ++A)
#pragma unroll
                for (int64_t V = 0; V < NV; ++V)
                  Acc[A][V] = 0;
              for (int64_t Oh = 0; Oh < G.OH; ++Oh)
                for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
                  const float *In = Planes + Oh * G.SH * Wq + Ow * G.SW;
                  v16 D[NV];
#pragma unroll
                  for (int64_t V = 0; V < NV; ++V)
                    __builtin_memcpy(&D[V],
                                     Dyt + (Oh * G.OW + Ow) * G.O + O0 + 16 * V,
                                     sizeof(v16));
#pragma unroll
                  for (int64_t A = 0; A < MaxAcc; ++A)
                    if (A < R * G.KW) {
                      float X = In[RowOff[A / G.KW] + (A % G.KW) * G.DW];
#pragma unroll
                      for (int64_t V = 0; V < NV; ++V)
                        Acc[A][V] += X * D[V];
                    }
                }
              for (int64_t A = 0; A < R * G.KW; ++A) {
                int64_t Tap = Row0 * G.KW + A;
                if (Tap >= Taps)
                  break;
#pragma unroll
                for (int64_t V = 0; V < NV; ++V) {
                  float *S = TapSum + Tap * G.O + O0 + 16 * V;
                  v16 Old;
                  __builtin_memcpy(&Old, S, sizeof(v16));
                  Old += Acc[A][V];
                  __builtin_memcpy(S, &Old, sizeof(v16));
                }
              }
            }
        }
      });
  // [taps, O] -> dW [O, taps]: task 0 writes the output, the others the
  // partials nnc_k_ConvGradWeights adds.
  float *Out = Task == 0 ? Dw : Work + L.Partial;
  for (int64_t O = 0; O < G.O; ++O)
    for (int64_t Tap = 0; Tap < Taps; ++Tap)
      Out[O * Taps + Tap] = TapSum[Tap * G.O + O];
  return NNC_OK;
}

NNC_INLINE int channelVecGradWeights(void *const *T, const int64_t *P,
                                     int64_t Task, const Window &G) {
  // AVX-512's 32 registers hold 12 accumulators; AVX2's 16 hold 6 (each
  // two registers) with the loaded dY, where a row of taps fits in 6.
  if (nnc_target_vector_bits >= 512)
    return G.O % 32 == 0 ? channelVecGradWeightsWith<2, 12>(T, P, Task, G)
                         : channelVecGradWeightsWith<1, 12>(T, P, Task, G);
  if (G.KW <= 6)
    return channelVecGradWeightsWith<1, 6>(T, P, Task, G);
  return channelVecGradWeightsWith<1, 12>(T, P, Task, G);
}

NNC_TASK(ConvGradWeights) {
  Window G = convParams(P).G;
  int64_t Algorithm = convParams(P).Algorithm;
  if (Algorithm == ConvByDirect)
    return directGradWeights(T, P, Task, G);
  if (Algorithm == ConvByChannelVectors)
    return channelVecGradWeights(T, P, Task, G);
  const float *Xp = f32(T, 0), *Dy = f32(T, 1);
  float *Dw = f32(T, 2), *Work = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  int64_t K = Cg * KK, Pixels = G.OH * G.OW;
  ConvWork L = convWork(ConvBackwardWeights, Cg, Og, G.O, KK, Pixels,
                        convParams(P).Images);
  float *Acc = Task == 0 ? Dw : Work + Task * convParams(P).PerTask + L.Partial;
  zero(Acc, G.O * K);
  chunksOf(G, P, Work, Task,
           [&](int64_t N0, int64_t Imgs, float *W) NNC_LAMBDA {
             int64_t Cols = Imgs * Pixels;
             float *Col = W + L.Col, *Dyc = W + L.Buf;
             for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
               for (int64_t I = 0; I < Imgs; ++I)
                 im2col(Xp + ((N0 + I) * G.C + Grp * Cg) * G.H * G.W, G, Cg,
                        Col + I * Pixels, Cols);
               // One image's channels are contiguous already.
               const float *DyG = Dy + (N0 * G.O + Grp * Og) * Pixels;
               if (Imgs > 1) {
                 gatherChannels(Dy, G.O, Pixels, N0, Imgs, Grp * Og, Og, Dyc);
                 DyG = Dyc;
               }
               // dW_g [Og, K] += dY_g [Og, Cols] x Col^T: rows long along Cols.
               gemmNT(Og, K, Cols, DyG, Cols, Col, Cols, Acc + Grp * Og * K, K,
                      true);
             }
           });
  return NNC_OK;
}

NNC_KERNEL(ConvGradWeights) {
  Window G = convParams(P).G;
  float *Dw = f32(T, 2), *Work = f32(T, 3);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  ConvWork L = convWork(ConvBackwardWeights, Cg, Og, G.O, KK, G.OH * G.OW,
                        convParams(P).Images);
  int64_t Algorithm = convParams(P).Algorithm;
  int64_t PartialAt =
      Algorithm == ConvByDirect
          ? convDirectGradPartial(G.C, G.KH, G.KW, G.OH, G.OW, G.O)
      : Algorithm == ConvByChannelVectors
          ? convVecGradWork(G.C, G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.OH, G.OW,
                            G.O)
                .Partial
          : L.Partial;
  int64_t WFloats = G.O * Cg * KK;
  for (int64_t Task = 1; Task < convParams(P).Tasks; ++Task) {
    const float *Partial = Work + Task * convParams(P).PerTask + PartialAt;
    for (int64_t I = 0; I < WFloats; ++I)
      Dw[I] += Partial[I];
  }
  return NNC_OK;
}
