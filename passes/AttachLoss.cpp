#include "passes/AttachLoss.h"

#include "ir/Builder.h"
#include "ir/Verifier.h"

namespace nnc::passes {

using namespace nnc::ir;

Expected<OpKind> parseLoss(const std::string &Name) {
  if (Name == "softmax-ce")
    return OpKind::SoftmaxCrossEntropy;
  if (Name == "nll")
    return OpKind::NllLoss;
  if (Name == "mse")
    return OpKind::MseLoss;
  if (Name == "bce")
    return OpKind::BceLoss;
  if (Name == "bce-logits")
    return OpKind::BceWithLogitsLoss;
  return error("unknown loss '", Name,
               "' (softmax-ce, nll, mse, bce, bce-logits)");
}

Status attachLoss(Graph &G, OpKind Loss, const std::string &Output,
                  const OptimizerConfig &Optimizer) {
  if (G.Training)
    return error("the model already has a loss ('", G.Training->Loss->Name,
                 "')");
  const EntryPoint *Infer = G.findEntry("infer");
  Value *Out = nullptr;
  if (!Output.empty()) {
    Out = G.findValue(Output);
    if (!Out || !isComputed(Out->Kind))
      return error("no computed tensor named '", Output, "' to put a loss on");
  } else if (Infer && Infer->Outputs.size() == 1) {
    Out = Infer->Outputs[0];
  } else {
    return error("the model has several outputs; name one with --output");
  }
  if (G.findValue("label") || G.findValue("loss"))
    return error("the model already has tensors named 'label' or 'loss'");
  Shape Dims = Out->Type.Dims;
  if (Dims.empty())
    return error("output '", Out->Name, "' has no batch dimension");
  Dims[0] = -1;
  Builder B(G);
  bool Classes = Loss == OpKind::SoftmaxCrossEntropy || Loss == OpKind::NllLoss;
  Value *Label = Classes ? B.label("label", {-1}, DType::I64)
                         : B.label("label", Dims, Out->Type.Elt);
  Value *L = B.op(Loss, {Out, Label}, {}, "loss");
  NNC_TRY(B.status());
  L->Kind = Role::Output;
  TrainingConfig T;
  T.Loss = L;
  T.Optimizer = Optimizer;
  if (Loss != OpKind::MseLoss)
    T.Metrics = {"accuracy"};
  G.Training = std::move(T);
  return verify(G);
}

} // namespace nnc::passes
