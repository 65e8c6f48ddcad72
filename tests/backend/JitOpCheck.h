// checkOp: one op, forward and backward, the JIT against the reference
// interpreter on given inputs. The graph is the gradient check's, loss =
// sum(op(inputs) * R); the entry points return the op's outputs (1e-5
// relative) and the gradients of its float inputs (1e-4).
#pragma once

#include "JitTestUtil.h"
#include "passes/Autodiff.h"

namespace nnc::test {

inline Tensor rnd(Shape S, uint64_t Seed, double Lo = -1, double Hi = 1) {
  return randomTensor(std::move(S), Seed, Lo, Hi);
}

/// A ReLU's output on a coarse grid: most 2x2 windows hold equal maxima
/// (zeros, halves), where "the first maximum, kh-major" decides which
/// element gets the gradient.
inline Tensor tied(Shape S, uint64_t Seed) {
  Tensor T = rnd(std::move(S), Seed, -1, 2);
  for (double &X : T.Data)
    X = std::max(0.0, std::round(X * 2) / 2);
  return T;
}

struct OpCase {
  OpKind K;
  std::vector<Tensor> Inputs;
  std::vector<bool> Wrt; // differentiate with respect to these
  Attributes A = {};
  size_t NumOutputs = 1;
  std::string Label = "";
};

inline void checkOp(const OpCase &C, bool Training = false, uint64_t Seed = 0) {
  Graph G;
  Builder B(G);
  std::vector<Value *> Ins, Diff;
  interp::TensorMap Feed;
  for (size_t I = 0; I < C.Inputs.size(); ++I) {
    std::string Name = "in" + std::to_string(I);
    Ins.push_back(B.input(Name, C.Inputs[I].Dims, C.Inputs[I].Elt));
    Feed[Name] = C.Inputs[I];
    if (I < C.Wrt.size() && C.Wrt[I])
      Diff.push_back(Ins.back());
  }
  std::vector<Value *> Outs = B.ops(C.K, Ins, C.A, C.NumOutputs, "out");
  ASSERT_OK(B.status());
  G.EntryPoints.push_back({"forward", Ins, Outs, {}});
  if (!Diff.empty()) {
    Tensor R = rnd(Outs[0]->Type.Dims, 99);
    Value *RV = B.constant("r", R.Dims, R.Data);
    Value *Loss = B.op(OpKind::ReduceSum, {B.op(OpKind::Mul, {Outs[0], RV})},
                       attrs({{"keepdims", int64_t(0)}}), "loss");
    ASSERT_OK(B.status());
    auto D = passes::differentiate(G, Loss, Diff);
    ASSERT_OK(D);
    std::vector<Value *> Grads;
    for (Value *V : Diff)
      Grads.push_back(D->Grads.at(V));
    G.EntryPoints.push_back({"grads", Ins, Grads, {}});
  }
  ASSERT_OK(verify(G));
  auto Jit = makeEngine(G, backend::EngineKind::Jit);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  ASSERT_TRUE(Jit && Ref);
  interp::Options Opts;
  Opts.Training = Training;
  Opts.Seed = Seed;
  expectEnginesAgree(*Jit, *Ref, "forward", Feed, 1e-5, Opts);
  if (!Diff.empty())
    expectEnginesAgree(*Jit, *Ref, "grads", Feed, 1e-4, Opts);
}

} // namespace nnc::test
