//===- tools/TrainLog.h - nnc train --log: one row per epoch ----*- C++ -*-===//
//
// A CSV (.csv) or JSON Lines (.jsonl) file with a row per epoch and, with
// --log-every N, every N steps: what was measured, for plotting (nnc plot)
// or reading into any tool. Rows are flushed as they are written, so the
// file holds every finished row whatever ends the run.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "tools/Trainer.h"

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

namespace nnc::tools {

class TrainLog {
public:
  /// Creates Path, or appends to it (a resumed run) when Append is set and
  /// it exists. An extension other than .csv or .jsonl is a usage error.
  static Expected<std::unique_ptr<TrainLog>> open(const std::string &Path,
                                                  bool Append);
  void step(const StepReport &S);
  void epoch(const EpochReport &E);

  /// The columns, in order.
  static constexpr const char *Columns[] = {"kind",
                                            "step",
                                            "epoch",
                                            "lr",
                                            "train_loss",
                                            "train_accuracy",
                                            "val_loss",
                                            "val_accuracy",
                                            "test_loss",
                                            "test_accuracy",
                                            "images_per_second",
                                            "seconds"};

private:
  TrainLog(std::ofstream Out, bool Csv) : Out(std::move(Out)), Csv(Csv) {}
  /// One row; NaN values are left empty (CSV) or null (JSON).
  void row(const char *Kind, int64_t Step, int64_t Epoch,
           const double (&Values)[8]);

  std::ofstream Out;
  bool Csv;
  std::chrono::steady_clock::time_point Start =
      std::chrono::steady_clock::now();
};

} // namespace nnc::tools
