//===- backend/interp/Training.cpp - Forward ops of training graphs -------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

Status evalDropoutMask(const Node &N, EvalContext &Ctx, const Args &,
                       Results &Out) {
  double P = N.Attrs.getFloat("ratio"), Keep = 1 / (1 - P);
  SplitMix64 Rng = Ctx.rngFor(N);
  for (double &M : Out[0].Data)
    M = Rng.uniform() < P ? 0.0 : Keep;
  return Status::success();
}

// y from the batch's mean and biased variance; the running statistics move
// toward the batch's mean and unbiased variance by 'momentum' (PyTorch).
Status evalBatchNormTrain(const Node &N, EvalContext &, const Args &In,
                          Results &Out) {
  const Tensor &X = *In[0];
  int64_t C = X.Dims[1], Inner = X.numElements() / (X.Dims[0] * C);
  int64_t Count = X.Dims[0] * Inner;
  if (Count < 2)
    return error("training needs more than one value per channel, found ",
                 Count);
  std::vector<double> Mean, Var;
  channelMoments(X, Mean, Var);
  double Eps = N.Attrs.getFloat("epsilon"), Mom = N.Attrs.getFloat("momentum");
  normalizeChannels(X, *In[1], *In[2], Mean, Var, Eps, Out[0]);
  for (int64_t Ch = 0; Ch < C; ++Ch) {
    double Unbiased = N.Attrs.getInt("unbiased")
                          ? Var[size_t(Ch)] * double(Count) / double(Count - 1)
                          : Var[size_t(Ch)];
    Out[1][Ch] = (1 - Mom) * (*In[3])[Ch] + Mom * Mean[size_t(Ch)];
    Out[2][Ch] = (1 - Mom) * (*In[4])[Ch] + Mom * Unbiased;
  }
  return Status::success();
}

Status evalSlice(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  int64_t Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += int64_t(X.Dims.size());
  int64_t Outer, Extent, Inner;
  splitAt(X.Dims, Axis, Outer, Extent, Inner);
  int64_t Start = N.Attrs.getInt("start"), Len = N.Attrs.getInt("end") - Start;
  for (int64_t O = 0; O < Outer; ++O)
    std::copy_n(X.Data.begin() + (O * Extent + Start) * Inner, Len * Inner,
                Out[0].Data.begin() + O * Len * Inner);
  return Status::success();
}

Status evalCorrectCount(const Node &, EvalContext &, const Args &In,
                        Results &Out) {
  const Tensor &Z = *In[0], &Labels = *In[1];
  int64_t N = Z.Dims[0], C = Z.Dims[1], Correct = 0;
  for (int64_t R = 0; R < N; ++R) {
    const double *Row = Z.Data.data() + R * C;
    Correct += std::max_element(Row, Row + C) - Row == int64_t(Labels[R]);
  }
  Out[0][0] = double(Correct);
  return Status::success();
}

} // namespace

void kernels::registerTraining() {
  define(OpKind::DropoutMask, evalDropoutMask);
  define(OpKind::BatchNormTrain, evalBatchNormTrain);
  define(OpKind::Slice, evalSlice);
  define(OpKind::CorrectCount, evalCorrectCount);
}

} // namespace nnc::interp
