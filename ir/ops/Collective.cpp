//===- ir/ops/Collective.cpp - Gradients summed over ranks ----------------===//
//
// A data-parallel train step (passes/Collectives.h) sends its gradients
// through pairs of these ops, one pair per bucket of gradients:
//
//   AllReduceStart(g1, ..., gk) -> bucket [n1 + ... + nk]
//     packs the gradients into the bucket and starts its sum over the
//     ranks (nnc_collective::allreduce_start), which runs on while later
//     kernels compute;
//   AllReduceWait(bucket) -> (g1', ..., gk')
//     waits for the sum and unpacks it divided by the number of ranks: the
//     mean over ranks. Attribute 'dims' holds the outputs' dimensions one
//     after another, 'ranks' each output's rank.
//
// Without a collective (one process) the pair passes the gradients on
// unchanged: the mean over one rank.
//
//===----------------------------------------------------------------------===//
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

Status inferAllReduceStart(const Node &N, const Types &In, Types &Out) {
  int64_t Elements = 0;
  for (size_t I = 0; I < In.size(); ++I) {
    if (In[I].Elt != DType::F32)
      return error(operand(N, In, I), " must be f32, found ", In[I].str());
    Elements += In[I].numElements();
  }
  Out = {TensorType{DType::F32, {Elements}}};
  return Status::success();
}

Status inferAllReduceWait(const Node &N, const Types &In, Types &Out) {
  if (In[0].Elt != DType::F32 || In[0].rank() != 1)
    return error(operand(N, In, 0), " must be a f32 vector, found ",
                 In[0].str());
  const std::vector<int64_t> &Dims = N.Attrs.getInts("dims");
  const std::vector<int64_t> &Ranks = N.Attrs.getInts("ranks");
  for (int64_t D : Dims)
    if (D < 0)
      return error("attribute 'dims' holds a negative dimension, ", D);
  Out.clear();
  size_t At = 0;
  int64_t Elements = 0;
  for (int64_t R : Ranks) {
    if (R < 0 || At + size_t(R) > Dims.size())
      return error("attribute 'ranks' does not fit 'dims' (", Dims.size(),
                   " dimensions)");
    Shape S(Dims.begin() + int64_t(At), Dims.begin() + int64_t(At) + R);
    At += size_t(R);
    TensorType T{DType::F32, S};
    Elements += T.numElements();
    Out.push_back(T);
  }
  if (Out.empty() || At != Dims.size() || Elements != In[0].Dims[0])
    return error("the outputs' ", Elements,
                 " elements (attributes 'dims' "
                 "and 'ranks') do not fill ",
                 operand(N, In, 0));
  return Status::success();
}

} // namespace

void registerCollectiveOps() {
  define({.Kind = OpKind::AllReduceStart,
          .Operands = {"gradient"},
          .Variadic = true,
          .Infer = inferAllReduceStart,
          .Flops = noFlops});
  define({.Kind = OpKind::AllReduceWait,
          .Operands = {"bucket"},
          .NumOutputs = -1,
          .Attrs = {{"dims", std::vector<int64_t>{}, true},
                    {"ranks", std::vector<int64_t>{}, true}},
          .Infer = inferAllReduceWait,
          .Flops = noFlops});
}

} // namespace nnc::ir::ops
