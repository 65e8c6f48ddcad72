//===- tools/RunCommand.cpp - nnc run -------------------------------------===//
#include "backend/interp/Interpreter.h"
#include "frontend/ModelIO.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"
#include "tools/TensorFiles.h"

#include <cstdio>
#include <filesystem>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec RunSpec = {
    "run",
    "MODEL --input NAME=FILE ... --output-dir DIR",
    "Runs an entry point of a model on inputs read from files and writes\n"
    "every output to DIR/<name>.bin (raw little-endian) or .npy. Input files\n"
    "may be .npy, ONNX TensorProto (.pb), IDX (MNIST format, gzipped or\n"
    "not; bytes feeding a float tensor are scaled to [0,1]) or raw\n"
    "little-endian data of the tensor's dtype; the batch size is taken from\n"
    "the file. Runs compiled by the JIT (--engine interp: the reference\n"
    "interpreter).",
    withEngineOptions(
        {{"--input", "NAME=FILE", "feed tensor NAME from FILE", true},
         {"--output-dir", "DIR",
          "where outputs are written (created if needed)"},
         {"--entry", "NAME", "entry point to run (default: infer)"},
         {"--format", "bin|npy", "output file format (default: bin)"},
         {"--limit", "N", "use only the first N examples of each input"},
         {"--training", "", "training semantics: dropout, batch statistics"},
         {"--seed", "S", "seed for random ops when training (default 0)"}}),
    1,
    1};

namespace {

void printPreview(const std::string &Name, const backend::Tensor &T) {
  std::printf("  %-14s %s%s", Name.c_str(),
              std::string(dtypeName(T.Elt)).c_str(),
              shapeString(T.Dims).c_str());
  int64_t Row = T.Dims.empty() ? 1 : T.numElements() / T.Dims[0];
  std::printf("  [");
  for (int64_t I = 0; I < std::min<int64_t>(Row, 10); ++I)
    std::printf("%s%.5g", I ? ", " : "", T[I]);
  std::printf("%s]\n", Row > 10 ? ", ..." : "");
}

} // namespace

Status runRun(const Args &A) {
  const std::string &Path = A.positional()[0];
  if (!A.has("--output-dir"))
    return usageError("nnc run: --output-dir DIR is required");
  std::string Format = A.get("--format", "bin");
  if (Format != "bin" && Format != "npy")
    return usageError("nnc run: --format must be bin or npy, found '", Format,
                      "'");
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status().withPrefix("nnc run");
  Expected<int64_t> Limit = A.getInt("--limit", 0);
  Expected<int64_t> Seed = A.getInt("--seed", 0);
  if (!Limit.ok())
    return Limit.status();
  if (!Seed.ok())
    return Seed.status();

  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  std::string EntryName = A.get("--entry", "infer");
  const EntryPoint *E = G->findEntry(EntryName);
  if (!E)
    return error(Path, ": no entry point '", EntryName, "'", entryNames(*G));

  backend::TensorMap Inputs;
  for (const std::string &Spec : A.getAll("--input")) {
    size_t Eq = Spec.find('=');
    if (Eq == std::string::npos || Eq == 0)
      return usageError("nnc run: --input needs NAME=FILE, found '", Spec, "'");
    std::string Name = Spec.substr(0, Eq), File = Spec.substr(Eq + 1);
    const Value *Target = nullptr;
    for (const Value *V : E->Inputs)
      if (V->Name == Name)
        Target = V;
    if (!Target)
      return error(Path, ": entry point '", EntryName, "' has no input '", Name,
                   "'", inputNames(E->Inputs));
    std::optional<int64_t> Keep;
    if (*Limit > 0)
      Keep = *Limit;
    Expected<backend::Tensor> T = readTensorFile(File, *Target, Keep);
    if (!T.ok())
      return T.status();
    if (!EO->CheckNumerics) // which stops at it, naming it
      warnIfNonFinite(File, Name, *T);
    Inputs[Name] = std::move(*T);
  }

  Expected<std::unique_ptr<backend::Engine>> I = backend::createEngine(*G, *EO);
  if (!I.ok())
    return I.status().withPrefix(Path);
  backend::RunOptions Opts;
  Opts.Training = A.has("--training");
  Opts.Seed = uint64_t(*Seed);
  Expected<backend::TensorMap> Outputs = (*I)->run(EntryName, Inputs, Opts);
  if (!Outputs.ok())
    return Outputs.status().withPrefix(Path);

  std::string Dir = A.get("--output-dir");
  std::error_code EC;
  std::filesystem::create_directories(Dir, EC);
  if (EC)
    return error(Dir, ": cannot create directory: ", EC.message());
  std::printf("%s: %s\n", Path.c_str(), EntryName.c_str());
  for (const Value *V : E->Outputs) {
    const backend::Tensor &T = Outputs->at(V->Name);
    std::string File = Dir + "/" + V->Name + "." + Format;
    NNC_TRY(writeTensorFile(File, T, Format == "npy"));
    printPreview(V->Name, T);
  }
  std::printf("wrote %zu outputs to %s\n", E->Outputs.size(), Dir.c_str());
  return Status::success();
}

} // namespace nnc::tools
