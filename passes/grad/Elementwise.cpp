//===- passes/grad/Elementwise.cpp - Rules for pointwise ops --------------===//
#include "ir/Pointwise.h"
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {
namespace {

using namespace nnc::ir;

/// Whether the backward pass may read y = op(x) in place of x
/// (pointwise::derivativeFromOutput); Dropout's derivative is 1.
bool derivativeFromOutput(const Node &N) {
  std::optional<Unary> U = unaryOf(N.Op);
  if (!U)
    return N.Op == OpKind::Dropout;
  return pointwise::derivativeFromOutput(*U, unaryAttrs(*U, N.Attrs).data());
}

// Every pointwise unary op: dx = dy * op'(x), from x and y.
Status unary(Context &C, std::vector<Value *> &DIn) {
  Attributes A = C.attrsFor(OpKind::UnaryGrad);
  A.set("op", std::string(C.N.opName()));
  Value *X = derivativeFromOutput(C.N) ? C.out(0) : C.in(0);
  DIn[0] = C.op(OpKind::UnaryGrad, {X, C.out(0), C.DOut[0]}, A);
  return Status::success();
}

/// Undoes broadcasting: sums G over the dimensions along which Like was
/// broadcast (nothing to do when the shapes already agree).
Value *reduceLike(Context &C, Value *G, Value *Like) {
  if (G->Type.Dims == Like->Type.Dims)
    return G;
  return C.op(OpKind::SumTo, {G, Like});
}

Status add(Context &C, std::vector<Value *> &DIn) {
  for (size_t I = 0; I < 2; ++I)
    if (C.needs(I))
      DIn[I] = reduceLike(C, C.DOut[0], C.in(I));
  return Status::success();
}

Status sub(Context &C, std::vector<Value *> &DIn) {
  if (C.needs(0))
    DIn[0] = reduceLike(C, C.DOut[0], C.in(0));
  if (C.needs(1))
    DIn[1] = reduceLike(C, C.op(OpKind::Neg, {C.DOut[0]}), C.in(1));
  return Status::success();
}

Status mul(Context &C, std::vector<Value *> &DIn) {
  for (size_t I = 0; I < 2; ++I)
    if (C.needs(I))
      DIn[I] =
          reduceLike(C, C.op(OpKind::Mul, {C.DOut[0], C.in(1 - I)}), C.in(I));
  return Status::success();
}

// d(a / b) = da / b - a db / b^2.
Status div(Context &C, std::vector<Value *> &DIn) {
  Value *Dy = C.DOut[0], *A = C.in(0), *B = C.in(1);
  if (C.needs(0))
    DIn[0] = reduceLike(C, C.op(OpKind::Div, {Dy, B}), A);
  if (C.needs(1)) {
    Value *Num = C.op(OpKind::Mul, {Dy, A});
    Value *Den = C.op(OpKind::Mul, {B, B});
    DIn[1] =
        reduceLike(C, C.op(OpKind::Neg, {C.op(OpKind::Div, {Num, Den})}), B);
  }
  return Status::success();
}

// d(a ** b) = db b a ** (b - 1) + db log(a) a ** b.
Status pow(Context &C, std::vector<Value *> &DIn) {
  Value *Dy = C.DOut[0], *A = C.in(0), *B = C.in(1);
  if (C.needs(0)) {
    Value *One = C.B.constant(C.out(0)->Name + ".one", {}, {1.0}, B->Type.Elt);
    Value *Lower = C.op(OpKind::Pow, {A, C.op(OpKind::Sub, {B, One})});
    DIn[0] = reduceLike(
        C, C.op(OpKind::Mul, {Dy, C.op(OpKind::Mul, {B, Lower})}), A);
  }
  if (C.needs(1)) {
    Value *LogA = C.op(OpKind::Log, {A});
    DIn[1] = reduceLike(
        C, C.op(OpKind::Mul, {Dy, C.op(OpKind::Mul, {LogA, C.out(0)})}), B);
  }
  return Status::success();
}

Status prelu(Context &C, std::vector<Value *> &DIn) {
  std::vector<Value *> D =
      C.ops(OpKind::PReluGrad, {C.in(0), C.in(1), C.DOut[0]}, {}, 2);
  DIn = {D[0], D[1]};
  return Status::success();
}

Status maxout(Context &C, std::vector<Value *> &DIn) {
  DIn[0] = C.op(OpKind::MaxoutGrad, {C.in(0), C.DOut[0]},
                C.attrsFor(OpKind::MaxoutGrad));
  return Status::success();
}

template <int Log> Status softmax(Context &C, std::vector<Value *> &DIn) {
  Attributes A = C.attrsFor(OpKind::SoftmaxGrad);
  A.set("log", int64_t(Log));
  DIn[0] = C.op(OpKind::SoftmaxGrad, {C.out(0), C.DOut[0]}, A);
  return Status::success();
}

// Dropout's mask does not depend on x's values: no gradient flows through
// it (the product x * mask carries the gradient to x).
Status dropoutMask(Context &, std::vector<Value *> &) {
  return Status::success();
}

} // namespace

void registerElementwise() {
  for (int64_t I = 0; I < pointwise::NumUnary; ++I)
    define(opKindOf(Unary(I)), unary);
  define(OpKind::Dropout, unary);
  define(OpKind::Add, add);
  define(OpKind::Sub, sub);
  define(OpKind::Mul, mul);
  define(OpKind::Div, div);
  define(OpKind::Pow, pow);
  define(OpKind::PRelu, prelu);
  define(OpKind::Maxout, maxout);
  define(OpKind::Softmax, softmax<0>);
  define(OpKind::LogSoftmax, softmax<1>);
  define(OpKind::DropoutMask, dropoutMask);
}

} // namespace nnc::passes::grad
