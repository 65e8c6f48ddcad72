//===- passes/EntryGraphs.h - The graphs entry points compile from -*- C++
//-*-===//
//
// The first steps of compiling a model's entry points, shared by every tool
// that compiles more than one: inference entries keep the semantics of the
// model as loaded (BatchNorm's running statistics, no dropout); train_step
// is built from the training table. Both get their shapes bound to a batch.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "passes/StepObserver.h"

#include <string>
#include <vector>

namespace nnc::passes {

struct EntryToCompile {
  const ir::EntryPoint *Entry;
  /// train_step, in the model's graph; else in EntryGraphs::Inference.
  bool Training;
};

struct EntryGraphs {
  /// A copy of the model as loaded: the inference entries' graph.
  ir::Graph Inference;
  /// The asked entries, in order.
  std::vector<EntryToCompile> Entries;

  /// The graph an entry compiles from: G (prepareEntries' argument) for
  /// train_step, else Inference.
  ir::Graph &graphOf(const EntryToCompile &E, ir::Graph &G) {
    return E.Training ? G : Inference;
  }
  /// train_step was asked: G now holds it.
  bool WantsTraining = false;
};

/// Entries Names of G at batch Batch. With "train_step" among them, G
/// gets its train step (passes/TrainStep.h); G's shapes are bound to Batch
/// either way. An unknown name is an error listing the entries there are.
/// Obs sees the train step's steps.
Expected<EntryGraphs> prepareEntries(ir::Graph &G,
                                     const std::vector<std::string> &Names,
                                     int64_t Batch,
                                     StepObserver *Obs = nullptr);

} // namespace nnc::passes
