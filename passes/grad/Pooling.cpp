//===- passes/grad/Pooling.cpp - Rules for pooling and normalization ------===//
#include "passes/grad/GradRules.h"

namespace nnc::passes::grad {
namespace {

using namespace nnc::ir;

Status pool(Context &C, std::vector<Value *> &DIn) {
  Attributes A = C.attrsFor(OpKind::PoolGrad);
  A.set("pool", std::string(C.N.opName()));
  DIn[0] = C.op(OpKind::PoolGrad, {C.in(0), C.out(0), C.DOut[0]}, A);
  return Status::success();
}

/// BatchNorm with running statistics (training = 0) or BatchNormTrain with
/// the batch's (training = 1); the statistics themselves get no gradient.
template <int Training>
Status batchNorm(Context &C, std::vector<Value *> &DIn) {
  if (C.needs(3) || C.needs(4))
    return error("no gradient for the running mean and variance");
  Attributes A = attrs({{"epsilon", C.N.Attrs.getFloat("epsilon")},
                        {"training", int64_t(Training)}});
  std::vector<Value *> D =
      C.ops(OpKind::BatchNormGrad,
            {C.in(0), C.in(1), C.in(3), C.in(4), C.DOut[0]}, A, 3);
  DIn[0] = D[0];
  DIn[1] = D[1];
  DIn[2] = D[2];
  return Status::success();
}

Status lrn(Context &C, std::vector<Value *> &DIn) {
  DIn[0] =
      C.op(OpKind::LRNGrad, {C.in(0), C.DOut[0]}, C.attrsFor(OpKind::LRNGrad));
  return Status::success();
}

} // namespace

void registerPooling() {
  for (OpKind K : {OpKind::MaxPool, OpKind::AvgPool, OpKind::GlobalAvgPool,
                   OpKind::GlobalMaxPool, OpKind::StochasticPool})
    define(K, pool);
  define(OpKind::BatchNorm, batchNorm<0>);
  define(OpKind::BatchNormTrain, batchNorm<1>);
  define(OpKind::LRN, lrn);
}

} // namespace nnc::passes::grad
