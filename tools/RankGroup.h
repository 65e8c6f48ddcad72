//===- tools/RankGroup.h - The processes of a data-parallel run -*- C++ -*-===//
//
// What the trainer needs of the processes it trains with: who it is, sums
// and broadcasts of small host vectors, and the collective the compiled
// train step averages its gradients through. tools/MpiGroup.h has the MPI
// one; a single process needs none.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Status.h"
#include "runtime/nnc_runtime.h"

#include <cstdint>
#include <vector>

namespace nnc::tools {

class RankGroup {
public:
  virtual ~RankGroup() = default;
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;
  /// Values summed elementwise over the ranks, on every rank.
  virtual Status sum(std::vector<double> &Values) = 0;
  /// Rank 0's Values on every rank (the same length on all).
  virtual Status broadcast(std::vector<double> &Values) = 0;
  /// The first rank whose Hash differs from rank 0's, or -1 when all
  /// agree; the same answer on every rank.
  virtual Expected<int64_t> firstDiffering(uint64_t Hash) = 0;
  /// The train step's gradient sums (runtime/nnc_runtime.h).
  virtual const nnc_collective *collective() = 0;
  /// Seconds spent in the collective's waits since the last call.
  virtual double takeWaitSeconds() = 0;
  /// Ends every rank's process with Code: what a rank does after a failure
  /// the others cannot see, so that none of them waits for it forever.
  [[noreturn]] virtual void abortAll(int Code) = 0;
};

} // namespace nnc::tools
