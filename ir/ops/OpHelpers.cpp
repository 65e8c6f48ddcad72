#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {

std::string operand(const Node &N, const Types &In, size_t I) {
  const OpInfo &Info = N.info();
  std::string Name =
      I < Info.Operands.size() ? Info.Operands[I] : Info.Operands.front();
  std::string Tensor =
      I < N.Inputs.size() && N.Inputs[I] ? N.Inputs[I]->Name : "?";
  std::string Type = I < In.size() ? ", " + In[I].str() : "";
  return "operand '" + Name + "' (tensor '" + Tensor + "'" + Type + ")";
}

Status expectFloat(const Node &N, const Types &In, size_t I) {
  if (!isFloat(In[I].Elt))
    return error(operand(N, In, I), " must be f32 or f64");
  return Status::success();
}

Status expectInteger(const Node &N, const Types &In, size_t I) {
  if (!isInteger(In[I].Elt))
    return error(operand(N, In, I), " must be an integer type");
  return Status::success();
}

Status expectRank(const Node &N, const Types &In, size_t I, int64_t Rank) {
  if (In[I].rank() != Rank)
    return error(operand(N, In, I), " must have rank ", Rank);
  return Status::success();
}

Status expectMinRank(const Node &N, const Types &In, size_t I, int64_t Rank) {
  if (In[I].rank() < Rank)
    return error(operand(N, In, I), " must have rank >= ", Rank);
  return Status::success();
}

Status expectSameType(const Node &N, const Types &In, size_t A, size_t B) {
  if (In[A] != In[B])
    return error(operand(N, In, B), " must have the type of ",
                 operand(N, In, A));
  return Status::success();
}

Status inferLikeFirst(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Out = {In[0]};
  return Status::success();
}

Status checkBatchNorm(const Node &N, const Types &In) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  int64_t C = In[0].Dims[1];
  for (size_t I = 1; I < 5; ++I)
    if (In[I].rank() != 1 || In[I].Dims[0] != C || In[I].Elt != In[0].Elt)
      return error(operand(N, In, I), " must be ", dtypeName(In[0].Elt), "[", C,
                   "], one per channel of ", operand(N, In, 0));
  if (N.Attrs.getFloat("epsilon") <= 0)
    return error("attribute 'epsilon' must be > 0");
  double M = N.Attrs.getFloat("momentum");
  if (!(M >= 0 && M <= 1))
    return error("attribute 'momentum' must be in [0, 1], found ", M);
  return Status::success();
}

Expected<int64_t> normalizeAxis(int64_t Axis, int64_t Rank) {
  if (Axis < -Rank || Axis >= Rank)
    return error("axis ", Axis, " is out of range for rank ", Rank);
  return Axis < 0 ? Axis + Rank : Axis;
}

Expected<Shape> broadcast(const Shape &A, const Shape &B) {
  size_t R = std::max(A.size(), B.size());
  Shape Out(R);
  for (size_t I = 0; I < R; ++I) {
    int64_t DA = I < R - A.size() ? 1 : A[I - (R - A.size())];
    int64_t DB = I < R - B.size() ? 1 : B[I - (R - B.size())];
    if (DA != DB && DA != 1 && DB != 1)
      return error("shapes ", shapeString(A), " and ", shapeString(B),
                   " do not broadcast (dimension ", I, ": ", DA, " vs ", DB,
                   ")");
    Out[I] = DA == 1 ? DB : DA;
  }
  return Out;
}

int64_t outputElements(const Node &N) {
  int64_t Total = 0;
  for (const Value *V : N.Outputs)
    Total += V->Type.numElements();
  return Total;
}

int64_t flopsPerOutput(const Node &N) { return outputElements(N); }
int64_t noFlops(const Node &) { return 0; }

// Pad and PadGrad: 'pads' holds every axis's begin, then every axis's end
// (ONNX's order; negative crops); 'mode' is constant, reflect or edge.
Status checkPad(const Node &N, const TensorType &X, Shape &Padded) {
  const Ints &P = N.Attrs.getInts("pads");
  int64_t Rank = X.rank();
  if (int64_t(P.size()) != 2 * Rank)
    return error("attribute 'pads' has ", P.size(), " values for a tensor of ",
                 "rank ", Rank, ", expected ", 2 * Rank);
  const std::string &Mode = N.Attrs.getString("mode");
  if (Mode != "constant" && Mode != "reflect" && Mode != "edge")
    return error("attribute 'mode' is '", Mode,
                 "', expected constant, reflect or edge");
  Padded = X.Dims;
  for (int64_t D = 0; D < Rank; ++D) {
    int64_t Begin = P[size_t(D)], End = P[size_t(Rank + D)];
    constexpr int64_t Limit = int64_t(1) << 40;
    if (Begin < -Limit || Begin > Limit || End < -Limit || End > Limit)
      return error("pads ", Begin, " and ", End, " on axis ", D,
                   " exceed 2^40");
    if (X.Dims[size_t(D)] + Begin + End < 1)
      return error("pads ", Begin, " and ", End, " on axis ", D,
                   " leave no elements of its ", X.Dims[size_t(D)]);
    Padded[size_t(D)] += Begin + End;
  }
  if (!checkedNumElements(Padded))
    return error("the padded shape ", shapeString(Padded), " has more than ",
                 MaxElements, " elements");
  return Status::success();
}

} // namespace nnc::ir::ops
