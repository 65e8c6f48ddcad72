//===- tools/TrainCommand.cpp - nnc train ---------------------------------===//
#include "frontend/ModelIO.h"
#include "passes/AttachLoss.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"
#include "tools/MpiGroup.h"
#include "tools/OptimizerArgs.h"
#include "tools/TrainLog.h"
#include "tools/Trainer.h"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec TrainSpec = {
    "train",
    "MODEL --data SPEC [options]",
    "Trains a model's train_step (forward, backward and optimizer update\n"
    "derived from its training table) compiled by the JIT, printing\n"
    "progress and test accuracy after every epoch. Checkpoints hold the\n"
    "parameters, the optimizer state, the step count and the seed, are "
    "written\n"
    "atomically, and --resume continues one exactly. Under mpirun -np N,\n"
    "each rank trains on 1/N of every batch and the gradients are averaged\n"
    "over the ranks; rank 0 prints and saves.\n"
    "SPEC: fashion-mnist[:DIR], mnist:DIR, idx:DIR, csv:TRAIN[,TEST].",
    withEngineOptions(
        {{"--data", "SPEC", "training (and test) data"},
         {"--epochs", "N",
          "epochs to train to, counted from the start (default 1)"},
         {"--batch", "B",
          "minibatch size (default 64); the last batch is smaller"},
         {"--optimizer", "NAME",
          "sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam or adamw "
          "(default: the model's)"},
         {"--hparams", "JSON",
          "torch.optim's arguments by name, e.g. {\"betas\": [0.9, 0.99], "
          "\"amsgrad\": true} (see nnc step --help)"},
         {"--lr", "X", "learning rate (default: the model's, else PyTorch's)"},
         {"--weight-decay", "X", "weight decay (default: the model's, else 0)"},
         {"--momentum", "X", "momentum for sgd, momentum, nesterov, rmsprop"},
         {"--schedule", "NAME", "constant (default), step or cosine"},
         {"--step-size", "N",
          "step schedule: epochs between decays (default 1)"},
         {"--gamma", "X", "step schedule: decay factor (default 0.1)"},
         {"--seed", "S",
          "seed for shuffling, dropout and augmentation (default 0)"},
         {"--no-shuffle", "", "keep the data's order"},
         {"--hflip", "", "augment: random horizontal flips"},
         {"--translate", "N", "augment: random shifts of up to N pixels"},
         {"--noise", "X", "augment: Gaussian noise with standard deviation X"},
         {"--brightness", "X", "augment: add U(-X, X) to every pixel"},
         {"--save", "OUT", "checkpoint file (.nnc or .json)"},
         {"--resume", "CKPT", "continue from a checkpoint of MODEL"},
         {"--checkpoint-every", "N", "also checkpoint every N steps"},
         {"--max-steps", "N",
          "stop after N steps in total (then evaluate as after an epoch)"},
         {"--val-split", "F",
          "hold out a fraction F of the training set, fixed by the seed, "
          "and report its loss and accuracy after every epoch"},
         {"--early-stop", "N",
          "stop after N epochs without a lower validation loss"},
         {"--save-best", "OUT",
          "save the model whenever the validation loss is the lowest yet"},
         {"--log", "FILE",
          "one row per epoch, as CSV (.csv) or JSON Lines (.jsonl): step, "
          "epoch, lr, train, validation and test loss and accuracy, "
          "images/s, seconds (nnc plot draws it)"},
         {"--log-every", "N", "also log every N steps"},
         {"--limit-train", "N", "use the first N training examples"},
         {"--limit-test", "N", "use the first N test examples"},
         {"--progress", "MODE",
          "bar, lines or none (default: bar on a terminal)"},
         {"--loss", "KIND",
          "attach a loss to an inference model (an ONNX import): softmax-ce, "
          "nll, "
          "mse, bce or bce-logits"},
         {"--output", "NAME",
          "the output the loss reads (default: the only one)"},
         {"--distributed", "MODE",
          "auto (default: on when started by mpirun -np N), on or off; on: "
          "data-parallel over the MPI ranks, --batch the global batch"},
         {"--bucket-mb", "X",
          "data-parallel: megabytes of gradients summed at once (default 1)"},
         {"--sync-bn", "",
          "data-parallel: BatchNorm on the global batch's statistics "
          "(PyTorch's SyncBatchNorm), not each rank's"},
         {"--check-ranks", "",
          "data-parallel: check that the ranks' parameters are bit-identical "
          "after every step (default: after every epoch)"}}),
    1,
    1};

namespace {

Expected<double> getDouble(const Args &A, const std::string &Name) {
  std::string S = A.get(Name);
  char *End = nullptr;
  double V = std::strtod(S.c_str(), &End);
  if (S.empty() || *End != 0 || !std::isfinite(V))
    return error("option '", Name, "' needs a number, found '", S, "'");
  return V;
}

std::string clock(double Seconds) {
  int64_t S = int64_t(Seconds + 0.5);
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%lld:%02lld", (long long)(S / 60),
                (long long)(S % 60));
  return Buf;
}

/// A loss as 4 decimals, or in exponent form once a diverging run makes
/// the decimals unreadable.
std::string lossText(double Loss) {
  char Buf[48];
  std::snprintf(Buf, sizeof Buf, std::fabs(Loss) < 1e6 ? "%.4f" : "%.4g", Loss);
  return Buf;
}

/// A progress bar redrawn in place on a terminal, or plain lines.
void printStep(const StepReport &R, bool Bar) {
  char Acc[32] = "";
  if (R.HasAccuracy)
    std::snprintf(Acc, sizeof(Acc), " acc %.1f%%", 100 * R.Accuracy);
  if (Bar) {
    const int64_t Width = 24;
    std::string B(size_t(Width * R.StepInEpoch / R.StepsPerEpoch), '=');
    B.resize(size_t(Width), ' ');
    std::printf("\repoch %lld/%lld [%s] %lld/%lld loss %s%s %.0f img/s "
                "ETA %s ",
                (long long)(R.Epoch + 1), (long long)R.Epochs, B.c_str(),
                (long long)R.StepInEpoch, (long long)R.StepsPerEpoch,
                lossText(R.Loss).c_str(), Acc, R.ExamplesPerSecond,
                clock(R.EtaSeconds).c_str());
    std::fflush(stdout);
    return;
  }
  std::printf("epoch %lld/%lld step %lld/%lld lr %.3g loss %s%s %.0f img/s "
              "ETA %s\n",
              (long long)(R.Epoch + 1), (long long)R.Epochs,
              (long long)R.StepInEpoch, (long long)R.StepsPerEpoch, R.Lr,
              lossText(R.Loss).c_str(), Acc, R.ExamplesPerSecond,
              clock(R.EtaSeconds).c_str());
  std::fflush(stdout);
}

/// The options that are not TrainOptions.
struct DataLimits {
  int64_t Train = 0, Test = 0;
  double ValSplit = 0;
  std::string Log;
  int64_t LogEvery = 0;
};

/// --val-split, --early-stop, --save-best, --log, --log-every.
Status parseRunControl(const Args &A, TrainOptions &O, DataLimits &Limits) {
  if (A.has("--val-split")) {
    Expected<double> F = getDouble(A, "--val-split");
    if (!F.ok())
      return F.status();
    if (!(*F > 0 && *F < 1))
      return usageError("nnc train: --val-split must be between 0 and 1, "
                        "found ",
                        *F);
    Limits.ValSplit = *F;
  }
  for (auto [Name, Slot] : {std::pair{"--early-stop", &O.EarlyStop},
                            {"--log-every", &Limits.LogEvery}}) {
    Expected<int64_t> V = A.getInt(Name, 0);
    if (!V.ok())
      return V.status();
    if (*V < 0)
      return usageError("nnc train: ", Name, " must be >= 0");
    *Slot = *V;
  }
  if ((O.EarlyStop || A.has("--save-best")) && !Limits.ValSplit)
    return usageError("nnc train: --early-stop and --save-best watch the "
                      "validation loss: give --val-split");
  O.SaveBest = A.get("--save-best", "");
  Limits.Log = A.get("--log", "");
  if (Limits.LogEvery && Limits.Log.empty())
    return usageError("nnc train: --log-every needs --log FILE");
  return Status::success();
}

/// TrainOptions from the command line; every malformed value is an error
/// before anything is loaded.
Status parseTrainOptions(const Args &A, TrainOptions &O, DataLimits &Limits) {
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc train");
  O.Engine = *EO;
  struct IntOpt {
    const char *Name;
    int64_t *Slot;
  };
  int64_t Translate = 0, Seed = -1;
  for (IntOpt I : {IntOpt{"--epochs", &O.Epochs},
                   {"--batch", &O.Batch},
                   {"--step-size", &O.StepSize},
                   {"--checkpoint-every", &O.CheckpointEvery},
                   {"--max-steps", &O.MaxSteps},
                   {"--translate", &Translate},
                   {"--limit-train", &Limits.Train},
                   {"--limit-test", &Limits.Test},
                   {"--seed", &Seed}}) {
    Expected<int64_t> V = A.getInt(I.Name, *I.Slot);
    if (!V.ok())
      return V.status();
    *I.Slot = *V;
  }
  if (A.has("--seed")) {
    if (Seed < 0)
      return usageError("nnc train: --seed must be >= 0");
    O.Seed = uint64_t(Seed);
  }
  O.Augment.Translate = Translate;
  O.Augment.HorizontalFlip = A.has("--hflip");
  O.Shuffle = !A.has("--no-shuffle");
  O.Schedule = A.get("--schedule", "constant");
  O.SavePath = A.get("--save");
  struct DoubleOpt {
    const char *Name;
    std::optional<double> *Slot;
  };
  std::optional<double> Gamma, Noise, Brightness;
  for (DoubleOpt D : {DoubleOpt{"--lr", &O.Lr},
                      {"--weight-decay", &O.WeightDecay},
                      {"--momentum", &O.Momentum},
                      {"--gamma", &Gamma},
                      {"--noise", &Noise},
                      {"--brightness", &Brightness}}) {
    if (!A.has(D.Name))
      continue;
    Expected<double> V = getDouble(A, D.Name);
    if (!V.ok())
      return V.status();
    *D.Slot = *V;
  }
  O.Gamma = Gamma.value_or(0.1);
  O.Augment.Noise = Noise.value_or(0);
  O.Augment.Brightness = Brightness.value_or(0);
  if (A.has("--optimizer")) {
    O.Optimizer = A.get("--optimizer");
    OptimizerConfig Check; // a wrong name fails before the data is read
    NNC_TRY(setOptimizer(*O.Optimizer, Check).withPrefix("nnc train"));
  }
  O.Hparams = A.get("--hparams", "");
  if (!O.Hparams.empty())
    NNC_TRY(parseHparams(O.Hparams).status().withPrefix("nnc train"));
  return parseRunControl(A, O, Limits);
}

/// The model to train: MODEL, or the checkpoint --resume names (which must
/// hold MODEL's parameters), with the loss --loss attaches.
Expected<Graph> loadTrainingModel(const Args &A) {
  const std::string &ModelPath = A.positional()[0];
  Expected<Graph> Model = frontend::loadModel(ModelPath);
  if (!Model.ok())
    return Model.status();
  if (A.has("--resume")) {
    Expected<Graph> Ckpt = frontend::loadModel(A.get("--resume"));
    if (!Ckpt.ok())
      return Ckpt.status();
    for (const Value *P : Model->valuesWithRole(Role::Parameter))
      if (!Ckpt->findValue(P->Name) ||
          Ckpt->findValue(P->Name)->Type != P->Type)
        return error(A.get("--resume"), ": not a checkpoint of ", ModelPath,
                     ": parameter '", P->Name, "' is missing or differs");
    Model = std::move(Ckpt);
  }
  if (A.has("--loss") && !Model->Training) {
    Expected<OpKind> Loss = passes::parseLoss(A.get("--loss"));
    if (!Loss.ok())
      return Loss.status();
    OptimizerConfig Adam; // the optimizer flags override it below
    Adam.Kind = OptimizerKind::Adam;
    NNC_TRY(passes::attachLoss(*Model, *Loss, A.get("--output"), Adam)
                .withPrefix(ModelPath));
  }
  if (!Model->Training)
    return error(ModelPath, ": the model has no loss; name one with --loss "
                            "KIND (and --output NAME) to train it");
  warnIfBatchNormFolded(*Model, ModelPath);
  return Model;
}

/// " test loss 0.4 accuracy 85.00%"
std::string evalText(const char *What, const std::optional<EvalResult> &R) {
  if (!R)
    return "";
  std::string S = std::string(", ") + What + " loss " + lossText(R->Loss);
  if (R->HasAccuracy) {
    char Buf[32];
    std::snprintf(Buf, sizeof(Buf), " accuracy %.2f%%", 100 * R->accuracy());
    S += Buf;
  }
  return S;
}

/// Prints steps (as Mode says) and every epoch's losses and accuracy, and
/// logs them when Log is set.
void reportProgress(Trainer &T, const std::string &Mode, int64_t Every,
                    TrainLog *Log, int64_t LogEvery,
                    const std::string &SaveBest, bool ShowWaits) {
  T.OnStep = [=](const StepReport &S) {
    if (Mode == "bar")
      printStep(S, true);
    else if (Mode == "lines" &&
             (S.StepInEpoch % Every == 0 || S.StepInEpoch == S.StepsPerEpoch))
      printStep(S, false);
    if (Log && LogEvery && S.GlobalStep % LogEvery == 0)
      Log->step(S);
  };
  int64_t Patience = T.options().EarlyStop;
  T.OnEpoch = [=](const EpochReport &E) {
    if (Mode == "bar")
      std::printf("\n");
    if (E.Partial)
      std::printf("after step %lld (--max-steps), in epoch %lld/%lld: ",
                  (long long)E.Step, (long long)(E.Epoch + 1),
                  (long long)E.Epochs);
    else
      std::printf("epoch %lld/%lld: ", (long long)(E.Epoch + 1),
                  (long long)E.Epochs);
    std::printf("train loss %s%s%s (%.1f s)\n", lossText(E.TrainLoss).c_str(),
                evalText("validation", E.Val).c_str(),
                evalText("test", E.Test).c_str(), E.Seconds);
    if (ShowWaits)
      std::printf("rank 0 waited %.3f ms a step for the gradients' sums\n",
                  E.WaitSeconds * 1e3);
    if (E.Best && !SaveBest.empty())
      std::printf("lowest validation loss yet: saved %s\n", SaveBest.c_str());
    if (E.EarlyStop)
      std::printf("stopping early: no lower validation loss for %lld "
                  "epochs\n",
                  (long long)Patience);
    std::fflush(stdout);
    if (Log)
      Log->epoch(E);
  };
}

/// The ranks this run trains with: MPI's when mpirun started it (or
/// --distributed on), none otherwise.
Expected<std::unique_ptr<RankGroup>> joinRanks(const Args &A, TrainOptions &O) {
  std::string Mode = A.get("--distributed", "auto");
  if (Mode != "auto" && Mode != "on" && Mode != "off")
    return usageError("nnc train: --distributed must be auto, on or off, "
                      "found '",
                      Mode, "'");
  if (A.has("--bucket-mb")) {
    Expected<double> Mb = getDouble(A, "--bucket-mb");
    if (!Mb.ok())
      return Mb.status();
    if (!(*Mb > 0 && *Mb < 1e6))
      return usageError("nnc train: --bucket-mb must be in (0, 1e6), found ",
                        *Mb);
    O.BucketBytes = std::max<int64_t>(1, int64_t(*Mb * 1048576));
  }
  O.SyncBatchNorm = A.has("--sync-bn");
  O.CheckRanksEveryStep = A.has("--check-ranks");
  if (Mode == "off" || (Mode == "auto" && !launchedByMpi()))
    return std::unique_ptr<RankGroup>();
  return joinMpiWorld();
}

Status trainWith(const Args &A, TrainOptions &O, DataLimits &Limits);

} // namespace

Status runTrain(const Args &A) {
  if (!A.has("--data"))
    return usageError("nnc train: --data SPEC is required");
  TrainOptions O;
  DataLimits Limits;
  NNC_TRY(parseTrainOptions(A, O, Limits));
  Expected<std::unique_ptr<RankGroup>> Group = joinRanks(A, O);
  if (!Group.ok())
    return Group.status();
  O.Group = Group->get();
  Status S = trainWith(A, O, Limits);
  if (!S.ok() && O.Group && O.Group->size() > 1) {
    // The other ranks may be waiting for this one: end them all.
    std::fprintf(stderr, "error: rank %lld: %s\n", (long long)O.Group->rank(),
                 S.message().c_str());
    std::fflush(stderr);
    O.Group->abortAll(S.isUsage() ? 2 : 1);
  }
  return S;
}

namespace {

Status trainWith(const Args &A, TrainOptions &O, DataLimits &Limits) {
  const std::string &ModelPath = A.positional()[0];
  bool Speaks = !O.Group || O.Group->rank() == 0; // prints and logs
  Expected<Graph> Model = loadTrainingModel(A);
  if (!Model.ok())
    return Model.status();
  Expected<std::unique_ptr<Trainer>> T = Trainer::create(std::move(*Model), O);
  if (!T.ok())
    return T.status().withPrefix(ModelPath);
  // The JIT compiles the step while the data loads.
  (*T)->compileAhead();
  runtime::Dataset Train, Test, Val;
  NNC_TRY(loadData(A.get("--data"), Train, Test, Limits.Train, Limits.Test));
  if (Limits.ValSplit)
    Val = runtime::splitOff(Train, Limits.ValSplit, (*T)->seed());
  if (A.has("--batch") && O.Batch > Train.Count)
    return usageError("nnc train: --batch ", O.Batch, " is more than the ",
                      Train.Count, " training examples");
  std::string Mode =
      A.get("--progress", isatty(STDOUT_FILENO) ? "bar" : "lines");
  if (Mode != "bar" && Mode != "lines" && Mode != "none")
    return usageError("nnc train: --progress must be bar, lines or none");
  const passes::ResolvedOptimizer &R = (*T)->optimizer();
  if (Speaks)
    std::printf(
        "%s: %lld training, %lld validation and %lld test examples, batch "
        "%lld%s, %s lr %g, seed %llu%s\n",
        ModelPath.c_str(), (long long)Train.Count, (long long)Val.Count,
        (long long)Test.Count, (long long)O.Batch,
        (*T)->ranks() > 1
            ? (" over " + std::to_string((*T)->ranks()) + " ranks").c_str()
            : "",
        std::string(optimizerName(R.Kind)).c_str(), R.Lr,
        (unsigned long long)(*T)->seed(),
        (*T)->step()
            ? (", resuming at step " + std::to_string((*T)->step())).c_str()
            : "");
  std::unique_ptr<TrainLog> Log;
  if (!Limits.Log.empty() && Speaks) {
    Expected<std::unique_ptr<TrainLog>> L =
        TrainLog::open(Limits.Log, A.has("--resume"));
    if (!L.ok())
      return L.status();
    Log = std::move(*L);
  }
  if (Speaks)
    reportProgress(**T, Mode,
                   std::max<int64_t>(1, (Train.Count / O.Batch) / 10),
                   Log.get(), Limits.LogEvery, O.SaveBest,
                   O.Engine.Verbose && (*T)->ranks() > 1);
  NNC_TRY((*T)->train(Train, Test.Count ? &Test : nullptr,
                      Val.Count ? &Val : nullptr));
  if (!O.SavePath.empty() && Speaks)
    std::printf("saved %s (step %lld)\n", O.SavePath.c_str(),
                (long long)(*T)->step());
  return Status::success();
}

} // namespace

} // namespace nnc::tools
