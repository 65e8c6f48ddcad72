//===- backend/interp/Normalization.cpp - BatchNorm, LRN ------------------===//
#include "backend/interp/Kernels.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

// Inference normalizes with the running statistics. Training normalizes with
// the batch's mean and biased variance, and moves the running statistics
// toward the batch's (unbiased variance), as PyTorch does.
Status evalBatchNorm(const Node &N, EvalContext &Ctx, const Args &In,
                     Results &Out) {
  const Tensor &X = *In[0], &Scale = *In[1], &Bias = *In[2];
  int64_t C = X.Dims[1], Batch = X.Dims[0];
  int64_t Inner = X.numElements() / (Batch * C);
  double Eps = N.Attrs.getFloat("epsilon");
  std::vector<double> Mean(In[3]->Data), Var(In[4]->Data);
  if (Ctx.Opts.Training) {
    int64_t Count = Batch * Inner;
    if (Count < 2)
      return error("training needs more than one value per channel, found ",
                   Count);
    for (int64_t Ch = 0; Ch < C; ++Ch) {
      double Sum = 0, Sq = 0;
      for (int64_t B = 0; B < Batch; ++B)
        for (int64_t I = 0; I < Inner; ++I)
          Sum += X[(B * C + Ch) * Inner + I];
      double M = Sum / double(Count);
      for (int64_t B = 0; B < Batch; ++B)
        for (int64_t I = 0; I < Inner; ++I) {
          double D = X[(B * C + Ch) * Inner + I] - M;
          Sq += D * D;
        }
      Mean[size_t(Ch)] = M;
      Var[size_t(Ch)] = Sq / double(Count);
      // Running statistics are state; only stored tensors are updated.
      double Mom = N.Attrs.getFloat("momentum");
      auto Update = [&](const Value *V, double Batched) {
        auto It = Ctx.Stored.find(V);
        if (It != Ctx.Stored.end())
          It->second[Ch] = (1 - Mom) * It->second[Ch] + Mom * Batched;
      };
      Update(N.Inputs[3], M);
      Update(N.Inputs[4], Sq / double(Count - 1));
    }
  }
  for (int64_t I = 0; I < X.numElements(); ++I) {
    size_t Ch = size_t((I / Inner) % C);
    Out[0][I] =
        Scale[int64_t(Ch)] * (X[I] - Mean[Ch]) / std::sqrt(Var[Ch] + Eps) +
        Bias[int64_t(Ch)];
  }
  return Status::success();
}

Status evalLRN(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  int64_t Size = N.Attrs.getInt("size");
  double Alpha = N.Attrs.getFloat("alpha"), Beta = N.Attrs.getFloat("beta"),
         Bias = N.Attrs.getFloat("bias");
  int64_t C = X.Dims[1], Batch = X.Dims[0];
  int64_t Inner = X.numElements() / (Batch * C);
  int64_t Before = (Size - 1) / 2, After = Size - 1 - Before;
  for (int64_t B = 0; B < Batch; ++B)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        double Sq = 0;
        for (int64_t K = std::max<int64_t>(0, Ch - Before);
             K <= std::min(C - 1, Ch + After); ++K) {
          double V = X[(B * C + K) * Inner + I];
          Sq += V * V;
        }
        int64_t At = (B * C + Ch) * Inner + I;
        Out[0][At] = X[At] / std::pow(Bias + Alpha / double(Size) * Sq, Beta);
      }
  return Status::success();
}

} // namespace

void kernels::registerNormalization() {
  define(OpKind::BatchNorm, evalBatchNorm);
  define(OpKind::LRN, evalLRN);
}

} // namespace nnc::interp
