#include "tools/Trainer.h"
#include "backend/Compile.h"
#include "tools/ModelChecks.h"
#include "tools/OptimizerArgs.h"
#include "tools/StepSession.h"

#include "frontend/ModelIO.h"
#include "ir/Initializers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace nnc::tools {

using namespace nnc::ir;
using backend::Tensor;

namespace {

double seconds(std::chrono::steady_clock::time_point Since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - Since)
      .count();
}

} // namespace

Expected<std::unique_ptr<Trainer>> Trainer::create(Graph Model,
                                                   TrainOptions Options) {
  if (!Model.Training)
    return error("the model has no training table (loss and optimizer)");
  if (Options.Batch < 1 || Options.Epochs < 1)
    return usageError("--batch and --epochs must be >= 1");
  if (Options.Schedule != "constant" && Options.Schedule != "step" &&
      Options.Schedule != "cosine")
    return usageError("unknown learning-rate schedule '", Options.Schedule,
                      "' (constant, step, cosine)");
  std::unique_ptr<Trainer> T(new Trainer());
  T->Opts = Options;
  NNC_TRY(T->checkRankOptions());
  if (T->ranks() > 1)
    T->Opts.Engine.Collective = Options.Group->collective();
  TrainingConfig &TC = *Model.Training;
  OptimizerConfig &OC = TC.Optimizer;
  if (Options.Optimizer) {
    OptimizerConfig Named;
    NNC_TRY(setOptimizer(*Options.Optimizer, Named));
    // Another optimizer: the model's hyper-parameters were meant for its own.
    if (Named.Kind != OC.Kind ||
        Named.DecoupledWeightDecay != OC.DecoupledWeightDecay)
      OC = Named;
  }
  if (!Options.Hparams.empty())
    NNC_TRY(applyHparams(Options.Hparams, OC));
  if (Options.Lr)
    OC.Lr = *Options.Lr;
  if (Options.WeightDecay)
    OC.WeightDecay = *Options.WeightDecay;
  if (Options.Momentum)
    OC.Momentum = *Options.Momentum;
  // A checkpoint fixes the seed: its data order and dropout masks continue.
  T->Step = TC.Step;
  if (TC.Step > 0 && Options.Seed && *Options.Seed != TC.Seed)
    return error("the checkpoint was trained with seed ", TC.Seed,
                 "; resuming with seed ", *Options.Seed,
                 " would not continue it");
  T->Seed = TC.Step > 0 ? TC.Seed : Options.Seed.value_or(0);
  TC.Seed = T->Seed;

  T->Base = std::move(Model);
  // A training-mode export's BatchNorm evaluates (and is saved) on its
  // running statistics, which train_step moves, as PyTorch's eval().
  NNC_TRY(passes::useRunningStatistics(T->Base));
  Expected<backend::TrainingGraph> TG =
      backend::buildTrainingGraph(T->Base, /*BatchStatistics=*/true,
                                  {T->ranks(), Options.BucketBytes,
                                   Options.SyncBatchNorm, T->localBatch()});
  if (!TG.ok())
    return TG.status();
  T->TrainG = std::move(TG->Graph);
  T->TS = TG->Step;
  // The batch's inputs alone, before any of them is allocated.
  double BatchBytes = 0;
  for (const Value *V : T->TS.DataInputs) {
    double Elements = 1;
    for (int64_t D : V->DeclaredDims)
      Elements *= double(D == -1 ? T->localBatch() : D);
    BatchBytes += Elements * double(dtypeSize(V->Type.Elt));
  }
  NNC_TRY(backend::checkMemory(
      uint64_t(std::min(BatchBytes, 0x1p63)), Options.Engine,
      "a batch of " + std::to_string(T->localBatch())));
  Expected<DataBinding> B = bindData(T->TrainG, T->TS.Loss);
  if (!B.ok())
    return B.status();
  T->Binding = *B;
  auto TI = backend::createEngine(T->TrainG, T->Opts.Engine);
  if (!TI.ok())
    return TI.status();
  T->TrainI = std::move(*TI);
  auto EI = backend::createEngine(T->Base, Options.Engine);
  if (!EI.ok())
    return EI.status();
  T->EvalI = std::move(*EI);
  NNC_TRY(T->joinRanks());
  return T;
}

void Trainer::compileAhead() {
  if (TrainI->kind() != backend::EngineKind::Jit || TrainAhead.valid())
    return;
  const EntryPoint *E = TrainG.findEntry(passes::TrainStepName);
  backend::RunOptions RunOpts;
  RunOpts.Training = true;
  TrainAhead = std::async(std::launch::async, [this, E, RunOpts] {
    return TrainI->prepare(E->Name, randomInputs(*E, localBatch()), RunOpts)
        .status();
  });
}

Status Trainer::joinCompiles() const {
  Status S;
  for (std::future<Status> *F : {&TrainAhead, &EvalAhead})
    if (F->valid()) {
      Status One = F->get();
      if (S.ok())
        S = One;
    }
  return S;
}

bool Trainer::tailOnInterpreter(int64_t TailCount) const {
  if (TrainI->kind() != backend::EngineKind::Jit || !Opts.InterpretTail ||
      ranks() > 1)
    return false;
  // A compile costs about half a second (LeNet-5's train_step); the
  // interpreter runs a step at a few GFLOP/s (LeNet-5 at batch 32: 20 ms).
  // Decided from the options alone, so a resumed run decides the same.
  const EntryPoint *E = TrainG.findEntry(passes::TrainStepName);
  std::vector<const Value *> Wanted(E->Outputs.begin(), E->Outputs.end());
  for (const Update &U : E->Updates)
    Wanted.push_back(U.NewValue);
  double Flops = 0;
  for (const Node *N : TrainG.nodesReaching(Wanted))
    Flops += double(N->info().Flops(*N));
  double PerExample = Flops / double(Binding.Features->Type.Dims[0]);
  double Seconds = double(Opts.Epochs) * PerExample * double(TailCount) / 4e9;
  return Seconds < 0.5;
}

Expected<backend::TensorMap>
Trainer::interpretedStep(const backend::TensorMap &Feed,
                         const backend::RunOptions &RunOpts) {
  if (!TailI) {
    backend::EngineOptions O = Opts.Engine;
    O.Kind = backend::EngineKind::Interp;
    auto I = backend::createEngine(TrainG, O);
    if (!I.ok())
      return I.status();
    TailI = std::move(*I);
  }
  std::vector<const Value *> Stored;
  for (const auto &V : TrainG.values())
    if (isStored(V->Kind) && V->Kind != Role::Constant)
      Stored.push_back(V.get());
  for (const Value *V : Stored)
    TailI->write(V, TrainI->read(V));
  Expected<backend::TensorMap> Out =
      TailI->run(passes::TrainStepName, Feed, RunOpts);
  if (Out.ok())
    for (const Value *V : Stored)
      TrainI->write(V, TailI->read(V));
  return Out;
}

double Trainer::learningRate(int64_t GlobalStep, int64_t StepsPerEpoch) const {
  double Lr = TS.Optimizer.Lr;
  if (Opts.Schedule == "step")
    return Lr * std::pow(Opts.Gamma,
                         double(GlobalStep / StepsPerEpoch / Opts.StepSize));
  if (Opts.Schedule == "cosine") {
    double Total = double(Opts.Epochs * StepsPerEpoch);
    return Lr * 0.5 * (1 + std::cos(M_PI * double(GlobalStep) / Total));
  }
  return Lr;
}

/// What an epoch (or the part of one a run ends in) has seen so far.
struct Trainer::EpochTotals {
  double LossSum = 0, CorrectSum = 0, LastLr = 0, WaitSeconds = 0;
  int64_t Seen = 0, Steps = 0;
  std::chrono::steady_clock::time_point Start =
      std::chrono::steady_clock::now();
};

Expected<bool> Trainer::endEpoch(int64_t Epoch, bool Partial,
                                 EpochTotals &Totals,
                                 const runtime::Dataset *Test,
                                 const runtime::Dataset *Val) {
  NNC_TRY(syncRanks());
  EpochReport R{Epoch, Opts.Epochs, Totals.LossSum / double(Totals.Seen),
                Totals.CorrectSum / double(Totals.Seen)};
  R.Seconds = seconds(Totals.Start);
  R.ExamplesPerSecond = double(Totals.Seen) / R.Seconds;
  R.Lr = Totals.LastLr;
  R.HasAccuracy = TS.Correct != nullptr;
  R.Step = Step;
  R.Partial = Partial;
  R.WaitSeconds =
      Totals.WaitSeconds / double(std::max<int64_t>(Totals.Steps, 1));
  for (auto [D, Into] : {std::pair{Val, &R.Val}, {Test, &R.Test}})
    if (D) {
      Expected<EvalResult> E = evaluate(*D, evalBatch());
      if (!E.ok())
        return E.status();
      *Into = *E;
    }
  if (R.Val && R.Val->Loss < BestValLoss) {
    BestValLoss = R.Val->Loss;
    EpochsWithoutBetter = 0;
    R.Best = true;
    if (!Opts.SaveBest.empty())
      NNC_TRY(save(Opts.SaveBest));
  } else if (R.Val) {
    ++EpochsWithoutBetter;
  }
  R.EarlyStop = Opts.EarlyStop > 0 && EpochsWithoutBetter >= Opts.EarlyStop;
  if (!Opts.SavePath.empty())
    NNC_TRY(save(Opts.SavePath));
  if (OnEpoch)
    OnEpoch(R);
  Totals = EpochTotals();
  return R.EarlyStop;
}

Status Trainer::train(const runtime::Dataset &Data,
                      const runtime::Dataset *Test,
                      const runtime::Dataset *Val) {
  NNC_TRY(prepareTraining(Data, Test, Val));
  int64_t TailCount = Data.Count % Opts.Batch;
  bool InterpretTail = TailCount > 0 && tailOnInterpreter(TailCount);
  if (InterpretTail && Opts.Engine.Verbose)
    std::fprintf(stderr,
                 "jit: the last batch of each epoch (%lld examples) runs on "
                 "the interpreter: that costs less than compiling it\n",
                 (long long)TailCount);
  // Ranks train on whole global batches only.
  int64_t PerEpoch = ranks() > 1 ? Data.Count / Opts.Batch
                                 : (Data.Count + Opts.Batch - 1) / Opts.Batch;
  int64_t Total = Opts.Epochs * PerEpoch;
  if (Opts.MaxSteps > 0)
    Total = std::min(Total, Opts.MaxSteps);
  std::vector<int64_t> Order;
  int64_t OrderEpoch = -1;
  EpochTotals Totals;
  while (Step < Total) {
    int64_t Epoch = Step / PerEpoch, K = Step % PerEpoch;
    if (Epoch != OrderEpoch) {
      Order = runtime::epochOrder(Data.Count, Seed, Epoch, Opts.Shuffle);
      OrderEpoch = Epoch;
    }
    int64_t Begin = K * Opts.Batch + rank() * localBatch();
    int64_t Count = std::min(localBatch(), Data.Count - Begin);
    // Each rank draws its own augmentation and dropout; rank 0 the ones a
    // single process draws.
    uint64_t RankMix = uint64_t(rank()) * 0x9e3779b97f4a7c15ULL;
    backend::TensorMap Feed;
    feedBatch(Binding, Data, Order, Begin, Count, Opts.Augment,
              runtime::mixSeed(Seed, uint64_t(Step)) ^ RankMix, Feed);
    double Lr = learningRate(Step, PerEpoch);
    Feed[TS.Lr->Name] = Tensor(DType::F32, {}, {Lr});
    Feed[TS.WeightDecay->Name] =
        Tensor(DType::F32, {}, {TS.Optimizer.WeightDecay});
    Feed[TS.Step->Name] = Tensor(DType::F32, {}, {double(Step + 1)});
    backend::RunOptions RunOpts;
    RunOpts.Training = true;
    RunOpts.Seed = runtime::mixSeed(Seed ^ 0xd20f, uint64_t(Step)) ^ RankMix;
    Expected<backend::TensorMap> Out =
        InterpretTail && Count < Opts.Batch
            ? interpretedStep(Feed, RunOpts)
            : TrainI->run(passes::TrainStepName, Feed, RunOpts);
    if (!Out.ok())
      return Out.status().withPrefix("step " + std::to_string(Step + 1));
    double LossSum = Out->at(TS.Loss->Name).Data[0] * double(Count);
    double Correct = TS.Correct ? Out->at(TS.Correct->Name).Data[0] : 0;
    NNC_TRY(sumOverRanks(LossSum, Correct));
    Count *= ranks();
    // Every rank sees the same sums, so all of them stop here together.
    NNC_TRY(checkLoss(LossSum / double(Count)));
    Totals.LossSum += LossSum;
    Totals.CorrectSum += Correct;
    Totals.Seen += Count;
    ++Totals.Steps;
    if (Opts.Group)
      Totals.WaitSeconds += Opts.Group->takeWaitSeconds();
    if (Opts.CheckRanksEveryStep)
      NNC_TRY(checkRanksAgree());
    Totals.LastLr = Lr;
    ++Step;
    // The steps still to run in this epoch: --max-steps may end it early.
    int64_t Left = std::min(PerEpoch - K - 1, Total - Step);
    double Elapsed = seconds(Totals.Start);
    if (OnStep)
      OnStep({Epoch, Opts.Epochs, K + 1, PerEpoch, Step, Lr,
              Totals.LossSum / double(Totals.Seen),
              Totals.CorrectSum / double(Totals.Seen), TS.Correct != nullptr,
              double(Totals.Seen) / Elapsed,
              Elapsed / double(K + 1) * double(Left),
              Totals.WaitSeconds / double(Totals.Steps)});
    if (!Opts.SavePath.empty() && Opts.CheckpointEvery > 0 &&
        Step % Opts.CheckpointEvery == 0)
      NNC_TRY(save(Opts.SavePath));
    // An epoch ends, or the run ends inside one (--max-steps).
    bool Partial = K + 1 < PerEpoch && Step == Total;
    if (K + 1 == PerEpoch || Partial) {
      Expected<bool> Stop = endEpoch(Epoch, Partial, Totals, Test, Val);
      if (!Stop.ok())
        return Stop.status();
      if (*Stop)
        break;
    }
  }
  if (!Opts.SavePath.empty())
    NNC_TRY(save(Opts.SavePath));
  return Status::success();
}

Status Trainer::prepareTraining(const runtime::Dataset &Data,
                                const runtime::Dataset *Test,
                                const runtime::Dataset *Val) {
  NNC_TRY(checkSameData(Data, Test, Val));
  // The evaluation compiles on another thread from here on: while
  // train_step's compile finishes, then beside the first steps. It touches
  // only Base and EvalI.
  if (Test && EvalI->kind() == backend::EngineKind::Jit && !EvalAhead.valid())
    EvalAhead =
        std::async(std::launch::async, [this, N = shardOf(*Test).Count] {
          return compileEvaluation(Base, *EvalI, N, evalBatch());
        });
  if (TrainAhead.valid())
    NNC_TRY(TrainAhead.get());
  for (const runtime::Dataset *D : {&Data, Test, Val})
    if (D) {
      Expected<DataBinding> B = bindData(TrainG, TS.Loss, D);
      if (!B.ok())
        return B.status();
    }
  if (Opts.EarlyStop > 0 && !Val)
    return usageError("early stopping watches the validation loss: give "
                      "--val-split");
  return Status::success();
}

Status Trainer::checkLoss(double Loss) {
  if (!std::isfinite(Loss))
    return error("step ", Step + 1, ": the loss is ",
                 std::isnan(Loss) ? "NaN" : "infinite",
                 " (lower the learning rate?); --check-numerics names the "
                 "first kernel and tensor that went non-finite");
  // Finite but far beyond any loss a converging run has: say so once,
  // before it overflows.
  if (std::fabs(Loss) > HugeLoss && !WarnedHugeLoss) {
    WarnedHugeLoss = true;
    std::fprintf(stderr,
                 "warning: step %lld: the loss is %g; training is probably "
                 "diverging (lower the learning rate?)\n",
                 (long long)(Step + 1), Loss);
  }
  return Status::success();
}

Expected<EvalResult> Trainer::evaluate(const runtime::Dataset &D,
                                       int64_t Batch) {
  NNC_TRY(joinCompiles());
  // The inference graph reads the trained values.
  for (const auto &V : Base.values())
    if (isStored(V->Kind))
      if (const Value *T = TrainG.findValue(V->Name))
        EvalI->write(V.get(), TrainI->read(T));
  if (ranks() == 1)
    return tools::evaluate(Base, *EvalI, D, Batch);
  Expected<EvalResult> R = tools::evaluate(Base, *EvalI, shardOf(D), Batch);
  if (R.ok())
    NNC_TRY(sumOverRanks(*R));
  return R;
}

Graph Trainer::checkpoint() const {
  Graph C = withTrainedValues(Base, TrainG, *TrainI);
  C.Training->Step = Step;
  C.Training->Seed = Seed;
  return C;
}

Status Trainer::save(const std::string &Path) const {
  if (rank() != 0) // every rank holds the same parameters
    return Status::success();
  // checkpoint() reads Base, which an evaluation compile binds.
  NNC_TRY(joinCompiles());
  Graph C = checkpoint();
  if (const Value *V = firstNonFiniteTensor(C))
    return error(Path, ": not saved: after step ", Step, ", tensor '", V->Name,
                 "' holds NaN or infinity (lower the learning rate?); the "
                 "file keeps what it had");
  return frontend::saveModel(C, Path);
}

} // namespace nnc::tools
