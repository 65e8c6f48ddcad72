//===- ir/ops/Layout.cpp - Reshapes, transposes, concat, reductions -------===//
#include "ir/ops/OpHelpers.h"

#include <algorithm>
#include <optional>

namespace nnc::ir::ops {
namespace {

Status inferFlatten(const Node &N, const Types &In, Types &Out) {
  int64_t Rank = In[0].rank();
  int64_t Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += Rank;
  if (Axis < 0 || Axis > Rank)
    return error("attribute 'axis' (", N.Attrs.getInt("axis"),
                 ") is out of range for ", operand(N, In, 0));
  // Each part has at most the input's elements, which shapes keep in range.
  std::optional<int64_t> Outer =
      checkedNumElements(Shape(In[0].Dims.begin(), In[0].Dims.begin() + Axis));
  std::optional<int64_t> Inner =
      checkedNumElements(Shape(In[0].Dims.begin() + Axis, In[0].Dims.end()));
  if (!Outer || !Inner)
    return error(operand(N, In, 0), " has more than ", MaxElements,
                 " elements");
  Out = {TensorType{In[0].Elt, {*Outer, *Inner}}};
  return Status::success();
}

// Reshape to `shape`: 0 copies the input's dimension at that position, one
// -1 takes what is left (ONNX's rules).
Status inferReshape(const Node &N, const Types &In, Types &Out) {
  const auto &Target = N.Attrs.getInts("shape");
  Shape S(Target.size());
  int64_t Known = 1, Infer = -1;
  for (size_t I = 0; I < Target.size(); ++I) {
    if (Target[I] == 0) {
      if (int64_t(I) >= In[0].rank())
        return error("shape ", attrValueString(Target), " copies dimension ", I,
                     " that ", operand(N, In, 0), " does not have");
      S[I] = In[0].Dims[I];
    } else if (Target[I] == -1) {
      if (Infer >= 0)
        return error("shape ", attrValueString(Target),
                     " has more than one -1");
      Infer = int64_t(I);
      continue;
    } else if (Target[I] < 0) {
      return error("shape ", attrValueString(Target), " has a negative size");
    } else {
      S[I] = Target[I];
    }
    if (S[I] > MaxElements || __builtin_mul_overflow(Known, S[I], &Known) ||
        Known > MaxElements)
      return error("shape ", attrValueString(Target), " has more than ",
                   MaxElements, " elements");
  }
  int64_t Total = In[0].numElements();
  if (Infer >= 0) {
    if (Known == 0 || Total % Known != 0)
      return error("cannot reshape ", operand(N, In, 0), " to ",
                   attrValueString(Target));
    S[size_t(Infer)] = Total / Known;
  } else if (Known != Total) {
    return error("cannot reshape ", operand(N, In, 0), " (", Total,
                 " elements) to ", shapeString(S), " (", Known, " elements)");
  }
  Out = {TensorType{In[0].Elt, S}};
  return Status::success();
}

Status inferTranspose(const Node &N, const Types &In, Types &Out) {
  Ints Perm = N.Attrs.getInts("perm");
  int64_t Rank = In[0].rank();
  if (Perm.empty())
    for (int64_t I = Rank - 1; I >= 0; --I)
      Perm.push_back(I);
  Ints Sorted = Perm;
  std::sort(Sorted.begin(), Sorted.end());
  for (int64_t I = 0; I < int64_t(Sorted.size()); ++I)
    if (Sorted[I] != I || int64_t(Perm.size()) != Rank)
      return error("attribute 'perm' ", attrValueString(Perm),
                   " is not a permutation of the axes of ", operand(N, In, 0));
  Out = {TensorType{In[0].Elt, Shape(Rank)}};
  for (int64_t I = 0; I < Rank; ++I)
    Out[0].Dims[I] = In[0].Dims[Perm[I]];
  return Status::success();
}

Status inferConcat(const Node &N, const Types &In, Types &Out) {
  Expected<int64_t> Axis = normalizeAxis(N.Attrs.getInt("axis"), In[0].rank());
  if (!Axis.ok())
    return Axis.status();
  Out = {In[0]};
  for (size_t I = 1; I < In.size(); ++I) {
    bool Match = In[I].Elt == In[0].Elt && In[I].rank() == In[0].rank();
    for (int64_t D = 0; Match && D < In[0].rank(); ++D)
      Match = D == *Axis || In[I].Dims[D] == In[0].Dims[D];
    if (!Match)
      return error(operand(N, In, I), " does not match ", operand(N, In, 0),
                   " outside axis ", *Axis);
    Out[0].Dims[*Axis] += In[I].Dims[*Axis];
  }
  return Status::success();
}

Status inferChannelShuffle(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectMinRank(N, In, 0, 2));
  int64_t G = N.Attrs.getInt("groups");
  if (G < 1 || In[0].Dims[1] % G != 0)
    return error("attribute 'groups' (", G, ") must divide the ", In[0].Dims[1],
                 " channels of ", operand(N, In, 0));
  Out = {In[0]};
  return Status::success();
}

/// The reduced axes of a ReduceSum/ReduceMean/ArgMax node, sorted; empty
/// 'axes' means all of them.
Expected<Ints> reducedAxes(const Node &N, int64_t Rank) {
  Ints Axes;
  for (int64_t A : N.Attrs.getInts("axes")) {
    Expected<int64_t> Norm = normalizeAxis(A, Rank);
    if (!Norm.ok())
      return Norm.status();
    Axes.push_back(*Norm);
  }
  if (N.Attrs.getInts("axes").empty())
    for (int64_t I = 0; I < Rank; ++I)
      Axes.push_back(I);
  std::sort(Axes.begin(), Axes.end());
  if (std::adjacent_find(Axes.begin(), Axes.end()) != Axes.end())
    return error("attribute 'axes' names an axis twice");
  return Axes;
}

Shape reducedShape(const Shape &In, const Ints &Axes, bool KeepDims) {
  Shape S;
  for (int64_t I = 0; I < int64_t(In.size()); ++I) {
    bool Reduced = std::find(Axes.begin(), Axes.end(), I) != Axes.end();
    if (!Reduced)
      S.push_back(In[I]);
    else if (KeepDims)
      S.push_back(1);
  }
  return S;
}

Status inferReduce(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Expected<Ints> Axes = reducedAxes(N, In[0].rank());
  if (!Axes.ok())
    return Axes.status();
  Out = {TensorType{In[0].Elt, reducedShape(In[0].Dims, *Axes,
                                            N.Attrs.getInt("keepdims") != 0)}};
  return Status::success();
}

Status inferArgMax(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectMinRank(N, In, 0, 1));
  Expected<int64_t> Axis = normalizeAxis(N.Attrs.getInt("axis"), In[0].rank());
  if (!Axis.ok())
    return Axis.status();
  Out = {TensorType{DType::I64, reducedShape(In[0].Dims, {*Axis},
                                             N.Attrs.getInt("keepdims") != 0)}};
  return Status::success();
}

// Expand(x, batch_like?): x broadcast against 'shape' by NumPy's rules
// (ONNX's Expand, whose result may be larger than 'shape' where x is). A 0
// in 'shape' is the batch size: dimension 0 of operand 'batch_like'.
Status inferExpand(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Ints Target = N.Attrs.getInts("shape");
  for (int64_t &D : Target) {
    if (D == 0 && In.size() > 1 && In[1].rank() > 0)
      D = In[1].Dims[0];
    else if (D < 1)
      return error("shape ", attrValueString(N.Attrs.getInts("shape")),
                   " has a dimension ", D, ", expected at least 1 (0 for the ",
                   "batch size of operand 'batch_like')");
  }
  Expected<Shape> S = broadcast(In[0].Dims, Target);
  if (!S.ok())
    return error("cannot expand ", operand(N, In, 0), " to shape ",
                 attrValueString(Target), ": ", S.status().message());
  if (!checkedNumElements(*S))
    return error("shape ", attrValueString(Target), " has more than ",
                 MaxElements, " elements");
  Out = {TensorType{In[0].Elt, *S}};
  return Status::success();
}

Status inferPad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Shape Padded;
  NNC_TRY(checkPad(N, In[0], Padded));
  Out = {TensorType{In[0].Elt, Padded}};
  return Status::success();
}

int64_t inputElements(const Node &N) { return N.Inputs[0]->Type.numElements(); }

} // namespace

void registerLayoutOps() {
  define({.Kind = OpKind::Flatten,
          .Operands = {"x"},
          .Attrs = {{"axis", int64_t(1)}},
          .Infer = inferFlatten,
          .Flops = noFlops});
  define({.Kind = OpKind::Reshape,
          .Operands = {"x"},
          .Attrs = {{"shape", Ints{}, true}},
          .Infer = inferReshape,
          .Flops = noFlops});
  define({.Kind = OpKind::Transpose,
          .Operands = {"x"},
          .Attrs = {{"perm", Ints{}}},
          .Infer = inferTranspose,
          .Flops = noFlops});
  define({.Kind = OpKind::Concat,
          .Operands = {"x"},
          .Variadic = true,
          .Attrs = {{"axis", int64_t(1)}},
          .Infer = inferConcat,
          .Flops = noFlops});
  define({.Kind = OpKind::ChannelShuffle,
          .Operands = {"x"},
          .Attrs = {{"groups", int64_t(0), true}},
          .Infer = inferChannelShuffle,
          .Flops = noFlops});
  define({.Kind = OpKind::ReduceSum,
          .Operands = {"x"},
          .Attrs = {{"axes", Ints{}}, {"keepdims", int64_t(1)}},
          .Infer = inferReduce,
          .Flops = inputElements});
  define({.Kind = OpKind::ReduceMean,
          .Operands = {"x"},
          .Attrs = {{"axes", Ints{}}, {"keepdims", int64_t(1)}},
          .Infer = inferReduce,
          .Flops = inputElements});
  for (OpKind K : {OpKind::ReduceMax, OpKind::ReduceMin})
    define({.Kind = K,
            .Operands = {"x"},
            .Attrs = {{"axes", Ints{}}, {"keepdims", int64_t(1)}},
            .Infer = inferReduce,
            .Flops = inputElements});
  define({.Kind = OpKind::Expand,
          .Operands = {"x", "batch_like"},
          .MinInputs = 1,
          .Attrs = {{"shape", Ints{}, true}},
          .Infer = inferExpand,
          .Flops = noFlops});
  define({.Kind = OpKind::Pad,
          .Operands = {"x"},
          .Attrs = {{"pads", Ints{}, true},
                    {"mode", std::string("constant")},
                    {"value", 0.0}},
          .Infer = inferPad,
          .Flops = noFlops});
  define({.Kind = OpKind::ArgMax,
          .Operands = {"x"},
          .Attrs = {{"axis", int64_t(-1)}, {"keepdims", int64_t(0)}},
          .Infer = inferArgMax,
          .Flops = inputElements});
}

} // namespace nnc::ir::ops
