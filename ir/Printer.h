//===- ir/Printer.h - Text and Graphviz forms of a graph --------*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

#include <ostream>

namespace nnc::ir {

/// Readable IR: one line per stored tensor, node and entry point.
void printGraph(const Graph &G, std::ostream &OS);
/// Graphviz DOT: ops as boxes, fed and stored tensors as ellipses, edges
/// labelled with tensor types.
void printDot(const Graph &G, std::ostream &OS);

} // namespace nnc::ir
