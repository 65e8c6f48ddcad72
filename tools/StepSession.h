//===- tools/StepSession.h - Optimizer steps on caller's batches -*- C++
//-*-===//
//
// What nnc step runs and what Python's nnc.Trainer runs: a model's train
// step for a chosen loss and optimizer, compiled by an engine, stepped on
// batches the caller brings. Dropout is off (the steps are reproducible
// bit for bit); BatchNorm follows PyTorch's train() or eval().
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Compile.h"
#include "backend/Engine.h"

#include <memory>

namespace nnc::tools {

/// Makes G ready for reproducible steps on the scalar named Loss, which it
/// returns: BatchNorm on its running statistics unless BatchStatistics,
/// dropout off. nnc grad, nnc step and StepSession share it.
Expected<ir::Value *> prepareLoss(ir::Graph &G, const std::string &Loss,
                                  bool BatchStatistics);

/// Base (the model trained) with the values an engine running Trained (its
/// train step) holds: trained parameters, moved statistics, and the
/// optimizer's state added as state tensors, which a resumed run reads.
ir::Graph withTrainedValues(const ir::Graph &Base, const ir::Graph &Trained,
                            backend::Engine &Engine);

class StepSession {
public:
  /// Model's train step minimizing the scalar named Loss with Optimizer;
  /// with BatchStatistics BatchNorm uses the batch's statistics and moves
  /// its running ones (train()), else the running ones, unmoved (eval()).
  static Expected<std::unique_ptr<StepSession>>
  create(ir::Graph Model, const std::string &Loss,
         const ir::OptimizerConfig &Optimizer, bool BatchStatistics,
         const backend::EngineOptions &Engine);

  /// One optimizer step on Batch (the train step's data inputs); returns
  /// the train step's outputs (the loss first).
  Expected<backend::TensorMap> step(backend::TensorMap Batch);

  const ir::Graph &graph() const { return Training.Graph; }
  const passes::TrainStep &trainStep() const { return Training.Step; }
  backend::Engine &engine() { return *Engine; }
  int64_t steps() const { return Steps; }
  /// The trainable parameters' current values, by name.
  backend::TensorMap parameters();

private:
  StepSession() = default;
  backend::TrainingGraph Training;
  std::unique_ptr<backend::Engine> Engine;
  int64_t Steps = 0;
};

} // namespace nnc::tools
