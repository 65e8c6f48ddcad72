//===- ir/Printer.h - Text and Graphviz forms of a graph --------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <ostream>

namespace nnc::ir {

/// Readable IR: one line per stored tensor, node and entry point.
void printGraph(const Graph &G, std::ostream &OS);
/// Graphviz DOT: ops as boxes, fed and stored tensors as ellipses, edges
/// labelled with tensor types.
/// Fused: groups of nodes that run as one kernel; each group of more than
/// one node is drawn as a shaded cluster (nnc dump --dot --print-after=fuse).
void printDot(const Graph &G, std::ostream &OS,
              const std::vector<std::vector<const Node *>> *Fused = nullptr);

} // namespace nnc::ir
