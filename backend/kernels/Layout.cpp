//===- backend/kernels/Layout.cpp - Data movement and reductions ----------===//
//
// Strided kernels take shapes padded to rank 6 (leading 1s) by the host.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"
#include "backend/kernels/PadIndex.h"

using namespace nnck;

#define FOR6(D)                                                                \
  for (int64_t I0 = 0; I0 < D[0]; ++I0)                                        \
    for (int64_t I1 = 0; I1 < D[1]; ++I1)                                      \
      for (int64_t I2 = 0; I2 < D[2]; ++I2)                                    \
        for (int64_t I3 = 0; I3 < D[3]; ++I3)                                  \
          for (int64_t I4 = 0; I4 < D[4]; ++I4)

#define OFFSET5(S) (I0 * S[0] + I1 * S[1] + I2 * S[2] + I3 * S[3] + I4 * S[4])

// Gather (GatherParams). Transpose (permuted strides), Expand and
// ReduceGrad (broadcast, scaled).
NNC_KERNEL(Gather) {
  const GatherParams &Q = params<GatherParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, int(Q.OutputSlot));
  const int64_t *D = Q.Dims, *S = Q.Strides;
  float Scale = float(reals<ScaleReals>(F).Scale);
  FOR6(D) {
    const float *Src = X + OFFSET5(S);
    for (int64_t I5 = 0; I5 < D[5]; ++I5)
      *Y++ = Scale * Src[I5 * S[5]];
  }
  return NNC_OK;
}

// Reduce (ReduceParams), the sums scaled by ScaleReals. ReduceSum, ReduceMean,
// SumTo.
NNC_KERNEL(Reduce) {
  const ReduceParams &Q = params<ReduceParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, int(Q.OutputSlot));
  const int64_t *D = Q.Dims, *S = Q.Strides;
  zero(Y, Q.OutputElements);
  FOR6(D) {
    float *Dst = Y + OFFSET5(S);
    if (S[5] == 0) {
      float Sum = 0;
      for (int64_t I5 = 0; I5 < D[5]; ++I5)
        Sum += X[I5];
      *Dst += Sum;
    } else {
      for (int64_t I5 = 0; I5 < D[5]; ++I5)
        Dst[I5 * S[5]] += X[I5];
    }
    X += D[5];
  }
  double Scale = reals<ScaleReals>(F).Scale;
  if (Scale != 1.0)
    for (int64_t I = 0; I < Q.OutputElements; ++I)
      Y[I] *= float(Scale);
  return NNC_OK;
}

// ReduceExtreme: the maximum (scale 1) or the minimum (scale -1), with
// Reduce's parameters, NaN winning as in PyTorch. ReduceMax, ReduceMin.
NNC_KERNEL(ReduceExtreme) {
  const ReduceParams &Q = params<ReduceParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, int(Q.OutputSlot));
  const int64_t *D = Q.Dims, *S = Q.Strides;
  float Sign = float(reals<ScaleReals>(F).Scale);
  for (int64_t I = 0; I < Q.OutputElements; ++I)
    Y[I] = -__builtin_inff();
  FOR6(D) {
    float *Dst = Y + OFFSET5(S);
    for (int64_t I5 = 0; I5 < D[5]; ++I5) {
      float V = Sign * X[I5], &M = Dst[I5 * S[5]];
      if ((V > M || V != V) && M == M)
        M = V;
    }
    X += D[5];
  }
  for (int64_t I = 0; I < Q.OutputElements; ++I)
    Y[I] *= Sign;
  return NNC_OK;
}

// Pad and PadGrad walk the padded tensor's rows: Row is the offset in x of
// the row that padded row (I0..I4) copies, or -1 for a constant row.
#define PAD_ROW(D, XD, B, XS, Mode)                                            \
  int64_t Row = 0;                                                             \
  {                                                                            \
    const int64_t Idx[5] = {I0, I1, I2, I3, I4};                               \
    for (int K = 0; K < 5 && Row >= 0; ++K) {                                  \
      int64_t Src = padSource(Idx[K], XD[K], B[K], Mode);                      \
      Row = Src < 0 ? -1 : Row + Src * XS[K];                                  \
    }                                                                          \
  }

NNC_INLINE void padStrides(const int64_t *XD, int64_t *XS) {
  XS[5] = 1;
  for (int K = 4; K >= 0; --K)
    XS[K] = XS[K + 1] * XD[K + 1];
}

// Pad (PadParams, PadReals). T: x, y.
NNC_KERNEL(Pad) {
  const PadParams &Q = params<PadParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  const int64_t *D = Q.Dims, *XD = Q.XDims, *B = Q.Begins;
  int64_t Mode = Q.Mode, XS[6];
  padStrides(XD, XS);
  float Value = float(reals<PadReals>(F).Value);
  FOR6(D) {
    PAD_ROW(D, XD, B, XS, Mode)
    for (int64_t I5 = 0; I5 < D[5]; ++I5) {
      int64_t Src = Row < 0 ? -1 : padSource(I5, XD[5], B[5], Mode);
      Y[I5] = Src < 0 ? Value : X[Row + Src];
    }
    Y += D[5];
  }
  return NNC_OK;
}

// PadGrad: Pad's parameters, with dy (padded) and like (x) in; dx = T[2]
// gets every element of dy that was copied from it.
NNC_KERNEL(PadGrad) {
  const PadParams &Q = params<PadParams>(P);
  const float *Dy = f32(T, 0);
  float *Dx = f32(T, 2);
  const int64_t *D = Q.Dims, *XD = Q.XDims, *B = Q.Begins;
  int64_t Mode = Q.Mode, XS[6];
  padStrides(XD, XS);
  zero(Dx, XS[0] * XD[0]);
  FOR6(D) {
    PAD_ROW(D, XD, B, XS, Mode)
    if (Row >= 0)
      for (int64_t I5 = 0; I5 < D[5]; ++I5) {
        int64_t Src = padSource(I5, XD[5], B[5], Mode);
        if (Src >= 0)
          Dx[Row + Src] += Dy[I5];
      }
    Dy += D[5];
  }
  return NNC_OK;
}

// Concat (ConcatParams, then each input's row). T: the inputs, then the
// output.
NNC_KERNEL(Concat) {
  const ConcatParams &Q = params<ConcatParams>(P);
  const int64_t *Rows = P + sizeof(ConcatParams) / sizeof(int64_t);
  int64_t Count = Q.Count, Outer = Q.Outer, OutRow = Q.OutRow;
  float *Y = f32(T, int(Count));
  int64_t Offset = 0;
  for (int64_t K = 0; K < Count; ++K) {
    const float *X = f32(T, int(K));
    int64_t Row = Rows[K];
    for (int64_t O = 0; O < Outer; ++O)
      copy(Y + O * OutRow + Offset, X + O * Row, Row);
    Offset += Row;
  }
  return NNC_OK;
}

// ChannelShuffle: channels viewed as [groups, C/groups] are transposed.
NNC_KERNEL(ChannelShuffle) {
  const ChannelShuffleParams &Q = params<ChannelShuffleParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  int64_t Batch = Q.Batch, G = Q.Groups, Per = Q.PerGroup, Inner = Q.Inner,
          C = G * Per;
  for (int64_t B = 0; B < Batch; ++B)
    for (int64_t Grp = 0; Grp < G; ++Grp)
      for (int64_t K = 0; K < Per; ++K)
        copy(Y + (B * C + K * G + Grp) * Inner,
             X + (B * C + Grp * Per + K) * Inner, Inner);
  return NNC_OK;
}

// ArgMax -> i64 indices, the first maximum.
NNC_KERNEL(ArgMax) {
  const AxisParams &Q = params<AxisParams>(P);
  const float *X = f32(T, 0);
  int64_t *Y = in<int64_t>(T, 1);
  int64_t Outer = Q.Outer, Extent = Q.Extent, Inner = Q.Inner;
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I = 0; I < Inner; ++I) {
      const float *Src = X + O * Extent * Inner + I;
      int64_t Best = 0;
      float M = -__builtin_inff();
      for (int64_t K = 0; K < Extent; ++K)
        if (Src[K * Inner] > M) {
          M = Src[K * Inner];
          Best = K;
        }
      Y[O * Inner + I] = Best;
    }
  return NNC_OK;
}

// Slice along an axis.
NNC_KERNEL(Slice) {
  const SliceParams &Q = params<SliceParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  int64_t Outer = Q.Outer, Extent = Q.Extent, Inner = Q.Inner, Start = Q.Start,
          Len = Q.Length;
  for (int64_t O = 0; O < Outer; ++O)
    copy(Y + O * Len * Inner, X + (O * Extent + Start) * Inner, Len * Inner);
  return NNC_OK;
}
