//===- ir/Verifier.h - Structural and type checks of a graph ----*- C++ -*-===//
#pragma once

#include "ir/Graph.h"

namespace nnc::ir {

/// Checks a freshly built graph and puts it in canonical form: operand counts,
/// attribute names and kinds (filling in defaults), roles and producers,
/// stored data sizes, entry points, the training loss, cycles (nodes end up in
/// topological order), then shapes at batch size 1. The first problem found
/// is returned as one line naming the node or tensor.
Status verify(Graph &G);

/// Checks one node's operand and output counts and attributes, filling in
/// attribute defaults.
Status checkNode(Node &N);

/// Binds the batch dimension (-1) of inputs and labels to Batch and infers
/// every computed value's type. Checks shapes the file declared.
Status inferShapes(Graph &G, int64_t Batch);

/// V's dimensions were the batch size Batch, inferred over the nodes V
/// depends on alone; the graph's own types are left as they are.
Expected<Shape> dimsAtBatch(const Value &V, int64_t Batch);

} // namespace nnc::ir
