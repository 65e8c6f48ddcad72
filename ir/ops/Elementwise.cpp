//===- ir/ops/Elementwise.cpp - Pointwise ops -------------------*- C++ -*-===//
#include "ir/Pointwise.h"
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

Status inferBinary(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  if (In[0].Elt != In[1].Elt)
    return error(operand(N, In, 1), " must have the element type of ",
                 operand(N, In, 0));
  Expected<Shape> S = broadcast(In[0].Dims, In[1].Dims);
  if (!S.ok())
    return S.status();
  Out = {TensorType{In[0].Elt, *S}};
  return Status::success();
}

Status inferPRelu(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 1, 1));
  int64_t C = In[0].rank() >= 2 ? In[0].Dims[1] : 1;
  int64_t S = In[1].Dims[0];
  if (S != 1 && S != C)
    return error(operand(N, In, 1), " must have 1 or ", C,
                 " elements (one slope per channel)");
  Out = {In[0]};
  return Status::success();
}

Status inferClip(const Node &N, const Types &In, Types &Out) {
  if (N.Attrs.getFloat("min") > N.Attrs.getFloat("max"))
    return error("attribute 'min' (", N.Attrs.getFloat("min"),
                 ") exceeds 'max' (", N.Attrs.getFloat("max"), ")");
  return inferLikeFirst(N, In, Out);
}

Status inferDropout(const Node &N, const Types &In, Types &Out) {
  double P = N.Attrs.getFloat("ratio");
  if (!(P >= 0 && P < 1))
    return error("attribute 'ratio' must be in [0, 1), found ", P);
  return inferLikeFirst(N, In, Out);
}

void unary(OpKind K, std::vector<AttrSpec> Attrs = {},
           InferFn Infer = inferLikeFirst, FlopsFn Flops = flopsPerOutput) {
  define({.Kind = K,
          .Operands = {"x"},
          .Attrs = std::move(Attrs),
          .Infer = Infer,
          .Flops = Flops});
}

void binary(OpKind K) {
  define({.Kind = K,
          .Operands = {"a", "b"},
          .MinInputs = 2,
          .Infer = inferBinary,
          .Flops = flopsPerOutput});
}

} // namespace

void registerElementwiseOps() {
  // The activations of ir/PointwiseOps.def (Erf because GELU's exports are
  // written with it).
  for (int64_t I = 0; I < pointwise::NumUnary; ++I) {
    Unary U = Unary(I);
    const pointwise::UnaryInfo &Row = unaryInfo(U);
    std::vector<AttrSpec> Attrs;
    for (int A = 0; A < 2; ++A)
      if (*Row.Attrs[A])
        Attrs.push_back({Row.Attrs[A], Row.Defaults[A]});
    unary(opKindOf(U), std::move(Attrs),
          U == Unary::Clip ? inferClip : inferLikeFirst,
          U == Unary::Identity ? noFlops : flopsPerOutput);
  }
  // Identity at inference; inverted dropout when training, seeded.
  unary(OpKind::Dropout, {{"ratio", 0.5}, {"seed", int64_t(0)}}, inferDropout,
        noFlops);
  binary(OpKind::Add);
  binary(OpKind::Sub);
  binary(OpKind::Mul);
  binary(OpKind::Div);
  binary(OpKind::Pow); // a ** b, as std::pow
  define({.Kind = OpKind::PRelu,
          .Operands = {"x", "slope"},
          .MinInputs = 2,
          .Infer = inferPRelu,
          .Flops = flopsPerOutput});
}

} // namespace nnc::ir::ops
