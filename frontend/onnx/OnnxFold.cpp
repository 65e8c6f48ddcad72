//===- frontend/onnx/OnnxFold.cpp - Evaluating shape arithmetic at import -===//
//
// PyTorch exports compute shapes at run time: x.view(x.size(0), -1) becomes
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, zero initial states
// Shape -> ConstantOfShape/Expand. Shapes are static in nnc, so every node
// whose inputs are known at import is evaluated here and never reaches the
// IR. A dynamic batch axis makes Shape(x)'s first element the batch size N;
// values are kept as A * N + B, so the graph still compiles at any batch, and
// a consumer that cannot express a batch-dependent value says so.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxInternal.h"

#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include <algorithm>

#include <cmath>
#include <functional>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

namespace {

using namespace fold;

/// Unsqueeze's or Squeeze's axes: the attribute before opset 13, the input
/// after.
Expected<Ints> axesOf(Context &C, const onnx::NodeProto &N) {
  if (const Folded *A = C.known(N, 1))
    return intsOf(*A, "axes");
  return attrInts(N, "axes");
}

Expected<Folded> squeezeOrUnsqueeze(Context &C, const onnx::NodeProto &N,
                                    const Folded &X) {
  Expected<Ints> Axes = axesOf(C, N);
  if (!Axes.ok())
    return Axes.status();
  Shape S = X.Dims;
  if (N.op_type() == "Unsqueeze") {
    int64_t Rank = int64_t(S.size() + Axes->size());
    std::vector<bool> New(size_t(Rank), false);
    for (int64_t A : *Axes) {
      Expected<int64_t> Ax = axisIn(A, Rank);
      if (!Ax.ok())
        return Ax.status();
      if (New[size_t(*Ax)])
        return error("axis ", A, " is given twice");
      New[size_t(*Ax)] = true;
    }
    Shape Out;
    for (size_t I = 0, From = 0; I < New.size(); ++I)
      Out.push_back(New[I] ? 1 : S[From++]);
    return reshaped(X, Out);
  }
  Shape Out;
  for (size_t I = 0; I < S.size(); ++I) {
    bool Drop = Axes->empty() && S[I] == 1;
    for (int64_t A : *Axes)
      Drop |= (A < 0 ? A + int64_t(S.size()) : A) == int64_t(I);
    if (!Drop)
      Out.push_back(S[I]);
  }
  return reshaped(X, Out);
}

} // namespace

/// Tensor dimensions of input I of N as affine functions of the batch size,
/// from the IR's shapes at batch 1 (as built) and at batch 2.
Expected<std::vector<Affine>> dimsOf(Context &C, const onnx::NodeProto &N,
                                     int I) {
  if (const Folded *K = C.known(N, I)) {
    std::vector<Affine> D;
    for (int64_t X : K->Dims)
      D.push_back({0, double(X)});
    return D;
  }
  const Value *V = C.value(N, I);
  if (!V)
    return error("input '", N.input(I), "' is not defined");
  if (C.Batch2Nodes != C.G.nodes().size()) {
    C.DimsAtBatch2.clear();
    // A graph that cannot be bound at batch 2 (a reshape to a fixed
    // batch) has no batch-dependent shapes.
    if (inferShapes(C.G, 2).ok())
      for (const auto &W : C.G.values())
        C.DimsAtBatch2[W.get()] = W->Type.Dims;
    NNC_TRY(inferShapes(C.G, 1));
    C.Batch2Nodes = C.G.nodes().size();
  }
  std::vector<Affine> D;
  auto It = C.DimsAtBatch2.find(V);
  for (size_t K = 0; K < V->Type.Dims.size(); ++K) {
    double At1 = double(V->Type.Dims[K]);
    double At2 = It == C.DimsAtBatch2.end() ? At1 : double(It->second[K]);
    D.push_back({At2 - At1, 2 * At1 - At2});
  }
  return D;
}

namespace {
using namespace fold;

Expected<Folded> shapeOp(Context &C, const onnx::NodeProto &N) {
  Expected<std::vector<Affine>> D = dimsOf(C, N, 0);
  if (!D.ok())
    return D.status();
  int64_t Rank = int64_t(D->size());
  int64_t Start = attrInt(N, "start", 0), End = attrInt(N, "end", Rank);
  Start = std::clamp<int64_t>(Start < 0 ? Start + Rank : Start, 0, Rank);
  End = std::clamp<int64_t>(End < 0 ? End + Rank : End, 0, Rank);
  Folded R{DType::I64, {std::max<int64_t>(0, End - Start)}, {}};
  R.E.assign(D->begin() + Start, D->begin() + std::max(Start, End));
  return R;
}

Expected<Folded> sizeOp(Context &C, const onnx::NodeProto &N) {
  Expected<std::vector<Affine>> D = dimsOf(C, N, 0);
  if (!D.ok())
    return D.status();
  Affine P{0, 1};
  for (const Affine &X : *D) {
    Expected<Affine> M = arith("Mul", P, X, DType::I64);
    if (!M.ok())
      return M.status();
    P = *M;
  }
  return Folded{DType::I64, {}, {P}};
}

Expected<Folded> constantOp(const onnx::NodeProto &N) {
  for (const auto &A : N.attribute()) {
    if (A.name() == "value") {
      Expected<OnnxTensor> T = convertTensor(A.t());
      if (!T.ok())
        return T.status();
      return foldedOf(*T);
    }
    Folded F;
    if (A.name() == "value_float" || A.name() == "value_floats")
      F.Elt = DType::F32;
    if (A.name() == "value_float" || A.name() == "value_int") {
      F.E.push_back({0, A.name() == "value_int" ? double(A.i()) : A.f()});
      return F;
    }
    if (A.name() == "value_floats")
      for (float V : A.floats())
        F.E.push_back({0, V});
    else if (A.name() == "value_ints")
      for (int64_t V : A.ints())
        F.E.push_back({0, double(V)});
    else
      continue;
    F.Dims = {int64_t(F.E.size())};
    return F;
  }
  return error("no value");
}

/// ConstantOfShape's fill: its 'value' attribute, else a float 0.
Expected<Folded> fillOf(const onnx::NodeProto &N) {
  for (const auto &A : N.attribute())
    if (A.name() == "value") {
      Expected<OnnxTensor> T = convertTensor(A.t());
      if (!T.ok())
        return T.status();
      return foldedOf(*T);
    }
  return Folded{DType::F32, {1}, {{0, 0}}};
}

/// Evaluates N, all of whose inputs are known (In, absent ones null).
Expected<Folded> evaluate(Context &C, const onnx::NodeProto &N,
                          const std::vector<const Folded *> &In) {
  const std::string &Op = N.op_type();
  auto Need = [&](size_t K) { return K < In.size() && In[K]; };
  if (Op == "Constant")
    return constantOp(N);
  if (Op == "Shape")
    return shapeOp(C, N);
  if (Op == "Size")
    return sizeOp(C, N);
  if (Op == "Identity")
    return *In[0];
  if (Op == "Cast")
    return cast(*In[0], attrInt(N, "to", onnx::TensorProto::FLOAT));
  if (Op == "Neg") {
    Folded R = *In[0];
    for (Affine &V : R.E)
      V = {-V.A, -V.B};
    return R;
  }
  if (Op == "Not") {
    Folded Zero{DType::Bool, {}, {{0, 0}}};
    return binary("Equal", *In[0], Zero);
  }
  if (Op == "Add" || Op == "Sub" || Op == "Mul" || Op == "Div" ||
      Op == "Equal" || Op == "Less" || Op == "Greater" || Op == "And" ||
      Op == "Or")
    return binary(Op, *In[0], *In[1]);
  if (Op == "Where")
    return where(*In[0], *In[1], *In[2]);
  if (Op == "Transpose")
    return transpose(*In[0], attrInts(N, "perm"));
  if (Op == "Gather")
    return gather(*In[0], *In[1], attrInt(N, "axis", 0));
  if (Op == "Concat")
    return concat(In, attrInt(N, "axis", 0));
  if (Op == "Unsqueeze" || Op == "Squeeze")
    return squeezeOrUnsqueeze(C, N, *In[0]);
  if (Op == "Reshape") {
    Expected<Ints> T = intsOf(*In[1], "a Reshape target");
    if (!T.ok())
      return T.status();
    return reshapeKnown(*In[0], *T);
  }
  if (Op == "ConstantOfShape") {
    Expected<Folded> Value = fillOf(N);
    if (!Value.ok())
      return Value.status();
    return fill(*Value, *In[0]);
  }
  if (Op == "Expand")
    return expand(*In[0], *In[1]);
  if (Op == "Range")
    return range(*In[0], *In[1], *In[2]);
  if (Op == "Slice") {
    std::vector<Ints> Args(4);
    for (size_t K = 1; K < 5; ++K) {
      if (!Need(K))
        continue;
      // PyTorch's reversing slices end at INT64_MIN; ONNX clamps bounds to
      // the axis anyway.
      Folded Bound = *In[K];
      for (Affine &E : Bound.E)
        if (E.A == 0)
          E.B = std::clamp(E.B, -0x1p62, 0x1p62);
      Expected<Ints> V = intsOf(Bound, "a Slice bound");
      if (!V.ok())
        return V.status();
      Args[K - 1] = *V;
    }
    if (N.input_size() < 2) // before opset 10: attributes
      Args = {
          attrInts(N, "starts"), attrInts(N, "ends"), attrInts(N, "axes"), {}};
    return slice(*In[0], Args[0], Args[1], Args[2], Args[3]);
  }
  return error("cannot be evaluated at import");
}

const std::set<std::string> &foldable() {
  static const std::set<std::string> Ops = {
      "Constant",  "Shape",   "Size",      "Identity",
      "Cast",      "Neg",     "Not",       "Add",
      "Sub",       "Mul",     "Div",       "Equal",
      "Less",      "Greater", "And",       "Or",
      "Where",     "Gather",  "Transpose", "Concat",
      "Unsqueeze", "Squeeze", "Reshape",   "ConstantOfShape",
      "Expand",    "Range",   "Slice"};
  return Ops;
}

} // namespace

bool isFoldable(const std::string &OpType) {
  return foldable().count(OpType) > 0;
}

Expected<bool> foldNode(Context &C, const onnx::NodeProto &N) {
  const std::string &Op = N.op_type();
  if (!isFoldable(Op))
    return false;
  // Zeros moved about stay zeros (PyTorch slices a layer's initial state
  // out of all layers').
  static const std::set<std::string> KeepZeros = {
      "Identity", "Cast",      "Slice",  "Gather",   "Reshape",
      "Squeeze",  "Unsqueeze", "Expand", "Transpose"};
  if (N.input_size() > 0 && C.ZeroFills.count(N.input(0)) &&
      KeepZeros.count(Op)) {
    C.ZeroFills.insert(N.output(0));
    return true;
  }
  std::vector<const Folded *> In;
  for (int I = 0; I < N.input_size(); ++I) {
    const Folded *K = C.known(N, I);
    bool ShapeOnly = (Op == "Shape" || Op == "Size") && I == 0;
    if (!K && !N.input(I).empty() && !ShapeOnly)
      return false;
    In.push_back(K);
  }
  if ((Op == "Shape" || Op == "Size") && !In[0] && !C.value(N, 0))
    return false;
  if (Op == "ConstantOfShape" && In[0] && In[0]->batchDependent()) {
    Expected<Folded> Fill = fillOf(N);
    bool Zero = Fill.ok() && Fill->E.size() == 1 && Fill->E[0].A == 0 &&
                Fill->E[0].B == 0;
    if (Zero) {
      C.ZeroFills.insert(N.output(0));
      return true;
    }
  }
  Expected<Folded> R = evaluate(C, N, In);
  if (!R.ok())
    return R.status();
  const std::string &Out = N.output(0);
  if (!R->batchDependent())
    C.Constants[Out] = R->concrete();
  C.Known[Out] = std::move(*R);
  return true;
}

Status materializeKnown(Context &C, const std::string &Name) {
  if (C.Values.count(Name))
    return Status::success();
  const Folded &K = C.Known.at(Name);
  if (K.batchDependent())
    return error("reads '", Name, "' at run time, whose value depends on the ",
                 "batch size, which is not supported (nnc evaluates such ",
                 "values only as shapes)");
  if (K.Elt == DType::Bool || K.Elt == DType::U8)
    return error("'", Name, "' is ", dtypeName(K.Elt),
                 " and needed at run "
                 "time, which is not supported by the compiled backend (such "
                 "tensors may only be shapes, axes or masks evaluated at "
                 "import)");
  if (count(K.Dims) == 0)
    return error("reads '", Name, "', an empty tensor, at run time, which is ",
                 "not supported");
  Value *V = C.G.addValue(Name, Role::Constant, TensorType{K.Elt, K.Dims});
  V->Data = K.concrete().Raw;
  C.Values[Name] = V;
  return Status::success();
}

Expected<Ints> reshapeTarget(Context &C, const Folded &Shape, const Value *X) {
  (void)C;
  Ints Out;
  int64_t Inferred = -1;
  for (size_t I = 0; I < Shape.E.size(); ++I) {
    const Affine &D = Shape.E[I];
    if (D.A == 0) {
      if (!(std::fabs(D.B) <= 0x1p62))
        return error("the target shape of a Reshape has a dimension ", D.B,
                     ", out of range");
      Out.push_back(int64_t(D.B));
      if (D.B == -1)
        Inferred = int64_t(I);
      continue;
    }
    // The batch size itself at the batch axis is a copy of it; any other
    // batch-dependent dimension is the one to infer.
    if (I == 0 && D.A == 1 && D.B == 0 && X->Type.rank() > 0) {
      Out.push_back(0);
      continue;
    }
    if (Inferred >= 0)
      return dependsOnBatch("a Reshape target with two unknown dimensions");
    Inferred = int64_t(I);
    Out.push_back(-1);
  }
  return Out;
}

} // namespace nnc::frontend::onnx_import
