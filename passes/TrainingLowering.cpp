//===- passes/TrainingLowering.cpp - Training semantics as explicit ops ---===//
#include "ir/Builder.h"
#include "ir/RecurrentOps.h"
#include "passes/TrainStep.h"

namespace nnc::passes {

using namespace nnc::ir;

Status lowerForTraining(Graph &G, std::vector<Update> &Updates,
                        bool LowerDropout, bool LowerBatchNorm) {
  Builder B(G);
  std::vector<Node *> Nodes;
  for (const auto &N : G.nodes())
    Nodes.push_back(N.get());
  for (Node *N : Nodes) {
    if (LowerDropout && N->Op == OpKind::Dropout &&
        N->Attrs.getFloat("ratio") > 0) {
      // Backward needs the mask the forward drew: make it a value.
      Attributes A = N->Attrs;
      Value *Mask =
          B.op(OpKind::DropoutMask, {N->Inputs[0]}, A, N->Name + ".mask");
      N->Op = OpKind::Mul;
      N->Inputs = {N->Inputs[0], Mask};
      N->Attrs = Attributes();
    } else if (LowerBatchNorm && N->Op == OpKind::BatchNorm) {
      N->Op = OpKind::BatchNormTrain;
      for (int I = 3; I < 5; ++I) {
        Value *Running = N->Inputs[size_t(I)];
        Value *Next = G.addValue(N->Name + (I == 3 ? ".new_mean" : ".new_var"),
                                 Role::Activation, Running->Type);
        Next->Producer = N;
        N->Outputs.push_back(Next);
        // Frozen (constant) statistics are used but never moved.
        if (Running->Kind == Role::State)
          Updates.push_back({Running, Next});
      }
    } else if (isRecurrent(N->Op) &&
               N->Outputs.size() == recurrentOutputs(N->Op)) {
      // Backpropagation through time reads the gates and states of every
      // step: an output planned like any other.
      N->Attrs.set("save_for_backward", int64_t(1));
      std::vector<TensorType> In, Out;
      for (const Value *V : N->Inputs)
        In.push_back(V->Type);
      NNC_TRY(N->info().Infer(*N, In, Out).withPrefix(N->describe()));
      Value *Saved =
          G.addValue(N->Name + ".saved", Role::Activation, Out.back());
      Saved->Producer = N;
      N->Outputs.push_back(Saved);
    } else if (LowerBatchNorm && N->Op == OpKind::BatchNormTrain) {
      for (size_t I = 1; I < N->Outputs.size() && I < 3; ++I)
        if (N->Inputs[2 + I]->Kind == Role::State)
          Updates.push_back({N->Inputs[2 + I], N->Outputs[I]});
    }
  }
  NNC_TRY(B.status());
  // The masks were appended after their users.
  return G.sortTopologically();
}

Status useRunningStatistics(Graph &G) {
  std::vector<Node *> Nodes;
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::BatchNormTrain)
      Nodes.push_back(N.get());
  for (Node *N : Nodes) {
    N->Op = OpKind::BatchNorm;
    N->Attrs = attrs({{"epsilon", N->Attrs.getFloat("epsilon")},
                      {"momentum", N->Attrs.getFloat("momentum")}});
    for (size_t I = 1; I < N->Outputs.size(); ++I)
      N->Outputs[I]->Producer =
          G.addNode(OpKind::Identity, N->Name + ".running" + std::to_string(I),
                    {N->Inputs[2 + I]}, {N->Outputs[I]});
    N->Outputs.resize(1);
  }
  return G.sortTopologically();
}

} // namespace nnc::passes
