//===- ir/ops/Training.cpp - Forward ops of training graphs ---------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

// DropoutMask: 0 with probability ratio, else 1 / (1 - ratio); the training
// lowering turns Dropout(x) into x * DropoutMask(x) so backward can reuse it.
Status inferDropoutMask(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  double P = N.Attrs.getFloat("ratio");
  if (!(P >= 0 && P < 1))
    return error("attribute 'ratio' must be in [0, 1), found ", P);
  Out = {In[0]};
  return Status::success();
}

// BatchNormTrain: normalizes with the batch's statistics and also returns the
// running mean and variance moved toward them (PyTorch's momentum).
Status inferBatchNormTrain(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(checkBatchNorm(N, In));
  Out = {In[0], In[3], In[4]};
  return Status::success();
}

// Slice [start, end) of one axis.
Status inferSlice(const Node &N, const Types &In, Types &Out) {
  Expected<int64_t> Axis = normalizeAxis(N.Attrs.getInt("axis"), In[0].rank());
  if (!Axis.ok())
    return Axis.status();
  int64_t Start = N.Attrs.getInt("start"), End = N.Attrs.getInt("end");
  int64_t Size = In[0].Dims[*Axis];
  if (Start < 0 || End > Size || Start >= End)
    return error("slice [", Start, ", ", End, ") is outside axis ", *Axis,
                 " of size ", Size);
  Out = {In[0]};
  Out[0].Dims[*Axis] = End - Start;
  return Status::success();
}

// CorrectCount: how many rows of logits [N, C] have their (first) maximum at
// the label; a scalar of the logits' type.
Status inferCorrectCount(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 2));
  NNC_TRY(expectInteger(N, In, 1));
  if (In[1].rank() != 1 || In[1].Dims[0] != In[0].Dims[0])
    return error(operand(N, In, 1), " must be [", In[0].Dims[0], "]");
  Out = {TensorType{In[0].Elt, {}}};
  return Status::success();
}

int64_t inputElements(const Node &N) { return N.Inputs[0]->Type.numElements(); }
int64_t bnTrainFlops(const Node &N) { return 5 * inputElements(N); }

} // namespace

void registerTrainingOps() {
  define({.Kind = OpKind::DropoutMask,
          .Operands = {"x"},
          .Attrs = {{"ratio", 0.5}, {"seed", int64_t(0)}},
          .Infer = inferDropoutMask,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::BatchNormTrain,
          .Operands = {"x", "scale", "bias", "mean", "var"},
          .MinInputs = 5,
          .NumOutputs = 3,
          // unbiased: the running variance moves toward the unbiased batch
          // variance (PyTorch) or the biased one (ONNX's reference).
          .Attrs = {{"epsilon", 1e-5},
                    {"momentum", 0.1},
                    {"unbiased", int64_t(1)}},
          .Infer = inferBatchNormTrain,
          .Flops = bnTrainFlops});
  define({.Kind = OpKind::Slice,
          .Operands = {"x"},
          .Attrs = {{"axis", int64_t(0), true},
                    {"start", int64_t(0), true},
                    {"end", int64_t(0), true}},
          .Infer = inferSlice,
          .Flops = noFlops});
  define({.Kind = OpKind::CorrectCount,
          .Operands = {"logits", "labels"},
          .MinInputs = 2,
          .Infer = inferCorrectCount,
          .Flops = inputElements});
}

} // namespace nnc::ir::ops
