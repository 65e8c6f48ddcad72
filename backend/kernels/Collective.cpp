//===- backend/kernels/Collective.cpp - Gradients summed over ranks -------===//
//
// A data-parallel train step's buckets (ir/ops/Collective.cpp). The sum
// runs in the caller's collective (runtime/nnc_runtime.h) while the
// kernels between the two ops compute; without a collective this is one
// process and the pair only moves the gradients.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

namespace {

const nnc_collective *collectiveOf(const nnc_exec *X) {
  return X ? X->collective : nullptr;
}

} // namespace

// AllReduceStart (g1, ..., gk) -> bucket: packs, then starts the sum.
NNC_KERNEL(AllReduceStart) {
  int64_t Tensors = params<BucketParams>(P).Tensors;
  const int64_t *Sizes = P + sizeof(BucketParams) / sizeof(int64_t);
  float *Bucket = f32(T, int(Tensors));
  int64_t At = 0;
  for (int64_t I = 0; I < Tensors; ++I) {
    const float *G = f32(T, int(I));
    if (G != Bucket + At) // the planner may give a lone gradient the bucket
      __builtin_memmove(Bucket + At, G, size_t(Sizes[I]) * sizeof(float));
    At += Sizes[I];
  }
  const nnc_collective *C = collectiveOf(Exec);
  if (C && C->allreduce_start(C->comm, Bucket, At) != 0)
    return NNC_ERR_COLLECTIVE;
  return NNC_OK;
}

// AllReduceWait (bucket) -> (g1', ..., gk'): waits, then unpacks the mean.
NNC_KERNEL(AllReduceWait) {
  int64_t Tensors = params<BucketParams>(P).Tensors;
  const int64_t *Sizes = P + sizeof(BucketParams) / sizeof(int64_t);
  const float *Bucket = f32(T, 0);
  const nnc_collective *C = collectiveOf(Exec);
  if (C && C->allreduce_wait(C->comm, f32(T, 0)) != 0)
    return NNC_ERR_COLLECTIVE;
  float Scale = C ? 1.0f / float(C->ranks) : 1.0f;
  int64_t At = 0;
  for (int64_t I = 0; I < Tensors; ++I) {
    float *G = f32(T, int(I) + 1);
    for (int64_t E = 0; E < Sizes[I]; ++E)
      G[E] = Bucket[At + E] * Scale;
    At += Sizes[I];
  }
  return NNC_OK;
}
