//===- tests/TestUtil.h - Helpers shared by the unit tests ------*- C++ -*-===//
#pragma once

#include "backend/interp/Interpreter.h"
#include "ir/Builder.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"

#include <cmath>
#include <gtest/gtest.h>

namespace nnc::test {

using interp::Tensor;
using Ints = std::vector<int64_t>;
using namespace nnc::ir;

/// Fresh non-zero values in [Lo, Hi) (never closer to 0 than 1e-3).
inline Tensor randomTensor(Shape Dims, uint64_t Seed, double Lo = -1,
                           double Hi = 1) {
  SplitMix64 Rng(Seed);
  Tensor T(DType::F32, std::move(Dims));
  for (double &V : T.Data) {
    do
      V = Lo + (Hi - Lo) * Rng.uniform();
    while (std::fabs(V) < 1e-3);
  }
  return T;
}

inline Tensor tensor(Shape Dims, std::vector<double> Data,
                     DType T = DType::F32) {
  return Tensor(T, std::move(Dims), std::move(Data));
}

/// Builds a graph with one node of kind K fed by the given tensors, verifies
/// it and runs it on the reference interpreter.
inline Expected<Tensor> runOp(OpKind K, const std::vector<Tensor> &Inputs,
                              Attributes A = {}, bool Training = false,
                              uint64_t Seed = 0) {
  Graph G;
  Builder B(G);
  std::vector<Value *> Ins;
  interp::TensorMap Feed;
  for (size_t I = 0; I < Inputs.size(); ++I) {
    std::string Name = "in" + std::to_string(I);
    Ins.push_back(B.input(Name, Inputs[I].Dims, Inputs[I].Elt));
    Feed[Name] = Inputs[I];
  }
  Value *Out = B.op(K, Ins, std::move(A), "out");
  B.entry("infer", Ins, {Out});
  NNC_TRY(B.status());
  NNC_TRY(verify(G));
  Expected<interp::Interpreter> I = interp::Interpreter::create(G);
  if (!I.ok())
    return I.status();
  interp::Options Opts;
  Opts.Training = Training;
  Opts.Seed = Seed;
  Expected<interp::TensorMap> R = I->run("infer", Feed, Opts);
  if (!R.ok())
    return R.status();
  return R->at("out");
}

/// Output type of a single node, by shape inference alone.
inline Expected<TensorType>
inferOp(OpKind K, const std::vector<TensorType> &Inputs, Attributes A = {}) {
  Graph G;
  Builder B(G);
  std::vector<Value *> Ins;
  for (size_t I = 0; I < Inputs.size(); ++I)
    Ins.push_back(
        B.input("in" + std::to_string(I), Inputs[I].Dims, Inputs[I].Elt));
  Value *Out = B.op(K, Ins, std::move(A), "out");
  NNC_TRY(B.status());
  return Out->Type;
}

#define EXPECT_OK(Expr)                                                        \
  do {                                                                         \
    const auto &NncStatus_ = (Expr);                                           \
    EXPECT_TRUE(NncStatus_.ok()) << NncStatus_.status().message();             \
  } while (0)

#define ASSERT_OK(Expr)                                                        \
  do {                                                                         \
    const auto &NncStatus_ = (Expr);                                           \
    ASSERT_TRUE(NncStatus_.ok()) << NncStatus_.status().message();             \
  } while (0)

/// Element-wise comparison with a tolerance relative to the largest value.
inline void expectNear(const Tensor &Got, const std::vector<double> &Want,
                       double Tol = 1e-9) {
  ASSERT_EQ(Got.Data.size(), Want.size());
  double Scale = 1;
  for (double W : Want)
    Scale = std::max(Scale, std::fabs(W));
  for (size_t I = 0; I < Want.size(); ++I)
    EXPECT_NEAR(Got.Data[I], Want[I], Tol * Scale) << "at element " << I;
}

} // namespace nnc::test
