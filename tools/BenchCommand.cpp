//===- tools/BenchCommand.cpp - nnc bench ---------------------------------===//
//
// Fused against unfused, in one process: both compilations of each entry
// point run in alternating rounds after a warm-up, so drifts of a shared,
// noisy machine hit both alike; the table shows medians.
//
//===----------------------------------------------------------------------===//
#include "backend/Compile.h"
#include "frontend/ModelIO.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/DataFeed.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec BenchSpec = {
    "bench",
    "MODEL [--entry infer,train_step] [--batch 1,64] [--rounds N]",
    "Compiles a model fused and unfused and times both in this process, in\n"
    "alternating rounds after a warm-up. Prints, per entry point and batch:\n"
    "median time, images/s, estimated memory traffic, arena bytes and the\n"
    "unfused/fused time ratio (>1: fusion is faster).",
    withEngineOptions(
        {{"--entry", "LIST", "entry points (default: infer,train_step)"},
         {"--batch", "LIST", "batch sizes (default: 1,64)"},
         {"--rounds", "N", "alternating rounds (default 9)"},
         {"--min-time", "SECONDS",
          "time per round and compilation (default 0.2)"}},
        // Always fused against unfused, always compiled: --fuse says what
        // the fused variant fuses.
        CompiledCode | FuseList | VerboseOutput),
    1,
    1};

namespace {

double median(std::vector<double> V) {
  std::sort(V.begin(), V.end());
  return V.empty() ? 0 : V[V.size() / 2];
}

std::string megabytes(size_t B) {
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%.2f MB", double(B) / 1e6);
  return Buf;
}

} // namespace

Status runBench(const Args &A) {
  const std::string &Path = A.positional()[0];
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc bench");
  Expected<int64_t> Rounds = A.getInt("--rounds", 9);
  if (!Rounds.ok())
    return Rounds.status();
  double MinTime = std::atof(A.get("--min-time", "0.2").c_str());
  std::vector<int64_t> Batches;
  for (const std::string &B : splitList(A.get("--batch", "1,64")))
    Batches.push_back(std::atoll(B.c_str()));
  Expected<Graph> Loaded = frontend::loadModel(Path);
  if (!Loaded.ok())
    return Loaded.status();

  std::printf("%-11s %5s  %-8s %10s %10s %12s %10s %9s\n", "entry", "batch",
              "variant", "median", "images/s", "traffic", "arena", "unf/fused");
  for (const std::string &Entry :
       splitList(A.get("--entry", "infer,train_step"))) {
    // Each variant on its own graph, as separate compilations would be.
    bool Train = Entry == passes::TrainStepName;
    std::vector<Graph> G;
    for (int V = 0; V < 2; ++V) {
      if (!Train) {
        G.push_back(Loaded->clone());
        continue;
      }
      Expected<backend::TrainingGraph> T = backend::buildTrainingGraph(*Loaded);
      if (!T.ok())
        return T.status().withPrefix(Path);
      G.push_back(std::move(T->Graph));
    }
    if (!G[0].findEntry(Entry))
      return error(Path, ": no entry point '", Entry, "'", entryNames(G[0]));
    backend::EngineOptions O[2] = {*EO, *EO}; // fused as --fuse says, unfused
    O[1].setFuse(false);
    for (int64_t Batch : Batches) {
      std::unique_ptr<backend::Engine> E[2];
      std::unique_ptr<backend::PreparedRun> P[2];
      backend::CompileReport R[2];
      backend::TensorMap In = randomInputs(*G[0].findEntry(Entry), Batch);
      backend::RunOptions Run;
      Run.Training = Train;
      for (int V = 0; V < 2; ++V) {
        Expected<std::unique_ptr<backend::Engine>> Eng =
            backend::createEngine(G[V], O[V]);
        if (!Eng.ok())
          return Eng.status();
        E[V] = std::move(*Eng);
        NNC_TRY(E[V]->run(Entry, In, Run).status()); // compile, warm up
        // The kernels' traffic and arena, as the engine compiled them.
        backend::CompileOptions Report;
        Report.Entries = {Entry};
        Report.Batch = Batch;
        Report.Engine = O[V];
        Report.Engine.Threads = std::max<int64_t>(1, O[V].Threads);
        Report.StopAfter = "memory-plan";
        Expected<backend::CompiledProgram> C = backend::compile(G[V], Report);
        if (!C.ok())
          return C.status();
        R[V] = C->Entries.front().Report;
        // Timed as an app runs it: inputs converted once, outputs in place.
        Expected<std::unique_ptr<backend::PreparedRun>> Prepared =
            E[V]->prepare(Entry, In, Run);
        if (!Prepared.ok())
          return Prepared.status();
        P[V] = std::move(*Prepared);
      }
      // Iterations per round so a round takes about MinTime.
      auto Time = [&](int V, int64_t Iters) -> Expected<double> {
        auto Start = std::chrono::steady_clock::now();
        for (int64_t I = 0; I < Iters; ++I)
          NNC_TRY(P[V]->run());
        return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             Start)
                   .count() /
               double(Iters);
      };
      Expected<double> Once = Time(0, 3);
      if (!Once.ok())
        return Once.status();
      int64_t Iters = std::max<int64_t>(1, int64_t(MinTime / *Once));
      std::vector<double> Samples[2];
      for (int64_t Round = 0; Round < *Rounds; ++Round)
        for (int V = 0; V < 2; ++V) {
          Expected<double> T = Time(V, Iters);
          if (!T.ok())
            return T.status();
          Samples[V].push_back(*T);
        }
      double Med[2] = {median(Samples[0]), median(Samples[1])};
      for (int V = 0; V < 2; ++V) {
        char Ratio[16] = "";
        if (V == 0)
          std::snprintf(Ratio, sizeof(Ratio), "%.2f", Med[1] / Med[0]);
        std::printf(
            "%-11s %5lld  %-8s %8.3fms %10.0f %12s %10s %9s\n", Entry.c_str(),
            (long long)Batch, V == 0 ? "fused" : "unfused", Med[V] * 1e3,
            double(Batch) / Med[V], megabytes(R[V].TrafficBytes).c_str(),
            megabytes(R[V].ArenaBytes).c_str(), Ratio);
      }
    }
  }
  return Status::success();
}

} // namespace nnc::tools
