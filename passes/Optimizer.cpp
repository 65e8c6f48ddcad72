//===- passes/Optimizer.cpp - Optimizer defaults and update ops -----------===//
#include "passes/Optimizer.h"
#include "ir/Builder.h"

namespace nnc::passes {

using namespace nnc::ir;

Expected<ResolvedOptimizer> resolveOptimizer(const OptimizerConfig &C) {
  using K = OptimizerKind;
  ResolvedOptimizer R{};
  R.Kind = C.Kind;
  // PyTorch 1.13's defaults; SGD has none for lr there, 0.01 here.
  double DefaultLr = 0.01, DefaultEps = 1e-8;
  switch (C.Kind) {
  case K::SGD:
  case K::Momentum:
  case K::Nesterov:
    break;
  case K::Adagrad:
    DefaultEps = 1e-10;
    break;
  case K::Adadelta:
    DefaultLr = 1.0;
    DefaultEps = 1e-6;
    break;
  case K::RMSprop:
    break;
  case K::Adam:
    DefaultLr = 1e-3;
    break;
  }
  R.Lr = C.Lr.value_or(DefaultLr);
  R.WeightDecay = C.WeightDecay.value_or(0);
  bool Sgd = C.Kind == K::SGD || C.Kind == K::Momentum || C.Kind == K::Nesterov;
  R.Momentum = C.Momentum.value_or(Sgd && C.Kind != K::SGD ? 0.9 : 0.0);
  R.Dampening = C.Dampening.value_or(0);
  R.Nesterov = C.Kind == K::Nesterov;
  R.Alpha = C.Alpha.value_or(0.99);
  R.Eps = C.Eps.value_or(DefaultEps);
  R.Rho = C.Rho.value_or(0.9);
  R.Beta1 = C.Beta1.value_or(0.9);
  R.Beta2 = C.Beta2.value_or(0.999);
  R.LrDecay = C.LrDecay.value_or(0);
  R.InitialAccumulatorValue = C.InitialAccumulatorValue.value_or(0);
  R.Decoupled = C.DecoupledWeightDecay;
  R.Amsgrad = C.Amsgrad;
  R.Centered = C.Centered;
  R.Maximize = C.Maximize;
  if (R.Amsgrad && C.Kind != K::Adam)
    return error("optimizer: 'amsgrad' applies to Adam and AdamW, not ",
                 optimizerName(C.Kind));
  if (R.Centered && C.Kind != K::RMSprop)
    return error("optimizer: 'centered' applies to RMSprop, not ",
                 optimizerName(C.Kind));
  if (R.Lr < 0 || R.WeightDecay < 0 || R.Eps < 0 || R.Momentum < 0)
    return error("optimizer: lr, weight_decay, eps and momentum must be >= 0");
  if (R.Nesterov && (R.Momentum <= 0 || R.Dampening != 0))
    return error("optimizer: Nesterov momentum requires a momentum > 0 and "
                 "zero dampening");
  if (!(R.Beta1 >= 0 && R.Beta1 < 1 && R.Beta2 >= 0 && R.Beta2 < 1))
    return error("optimizer: betas must be in [0, 1)");
  if (!(R.Rho >= 0 && R.Rho <= 1) || !(R.Alpha >= 0))
    return error("optimizer: rho must be in [0, 1] and alpha >= 0");
  return R;
}

namespace {

struct Slot {
  const char *Name;
  double Init;
};

/// The update op, its attributes and its state slots for one optimizer.
void describe(const ResolvedOptimizer &R, OpKind &Op, Attributes &A,
              std::vector<Slot> &Slots) {
  using K = OptimizerKind;
  A.set("decoupled", int64_t(R.Decoupled));
  switch (R.Kind) {
  case K::SGD:
  case K::Momentum:
  case K::Nesterov:
    Op = OpKind::SgdUpdate;
    A.set("momentum", R.Momentum);
    A.set("dampening", R.Dampening);
    A.set("nesterov", int64_t(R.Nesterov));
    if (R.Momentum != 0)
      Slots = {{"momentum_buffer", 0}};
    return;
  case K::Adagrad:
    Op = OpKind::AdagradUpdate;
    A.set("lr_decay", R.LrDecay);
    A.set("eps", R.Eps);
    Slots = {{"sum", R.InitialAccumulatorValue}};
    return;
  case K::Adadelta:
    Op = OpKind::AdadeltaUpdate;
    A.set("rho", R.Rho);
    A.set("eps", R.Eps);
    Slots = {{"square_avg", 0}, {"acc_delta", 0}};
    return;
  case K::RMSprop:
    Op = OpKind::RmspropUpdate;
    A.set("alpha", R.Alpha);
    A.set("eps", R.Eps);
    A.set("momentum", R.Momentum);
    A.set("centered", int64_t(R.Centered));
    Slots = {{"square_avg", 0}};
    // grad_avg comes after the momentum buffer, which is then kept (and
    // stays zero without momentum).
    if (R.Momentum != 0 || R.Centered)
      Slots.push_back({"momentum_buffer", 0});
    if (R.Centered)
      Slots.push_back({"grad_avg", 0});
    return;
  case K::Adam:
    Op = OpKind::AdamUpdate;
    A.set("beta1", R.Beta1);
    A.set("beta2", R.Beta2);
    A.set("eps", R.Eps);
    A.set("amsgrad", int64_t(R.Amsgrad));
    Slots = {{"exp_avg", 0}, {"exp_avg_sq", 0}};
    if (R.Amsgrad)
      Slots.push_back({"max_exp_avg_sq", 0});
    return;
  }
}

} // namespace

Status appendOptimizer(Graph &G, const ResolvedOptimizer &R,
                       const std::vector<std::pair<Value *, Value *>> &Grads,
                       const OptimizerInputs &In,
                       std::vector<Update> &Updates) {
  Builder B(G);
  OpKind Op;
  Attributes A;
  std::vector<Slot> Slots;
  describe(R, Op, A, Slots);
  for (const auto &[Param, Grad] : Grads) {
    // maximize: every rule of PyTorch's negates the gradient first.
    Value *Step = R.Maximize
                      ? B.op(OpKind::Neg, {Grad}, {}, Param->Name + ".ascent")
                      : Grad;
    std::vector<Value *> Operands = {Param, Step, In.Lr, In.WeightDecay,
                                     In.Step};
    std::vector<Value *> State;
    for (const Slot &S : Slots) {
      std::string Name = Param->Name + "." + S.Name;
      Value *V = G.findValue(Name);
      if (V && (V->Kind != Role::State || V->Type != Param->Type))
        return error("optimizer: tensor '", Name, "' exists but is not a ",
                     Param->Type.str(), " state tensor");
      if (!V) {
        V = B.parameter(Name, Param->DeclaredDims,
                        {S.Init == 0 ? Initializer::Scheme::Zeros
                                     : Initializer::Scheme::Constant,
                         S.Init},
                        Role::State);
        V->Type.Elt = Param->Type.Elt;
      }
      State.push_back(V);
      Operands.push_back(V);
    }
    std::vector<Value *> Outs =
        B.ops(Op, Operands, A, 1 + State.size(), Param->Name + ".update");
    Updates.push_back({Param, Outs[0]});
    for (size_t I = 0; I < State.size(); ++I)
      Updates.push_back({State[I], Outs[I + 1]});
  }
  return B.status();
}

} // namespace nnc::passes
