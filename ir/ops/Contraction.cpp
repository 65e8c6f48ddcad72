//===- ir/ops/Contraction.cpp - MatMul, Dense, convolutions, RBF ----------===//
#include "ir/Geometry.h"
#include "ir/ops/OpHelpers.h"

#include <algorithm>

namespace nnc::ir::ops {
namespace {

// MatMul: A [..., M, K] x B [K, N] -> [..., M, N], or batched: A
// [b..., M, K] x B [b..., K, N], one product per batch index.
Status inferMatMul(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  NNC_TRY(expectMinRank(N, In, 1, 2));
  if (In[0].Elt != In[1].Elt)
    return error(operand(N, In, 1), " must have the element type of ",
                 operand(N, In, 0));
  const Shape &A = In[0].Dims, &B = In[1].Dims;
  size_t R = B.size();
  if (R > 2 && (A.size() != R ||
                !std::equal(A.begin(), A.end() - 2, B.begin(), B.end() - 2)))
    return error(operand(N, In, 1),
                 " must be a matrix or have the batch "
                 "dimensions of ",
                 operand(N, In, 0));
  if (A.back() != B[R - 2])
    return error("inner dimensions differ: ", operand(N, In, 0), " has ",
                 A.back(), " columns, ", operand(N, In, 1), " has ", B[R - 2],
                 " rows");
  Out = {In[0]};
  Out[0].Dims.back() = B[R - 1];
  return Status::success();
}

int64_t matMulFlops(const Node &N) {
  const Shape &B = N.Inputs[1]->Type.Dims;
  return 2 * outputElements(N) * B[B.size() - 2];
}

Status checkBias(const Node &N, const Types &In, size_t I, int64_t Size) {
  if (In.size() <= I)
    return Status::success();
  NNC_TRY(expectRank(N, In, I, 1));
  if (In[I].Dims[0] != Size || In[I].Elt != In[0].Elt)
    return error(operand(N, In, I), " must be ", dtypeName(In[0].Elt), "[",
                 Size, "]");
  return Status::success();
}

// Dense (PyTorch's Linear): x [N, K], w [M, K], b [M] -> x w^T + b.
Status inferDense(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 2));
  NNC_TRY(expectRank(N, In, 1, 2));
  if (In[1].Dims[1] != In[0].Dims[1] || In[1].Elt != In[0].Elt)
    return error(operand(N, In, 1), " must be [units, ", In[0].Dims[1],
                 "] to match ", operand(N, In, 0));
  NNC_TRY(checkBias(N, In, 2, In[1].Dims[0]));
  Out = {TensorType{In[0].Elt, {In[0].Dims[0], In[1].Dims[0]}}};
  return Status::success();
}

int64_t denseFlops(const Node &N) {
  return 2 * outputElements(N) * N.Inputs[1]->Type.Dims[1];
}

Status inferConv(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  if (In[1].Elt != In[0].Elt)
    return error(operand(N, In, 1), " must have the element type of ",
                 operand(N, In, 0));
  Expected<Window2D> G = convWindow(N, In[0], In[1]);
  if (!G.ok())
    return G.status();
  NNC_TRY(checkBias(N, In, 2, G->O));
  Out = {TensorType{In[0].Elt, {G->N, G->O, G->OH, G->OW}}};
  return Status::success();
}

int64_t convFlops(const Node &N) {
  const TensorType &W = N.Inputs[1]->Type;
  // Every output element of a conv is Cin/g * KH * KW multiply-adds; every
  // input element of a transposed conv is Cout/g * KH * KW of them.
  if (N.Op == OpKind::Conv)
    return 2 * outputElements(N) * W.Dims[1] * W.Dims[2] * W.Dims[3];
  return 2 * N.Inputs[0]->Type.numElements() * W.Dims[1] * W.Dims[2] *
         W.Dims[3];
}

// RBF layer: x [N, D], centers [K, D], beta [K] ->
// y[n, k] = exp(-beta[k] * ||x[n] - centers[k]||^2).
Status inferRbf(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 2));
  NNC_TRY(expectRank(N, In, 1, 2));
  if (In[1].Dims[1] != In[0].Dims[1] || In[1].Elt != In[0].Elt)
    return error(operand(N, In, 1), " must be [centers, ", In[0].Dims[1],
                 "] to match ", operand(N, In, 0));
  NNC_TRY(checkBias(N, In, 2, In[1].Dims[0]));
  Out = {TensorType{In[0].Elt, {In[0].Dims[0], In[1].Dims[0]}}};
  return Status::success();
}

int64_t rbfFlops(const Node &N) {
  return 3 * outputElements(N) * N.Inputs[1]->Type.Dims[1];
}

std::vector<AttrSpec> convAttrs(bool Transposed) {
  std::vector<AttrSpec> A = {{"strides", Ints{1, 1}},
                             {"pads", Ints{0, 0, 0, 0}},
                             {"dilations", Ints{1, 1}},
                             {"group", int64_t(1)}};
  if (Transposed)
    A.push_back({"output_padding", Ints{0, 0}});
  return A;
}

} // namespace

void registerContractionOps() {
  define({.Kind = OpKind::MatMul,
          .Operands = {"a", "b"},
          .MinInputs = 2,
          .Infer = inferMatMul,
          .Flops = matMulFlops});
  define({.Kind = OpKind::Dense,
          .Operands = {"x", "w", "b"},
          .MinInputs = 2,
          .Infer = inferDense,
          .Flops = denseFlops});
  define({.Kind = OpKind::Conv,
          .Operands = {"x", "w", "b"},
          .MinInputs = 2,
          .Attrs = convAttrs(false),
          .Infer = inferConv,
          .Flops = convFlops});
  define({.Kind = OpKind::ConvTranspose,
          .Operands = {"x", "w", "b"},
          .MinInputs = 2,
          .Attrs = convAttrs(true),
          .Infer = inferConv,
          .Flops = convFlops});
  define({.Kind = OpKind::Rbf,
          .Operands = {"x", "centers", "beta"},
          .MinInputs = 3,
          .Infer = inferRbf,
          .Flops = rbfFlops});
}

} // namespace nnc::ir::ops
