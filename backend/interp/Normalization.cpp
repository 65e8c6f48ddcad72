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
  double Beta = N.Attrs.getFloat("beta");
  std::vector<double> S = lrnScales(X, N.Attrs.getInt("size"),
                                    N.Attrs.getFloat("alpha"),
                                    N.Attrs.getFloat("bias"));
  for (int64_t I = 0; I < X.numElements(); ++I)
    Out[0][I] = X[I] / std::pow(S[size_t(I)], Beta);
  return Status::success();
}

} // namespace

void kernels::registerNormalization() {
  define(OpKind::BatchNorm, evalBatchNorm);
  define(OpKind::LRN, evalLRN);
}

} // namespace nnc::interp
