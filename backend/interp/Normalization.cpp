//===- backend/interp/Normalization.cpp - BatchNorm, LRN ------------------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"

#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

// Inference normalizes with the running statistics; training mode (nnc run
// --training) with the batch's. Training graphs use BatchNormTrain, which
// also returns the updated running statistics.
Status evalBatchNorm(const Node &N, EvalContext &Ctx, const Args &In,
                     Results &Out) {
  std::vector<double> Mean(In[3]->Data), Var(In[4]->Data);
  if (Ctx.Opts.Training)
    channelMoments(*In[0], Mean, Var);
  normalizeChannels(*In[0], *In[1], *In[2], Mean, Var,
                    N.Attrs.getFloat("epsilon"), Out[0]);
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
