//===- tools/TrainerRanks.cpp - The trainer's data-parallel part ----------===//
//
// What changes when several processes train together (TrainOptions::Group):
// they check they run the same thing, start from rank 0's parameters, sum
// what they report, and each evaluates its part of a data set.
//
//===----------------------------------------------------------------------===//
#include "tools/Trainer.h"

#include "frontend/Checksum.h"
#include "ir/Printer.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace nnc::tools {

using namespace nnc::ir;

namespace {

uint64_t hashOf(const std::string &Text) {
  return frontend::fnv1a64(reinterpret_cast<const uint8_t *>(Text.data()),
                           Text.size());
}

/// Fails on every rank unless each hashed the same Text: Before, the first
/// rank that differs, then After.
Status expectSameOnRanks(RankGroup &G, const std::string &Text,
                         const std::string &Before, const char *After) {
  Expected<int64_t> Other = G.firstDiffering(hashOf(Text));
  if (!Other.ok())
    return Other.status();
  if (*Other >= 0)
    return error(Before, "rank ", *Other, After);
  return Status::success();
}

/// Rank 0's values of G's stored tensors whose role is Wanted, on every
/// rank.
Status broadcastStored(RankGroup &Group, const Graph &G, backend::Engine &E,
                       bool (*Wanted)(Role)) {
  for (const auto &V : G.values()) {
    if (!Wanted(V->Kind))
      continue;
    std::vector<double> Values = E.read(V.get());
    NNC_TRY(Group.broadcast(Values));
    E.write(V.get(), Values);
  }
  return Status::success();
}

} // namespace

Status Trainer::checkRankOptions() const {
  if (ranks() == 1)
    return Status::success();
  if (Opts.Batch % ranks() != 0)
    return usageError("--batch ", Opts.Batch, " must be a multiple of the ",
                      ranks(), " ranks: each rank runs an equal part of it");
  if (Opts.Engine.Kind != backend::EngineKind::Jit)
    return usageError("data-parallel training runs the JIT; the reference "
                      "interpreter trains in one process");
  if (Opts.BucketBytes < 1)
    return usageError("the gradient bucket size must be positive");
  return Status::success();
}

Status Trainer::joinRanks() {
  if (ranks() == 1)
    return Status::success();
  // The train step as built (ops, shapes, hyper-parameters, names) and the
  // options that choose the data and the schedule.
  std::ostringstream Setup;
  printGraph(TrainG, Setup);
  Setup << Opts.Epochs << ' ' << Opts.Batch << ' ' << Opts.Schedule << ' '
        << Opts.StepSize << ' ' << Opts.Gamma << ' ' << Seed << ' ' << Step
        << ' ' << Opts.Shuffle << ' ' << Opts.MaxSteps << ' '
        << Opts.BucketBytes << ' ' << Opts.SyncBatchNorm << ' '
        << Opts.CheckRanksEveryStep << ' ' << Opts.EarlyStop << ' '
        << TS.Optimizer.Lr << ' ' << TS.Optimizer.WeightDecay;
  NNC_TRY(expectSameOnRanks(
      *Opts.Group, Setup.str(), "",
      " has another model, optimizer or training options than rank 0: every "
      "rank must run the same command on the same files"));
  // Rank 0's parameters and optimizer state everywhere, as DDP starts.
  return broadcastStored(*Opts.Group, TrainG, *TrainI, [](Role R) {
    return R == Role::Parameter || R == Role::State;
  });
}

Status Trainer::checkSameData(const runtime::Dataset &Data,
                              const runtime::Dataset *Test,
                              const runtime::Dataset *Val) const {
  if (ranks() == 1)
    return Status::success();
  // The sets' sizes fix the steps and the evaluations every rank takes
  // part in; the augmentation, what each rank draws.
  std::ostringstream Setup;
  const runtime::Augmentation &A = Opts.Augment;
  Setup << Data.Count << ' ' << (Test ? Test->Count : -1) << ' '
        << (Val ? Val->Count : -1) << ' ' << A.Translate << ' '
        << A.HorizontalFlip << ' ' << A.Noise << ' ' << A.Brightness;
  return expectSameOnRanks(
      *Opts.Group, Setup.str(), "",
      " has other training, validation or test sets, or another "
      "augmentation, than rank 0: every rank must read the same data with "
      "the same options");
}

Status Trainer::syncRanks() {
  if (ranks() == 1)
    return Status::success();
  // BatchNorm's running statistics follow each rank's own batches: rank
  // 0's go everywhere, as DDP broadcasts its buffers. Optimizer state is
  // the same on every rank already.
  NNC_TRY(broadcastStored(*Opts.Group, TrainG, *TrainI,
                          [](Role R) { return R == Role::State; }));
  return checkRanksAgree();
}

Status Trainer::checkRanksAgree() {
  if (ranks() == 1)
    return Status::success();
  // The same averaged gradients make the same parameters, bit for bit.
  std::string Bits;
  for (const auto &V : TrainG.values())
    if (V->Kind == Role::Parameter) {
      std::vector<double> Values = TrainI->read(V.get());
      Bits.append(reinterpret_cast<const char *>(Values.data()),
                  Values.size() * sizeof(double));
    }
  return expectSameOnRanks(*Opts.Group, Bits,
                           "after step " + std::to_string(Step) + ", ",
                           "'s parameters differ from rank 0's: the ranks no "
                           "longer train the same model");
}

runtime::Dataset Trainer::shardOf(const runtime::Dataset &D) const {
  if (ranks() == 1)
    return D;
  int64_t Begin = D.Count * rank() / ranks();
  int64_t End = D.Count * (rank() + 1) / ranks();
  runtime::Dataset S;
  S.Count = End - Begin;
  S.ExampleDims = D.ExampleDims;
  S.PixelScale = D.PixelScale;
  S.NumClasses = D.NumClasses;
  S.ClassNames = D.ClassNames;
  int64_t Size = D.exampleSize();
  auto Part = [&](const auto &All, auto &Into, int64_t Per) {
    if (!All.empty())
      Into.assign(All.begin() + Begin * Per, All.begin() + End * Per);
  };
  Part(D.Pixels, S.Pixels, Size);
  Part(D.Features, S.Features, Size);
  Part(D.Targets, S.Targets, 1);
  return S;
}

Status Trainer::sumOverRanks(double &LossTimesCount, double &Correct) const {
  if (ranks() == 1)
    return Status::success();
  std::vector<double> Sums = {LossTimesCount, Correct};
  NNC_TRY(Opts.Group->sum(Sums));
  LossTimesCount = Sums[0];
  Correct = Sums[1];
  return Status::success();
}

Status Trainer::sumOverRanks(EvalResult &R) const {
  std::vector<double> Sums = {R.Count ? R.Loss * double(R.Count) : 0,
                              double(R.Correct), double(R.Count)};
  Sums.insert(Sums.end(), R.Confusion.begin(), R.Confusion.end());
  NNC_TRY(Opts.Group->sum(Sums));
  R.Count = int64_t(Sums[2]);
  R.Loss = Sums[0] / double(std::max<int64_t>(R.Count, 1));
  R.Correct = int64_t(Sums[1]);
  for (size_t I = 0; I < R.Confusion.size(); ++I)
    R.Confusion[I] = int64_t(Sums[3 + I]);
  R.Predictions.clear(); // each rank has its own part's alone
  return Status::success();
}

} // namespace nnc::tools
