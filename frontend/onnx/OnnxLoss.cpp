//===- frontend/onnx/OnnxLoss.cpp - SoftmaxCrossEntropyLoss and NLL -------===//
//
// Both ONNX losses become nnc's NllLoss (reduction, class weights,
// ignore_index, inputs [N, C, d1.., dk]); SoftmaxCrossEntropyLoss puts a
// LogSoftmax over the class axis before it, which is also its optional
// 'log_prob' output. Only the plainest form (rows, mean, no weights, no
// ignore_index) uses the fused SoftmaxCrossEntropy kernel.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxInternal.h"

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;

namespace {

bool present(const onnx::NodeProto &N, int I) {
  return I < N.input_size() && !N.input(I).empty();
}

Value *nllLoss(Context &C, const onnx::NodeProto &N, Value *LogProbs) {
  std::vector<Value *> Ins = {LogProbs, C.value(N, 1)};
  if (present(N, 2)) {
    Value *W = C.value(N, 2);
    // PyTorch keeps class weights in a buffer, never trained; an exported
    // initializer holding them is therefore a constant, not a parameter.
    if (W->Kind == Role::Parameter)
      W->Kind = Role::Constant;
    Ins.push_back(W);
  }
  Attributes A = attrs({{"reduction", attrString(N, "reduction", "mean")},
                        {"ignore_index", hasAttr(N, "ignore_index")
                                             ? attrInt(N, "ignore_index", 0)
                                             : NoIgnoreIndex}});
  return C.B.op(OpKind::NllLoss, Ins, A, C.name(N));
}

} // namespace

Status convertSoftmaxCrossEntropyLoss(Context &C, const onnx::NodeProto &N) {
  Value *Scores = C.value(N, 0);
  bool LogProbOut = N.output_size() > 1 && !N.output(1).empty();
  if (Scores->Type.rank() == 2 && !present(N, 2) && !LogProbOut &&
      !hasAttr(N, "ignore_index") &&
      attrString(N, "reduction", "mean") == "mean") {
    C.define(N, {C.B.op(OpKind::SoftmaxCrossEntropy, {Scores, C.value(N, 1)},
                        {}, C.name(N))});
    return Status::success();
  }
  Value *LogProbs = C.B.op(OpKind::LogSoftmax, {Scores},
                           attrs({{"axis", int64_t(1)}}), C.name(N) + ".lp");
  C.define(N, {nllLoss(C, N, LogProbs), LogProbs});
  return Status::success();
}

Status convertNegativeLogLikelihoodLoss(Context &C, const onnx::NodeProto &N) {
  C.define(N, {nllLoss(C, N, C.value(N, 0))});
  return Status::success();
}

} // namespace nnc::frontend::onnx_import
