//===- backend/interp/Layout.cpp - Data movement and reductions -----------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"

#include <algorithm>
#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

// Flatten and Reshape keep the row-major order; only the shape changes.
Status evalCopy(const Node &, EvalContext &, const Args &In, Results &Out) {
  Out[0].Data = In[0]->Data;
  return Status::success();
}

Status evalTranspose(const Node &N, EvalContext &, const Args &In,
                     Results &Out) {
  const Tensor &X = *In[0];
  std::vector<int64_t> Perm = N.Attrs.getInts("perm");
  if (Perm.empty())
    for (int64_t I = int64_t(X.Dims.size()) - 1; I >= 0; --I)
      Perm.push_back(I);
  std::vector<int64_t> InStrides = stridesOf(X.Dims);
  forEachIndex(Out[0].Dims, [&](int64_t I, const std::vector<int64_t> &Idx) {
    int64_t Src = 0;
    for (size_t D = 0; D < Idx.size(); ++D)
      Src += Idx[D] * InStrides[size_t(Perm[D])];
    Out[0][I] = X[Src];
  });
  return Status::success();
}

Status evalConcat(const Node &N, EvalContext &, const Args &In, Results &Out) {
  int64_t Rank = int64_t(Out[0].Dims.size());
  int64_t Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  int64_t Outer = 1, Inner = 1;
  for (int64_t D = 0; D < Axis; ++D)
    Outer *= Out[0].Dims[D];
  for (int64_t D = Axis + 1; D < Rank; ++D)
    Inner *= Out[0].Dims[D];
  int64_t OutRow = Out[0].Dims[Axis] * Inner, Offset = 0;
  for (const Tensor *T : In) {
    int64_t Row = T->Dims[Axis] * Inner;
    for (int64_t O = 0; O < Outer; ++O)
      std::copy_n(T->Data.begin() + O * Row, Row,
                  Out[0].Data.begin() + O * OutRow + Offset);
    Offset += Row;
  }
  return Status::success();
}

// Channel shuffle (ShuffleNet): view channels as [groups, C / groups],
// transpose to [C / groups, groups], flatten back.
Status evalChannelShuffle(const Node &N, EvalContext &, const Args &In,
                          Results &Out) {
  const Tensor &X = *In[0];
  int64_t G = N.Attrs.getInt("groups"), C = X.Dims[1], Batch = X.Dims[0];
  int64_t PerGroup = C / G, Inner = X.numElements() / (Batch * C);
  for (int64_t B = 0; B < Batch; ++B)
    for (int64_t Grp = 0; Grp < G; ++Grp)
      for (int64_t K = 0; K < PerGroup; ++K)
        std::copy_n(X.Data.begin() + ((B * C) + Grp * PerGroup + K) * Inner,
                    Inner,
                    Out[0].Data.begin() + ((B * C) + K * G + Grp) * Inner);
  return Status::success();
}

std::vector<int64_t> reducedAxes(const Node &N, int64_t Rank) {
  std::vector<int64_t> Axes;
  for (int64_t A : N.Attrs.getInts("axes"))
    Axes.push_back(A < 0 ? A + Rank : A);
  if (Axes.empty())
    for (int64_t I = 0; I < Rank; ++I)
      Axes.push_back(I);
  return Axes;
}

template <bool Mean>
Status evalReduce(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  std::vector<int64_t> Map =
      reductionMap(X.Dims, reducedAxes(N, int64_t(X.Dims.size())));
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  for (int64_t I = 0; I < X.numElements(); ++I)
    Out[0][Map[size_t(I)]] += X[I];
  if (Mean) {
    double Count = double(X.numElements()) / double(Out[0].numElements());
    for (double &V : Out[0].Data)
      V /= Count;
  }
  return Status::success();
}

// NaN wins, as in PyTorch's amax/amin.
template <bool Max>
Status evalReduceExtreme(const Node &N, EvalContext &, const Args &In,
                         Results &Out) {
  const Tensor &X = *In[0];
  std::vector<int64_t> Map =
      reductionMap(X.Dims, reducedAxes(N, int64_t(X.Dims.size())));
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), Max ? -INFINITY : INFINITY);
  for (int64_t I = 0; I < X.numElements(); ++I) {
    double &Y = Out[0][Map[size_t(I)]];
    if (!std::isnan(Y) && (std::isnan(X[I]) || (Max ? X[I] > Y : X[I] < Y)))
      Y = X[I];
  }
  return Status::success();
}

// x read with stride 0 along the axes it broadcasts on (right-aligned).
Status evalExpand(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  size_t Rank = Out[0].Dims.size(), Off = Rank - X.Dims.size();
  std::vector<int64_t> XStrides = stridesOf(X.Dims);
  forEachIndex(Out[0].Dims, [&](int64_t I, const std::vector<int64_t> &Idx) {
    int64_t Src = 0;
    for (size_t D = Off; D < Rank; ++D)
      if (X.Dims[D - Off] != 1)
        Src += Idx[D] * XStrides[D - Off];
    Out[0][I] = X[Src];
  });
  return Status::success();
}

Status evalPad(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  double Value = N.Attrs.getFloat("value");
  forEachPadded(
      X.Dims, Out[0].Dims, N.Attrs.getInts("pads"),
      padMode(N.Attrs.getString("mode")),
      [&](int64_t I, int64_t Src) { Out[0][I] = Src < 0 ? Value : X[Src]; });
  return Status::success();
}

Status evalArgMax(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  int64_t Rank = int64_t(X.Dims.size()), Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  std::vector<int64_t> Map = reductionMap(X.Dims, {Axis});
  int64_t Stride = stridesOf(X.Dims)[size_t(Axis)];
  std::vector<double> Best(size_t(Out[0].numElements()), -INFINITY);
  for (int64_t I = 0; I < X.numElements(); ++I) {
    int64_t O = Map[size_t(I)];
    // Strictly greater keeps the first maximum, as NumPy and PyTorch do.
    if (X[I] > Best[size_t(O)]) {
      Best[size_t(O)] = X[I];
      Out[0][O] = double((I / Stride) % X.Dims[size_t(Axis)]);
    }
  }
  return Status::success();
}

} // namespace

void kernels::registerLayout() {
  define(OpKind::Flatten, evalCopy);
  define(OpKind::Reshape, evalCopy);
  define(OpKind::Transpose, evalTranspose);
  define(OpKind::Concat, evalConcat);
  define(OpKind::ChannelShuffle, evalChannelShuffle);
  define(OpKind::ReduceSum, evalReduce<false>);
  define(OpKind::ReduceMean, evalReduce<true>);
  define(OpKind::ReduceMax, evalReduceExtreme<true>);
  define(OpKind::ReduceMin, evalReduceExtreme<false>);
  define(OpKind::Expand, evalExpand);
  define(OpKind::Pad, evalPad);
  define(OpKind::ArgMax, evalArgMax);
}

} // namespace nnc::interp
