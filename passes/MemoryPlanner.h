//===- passes/MemoryPlanner.h - Offsets for buffers in one arena -*- C++
//-*-===//
//
// Contract: given buffers with a size and a live interval [First, Last] of
// kernel positions, assign every buffer an offset in one arena so that no
// two buffers live at the same time overlap in memory; offsets are aligned.
// Also reports the lower bound any assignment must meet: the largest sum of
// sizes live at one kernel position.
//
// Offsets come from best-fit placement in decreasing size order (the
// heuristic of TFLite's arena planner and Glow's allocator); several
// orderings are tried and the smallest arena is kept.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::passes {

struct LiveBuffer {
  size_t Bytes = 0;
  int64_t First = 0, Last = 0; // inclusive kernel positions
};

struct MemoryPlan {
  std::vector<size_t> Offsets; // one per buffer
  size_t ArenaBytes = 0;
  size_t LowerBound = 0; // of aligned sizes
  std::string Ordering;  // the ordering that won
  double ratio() const {
    return LowerBound ? double(ArenaBytes) / double(LowerBound) : 1.0;
  }
};

constexpr size_t ArenaAlignment = 64;

MemoryPlan planMemory(const std::vector<LiveBuffer> &Buffers,
                      size_t Alignment = ArenaAlignment);

/// Whether two buffers of Plan overlap in time and in memory (for tests and
/// assertions): returns the first such pair's indices, or {-1, -1}.
std::pair<int64_t, int64_t> findConflict(const std::vector<LiveBuffer> &Buffers,
                                         const MemoryPlan &Plan);

} // namespace nnc::passes
