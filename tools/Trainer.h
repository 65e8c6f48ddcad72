//===- tools/Trainer.h - The training loop ----------------------*- C++ -*-===//
//
// Runs a model's train_step over a dataset, evaluates, and writes
// checkpoints. Every random choice is a function of (seed, epoch) or
// (seed, step), and a checkpoint holds parameters, optimizer state, the step
// count and the seed, so a resumed run ends bit for bit where an
// uninterrupted one would.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Engine.h"
#include "ir/Graph.h"
#include "passes/TrainStep.h"
#include "runtime/Dataset.h"
#include "tools/DataFeed.h"
#include "tools/RankGroup.h"

#include <cmath>
#include <functional>
#include <future>
#include <memory>
#include <optional>

namespace nnc::tools {

struct TrainOptions {
  int64_t Epochs = 1;
  int64_t Batch = 64;
  /// Overrides of the model's training table.
  std::optional<std::string> Optimizer; // a name for setOptimizer()
  std::string Hparams;                  // JSON for applyHparams()
  std::optional<double> Lr, WeightDecay, Momentum;
  /// constant | step (x Gamma every StepSize epochs) | cosine (to 0 over the
  /// whole run)
  std::string Schedule = "constant";
  int64_t StepSize = 1;
  double Gamma = 0.1;
  std::optional<uint64_t> Seed;
  bool Shuffle = true;
  runtime::Augmentation Augment;
  /// Checkpoint path (.nnc or .json), written atomically after every epoch,
  /// every CheckpointEvery steps and at the end.
  std::string SavePath;
  int64_t CheckpointEvery = 0;
  /// Stop once this many steps are done in total (0: no limit).
  int64_t MaxSteps = 0;
  /// Stop after this many epochs in a row without a lower validation loss
  /// (0: never); needs a validation set. A resumed run counts afresh.
  int64_t EarlyStop = 0;
  /// Where the model is saved each time the validation loss is the lowest
  /// so far ("": nowhere).
  std::string SaveBest;
  /// With the JIT, a smaller last batch may run on the reference
  /// interpreter when that costs less than compiling train_step for its
  /// size (false: always compile).
  bool InterpretTail = true;
  /// What runs the steps: the JIT unless asked otherwise.
  backend::EngineOptions Engine;
  /// Data-parallel training over the group's ranks (null or one rank: this
  /// process alone). Batch is then the global batch: each rank runs
  /// Batch / ranks examples of it, its own slice of the same shuffle, and
  /// the gradients are averaged over the ranks in buckets of BucketBytes.
  /// An epoch drops a last batch smaller than Batch; evaluation is split
  /// over the ranks; rank 0 alone saves.
  RankGroup *Group = nullptr;
  int64_t BucketBytes = 1 << 20;
  /// BatchNorm on the global batch's statistics (PyTorch's SyncBatchNorm)
  /// rather than each rank's.
  bool SyncBatchNorm = false;
  /// Compare the ranks' parameters after every step, not only at the end
  /// of each epoch.
  bool CheckRanksEveryStep = false;
};

struct StepReport {
  int64_t Epoch, Epochs, StepInEpoch, StepsPerEpoch, GlobalStep;
  double Lr, Loss, Accuracy; // running means over the epoch so far
  bool HasAccuracy;
  double ExamplesPerSecond;
  double EtaSeconds; // until the end of this epoch, or of the run if sooner
  /// Data-parallel runs: seconds per step this rank waited for gradient
  /// sums, over the epoch so far.
  double WaitSeconds = 0;
};

struct EpochReport {
  int64_t Epoch, Epochs;
  double TrainLoss, TrainAccuracy;
  bool HasAccuracy = false; // a classifier's train step counts right rows
  std::optional<EvalResult> Val, Test;
  double Seconds = 0, ExamplesPerSecond = 0;
  /// Data-parallel runs: seconds per step rank 0 waited for gradient sums.
  double WaitSeconds = 0;
  double Lr = 0;    // the last step's
  int64_t Step = 0; // steps taken in all
  /// The run ended inside this epoch (--max-steps).
  bool Partial = false;
  /// The lowest validation loss so far; the run stops early after this.
  bool Best = false, EarlyStop = false;
};

class Trainer {
public:
  /// Model is a loaded model or a checkpoint (which carries its step, seed
  /// and optimizer state).
  static Expected<std::unique_ptr<Trainer>> create(ir::Graph Model,
                                                   TrainOptions Options);

  std::function<void(const StepReport &)> OnStep;
  std::function<void(const EpochReport &)> OnEpoch;

  /// Starts compiling train_step for full batches on another thread (with
  /// the JIT), so it overlaps what the caller does next, such as loading
  /// the data; train() waits for it.
  void compileAhead();

  /// Trains on Train, evaluating Val (if any) and Test (if any) after every
  /// epoch and at the end of a run that stops inside one.
  Status train(const runtime::Dataset &Train, const runtime::Dataset *Test,
               const runtime::Dataset *Val = nullptr);
  Expected<EvalResult> evaluate(const runtime::Dataset &D, int64_t Batch);
  /// The model with the trained values, optimizer state and step count.
  ir::Graph checkpoint() const;
  Status save(const std::string &Path) const;

  int64_t step() const { return Step; }
  uint64_t seed() const { return Seed; }
  const passes::ResolvedOptimizer &optimizer() const { return TS.Optimizer; }
  const TrainOptions &options() const { return Opts; }
  backend::Engine &trainEngine() { return *TrainI; }

  /// This process's rank and how many train together (0 and 1 alone).
  int64_t rank() const { return Opts.Group ? Opts.Group->rank() : 0; }
  int64_t ranks() const { return Opts.Group ? Opts.Group->size() : 1; }

private:
  Trainer() = default;
  /// The examples this rank runs of each batch.
  int64_t localBatch() const { return Opts.Batch / ranks(); }
  /// Data-parallel runs (TrainerRanks.cpp): the checks before anything is
  /// built, then the same setup and parameters on every rank.
  Status checkRankOptions() const;
  Status joinRanks();
  /// At an epoch's end: rank 0's BatchNorm statistics everywhere, and a
  /// check that every rank holds the same parameters.
  Status syncRanks();
  /// Fails unless every rank holds the same parameters, bit for bit.
  Status checkRanksAgree();
  /// That every rank trains on the same data sets, augmented alike.
  Status checkSameData(const runtime::Dataset &Data,
                       const runtime::Dataset *Test,
                       const runtime::Dataset *Val) const;
  /// This rank's part of D, for evaluation.
  runtime::Dataset shardOf(const runtime::Dataset &D) const;
  /// Loss times examples and right rows, summed over the ranks.
  Status sumOverRanks(double &LossTimesCount, double &Correct) const;
  Status sumOverRanks(EvalResult &R) const;
  double learningRate(int64_t GlobalStep, int64_t StepsPerEpoch) const;
  int64_t evalBatch() const { return std::max<int64_t>(Opts.Batch, 256); }
  /// Waits for the compiles started ahead and returns how they ended.
  Status joinCompiles() const;
  bool tailOnInterpreter(int64_t TailCount) const;
  /// Waits for train_step, starts the evaluation's compile, checks that
  /// the model reads the data sets and that the options fit them.
  Status prepareTraining(const runtime::Dataset &Data,
                         const runtime::Dataset *Test,
                         const runtime::Dataset *Val);
  /// An error for a non-finite loss; a warning, once, for a huge one.
  Status checkLoss(double Loss);
  struct EpochTotals;
  /// Evaluates, saves and reports the epoch; whether to stop early.
  Expected<bool> endEpoch(int64_t Epoch, bool Partial, EpochTotals &Totals,
                          const runtime::Dataset *Test,
                          const runtime::Dataset *Val);
  Expected<backend::TensorMap>
  interpretedStep(const backend::TensorMap &Feed,
                  const backend::RunOptions &RunOpts);

  TrainOptions Opts;
  ir::Graph Base;   // the model as loaded, for inference and checkpoints
  ir::Graph TrainG; // with the train_step entry point
  passes::TrainStep TS;
  std::unique_ptr<backend::Engine> TrainI, EvalI;
  /// The reference interpreter on TrainG, for a smaller last batch that
  /// costs less to interpret than to compile.
  std::unique_ptr<backend::Engine> TailI;
  /// Compiles running on other threads: TrainI's full-batch train_step,
  /// EvalI's evaluation. Each engine (and its graph) is left alone until
  /// its compile is joined.
  mutable std::future<Status> TrainAhead, EvalAhead;
  DataBinding Binding; // in TrainG
  int64_t Step = 0;
  uint64_t Seed = 0;
  /// A loss beyond this is reported once as a diverging run.
  static constexpr double HugeLoss = 1e20;
  bool WarnedHugeLoss = false;
  double BestValLoss = INFINITY;
  int64_t EpochsWithoutBetter = 0;
};

} // namespace nnc::tools
