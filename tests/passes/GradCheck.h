//===- tests/passes/GradCheck.h - Derived vs numerical gradients -*- C++
//-*-===//
#pragma once

#include "../TestUtil.h"
#include "passes/Autodiff.h"

namespace nnc::test {

/// Worst relative error, max |derived - numeric| / max(max |numeric|, 1e-6),
/// over every element of every tensor checked.
struct GradCheckResult {
  double WorstRelError = 0;
  std::string Worst; // which tensor
};

/// Adds loss = sum(Out * R) for a fixed random R to G, derives the gradient
/// of each value in Diff (inputs of G, fed from Feed), and compares it
/// element by element with central differences (step H) on the reference
/// interpreter.
inline Expected<GradCheckResult>
gradCheckGraph(Graph &G, Value *Out, const std::vector<Value *> &Ins,
               interp::TensorMap Feed, const std::vector<Value *> &Diff,
               bool Training = false, double H = 1e-6) {
  Builder B(G);
  Tensor R = randomTensor(Out->Type.Dims, 99);
  Value *RV = B.constant("r", R.Dims, R.Data);
  Value *Loss = B.op(OpKind::ReduceSum, {B.op(OpKind::Mul, {Out, RV})},
                     attrs({{"keepdims", int64_t(0)}}), "loss");
  NNC_TRY(B.status());
  Expected<passes::AutodiffResult> D = passes::differentiate(G, Loss, Diff);
  if (!D.ok())
    return D.status();
  std::vector<Value *> GradValues;
  for (Value *V : Diff) {
    auto It = D->Grads.find(V);
    if (It == D->Grads.end())
      return error("no gradient for ", V->Name);
    GradValues.push_back(It->second);
  }
  G.EntryPoints.push_back({"loss", Ins, {Loss}, {}});
  G.EntryPoints.push_back({"grads", Ins, GradValues, {}});
  NNC_TRY(verify(G));
  Expected<interp::Interpreter> I = interp::Interpreter::create(G);
  if (!I.ok())
    return I.status();
  interp::Options Opts;
  Opts.Training = Training;
  Expected<interp::TensorMap> Derived = I->run("grads", Feed, Opts);
  if (!Derived.ok())
    return Derived.status();

  GradCheckResult Result;
  for (size_t K2 = 0; K2 < Diff.size(); ++K2) {
    const std::string &Name = Diff[K2]->Name;
    const Tensor &A2 = Derived->at(GradValues[K2]->Name);
    std::vector<double> Numeric(Feed[Name].Data.size());
    for (size_t E = 0; E < Numeric.size(); ++E) {
      double Saved = Feed[Name].Data[E];
      double L[2];
      for (int S = 0; S < 2; ++S) {
        Feed[Name].Data[E] = Saved + (S ? -H : H);
        Expected<interp::TensorMap> Out2 = I->run("loss", Feed, Opts);
        if (!Out2.ok())
          return Out2.status();
        L[S] = Out2->at("loss").Data[0];
      }
      Feed[Name].Data[E] = Saved;
      Numeric[E] = (L[0] - L[1]) / (2 * H);
    }
    double Scale = 1e-6, Err = 0;
    for (size_t E = 0; E < Numeric.size(); ++E) {
      Scale = std::max(Scale, std::fabs(Numeric[E]));
      Err = std::max(Err, std::fabs(A2.Data[E] - Numeric[E]));
    }
    if (Err / Scale >= Result.WorstRelError) {
      Result.WorstRelError = Err / Scale;
      Result.Worst = Name;
    }
  }
  return Result;
}

/// gradCheckGraph for one op: loss = sum(op(inputs) * R), gradients for the
/// inputs marked in Wrt.
inline Expected<GradCheckResult>
gradCheckOp(OpKind K, const std::vector<Tensor> &Inputs,
            const std::vector<bool> &Wrt, Attributes A = {},
            bool Training = false, size_t NumOutputs = 1, double H = 1e-6) {
  Graph G;
  Builder B(G);
  std::vector<Value *> Ins, Diff;
  interp::TensorMap Feed;
  for (size_t I = 0; I < Inputs.size(); ++I) {
    std::string Name = "in" + std::to_string(I);
    Ins.push_back(B.input(Name, Inputs[I].Dims, Inputs[I].Elt));
    Feed[Name] = Inputs[I];
    if (I < Wrt.size() && Wrt[I])
      Diff.push_back(Ins.back());
  }
  Value *Out = B.ops(K, Ins, std::move(A), NumOutputs, "out")[0];
  NNC_TRY(B.status());
  return gradCheckGraph(G, Out, Ins, std::move(Feed), Diff, Training, H);
}

#define EXPECT_GRADIENTS_MATCH(Call)                                           \
  do {                                                                         \
    auto R_ = (Call);                                                          \
    ASSERT_TRUE(R_.ok()) << R_.status().message();                             \
    EXPECT_LT(R_->WorstRelError, 1e-6) << "worst: " << R_->Worst;              \
  } while (0)

} // namespace nnc::test
