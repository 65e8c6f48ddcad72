//===- backend/llvm/LayoutCalls.cpp - Layout kernels' parameters ----------===//
#include "backend/kernels/PadIndex.h"
#include "backend/llvm/KernelCalls.h"

namespace nnc::backend::calls {

namespace {

/// Dims and Strides padded in front to rank 6, as the strided kernels walk.
Status stridedWalk(const Node &N, const Shape &Dims,
                   const std::vector<int64_t> &Strides,
                   int64_t (&OutDims)[nnck::StridedRank],
                   int64_t (&OutStrides)[nnck::StridedRank]) {
  constexpr size_t Rank = nnck::StridedRank;
  if (Dims.size() > Rank)
    return error(N.describe(), ": rank ", Dims.size(),
                 " is more than the compiled backend's ", Rank);
  size_t Pad = Rank - Dims.size();
  std::fill_n(OutDims, Pad, 1);
  std::fill_n(OutStrides, Pad, 0);
  std::copy(Dims.begin(), Dims.end(), OutDims + Pad);
  std::copy(Strides.begin(), Strides.end(), OutStrides + Pad);
  return Status::success();
}

Expected<KernelCall> gatherCall(const Node &N, const Shape &Dims,
                                const std::vector<int64_t> &Strides,
                                double Scale, int64_t OutputSlot) {
  KernelCall C;
  C.Symbol = "nnc_k_Gather";
  nnck::GatherParams G{};
  NNC_TRY(stridedWalk(N, Dims, Strides, G.Dims, G.Strides));
  G.OutputSlot = OutputSlot;
  setParams(C, G);
  setReals(C, nnck::ScaleReals{Scale});
  return C;
}

Expected<KernelCall> reduceCall(const Node &N, const char *Symbol,
                                const Shape &Dims,
                                const std::vector<int64_t> &Strides,
                                double Scale, int64_t OutputSlot) {
  KernelCall C;
  C.Symbol = Symbol;
  nnck::ReduceParams R{};
  NNC_TRY(stridedWalk(N, Dims, Strides, R.Dims, R.Strides));
  R.OutputElements = N.Outputs[0]->Type.numElements();
  R.OutputSlot = OutputSlot;
  setParams(C, R);
  setReals(C, nnck::ScaleReals{Scale});
  return C;
}

Expected<KernelCall> padCall(const Node &N) {
  // Both walk the padded shape: Pad's output, PadGrad's dy.
  const Shape &X0 = firstDims(N), &Y0 = N.Outputs[0]->Type.Dims;
  bool Grad = N.Op == OpKind::PadGrad;
  const Shape &Padded = Grad ? X0 : Y0, &Plain = Grad ? Y0 : X0;
  std::vector<int64_t> Pads = N.Attrs.getInts("pads"), Begins(Plain.size());
  std::copy_n(Pads.begin(), Plain.size(), Begins.begin());
  std::string Mode = N.Attrs.getString("mode");
  nnck::PadParams Q{};
  Q.Mode = Mode == "reflect"    ? nnck::PadReflect
           : Mode == "edge"     ? nnck::PadEdge
           : Mode == "constant" ? nnck::PadConstant
                                : int64_t(-1);
  if (Q.Mode < 0)
    return error(N.describe(), ": unknown pad mode '", Mode,
                 "' (expected constant, reflect, edge)");
  int64_t Unused[nnck::StridedRank];
  NNC_TRY(stridedWalk(N, Padded, rowMajorStrides(Padded), Q.Dims, Unused));
  NNC_TRY(stridedWalk(N, Plain, Begins, Q.XDims, Q.Begins));
  KernelCall C = namedCall(N);
  setParams(C, Q);
  setReals(C, nnck::PadReals{N.Attrs.getFloat("value")});
  return C;
}

} // namespace

Expected<KernelCall> layoutCall(const Node &N, bool Training, int64_t Threads) {
  using namespace nnck;
  KernelCall C = namedCall(N);
  const Shape &X0 = firstDims(N);
  const Shape &Y0 = N.Outputs[0]->Type.Dims;
  const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::Transpose: {
    std::vector<int64_t> Perm = A.getInts("perm");
    if (Perm.empty())
      for (int64_t I = int64_t(X0.size()) - 1; I >= 0; --I)
        Perm.push_back(I);
    std::vector<int64_t> In = rowMajorStrides(X0), S;
    for (int64_t D : Perm)
      S.push_back(In[size_t(D)]);
    return gatherCall(N, Y0, S, 1.0, /*after x*/ 1);
  }
  case OpKind::ReduceGrad:
    // dy (reduced) read back over x's shape, scaled for a mean.
    return gatherCall(N, Y0, keptStrides(Y0, reducedAxes(N, Y0.size())),
                      A.getInt("mean")
                          ? double(N.Inputs[0]->Type.numElements()) /
                                double(numElements(Y0))
                          : 1.0,
                      /*after dy and like*/ 2);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: {
    // Sums scaled by F[0]; extremes signed by F[0] (-1: the minimum).
    bool Extreme = N.Op == OpKind::ReduceMax || N.Op == OpKind::ReduceMin;
    return reduceCall(N, Extreme ? "nnc_k_ReduceExtreme" : "nnc_k_Reduce", X0,
                      keptStrides(X0, reducedAxes(N, X0.size())),
                      N.Op == OpKind::ReduceMean
                          ? double(numElements(Y0)) / double(numElements(X0))
                      : N.Op == OpKind::ReduceMin ? -1.0
                                                  : 1.0,
                      /*after x*/ 1);
  }
  case OpKind::Expand:
    // x read with stride 0 along the axes it broadcasts on.
    return gatherCall(N, Y0, broadcastStrides(X0, Y0), 1.0,
                      /*after x and batch_like (null when absent)*/ 2);
  case OpKind::Pad:
  case OpKind::PadGrad:
    return padCall(N);
  case OpKind::SumTo:
    // x's leading dims and the target's 1s are summed.
    return reduceCall(N, "nnc_k_Reduce", X0, broadcastStrides(Y0, X0), 1.0,
                      /*after x and like*/ 2);
  case OpKind::Concat: {
    int64_t Axis = normalizedAxis(A.getInt("axis"), Y0.size());
    Split S = splitAround(Y0, Axis);
    setParams(
        C, ConcatParams{int64_t(N.Inputs.size()), S.Outer, S.Extent * S.Inner});
    for (const Value *In : N.Inputs)
      C.P.push_back(In->Type.Dims[size_t(Axis)] * S.Inner);
    return C;
  }
  case OpKind::ChannelShuffle: {
    int64_t G = A.getInt("groups");
    setParams(C, ChannelShuffleParams{X0[0], G, X0[1] / G,
                                      numElements(X0) / (X0[0] * X0[1])});
    return C;
  }
  case OpKind::ArgMax: {
    Split S = splitAround(X0, normalizedAxis(A.getInt("axis"), X0.size()));
    setParams(C, AxisParams{S.Outer, S.Extent, S.Inner});
    return C;
  }
  case OpKind::Slice: {
    Split S = splitAround(X0, normalizedAxis(A.getInt("axis"), X0.size()));
    setParams(C, SliceParams{S.Outer, S.Extent, S.Inner, A.getInt("start"),
                             A.getInt("end") - A.getInt("start")});
    return C;
  }
  default:
    return error(N.describe(), ": ", N.opName(), " is not a layout op");
  }
}

} // namespace nnc::backend::calls
