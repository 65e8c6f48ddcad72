//===- tools/MpiGroup.h - A data-parallel run on MPI ------------*- C++ -*-===//
//
// The ranks of MPI_COMM_WORLD as a RankGroup: mpirun -np N nnc train ...
// Gradient buckets are summed with MPI_Iallreduce, started when the train
// step starts a bucket and waited for when it needs the sum.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "tools/RankGroup.h"

#include <memory>

namespace nnc::tools {

/// Whether this process was started by an MPI launcher (mpirun, srun).
bool launchedByMpi();

/// Initializes MPI and returns MPI_COMM_WORLD's ranks; MPI is finalized
/// when the group is destroyed.
Expected<std::unique_ptr<RankGroup>> joinMpiWorld();

} // namespace nnc::tools
