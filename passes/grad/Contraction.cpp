//===- passes/grad/Contraction.cpp - Rules for MatMul, Dense, convs -------===//
#include "ir/Geometry.h"
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {
namespace {

using namespace nnc::ir;

Value *transpose(Context &C, Value *V) { return C.op(OpKind::Transpose, {V}); }

/// [..., K] -> [rows, K]; rank-2 values as they are.
Value *rows(Context &C, Value *V) {
  if (V->Type.rank() == 2)
    return V;
  return C.op(OpKind::Flatten, {V}, attrs({{"axis", V->Type.rank() - 1}}));
}

/// Swaps the last two dimensions.
Value *transposeLast(Context &C, Value *V) {
  std::vector<int64_t> Perm;
  for (int64_t I = 0; I < V->Type.rank(); ++I)
    Perm.push_back(I);
  std::swap(Perm[Perm.size() - 1], Perm[Perm.size() - 2]);
  return C.op(OpKind::Transpose, {V}, attrs({{"perm", Perm}}));
}

// C = A B: dA = dC B^T, dB = A^T dC (batched A flattened to rows), or per
// batch index when B is batched too.
Status matmul(Context &C, std::vector<Value *> &DIn) {
  Value *Dy = C.DOut[0];
  if (C.in(1)->Type.rank() > 2) {
    if (C.needs(0))
      DIn[0] = C.op(OpKind::MatMul, {Dy, transposeLast(C, C.in(1))});
    if (C.needs(1))
      DIn[1] = C.op(OpKind::MatMul, {transposeLast(C, C.in(0)), Dy});
    return Status::success();
  }
  if (C.needs(0))
    DIn[0] = C.op(OpKind::MatMul, {Dy, transpose(C, C.in(1))});
  if (C.needs(1))
    DIn[1] =
        C.op(OpKind::MatMul, {transpose(C, rows(C, C.in(0))), rows(C, Dy)});
  return Status::success();
}

// y = x W^T + b: dx = dy W, dW = dy^T x, db = sum over rows of dy.
Status dense(Context &C, std::vector<Value *> &DIn) {
  Value *Dy = C.DOut[0];
  if (C.needs(0))
    DIn[0] = C.op(OpKind::MatMul, {Dy, C.in(1)});
  if (C.needs(1))
    DIn[1] = C.op(OpKind::MatMul, {transpose(C, Dy), C.in(0)});
  if (C.needs(2))
    DIn[2] = C.op(
        OpKind::ReduceSum, {Dy},
        attrs({{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t(0)}}));
  return Status::success();
}

Value *channelSum(Context &C, Value *Dy) {
  return C.op(OpKind::ReduceSum, {Dy},
              attrs({{"axes", std::vector<int64_t>{0, 2, 3}},
                     {"keepdims", int64_t(0)}}));
}

Attributes windowAttrs(const Context &C) {
  Attributes A;
  for (const char *Name : {"strides", "pads", "dilations", "group"})
    A.set(Name, *C.N.Attrs.find(Name));
  return A;
}

// dx is the transposed conv of dy with the same weights (output_padding
// restores the rows the forward stride dropped); dW correlates x with dy.
Status conv(Context &C, std::vector<Value *> &DIn) {
  Value *X = C.in(0), *W = C.in(1), *Dy = C.DOut[0];
  if (C.needs(0)) {
    Expected<Window2D> G = convWindow(C.N, X->Type, W->Type);
    if (!G.ok())
      return G.status();
    int64_t Rows =
        (G->OH - 1) * G->SH - G->PadT - G->PadB + G->DH * (G->KH - 1) + 1;
    int64_t Cols =
        (G->OW - 1) * G->SW - G->PadL - G->PadR + G->DW * (G->KW - 1) + 1;
    Attributes A = windowAttrs(C);
    A.set("output_padding", std::vector<int64_t>{G->H - Rows, G->W - Cols});
    DIn[0] = C.op(OpKind::ConvTranspose, {Dy, W}, A);
  }
  if (C.needs(1)) {
    Attributes A = windowAttrs(C);
    A.set("kernel_shape",
          std::vector<int64_t>{W->Type.Dims[2], W->Type.Dims[3]});
    DIn[1] = C.op(OpKind::ConvGradWeights, {X, Dy}, A);
  }
  if (C.needs(2))
    DIn[2] = channelSum(C, Dy);
  return Status::success();
}

// The adjoint pair reversed: dx = conv(dy, W); dW correlates dy with x.
Status convTranspose(Context &C, std::vector<Value *> &DIn) {
  Value *X = C.in(0), *W = C.in(1), *Dy = C.DOut[0];
  if (C.needs(0))
    DIn[0] = C.op(OpKind::Conv, {Dy, W}, windowAttrs(C));
  if (C.needs(1)) {
    Attributes A = windowAttrs(C);
    A.set("kernel_shape",
          std::vector<int64_t>{W->Type.Dims[2], W->Type.Dims[3]});
    DIn[1] = C.op(OpKind::ConvGradWeights, {Dy, X}, A);
  }
  if (C.needs(2))
    DIn[2] = channelSum(C, Dy);
  return Status::success();
}

Status rbf(Context &C, std::vector<Value *> &DIn) {
  std::vector<Value *> D = C.ops(
      OpKind::RbfGrad, {C.in(0), C.in(1), C.in(2), C.out(0), C.DOut[0]}, {}, 3);
  DIn = {D[0], D[1], D[2]};
  return Status::success();
}

} // namespace

void registerContraction() {
  define(OpKind::MatMul, matmul);
  define(OpKind::Dense, dense);
  define(OpKind::Conv, conv);
  define(OpKind::ConvTranspose, convTranspose);
  define(OpKind::Rbf, rbf);
}

} // namespace nnc::passes::grad
