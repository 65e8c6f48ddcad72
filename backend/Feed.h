//===- backend/Feed.h - Checking what a caller feeds an entry ---*- C++ -*-===//
//
// Shared by every engine, so that all report bad inputs alike.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Tensor.h"
#include "ir/Graph.h"

namespace nnc::backend {

/// The shapes of what a caller feeds, by tensor name.
using FeedShapes = std::map<std::string, ir::Shape>;
FeedShapes feedShapes(const TensorMap &Inputs);
FeedShapes feedShapes(const TensorViewMap &Inputs);

/// The entry point named Entry, or an error listing the model's entries;
/// also rejects inputs the entry does not take.
Expected<const ir::EntryPoint *> findEntry(const ir::Graph &G,
                                           const std::string &Entry,
                                           const FeedShapes &Inputs);

/// The batch size the fed tensors agree on (1 when none has a batch
/// dimension), after checking that every fed value is given with its
/// declared rank.
Expected<int64_t> feedBatch(const FeedShapes &Inputs,
                            const std::vector<const ir::Value *> &Fed);

/// Checks every fed tensor against its value's bound shape.
Status checkFeedShapes(const FeedShapes &Inputs,
                       const std::vector<const ir::Value *> &Fed);
/// The same, and that each tensor holds as many values as its shape says.
Status checkFeedShapes(const TensorMap &Inputs,
                       const std::vector<const ir::Value *> &Fed);

} // namespace nnc::backend
