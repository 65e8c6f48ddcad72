//===- backend/llvm/LayoutCalls.cpp - Layout kernels' parameters ----------===//
#include "backend/kernels/PadIndex.h"
#include "backend/llvm/KernelCalls.h"

namespace nnc::backend::calls {

Expected<KernelCall> layoutCall(const Node &N, bool Training, int64_t Threads) {
  KernelCall C = namedCall(N);
  [[maybe_unused]] const Shape &X0 = firstDims(N);
  [[maybe_unused]] const Shape &Y0 = N.Outputs[0]->Type.Dims;
  [[maybe_unused]] const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::Transpose: {
    std::vector<int64_t> Perm = A.getInts("perm");
    if (Perm.empty())
      for (int64_t I = int64_t(X0.size()) - 1; I >= 0; --I)
        Perm.push_back(I);
    std::vector<int64_t> In = rowMajorStrides(X0), S;
    for (int64_t D : Perm)
      S.push_back(In[size_t(D)]);
    C.Symbol = "nnc_k_Gather";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, Y0, S, C.P));
    C.P.push_back(1); // the output's slot
    return C;
  }
  case OpKind::ReduceGrad: {
    // dy (reduced) read back over x's shape, scaled for a mean.
    std::vector<int64_t> Axes = reducedAxes(N, Y0.size());
    C.Symbol = "nnc_k_Gather";
    C.F = {A.getInt("mean") ? double(N.Inputs[0]->Type.numElements()) /
                                  double(numElements(Y0))
                            : 1.0};
    NNC_TRY(pushStrided(N, Y0, keptStrides(Y0, Axes), C.P));
    C.P.push_back(2); // after dy and like
    return C;
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: {
    // Sums scaled by F[0]; extremes signed by F[0] (-1: the minimum).
    std::vector<int64_t> Axes = reducedAxes(N, X0.size());
    bool Extreme = N.Op == OpKind::ReduceMax || N.Op == OpKind::ReduceMin;
    C.Symbol = Extreme ? "nnc_k_ReduceExtreme" : "nnc_k_Reduce";
    C.F = {N.Op == OpKind::ReduceMean
               ? double(numElements(Y0)) / double(numElements(X0))
           : N.Op == OpKind::ReduceMin ? -1.0
                                       : 1.0};
    NNC_TRY(pushStrided(N, X0, keptStrides(X0, Axes), C.P));
    C.P.insert(C.P.end(), {numElements(Y0), 1});
    return C;
  }
  case OpKind::Expand:
    // x read with stride 0 along the axes it broadcasts on.
    C.Symbol = "nnc_k_Gather";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, Y0, broadcastStrides(X0, Y0), C.P));
    C.P.push_back(2); // after x and batch_like (null when absent)
    return C;
  case OpKind::Pad:
  case OpKind::PadGrad: {
    // Both walk the padded shape: Pad's output, PadGrad's dy.
    bool Grad = N.Op == OpKind::PadGrad;
    const Shape &Padded = Grad ? X0 : Y0, &Plain = Grad ? Y0 : X0;
    std::vector<int64_t> Pads = A.getInts("pads"), Begins(Plain.size());
    std::copy_n(Pads.begin(), Plain.size(), Begins.begin());
    NNC_TRY(pushStrided(N, Padded, rowMajorStrides(Padded), C.P));
    C.P.resize(MaxRank); // the strides are not needed
    NNC_TRY(pushStrided(N, Plain, Begins, C.P));
    std::string Mode = A.getString("mode");
    C.P.push_back(Mode == "reflect" ? nnck::PadReflect
                  : Mode == "edge"  ? nnck::PadEdge
                                    : nnck::PadConstant);
    C.F = {A.getFloat("value")};
    return C;
  }
  case OpKind::SumTo:
    // x's leading dims and the target's 1s are summed.
    C.Symbol = "nnc_k_Reduce";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, X0, broadcastStrides(Y0, X0), C.P));
    C.P.insert(C.P.end(), {numElements(Y0), 2}); // after x and like
    return C;
  case OpKind::Concat: {
    int64_t Axis = normalizedAxis(A.getInt("axis"), Y0.size());
    int64_t Outer = 1, Inner = 1;
    for (int64_t D = 0; D < int64_t(Y0.size()); ++D)
      if (D < Axis)
        Outer *= Y0[size_t(D)];
      else if (D > Axis)
        Inner *= Y0[size_t(D)];
    C.P = {int64_t(N.Inputs.size()), Outer, Y0[size_t(Axis)] * Inner};
    for (const Value *In : N.Inputs)
      C.P.push_back(In->Type.Dims[size_t(Axis)] * Inner);
    return C;
  }
  case OpKind::ChannelShuffle: {
    int64_t G = A.getInt("groups");
    C.P = {X0[0], G, X0[1] / G, numElements(X0) / (X0[0] * X0[1])};
    return C;
  }
  case OpKind::ArgMax:
    pushSplit(X0, normalizedAxis(A.getInt("axis"), X0.size()), C.P);
    return C;
  case OpKind::Slice: {
    int64_t Axis = normalizedAxis(A.getInt("axis"), X0.size());
    pushSplit(X0, Axis, C.P);
    C.P.insert(C.P.end(),
               {A.getInt("start"), A.getInt("end") - A.getInt("start")});
    return C;
  }
  default:
    return error(N.describe(), ": ", N.opName(), " is not a layout op");
  }
}

} // namespace nnc::backend::calls
