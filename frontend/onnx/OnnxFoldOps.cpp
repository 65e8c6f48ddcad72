//===- frontend/onnx/OnnxFoldOps.cpp - Tensor ops on values known at import
//===//
//
// The arithmetic and layout ops of OnnxFold.cpp on small tensors whose
// elements are A * N + B in the batch size N (OnnxFold.h).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxFold.h"
#include "ir/Initializers.h"
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;
using namespace fold;

bool Folded::batchDependent() const {
  for (const Affine &X : E)
    if (X.A != 0)
      return true;
  return false;
}

OnnxTensor Folded::concrete() const {
  OnnxTensor T;
  T.Elt = Elt;
  T.Dims = Dims;
  std::vector<double> V;
  for (const Affine &X : E)
    V.push_back(X.B);
  T.Raw = encode(V, Elt);
  return T;
}

Folded foldedOf(const OnnxTensor &T) {
  Folded F{T.Elt, T.Dims, {}};
  for (double V : decode(T.Raw, T.Elt))
    F.E.push_back({0, V});
  return F;
}

namespace {

/// Row-major strides of S.
Ints stridesOf(const Shape &S) {
  Ints St(S.size(), 1);
  for (size_t I = S.size(); I-- > 1;)
    St[I - 1] = St[I] * S[I];
  return St;
}

/// Import-time tensors are shapes and small constants; a larger one (from a
/// malformed file) is refused before anything is allocated.
constexpr int64_t MaxFoldedElements = int64_t(1) << 24;

Status fits(const Shape &S) {
  int64_t N = 1;
  for (int64_t D : S) {
    if (D < 0 || (D > 0 && N > MaxFoldedElements / D))
      return error("a tensor of shape ", shapeString(S),
                   " evaluated at import is not supported (at most ",
                   MaxFoldedElements, " elements)");
    N *= D;
  }
  return Status::success();
}

Expected<Shape> broadcast(const Shape &X, const Shape &Y) {
  Shape Out(std::max(X.size(), Y.size()), 1);
  for (size_t I = 0; I < Out.size(); ++I) {
    int64_t A = I < Out.size() - X.size() ? 1 : X[I - (Out.size() - X.size())];
    int64_t B = I < Out.size() - Y.size() ? 1 : Y[I - (Out.size() - Y.size())];
    if (A != B && A != 1 && B != 1)
      return error("shapes ", shapeString(X), " and ", shapeString(Y),
                   " do not broadcast");
    Out[I] = std::max(A, B);
  }
  NNC_TRY(fits(Out));
  return Out;
}

/// The element of X that output index Flat of shape Out reads, broadcast.
const Affine &at(const Folded &X, const Shape &Out, int64_t Flat) {
  Ints OutSt = stridesOf(Out), XSt = stridesOf(X.Dims);
  size_t Lead = Out.size() - X.Dims.size();
  int64_t Index = 0;
  for (size_t I = 0; I < Out.size(); ++I) {
    int64_t Coord = Flat / OutSt[I] % Out[I];
    if (I >= Lead && X.Dims[I - Lead] != 1)
      Index += Coord * XSt[I - Lead];
  }
  return X.E[size_t(Index)];
}

bool integral(DType T) { return T == DType::I64 || T == DType::I32; }

/// Truncates toward zero, as integer tensors do.
Affine toIntegral(Affine X) { return {std::trunc(X.A), std::trunc(X.B)}; }

/// X < Y, X > Y or X == Y for every batch size N >= 1, or an error when
/// the answer depends on N. X - Y = A N + B.
Expected<bool> compare(const std::string &Op, Affine X, Affine Y) {
  double A = X.A - Y.A, B = X.B - Y.B;
  if (Op == "Equal") {
    if (A == 0)
      return B == 0;
    double Root = -B / A; // the only batch size at which they are equal
    if (Root < 1 || Root != std::floor(Root))
      return false;
    return dependsOnBatch("a comparison");
  }
  // A N + B keeps its sign at N = 1 for every larger N when A goes its way.
  double AtOne = A + B;
  if (A == 0 || (A > 0 && AtOne > 0) || (A < 0 && AtOne < 0))
    return Op == "Less" ? AtOne < 0 : AtOne > 0;
  return dependsOnBatch("an ordering");
}

} // namespace

namespace fold {

int64_t count(const Shape &S) {
  int64_t N = 1;
  for (int64_t D : S)
    N *= D;
  return N;
}

Status dependsOnBatch(const std::string &What) {
  return error(What, " depends on the batch size in a way that is not "
                     "supported (export with a fixed batch size instead)");
}

Expected<Affine> arith(const std::string &Op, Affine X, Affine Y, DType T) {
  if (Op == "Add")
    return Affine{X.A + Y.A, X.B + Y.B};
  if (Op == "Sub")
    return Affine{X.A - Y.A, X.B - Y.B};
  if (Op == "Mul") {
    if (X.A != 0 && Y.A != 0)
      return dependsOnBatch("a product of two batch-dependent values");
    return Affine{X.A * Y.B + Y.A * X.B, X.B * Y.B};
  }
  // Div
  if (Y.A != 0)
    return dependsOnBatch("a division by a batch-dependent value");
  if (Y.B == 0)
    return error("division by zero");
  if (!integral(T))
    return Affine{X.A / Y.B, X.B / Y.B};
  if (X.A != 0 && (std::fmod(X.A, Y.B) != 0 || std::fmod(X.B, Y.B) != 0))
    return dependsOnBatch("an inexact integer division");
  return toIntegral({X.A / Y.B, X.B / Y.B});
}

/// Elementwise ops over two broadcast inputs.
Expected<Folded> binary(const std::string &Op, const Folded &X,
                        const Folded &Y) {
  Expected<Shape> Out = broadcast(X.Dims, Y.Dims);
  if (!Out.ok())
    return Out.status();
  bool Logic = Op == "And" || Op == "Or";
  bool Comparison = Op == "Equal" || Op == "Less" || Op == "Greater";
  Folded R{Comparison || Logic ? DType::Bool : X.Elt, *Out, {}};
  for (int64_t I = 0; I < count(*Out); ++I) {
    Affine A = at(X, *Out, I), B = at(Y, *Out, I);
    if (Logic) {
      if (A.A != 0 || B.A != 0)
        return dependsOnBatch("a logical operation");
      bool V = Op == "And" ? (A.B != 0 && B.B != 0) : (A.B != 0 || B.B != 0);
      R.E.push_back({0, double(V)});
    } else if (Comparison) {
      Expected<bool> V = compare(Op, A, B);
      if (!V.ok())
        return V.status();
      R.E.push_back({0, double(*V)});
    } else {
      Expected<Affine> V = arith(Op, A, B, X.Elt);
      if (!V.ok())
        return V.status();
      R.E.push_back(*V);
    }
  }
  return R;
}

/// Concrete integers of a known tensor (indices, axes, a shape).
Expected<Ints> intsOf(const Folded &F, const char *What) {
  if (F.batchDependent())
    return dependsOnBatch(What);
  Ints Out;
  for (const Affine &X : F.E) {
    if (!(std::fabs(X.B) <= 0x1p62))
      return error(What, " ", X.B, " is out of range");
    Out.push_back(int64_t(X.B));
  }
  return Out;
}

Expected<int64_t> axisIn(int64_t Axis, int64_t Rank) {
  int64_t A = Axis < 0 ? Axis + Rank : Axis;
  if (A < 0 || A >= Rank)
    return error("axis ", Axis, " is out of range for rank ", Rank);
  return A;
}

Folded reshaped(Folded F, Shape S) {
  F.Dims = std::move(S);
  return F;
}

Expected<Folded> transpose(const Folded &X, Ints Perm) {
  size_t Rank = X.Dims.size();
  if (Perm.empty())
    for (size_t I = Rank; I-- > 0;)
      Perm.push_back(int64_t(I));
  std::vector<bool> Seen(Rank, false);
  for (int64_t P : Perm) {
    if (Perm.size() != Rank || P < 0 || P >= int64_t(Rank) || Seen[size_t(P)])
      return error("perm ", attrValueString(Perm), " is not a permutation of ",
                   Rank, " axes");
    Seen[size_t(P)] = true;
  }
  Folded R{X.Elt, Shape(Rank), {}};
  for (size_t I = 0; I < Rank; ++I)
    R.Dims[I] = X.Dims[size_t(Perm[I])];
  Ints XSt = stridesOf(X.Dims), RSt = stridesOf(R.Dims);
  for (int64_t Flat = 0; Flat < count(R.Dims); ++Flat) {
    int64_t Src = 0;
    for (size_t I = 0; I < Rank; ++I)
      Src += Flat / RSt[I] % R.Dims[I] * XSt[size_t(Perm[I])];
    R.E.push_back(X.E[size_t(Src)]);
  }
  return R;
}

Expected<Folded> gather(const Folded &X, const Folded &Idx, int64_t Axis) {
  Expected<int64_t> A = axisIn(Axis, int64_t(X.Dims.size()));
  Expected<Ints> Index = intsOf(Idx, "a Gather index");
  if (!A.ok() || !Index.ok())
    return A.ok() ? Index.status() : A.status();
  Shape Out(X.Dims.begin(), X.Dims.begin() + *A);
  Out.insert(Out.end(), Idx.Dims.begin(), Idx.Dims.end());
  Out.insert(Out.end(), X.Dims.begin() + *A + 1, X.Dims.end());
  NNC_TRY(fits(Out));
  int64_t Outer = count(Shape(X.Dims.begin(), X.Dims.begin() + *A));
  int64_t Inner = count(Shape(X.Dims.begin() + *A + 1, X.Dims.end()));
  int64_t Size = X.Dims[size_t(*A)];
  Folded R{X.Elt, Out, {}};
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I : *Index) {
      int64_t J = I < 0 ? I + Size : I;
      if (J < 0 || J >= Size)
        return error("Gather index ", I, " is out of range for ", Size);
      for (int64_t K = 0; K < Inner; ++K)
        R.E.push_back(X.E[size_t((O * Size + J) * Inner + K)]);
    }
  return R;
}

Expected<Folded> concat(const std::vector<const Folded *> &Xs, int64_t Axis) {
  Shape Out = Xs[0]->Dims;
  Expected<int64_t> A = axisIn(Axis, int64_t(Out.size()));
  if (!A.ok())
    return A.status();
  Out[size_t(*A)] = 0;
  for (const Folded *X : Xs) {
    for (size_t K = 0; K < Out.size(); ++K)
      if (X->Dims.size() != Out.size() ||
          (K != size_t(*A) && X->Dims[K] != Out[K]))
        return error("Concat of shapes ", shapeString(Xs[0]->Dims), " and ",
                     shapeString(X->Dims), " on axis ", *A);
    Out[size_t(*A)] += X->Dims[size_t(*A)];
  }
  NNC_TRY(fits(Out));
  int64_t Outer = count(Shape(Out.begin(), Out.begin() + *A));
  Folded R{Xs[0]->Elt, Out, {}};
  for (int64_t O = 0; O < Outer; ++O)
    for (const Folded *X : Xs) {
      int64_t Block = count(Shape(X->Dims.begin() + *A, X->Dims.end()));
      R.E.insert(R.E.end(), X->E.begin() + O * Block,
                 X->E.begin() + (O + 1) * Block);
    }
  return R;
}

Expected<Folded> slice(const Folded &X, const Ints &Starts, const Ints &Ends,
                       Ints Axes, Ints Steps) {
  size_t Rank = X.Dims.size();
  if (Axes.empty())
    for (size_t I = 0; I < Starts.size(); ++I)
      Axes.push_back(int64_t(I));
  if (Steps.empty())
    Steps.assign(Starts.size(), 1);
  Ints First(Rank, 0), Step(Rank, 1);
  Shape Out = X.Dims;
  for (size_t I = 0; I < Starts.size(); ++I) {
    Expected<int64_t> A = axisIn(Axes[I], int64_t(Rank));
    if (!A.ok())
      return A.status();
    int64_t D = X.Dims[size_t(*A)], S = Steps[I];
    if (S == 0)
      return error("Slice step 0");
    // A step longer than the axis takes at most one element.
    S = std::clamp<int64_t>(S, -(D + 1), D + 1);
    // ONNX: negative bounds count from the end; then starts are clamped to
    // [0, D] ([0, D-1] stepping back), ends to [0, D] ([-1, D-1]).
    auto Bound = [&](int64_t V, int64_t Lo, int64_t Hi) {
      return std::clamp<int64_t>(V < 0 ? V + D : V, Lo, Hi);
    };
    int64_t B = S > 0 ? Bound(Starts[I], 0, D) : Bound(Starts[I], 0, D - 1);
    int64_t E = S > 0 ? Bound(Ends[I], 0, D) : Bound(Ends[I], -1, D - 1);
    int64_t N = S > 0 ? (E > B ? 1 + (E - B - 1) / S : 0)
                      : (B > E ? 1 + (B - E - 1) / -S : 0);
    First[size_t(*A)] = B;
    Step[size_t(*A)] = S;
    Out[size_t(*A)] = N;
  }
  Folded R{X.Elt, Out, {}};
  Ints XSt = stridesOf(X.Dims), OutSt = stridesOf(Out);
  for (int64_t I = 0; I < count(Out); ++I) {
    int64_t Src = 0;
    for (size_t K = 0; K < Rank; ++K)
      Src += (First[K] + I / OutSt[K] % Out[K] * Step[K]) * XSt[K];
    R.E.push_back(X.E[size_t(Src)]);
  }
  return R;
}

Expected<Folded> reshapeKnown(const Folded &X, const Ints &Target) {
  Shape Out;
  int64_t Infer = -1;
  for (size_t I = 0; I < Target.size(); ++I) {
    int64_t D = Target[I] == 0 && I < X.Dims.size() ? X.Dims[I] : Target[I];
    if (D == -1 && Infer < 0)
      Infer = int64_t(I);
    else if (D < 0)
      return error("cannot reshape to ", shapeString(Shape(Target)));
    Out.push_back(D);
  }
  if (Infer >= 0) {
    Shape Rest = Out;
    Rest[size_t(Infer)] = 1;
    NNC_TRY(fits(Rest));
    int64_t Known = count(Rest);
    Out[size_t(Infer)] = Known > 0 ? count(X.Dims) / Known : 0;
  }
  NNC_TRY(fits(Out));
  if (count(Out) != count(X.Dims))
    return error("cannot reshape ", shapeString(X.Dims), " to ",
                 shapeString(Out));
  return reshaped(X, Out);
}

Expected<Folded> cast(const Folded &X, int64_t To) {
  Folded R = X;
  switch (To) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::DOUBLE:
    R.Elt = To == onnx::TensorProto::FLOAT ? DType::F32 : DType::F64;
    return R;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::INT32:
    R.Elt = To == onnx::TensorProto::INT64 ? DType::I64 : DType::I32;
    for (Affine &V : R.E)
      V = toIntegral(V);
    return R;
  case onnx::TensorProto::BOOL:
    R.Elt = DType::Bool;
    for (Affine &V : R.E) {
      if (V.A != 0)
        return dependsOnBatch("a cast to bool");
      V.B = V.B != 0;
    }
    return R;
  default:
    return error(
        "Cast to ",
        onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(To)),
        " is not supported");
  }
}

Expected<Folded> fill(const Folded &Value, const Folded &ShapeIn) {
  Expected<Ints> S = intsOf(ShapeIn, "the shape of a filled tensor");
  if (!S.ok())
    return S.status();
  Folded R{Value.Elt, Shape(S->begin(), S->end()), {}};
  NNC_TRY(fits(R.Dims));
  if (Value.E.empty())
    return error("the fill value is an empty tensor");
  R.E.assign(size_t(count(R.Dims)), Value.E[0]);
  return R;
}

Expected<Folded> expand(const Folded &X, const Folded &ShapeIn) {
  Expected<Ints> S = intsOf(ShapeIn, "the shape of an Expand");
  if (!S.ok())
    return S.status();
  Expected<Shape> Out = broadcast(X.Dims, Shape(S->begin(), S->end()));
  if (!Out.ok())
    return Out.status();
  Folded R{X.Elt, *Out, {}};
  for (int64_t I = 0; I < count(*Out); ++I)
    R.E.push_back(at(X, *Out, I));
  return R;
}

Expected<Folded> range(const Folded &Start, const Folded &Limit,
                       const Folded &Delta) {
  for (const Folded *F : {&Start, &Limit, &Delta})
    if (F->batchDependent() || F->E.size() != 1)
      return dependsOnBatch("a Range bound");
  double S = Start.E[0].B, L = Limit.E[0].B, D = Delta.E[0].B;
  if (D == 0)
    return error("Range with delta 0");
  double Count = std::max(0.0, std::ceil((L - S) / D));
  if (!(Count <= double(MaxFoldedElements)))
    return error("a Range of ", Count, " elements is not supported (at most ",
                 MaxFoldedElements, ")");
  auto N = int64_t(Count);
  Folded R{Start.Elt, {N}, {}};
  for (int64_t I = 0; I < N; ++I)
    R.E.push_back({0, S + double(I) * D});
  return R;
}

Expected<Folded> where(const Folded &Cond, const Folded &X, const Folded &Y) {
  Expected<Shape> XY = broadcast(X.Dims, Y.Dims);
  if (!XY.ok())
    return XY.status();
  Expected<Shape> Out = broadcast(Cond.Dims, *XY);
  if (!Out.ok())
    return Out.status();
  Folded R{X.Elt, *Out, {}};
  for (int64_t I = 0; I < count(*Out); ++I) {
    const Affine &P = at(Cond, *Out, I);
    if (P.A != 0)
      return dependsOnBatch("a Where condition");
    R.E.push_back(P.B != 0 ? at(X, *Out, I) : at(Y, *Out, I));
  }
  return R;
}

} // namespace fold

} // namespace nnc::frontend::onnx_import
