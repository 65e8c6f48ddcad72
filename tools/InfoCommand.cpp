//===- tools/InfoCommand.cpp - nnc info -----------------------------------===//
#include "backend/Compile.h"
#include "frontend/ModelIO.h"
#include "ir/Verifier.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/ModelSummary.h"

#include <cstdio>
#include <set>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec InfoSpec = {
    "info",
    "MODEL",
    "Summarizes a model: inputs, outputs, entry points; its layers with\n"
    "output shapes, parameters and FLOPs (batch 1); parameter count, the\n"
    "compiled arena, every optimizer hyper-parameter and a checkpoint's\n"
    "state by what it is.",
    {},
    1,
    1};

namespace {

std::string humanBytes(double B) {
  const char *Units[] = {"B", "KiB", "MiB", "GiB"};
  int U = 0;
  while (B >= 1024 && U < 3)
    B /= 1024, ++U;
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), U ? "%.1f %s" : "%.0f %s", B, Units[U]);
  return Buf;
}

std::string typeOf(const Value *V) {
  return std::string(dtypeName(V->Type.Elt)) + shapeString(V->DeclaredDims);
}

std::string valueList(const std::vector<Value *> &Vs) {
  std::string S;
  for (const Value *V : Vs)
    S += (S.empty() ? "" : ", ") + V->Name;
  return S;
}

/// The arena of entry Entry as the compiled kernels plan it at Batch.
void printPlan(const Graph &G, const char *Entry, int64_t Batch,
               std::FILE *To) {
  backend::CompileOptions O;
  O.Entries = {Entry};
  O.Batch = Batch;
  O.Engine.Threads = 1;
  O.StopAfter = "memory-plan";
  Expected<backend::CompiledProgram> P = backend::compile(G, O);
  if (!P.ok()) { // compile() names train_step in its errors
    std::string Why = P.status().message();
    bool Named = Why.rfind(std::string(Entry) + ":", 0) == 0;
    std::fprintf(To, "  %s%s%s\n", Named ? "" : Entry, Named ? "" : ": ",
                 Why.c_str());
    return;
  }
  const backend::CompileReport &R = P->Entries.front().Report;
  std::fprintf(To,
               "  %s at batch %lld: %s planned / %s lower bound = %.3f "
               "(%zu kernels)\n",
               Entry, (long long)Batch,
               humanBytes(double(R.ArenaBytes)).c_str(),
               humanBytes(double(R.LowerBound)).c_str(),
               R.LowerBound ? double(R.ArenaBytes) / double(R.LowerBound) : 1.0,
               R.Kernels);
}

/// Forward FLOPs and activation bytes per example of entry point E.
void printCosts(const Graph &G, const EntryPoint &E, std::FILE *To) {
  std::vector<const Node *> Nodes =
      G.nodesReaching({E.Outputs.begin(), E.Outputs.end()});
  int64_t Flops = 0, ActBytes = 0;
  for (const Node *N : Nodes) {
    Flops += N->info().Flops(*N);
    for (const Value *Out : N->Outputs)
      ActBytes += int64_t(Out->Type.bytes());
  }
  std::fprintf(To, "forward FLOPs per example (%s): %s (%.3f MFLOP)\n",
               E.Name.c_str(), grouped(Flops).c_str(), double(Flops) / 1e6);
  std::fprintf(To, "activation bytes per example (%s): %s (%s), %zu nodes\n",
               E.Name.c_str(), grouped(ActBytes).c_str(),
               humanBytes(double(ActBytes)).c_str(), Nodes.size());
}

/// The activation arena of the compiled inference at batch 1 and of the
/// training step at the model's batch size (64 if it names none).
void printArena(const Graph &G, std::FILE *To) {
  std::fprintf(To, "activation arena (64-byte aligned, compiled kernels):\n");
  if (G.findEntry("infer"))
    printPlan(G, "infer", 1, To);
  if (G.Training)
    printPlan(G, passes::TrainStepName,
              G.Training->BatchSize ? G.Training->BatchSize : 64, To);
}

} // namespace

void printModelSummary(const Graph &G, const std::string &Path, std::FILE *To) {
  std::fprintf(To, "model: %s (%s)\n", G.Name.empty() ? "-" : G.Name.c_str(),
               Path.c_str());
  if (!G.Description.empty())
    std::fprintf(To, "  %s\n", G.Description.c_str());

  std::fprintf(To, "inputs:\n");
  for (Role R : {Role::Input, Role::Label})
    for (const Value *V : G.valuesWithRole(R))
      std::fprintf(To, "  %-16s %-20s %s\n", V->Name.c_str(), typeOf(V).c_str(),
                   R == Role::Label ? "(label)" : "");
  std::fprintf(To, "entry points (output shapes at batch 1):\n");
  for (const EntryPoint &E : G.EntryPoints) {
    std::fprintf(To, "  %s(%s) -> (%s)\n", E.Name.c_str(),
                 valueList(E.Inputs).c_str(), valueList(E.Outputs).c_str());
    for (const Value *V : E.Outputs)
      std::fprintf(
          To, "    %-14s %s\n", V->Name.c_str(),
          (std::string(dtypeName(V->Type.Elt)) + shapeString(V->Type.Dims))
              .c_str());
  }

  int64_t Params = 0, ParamBytes = 0, Frozen = 0;
  int ParamTensors = 0;
  for (const auto &V : G.values()) {
    if (V->Kind == Role::Parameter && V->Trainable) {
      Params += V->Type.numElements();
      ParamBytes += int64_t(V->Type.bytes());
      ++ParamTensors;
    } else if (V->Kind == Role::Parameter) {
      Frozen += V->Type.numElements();
    }
  }
  std::fprintf(To, "parameters: %s (%s) in %d tensors\n",
               grouped(Params).c_str(), humanBytes(double(ParamBytes)).c_str(),
               ParamTensors);
  if (Frozen)
    std::fprintf(To, "frozen parameters: %s\n", grouped(Frozen).c_str());
  printState(G, To);

  // Costs of the inference entry (or the first one), at batch size 1.
  const EntryPoint *E = G.findEntry("infer");
  if (!E && !G.EntryPoints.empty())
    E = &G.EntryPoints.front();
  if (E) {
    printLayers(G, *E, To);
    printCosts(G, *E, To);
    printArena(G, To);
  } else {
    std::fprintf(To, "entry points: none (nothing to run; nnc train builds "
                     "train_step from the training table)\n");
  }

  if (G.Training)
    printTraining(*G.Training, To);
}

Status runInfo(const Args &A) {
  const std::string &Path = A.positional()[0];
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  printModelSummary(*G, Path, stdout);
  return Status::success();
}

} // namespace nnc::tools
