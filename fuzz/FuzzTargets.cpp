#include "fuzz/FuzzTargets.h"

#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"
#include "ir/Verifier.h"
#include "passes/KernelProgram.h"
#include "passes/TrainStep.h"
#include "runtime/Dataset.h"
#include "runtime/Idx.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace nnc::fuzz {
namespace {

using ir::Graph;

/// A directory of this process's own for the files the readers open,
/// removed at exit (the string outlives static destruction on purpose).
const std::string &scratchDir() {
  static const std::string *Dir = [] {
    std::filesystem::path P = std::filesystem::temp_directory_path() /
                              ("nnc-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(P);
    auto *S = new std::string(P.string());
    std::atexit([] {
      std::error_code EC;
      std::filesystem::remove_all(*Dir, EC);
    });
    return S;
  }();
  return *Dir;
}

std::string writeScratch(const std::string &Name, const uint8_t *Data,
                         size_t Size) {
  std::string Path = scratchDir() + "/" + Name;
  if (FILE *F = std::fopen(Path.c_str(), "wb")) {
    if (Size)
      std::fwrite(Data, 1, Size, F);
    std::fclose(F);
  }
  return Path;
}

FuzzOutcome refused(const std::string &Path, std::string Error) {
  return {false, std::move(Error), Path};
}

FuzzOutcome accepted(const std::string &Path) { return {true, "", Path}; }

/// Kernel lowering and memory planning of every entry point at Batch. Only
/// the sizes matter here, so no workspace is asked for.
void lowerEntries(const Graph &G, bool Training) {
  passes::LoweringOptions O;
  O.Training = Training;
  O.Workspace = [](const passes::Kernel &) { return size_t(0); };
  for (const ir::EntryPoint &E : G.EntryPoints)
    (void)passes::lowerToKernels(G, E, O);
}

/// What the tools do with a model they read: inference at two batch sizes,
/// and the training step when the model has a training table.
void compileModel(const Graph &G) {
  for (int64_t Batch : {1, 3}) {
    Graph C = G.clone();
    if (ir::inferShapes(C, Batch).ok())
      lowerEntries(C, false);
  }
  if (!G.Training)
    return;
  Graph T = G.clone();
  if (!passes::useRunningStatistics(T).ok() ||
      !passes::buildTrainStep(T).ok() || !ir::inferShapes(T, 2).ok())
    return;
  passes::LoweringOptions O;
  O.Training = true;
  O.Workspace = [](const passes::Kernel &) { return size_t(0); };
  if (const ir::EntryPoint *E = T.findEntry("train_step"))
    (void)passes::lowerToKernels(T, *E, O);
}

FuzzOutcome loadAndCompile(const std::string &Path) {
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return refused(Path, G.message());
  compileModel(*G);
  return accepted(Path);
}

FuzzOutcome fuzzBinaryModel(const uint8_t *Data, size_t Size) {
  return loadAndCompile(writeScratch("model.nnc", Data, Size));
}

FuzzOutcome fuzzJsonModel(const uint8_t *Data, size_t Size) {
  return loadAndCompile(writeScratch("model.json", Data, Size));
}

/// A checkpoint is a binary model with optimizer state and a step count;
/// --resume reads it and builds the training step over that state.
FuzzOutcome fuzzCheckpoint(const uint8_t *Data, size_t Size) {
  return loadAndCompile(writeScratch("checkpoint.nnc", Data, Size));
}

FuzzOutcome fuzzOnnx(const uint8_t *Data, size_t Size) {
  std::string Path = writeScratch("model.onnx", Data, Size);
  Expected<std::vector<uint8_t>> Bytes = frontend::readFile(Path);
  if (!Bytes.ok())
    return refused(Path, Bytes.message());
  Expected<Graph> G = frontend::importOnnx(*Bytes, Path);
  if (!G.ok())
    return refused(Path, G.message());
  compileModel(*G);
  return accepted(Path);
}

/// An MNIST-format directory: the input is a 4-byte big-endian length,
/// that many bytes of the images file, then the labels file.
FuzzOutcome fuzzIdx(const uint8_t *Data, size_t Size) {
  size_t Split = 0;
  if (Size >= 4)
    Split = size_t(Data[0]) << 24 | size_t(Data[1]) << 16 |
            size_t(Data[2]) << 8 | Data[3];
  size_t Rest = Size >= 4 ? Size - 4 : 0;
  Split = std::min(Split, Rest);
  const uint8_t *Images = Size >= 4 ? Data + 4 : Data;
  writeScratch("train-images-idx3-ubyte", Images, Split);
  writeScratch("train-labels-idx1-ubyte", Images + Split, Rest - Split);
  runtime::Dataset D;
  std::string Error;
  if (!runtime::loadIdxDataset(scratchDir(), true, D, Error))
    return refused(scratchDir(), Error);
  // Reading every example back touches the whole of what was accepted.
  std::vector<float> Example(size_t(D.exampleSize()));
  for (int64_t I = 0; I < D.Count; ++I)
    D.example(I, Example.data());
  return accepted(scratchDir());
}

FuzzOutcome fuzzCsv(const uint8_t *Data, size_t Size) {
  std::string Path = writeScratch("data.csv", Data, Size);
  runtime::Dataset D;
  std::string Error;
  if (!runtime::loadCsv(Path, D, Error))
    return refused(Path, Error);
  std::vector<float> Example(size_t(D.exampleSize()));
  for (int64_t I = 0; I < D.Count; ++I)
    D.example(I, Example.data());
  return accepted(Path);
}

} // namespace

const std::vector<FuzzTarget> &fuzzTargets() {
  static const std::vector<FuzzTarget> Targets = {
      {"model", "binary .nnc models", fuzzBinaryModel},
      {"json", "JSON models", fuzzJsonModel},
      {"onnx", "ONNX models", fuzzOnnx},
      {"idx", "IDX data sets (images and labels)", fuzzIdx},
      {"csv", "CSV data sets", fuzzCsv},
      {"checkpoint", "training checkpoints", fuzzCheckpoint},
  };
  return Targets;
}

const FuzzTarget *findFuzzTarget(const std::string &Name) {
  for (const FuzzTarget &T : fuzzTargets())
    if (Name == T.Name)
      return &T;
  return nullptr;
}

} // namespace nnc::fuzz
