//===- backend/Feed.h - Checking what a caller feeds an entry ---*- C++ -*-===//
//
// Shared by every engine, so that all report bad inputs alike.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Tensor.h"
#include "ir/Graph.h"

namespace nnc::backend {

/// The entry point named Entry, or an error listing the model's entries;
/// also rejects inputs the entry does not take.
Expected<const ir::EntryPoint *> findEntry(const ir::Graph &G,
                                           const std::string &Entry,
                                           const TensorMap &Inputs);

/// The batch size the fed tensors agree on (1 when none has a batch
/// dimension), after checking that every fed value is given with its
/// declared rank.
Expected<int64_t> feedBatch(const TensorMap &Inputs,
                            const std::vector<const ir::Value *> &Fed);

/// Checks every fed tensor against its value's bound shape.
Status checkFeedShapes(const TensorMap &Inputs,
                       const std::vector<const ir::Value *> &Fed);

} // namespace nnc::backend
