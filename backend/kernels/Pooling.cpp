//===- backend/kernels/Pooling.cpp - Windowed and global pooling ----------===//
//
// Parameters: Params.h. Window elements are visited kh-major, as the
// interpreter does, so "the first maximum" is the same element in both.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"
#include "backend/kernels/MaxPool2x2.h"

using namespace nnck;

namespace {

/// Fn(outIndex, oh, ow, inBase, h0, h1, w0, w1) for every output element,
/// with the window clipped to the input: rows Ih = h0 + kh*DH for kh in
/// [h0k, h1k).
struct Clip {
  int64_t Kh0, Kh1, Kw0, Kw1;
};
NNC_INLINE Clip clipWindow(const Window &G, int64_t Oh, int64_t Ow) {
  Clip C{0, 0, 0, 0};
  int64_t H0 = Oh * G.SH - G.PadT, W0 = Ow * G.SW - G.PadL;
  C.Kh0 = H0 >= 0 ? 0 : (-H0 + G.DH - 1) / G.DH;
  C.Kw0 = W0 >= 0 ? 0 : (-W0 + G.DW - 1) / G.DW;
  // The last tap inside: H0 + (k - 1) DH <= H - 1.
  int64_t LimH = G.H - 1 - H0, LimW = G.W - 1 - W0;
  C.Kh1 = LimH < 0 ? 0 : minOf(G.KH, LimH / G.DH + 1);
  C.Kw1 = LimW < 0 ? 0 : minOf(G.KW, LimW / G.DW + 1);
  C.Kh1 = maxOf(C.Kh1, C.Kh0);
  C.Kw1 = maxOf(C.Kw1, C.Kw0);
  return C;
}

/// Task's share [first, end) of the N*C planes when split in Tasks.
struct Planes {
  int64_t First, End;
};
NNC_INLINE Planes planesOf(const Window &G, int64_t Task, int64_t Tasks) {
  int64_t All = G.N * G.C;
  return Planes{All * Task / Tasks, All * (Task + 1) / Tasks};
}

template <typename F>
NNC_INLINE void forEachWindow(const Window &G, F Fn,
                              Planes Range = Planes{0, -1}) {
  if (Range.End < 0)
    Range.End = G.N * G.C;
  for (int64_t Plane = Range.First; Plane < Range.End; ++Plane)
    for (int64_t Oh = 0; Oh < G.OH; ++Oh)
      for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
        Clip C = clipWindow(G, Oh, Ow);
        int64_t Base = Plane * G.H * G.W + (Oh * G.SH - G.PadT) * G.W +
                       (Ow * G.SW - G.PadL);
        Fn((Plane * G.OH + Oh) * G.OW + Ow, Oh, Ow, Base, C);
      }
}

/// Output columns [Lo, Hi) whose windows lie inside the input's width, and
/// whether output row Oh's windows lie inside its height.
struct Interior {
  int64_t Lo, Hi;
};
NNC_INLINE Interior interiorColumns(const Window &G) {
  int64_t Lo = (G.PadL + G.SW - 1) / G.SW;
  int64_t Last = G.W - 1 - (G.KW - 1) * G.DW + G.PadL; // largest Ow * SW
  int64_t Hi = Last < 0 ? 0 : minOf(G.OW, Last / G.SW + 1);
  return Interior{minOf(Lo, Hi), Hi};
}
NNC_INLINE bool rowInside(const Window &G, int64_t Oh) {
  int64_t H0 = Oh * G.SH - G.PadT;
  return H0 >= 0 && H0 + (G.KH - 1) * G.DH < G.H;
}

/// Forward pooling row by row: windows inside the input go through a loop
/// over output columns with constant window bounds (it vectorizes); the
/// others through Edge(outIndex, oh, ow, base, clip).
template <typename InsideFn, typename EdgeFn>
NNC_INLINE void poolRows(const Window &G, const float *X, float *Y,
                         InsideFn Inside, EdgeFn Edge, Planes Range) {
  Interior In = interiorColumns(G);
  for (int64_t Plane = Range.First; Plane < Range.End; ++Plane)
    for (int64_t Oh = 0; Oh < G.OH; ++Oh) {
      int64_t Row = (Plane * G.OH + Oh) * G.OW;
      int64_t Base0 = Plane * G.H * G.W + (Oh * G.SH - G.PadT) * G.W - G.PadL;
      bool Full = rowInside(G, Oh);
      for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
        if (Full && Ow == In.Lo) {
          const float *Src = X + Base0;
          for (int64_t W = In.Lo; W < In.Hi; ++W)
            Y[Row + W] = Inside(Src + W * G.SW);
          Ow = In.Hi - 1;
          if (In.Hi > In.Lo)
            continue;
        }
        Edge(Row + Ow, Oh, Ow, Base0 + Ow * G.SW, clipWindow(G, Oh, Ow));
      }
    }
}

#define FOR_WINDOW(G, C, Base, Idx)                                            \
  for (int64_t Kh = C.Kh0; Kh < C.Kh1; ++Kh)                                   \
    for (int64_t Kw = C.Kw0, Idx = Base + Kh * G.DH * G.W + Kw * G.DW;         \
         Kw < C.Kw1; ++Kw, Idx += G.DW)

/// AvgPool's divisor, as the interpreter's avgPoolCount.
NNC_INLINE float avgCount(const Window &G, bool IncludePad, int64_t Oh,
                          int64_t Ow, const Clip &C) {
  if (!IncludePad)
    return float((C.Kh1 - C.Kh0) * (C.Kw1 - C.Kw0));
  int64_t H0 = Oh * G.SH - G.PadT, W0 = Ow * G.SW - G.PadL;
  int64_t H1 = minOf(H0 + G.KH, G.H + G.PadB);
  int64_t W1 = minOf(W0 + G.KW, G.W + G.PadR);
  return float((H1 - H0) * (W1 - W0));
}

} // namespace

// Windowed pooling splits the planes into tasks (nnc_t_<Op>).
NNC_KERNEL(MaxPool) { return NNC_OK; }
NNC_TASK(MaxPool) {
  const PoolParams &Q = params<PoolParams>(P);
  Window G = Q.G;
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  if (G.KH == 2 && G.KW == 2 && G.SH == 2 && G.SW == 2 && G.DH == 1 &&
      G.DW == 1 && G.PadT == 0 && G.PadL == 0 && G.H >= 2 * G.OH &&
      G.W >= 2 * G.OW) {
    // 2x2 windows inside the input: a row of windows at a time, which
    // vectorizes (the generic path's loop over the window does not).
    Planes R = planesOf(G, Task, Q.Tasks);
    for (int64_t Pl = R.First; Pl < R.End; ++Pl)
      for (int64_t Oh = 0; Oh < G.OH; ++Oh)
        maxPool2x2Run(X + (Pl * G.H + 2 * Oh) * G.W, G.W,
                      Y + (Pl * G.OH + Oh) * G.OW, G.OW);
    return NNC_OK;
  }
  poolRows(
      G, X, Y,
      [&](const float *W) NNC_LAMBDA {
        float M = -__builtin_inff();
        for (int64_t Kh = 0; Kh < G.KH; ++Kh)
          for (int64_t Kw = 0; Kw < G.KW; ++Kw)
            M = maxOf(M, W[Kh * G.DH * G.W + Kw * G.DW]);
        return M;
      },
      [&](int64_t O, int64_t, int64_t, int64_t Base, Clip C) NNC_LAMBDA {
        float M = -__builtin_inff();
        FOR_WINDOW(G, C, Base, I) M = maxOf(M, X[I]);
        Y[O] = M;
      },
      planesOf(G, Task, Q.Tasks));
  return NNC_OK;
}

// MaxPoolIndices: the flat index in x of the first maximum, row-major
// within the plane or column-major (h + w H).
NNC_KERNEL(MaxPoolIndices) {
  const MaxPoolIndicesParams &Q = params<MaxPoolIndicesParams>(P);
  Window G = Q.G;
  const float *X = f32(T, 0);
  int64_t *Y = in<int64_t>(T, 1);
  bool ColumnMajor = Q.ColumnMajor == 1;
  forEachWindow(G, [&](int64_t O, int64_t, int64_t, int64_t Base,
                       Clip C) NNC_LAMBDA {
    float M = -__builtin_inff();
    int64_t Best = -1;
    FOR_WINDOW(G, C, Base, I) {
      if (Best < 0 || X[I] > M) {
        M = X[I];
        Best = I;
      }
    }
    if (Best < 0) { // only padding: no element to point at
      Y[O] = -1;
      return;
    }
    int64_t Plane = Best / (G.H * G.W), Hi = Best / G.W % G.H, Wi = Best % G.W;
    Y[O] = ColumnMajor ? Plane * G.H * G.W + Hi + Wi * G.H : Best;
  });
  return NNC_OK;
}

NNC_KERNEL(AvgPool) { return NNC_OK; }
NNC_TASK(AvgPool) {
  const PoolParams &Q = params<PoolParams>(P);
  Window G = Q.G;
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  float Inv = 1.f / float(G.KH * G.KW);
  poolRows(
      G, X, Y,
      [&](const float *W) NNC_LAMBDA {
        float S = 0;
        for (int64_t Kh = 0; Kh < G.KH; ++Kh)
          for (int64_t Kw = 0; Kw < G.KW; ++Kw)
            S += W[Kh * G.DH * G.W + Kw * G.DW];
        return S * Inv;
      },
      [&](int64_t O, int64_t Oh, int64_t Ow, int64_t Base, Clip C) NNC_LAMBDA {
        float S = 0;
        FOR_WINDOW(G, C, Base, I) S += X[I];
        Y[O] = S / avgCount(G, Q.CountIncludePad != 0, Oh, Ow, C);
      },
      planesOf(G, Task, Q.Tasks));
  return NNC_OK;
}

// Stochastic pooling over non-negative activations: p_i = a_i / sum(a).
// Training samples one a_i with probability p_i, inference returns the
// expectation sum(p_i a_i). In double, as the interpreter, so both draw the
// same element.
NNC_KERNEL(StochasticPool) {
  const StochasticPoolParams &Q = params<StochasticPoolParams>(P);
  Window G = Q.G;
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  SplitMix64 Rng = rngFor(uint64_t(Q.SeedMix), Exec);
  bool Sample = Q.Sample != 0;
  forEachWindow(G, [&](int64_t O, int64_t, int64_t, int64_t Base,
                       Clip C) NNC_LAMBDA {
    double Sum = 0;
    FOR_WINDOW(G, C, Base, I) Sum += maxOf(double(X[I]), 0.0);
    double R = Sample ? Rng.uniform() * Sum : 0, Out = 0;
    if (Sum > 0 && Sample) {
      bool Done = false;
      FOR_WINDOW(G, C, Base, I) {
        if (Done)
          break;
        double Pi = maxOf(double(X[I]), 0.0);
        if (Pi > 0)
          Out = X[I];
        if (R < Pi)
          Done = true;
        else
          R -= Pi;
      }
    } else if (Sum > 0) {
      FOR_WINDOW(G, C, Base, I) Out += maxOf(double(X[I]), 0.0) * X[I] / Sum;
    }
    Y[O] = float(Out);
  });
  return NNC_OK;
}

NNC_KERNEL(GlobalAvgPool) {
  const GlobalPoolParams &Q = params<GlobalPoolParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  for (int64_t Pl = 0; Pl < Q.Planes; ++Pl) {
    float S = 0;
    for (int64_t I = 0; I < Q.Size; ++I)
      S += X[Pl * Q.Size + I];
    Y[Pl] = S / float(Q.Size);
  }
  return NNC_OK;
}
NNC_KERNEL(GlobalMaxPool) {
  const GlobalPoolParams &Q = params<GlobalPoolParams>(P);
  const float *X = f32(T, 0);
  float *Y = f32(T, 1);
  for (int64_t Pl = 0; Pl < Q.Planes; ++Pl) {
    float M = -__builtin_inff();
    for (int64_t I = 0; I < Q.Size; ++I)
      M = maxOf(M, X[Pl * Q.Size + I]);
    Y[Pl] = M;
  }
  return NNC_OK;
}

// PoolGrad (x, y, dy) -> dx. Each task clears and fills its own planes.
NNC_KERNEL(PoolGrad) { return NNC_OK; }
NNC_TASK(PoolGrad) {
  const PoolGradParams &Q = params<PoolGradParams>(P);
  Window G = Q.G;
  const float *X = f32(T, 0), *Y = f32(T, 1), *Dy = f32(T, 2);
  float *Dx = f32(T, 3);
  int64_t Kind = Q.Kind, NPlanes = Q.Planes, Size = Q.Size;
  Planes Mine{NPlanes * Task / Q.Tasks, NPlanes * (Task + 1) / Q.Tasks};
  if (Kind == PoolGradMax && G.KH == 2 && G.KW == 2 && G.SH == 2 && G.SW == 2 &&
      G.DH == 1 && G.DW == 1 && G.PadT == 0 && G.PadL == 0 && G.H == 2 * G.OH &&
      G.W == 2 * G.OW) {
    // 2x2 windows tiling the input, the common case: every dx element is
    // written once (no clearing pass), a row of windows at a time.
    for (int64_t Pl = Mine.First; Pl < Mine.End; ++Pl)
      for (int64_t Oh = 0; Oh < G.OH; ++Oh) {
        int64_t Out = (Pl * G.OH + Oh) * G.OW;
        int64_t In = (Pl * G.H + 2 * Oh) * G.W;
        maxPoolGrad2x2Run(X + In, G.W, Y + Out, Dy + Out, Dx + In, G.W, G.OW);
      }
    return NNC_OK;
  }
  zero(Dx + Mine.First * Size, (Mine.End - Mine.First) * Size);
  if (Kind == PoolGradGlobalAvg || Kind == PoolGradGlobalMax) {
    for (int64_t Pl = Mine.First; Pl < Mine.End; ++Pl) {
      if (Kind == PoolGradGlobalAvg) {
        for (int64_t I = 0; I < Size; ++I)
          Dx[Pl * Size + I] = Dy[Pl] / float(Size);
        continue;
      }
      for (int64_t I = 0; I < Size; ++I)
        if (X[Pl * Size + I] == Y[Pl]) {
          Dx[Pl * Size + I] = Dy[Pl];
          break;
        }
    }
    return NNC_OK;
  }
  forEachWindow(
      G,
      [&](int64_t O, int64_t Oh, int64_t Ow, int64_t Base, Clip C) NNC_LAMBDA {
        if (Kind == PoolGradAvg) {
          float D = Dy[O] / avgCount(G, Q.CountIncludePad != 0, Oh, Ow, C);
          FOR_WINDOW(G, C, Base, I) Dx[I] += D;
        } else if (Kind == PoolGradStochasticExpectation) {
          float Sum = 0;
          FOR_WINDOW(G, C, Base, I) Sum += maxOf(X[I], 0.f);
          if (Sum > 0)
            FOR_WINDOW(G, C, Base, I)
          if (X[I] > 0)
            Dx[I] += Dy[O] * (2 * X[I] - Y[O]) / Sum;
        } else if (C.Kh0 == 0 && C.Kh1 == G.KH && C.Kw0 == 0 && C.Kw1 == G.KW) {
          // The first element equal to the pooled value: where max
          // pooling took it from, and where stochastic pooling
          // sampled it. Inside the input the bounds are constant.
          // Selects, not branches: which element is the maximum
          // is data, and a mispredicted branch per window would
          // cost more than the whole window.
          int64_t Src = Base;
          bool Found = false;
          float Yo = Y[O];
          for (int64_t Kh = 0; Kh < G.KH; ++Kh)
            for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
              int64_t I = Base + Kh * G.DH * G.W + Kw * G.DW;
              bool Take = !Found & (X[I] == Yo);
              Src = Take ? I : Src;
              Found |= Take;
            }
          Dx[Src] += Dy[O];
        } else {
          int64_t Src = -1, First = -1;
          FOR_WINDOW(G, C, Base, I) {
            if (First < 0)
              First = I;
            if (Src < 0 && X[I] == Y[O])
              Src = I;
          }
          if (Src < 0)
            Src = First;
          if (Src >= 0)
            Dx[Src] += Dy[O];
        }
      },
      Mine);
  return NNC_OK;
}
