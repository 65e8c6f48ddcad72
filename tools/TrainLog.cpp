#include "tools/TrainLog.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace nnc::tools {

Expected<std::unique_ptr<TrainLog>> TrainLog::open(const std::string &Path,
                                                   bool Append) {
  bool Csv = Path.ends_with(".csv");
  if (!Csv && !Path.ends_with(".jsonl"))
    return usageError("--log ", Path,
                      ": the file's extension says its format, .csv or "
                      ".jsonl");
  std::error_code EC;
  bool Continue = Append && std::filesystem::file_size(Path, EC) > 0 && !EC;
  std::ofstream Out(Path, Continue ? std::ios::app : std::ios::trunc);
  if (!Out)
    return error(Path, ": cannot write the training log");
  if (Csv && !Continue) {
    for (const char *C : Columns)
      Out << (C == Columns[0] ? "" : ",") << C;
    Out << "\n" << std::flush;
  }
  return std::unique_ptr<TrainLog>(new TrainLog(std::move(Out), Csv));
}

void TrainLog::row(const char *Kind, int64_t Step, int64_t Epoch,
                   const double (&Values)[8]) {
  double Wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  auto Number = [](double V) {
    char Buf[32];
    std::snprintf(Buf, sizeof(Buf), "%.9g", V);
    return std::string(Buf);
  };
  std::string Line;
  if (Csv) {
    Line = std::string(Kind) + "," + std::to_string(Step) + "," +
           std::to_string(Epoch);
    for (double V : Values)
      Line += "," + (std::isnan(V) ? "" : Number(V));
    Line += "," + Number(Wall);
  } else {
    Line = std::string("{\"kind\": \"") + Kind +
           "\", \"step\": " + std::to_string(Step) +
           ", \"epoch\": " + std::to_string(Epoch);
    for (int I = 0; I < 8; ++I)
      Line += std::string(", \"") + Columns[3 + I] +
              "\": " + (std::isnan(Values[I]) ? "null" : Number(Values[I]));
    Line += ", \"seconds\": " + Number(Wall) + "}";
  }
  Out << Line << "\n" << std::flush;
}

void TrainLog::step(const StepReport &S) {
  double Acc = S.HasAccuracy ? S.Accuracy : NAN;
  row("step", S.GlobalStep, S.Epoch + 1,
      {S.Lr, S.Loss, Acc, NAN, NAN, NAN, NAN, S.ExamplesPerSecond});
}

void TrainLog::epoch(const EpochReport &E) {
  auto Loss = [](const std::optional<EvalResult> &R) {
    return R ? R->Loss : NAN;
  };
  auto Accuracy = [](const std::optional<EvalResult> &R) {
    return R && R->HasAccuracy ? R->accuracy() : NAN;
  };
  row("epoch", E.Step, E.Epoch + 1,
      {E.Lr, E.TrainLoss, E.HasAccuracy ? E.TrainAccuracy : NAN, Loss(E.Val),
       Accuracy(E.Val), Loss(E.Test), Accuracy(E.Test), E.ExamplesPerSecond});
}

} // namespace nnc::tools
