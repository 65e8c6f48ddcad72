//===- tools/EvalCommand.cpp - nnc eval -----------------------------------===//
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "tools/Commands.h"
#include "tools/DataFeed.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"

#include <cmath>
#include <cstdio>

namespace nnc::tools {

const CommandSpec EvalSpec = {
    "eval",
    "MODEL --data SPEC [--split test|train] [--batch B] [--limit N]",
    "Evaluates a model (or checkpoint) in inference mode: the mean of its\n"
    "training loss, and for classifiers the accuracy and confusion matrix.",
    withEngineOptions({{"--data", "SPEC",
                        "fashion-mnist[:DIR], mnist:DIR, idx:DIR, "
                        "csv:TRAIN[,TEST]"},
                       {"--split", "NAME", "test (default) or train"},
                       {"--batch", "B", "examples per run (default 256)"},
                       {"--limit", "N", "use the first N examples"},
                       {"--predictions", "FILE",
                        "write each example's predicted class, one per line"}}),
    1,
    1};

namespace {

/// Each class's share of its examples classified right, by name when the
/// data set names its classes.
void printPerClass(const EvalResult &R, const std::vector<std::string> &Names) {
  std::printf("per class (right / examples of the class):\n");
  for (int64_t T = 0; T < R.Classes; ++T) {
    int64_t Of = 0;
    for (int64_t P = 0; P < R.Classes; ++P)
      Of += R.Confusion[size_t(T * R.Classes + P)];
    int64_t Right = R.Confusion[size_t(T * R.Classes + T)];
    std::string Name = size_t(T) < Names.size() ? Names[size_t(T)]
                                                : "class " + std::to_string(T);
    std::printf("  %5lld %-14s %6.2f%% (%lld/%lld)\n", (long long)T,
                Name.c_str(), Of ? 100.0 * double(Right) / double(Of) : 0.0,
                (long long)Right, (long long)Of);
  }
}

} // namespace

Status runEval(const Args &A) {
  if (!A.has("--data"))
    return usageError("nnc eval: --data SPEC is required");
  std::string Split = A.get("--split", "test");
  if (Split != "test" && Split != "train")
    return usageError("nnc eval: --split must be test or train");
  Expected<int64_t> Batch = A.getInt("--batch", 256);
  Expected<int64_t> Limit = A.getInt("--limit", 0);
  if (!Batch.ok())
    return Batch.status();
  if (!Limit.ok())
    return Limit.status();
  if (*Batch < 1)
    return usageError("nnc eval: --batch must be >= 1");
  const std::string &Path = A.positional()[0];
  Expected<ir::Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  NNC_TRY(refuseNonFinite(*G, Path, "evaluated"));
  runtime::Dataset Train, Test;
  bool UseTrain = Split == "train";
  NNC_TRY(loadData(A.get("--data"), Train, Test, UseTrain ? *Limit : 1,
                   UseTrain ? 1 : *Limit));
  const runtime::Dataset &D = UseTrain ? Train : Test;
  if (D.Count == 0)
    return usageError("--data ", A.get("--data"), " has no ", Split, " split");
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc eval");
  Expected<std::unique_ptr<backend::Engine>> I = backend::createEngine(*G, *EO);
  if (!I.ok())
    return I.status().withPrefix(Path);
  Expected<EvalResult> R = evaluate(*G, **I, D, *Batch);
  if (!R.ok())
    return R.status().withPrefix(Path);
  if (!std::isfinite(R->Loss))
    return error(Path, ": the loss on the ", Split, " split is ", R->Loss);
  if (A.has("--predictions")) {
    std::string Text;
    for (int64_t P : R->Predictions)
      Text += std::to_string(P) + "\n";
    NNC_TRY(frontend::writeFileAtomically(A.get("--predictions"), Text));
  }
  std::printf("%s on %lld %s examples: loss %.4f", Path.c_str(),
              (long long)R->Count, Split.c_str(), R->Loss);
  if (!R->HasAccuracy) {
    std::printf("\n");
    return Status::success();
  }
  std::printf(", accuracy %.2f%% (%lld/%lld)\n", 100 * R->accuracy(),
              (long long)R->Correct, (long long)R->Count);
  std::printf("confusion matrix (rows: true class, columns: predicted)\n     ");
  for (int64_t C = 0; C < R->Classes; ++C)
    std::printf("%6lld", (long long)C);
  std::printf("\n");
  for (int64_t T = 0; T < R->Classes; ++T) {
    std::printf("%5lld", (long long)T);
    for (int64_t P = 0; P < R->Classes; ++P)
      std::printf("%6lld", (long long)R->Confusion[size_t(T * R->Classes + P)]);
    if (size_t(T) < D.ClassNames.size())
      std::printf("  %s", D.ClassNames[size_t(T)].c_str());
    std::printf("\n");
  }
  printPerClass(*R, D.ClassNames);
  return Status::success();
}

} // namespace nnc::tools
