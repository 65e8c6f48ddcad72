//===- ir/ops/Optimizer.cpp - Parameter updates as graph ops --------------===//
//
// (param, grad, lr, weight_decay, step, state...) -> (param', state'...).
// lr, weight_decay and step (1 on the first update) are runtime scalars so
// schedules need no recompile; the rest are attributes with PyTorch's names
// and defaults. 'decoupled' applies weight decay as p *= 1 - lr * wd (AdamW)
// instead of adding wd * p to the gradient.
//
//===----------------------------------------------------------------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

Status inferUpdate(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectSameType(N, In, 0, 1));
  for (size_t I = 2; I < 5; ++I)
    if (In[I].numElements() != 1)
      return error(operand(N, In, I), " must be a scalar");
  for (size_t I = 5; I < In.size(); ++I)
    NNC_TRY(expectSameType(N, In, 0, I));
  Out.assign(In.size() - 4, In[0]);
  return Status::success();
}

Status inferSgd(const Node &N, const Types &In, Types &Out) {
  double Momentum = N.Attrs.getFloat("momentum");
  if (Momentum != 0 && In.size() < 6)
    return error("momentum ", Momentum, " needs a momentum_buffer operand");
  if (N.Attrs.getInt("nesterov") &&
      (Momentum <= 0 || N.Attrs.getFloat("dampening") != 0))
    return error("Nesterov momentum requires a momentum and zero dampening");
  return inferUpdate(N, In, Out);
}

Status inferRmsprop(const Node &N, const Types &In, Types &Out) {
  if (N.Attrs.getFloat("momentum") != 0 && In.size() < 7)
    return error("momentum needs a momentum_buffer operand");
  if (N.Attrs.getInt("centered") && In.size() < 8)
    return error("centered needs momentum_buffer and grad_avg operands");
  return inferUpdate(N, In, Out);
}

Status inferAdam(const Node &N, const Types &In, Types &Out) {
  if (N.Attrs.getInt("amsgrad") && In.size() < 8)
    return error("amsgrad needs a max_exp_avg_sq operand");
  return inferUpdate(N, In, Out);
}

int64_t updateFlops(const Node &N) {
  return 6 * N.Inputs[0]->Type.numElements();
}

int64_t onnxUpdateFlops(const Node &N) {
  return 8 * N.Inputs[2]->Type.numElements();
}

/// ONNX training ops: r a float scalar, t an integer scalar, state like x.
Status inferOnnxUpdate(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  if (In[0].numElements() != 1 || In[1].numElements() != 1)
    return error(operand(N, In, 0), " and ", operand(N, In, 1),
                 " must be scalars");
  if (!isInteger(In[1].Elt))
    return error(operand(N, In, 1), " must be an integer step count");
  NNC_TRY(expectFloat(N, In, 2));
  for (size_t I = 3; I < In.size(); ++I)
    NNC_TRY(expectSameType(N, In, 2, I));
  Out.assign(In.size() - 3, In[2]);
  return Status::success();
}

std::vector<std::string> operands(std::initializer_list<const char *> State) {
  std::vector<std::string> Names = {"param", "grad", "lr", "weight_decay",
                                    "step"};
  Names.insert(Names.end(), State.begin(), State.end());
  return Names;
}

AttrSpec decoupled() { return {"decoupled", int64_t(0)}; }

} // namespace

void registerOptimizerOps() {
  define({.Kind = OpKind::SgdUpdate,
          .Operands = operands({"momentum_buffer"}),
          .MinInputs = 5,
          .NumOutputs = -1,
          .Attrs = {{"momentum", 0.0},
                    {"dampening", 0.0},
                    {"nesterov", int64_t(0)},
                    decoupled()},
          .Infer = inferSgd,
          .Flops = updateFlops});
  define({.Kind = OpKind::AdagradUpdate,
          .Operands = operands({"sum"}),
          .MinInputs = 6,
          .NumOutputs = -1,
          .Attrs = {{"lr_decay", 0.0}, {"eps", 1e-10}, decoupled()},
          .Infer = inferUpdate,
          .Flops = updateFlops});
  define({.Kind = OpKind::AdadeltaUpdate,
          .Operands = operands({"square_avg", "acc_delta"}),
          .MinInputs = 7,
          .NumOutputs = -1,
          .Attrs = {{"rho", 0.9}, {"eps", 1e-6}, decoupled()},
          .Infer = inferUpdate,
          .Flops = updateFlops});
  define({.Kind = OpKind::RmspropUpdate,
          .Operands = operands({"square_avg", "momentum_buffer", "grad_avg"}),
          .MinInputs = 6,
          .NumOutputs = -1,
          .Attrs = {{"alpha", 0.99},
                    {"eps", 1e-8},
                    {"momentum", 0.0},
                    {"centered", int64_t(0)},
                    decoupled()},
          .Infer = inferRmsprop,
          .Flops = updateFlops});
  define({.Kind = OpKind::AdamUpdate,
          .Operands = operands({"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
          .MinInputs = 7,
          .NumOutputs = -1,
          .Attrs = {{"beta1", 0.9},
                    {"beta2", 0.999},
                    {"eps", 1e-8},
                    {"amsgrad", int64_t(0)},
                    decoupled()},
          .Infer = inferAdam,
          .Flops = updateFlops});
  define({.Kind = OpKind::OnnxAdagrad,
          .Operands = {"r", "t", "x", "g", "h"},
          .MinInputs = 5,
          .NumOutputs = 2,
          .Attrs = {{"decay_factor", 0.0},
                    {"epsilon", 0.0},
                    {"norm_coefficient", 0.0}},
          .Infer = inferOnnxUpdate,
          .Flops = onnxUpdateFlops});
  define({.Kind = OpKind::OnnxMomentum,
          .Operands = {"r", "t", "x", "g", "v"},
          .MinInputs = 5,
          .NumOutputs = 2,
          .Attrs = {{"alpha", 0.0, true},
                    {"beta", 0.0, true},
                    {"nesterov", int64_t(0)},
                    {"norm_coefficient", 0.0, true}},
          .Infer = inferOnnxUpdate,
          .Flops = onnxUpdateFlops});
  define({.Kind = OpKind::OnnxAdam,
          .Operands = {"r", "t", "x", "g", "v", "h"},
          .MinInputs = 6,
          .NumOutputs = 3,
          .Attrs = {{"alpha", 0.9},
                    {"beta", 0.999},
                    {"epsilon", 0.0},
                    {"norm_coefficient", 0.0},
                    {"norm_coefficient_post", 0.0}},
          .Infer = inferOnnxUpdate,
          .Flops = onnxUpdateFlops});
}

} // namespace nnc::ir::ops
