//===- backend/kernels/Training.cpp - Random ops of training graphs -------===//
#include "backend/kernels/Kernel.h"

using namespace nnck;

// DropoutMask (x) -> mask: 0 with probability p, else 1 / (1 - p).
NNC_KERNEL(DropoutMask) {
  float *M = f32(T, 1);
  double Prob = reals<DropoutReals>(F).Ratio;
  float Keep = float(1 / (1 - Prob));
  const DropoutParams &Q = params<DropoutParams>(P);
  SplitMix64 Rng = rngFor(uint64_t(Q.SeedMix), Exec);
  for (int64_t I = 0; I < Q.Elements; ++I)
    M[I] = Rng.uniform() < Prob ? 0.f : Keep;
  return NNC_OK;
}

// Dropout in training mode (nnc run --training); as DropoutMask times x.
NNC_KERNEL(DropoutTrain) {
  const float *Xv = f32(T, 0);
  float *Y = f32(T, 1);
  double Prob = reals<DropoutReals>(F).Ratio;
  float Keep = float(1 / (1 - Prob));
  const DropoutParams &Q = params<DropoutParams>(P);
  SplitMix64 Rng = rngFor(uint64_t(Q.SeedMix), Exec);
  for (int64_t I = 0; I < Q.Elements; ++I)
    Y[I] = Rng.uniform() < Prob ? 0.f : Xv[I] * Keep;
  return NNC_OK;
}
