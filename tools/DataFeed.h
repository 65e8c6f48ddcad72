//===- tools/DataFeed.h - Datasets into model inputs ------------*- C++ -*-===//
#pragma once

#include "backend/Engine.h"
#include "backend/interp/Interpreter.h"
#include "ir/Graph.h"
#include "runtime/Dataset.h"

namespace nnc::tools {

/// The input and label tensors a loss reads, which minibatches feed.
struct DataBinding {
  const ir::Value *Features = nullptr;
  const ir::Value *Target = nullptr;
};

/// Finds the one input and one label the loss depends on, and checks that
/// D's examples fit them (when D is given).
Expected<DataBinding> bindData(const ir::Graph &G, const ir::Value *Loss,
                               const runtime::Dataset *D = nullptr);

/// Feeds examples Order[Begin, Begin + Count) into Feed.
void feedBatch(const DataBinding &B, const runtime::Dataset &D,
               const std::vector<int64_t> &Order, int64_t Begin, int64_t Count,
               const runtime::Augmentation &Aug, uint64_t AugSeed,
               backend::TensorMap &Feed);

struct EvalResult {
  double Loss = 0;
  int64_t Correct = 0, Count = 0;
  bool HasAccuracy = false;
  int64_t Classes = 0;
  std::vector<int64_t> Confusion;   // Classes x Classes, [true][predicted]
  std::vector<int64_t> Predictions; // one per example, in dataset order
  double accuracy() const {
    return Count ? double(Correct) / double(Count) : 0;
  }
};

/// Loss and (for classifiers) accuracy and confusion matrix of G's training
/// loss over D, in inference mode, on engine I of G.
Expected<EvalResult> evaluate(const ir::Graph &G, backend::Engine &I,
                              const runtime::Dataset &D, int64_t Batch);

/// The batch size evaluate() uses for Count examples when asked for Batch.
int64_t evalBatchSize(int64_t Count, int64_t Batch);

/// Makes engine I ready to evaluate() Count examples at Batch (the JIT
/// compiles the entry it will run), so that can happen ahead, on another
/// thread, while I is not otherwise in use.
Status compileEvaluation(const ir::Graph &G, backend::Engine &I, int64_t Count,
                         int64_t Batch);

/// Random inputs for entry E at batch Batch, for timing: features in [0, 1),
/// integer labels in [0, 2); a training step's lr 1e-3, weight decay 0,
/// step 1. The same for every call.
backend::TensorMap randomInputs(const ir::EntryPoint &E, int64_t Batch);

/// Loads --data SPEC: fashion-mnist[:DIR] (default DIR: Debian's
/// dataset-fashion-mnist), mnist:DIR, idx:DIR, or csv:TRAIN[,TEST].
/// Limits of 0 keep everything. Test is empty (Count 0) when there is none.
Status loadData(const std::string &Spec, runtime::Dataset &Train,
                runtime::Dataset &Test, int64_t LimitTrain, int64_t LimitTest);

} // namespace nnc::tools
