//===- passes/TrainStep.cpp - The training pipeline, step by step ---------===//
#include "passes/TrainStep.h"

#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/DataParallel.h"
#include "passes/Optimizer.h"

#include <algorithm>

namespace nnc::passes {

using namespace nnc::ir;

namespace {

/// loss + l1 * sum|w| + l2 * sum w^2 over the weights (trainable parameters
/// of rank >= 2; biases and normalization scales are not penalized).
Value *regularize(Graph &G, Value *Loss, double L1, double L2) {
  if (L1 == 0 && L2 == 0)
    return Loss;
  Builder B(G);
  Value *Total = Loss;
  auto Penalty = [&](Value *W, Value *Pointwise, double Coef, const char *Tag) {
    Value *Term =
        B.op(OpKind::ReduceSum, {Pointwise}, attrs({{"keepdims", int64_t(0)}}),
             "reg/" + W->Name + "/" + Tag);
    Value *C = B.constant("reg/" + W->Name + "/" + Tag + ".coef", {}, {Coef},
                          W->Type.Elt);
    Total = B.op(OpKind::Add, {Total, B.op(OpKind::Mul, {Term, C})});
  };
  for (Value *W : G.valuesWithRole(Role::Parameter)) {
    if (!W->Trainable || W->Type.rank() < 2)
      continue;
    if (L1 != 0)
      Penalty(W, B.op(OpKind::Abs, {W}), L1, "l1");
    if (L2 != 0)
      Penalty(W, B.op(OpKind::Mul, {W, W}), L2, "l2");
  }
  return Total;
}

Value *scalarInput(Graph &G, const char *Name) {
  Value *V = G.addValue(Name, Role::Input, TensorType{DType::F32, {}});
  return V;
}

} // namespace

Expected<TrainStep> buildTrainStep(Graph &G, bool BatchStatistics,
                                   StepObserver *Obs,
                                   const DataParallel &Parallel) {
  if (!G.Training || !G.Training->Loss)
    return error("the model has no training table (loss and optimizer)");
  if (Obs)
    Obs->started();
  TrainStep S;
  Expected<ResolvedOptimizer> Opt = resolveOptimizer(G.Training->Optimizer);
  if (!Opt.ok())
    return Opt.status();
  S.Optimizer = *Opt;
  S.Loss = G.Training->Loss;
  const Node *LossNode = S.Loss->Producer;

  std::vector<Update> Updates;
  if (!BatchStatistics)
    NNC_TRY(useRunningStatistics(G));
  NNC_TRY(lowerForTraining(G, Updates, /*LowerDropout=*/true,
                           /*LowerBatchNorm=*/BatchStatistics));
  NNC_TRY(synchronizeBatchNorm(G, Parallel));
  NNC_TRY(observe(Obs, TrainStepSteps[0], G));

  std::vector<const Value *> Fed;
  G.nodesReaching({S.Loss}, &Fed);
  for (const Value *V : Fed) // a value's id is its index in the graph
    S.DataInputs.push_back(G.values()[size_t(V->Id)].get());
  std::sort(S.DataInputs.begin(), S.DataInputs.end(),
            [](const Value *A, const Value *B) { return A->Id < B->Id; });

  Value *Objective = regularize(G, S.Loss, G.Training->L1, G.Training->L2);
  NNC_TRY(observe(Obs, TrainStepSteps[1], G));

  std::vector<Value *> Params;
  for (Value *P : G.valuesWithRole(Role::Parameter))
    if (P->Trainable)
      Params.push_back(P);
  Expected<AutodiffResult> D = differentiate(G, Objective, Params);
  if (!D.ok())
    return D.status();
  NNC_TRY(observe(Obs, TrainStepSteps[2], G));
  std::vector<std::pair<Value *, Value *>> Grads;
  for (Value *P : Params)
    if (auto It = D->Grads.find(P); It != D->Grads.end())
      Grads.push_back({P, It->second});

  NNC_TRY(averageGradients(G, Parallel, Grads));
  S.Lr = scalarInput(G, "train.lr");
  S.WeightDecay = scalarInput(G, "train.weight_decay");
  S.Step = scalarInput(G, "train.step");
  NNC_TRY(appendOptimizer(G, S.Optimizer, Grads, {S.Lr, S.WeightDecay, S.Step},
                          Updates));

  EntryPoint E{TrainStepName, S.DataInputs, {S.Loss}, Updates, true};
  E.Inputs.insert(E.Inputs.end(), {S.Lr, S.WeightDecay, S.Step});
  // Accuracy for the [N, C] classification losses.
  if (LossNode && LossNode->Inputs[0]->Type.rank() == 2 &&
      (LossNode->Op == OpKind::SoftmaxCrossEntropy ||
       LossNode->Op == OpKind::NllLoss)) {
    Builder B(G);
    S.Correct =
        B.op(OpKind::CorrectCount, {LossNode->Inputs[0], LossNode->Inputs[1]},
             {}, "train.correct");
    NNC_TRY(B.status());
    E.Outputs.push_back(S.Correct);
  }
  if (Parallel.Ranks > 1)
    NNC_TRY(scheduleCollectives(G));
  std::erase_if(G.EntryPoints,
                [](const EntryPoint &X) { return X.Name == TrainStepName; });
  G.EntryPoints.push_back(std::move(E));
  NNC_TRY(verify(G).withPrefix("train step"));
  NNC_TRY(observe(Obs, TrainStepSteps[3], G));
  return S;
}

} // namespace nnc::passes
