//===- frontend/onnx/OnnxLayout.cpp - Reshapes, reductions, Expand, Pad ---===//
#include "frontend/onnx/OnnxInternal.h"
#include "ir/Initializers.h"

#include <algorithm>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

/// An operand compiled into the graph (a shape, axes, bounds) that is not
/// a constant: its value must be given at import.
Status runTimeValue(const onnx::NodeProto &N, int I, const char *What) {
  return error("the ", What, " comes at run time from '", N.input(I),
               "'; nnc compiles static graphs and this is not supported "
               "unless its value is given at import (nnc import --bind ",
               N.input(I), "=FILE.pb)");
}

Status convertReshape(Context &C, const onnx::NodeProto &N) {
  const OnnxTensor *Shape = C.constant(N, 1);
  if (!Shape) {
    // Computed from Shape(x) with a dynamic batch axis.
    const Folded *Symbolic = C.known(N, 1);
    if (!Symbolic)
      return runTimeValue(N, 1, "shape");
    Expected<Ints> Target = reshapeTarget(C, *Symbolic, C.value(N, 0));
    if (!Target.ok())
      return Target.status();
    C.define(N, {C.B.op(OpKind::Reshape, {C.value(N, 0)},
                        attrs({{"shape", *Target}}), C.name(N))});
    return Status::success();
  }
  Ints D = decodeInts(Shape->Raw, Shape->Elt);
  // allowzero=1 makes a 0 a real zero-size dimension instead of "copy".
  if (attrInt(N, "allowzero", 0) && std::find(D.begin(), D.end(), 0) != D.end())
    return error("allowzero=1 with a 0 in the shape makes an empty tensor, "
                 "which is not supported");
  C.define(N, {C.B.op(OpKind::Reshape, {C.value(N, 0)}, attrs({{"shape", D}}),
                      C.name(N))});
  return Status::success();
}

/// Squeeze's or Unsqueeze's axes: the attribute before opset 13, a
/// constant input from 13 on.
static Expected<Ints> squeezeAxes(Context &C, const onnx::NodeProto &N) {
  if (const OnnxTensor *A = C.constant(N, 1)) {
    return decodeInts(A->Raw, A->Elt);
  }
  if (C.value(N, 1))
    return runTimeValue(N, 1, "axes");
  return attrInts(N, "axes");
}

/// A reshape to S, where dimension I of S is X's dimension From[I] (-1: a
/// new one), that keeps X's batch-sized dimension symbolic wherever it is
/// (0: copy, when it keeps its index; else -1: infer).
static Status reshapeTo(Context &C, const onnx::NodeProto &N, Value *X, Shape S,
                        const std::vector<int64_t> &From) {
  Ints Target(S.begin(), S.end());
  Expected<std::vector<Affine>> Dims = dimsOf(C, N, 0);
  if (!Dims.ok())
    return Dims.status();
  for (size_t I = 0; I < Target.size(); ++I)
    if (From[I] >= 0 && (*Dims)[size_t(From[I])].A != 0)
      Target[I] = From[I] == int64_t(I) ? 0 : -1;
  C.define(
      N, {C.B.op(OpKind::Reshape, {X}, attrs({{"shape", Target}}), C.name(N))});
  return Status::success();
}

Status convertSqueeze(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0);
  Expected<Ints> Axes = squeezeAxes(C, N);
  if (!Axes.ok())
    return Axes.status();
  int64_t R = X->Type.rank();
  std::vector<bool> Drop(size_t(R), Axes->empty());
  for (int64_t A : *Axes) {
    int64_t Ax = A < 0 ? A + R : A;
    if (Ax < 0 || Ax >= R || X->Type.Dims[size_t(Ax)] != 1)
      return error("axis ", A, " of ", X->Type.str(), " is not of size 1");
    Drop[size_t(Ax)] = true;
  }
  Shape S;
  std::vector<int64_t> From;
  for (int64_t I = 0; I < R; ++I)
    if (!Drop[size_t(I)] || X->Type.Dims[size_t(I)] != 1) {
      S.push_back(X->Type.Dims[size_t(I)]);
      From.push_back(I);
    }
  return reshapeTo(C, N, X, S, From);
}

Status convertUnsqueeze(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0);
  Expected<Ints> Axes = squeezeAxes(C, N);
  if (!Axes.ok())
    return Axes.status();
  int64_t R = X->Type.rank() + int64_t(Axes->size());
  std::vector<bool> New(size_t(R), false);
  for (int64_t A : *Axes) {
    int64_t Ax = A < 0 ? A + R : A;
    if (Ax < 0 || Ax >= R || New[size_t(Ax)])
      return error("axis ", A, " is out of range or repeated for ",
                   X->Type.str());
    New[size_t(Ax)] = true;
  }
  Shape S;
  std::vector<int64_t> From;
  for (int64_t I = 0, J = 0; I < R; ++I) {
    From.push_back(New[size_t(I)] ? -1 : J);
    S.push_back(New[size_t(I)] ? 1 : X->Type.Dims[size_t(J++)]);
  }
  return reshapeTo(C, N, X, S, From);
}

static Status reduce(Context &C, const onnx::NodeProto &N, OpKind K) {
  Ints Axes = attrInts(N, "axes");
  if (const OnnxTensor *A = C.constant(N, 1)) { // opset 13+ ReduceSum
    Axes = decodeInts(A->Raw, A->Elt);
  } else if (C.value(N, 1)) {
    return runTimeValue(N, 1, "axes");
  }
  // Opset 13's noop_with_empty_axes: no axes is the identity, not "all".
  if (Axes.empty() && attrInt(N, "noop_with_empty_axes", 0)) {
    C.define(N, {C.B.op(OpKind::Identity, {C.value(N, 0)}, {}, C.name(N))});
    return Status::success();
  }
  C.define(
      N,
      {C.B.op(K, {C.value(N, 0)},
              attrs({{"axes", Axes}, {"keepdims", attrInt(N, "keepdims", 1)}}),
              C.name(N))});
  return Status::success();
}

Status convertReduceSum(Context &C, const onnx::NodeProto &N) {
  return reduce(C, N, OpKind::ReduceSum);
}
Status convertReduceMean(Context &C, const onnx::NodeProto &N) {
  return reduce(C, N, OpKind::ReduceMean);
}
Status convertReduceMax(Context &C, const onnx::NodeProto &N) {
  return reduce(C, N, OpKind::ReduceMax);
}
Status convertReduceMin(Context &C, const onnx::NodeProto &N) {
  return reduce(C, N, OpKind::ReduceMin);
}

/// A graph input that carries the batch size as its dimension 0.
static Value *batchCarrier(const Context &C) {
  for (const auto &V : C.G.values())
    if (!isComputed(V->Kind) && !V->DeclaredDims.empty() &&
        V->DeclaredDims[0] == -1)
      return V.get();
  return nullptr;
}

// Expand at run time: its target shape is known at import. A batch-dependent
// entry is either kept from x (broadcasting keeps it) or the batch size of a
// graph input.
Status convertExpand(Context &C, const onnx::NodeProto &N) {
  const Folded *ShapeIn = C.known(N, 1);
  if (!ShapeIn)
    return runTimeValue(N, 1, "shape");
  Value *X = C.value(N, 0);
  const Shape &XD = X->Type.Dims;
  size_t Rank = std::max(XD.size(), ShapeIn->E.size());
  size_t XOff = Rank - XD.size(), TOff = Rank - ShapeIn->E.size();
  std::vector<Value *> Ins = {X};
  Ints Target;
  for (size_t I = 0; I < ShapeIn->E.size(); ++I) {
    const Affine &D = ShapeIn->E[I];
    size_t Axis = TOff + I;
    bool XHasIt = Axis >= XOff && XD[Axis - XOff] != 1;
    if (D.A == 0) {
      if (!(D.B >= 1 && D.B <= 0x1p40))
        return error("the shape of an Expand has a dimension ", D.B,
                     ", expected at least 1");
      Target.push_back(int64_t(D.B));
    } else if (XHasIt) {
      Target.push_back(1);
    } else if (D.A == 1 && D.B == 0 && batchCarrier(C)) {
      if (Ins.size() == 1)
        Ins.push_back(batchCarrier(C));
      Target.push_back(0);
    } else {
      return fold::dependsOnBatch("an Expand to a multiple of the batch size");
    }
  }
  C.define(
      N, {C.B.op(OpKind::Expand, Ins, attrs({{"shape", Target}}), C.name(N))});
  return Status::success();
}

namespace {

struct PadSpec {
  Ints Pads; // every axis's begin, then every axis's end
  std::string Mode;
  double Fill = 0;
};

/// Pad's operands: attributes before opset 11; from 11 on pads and
/// constant_value are inputs known at import, and from 18 on 'axes' may name
/// the axes the pads are for.
Expected<PadSpec> padSpec(Context &C, const onnx::NodeProto &N, size_t Rank) {
  PadSpec S{attrInts(N, "pads"), attrString(N, "mode", "constant"),
            attrFloat(N, "value", 0.0)};
  if (C.Opset < 11)
    return S;
  const Folded *P = C.known(N, 1);
  if (!P)
    return runTimeValue(N, 1, "pads");
  Expected<Ints> Pads = fold::intsOf(*P, "the pads");
  if (!Pads.ok())
    return Pads.status();
  S.Pads = *Pads;
  S.Fill = 0;
  if (N.input_size() > 2 && !N.input(2).empty()) {
    const OnnxTensor *V = C.constant(N, 2);
    if (!V)
      return runTimeValue(N, 2, "constant_value");
    std::vector<double> D = decode(V->Raw, V->Elt);
    if (D.size() != 1)
      return error("constant_value has ", D.size(), " elements, expected 1");
    S.Fill = D[0];
  }
  if (N.input_size() > 3 && !N.input(3).empty()) {
    const Folded *A = C.known(N, 3);
    if (!A)
      return runTimeValue(N, 3, "axes");
    Expected<Ints> Axes = fold::intsOf(*A, "the axes");
    if (!Axes.ok())
      return Axes.status();
    if (S.Pads.size() != 2 * Axes->size())
      return error(S.Pads.size(), " pads for ", Axes->size(), " axes");
    Ints Full(2 * Rank, 0);
    for (size_t I = 0; I < Axes->size(); ++I) {
      Expected<int64_t> Ax = fold::axisIn((*Axes)[I], int64_t(Rank));
      if (!Ax.ok())
        return Ax.status();
      Full[size_t(*Ax)] = S.Pads[I];
      Full[Rank + size_t(*Ax)] = S.Pads[Axes->size() + I];
    }
    S.Pads = Full;
  }
  return S;
}

Value *padOp(Context &C, Value *X, const PadSpec &S, const std::string &Name) {
  return C.B.op(OpKind::Pad, {X},
                attrs({{"pads", S.Pads}, {"mode", S.Mode}, {"value", S.Fill}}),
                Name);
}

} // namespace

// A zero pad on spatial axes waits for the Conv or AveragePool that reads it
// to take it into its own padding (materializePad otherwise); every other
// pad is an op.
Status convertPad(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0);
  size_t Rank = size_t(X->Type.rank());
  Expected<PadSpec> S = padSpec(C, N, Rank);
  if (!S.ok())
    return S.status();
  if (S->Pads.size() != 2 * Rank)
    return error(S->Pads.size(), " pads for a tensor of rank ", Rank,
                 ", expected ", 2 * Rank);
  if (S->Mode != "constant" && S->Mode != "reflect" && S->Mode != "edge")
    return error("mode '", S->Mode, "', expected constant, reflect or edge");
  bool Any = false,
       Foldable = S->Mode == "constant" && S->Fill == 0 && Rank >= 3;
  for (size_t I = 0; I < S->Pads.size(); ++I) {
    Any |= S->Pads[I] != 0;
    Foldable &= S->Pads[I] >= 0 && (S->Pads[I] == 0 || I % Rank >= 2);
  }
  if (!Any) { // PyTorch's AvgPool2d exports often pad by nothing
    C.Values[N.output(0)] = X;
    return Status::success();
  }
  if (Foldable) {
    C.Pads[N.output(0)] = {N.input(0), S->Pads, C.name(N)};
    return Status::success();
  }
  C.define(N, {padOp(C, X, *S, C.name(N))});
  return Status::success();
}

Status materializePad(Context &C, const std::string &Name) {
  auto It = C.Pads.find(Name);
  if (It == C.Pads.end())
    return Status::success();
  PadSpec S{It->second.Pads, "constant", 0.0};
  Value *V = padOp(C, C.Values.at(It->second.Source), S, It->second.Node);
  C.Pads.erase(It);
  C.Values[Name] = V;
  return C.B.status();
}

} // namespace nnc::frontend::onnx_import

namespace nnc::frontend::onnx_import {

/// Slice of a tensor computed at run time (PyTorch's exporter cuts an RNN's
/// gates out of its weights so): bounds, axes and steps known at import,
/// steps of 1, one IR Slice per axis cut.
Status convertSlice(Context &C, const onnx::NodeProto &N) {
  Value *X = C.value(N, 0);
  int64_t Rank = X->Type.rank();
  std::vector<Ints> Args(4); // starts, ends, axes, steps
  if (N.input_size() < 2) {  // before opset 10: attributes
    Args = {
        attrInts(N, "starts"), attrInts(N, "ends"), attrInts(N, "axes"), {}};
  } else {
    for (int K = 1; K < 5 && K < N.input_size(); ++K) {
      if (N.input(K).empty())
        continue;
      const Folded *F = C.known(N, K);
      if (!F)
        return runTimeValue(N, K, "bounds");
      Folded Bound = *F;
      for (Affine &E : Bound.E)
        if (E.A == 0) // PyTorch's open ends are INT64_MAX
          E.B = std::clamp(E.B, -0x1p62, 0x1p62);
      Expected<Ints> V = fold::intsOf(Bound, "a Slice bound");
      if (!V.ok())
        return V.status();
      Args[size_t(K - 1)] = *V;
    }
  }
  const Ints &Starts = Args[0], &Ends = Args[1];
  Ints Axes = Args[2];
  if (Axes.empty())
    for (size_t I = 0; I < Starts.size(); ++I)
      Axes.push_back(int64_t(I));
  if (Ends.size() != Starts.size() || Axes.size() != Starts.size())
    return error("starts, ends and axes differ in length");
  Expected<std::vector<Affine>> Dims = dimsOf(C, N, 0);
  if (!Dims.ok())
    return Dims.status();
  Value *Y = X;
  for (size_t I = 0; I < Axes.size(); ++I) {
    if (!Args[3].empty() && Args[3][I] != 1)
      return error("a step of ", Args[3][I], " is not supported at run time");
    int64_t Axis = Axes[I] < 0 ? Axes[I] + Rank : Axes[I];
    if (Axis < 0 || Axis >= Rank)
      return error("axis ", Axes[I], " is outside ", X->Type.str());
    int64_t Size = X->Type.Dims[size_t(Axis)];
    auto Clamp = [Size](int64_t V) {
      return std::clamp<int64_t>(V < 0 ? V + Size : V, 0, Size);
    };
    int64_t Start = Clamp(Starts[I]), End = Clamp(Ends[I]);
    if (Start >= End)
      return error("a slice of no elements (an empty tensor) is not "
                   "supported");
    if (Start == 0 && End == Size)
      continue;
    if ((*Dims)[size_t(Axis)].A != 0)
      return error("slicing the batch axis at run time is not supported");
    Y = C.B.op(OpKind::Slice, {Y},
               attrs({{"axis", Axis}, {"start", Start}, {"end", End}}),
               C.name(N) + "." + std::to_string(Axis));
  }
  if (Y == X)
    Y = C.B.op(OpKind::Identity, {X}, {}, C.name(N));
  C.define(N, {Y});
  return Status::success();
}

} // namespace nnc::frontend::onnx_import
