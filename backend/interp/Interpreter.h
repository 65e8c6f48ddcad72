//===- backend/interp/Interpreter.h - The reference interpreter -*- C++ -*-===//
//
// Evaluates a verified graph forward, one op at a time, simply. It is the
// oracle every compiled kernel is compared with.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Feed.h"
#include "backend/interp/Tensor.h"
#include "ir/Graph.h"

#include <map>
#include <string>

namespace nnc::interp {

using Options = backend::RunOptions;
using TensorMap = backend::TensorMap;
using backend::findEntry;

/// Checks that every fed value is given with its declared shape and one
/// batch size (backend/Feed.h), then binds the graph's shapes to that batch
/// size.
Status bindBatch(ir::Graph &G, const TensorMap &Inputs,
                 const std::vector<const ir::Value *> &Fed);

class Interpreter {
public:
  /// G must be verified. Stored tensors are materialized here, once.
  static Expected<Interpreter> create(ir::Graph &G);

  /// Runs an entry point. Inputs are keyed by tensor name and must match the
  /// declared shapes, with any batch size. Returns the entry's outputs.
  Expected<TensorMap> run(const std::string &Entry, const TensorMap &Inputs,
                          const Options &Opts = {});

  /// Evaluates the given values from the given fed tensors (tests, tools).
  Expected<TensorMap> evaluate(const std::vector<const ir::Value *> &Wanted,
                               const TensorMap &Inputs,
                               const Options &Opts = {});

  /// Current contents of a parameter, state or constant.
  Tensor &stored(const ir::Value *V) { return Stored.at(V); }
  const Tensor &stored(const ir::Value *V) const { return Stored.at(V); }

private:
  explicit Interpreter(ir::Graph &G) : G(&G) {}

  ir::Graph *G;
  std::map<const ir::Value *, Tensor> Stored;
};

} // namespace nnc::interp
