//===- passes/TrainingLowering.cpp - Training semantics as explicit ops ---===//
#include "ir/Builder.h"
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
    }
  }
  NNC_TRY(B.status());
  // The masks were appended after their users.
  return G.sortTopologically();
}

} // namespace nnc::passes
