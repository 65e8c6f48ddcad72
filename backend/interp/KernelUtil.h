//===- backend/interp/KernelUtil.h - Loops shared by interpreter ops -*- C++
//-*-===//
//
// Pieces that forward and gradient kernels of the same op family share, so
// the two cannot disagree (a window's elements, im2col's layout, ...).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/interp/Tensor.h"
#include "backend/kernels/PadIndex.h"
#include "ir/Geometry.h"
#include "ir/PointwiseMath.h"

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <vector>

namespace nnc::interp {

using Mat =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapC = Eigen::Map<const Mat>;
using Map = Eigen::Map<Mat>;

/// Splits Dims around Axis into (outer, extent, inner) loop counts.
inline void splitAt(const ir::Shape &Dims, int64_t Axis, int64_t &Outer,
                    int64_t &Extent, int64_t &Inner) {
  Outer = Inner = 1;
  for (int64_t I = 0; I < int64_t(Dims.size()); ++I)
    if (I < Axis)
      Outer *= Dims[size_t(I)];
    else if (I > Axis)
      Inner *= Dims[size_t(I)];
  Extent = Dims[size_t(Axis)];
}

/// Calls Fn(flat_index, multi_index) for every element of a shape.
template <typename F> void forEachIndex(const ir::Shape &Dims, F Fn) {
  std::vector<int64_t> Idx(Dims.size(), 0);
  int64_t Total = ir::numElements(Dims);
  for (int64_t I = 0; I < Total; ++I) {
    Fn(I, Idx);
    for (size_t D = Dims.size(); D-- > 0;) {
      if (++Idx[D] < Dims[D])
        break;
      Idx[D] = 0;
    }
  }
}

/// Pad's modes as the compiled kernels number them.
inline int padMode(const std::string &Mode) {
  return Mode == "reflect" ? nnck::PadReflect
         : Mode == "edge"  ? nnck::PadEdge
                           : nnck::PadConstant;
}

/// Calls Fn(flat index of Padded, flat index of X or -1) for every element
/// of X padded by Pads to Padded.
template <typename F>
void forEachPadded(const ir::Shape &XDims, const ir::Shape &Padded,
                   const std::vector<int64_t> &Pads, int Mode, F Fn) {
  std::vector<int64_t> XStrides = stridesOf(XDims);
  forEachIndex(Padded, [&](int64_t I, const std::vector<int64_t> &Idx) {
    int64_t Src = 0;
    for (size_t D = 0; D < Idx.size(); ++D) {
      int64_t S = nnck::padSource(Idx[D], XDims[D], Pads[D], Mode);
      if (S < 0)
        return Fn(I, int64_t(-1));
      Src += S * XStrides[D];
    }
    Fn(I, Src);
  });
}

/// For every element of InDims, the flat index of the element it folds into
/// when the dimensions in Axes are reduced to size 1.
inline std::vector<int64_t> reductionMap(const ir::Shape &InDims,
                                         const std::vector<int64_t> &Axes) {
  ir::Shape Kept = InDims;
  for (int64_t A : Axes)
    Kept[size_t(A)] = 1;
  std::vector<int64_t> KeptStrides = stridesOf(Kept);
  std::vector<int64_t> Map(size_t(ir::numElements(InDims)));
  forEachIndex(InDims, [&](int64_t I, const std::vector<int64_t> &Idx) {
    int64_t O = 0;
    for (size_t D = 0; D < Idx.size(); ++D)
      O += (Kept[D] == 1 ? 0 : Idx[D]) * KeptStrides[D];
    Map[size_t(I)] = O;
  });
  return Map;
}

/// Column matrix of one image's channel group: row (c, kh, kw), column
/// (oh, ow); zero where the window reaches into padding.
inline void im2col(const double *X, const ir::Window2D &G, int64_t Cg,
                   Mat &Col) {
  Col.resize(Cg * G.KH * G.KW, G.OH * G.OW);
  for (int64_t C = 0; C < Cg; ++C)
    for (int64_t Kh = 0; Kh < G.KH; ++Kh)
      for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
        int64_t Row = (C * G.KH + Kh) * G.KW + Kw;
        for (int64_t Oh = 0; Oh < G.OH; ++Oh)
          for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
            int64_t Ih = Oh * G.SH - G.PadT + Kh * G.DH;
            int64_t Iw = Ow * G.SW - G.PadL + Kw * G.DW;
            bool Inside = Ih >= 0 && Ih < G.H && Iw >= 0 && Iw < G.W;
            Col(Row, Oh * G.OW + Ow) =
                Inside ? X[(C * G.H + Ih) * G.W + Iw] : 0;
          }
      }
}

/// Calls Fn(out_index, oh, ow, window) for every output element of a 2-D
/// pooling, where window lists the flat input indices inside the input.
template <typename F> void forEachWindow(const ir::Window2D &G, F Fn) {
  std::vector<int64_t> Window;
  for (int64_t Plane = 0; Plane < G.N * G.C; ++Plane)
    for (int64_t Oh = 0; Oh < G.OH; ++Oh)
      for (int64_t Ow = 0; Ow < G.OW; ++Ow) {
        Window.clear();
        for (int64_t Kh = 0; Kh < G.KH; ++Kh)
          for (int64_t Kw = 0; Kw < G.KW; ++Kw) {
            int64_t Ih = Oh * G.SH - G.PadT + Kh * G.DH;
            int64_t Iw = Ow * G.SW - G.PadL + Kw * G.DW;
            if (Ih >= 0 && Ih < G.H && Iw >= 0 && Iw < G.W)
              Window.push_back(Plane * G.H * G.W + Ih * G.W + Iw);
          }
        Fn((Plane * G.OH + Oh) * G.OW + Ow, Oh, Ow, Window);
      }
}

/// AvgPool's divisor. With count_include_pad PyTorch divides by the window
/// clipped to the padded input, so a ceil-mode window hanging past the
/// padding is not over-counted.
inline double avgPoolCount(const ir::Window2D &G, bool IncludePad, int64_t Oh,
                           int64_t Ow, size_t InsideCount) {
  if (!IncludePad)
    return double(InsideCount);
  int64_t H0 = Oh * G.SH - G.PadT, W0 = Ow * G.SW - G.PadL;
  int64_t H1 = std::min(H0 + G.KH, G.H + G.PadB);
  int64_t W1 = std::min(W0 + G.KW, G.W + G.PadR);
  return double((H1 - H0) * (W1 - W0));
}

/// Per-channel mean and biased variance of X [N, C, ...].
inline void channelMoments(const Tensor &X, std::vector<double> &Mean,
                           std::vector<double> &Var) {
  int64_t N = X.Dims[0], C = X.Dims[1], Inner = X.numElements() / (N * C);
  Mean.assign(size_t(C), 0);
  Var.assign(size_t(C), 0);
  double Count = double(N * Inner);
  for (int64_t I = 0; I < X.numElements(); ++I)
    Mean[size_t((I / Inner) % C)] += X[I] / Count;
  for (int64_t I = 0; I < X.numElements(); ++I) {
    double D = X[I] - Mean[size_t((I / Inner) % C)];
    Var[size_t((I / Inner) % C)] += D * D / Count;
  }
}

/// y = scale * (x - mean) / sqrt(var + eps) + bias, per channel (dim 1).
inline void normalizeChannels(const Tensor &X, const Tensor &Scale,
                              const Tensor &Bias,
                              const std::vector<double> &Mean,
                              const std::vector<double> &Var, double Eps,
                              Tensor &Y) {
  int64_t C = X.Dims[1], Inner = X.numElements() / (X.Dims[0] * C);
  for (int64_t I = 0; I < X.numElements(); ++I) {
    size_t Ch = size_t((I / Inner) % C);
    Y[I] = Scale[int64_t(Ch)] * (X[I] - Mean[Ch]) / std::sqrt(Var[Ch] + Eps) +
           Bias[int64_t(Ch)];
  }
}

/// LRN's S = bias + alpha / size * (sum of x^2 over channels
/// [c - floor((size-1)/2), c + ceil((size-1)/2)]), for every element of X.
inline std::vector<double> lrnScales(const Tensor &X, int64_t Size,
                                     double Alpha, double Bias) {
  int64_t Batch = X.Dims[0], C = X.Dims[1];
  int64_t Inner = X.numElements() / (Batch * C);
  int64_t Before = (Size - 1) / 2, After = Size - 1 - Before;
  std::vector<double> S(size_t(X.numElements()));
  for (int64_t B = 0; B < Batch; ++B)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        double Sq = 0;
        for (int64_t K = std::max<int64_t>(0, Ch - Before);
             K <= std::min(C - 1, Ch + After); ++K) {
          double V = X[(B * C + K) * Inner + I];
          Sq += V * V;
        }
        S[size_t((B * C + Ch) * Inner + I)] = Bias + Alpha / double(Size) * Sq;
      }
  return S;
}

} // namespace nnc::interp
