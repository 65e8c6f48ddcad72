//===- passes/ArenaPlan.h - Activation memory of an entry point -*- C++ -*-===//
#pragma once

#include "ir/Graph.h"
#include "passes/MemoryPlanner.h"

#include <map>

namespace nnc::passes {

/// Where an entry point's computed values live in its activation arena.
/// Parameters and state (persistent region) and the caller's inputs are not
/// in it. Values computed in place share their operand's buffer.
struct ArenaPlan {
  std::vector<const ir::Node *> Schedule;
  std::map<const ir::Value *, size_t> Offset; // every computed value
  std::map<const ir::Value *, const ir::Value *> InPlaceOf;
  MemoryPlan Plan;
};

/// Plans the entry point at the graph's current (bound) shapes. The schedule
/// is the graph's topological order restricted to what the entry needs.
ArenaPlan planArena(const ir::Graph &G, const ir::EntryPoint &E);

} // namespace nnc::passes
