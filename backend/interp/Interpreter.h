//===- backend/interp/Interpreter.h - The reference interpreter -*- C++ -*-===//
//
// Evaluates a verified graph forward, one op at a time, simply. It is the
// oracle every compiled kernel is compared with.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/interp/Tensor.h"
#include "ir/Graph.h"

#include <map>
#include <string>

namespace nnc::interp {

struct Options {
  /// Training semantics: dropout drops, BatchNorm uses batch statistics and
  /// updates its running statistics, stochastic pooling samples.
  bool Training = false;
  /// Mixed into every random op's own seed; vary it per step.
  uint64_t Seed = 0;
  /// Fail at the first node whose result holds NaN or infinity, naming it
  /// (inputs are checked first).
  bool CheckNumerics = false;
};

using TensorMap = std::map<std::string, Tensor>;

/// Checks that every fed value is given with its declared shape and one
/// batch size, then binds the graph's shapes to that batch size. Shared by
/// every engine, so all report bad inputs alike.
Status bindBatch(ir::Graph &G, const TensorMap &Inputs,
                 const std::vector<const ir::Value *> &Fed);

/// The entry point named Entry, or an error listing the model's entries;
/// also rejects inputs the entry does not take.
Expected<const ir::EntryPoint *> findEntry(const ir::Graph &G,
                                           const std::string &Entry,
                                           const TensorMap &Inputs);

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
