//===- bench/EngineBench.cpp - JIT against the interpreter --------------===//
//
// train_step and infer of the example models at batch 1, 64 and 256, on the
// JIT and on the reference interpreter, in one run. Reports images/s and
// GFLOP/s (forward FLOPs from the op table; a training step counts the
// whole graph it runs). Run from the build directory:
//   bench/nnc_engine_bench [--benchmark_filter=lenet5] [--threads=N]
//
//===----------------------------------------------------------------------===//
#include "backend/Compile.h"
#include "backend/Engine.h"
#include "frontend/ModelIO.h"
#include "ir/Builder.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/TrainStep.h"
#include "tools/DataFeed.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <tuple>

using namespace nnc;
using namespace nnc::ir;

namespace {

/// Runs Entry for the benchmark's iterations as an embedding app runs it:
/// inputs converted once, outputs left in place. False (the benchmark
/// marked failed) if it cannot run.
bool timeRuns(benchmark::State &S, backend::Engine &E, const std::string &Entry,
              const backend::TensorMap &In,
              const backend::RunOptions &Opts = {}) {
  auto Run = E.prepare(Entry, In, Opts);
  if (!Run.ok()) {
    S.SkipWithError(Run.status().message().c_str());
    return false;
  }
  for (auto _ : S)
    if (Status St = (*Run)->run(); !St.ok()) {
      S.SkipWithError(St.message().c_str());
      return false;
    }
  return true;
}

int64_t Threads = 0;

/// FLOPs of the nodes an entry runs, at the graph's bound shapes.
double entryFlops(const Graph &G, const EntryPoint &E);

/// FLOPs of entry Name at batch Batch (a copy of G bound to it: G's own
/// shapes are those of batch 1).
double entryFlopsAt(const Graph &G, const std::string &Name, int64_t Batch) {
  Graph Bound = G.clone(/*StoredData=*/false);
  if (!inferShapes(Bound, Batch).ok())
    return 0;
  return entryFlops(Bound, *Bound.findEntry(Name));
}

double entryFlops(const Graph &G, const EntryPoint &E) {
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  double F = 0;
  for (const Node *N : G.nodesReaching(Wanted))
    if (N->info().Flops)
      F += double(N->info().Flops(*N));
  return F;
}

struct Case {
  std::string Model, Entry;
  int64_t Batch;
  backend::EngineKind Kind;
};

void run(benchmark::State &S, Case C) {
  Expected<Graph> Loaded = frontend::loadModel(
      std::string(NNC_SOURCE_DIR) + "/examples/models/" + C.Model + ".json");
  if (!Loaded.ok()) {
    S.SkipWithError(Loaded.status().message().c_str());
    return;
  }
  auto G = std::make_unique<Graph>(std::move(*Loaded));
  if (C.Entry == passes::TrainStepName) {
    Expected<backend::TrainingGraph> T = backend::buildTrainingGraph(*G);
    if (!T.ok()) {
      S.SkipWithError(T.status().message().c_str());
      return;
    }
    *G = std::move(T->Graph);
  }
  backend::EngineOptions O;
  O.Kind = C.Kind;
  O.Threads = Threads;
  O.CacheDir =
      backend::defaultCompileCacheDir(); // runs after the first skip LLVM
  auto E = backend::createEngine(*G, O);
  if (!E.ok()) {
    S.SkipWithError(E.status().message().c_str());
    return;
  }
  const EntryPoint *Entry = G->findEntry(C.Entry);
  backend::TensorMap In = tools::randomInputs(*Entry, C.Batch);
  backend::RunOptions Opts;
  Opts.Training = C.Entry == passes::TrainStepName;
  // Warm-up: compiles (JIT) and binds the shapes.
  auto First = (*E)->run(C.Entry, In, Opts);
  if (!First.ok()) {
    S.SkipWithError(First.status().message().c_str());
    return;
  }
  double Flops = entryFlopsAt(*G, C.Entry, C.Batch);
  if (!timeRuns(S, **E, C.Entry, In, Opts))
    return;
  S.SetItemsProcessed(S.iterations() * C.Batch);
  S.counters["GFLOP/s"] = benchmark::Counter(
      Flops * double(S.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

/// One MatMul [M, K] x [K, N]: the GEMM kernel alone, against the
/// machine's peak (about 115 GFLOP/s per core here).
void gemm(benchmark::State &S, int64_t M, int64_t N, int64_t K) {
  Graph G;
  Builder B(G);
  Value *A = B.input("a", {M, K});
  Value *Bv = B.input("b", {K, N});
  Value *C = B.op(OpKind::MatMul, {A, Bv}, {}, "c");
  B.entry("infer", {A, Bv}, {C});
  if (!B.status().ok() || !verify(G).ok()) {
    S.SkipWithError("cannot build the MatMul graph");
    return;
  }
  backend::EngineOptions O;
  O.Threads = 1;
  auto E = backend::createEngine(G, O);
  backend::TensorMap In = tools::randomInputs(G.EntryPoints[0], 1);
  if (!timeRuns(S, **E, "infer", In))
    return;
  S.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(M * N * K) * double(S.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

/// The conv-BN-ReLU block of issue 5 (N=64, 32->64 channels, 14x14, 3x3
/// pad 1): inference (BatchNorm with running statistics) or training
/// forward and backward (batch statistics; gradients of the input and every
/// parameter of loss = sum(y * R)), fused or not.
void block(benchmark::State &S, bool Training, bool Fuse) {
  Graph G;
  Builder B(G);
  SplitMix64 Rng(7);
  auto Random = [&](Shape D, double Lo, double Hi) {
    std::vector<double> V(size_t(numElements(D)));
    for (double &X : V)
      X = Lo + (Hi - Lo) * Rng.uniform();
    return V;
  };
  Value *X = B.input("x", {64, 32, 14, 14});
  Value *W = B.constant("w", {64, 32, 3, 3}, Random({64, 32, 3, 3}, -0.1, 0.1));
  Value *Bias = B.constant("b", {64}, Random({64}, -0.1, 0.1));
  Value *C = B.op(OpKind::Conv, {X, W, Bias},
                  attrs({{"pads", std::vector<int64_t>{1, 1, 1, 1}}}), "conv");
  std::vector<Value *> Bn = {C, B.constant("s", {64}, Random({64}, 0.5, 1.5)),
                             B.constant("beta", {64}, Random({64}, -0.5, 0.5)),
                             B.constant("m", {64}, Random({64}, -0.1, 0.1)),
                             B.constant("v", {64}, Random({64}, 0.5, 2))};
  Value *N = Training ? B.ops(OpKind::BatchNormTrain, Bn, {}, 3, "bn")[0]
                      : B.op(OpKind::BatchNorm, Bn, {}, "bn");
  Value *Y = B.op(OpKind::Relu, {N}, {}, "y");
  if (!Training) {
    B.entry("infer", {X}, {Y});
  } else {
    Value *R =
        B.constant("r", {64, 64, 14, 14}, Random({64, 64, 14, 14}, -1, 1));
    Value *L = B.op(OpKind::ReduceSum, {B.op(OpKind::Mul, {Y, R})},
                    attrs({{"keepdims", int64_t(0)}}), "loss");
    auto D = passes::differentiate(G, L, {X, W, Bias, Bn[1], Bn[2]});
    if (!D.ok()) {
      S.SkipWithError(D.status().message().c_str());
      return;
    }
    std::vector<Value *> Grads = {L};
    for (Value *V : {X, W, Bias, Bn[1], Bn[2]})
      Grads.push_back(D->Grads.at(V));
    G.EntryPoints.push_back({"infer", {X}, Grads, {}});
  }
  if (!B.status().ok() || !verify(G).ok()) {
    S.SkipWithError("cannot build the block");
    return;
  }
  backend::EngineOptions O;
  O.Threads = Threads;
  O.CacheDir = backend::defaultCompileCacheDir();
  O.setFuse(Fuse);
  auto E = backend::createEngine(G, O);
  backend::TensorMap In = {
      {"x", backend::Tensor(DType::F32, {64, 32, 14, 14},
                            Random({64, 32, 14, 14}, 0, 1))}};
  backend::RunOptions Opts;
  Opts.Training = Training;
  if (!timeRuns(S, **E, "infer", In, Opts))
    return;
  double Flops = 2.0 * 64 * 64 * 32 * 9 * 196 * (Training ? 3 : 1);
  S.counters["GFLOP/s"] = benchmark::Counter(
      Flops * double(S.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

/// The machine's fp32 peak per thread: independent chains of FMAs (two FMA
/// pipes, four cycles of latency), nothing loaded or stored; 16-wide where
/// the CPU has AVX-512 (the width the generated code uses there), else
/// 8-wide. A macro, so each body compiles for its function's target.
#define NNC_FMA_PEAK(Lanes)                                                    \
  typedef float V __attribute__((vector_size(4 * Lanes)));                     \
  V Acc[12], B, C;                                                             \
  for (int I = 0; I < Lanes; ++I) {                                            \
    B[I] = 1.0001f;                                                            \
    C[I] = 1e-7f;                                                              \
  }                                                                            \
  for (V & A : Acc)                                                            \
    A = C;                                                                     \
  const int64_t Iters = 1 << 20;                                               \
  for (auto _ : S) {                                                           \
    for (int64_t I = 0; I < Iters; ++I)                                        \
      for (V & A : Acc)                                                        \
        A = A * B + C;                                                         \
    benchmark::DoNotOptimize(Acc);                                             \
  }                                                                            \
  S.counters["GFLOP/s"] = benchmark::Counter(                                  \
      double(S.iterations()) * double(Iters) * 12 * Lanes * 2 / 1e9,           \
      benchmark::Counter::kIsRate);

__attribute__((target("avx512f,fma"))) void peak512(benchmark::State &S) {
  NNC_FMA_PEAK(16)
}
__attribute__((target("avx2,fma"))) void peak256(benchmark::State &S) {
  NNC_FMA_PEAK(8)
}
#undef NNC_FMA_PEAK

void peak(benchmark::State &S) {
  if (__builtin_cpu_supports("avx512f"))
    peak512(S);
  else
    peak256(S);
}

} // namespace

int main(int Argc, char **Argv) {
  for (int I = 1; I < Argc; ++I)
    if (std::strncmp(Argv[I], "--threads=", 10) == 0)
      Threads = std::atoll(Argv[I] + 10);
  for (const char *Model : {"lenet5", "convbn", "lstm_fmnist", "gru_fmnist"})
    for (const char *Entry : {"infer", "train_step"})
      for (int64_t Batch : {1, 64, 256})
        for (auto Kind :
             {backend::EngineKind::Jit, backend::EngineKind::Interp}) {
          std::string Name =
              std::string(Model) + "/" + Entry +
              "/batch:" + std::to_string(Batch) + "/" +
              (Kind == backend::EngineKind::Jit ? "jit" : "interp");
          benchmark::RegisterBenchmark(Name.c_str(), run,
                                       Case{Model, Entry, Batch, Kind})
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{16, 1100, 150},
                         {6, 1568, 25},
                         {64, 120, 400},
                         {256, 256, 256},
                         {1024, 1024, 1024}})
    benchmark::RegisterBenchmark(("gemm/" + std::to_string(M) + "x" +
                                  std::to_string(N) + "x" + std::to_string(K))
                                     .c_str(),
                                 gemm, M, N, K)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  benchmark::RegisterBenchmark("peak/fma", peak)->UseRealTime();
  for (bool Training : {false, true})
    for (bool Fuse : {true, false})
      benchmark::RegisterBenchmark((std::string("block/") +
                                    (Training ? "train" : "infer") + "/" +
                                    (Fuse ? "fused" : "unfused"))
                                       .c_str(),
                                   block, Training, Fuse)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  benchmark::Initialize(&Argc, Argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
